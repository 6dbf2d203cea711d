-- PhòngHọp client cache, version 1. Never edit after it landed: add 0002_….sql.
-- Entities are stored whole as JSON of the domain types, with the columns reads need.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE org_units (id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE meetings (id TEXT PRIMARY KEY, starts_at TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE members (
    meeting_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);
CREATE TABLE agenda_items (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX documents_meeting ON documents (meeting_id);
CREATE TABLE notes (id TEXT PRIMARY KEY, meeting_id TEXT, updated_at TEXT NOT NULL, json TEXT NOT NULL);
-- Local changes waiting for the server; rejected ones stay, with the reason, until the
-- user dismisses them.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    code TEXT,
    message TEXT
);
-- Files the secretary attached locally, to upload before the op that uses them.
CREATE TABLE uploads (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL);
-- Downloads that failed verification, shown to the user.
CREATE TABLE blob_errors (sha256 TEXT PRIMARY KEY, message TEXT NOT NULL, at TEXT NOT NULL);
