-- PhòngHọp server schema, version 7: a device is registered per user. Before, logging in
-- with a device id registered to someone else moved the device to the newcomer, and every
-- ballot its first owner had signed on it (queued offline, say) was then refused. Each
-- user now keeps its own registration (and key) of a shared tablet. Never edit after it
-- landed.

CREATE TABLE devices_v7 (
    id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id, user_id)
);
INSERT INTO devices_v7 (id, user_id, name, public_key, created_at, revoked)
    SELECT id, user_id, name, public_key, created_at, revoked FROM devices;

CREATE TABLE sessions_v7 (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    device_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (device_id, user_id) REFERENCES devices_v7 (id, user_id)
);
-- Sessions of a device since moved to another user end here.
INSERT INTO sessions_v7 (token_hash, user_id, device_id, created_at)
    SELECT s.token_hash, s.user_id, s.device_id, s.created_at
    FROM sessions s JOIN devices d ON d.id = s.device_id AND d.user_id = s.user_id;

DROP TABLE sessions;
DROP TABLE devices;
ALTER TABLE devices_v7 RENAME TO devices;
ALTER TABLE sessions_v7 RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_id);
