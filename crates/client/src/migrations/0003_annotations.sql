-- Annotations: the user's own and those shared with their meetings.
CREATE TABLE annotations (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX annotations_document ON annotations (document_id);
