-- PhòngHọp client cache, version 4: the live meeting. Entities whole as JSON, with the
-- server's version (newer wins, so a late live event never undoes a pull).
CREATE TABLE polls (id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX polls_meeting ON polls (meeting_id);
CREATE TABLE ballots (
    poll_id TEXT NOT NULL,
    voter_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter_id)
);
CREATE TABLE presence (
    meeting_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);
CREATE TABLE speak_requests (id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX speak_requests_meeting ON speak_requests (meeting_id);
CREATE TABLE progress (meeting_id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE opinions (id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE opinion_answers (
    ballot_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (ballot_id, user_id)
);
