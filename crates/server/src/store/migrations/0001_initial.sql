-- PhòngHọp server schema, version 1. Never edit after it landed: add 0002_….sql.
CREATE TABLE seq (value INTEGER NOT NULL);
INSERT INTO seq (value) VALUES (0);

CREATE TABLE org_units (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES org_units (id),
    seq INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    org_unit_id TEXT REFERENCES org_units (id),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL
);
CREATE INDEX users_seq ON users (seq);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    device_id TEXT NOT NULL REFERENCES devices (id),
    created_at TEXT NOT NULL
);

-- published_seq: when members gained sight of the meeting (NULL while a draft).
CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    room TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    status TEXT NOT NULL,
    org_unit_id TEXT REFERENCES org_units (id),
    created_by TEXT NOT NULL,
    seq INTEGER NOT NULL,
    published_seq INTEGER
);

-- granted_seq: when the member (last) gained access; removed rows are tombstones.
CREATE TABLE members (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    attendance TEXT NOT NULL,
    seq INTEGER NOT NULL,
    granted_seq INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE agenda_items (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    presenter TEXT NOT NULL,
    planned_minutes INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    signature TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);

CREATE TABLE blob_uploaders (
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    user_id TEXT NOT NULL,
    PRIMARY KEY (sha256, user_id)
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    item_id TEXT NOT NULL REFERENCES agenda_items (id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    classification TEXT NOT NULL,
    seq INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX documents_meeting ON documents (meeting_id);

CREATE TABLE document_versions (
    document_id TEXT NOT NULL REFERENCES documents (id),
    version INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    size INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (document_id, version)
);
CREATE INDEX document_versions_sha ON document_versions (sha256);

CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    meeting_id TEXT,
    text TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notes_owner ON notes (owner_id, seq);

CREATE TABLE applied_ops (
    op_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE login_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    ok INTEGER NOT NULL,
    reason TEXT NOT NULL
);
