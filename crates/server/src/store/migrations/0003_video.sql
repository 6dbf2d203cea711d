-- PhòngHọp server schema, version 2: guest invitations to a meeting's video room.
-- Never edit after it landed: add 0003_….sql.
CREATE TABLE video_invitations (
    token_hash TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    name TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX video_invitations_meeting ON video_invitations (meeting_id);
