-- The device's own check of each downloaded document's signatures (against the trust
-- roots it holds), which the app shows rather than taking the server's word.
CREATE TABLE verdicts (sha256 TEXT PRIMARY KEY, json TEXT NOT NULL, checked_at TEXT NOT NULL);
