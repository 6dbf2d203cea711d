//! The live meeting in the local cache: polls and the user's ballots, attendance, the
//! speaker queue, agenda progress, written-opinion ballots and answers — from the feed,
//! from live events (newer version wins, so a late event never undoes a pull), and from
//! the user's own pending ops applied on top.

use phonghop_domain::attendance::{Roster, RosterEntry};
use phonghop_domain::{
    AttendanceState, AttendanceSummary, Ballot, Change, Id, MeetingProgress, Membership, Op,
    OpinionAnswer, OpinionBallot, Poll, PollStatus, Presence, Presentation, SpeakRequest,
    SpeakStatus, Tally, Timestamp, User,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;

use super::{from_json, load, to_json};
use crate::ClientError;

fn upsert(
    tx: &Connection,
    table: &str,
    keys: &[(&str, String)],
    meeting_id: Option<Id>,
    version: u64,
    json: String,
) -> rusqlite::Result<()> {
    let mut cols: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    let mut vals: Vec<String> = keys.iter().map(|(_, v)| v.clone()).collect();
    if let Some(m) = meeting_id {
        cols.push("meeting_id");
        vals.push(m.to_string());
    }
    let n = cols.len();
    let placeholders: Vec<String> = (1..=n + 2).map(|i| format!("?{i}")).collect();
    let conflict: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    let mut set: Vec<String> = cols
        .iter()
        .enumerate()
        .skip(keys.len())
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    set.push(format!("version = ?{}", n + 1));
    set.push(format!("json = ?{}", n + 2));
    let sql = format!(
        "INSERT INTO {table} ({}, version, json) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {} WHERE excluded.version >= {table}.version",
        cols.join(", "),
        placeholders.join(", "),
        conflict.join(", "),
        set.join(", ")
    );
    let mut params: Vec<rusqlite::types::Value> =
        vals.into_iter().map(rusqlite::types::Value::Text).collect();
    params.push(rusqlite::types::Value::Integer(
        i64::try_from(version).unwrap_or(i64::MAX),
    ));
    params.push(rusqlite::types::Value::Text(json));
    tx.prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(params))?;
    Ok(())
}

pub(super) fn put_poll(tx: &Connection, p: &Poll) -> rusqlite::Result<()> {
    upsert(
        tx,
        "polls",
        &[("id", p.id.to_string())],
        Some(p.meeting_id),
        p.version,
        to_json(p),
    )
}

fn stored_ballot(tx: &Connection, poll: Id, voter: Id) -> rusqlite::Result<Option<Ballot>> {
    tx.query_row(
        "SELECT json FROM ballots WHERE poll_id = ?1 AND voter_id = ?2",
        params![poll.to_string(), voter.to_string()],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .map(|j| from_json(&j))
    .transpose()
}

pub(super) fn put_ballot(tx: &Connection, b: &Ballot) -> rusqlite::Result<()> {
    let mut b = b.clone();
    // The server does not know a secret ballot's choice; this device does.
    if b.choices.is_none() {
        let existing = stored_ballot(tx, b.poll_id, b.voter_id)?;
        if let Some(e) = existing {
            b.choices = e.choices;
            b.cast_at = b.cast_at.or(e.cast_at);
        }
    }
    upsert(
        tx,
        "ballots",
        &[
            ("poll_id", b.poll_id.to_string()),
            ("voter_id", b.voter_id.to_string()),
        ],
        Some(b.meeting_id),
        b.version,
        to_json(&b),
    )
}

pub(super) fn put_presence(tx: &Connection, p: &Presence) -> rusqlite::Result<()> {
    upsert(
        tx,
        "presence",
        &[
            ("meeting_id", p.meeting_id.to_string()),
            ("user_id", p.user_id.to_string()),
        ],
        None,
        p.version,
        to_json(p),
    )
}

pub(super) fn put_speak(tx: &Connection, s: &SpeakRequest) -> rusqlite::Result<()> {
    upsert(
        tx,
        "speak_requests",
        &[("id", s.id.to_string())],
        Some(s.meeting_id),
        s.version,
        to_json(s),
    )
}

pub(super) fn put_progress(tx: &Connection, g: &MeetingProgress) -> rusqlite::Result<()> {
    upsert(
        tx,
        "progress",
        &[("meeting_id", g.meeting_id.to_string())],
        None,
        g.version,
        to_json(g),
    )
}

pub(super) fn put_opinion(tx: &Connection, o: &OpinionBallot) -> rusqlite::Result<()> {
    upsert(
        tx,
        "opinions",
        &[("id", o.id.to_string())],
        Some(o.meeting_id),
        o.version,
        to_json(o),
    )
}

pub(super) fn put_answer(tx: &Connection, a: &OpinionAnswer) -> rusqlite::Result<()> {
    upsert(
        tx,
        "opinion_answers",
        &[
            ("ballot_id", a.ballot_id.to_string()),
            ("user_id", a.user_id.to_string()),
        ],
        Some(a.meeting_id),
        a.version,
        to_json(a),
    )
}

/// Applies a live-meeting change; false when it is not one.
pub(super) fn apply_change(tx: &Connection, c: &Change) -> rusqlite::Result<bool> {
    match c {
        Change::Poll(p) => put_poll(tx, p)?,
        Change::Ballot(b) => put_ballot(tx, b)?,
        Change::Presence(p) => put_presence(tx, p)?,
        Change::SpeakRequest(s) => put_speak(tx, s)?,
        Change::Progress(g) => put_progress(tx, g)?,
        Change::Opinion(o) => put_opinion(tx, o)?,
        Change::OpinionAnswer(a) => put_answer(tx, a)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// The ballots whose choices this device knows (for a secret poll, only this device
/// does), to carry across a rebuild.
pub(super) fn known_choices(tx: &Connection) -> rusqlite::Result<Vec<Ballot>> {
    let mut stmt =
        tx.prepare("SELECT json FROM ballots WHERE json_extract(json, '$.choices') IS NOT NULL")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.map(|j| from_json(&j?)).collect()
}

/// Puts known choices back into the ballots the server sent without them. A ballot the
/// server no longer has (refused) does not come back.
pub(super) fn restore_choices(tx: &Connection, known: &[Ballot]) -> rusqlite::Result<()> {
    for k in known {
        if let Some(mut b) = stored_ballot(tx, k.poll_id, k.voter_id)?
            && b.choices.is_none()
        {
            b.choices = k.choices.clone();
            b.cast_at = b.cast_at.or(k.cast_at);
            tx.execute(
                "UPDATE ballots SET json = ?3 WHERE poll_id = ?1 AND voter_id = ?2",
                params![b.poll_id.to_string(), b.voter_id.to_string(), to_json(&b)],
            )?;
        }
    }
    Ok(())
}

pub(super) const TABLES: [(&str, &str); 7] = [
    ("polls", "id"),
    ("ballots", "poll_id, voter_id"),
    ("presence", "meeting_id, user_id"),
    ("speak_requests", "id"),
    ("progress", "meeting_id"),
    ("opinions", "id"),
    ("opinion_answers", "ballot_id, user_id"),
];

pub(super) fn drop_meeting(tx: &Connection, meeting: &str) -> rusqlite::Result<()> {
    for (table, _) in TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE meeting_id = ?1"),
            [meeting],
        )?;
    }
    Ok(())
}

fn version_of(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<u64> {
    Ok(tx
        .query_row(sql, p, |r| r.get::<_, u64>(0))
        .optional()?
        .unwrap_or(0))
}

fn poll_of(tx: &Connection, id: Id) -> Result<Poll, ClientError> {
    load(tx, "SELECT json FROM polls WHERE id = ?1", id)?
        .ok_or_else(|| ClientError::NotFound(format!("poll {id}")))
}

fn speak_of(tx: &Connection, id: Id) -> Result<SpeakRequest, ClientError> {
    load(tx, "SELECT json FROM speak_requests WHERE id = ?1", id)?
        .ok_or_else(|| ClientError::NotFound(format!("request to speak {id}")))
}

fn progress_of(tx: &Connection, meeting: Id) -> Result<MeetingProgress, ClientError> {
    Ok(load(
        tx,
        "SELECT json FROM progress WHERE meeting_id = ?1",
        meeting,
    )?
    .unwrap_or(MeetingProgress {
        meeting_id: meeting,
        current_item: None,
        item_started_at: None,
        presentation: None,
        version: 0,
    }))
}

/// What the client can tell before the server about a live-meeting op.
pub(super) fn check_local(tx: &Connection, me: &User, op: &Op) -> Result<(), ClientError> {
    match op {
        Op::BallotCast {
            poll_id,
            voter_id,
            choices,
            ..
        } => {
            let poll = poll_of(tx, *poll_id)?;
            poll.spec
                .validate_choices(choices)
                .map_err(ClientError::Invalid)?;
            let now = Timestamp::now_utc();
            match poll.status {
                PollStatus::Draft => {
                    return Err(ClientError::Invalid("the poll is not open yet".into()));
                }
                PollStatus::Closed if poll.deadline().is_some_and(|d| now > d) => {
                    return Err(ClientError::Invalid(
                        poll.accepts_ballot_at(now, now)
                            .err()
                            .unwrap_or_else(|| "the poll is closed".into()),
                    ));
                }
                _ => {}
            }
            let existing: Option<Ballot> = tx
                .query_row(
                    "SELECT json FROM ballots WHERE poll_id = ?1 AND voter_id = ?2",
                    params![poll_id.to_string(), voter_id.to_string()],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .map(|j| from_json(&j))
                .transpose()?;
            if existing.is_some() && !poll.spec.allow_recast {
                return Err(ClientError::AlreadyVoted(if *voter_id == me.id {
                    "you have voted already: one ballot per voter".into()
                } else {
                    "this member's ballot was cast already".into()
                }));
            }
            Ok(())
        }
        Op::SpeakWithdraw { request_id }
        | Op::SpeakGrant { request_id, .. }
        | Op::SpeakEnd { request_id } => speak_of(tx, *request_id).map(|_| ()),
        Op::PollOpen { poll_id } | Op::PollClose { poll_id } => poll_of(tx, *poll_id).map(|_| ()),
        Op::OpinionAnswer { ballot_id, .. } => {
            let b: OpinionBallot = load(tx, "SELECT json FROM opinions WHERE id = ?1", *ballot_id)?
                .ok_or_else(|| ClientError::NotFound(format!("ballot {ballot_id}")))?;
            if Timestamp::now_utc() > b.deadline {
                return Err(ClientError::Invalid(format!(
                    "the ballot closed at {}",
                    phonghop_domain::opinion::vn_time(b.deadline)
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The local effect of a live-meeting op, mirroring the server. Rows keep the version
/// they had, so the server's next state (same version or newer) replaces them.
pub(super) fn apply_local(tx: &Connection, me: &User, op: &Op) -> Result<(), ClientError> {
    let now = Timestamp::now_utc();
    match op {
        Op::AttendanceSet {
            meeting_id,
            user_id,
            state,
        } => {
            let version = version_of(
                tx,
                "SELECT version FROM presence WHERE meeting_id = ?1 AND user_id = ?2",
                params![meeting_id.to_string(), user_id.to_string()],
            )?;
            put_presence(
                tx,
                &Presence {
                    meeting_id: *meeting_id,
                    user_id: *user_id,
                    state: state.clone(),
                    set_by: me.id,
                    at: now,
                    version,
                },
            )?;
        }
        Op::SpeakRequest {
            request_id,
            meeting_id,
            kind,
            item_id,
        } => {
            if load::<SpeakRequest>(
                tx,
                "SELECT json FROM speak_requests WHERE id = ?1",
                *request_id,
            )?
            .is_some()
            {
                return Ok(());
            }
            put_speak(
                tx,
                &SpeakRequest {
                    id: *request_id,
                    meeting_id: *meeting_id,
                    item_id: *item_id,
                    user_id: me.id,
                    kind: *kind,
                    status: SpeakStatus::Waiting,
                    order: u64::MAX,
                    requested_at: now,
                    granted_at: None,
                    ended_at: None,
                    limit_seconds: None,
                    version: 0,
                },
            )?;
        }
        Op::SpeakWithdraw { request_id } | Op::SpeakEnd { request_id } => {
            let mut r = speak_of(tx, *request_id)?;
            r.status = if matches!(op, Op::SpeakWithdraw { .. }) {
                SpeakStatus::Withdrawn
            } else {
                SpeakStatus::Done
            };
            r.ended_at = Some(now);
            put_speak(tx, &r)?;
        }
        Op::SpeakGrant {
            request_id,
            limit_seconds,
        } => {
            let mut r = speak_of(tx, *request_id)?;
            let current: Vec<SpeakRequest> = {
                let mut stmt =
                    tx.prepare("SELECT json FROM speak_requests WHERE meeting_id = ?1")?;
                let rows =
                    stmt.query_map([r.meeting_id.to_string()], |row| row.get::<_, String>(0))?;
                rows.map(|j| from_json(&j?))
                    .collect::<rusqlite::Result<_>>()?
            };
            for mut c in current
                .into_iter()
                .filter(|c| c.status == SpeakStatus::Speaking)
            {
                c.status = SpeakStatus::Done;
                c.ended_at = Some(now);
                put_speak(tx, &c)?;
            }
            r.status = SpeakStatus::Speaking;
            r.granted_at = Some(now);
            r.limit_seconds = *limit_seconds;
            put_speak(tx, &r)?;
        }
        Op::AgendaCurrent {
            meeting_id,
            item_id,
        } => {
            let mut g = progress_of(tx, *meeting_id)?;
            g.current_item = *item_id;
            g.item_started_at = item_id.map(|_| now);
            g.presentation = None;
            put_progress(tx, &g)?;
        }
        Op::PresentPage {
            meeting_id,
            document_id,
            page,
        } => {
            let mut g = progress_of(tx, *meeting_id)?;
            g.presentation = Some(Presentation {
                presenter_id: me.id,
                document_id: *document_id,
                page: *page,
                at: now,
            });
            put_progress(tx, &g)?;
        }
        Op::PresentStop { meeting_id } => {
            let mut g = progress_of(tx, *meeting_id)?;
            g.presentation = None;
            put_progress(tx, &g)?;
        }
        Op::PollCreate {
            poll_id,
            meeting_id,
            item_id,
            spec,
        } => {
            if load::<Poll>(tx, "SELECT json FROM polls WHERE id = ?1", *poll_id)?.is_some() {
                return Ok(());
            }
            put_poll(
                tx,
                &Poll {
                    id: *poll_id,
                    meeting_id: *meeting_id,
                    item_id: *item_id,
                    spec: spec.clone(),
                    status: PollStatus::Draft,
                    opened_at: None,
                    closes_at: None,
                    closed_at: None,
                    tally: Tally {
                        cast: 0,
                        votes: None,
                    },
                    result: None,
                    created_by: me.id,
                    version: 0,
                },
            )?;
        }
        Op::PollOpen { poll_id } => {
            let mut p = poll_of(tx, *poll_id)?;
            if p.status == PollStatus::Draft {
                p.status = PollStatus::Open;
                p.opened_at = Some(now);
                p.closes_at = p
                    .spec
                    .duration_seconds
                    .map(|d| now + time::Duration::seconds(i64::from(d)));
            }
            put_poll(tx, &p)?;
        }
        Op::PollClose { poll_id } => {
            let mut p = poll_of(tx, *poll_id)?;
            if p.status == PollStatus::Open {
                p.status = PollStatus::Closed;
                p.closed_at = Some(now);
            }
            put_poll(tx, &p)?;
        }
        Op::BallotCast {
            poll_id,
            voter_id,
            choices,
            cast_at,
            ..
        } => {
            let p = poll_of(tx, *poll_id)?;
            let version = version_of(
                tx,
                "SELECT version FROM ballots WHERE poll_id = ?1 AND voter_id = ?2",
                params![poll_id.to_string(), voter_id.to_string()],
            )?;
            put_ballot(
                tx,
                &Ballot {
                    poll_id: *poll_id,
                    meeting_id: p.meeting_id,
                    voter_id: *voter_id,
                    cast_by: me.id,
                    choices: Some(choices.clone()),
                    cast_at: Some(*cast_at),
                    version,
                },
            )?;
        }
        Op::OpinionCreate {
            ballot_id,
            meeting_id,
            document_id,
            question,
            days,
        } => {
            if load::<OpinionBallot>(tx, "SELECT json FROM opinions WHERE id = ?1", *ballot_id)?
                .is_some()
            {
                return Ok(());
            }
            put_opinion(
                tx,
                &OpinionBallot {
                    id: *ballot_id,
                    meeting_id: *meeting_id,
                    document_id: *document_id,
                    question: question.trim().into(),
                    created_by: me.id,
                    opened_at: now,
                    deadline: now + time::Duration::days(i64::from(*days)),
                    version: 0,
                },
            )?;
        }
        Op::OpinionAnswer {
            ballot_id,
            choice,
            comment,
            answered_at,
            device_id,
            signature,
        } => {
            let b: OpinionBallot = load(tx, "SELECT json FROM opinions WHERE id = ?1", *ballot_id)?
                .ok_or_else(|| ClientError::NotFound(format!("ballot {ballot_id}")))?;
            let version = version_of(
                tx,
                "SELECT version FROM opinion_answers WHERE ballot_id = ?1 AND user_id = ?2",
                params![ballot_id.to_string(), me.id.to_string()],
            )?;
            put_answer(
                tx,
                &OpinionAnswer {
                    ballot_id: *ballot_id,
                    meeting_id: b.meeting_id,
                    user_id: me.id,
                    choice: *choice,
                    comment: comment.clone(),
                    answered_at: *answered_at,
                    device_id: *device_id,
                    signature: signature.clone(),
                    version,
                },
            )?;
        }
        _ => {}
    }
    Ok(())
}

// ---- reads -----------------------------------------------------------------------------

fn rows<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<T>, ClientError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| r.get::<_, String>(0))?;
    rows.map(|j| Ok(from_json(&j?)?)).collect()
}

pub(super) fn polls(conn: &Connection, meeting: Option<Id>) -> Result<Vec<Poll>, ClientError> {
    let mut ps: Vec<Poll> = match meeting {
        Some(m) => rows(
            conn,
            "SELECT json FROM polls WHERE meeting_id = ?1",
            [m.to_string()],
        )?,
        None => rows(conn, "SELECT json FROM polls", [])?,
    };
    ps.sort_by_key(|p| (p.opened_at.is_none(), p.opened_at, p.id));
    Ok(ps)
}

pub(super) fn ballots_of(conn: &Connection, poll: Id) -> Result<Vec<Ballot>, ClientError> {
    rows(
        conn,
        "SELECT json FROM ballots WHERE poll_id = ?1",
        [poll.to_string()],
    )
}

pub(super) fn presence(conn: &Connection, meeting: Id) -> Result<Vec<Presence>, ClientError> {
    rows(
        conn,
        "SELECT json FROM presence WHERE meeting_id = ?1",
        [meeting.to_string()],
    )
}

pub(super) fn attendance_summary(
    members: &[Membership],
    presence: &[Presence],
) -> AttendanceSummary {
    let entries: Vec<RosterEntry> = members
        .iter()
        .map(|m| RosterEntry {
            user_id: m.user_id,
            role: m.role,
            state: presence
                .iter()
                .find(|p| p.user_id == m.user_id)
                .map(|p| p.state.clone()),
        })
        .collect();
    Roster::new(&entries).summary()
}

pub(super) fn speak_requests(
    conn: &Connection,
    meeting: Id,
) -> Result<Vec<SpeakRequest>, ClientError> {
    rows(
        conn,
        "SELECT json FROM speak_requests WHERE meeting_id = ?1",
        [meeting.to_string()],
    )
}

pub(super) fn progress(
    conn: &Connection,
    meeting: Id,
) -> Result<Option<MeetingProgress>, ClientError> {
    Ok(rows(
        conn,
        "SELECT json FROM progress WHERE meeting_id = ?1",
        [meeting.to_string()],
    )?
    .pop())
}

pub(super) fn opinions(conn: &Connection) -> Result<Vec<OpinionBallot>, ClientError> {
    let mut os: Vec<OpinionBallot> = rows(conn, "SELECT json FROM opinions", [])?;
    os.sort_by_key(|o| (o.deadline, o.id));
    Ok(os)
}

pub(super) fn answers(conn: &Connection, ballot: Id) -> Result<Vec<OpinionAnswer>, ClientError> {
    rows(
        conn,
        "SELECT json FROM opinion_answers WHERE ballot_id = ?1",
        [ballot.to_string()],
    )
}

/// How an attendance state reads in Vietnamese; none recorded yet: chưa điểm danh.
pub fn state_label(state: Option<&AttendanceState>) -> &'static str {
    state.map_or("chưa điểm danh", AttendanceState::label_vi)
}
