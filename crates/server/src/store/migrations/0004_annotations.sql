-- Annotations (chú thích) on a document version. One author; `shared` shows it to the
-- meeting's members. `ever_shared` remembers that others may hold a copy, so that
-- unsharing or deleting reaches them as a tombstone. Deleted rows stay as tombstones.
CREATE TABLE annotations (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    document_id TEXT NOT NULL REFERENCES documents (id),
    version INTEGER NOT NULL,
    page INTEGER NOT NULL,
    shared INTEGER NOT NULL,
    ever_shared INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX annotations_owner ON annotations (owner_id, seq);
CREATE INDEX annotations_meeting ON annotations (meeting_id, seq);
