//! The live meeting in SQLite: attendance, the speaker queue, agenda progress, live polls
//! and written-opinion ballots — their ops, their feed sources, and the states the live
//! channel sends.
//!
//! Secret polls keep no link from a voter to a choice: `poll_voters` says who voted
//! (no choice), `secret_ballots` holds choices under random keys (no voter, no time, not
//! in arrival order), the signature is checked and dropped, the audit log records the
//! ballot without its choice, and the running counts are not kept — they are counted
//! from `secret_ballots` when the poll closes.

use base64::Engine;
use phonghop_domain::attendance::{Roster, RosterEntry};
use phonghop_domain::counting::{Count, decide};
use phonghop_domain::opinion::{self, opinion_signing_bytes};
use phonghop_domain::poll::{MAX_CLOCK_SKEW_SECONDS, ballot_signing_bytes, ballot_timing};
use phonghop_domain::speaker::Presentation;
use phonghop_domain::{
    AttendanceState, Ballot, MeetingProgress, OpinionAnswer, OpinionBallot, OpinionChoice,
    OpinionStats, Poll, PollKind, PollResult, PollSpec, PollStatus, Presence, SpeakKind,
    SpeakRequest, SpeakStatus, Tally,
};

use super::{
    Change, Connection, ErrorCode, Id, LiveChange, MeetingRole, MeetingStatus, Op, OpError,
    OptionalExtension, Row, Seq, Source, Timestamp, User, append_audit, from_json, from_text,
    item_meeting, meeting_state, now, opt_id, params, parse_id, parse_ts, reject, to_text, ts,
};

/// A live-meeting entity an op changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Touched {
    Poll(Id),
    /// (poll, voter) of a named poll: public to the meeting.
    Ballot(Id, Id),
    Presence(Id, Id),
    Speak(Id),
    Progress(Id),
    Opinion(Id),
}

fn utc(t: Timestamp) -> Timestamp {
    t.to_offset(time::UtcOffset::UTC)
}

// ---- rows ------------------------------------------------------------------------------

macro_rules! poll_cols {
    () => {
        "p.id, p.meeting_id, p.item_id, p.spec, p.status, p.opened_at, p.closes_at, p.closed_at, p.ballots_cast, p.votes, p.result, p.created_by, p.seq"
    };
}

fn poll_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Poll> {
    let spec: PollSpec = from_json(r.get(at + 3)?)?;
    let status: PollStatus = from_text(r.get(at + 4)?)?;
    let votes: Option<String> = r.get(at + 9)?;
    let votes = votes.map(from_json::<Vec<u32>>).transpose()?;
    // A secret poll's counts would reveal each vote by difference while it is open.
    let votes = if spec.kind == PollKind::Secret && status != PollStatus::Closed {
        None
    } else {
        votes
    };
    let result: Option<String> = r.get(at + 10)?;
    Ok(Poll {
        id: parse_id(r.get(at)?)?,
        meeting_id: parse_id(r.get(at + 1)?)?,
        item_id: opt_id(r.get(at + 2)?)?,
        spec,
        status,
        opened_at: r
            .get::<_, Option<String>>(at + 5)?
            .map(parse_ts)
            .transpose()?,
        closes_at: r
            .get::<_, Option<String>>(at + 6)?
            .map(parse_ts)
            .transpose()?,
        closed_at: r
            .get::<_, Option<String>>(at + 7)?
            .map(parse_ts)
            .transpose()?,
        tally: Tally {
            cast: r.get(at + 8)?,
            votes,
        },
        result: result.map(from_json::<PollResult>).transpose()?,
        created_by: parse_id(r.get(at + 11)?)?,
        version: r.get(at + 12)?,
    })
}

macro_rules! ballot_cols {
    () => {
        "b.poll_id, p.meeting_id, b.voter_id, b.cast_by, b.choices, b.cast_at, b.seq"
    };
}

fn ballot_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Ballot> {
    Ok(Ballot {
        poll_id: parse_id(r.get(at)?)?,
        meeting_id: parse_id(r.get(at + 1)?)?,
        voter_id: parse_id(r.get(at + 2)?)?,
        cast_by: parse_id(r.get(at + 3)?)?,
        choices: r
            .get::<_, Option<String>>(at + 4)?
            .map(from_json::<Vec<u32>>)
            .transpose()?,
        cast_at: r
            .get::<_, Option<String>>(at + 5)?
            .map(parse_ts)
            .transpose()?,
        version: r.get(at + 6)?,
    })
}

macro_rules! presence_cols {
    () => {
        "a.meeting_id, a.user_id, a.state, a.set_by, a.at, a.seq"
    };
}

fn presence_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Presence> {
    Ok(Presence {
        meeting_id: parse_id(r.get(at)?)?,
        user_id: parse_id(r.get(at + 1)?)?,
        state: from_json(r.get(at + 2)?)?,
        set_by: parse_id(r.get(at + 3)?)?,
        at: parse_ts(r.get(at + 4)?)?,
        version: r.get(at + 5)?,
    })
}

macro_rules! speak_cols {
    () => {
        "s.id, s.meeting_id, s.item_id, s.user_id, s.kind, s.status, s.ord, s.requested_at, s.granted_at, s.ended_at, s.limit_seconds, s.seq"
    };
}

fn speak_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<SpeakRequest> {
    Ok(SpeakRequest {
        id: parse_id(r.get(at)?)?,
        meeting_id: parse_id(r.get(at + 1)?)?,
        item_id: opt_id(r.get(at + 2)?)?,
        user_id: parse_id(r.get(at + 3)?)?,
        kind: from_text::<SpeakKind>(r.get(at + 4)?)?,
        status: from_text::<SpeakStatus>(r.get(at + 5)?)?,
        order: r.get(at + 6)?,
        requested_at: parse_ts(r.get(at + 7)?)?,
        granted_at: r
            .get::<_, Option<String>>(at + 8)?
            .map(parse_ts)
            .transpose()?,
        ended_at: r
            .get::<_, Option<String>>(at + 9)?
            .map(parse_ts)
            .transpose()?,
        limit_seconds: r.get(at + 10)?,
        version: r.get(at + 11)?,
    })
}

macro_rules! progress_cols {
    () => {
        "g.meeting_id, g.current_item, g.item_started_at, g.presentation, g.seq"
    };
}

fn progress_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<MeetingProgress> {
    Ok(MeetingProgress {
        meeting_id: parse_id(r.get(at)?)?,
        current_item: opt_id(r.get(at + 1)?)?,
        item_started_at: r
            .get::<_, Option<String>>(at + 2)?
            .map(parse_ts)
            .transpose()?,
        presentation: r
            .get::<_, Option<String>>(at + 3)?
            .map(from_json::<Presentation>)
            .transpose()?,
        version: r.get(at + 4)?,
    })
}

macro_rules! opinion_cols {
    () => {
        "o.id, o.meeting_id, o.document_id, o.question, o.created_by, o.opened_at, o.deadline, o.seq"
    };
}

fn opinion_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<OpinionBallot> {
    Ok(OpinionBallot {
        id: parse_id(r.get(at)?)?,
        meeting_id: parse_id(r.get(at + 1)?)?,
        document_id: opt_id(r.get(at + 2)?)?,
        question: r.get(at + 3)?,
        created_by: parse_id(r.get(at + 4)?)?,
        opened_at: parse_ts(r.get(at + 5)?)?,
        deadline: parse_ts(r.get(at + 6)?)?,
        version: r.get(at + 7)?,
    })
}

macro_rules! answer_cols {
    () => {
        "a.ballot_id, a.meeting_id, a.user_id, a.choice, a.comment, a.answered_at, a.device_id, a.signature, a.seq"
    };
}

fn answer_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<OpinionAnswer> {
    Ok(OpinionAnswer {
        ballot_id: parse_id(r.get(at)?)?,
        meeting_id: parse_id(r.get(at + 1)?)?,
        user_id: parse_id(r.get(at + 2)?)?,
        choice: from_text::<OpinionChoice>(r.get(at + 3)?)?,
        comment: r.get(at + 4)?,
        answered_at: parse_ts(r.get(at + 5)?)?,
        device_id: parse_id(r.get(at + 6)?)?,
        signature: r.get(at + 7)?,
        version: r.get(at + 8)?,
    })
}

// ---- the feed --------------------------------------------------------------------------

pub(super) const POLLS: Source = Source {
    sql: concat!(
        "SELECT max(p.seq, v.access_start) AS eff, ",
        poll_cols!(),
        " FROM polls p JOIN temp.vis v ON v.meeting_id = p.meeting_id"
    ),
    map: |_, r| Ok(Change::Poll(Box::new(poll_from_row(r, 1)?))),
};

/// Open and named polls: the viewer's own ballots (cast by or for them); every ballot
/// of a named poll.
pub(super) const BALLOTS: Source = Source {
    sql: concat!(
        "SELECT max(b.seq, v.access_start) AS eff, ",
        ballot_cols!(),
        " FROM ballots b JOIN polls p ON p.id = b.poll_id JOIN temp.vis v ON v.meeting_id = p.meeting_id
          WHERE b.voter_id = ?2 OR b.cast_by = ?2 OR p.kind = 'named'"
    ),
    map: |_, r| Ok(Change::Ballot(ballot_from_row(r, 1)?)),
};

/// Secret polls: only that the viewer's ballot was received.
pub(super) const SECRET_BALLOTS: Source = Source {
    sql: "SELECT max(b.seq, v.access_start) AS eff, b.poll_id, p.meeting_id, b.voter_id, b.cast_by, NULL, NULL, b.seq
          FROM poll_voters b JOIN polls p ON p.id = b.poll_id JOIN temp.vis v ON v.meeting_id = p.meeting_id
          WHERE p.kind = 'secret' AND (b.voter_id = ?2 OR b.cast_by = ?2)",
    map: |_, r| Ok(Change::Ballot(ballot_from_row(r, 1)?)),
};

pub(super) const PRESENCE: Source = Source {
    sql: concat!(
        "SELECT max(a.seq, v.access_start) AS eff, ",
        presence_cols!(),
        " FROM attendance a JOIN temp.vis v ON v.meeting_id = a.meeting_id"
    ),
    map: |_, r| Ok(Change::Presence(presence_from_row(r, 1)?)),
};

pub(super) const SPEAK_REQUESTS: Source = Source {
    sql: concat!(
        "SELECT max(s.seq, v.access_start) AS eff, ",
        speak_cols!(),
        " FROM speak_requests s JOIN temp.vis v ON v.meeting_id = s.meeting_id"
    ),
    map: |_, r| Ok(Change::SpeakRequest(speak_from_row(r, 1)?)),
};

pub(super) const PROGRESS: Source = Source {
    sql: concat!(
        "SELECT max(g.seq, v.access_start) AS eff, ",
        progress_cols!(),
        " FROM meeting_progress g JOIN temp.vis v ON v.meeting_id = g.meeting_id"
    ),
    map: |_, r| Ok(Change::Progress(progress_from_row(r, 1)?)),
};

pub(super) const OPINIONS: Source = Source {
    sql: concat!(
        "SELECT max(o.seq, v.access_start) AS eff, ",
        opinion_cols!(),
        " FROM opinion_ballots o JOIN temp.vis v ON v.meeting_id = o.meeting_id"
    ),
    map: |_, r| Ok(Change::Opinion(opinion_from_row(r, 1)?)),
};

/// The viewer's own answers; everyone's to the meeting's chair and secretary and to
/// secretaries and admins. A member made chair or secretary of the meeting learns the
/// answers given before, at the change of role (`x.seq`).
pub(super) const OPINION_ANSWERS: Source = Source {
    sql: concat!(
        "SELECT max(a.seq, v.access_start, coalesce(x.seq, 0)) AS eff, ",
        answer_cols!(),
        " FROM opinion_answers a JOIN temp.vis v ON v.meeting_id = a.meeting_id
          LEFT JOIN members x ON x.meeting_id = a.meeting_id AND x.user_id = ?2
                             AND x.removed = 0 AND x.role IN ('chair', 'secretary')
          WHERE a.user_id = ?2
             OR (SELECT role FROM users WHERE id = ?2) IN ('admin', 'secretary')
             OR x.user_id IS NOT NULL"
    ),
    map: |_, r| Ok(Change::OpinionAnswer(answer_from_row(r, 1)?)),
};

// ---- what the live channel sends -----------------------------------------------------

fn one<T>(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: fn(&Row<'_>, usize) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    conn.prepare_cached(sql)?
        .query_row(p, |r| f(r, 0))
        .optional()
}

fn load_poll(conn: &Connection, id: Id) -> rusqlite::Result<Option<Poll>> {
    one(
        conn,
        concat!("SELECT ", poll_cols!(), " FROM polls p WHERE p.id = ?1"),
        [id.to_string()],
        poll_from_row,
    )
}

/// The states of what the ops touched, each once, in the order first touched.
pub(super) fn load_touched(
    conn: &Connection,
    touched: Vec<Touched>,
) -> rusqlite::Result<Vec<LiveChange>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for t in touched {
        if !seen.insert(t.clone()) {
            continue;
        }
        let change = match t {
            Touched::Poll(id) => load_poll(conn, id)?.map(|p| Change::Poll(Box::new(p))),
            Touched::Ballot(poll, voter) => one(
                conn,
                concat!(
                    "SELECT ",
                    ballot_cols!(),
                    " FROM ballots b JOIN polls p ON p.id = b.poll_id WHERE b.poll_id = ?1 AND b.voter_id = ?2"
                ),
                params![poll.to_string(), voter.to_string()],
                ballot_from_row,
            )?
            .map(Change::Ballot),
            Touched::Presence(meeting, user) => one(
                conn,
                concat!(
                    "SELECT ",
                    presence_cols!(),
                    " FROM attendance a WHERE a.meeting_id = ?1 AND a.user_id = ?2"
                ),
                params![meeting.to_string(), user.to_string()],
                presence_from_row,
            )?
            .map(Change::Presence),
            Touched::Speak(id) => one(
                conn,
                concat!("SELECT ", speak_cols!(), " FROM speak_requests s WHERE s.id = ?1"),
                [id.to_string()],
                speak_from_row,
            )?
            .map(Change::SpeakRequest),
            Touched::Progress(meeting) => one(
                conn,
                concat!(
                    "SELECT ",
                    progress_cols!(),
                    " FROM meeting_progress g WHERE g.meeting_id = ?1"
                ),
                [meeting.to_string()],
                progress_from_row,
            )?
            .map(Change::Progress),
            Touched::Opinion(id) => one(
                conn,
                concat!(
                    "SELECT ",
                    opinion_cols!(),
                    " FROM opinion_ballots o WHERE o.id = ?1"
                ),
                [id.to_string()],
                opinion_from_row,
            )?
            .map(Change::Opinion),
        };
        if let Some(change) = change {
            let meeting_id = match &change {
                Change::Poll(p) => p.meeting_id,
                Change::Ballot(b) => b.meeting_id,
                Change::Presence(p) => p.meeting_id,
                Change::SpeakRequest(s) => s.meeting_id,
                Change::Progress(g) => g.meeting_id,
                Change::Opinion(o) => o.meeting_id,
                _ => continue,
            };
            out.push(LiveChange { meeting_id, change });
        }
    }
    Ok(out)
}

// ---- who may do what -------------------------------------------------------------------

struct Access {
    status: MeetingStatus,
    role: Option<MeetingRole>,
    preparer: bool,
}

impl Access {
    fn runs(&self) -> bool {
        self.preparer || self.role.is_some_and(MeetingRole::runs_meeting)
    }

    fn live(&self) -> Result<(), OpError> {
        match self.status {
            MeetingStatus::Draft => reject(
                ErrorCode::Conflict,
                "the meeting has not been sent to its members yet",
            ),
            MeetingStatus::Ended => reject(ErrorCode::Conflict, "the meeting has ended"),
            _ => Ok(()),
        }
    }
}

pub(super) fn member_role(
    conn: &Connection,
    meeting: Id,
    user: Id,
) -> rusqlite::Result<Option<MeetingRole>> {
    let role: Option<String> = conn
        .prepare_cached(
            "SELECT role FROM members WHERE meeting_id = ?1 AND user_id = ?2 AND removed = 0",
        )?
        .query_row(params![meeting.to_string(), user.to_string()], |r| r.get(0))
        .optional()?;
    role.map(from_text).transpose()
}

fn access(conn: &Connection, actor: &User, meeting: Id) -> Result<Access, OpError> {
    let status = meeting_state(conn, meeting)?.status;
    let role = member_role(conn, meeting, actor.id)?;
    let preparer = actor.role.prepares_meetings();
    if !preparer && (role.is_none() || status == MeetingStatus::Draft) {
        return reject(ErrorCode::Forbidden, "you are not a member of this meeting");
    }
    Ok(Access {
        status,
        role,
        preparer,
    })
}

fn roster_entry(conn: &Connection, meeting: Id, user: Id) -> rusqlite::Result<Option<RosterEntry>> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT x.role, a.state FROM members x
             LEFT JOIN attendance a ON a.meeting_id = x.meeting_id AND a.user_id = x.user_id
             WHERE x.meeting_id = ?1 AND x.user_id = ?2 AND x.removed = 0",
        )?
        .query_row(params![meeting.to_string(), user.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    row.map(|(role, state)| {
        Ok(RosterEntry {
            user_id: user,
            role: from_text(role)?,
            state: state.map(from_json).transpose()?,
        })
    })
    .transpose()
}

fn roster(conn: &Connection, meeting: Id) -> rusqlite::Result<Vec<RosterEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT x.user_id, x.role, a.state FROM members x
         LEFT JOIN attendance a ON a.meeting_id = x.meeting_id AND a.user_id = x.user_id
         WHERE x.meeting_id = ?1 AND x.removed = 0",
    )?;
    let rows = stmt.query_map([meeting.to_string()], |r| {
        Ok(RosterEntry {
            user_id: parse_id(r.get(0)?)?,
            role: from_text(r.get(1)?)?,
            state: r.get::<_, Option<String>>(2)?.map(from_json).transpose()?,
        })
    })?;
    rows.collect()
}

/// Checks an Ed25519 signature made by one of the actor's (not revoked) devices.
fn verify_signature(
    conn: &Connection,
    actor: &User,
    device_id: Id,
    message: &[u8],
    signature: &str,
) -> Result<(), OpError> {
    let key: Option<(String, bool)> = conn
        .prepare_cached("SELECT public_key, revoked FROM devices WHERE id = ?1 AND user_id = ?2")?
        .query_row(params![device_id.to_string(), actor.id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((key, revoked)) = key else {
        return reject(
            ErrorCode::BadSignature,
            "it was signed on a device that is not registered to you",
        );
    };
    if revoked {
        return reject(
            ErrorCode::DeviceRevoked,
            "it was signed on a revoked device",
        );
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let key: Option<[u8; 32]> = b64.decode(key).ok().and_then(|k| k.try_into().ok());
    let sig: Option<[u8; 64]> = b64.decode(signature).ok().and_then(|s| s.try_into().ok());
    let ok = match (key, sig) {
        (Some(k), Some(s)) => ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok_and(|vk| {
            vk.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&s))
                .is_ok()
        }),
        _ => false,
    };
    if !ok {
        return reject(
            ErrorCode::BadSignature,
            "the device signature does not match what was sent; nothing was counted",
        );
    }
    Ok(())
}

// ---- polls -----------------------------------------------------------------------------

struct PollRow {
    meeting_id: Id,
    spec: PollSpec,
    status: PollStatus,
    opened_at: Option<Timestamp>,
    closes_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    cast: u32,
    votes: Option<Vec<u32>>,
}

impl PollRow {
    /// A poll whose time ran out is closed whether or not the timer has written it yet.
    fn effective(&self, now: Timestamp) -> (PollStatus, Option<Timestamp>) {
        match (self.status, self.closes_at) {
            (PollStatus::Open, Some(c)) if c <= now => (PollStatus::Closed, Some(c)),
            _ => (self.status, self.closed_at),
        }
    }
}

fn poll_row(conn: &Connection, id: Id) -> Result<PollRow, OpError> {
    let row = conn
        .prepare_cached(
            "SELECT meeting_id, spec, status, opened_at, closes_at, closed_at, ballots_cast, votes FROM polls WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok(PollRow {
                meeting_id: parse_id(r.get(0)?)?,
                spec: from_json(r.get(1)?)?,
                status: from_text(r.get(2)?)?,
                opened_at: r.get::<_, Option<String>>(3)?.map(parse_ts).transpose()?,
                closes_at: r.get::<_, Option<String>>(4)?.map(parse_ts).transpose()?,
                closed_at: r.get::<_, Option<String>>(5)?.map(parse_ts).transpose()?,
                cast: r.get(6)?,
                votes: r
                    .get::<_, Option<String>>(7)?
                    .map(from_json)
                    .transpose()?,
            })
        })
        .optional()?;
    match row {
        Some(r) => Ok(r),
        None => reject(ErrorCode::NotFound, format!("poll {id} does not exist")),
    }
}

fn to_json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Decides a closed poll from its ballots and the meeting's attendance at the close, and
/// stores the result (and, for a secret poll, the counts). A ballot arriving within the
/// grace decides it again over the members and presence frozen at the close: attendance
/// recorded after the close does not move a result already announced.
///
/// `newcomer`: the late ballot is of someone not counted present at the close (not
/// checked in then; the ballot checks them in), so presence grows by one.
fn store_result(
    conn: &Connection,
    poll_id: Id,
    p: &PollRow,
    s: u64,
    newcomer: bool,
) -> rusqlite::Result<()> {
    let votes = if p.spec.kind == PollKind::Secret {
        let mut votes = vec![0u32; p.spec.options.len()];
        let mut stmt =
            conn.prepare_cached("SELECT choices FROM secret_ballots WHERE poll_id = ?1")?;
        let rows = stmt.query_map([poll_id.to_string()], |r| from_json::<Vec<u32>>(r.get(0)?))?;
        for choices in rows {
            for c in choices? {
                if let Some(v) = votes.get_mut(c as usize) {
                    *v += 1;
                }
            }
        }
        votes
    } else {
        p.votes
            .clone()
            .unwrap_or_else(|| vec![0; p.spec.options.len()])
    };
    let at_close: Option<String> = conn
        .prepare_cached("SELECT result FROM polls WHERE id = ?1")?
        .query_row([poll_id.to_string()], |r| r.get(0))?;
    let (members, present) = match at_close.map(from_json::<PollResult>).transpose()? {
        Some(r) => (r.count.members, r.count.present + u32::from(newcomer)),
        None => {
            let entries = roster(conn, p.meeting_id)?;
            let summary = Roster::new(&entries).summary();
            (summary.members, summary.present)
        }
    };
    let count = Count {
        members,
        // Everyone whose ballot was received was there for the vote.
        present: present.max(p.cast),
        cast: p.cast,
        votes: votes.clone(),
    };
    let result = decide(
        &p.spec.rule,
        p.spec.mode,
        p.spec.max_choices,
        &p.spec.options,
        &count,
    );
    conn.execute(
        "UPDATE polls SET votes = ?2, result = ?3, seq = ?4 WHERE id = ?1",
        params![
            poll_id.to_string(),
            to_json_text(&votes),
            to_json_text(&result),
            s
        ],
    )?;
    Ok(())
}

fn close_poll(conn: &Connection, poll_id: Id, closed_at: Timestamp, s: u64) -> Result<(), OpError> {
    conn.execute(
        "UPDATE polls SET status = 'closed', closed_at = ?2, seq = ?3 WHERE id = ?1",
        params![poll_id.to_string(), ts(utc(closed_at)), s],
    )?;
    let p = poll_row(conn, poll_id)?;
    store_result(conn, poll_id, &p, s, false)?;
    Ok(())
}

/// Ends `user`'s presentation in `meeting`, if they are presenting: the room stops
/// following them.
pub(super) fn end_presentation_of(
    conn: &Connection,
    meeting: Id,
    user: Id,
    s: u64,
    touched: &mut Vec<Touched>,
) -> rusqlite::Result<()> {
    if conn.execute(
        "UPDATE meeting_progress SET presentation = NULL, seq = ?3
          WHERE meeting_id = ?1 AND json_extract(presentation, '$.presenter_id') = ?2",
        params![meeting.to_string(), user.to_string(), s],
    )? > 0
    {
        touched.push(Touched::Progress(meeting));
    }
    Ok(())
}

/// A poll of `meeting` closed (by the chair or its deadline) whose grace for late
/// ballots has not run out at `now`: its result is decided over the members at the
/// close, so nobody may become a voter until it has.
pub(super) fn poll_taking_late_ballots(
    conn: &Connection,
    meeting: Id,
    now: Timestamp,
) -> Result<bool, OpError> {
    let ids: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM polls WHERE meeting_id = ?1 AND status IN ('open', 'closed')
               AND json_extract(spec, '$.grace_seconds') > 0",
        )?;
        let rows = stmt.query_map([meeting.to_string()], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for id in ids {
        let p = poll_row(conn, parse_id(id)?)?;
        if let (PollStatus::Closed, Some(closed)) = p.effective(now)
            && now <= closed + time::Duration::seconds(i64::from(p.spec.grace_seconds))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Ending a meeting closes its polls still open (at their own deadline when that came
/// first): no ballot reaches an ended meeting except within a poll's grace.
pub(super) fn close_open_polls(
    conn: &Connection,
    meeting: Id,
    at: Timestamp,
    s: u64,
) -> Result<Vec<Touched>, OpError> {
    let open: Vec<(String, Option<String>)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, closes_at FROM polls WHERE meeting_id = ?1 AND status = 'open'",
        )?;
        let rows = stmt.query_map([meeting.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut touched = Vec::new();
    for (id, closes_at) in open {
        let closed_at = match closes_at {
            Some(c) => parse_ts(c)?.min(at),
            None => at,
        };
        let id = parse_id(id)?;
        close_poll(conn, id, closed_at, s)?;
        append_audit(
            conn,
            "system",
            "poll.close",
            &serde_json::json!({"poll_id": id, "why": "the meeting ended", "closed_at": ts(utc(closed_at))}),
        )?;
        touched.push(Touched::Poll(id));
    }
    Ok(touched)
}

/// The timer: closes open polls whose duration ran out.
pub(super) fn close_due_polls(conn: &Connection, now: Timestamp) -> Result<Vec<Touched>, OpError> {
    let due: Vec<(String, String)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, closes_at FROM polls WHERE status = 'open' AND closes_at IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut touched = Vec::new();
    for (id, closes_at) in due {
        let closes_at = parse_ts(closes_at)?;
        if closes_at > now {
            continue;
        }
        let id = parse_id(id)?;
        let s = super::next_seq(conn)?;
        close_poll(conn, id, closes_at, s)?;
        append_audit(
            conn,
            "system",
            "poll.close",
            &serde_json::json!({"poll_id": id, "why": "its time ran out", "closed_at": ts(closes_at)}),
        )?;
        touched.push(Touched::Poll(id));
    }
    Ok(touched)
}

#[allow(clippy::too_many_arguments)]
fn cast_ballot(
    conn: &Connection,
    actor: &User,
    seq: &mut Seq<'_>,
    touched: &mut Vec<Touched>,
    poll_id: Id,
    voter_id: Id,
    choices: &[u32],
    cast_at: Timestamp,
    device_id: Id,
    signature: &str,
) -> Result<(), OpError> {
    let received = now();
    let mut p = poll_row(conn, poll_id)?;
    access(conn, actor, p.meeting_id)?;
    // Only the two people concerned: a vote costs two lookups however large the meeting.
    let mut entries: Vec<RosterEntry> = Vec::with_capacity(2);
    entries.extend(roster_entry(conn, p.meeting_id, actor.id)?);
    if voter_id != actor.id {
        entries.extend(roster_entry(conn, p.meeting_id, voter_id)?);
    }
    if let Err(why) = Roster::new(&entries).may_cast(actor.id, voter_id) {
        return reject(ErrorCode::Forbidden, why);
    }
    let (status, closed_at) = p.effective(received);
    if let Err(why) = ballot_timing(
        status,
        p.opened_at,
        closed_at,
        p.spec.grace_seconds,
        cast_at,
        received,
    ) {
        let code = match status {
            PollStatus::Closed
                if cast_at <= received + time::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) =>
            {
                ErrorCode::DeadlinePassed
            }
            PollStatus::Closed | PollStatus::Open => ErrorCode::Validation,
            PollStatus::Draft => ErrorCode::Conflict,
        };
        return reject(code, why);
    }
    if let Err(why) = p.spec.validate_choices(choices) {
        return reject(ErrorCode::Validation, why);
    }
    verify_signature(
        conn,
        actor,
        device_id,
        &ballot_signing_bytes(poll_id, voter_id, choices, cast_at),
        signature,
    )?;

    let previous: Option<String> = conn
        .prepare_cached("SELECT cast_by FROM poll_voters WHERE poll_id = ?1 AND voter_id = ?2")?
        .query_row(params![poll_id.to_string(), voter_id.to_string()], |r| {
            r.get(0)
        })
        .optional()?;
    let recast = previous.is_some();
    if let Some(by) = previous {
        let may_recast =
            p.spec.allow_recast && p.spec.kind != PollKind::Secret && status == PollStatus::Open;
        if may_recast {
            // The latest choice made wins, whatever order they arrive in: a ballot queued
            // offline on one device does not undo a later one from another.
            let counted: String = conn.query_row(
                "SELECT cast_at FROM ballots WHERE poll_id = ?1 AND voter_id = ?2",
                params![poll_id.to_string(), voter_id.to_string()],
                |r| r.get(0),
            )?;
            if parse_ts(counted)? > cast_at {
                return reject(
                    ErrorCode::Conflict,
                    "a later ballot of this voter is counted already",
                );
            }
        } else {
            let who = if voter_id != actor.id {
                "this member's ballot was cast already"
            } else if by == actor.id.to_string() {
                "you have voted already"
            } else {
                "your ballot was cast already by the member holding your proxy"
            };
            return reject(ErrorCode::Conflict, format!("{who}: one ballot per voter"));
        }
    }
    let s = seq.get()?;
    let choices_json = to_json_text(&choices);
    if recast {
        conn.execute(
            "UPDATE poll_voters SET cast_by = ?3, seq = ?4 WHERE poll_id = ?1 AND voter_id = ?2",
            params![
                poll_id.to_string(),
                voter_id.to_string(),
                actor.id.to_string(),
                s
            ],
        )?;
        let old: String = conn.query_row(
            "SELECT choices FROM ballots WHERE poll_id = ?1 AND voter_id = ?2",
            params![poll_id.to_string(), voter_id.to_string()],
            |r| r.get(0),
        )?;
        if let Some(votes) = p.votes.as_mut() {
            for c in from_json::<Vec<u32>>(old)? {
                if let Some(v) = votes.get_mut(c as usize) {
                    *v = v.saturating_sub(1);
                }
            }
        }
    } else {
        conn.prepare_cached(
            "INSERT INTO poll_voters (poll_id, voter_id, cast_by, seq) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            poll_id.to_string(),
            voter_id.to_string(),
            actor.id.to_string(),
            s
        ])?;
        p.cast += 1;
    }
    if p.spec.kind == PollKind::Secret {
        conn.prepare_cached(
            "INSERT INTO secret_ballots (poll_id, ballot_key, choices) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![
            poll_id.to_string(),
            rand::random::<[u8; 16]>().to_vec(),
            choices_json
        ])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO ballots (poll_id, voter_id, cast_by, choices, cast_at, received_at, device_id, signature, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (poll_id, voter_id) DO UPDATE SET cast_by = ?3, choices = ?4, cast_at = ?5,
                received_at = ?6, device_id = ?7, signature = ?8, seq = ?9",
        )?
        .execute(params![
            poll_id.to_string(),
            voter_id.to_string(),
            actor.id.to_string(),
            choices_json,
            ts(utc(cast_at)),
            ts(received),
            device_id.to_string(),
            signature,
            s
        ])?;
        let votes = p.votes.get_or_insert_with(|| vec![0; p.spec.options.len()]);
        for &c in choices {
            if let Some(v) = votes.get_mut(c as usize) {
                *v += 1;
            }
        }
    }
    conn.prepare_cached("UPDATE polls SET ballots_cast = ?2, votes = ?3, seq = ?4 WHERE id = ?1")?
        .execute(params![
            poll_id.to_string(),
            p.cast,
            p.votes.as_ref().map(to_json_text),
            s
        ])?;
    // Casting a ballot in a live meeting is being there.
    let caster = entries.iter().find(|e| e.user_id == actor.id);
    if p.status == PollStatus::Closed {
        // Cast before the close, arrived within the grace: the result moves.
        let newcomer = caster.is_some_and(|e| e.state.is_none());
        store_result(conn, poll_id, &p, s, newcomer)?;
    }
    if caster.is_some_and(|e| e.state.is_none()) {
        let mode: String = conn.query_row(
            "SELECT attendance FROM members WHERE meeting_id = ?1 AND user_id = ?2",
            params![p.meeting_id.to_string(), actor.id.to_string()],
            |r| r.get(0),
        )?;
        let state = if mode == "remote" {
            AttendanceState::Remote
        } else {
            AttendanceState::InRoom
        };
        set_attendance(conn, p.meeting_id, actor.id, &state, actor.id, s)?;
        touched.push(Touched::Presence(p.meeting_id, actor.id));
    }
    touched.push(Touched::Poll(poll_id));
    if p.spec.kind == PollKind::Named {
        touched.push(Touched::Ballot(poll_id, voter_id));
    }
    Ok(())
}

fn set_attendance(
    conn: &Connection,
    meeting: Id,
    user: Id,
    state: &AttendanceState,
    by: Id,
    s: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO attendance (meeting_id, user_id, state, set_by, at, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (meeting_id, user_id) DO UPDATE SET state = ?3, set_by = ?4, at = ?5, seq = ?6",
    )?
    .execute(params![
        meeting.to_string(),
        user.to_string(),
        to_json_text(state),
        by.to_string(),
        ts(now()),
        s
    ])?;
    Ok(())
}

fn check_item(conn: &Connection, meeting: Id, item: Option<Id>) -> Result<(), OpError> {
    if let Some(i) = item
        && item_meeting(conn, i)? != meeting
    {
        return reject(
            ErrorCode::Validation,
            "the agenda item belongs to another meeting",
        );
    }
    Ok(())
}

struct SpeakRow {
    meeting_id: Id,
    user_id: Id,
    status: SpeakStatus,
}

fn speak_row(conn: &Connection, id: Id) -> Result<SpeakRow, OpError> {
    let row = conn
        .query_row(
            "SELECT meeting_id, user_id, status FROM speak_requests WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok(SpeakRow {
                    meeting_id: parse_id(r.get(0)?)?,
                    user_id: parse_id(r.get(1)?)?,
                    status: from_text(r.get(2)?)?,
                })
            },
        )
        .optional()?;
    match row {
        Some(r) => Ok(r),
        None => reject(
            ErrorCode::NotFound,
            format!("request to speak {id} does not exist"),
        ),
    }
}

fn has_floor(conn: &Connection, meeting: Id, user: Id) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM speak_requests WHERE meeting_id = ?1 AND user_id = ?2 AND status = 'speaking'",
            params![meeting.to_string(), user.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn exists(conn: &Connection, sql: &str, id: Id) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(sql, [id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Applies one live-meeting op.
pub(super) fn apply(
    conn: &Connection,
    actor: &User,
    op: &Op,
    seq: &mut Seq<'_>,
    touched: &mut Vec<Touched>,
) -> Result<(), OpError> {
    let at = now();
    match op {
        Op::AttendanceSet {
            meeting_id,
            user_id,
            state,
        } => {
            let acc = access(conn, actor, *meeting_id)?;
            acc.live()?;
            if *user_id != actor.id && !acc.runs() {
                return reject(
                    ErrorCode::Forbidden,
                    "only the chair or the secretary records attendance for others",
                );
            }
            if member_role(conn, *meeting_id, *user_id)?.is_none() {
                return reject(
                    ErrorCode::NotFound,
                    "that person is not a member of this meeting",
                );
            }
            if let AttendanceState::Proxy { to, .. } = state {
                // The chair records attendance and votes: a proxy to themselves must come
                // from the member (or be recorded by the secretary), never be taken.
                if *user_id != actor.id && *to == actor.id {
                    return reject(
                        ErrorCode::Forbidden,
                        "a proxy to you is given by the member themselves or recorded by the secretary",
                    );
                }
                let entries = roster(conn, *meeting_id)?;
                if let Err(why) = Roster::new(&entries).check_proxy(*user_id, *to) {
                    return reject(ErrorCode::Conflict, why);
                }
            }
            let s = seq.get()?;
            set_attendance(conn, *meeting_id, *user_id, state, actor.id, s)?;
            touched.push(Touched::Presence(*meeting_id, *user_id));
        }
        Op::SpeakRequest {
            request_id,
            meeting_id,
            kind,
            item_id,
        } => {
            let acc = access(conn, actor, *meeting_id)?;
            acc.live()?;
            if acc.role.is_none() {
                return reject(
                    ErrorCode::Forbidden,
                    "only members of the meeting ask for the floor",
                );
            }
            if exists(
                conn,
                "SELECT 1 FROM speak_requests WHERE id = ?1",
                *request_id,
            )? {
                return reject(
                    ErrorCode::Conflict,
                    format!("request {request_id} exists already"),
                );
            }
            check_item(conn, *meeting_id, *item_id)?;
            let active = conn
                .query_row(
                    "SELECT status FROM speak_requests WHERE meeting_id = ?1 AND user_id = ?2
                     AND status IN ('waiting', 'speaking') LIMIT 1",
                    params![meeting_id.to_string(), actor.id.to_string()],
                    |r| r.get::<_, String>(0),
                )
                .optional()?;
            if let Some(status) = active {
                return reject(
                    ErrorCode::Conflict,
                    if status == "speaking" {
                        "you have the floor already"
                    } else {
                        "you are in the queue already; withdraw that request first"
                    },
                );
            }
            let s = seq.get()?;
            conn.execute(
                "INSERT INTO speak_requests (id, meeting_id, item_id, user_id, kind, status, ord, requested_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?7, ?6)",
                params![
                    request_id.to_string(),
                    meeting_id.to_string(),
                    item_id.map(|i| i.to_string()),
                    actor.id.to_string(),
                    to_text(kind),
                    s,
                    ts(at)
                ],
            )?;
            touched.push(Touched::Speak(*request_id));
        }
        Op::SpeakWithdraw { request_id } => {
            let r = speak_row(conn, *request_id)?;
            let acc = access(conn, actor, r.meeting_id)?;
            if r.user_id != actor.id && !acc.runs() {
                return reject(ErrorCode::Forbidden, "this request is someone else's");
            }
            if r.status != SpeakStatus::Waiting {
                return reject(ErrorCode::Conflict, "this request is no longer waiting");
            }
            let s = seq.get()?;
            conn.execute(
                "UPDATE speak_requests SET status = 'withdrawn', ended_at = ?2, seq = ?3 WHERE id = ?1",
                params![request_id.to_string(), ts(at), s],
            )?;
            touched.push(Touched::Speak(*request_id));
        }
        Op::SpeakGrant {
            request_id,
            limit_seconds,
        } => {
            let r = speak_row(conn, *request_id)?;
            let acc = access(conn, actor, r.meeting_id)?;
            acc.live()?;
            if !acc.runs() {
                return reject(ErrorCode::Forbidden, "only the chair gives the floor");
            }
            if r.status != SpeakStatus::Waiting {
                return reject(ErrorCode::Conflict, "this request is no longer waiting");
            }
            let s = seq.get()?;
            // One speaker at a time: whoever has the floor yields it.
            let ended: Vec<String> = {
                let mut stmt = conn.prepare(
                    "UPDATE speak_requests SET status = 'done', ended_at = ?2, seq = ?3
                     WHERE meeting_id = ?1 AND status = 'speaking' RETURNING id",
                )?;
                let rows =
                    stmt.query_map(params![r.meeting_id.to_string(), ts(at), s], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for id in ended {
                touched.push(Touched::Speak(parse_id(id)?));
            }
            conn.execute(
                "UPDATE speak_requests SET status = 'speaking', granted_at = ?2, limit_seconds = ?3, seq = ?4 WHERE id = ?1",
                params![request_id.to_string(), ts(at), limit_seconds, s],
            )?;
            touched.push(Touched::Speak(*request_id));
        }
        Op::SpeakEnd { request_id } => {
            let r = speak_row(conn, *request_id)?;
            let acc = access(conn, actor, r.meeting_id)?;
            if r.user_id != actor.id && !acc.runs() {
                return reject(ErrorCode::Forbidden, "only the chair ends someone's turn");
            }
            if r.status != SpeakStatus::Speaking {
                return reject(ErrorCode::Conflict, "this member does not have the floor");
            }
            let s = seq.get()?;
            conn.execute(
                "UPDATE speak_requests SET status = 'done', ended_at = ?2, seq = ?3 WHERE id = ?1",
                params![request_id.to_string(), ts(at), s],
            )?;
            touched.push(Touched::Speak(*request_id));
            // The floor's end ends the speaker's presentation: the room stops following
            // (the chair and the secretary present without the floor).
            let runs = matches!(
                member_role(conn, r.meeting_id, r.user_id)?,
                Some(MeetingRole::Chair | MeetingRole::Secretary)
            );
            if !runs {
                end_presentation_of(conn, r.meeting_id, r.user_id, s, touched)?;
            }
        }
        Op::AgendaCurrent {
            meeting_id,
            item_id,
        } => {
            let acc = access(conn, actor, *meeting_id)?;
            acc.live()?;
            if !acc.runs() {
                return reject(
                    ErrorCode::Forbidden,
                    "only the chair or the secretary moves through the agenda",
                );
            }
            check_item(conn, *meeting_id, *item_id)?;
            let s = seq.get()?;
            conn.execute(
                "INSERT INTO meeting_progress (meeting_id, current_item, item_started_at, presentation, seq)
                 VALUES (?1, ?2, ?3, NULL, ?4)
                 ON CONFLICT (meeting_id) DO UPDATE SET current_item = ?2, item_started_at = ?3, presentation = NULL, seq = ?4",
                params![
                    meeting_id.to_string(),
                    item_id.map(|i| i.to_string()),
                    item_id.map(|_| ts(at)),
                    s
                ],
            )?;
            touched.push(Touched::Progress(*meeting_id));
        }
        Op::PresentPage {
            meeting_id,
            document_id,
            page,
        } => {
            let acc = access(conn, actor, *meeting_id)?;
            acc.live()?;
            if !acc.runs() && !has_floor(conn, *meeting_id, actor.id)? {
                return reject(
                    ErrorCode::Forbidden,
                    "only the chair, the secretary or the member who has the floor presents",
                );
            }
            let doc: Option<(String, bool)> = conn
                .query_row(
                    "SELECT meeting_id, removed FROM documents WHERE id = ?1",
                    [document_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match doc {
                Some((m, false)) if m == meeting_id.to_string() => {}
                _ => {
                    return reject(
                        ErrorCode::NotFound,
                        "that document is not one of this meeting's",
                    );
                }
            }
            let pages: u32 = conn
                .query_row(
                    "SELECT pages FROM document_versions WHERE document_id = ?1 ORDER BY version DESC LIMIT 1",
                    [document_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            if pages > 0 && *page > pages {
                return reject(
                    ErrorCode::Validation,
                    format!("the document has {pages} pages"),
                );
            }
            let presentation = Presentation {
                presenter_id: actor.id,
                document_id: *document_id,
                page: *page,
                at,
            };
            let s = seq.get()?;
            conn.execute(
                "INSERT INTO meeting_progress (meeting_id, current_item, item_started_at, presentation, seq)
                 VALUES (?1, NULL, NULL, ?2, ?3)
                 ON CONFLICT (meeting_id) DO UPDATE SET presentation = ?2, seq = ?3",
                params![meeting_id.to_string(), to_json_text(&presentation), s],
            )?;
            touched.push(Touched::Progress(*meeting_id));
        }
        Op::PresentStop { meeting_id } => {
            let acc = access(conn, actor, *meeting_id)?;
            let presenter: Option<String> = conn
                .query_row(
                    "SELECT json_extract(presentation, '$.presenter_id') FROM meeting_progress WHERE meeting_id = ?1",
                    [meeting_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if !acc.runs() && presenter.as_deref() != Some(actor.id.to_string().as_str()) {
                return reject(ErrorCode::Forbidden, "someone else is presenting");
            }
            let s = seq.get()?;
            conn.execute(
                "UPDATE meeting_progress SET presentation = NULL, seq = ?2 WHERE meeting_id = ?1",
                params![meeting_id.to_string(), s],
            )?;
            touched.push(Touched::Progress(*meeting_id));
        }
        Op::PollCreate {
            poll_id,
            meeting_id,
            item_id,
            spec,
        } => {
            let acc = access(conn, actor, *meeting_id)?;
            if !acc.runs() {
                return reject(
                    ErrorCode::Forbidden,
                    "only the chair or the secretary prepares a vote",
                );
            }
            if acc.status == MeetingStatus::Ended {
                return reject(ErrorCode::Conflict, "the meeting has ended");
            }
            if exists(conn, "SELECT 1 FROM polls WHERE id = ?1", *poll_id)? {
                return reject(
                    ErrorCode::Conflict,
                    format!("poll {poll_id} exists already"),
                );
            }
            check_item(conn, *meeting_id, *item_id)?;
            let s = seq.get()?;
            let votes = (spec.kind != PollKind::Secret).then(|| vec![0u32; spec.options.len()]);
            conn.execute(
                "INSERT INTO polls (id, meeting_id, item_id, kind, spec, status, ballots_cast, votes, created_by, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'draft', 0, ?6, ?7, ?8)",
                params![
                    poll_id.to_string(),
                    meeting_id.to_string(),
                    item_id.map(|i| i.to_string()),
                    to_text(&spec.kind),
                    to_json_text(spec),
                    votes.as_ref().map(to_json_text),
                    actor.id.to_string(),
                    s
                ],
            )?;
            touched.push(Touched::Poll(*poll_id));
        }
        Op::PollOpen { poll_id } => {
            let p = poll_row(conn, *poll_id)?;
            let acc = access(conn, actor, p.meeting_id)?;
            if !acc.runs() {
                return reject(
                    ErrorCode::Forbidden,
                    "only the chair or the secretary opens a vote",
                );
            }
            if acc.status != MeetingStatus::InProgress {
                return reject(
                    ErrorCode::Conflict,
                    "votes open only while the meeting is in session",
                );
            }
            if p.status != PollStatus::Draft {
                return reject(ErrorCode::Conflict, "the poll has been opened already");
            }
            let closes_at = p
                .spec
                .duration_seconds
                .map(|d| at + time::Duration::seconds(i64::from(d)));
            let s = seq.get()?;
            conn.execute(
                "UPDATE polls SET status = 'open', opened_at = ?2, closes_at = ?3, seq = ?4 WHERE id = ?1",
                params![poll_id.to_string(), ts(at), closes_at.map(ts), s],
            )?;
            touched.push(Touched::Poll(*poll_id));
        }
        Op::PollClose { poll_id } => {
            let p = poll_row(conn, *poll_id)?;
            let acc = access(conn, actor, p.meeting_id)?;
            if !acc.runs() {
                return reject(
                    ErrorCode::Forbidden,
                    "only the chair or the secretary closes a vote",
                );
            }
            if p.status != PollStatus::Open {
                return reject(ErrorCode::Conflict, "the poll is not open");
            }
            // A poll whose time ran out closed then, not now.
            let closed_at = p.closes_at.map_or(at, |c| c.min(at));
            let s = seq.get()?;
            close_poll(conn, *poll_id, closed_at, s)?;
            touched.push(Touched::Poll(*poll_id));
        }
        Op::BallotCast {
            poll_id,
            voter_id,
            choices,
            cast_at,
            device_id,
            signature,
        } => cast_ballot(
            conn, actor, seq, touched, *poll_id, *voter_id, choices, *cast_at, *device_id,
            signature,
        )?,
        Op::OpinionCreate {
            ballot_id,
            meeting_id,
            document_id,
            question,
            days,
        } => {
            let acc = access(conn, actor, *meeting_id)?;
            acc.live()?;
            if !acc.runs() {
                return reject(
                    ErrorCode::Forbidden,
                    "only the chair or the secretary asks for written opinions",
                );
            }
            if exists(
                conn,
                "SELECT 1 FROM opinion_ballots WHERE id = ?1",
                *ballot_id,
            )? {
                return reject(
                    ErrorCode::Conflict,
                    format!("ballot {ballot_id} exists already"),
                );
            }
            if let Some(d) = document_id {
                let m: Option<String> = conn
                    .query_row(
                        "SELECT meeting_id FROM documents WHERE id = ?1 AND removed = 0",
                        [d.to_string()],
                        |r| r.get(0),
                    )
                    .optional()?;
                if m.as_deref() != Some(meeting_id.to_string().as_str()) {
                    return reject(
                        ErrorCode::NotFound,
                        "that document is not one of this meeting's",
                    );
                }
            }
            let deadline = at + time::Duration::days(i64::from(*days));
            let s = seq.get()?;
            conn.execute(
                "INSERT INTO opinion_ballots (id, meeting_id, document_id, question, created_by, opened_at, deadline, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    ballot_id.to_string(),
                    meeting_id.to_string(),
                    document_id.map(|d| d.to_string()),
                    question.trim(),
                    actor.id.to_string(),
                    ts(at),
                    ts(deadline),
                    s
                ],
            )?;
            touched.push(Touched::Opinion(*ballot_id));
        }
        Op::OpinionAnswer {
            ballot_id,
            choice,
            comment,
            answered_at,
            device_id,
            signature,
        } => {
            let row: Option<(String, String)> = conn
                .query_row(
                    "SELECT meeting_id, deadline FROM opinion_ballots WHERE id = ?1",
                    [ballot_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((meeting, deadline)) = row else {
                return reject(
                    ErrorCode::NotFound,
                    format!("ballot {ballot_id} does not exist"),
                );
            };
            let (meeting, deadline) = (parse_id(meeting)?, parse_ts(deadline)?);
            let acc = access(conn, actor, meeting)?;
            if !acc.role.is_some_and(MeetingRole::votes) {
                return reject(
                    ErrorCode::Forbidden,
                    "only the members who vote are asked for their opinion",
                );
            }
            if *answered_at > at + time::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) {
                return reject(
                    ErrorCode::Validation,
                    "the answer says it was made in the future; check the device's clock",
                );
            }
            if at > deadline || *answered_at > deadline {
                return reject(
                    ErrorCode::DeadlinePassed,
                    format!(
                        "the answer made at {} reached the server at {}, after the deadline {}; it was not counted",
                        opinion::vn_time(*answered_at),
                        opinion::vn_time(at),
                        opinion::vn_time(deadline)
                    ),
                );
            }
            verify_signature(
                conn,
                actor,
                *device_id,
                &opinion_signing_bytes(*ballot_id, actor.id, *choice, comment, *answered_at),
                signature,
            )?;
            let existing: Option<String> = conn
                .query_row(
                    "SELECT answered_at FROM opinion_answers WHERE ballot_id = ?1 AND user_id = ?2",
                    params![ballot_id.to_string(), actor.id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            // The latest answer made wins, whatever order they arrive in.
            if existing
                .map(parse_ts)
                .transpose()?
                .is_some_and(|e| e > *answered_at)
            {
                return Ok(());
            }
            let s = seq.get()?;
            conn.execute(
                "INSERT INTO opinion_answers (ballot_id, meeting_id, user_id, choice, comment, answered_at, received_at, device_id, signature, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (ballot_id, user_id) DO UPDATE SET choice = ?4, comment = ?5, answered_at = ?6,
                    received_at = ?7, device_id = ?8, signature = ?9, seq = ?10",
                params![
                    ballot_id.to_string(),
                    meeting.to_string(),
                    actor.id.to_string(),
                    to_text(choice),
                    comment,
                    ts(utc(*answered_at)),
                    ts(at),
                    device_id.to_string(),
                    signature,
                    s
                ],
            )?;
        }
        other => {
            return reject(
                ErrorCode::BadOp,
                format!("{} is not a live-meeting op", other.kind()),
            );
        }
    }
    Ok(())
}

/// A written-opinion ballot's statistics, if the viewer may see them.
pub(super) fn opinion_stats(
    conn: &Connection,
    viewer: &User,
    ballot: Id,
) -> rusqlite::Result<Option<OpinionStats>> {
    let Some(b) = one(
        conn,
        concat!(
            "SELECT ",
            opinion_cols!(),
            " FROM opinion_ballots o WHERE o.id = ?1"
        ),
        [ballot.to_string()],
        opinion_from_row,
    )?
    else {
        return Ok(None);
    };
    let runs = viewer.role.prepares_meetings()
        || member_role(conn, b.meeting_id, viewer.id)?.is_some_and(MeetingRole::runs_meeting);
    if !runs {
        return Ok(None);
    }
    let asked: Vec<User> = {
        let mut stmt = conn.prepare_cached(
            "SELECT u.id, u.username, u.full_name, u.role, u.title, u.org_unit_id, u.disabled
             FROM members x JOIN users u ON u.id = x.user_id
             WHERE x.meeting_id = ?1 AND x.removed = 0 AND x.role IN ('chair', 'member')",
        )?;
        let rows = stmt.query_map([b.meeting_id.to_string()], |r| super::user_from_row(r, 0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let answers: Vec<OpinionAnswer> = {
        let mut stmt = conn.prepare_cached(concat!(
            "SELECT ",
            answer_cols!(),
            " FROM opinion_answers a WHERE a.ballot_id = ?1"
        ))?;
        let rows = stmt.query_map([ballot.to_string()], |r| answer_from_row(r, 0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    Ok(Some(opinion::stats(&b, asked, &answers)))
}
