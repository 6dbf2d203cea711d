-- PhòngHọp server schema, version 5: the live meeting — attendance, the speaker queue,
-- agenda progress, live polls and written-opinion ballots. Never edit after it landed.

CREATE TABLE attendance (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL,          -- JSON AttendanceState
    set_by TEXT NOT NULL,
    at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);

CREATE TABLE speak_requests (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    item_id TEXT,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    ord INTEGER NOT NULL,         -- queue order: the sequence number of the request
    requested_at TEXT NOT NULL,
    granted_at TEXT,
    ended_at TEXT,
    limit_seconds INTEGER,
    seq INTEGER NOT NULL
);
CREATE INDEX speak_requests_meeting ON speak_requests (meeting_id, status);

CREATE TABLE meeting_progress (
    meeting_id TEXT PRIMARY KEY REFERENCES meetings (id),
    current_item TEXT,
    item_started_at TEXT,
    presentation TEXT,            -- JSON Presentation
    seq INTEGER NOT NULL
);

-- votes: running counts of open and named polls (JSON array); a secret poll's are
-- counted only at its close, from secret_ballots.
CREATE TABLE polls (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    item_id TEXT,
    kind TEXT NOT NULL,
    spec TEXT NOT NULL,           -- JSON PollSpec
    status TEXT NOT NULL,
    opened_at TEXT,
    closes_at TEXT,
    closed_at TEXT,
    ballots_cast INTEGER NOT NULL DEFAULT 0,
    votes TEXT,
    result TEXT,                  -- JSON PollResult
    created_by TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX polls_meeting ON polls (meeting_id);
CREATE INDEX polls_open ON polls (status, closes_at);

-- Who has voted in a poll, for every kind: one ballot per voter. No choice here.
CREATE TABLE poll_voters (
    poll_id TEXT NOT NULL REFERENCES polls (id),
    voter_id TEXT NOT NULL,
    cast_by TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter_id)
);

-- Open and named polls: the ballot with its signature, for the record.
CREATE TABLE ballots (
    poll_id TEXT NOT NULL REFERENCES polls (id),
    voter_id TEXT NOT NULL,
    cast_by TEXT NOT NULL,
    choices TEXT NOT NULL,
    cast_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    device_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter_id)
);

-- Secret polls: the choices alone — no voter, no time, no signature — keyed by a random
-- id; a WITHOUT ROWID table is stored in key order, so neither rows nor pages follow
-- the order of arrival.
CREATE TABLE secret_ballots (
    poll_id TEXT NOT NULL REFERENCES polls (id),
    ballot_key BLOB NOT NULL,
    choices TEXT NOT NULL,
    PRIMARY KEY (poll_id, ballot_key)
) WITHOUT ROWID;

CREATE TABLE opinion_ballots (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    document_id TEXT,
    question TEXT NOT NULL,
    created_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX opinion_ballots_meeting ON opinion_ballots (meeting_id);

CREATE TABLE opinion_answers (
    ballot_id TEXT NOT NULL REFERENCES opinion_ballots (id),
    meeting_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    choice TEXT NOT NULL,
    comment TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    device_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (ballot_id, user_id)
);
