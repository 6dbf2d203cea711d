//! The SQLite backend: WAL, one writer connection and a few readers, migrations with a
//! recorded schema version (`PRAGMA user_version`).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use phonghop_domain::sync::DeviceInfo;
use phonghop_domain::{
    AgendaItem, Annotation, Attendance, Change, ChangesPage, Classification, Document,
    DocumentKind, DocumentVersion, ErrorCode, Id, Meeting, MeetingKind, MeetingRole, MeetingStatus,
    Membership, Note, Op, OpEnvelope, OpOutcome, OpResult, OrgUnit, Sha256, SignatureSummary,
    Timestamp, User,
};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::format_description::well_known::Rfc3339;

use super::{
    Applied, AuditEntry, BlobRecord, LiveChange, MeetingBrief, NewUser, SessionRecord, Store,
    StoreError, StoreResult, VideoInvitation,
};
use crate::audit;

#[path = "sqlite_live.rs"]
mod live;

/// Never edit a migration after it landed; add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_audit_append_only.sql"),
    include_str!("migrations/0003_video.sql"),
    include_str!("migrations/0004_annotations.sql"),
    include_str!("migrations/0005_live_meeting.sql"),
    include_str!("migrations/0006_version_classification.sql"),
    include_str!("migrations/0007_devices_per_user.sql"),
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

const READERS: usize = 4;

pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    /// Batches of ops waiting for the writer (group commit).
    queue: Mutex<Vec<Arc<Job>>>,
    stop_checkpoints: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.stop_checkpoints
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// One caller's batch of ops, and its result once applied.
struct Job {
    actor: User,
    ops: Vec<OpEnvelope>,
    result: Mutex<Option<StoreResult<Applied>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Applies the jobs in one transaction, each within its own savepoint: a job that fails
/// for a storage reason is undone alone. If the commit fails, every job fails.
fn apply_jobs(conn: &mut Connection, jobs: &[Arc<Job>]) -> Vec<StoreResult<Applied>> {
    let failed_all = |e: &dyn std::fmt::Display| {
        jobs.iter()
            .map(|_| Err(StoreError::Backend(e.to_string())))
            .collect()
    };
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return failed_all(&e),
    };
    let mut out: Vec<StoreResult<Applied>> = Vec::with_capacity(jobs.len());
    let mut touched = Vec::new();
    for job in jobs {
        if let Err(e) = tx.execute_batch("SAVEPOINT job") {
            return failed_all(&e);
        }
        match apply_job(&tx, &job.actor, &job.ops) {
            Ok((applied, mut t)) => {
                if let Err(e) = tx.execute_batch("RELEASE job") {
                    return failed_all(&e);
                }
                touched.append(&mut t);
                out.push(Ok(applied));
            }
            Err(e) => {
                if let Err(e2) = tx.execute_batch("ROLLBACK TO job; RELEASE job") {
                    return failed_all(&e2);
                }
                out.push(Err(e));
            }
        }
    }
    // The newest state of everything the group touched, loaded once, rides with the last
    // caller's answer: the live channel keeps only the newest state of each anyway. So
    // does any change of audience in the group: that caller publishes the events, and
    // must widen or narrow who hears them first (a member removed by another caller in
    // the group must not hear them).
    let audience_changed = out
        .iter()
        .any(|r| r.as_ref().is_ok_and(|a| a.audience_changed));
    match live::load_touched(&tx, touched) {
        Ok(changes) => {
            if let Some(Ok(last)) = out.iter_mut().rev().find(|r| r.is_ok()) {
                last.live = changes;
                last.audience_changed |= audience_changed;
            }
        }
        Err(e) => return failed_all(&e),
    }
    let committing = std::time::Instant::now();
    let committed = tx.commit();
    tracing::trace!(ms = committing.elapsed().as_secs_f64() * 1e3, "commit");
    match committed {
        Ok(()) => out,
        Err(e) => failed_all(&e),
    }
}

/// One caller's ops, in order, each at most once and atomically with its audit row; the
/// live-meeting entities they touched are loaded once per group (see `apply_jobs`).
fn apply_job(
    tx: &Connection,
    actor: &User,
    ops: &[OpEnvelope],
) -> StoreResult<(Applied, Vec<live::Touched>)> {
    let mut results = Vec::with_capacity(ops.len());
    let mut touched = Vec::new();
    let mut audience_changed = false;
    for env in ops {
        let seen: Option<(String, String)> = tx
            .prepare_cached("SELECT user_id, outcome FROM applied_ops WHERE op_id = ?1")?
            .query_row([env.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((by, stored)) = seen {
            // A resend (its first answer was lost) learns the first outcome: an op refused
            // then is refused again, with its reason, or the device would take the refusal
            // for an acknowledgement and keep showing, say, a vote that never counted.
            let outcome = match serde_json::from_str::<OpOutcome>(&stored) {
                Ok(rejected @ OpOutcome::Rejected { .. }) if by == actor.id.to_string() => rejected,
                _ => OpOutcome::Duplicate,
            };
            results.push(OpResult {
                id: env.id,
                outcome,
            });
            continue;
        }
        tx.execute_batch("SAVEPOINT op")?;
        let mut op_touched = Vec::new();
        let outcome = match apply_one(tx, actor, &env.op, &mut op_touched) {
            Ok(()) => {
                touched.append(&mut op_touched);
                audience_changed |= env.op.prepares_meeting();
                tx.execute_batch("RELEASE op")?;
                OpOutcome::Accepted
            }
            Err(OpError::Rejected(code, message)) => {
                tx.execute_batch("ROLLBACK TO op; RELEASE op")?;
                OpOutcome::Rejected { code, message }
            }
            Err(OpError::Store(e)) => return Err(e.into()),
        };
        tx.prepare_cached(
            "INSERT INTO applied_ops (op_id, user_id, kind, outcome, applied_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            env.id.to_string(),
            actor.id.to_string(),
            env.op.kind(),
            serde_json::to_string(&outcome).unwrap_or_default(),
            ts(now())
        ])?;
        append_audit(
            tx,
            &actor.username,
            &format!("op.{}", env.op.kind()),
            &serde_json::json!({"id": env.id, "op": env.op.audit_view(), "outcome": outcome}),
        )?;
        results.push(OpResult {
            id: env.id,
            outcome,
        });
    }
    Ok((
        Applied {
            results,
            live: Vec::new(),
            audience_changed,
        },
        touched,
    ))
}

fn open_connection(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // FULL: an acknowledged op survives a power cut, not only a crash.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    )?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database. A database written by a
    /// newer server is refused untouched.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let mut writer = open_connection(path)?;
        migrate(&mut writer)?;
        // Checkpoints run beside the writer (below), not inside a commit that someone's
        // ballot waits for; the writer does one itself only if the WAL grows very large.
        writer.execute_batch("PRAGMA wal_autocheckpoint = 20000;")?;
        let readers = (0..READERS)
            .map(|_| open_connection(path).map(Mutex::new))
            .collect::<StoreResult<Vec<_>>>()?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let checkpointer = open_connection(path)?;
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Acquire) {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    let _ = checkpointer.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the checkpointer: {e}")))?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
            queue: Mutex::new(Vec::new()),
            stop_checkpoints: stop,
        })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return guard;
            }
        }
        let i = rand::random::<usize>() % self.readers.len();
        self.readers[i]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

// ---- value conversions -------------------------------------------------------------

fn to_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn from_text<T: DeserializeOwned>(s: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.clone())).map_err(|e| bad_column(&s, e))
}

fn from_json<T: DeserializeOwned>(s: String) -> rusqlite::Result<T> {
    serde_json::from_str(&s).map_err(|e| bad_column(&s, e))
}

fn bad_column(value: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unreadable stored value {value:?}: {e}").into(),
    )
}

fn ts(t: Timestamp) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn parse_ts(s: String) -> rusqlite::Result<Timestamp> {
    Timestamp::parse(&s, &Rfc3339).map_err(|e| bad_column(&s, e))
}

fn parse_id(s: String) -> rusqlite::Result<Id> {
    Id::parse_str(&s).map_err(|e| bad_column(&s, e))
}

fn opt_id(s: Option<String>) -> rusqlite::Result<Option<Id>> {
    s.map(parse_id).transpose()
}

fn now() -> Timestamp {
    Timestamp::now_utc()
}

const USER_COLS: &str = "id, username, full_name, role, title, org_unit_id, disabled";

fn user_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: parse_id(r.get(at)?)?,
        username: r.get(at + 1)?,
        full_name: r.get(at + 2)?,
        role: from_text(r.get(at + 3)?)?,
        title: r.get(at + 4)?,
        org_unit_id: opt_id(r.get(at + 5)?)?,
        disabled: r.get(at + 6)?,
    })
}

fn meeting_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Meeting> {
    Ok(Meeting {
        id: parse_id(r.get(at)?)?,
        title: r.get(at + 1)?,
        kind: from_text::<MeetingKind>(r.get(at + 2)?)?,
        room: r.get(at + 3)?,
        starts_at: parse_ts(r.get(at + 4)?)?,
        ends_at: parse_ts(r.get(at + 5)?)?,
        status: from_text::<MeetingStatus>(r.get(at + 6)?)?,
        org_unit_id: opt_id(r.get(at + 7)?)?,
    })
}

fn item_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<AgendaItem> {
    Ok(AgendaItem {
        id: parse_id(r.get(at)?)?,
        meeting_id: parse_id(r.get(at + 1)?)?,
        position: r.get(at + 2)?,
        title: r.get(at + 3)?,
        presenter: r.get(at + 4)?,
        planned_minutes: r.get(at + 5)?,
    })
}

/// The versions of a document the viewer may read: confidential ones only with
/// `confidential` access (a version keeps the classification it was attached with).
fn versions_of(
    conn: &Connection,
    document_id: &str,
    confidential: bool,
) -> rusqlite::Result<Vec<DocumentVersion>> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, sha256, size, pages, added_at, signature FROM document_versions
         WHERE document_id = ?1 AND (?2 OR classification != 'confidential') ORDER BY version",
    )?;
    let rows = stmt.query_map(params![document_id, confidential], |r| {
        Ok(DocumentVersion {
            version: r.get(0)?,
            sha256: from_text::<Sha256>(r.get(1)?)?,
            size: r.get(2)?,
            pages: r.get(3)?,
            added_at: parse_ts(r.get(4)?)?,
            signature: from_json(r.get(5)?)?,
        })
    })?;
    rows.collect()
}

// ---- the feed --------------------------------------------------------------------------

/// One kind of row in the feed. `sql` selects `eff` (the sequence number at which the
/// viewer should learn of the row: its own change, or when the viewer gained access to its
/// meeting, whichever is later) followed by the columns `map` reads. Parameters:
/// ?1 = since, ?2 = viewer id.
struct Source {
    sql: &'static str,
    map: fn(&Connection, &Row<'_>) -> rusqlite::Result<Change>,
}

const SOURCES: &[Source] = &[
    Source {
        sql: "SELECT seq AS eff, id, username, full_name, role, title, org_unit_id, disabled FROM users WHERE seq > ?1",
        map: |_, r| Ok(Change::User(user_from_row(r, 1)?)),
    },
    Source {
        sql: "SELECT seq AS eff, id, name, parent_id FROM org_units WHERE seq > ?1",
        map: |_, r| {
            Ok(Change::OrgUnit(OrgUnit {
                id: parse_id(r.get(1)?)?,
                name: r.get(2)?,
                parent_id: opt_id(r.get(3)?)?,
            }))
        },
    },
    Source {
        sql: "SELECT max(m.seq, v.access_start) AS eff, m.id, m.title, m.kind, m.room, m.starts_at, m.ends_at,
                     m.status, m.org_unit_id
              FROM meetings m JOIN temp.vis v ON v.meeting_id = m.id",
        map: |_, r| Ok(Change::Meeting(meeting_from_row(r, 1)?)),
    },
    Source {
        sql: "SELECT max(x.seq, v.access_start) AS eff, x.meeting_id, x.user_id, x.role, x.attendance, x.removed
              FROM members x JOIN temp.vis v ON v.meeting_id = x.meeting_id",
        map: |_, r| {
            let meeting_id = parse_id(r.get(1)?)?;
            let user_id = parse_id(r.get(2)?)?;
            if r.get::<_, bool>(5)? {
                return Ok(Change::MemberRemoved { meeting_id, user_id });
            }
            Ok(Change::Member(Membership {
                meeting_id,
                user_id,
                role: from_text::<MeetingRole>(r.get(3)?)?,
                attendance: from_text::<Attendance>(r.get(4)?)?,
            }))
        },
    },
    Source {
        sql: "SELECT max(x.seq, v.access_start) AS eff, x.id, x.meeting_id, x.position, x.title, x.presenter,
                     x.planned_minutes, x.removed
              FROM agenda_items x JOIN temp.vis v ON v.meeting_id = x.meeting_id",
        map: |_, r| {
            let item = item_from_row(r, 1)?;
            if r.get::<_, bool>(7)? {
                return Ok(Change::AgendaItemRemoved { meeting_id: item.meeting_id, item_id: item.id });
            }
            Ok(Change::AgendaItem(item))
        },
    },
    Source {
        // A document public now may have confidential earlier versions: a viewer who
        // gains confidential access learns of it again, with them, and a secretary or
        // admin who loses it (removed as a member) again, without them.
        sql: "SELECT max(d.seq, v.access_start,
                         CASE WHEN d.classification = 'confidential'
                                   OR EXISTS (SELECT 1 FROM document_versions dv WHERE dv.document_id = d.id
                                                AND dv.classification = 'confidential')
                              THEN max(coalesce(v.conf_start, 0), CASE WHEN x.removed = 1 THEN x.seq ELSE 0 END)
                              ELSE 0 END) AS eff,
                     d.id, d.meeting_id, d.item_id, d.title, d.kind, d.classification, d.removed,
                     v.conf_start IS NOT NULL
              FROM documents d JOIN temp.vis v ON v.meeting_id = d.meeting_id
              LEFT JOIN members x ON x.meeting_id = d.meeting_id AND x.user_id = ?2
              WHERE d.classification != 'confidential' OR v.conf_start IS NOT NULL",
        map: |conn, r| {
            let id: String = r.get(1)?;
            let meeting_id = parse_id(r.get(2)?)?;
            if r.get::<_, bool>(7)? {
                return Ok(Change::DocumentRemoved { meeting_id, document_id: parse_id(id)? });
            }
            Ok(Change::Document(Document {
                versions: versions_of(conn, &id, r.get(8)?)?,
                id: parse_id(id)?,
                meeting_id,
                item_id: parse_id(r.get(3)?)?,
                title: r.get(4)?,
                kind: from_text::<DocumentKind>(r.get(5)?)?,
                classification: from_text::<Classification>(r.get(6)?)?,
            }))
        },
    },
    // A viewer who sees a meeting but not its confidential documents (a secretary or
    // admin who is no member, or no longer one) must still drop what it had: the
    // confidential documents, once it is removed as a member or once a new version makes
    // a document confidential. (Anyone else who loses a meeting gets `meeting_revoked`.)
    Source {
        sql: "SELECT max(d.seq, CASE WHEN x.removed = 1 THEN x.seq ELSE 0 END) AS eff, d.id, d.meeting_id
              FROM documents d JOIN temp.vis v ON v.meeting_id = d.meeting_id AND v.conf_start IS NULL
              LEFT JOIN members x ON x.meeting_id = d.meeting_id AND x.user_id = ?2
              WHERE d.classification = 'confidential'
                AND (x.removed = 1
                     OR EXISTS (SELECT 1 FROM document_versions dv
                                WHERE dv.document_id = d.id AND dv.version > 1))",
        map: |_, r| {
            Ok(Change::DocumentRemoved {
                document_id: parse_id(r.get(1)?)?,
                meeting_id: parse_id(r.get(2)?)?,
            })
        },
    },
    // Others' shared annotations are for members: a secretary removed as a member
    // (who keeps seeing the meeting) drops them at its removal.
    Source {
        sql: "SELECT x.seq AS eff, a.id
              FROM members x JOIN temp.vis v ON v.meeting_id = x.meeting_id AND v.conf_start IS NULL
              JOIN annotations a ON a.meeting_id = x.meeting_id AND a.owner_id != ?2 AND a.ever_shared = 1
              WHERE x.user_id = ?2 AND x.removed = 1 AND x.seq > ?1",
        map: |_, r| {
            Ok(Change::AnnotationDeleted {
                annotation_id: parse_id(r.get(1)?)?,
            })
        },
    },
    Source {
        sql: "SELECT seq AS eff, id, owner_id, meeting_id, text, updated_at, deleted FROM notes
              WHERE owner_id = ?2 AND seq > ?1",
        map: |_, r| {
            let note_id = parse_id(r.get(1)?)?;
            if r.get::<_, bool>(6)? {
                return Ok(Change::NoteDeleted { note_id });
            }
            Ok(Change::Note(Note {
                id: note_id,
                owner_id: parse_id(r.get(2)?)?,
                meeting_id: opt_id(r.get(3)?)?,
                text: r.get(4)?,
                updated_at: parse_ts(r.get(5)?)?,
            }))
        },
    },
    // The viewer's own annotations wherever they are; others' where they were ever
    // shared in a meeting the viewer is a member of (unsharing and deleting reach them
    // as tombstones).
    Source {
        sql: "SELECT seq AS eff, id, owner_id, meeting_id, document_id, version, page, shared, body,
                     updated_at, deleted, 1 AS own, 0 AS gone
              FROM annotations WHERE owner_id = ?2 AND seq > ?1
              UNION ALL
              SELECT max(a.seq, v.conf_start) AS eff, a.id, a.owner_id, a.meeting_id, a.document_id,
                     a.version, a.page, a.shared, a.body, a.updated_at, a.deleted, 0 AS own,
                     d.removed AS gone
              FROM annotations a JOIN temp.vis v ON v.meeting_id = a.meeting_id
              JOIN documents d ON d.id = a.document_id
              WHERE a.owner_id != ?2 AND a.ever_shared = 1 AND v.conf_start IS NOT NULL",
        map: |_, r| {
            let annotation_id = parse_id(r.get(1)?)?;
            let (shared, deleted, own): (bool, bool, bool) = (r.get(7)?, r.get(10)?, r.get(11)?);
            // Others' annotations on a removed document go with it: someone who joins
            // the meeting later gets no comments on a withdrawn document.
            let gone: bool = r.get(12)?;
            if deleted || gone || !(own || shared) {
                return Ok(Change::AnnotationDeleted { annotation_id });
            }
            Ok(Change::Annotation(Annotation {
                id: annotation_id,
                owner_id: parse_id(r.get(2)?)?,
                meeting_id: parse_id(r.get(3)?)?,
                document_id: parse_id(r.get(4)?)?,
                version: r.get(5)?,
                page: r.get(6)?,
                shared,
                body: from_json(r.get(8)?)?,
                updated_at: parse_ts(r.get(9)?)?,
            }))
        },
    },
    Source {
        sql: "SELECT seq AS eff, meeting_id FROM members
              WHERE user_id = ?2 AND removed = 1 AND seq > ?1
                AND meeting_id NOT IN (SELECT meeting_id FROM temp.vis)",
        map: |_, r| Ok(Change::MeetingRevoked { meeting_id: parse_id(r.get(1)?)? }),
    },
    live::POLLS,
    live::BALLOTS,
    live::SECRET_BALLOTS,
    live::PRESENCE,
    live::SPEAK_REQUESTS,
    live::PROGRESS,
    live::OPINIONS,
    live::OPINION_ANSWERS,
];

fn fill_visibility(conn: &Connection, viewer: &User) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS vis (meeting_id TEXT PRIMARY KEY, access_start INTEGER NOT NULL, conf_start INTEGER);
         DELETE FROM temp.vis;",
    )?;
    let viewer_id = viewer.id.to_string();
    if viewer.role.prepares_meetings() {
        // Secretaries and admins see every meeting, drafts included; confidential
        // documents only where they are members themselves.
        conn.execute(
            "INSERT INTO temp.vis SELECT m.id, 0, CASE WHEN x.removed = 0 THEN x.granted_seq END
             FROM meetings m LEFT JOIN members x ON x.meeting_id = m.id AND x.user_id = ?1",
            [&viewer_id],
        )?;
    } else {
        conn.execute(
            "INSERT INTO temp.vis SELECT m.id, max(x.granted_seq, m.published_seq), max(x.granted_seq, m.published_seq)
             FROM meetings m JOIN members x ON x.meeting_id = m.id AND x.user_id = ?1 AND x.removed = 0
             WHERE m.status != 'draft' AND m.published_seq IS NOT NULL",
            [&viewer_id],
        )?;
    }
    Ok(())
}

/// Whether `viewer` may read the file: they uploaded it, or it belongs to a document they
/// see (confidential ones only as members). Also what `document.attach` asks, so that
/// knowing a file's hash never gets anyone a copy (by attaching it where they can see it).
fn blob_readable(conn: &Connection, viewer: &User, sha256: &str) -> rusqlite::Result<bool> {
    let uploaded = conn
        .prepare_cached("SELECT 1 FROM blob_uploaders WHERE sha256 = ?1 AND user_id = ?2")?
        .query_row(params![sha256, viewer.id.to_string()], |_| Ok(()))
        .optional()?
        .is_some();
    if uploaded {
        return Ok(true);
    }
    fill_visibility(conn, viewer)?;
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM document_versions dv JOIN documents d ON d.id = dv.document_id
             JOIN temp.vis v ON v.meeting_id = d.meeting_id
             WHERE dv.sha256 = ?1 AND d.removed = 0
               AND ((d.classification != 'confidential' AND dv.classification != 'confidential')
                    OR v.conf_start IS NOT NULL) LIMIT 1",
        )?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

fn feed_page(
    conn: &Connection,
    viewer: &User,
    since: u64,
    limit: usize,
) -> rusqlite::Result<ChangesPage> {
    let limit = limit.clamp(1, 5000);
    let viewer_id = viewer.id.to_string();
    let head: u64 = conn.query_row("SELECT value FROM seq", [], |r| r.get(0))?;
    fill_visibility(conn, viewer)?;

    // Phase 1: the smallest `limit` positions over all sources give the page's bound.
    // A page never splits the rows of one position, so the cursor never skips any.
    let mut positions: Vec<u64> = Vec::new();
    for s in SOURCES {
        let sql = format!(
            "SELECT eff FROM ({}) WHERE eff > ?1 ORDER BY eff LIMIT ?3",
            s.sql
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![since, viewer_id, limit], |r| r.get::<_, u64>(0))?;
        for p in rows {
            positions.push(p?);
        }
    }
    positions.sort_unstable();
    let Some(&bound) = positions.get(limit - 1).or(positions.last()) else {
        return Ok(ChangesPage {
            changes: Vec::new(),
            cursor: head.max(since),
            more: false,
        });
    };

    let mut rows: Vec<(u64, usize, Change)> = Vec::new();
    let mut more = false;
    for (i, s) in SOURCES.iter().enumerate() {
        let sql = format!(
            "SELECT * FROM ({}) WHERE eff > ?1 AND eff <= ?3 ORDER BY eff",
            s.sql
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut q = stmt.query(params![since, viewer_id, bound])?;
        while let Some(r) = q.next()? {
            rows.push((r.get(0)?, i, (s.map)(conn, r)?));
        }
        if !more {
            let sql = format!("SELECT 1 FROM ({}) WHERE eff > ?3 LIMIT 1", s.sql);
            more = conn
                .prepare_cached(&sql)?
                .query_row(params![since, viewer_id, bound], |_| Ok(()))
                .optional()?
                .is_some();
        }
    }
    // Within one position: users and meetings before what hangs off them.
    rows.sort_by_key(|(eff, source, _)| (*eff, *source));
    let cursor = if more { bound } else { head.max(bound) };
    Ok(ChangesPage {
        changes: rows.into_iter().map(|(_, _, c)| c).collect(),
        cursor,
        more,
    })
}

// ---- ops -------------------------------------------------------------------------------

enum OpError {
    Rejected(ErrorCode, String),
    Store(rusqlite::Error),
}

impl From<rusqlite::Error> for OpError {
    fn from(e: rusqlite::Error) -> Self {
        OpError::Store(e)
    }
}

fn reject<T>(code: ErrorCode, message: impl Into<String>) -> Result<T, OpError> {
    Err(OpError::Rejected(code, message.into()))
}

/// Allocates sequence numbers lazily: one per op, shared by every row it touches.
struct Seq<'a> {
    conn: &'a Connection,
    value: Option<u64>,
}

impl Seq<'_> {
    fn get(&mut self) -> rusqlite::Result<u64> {
        if let Some(v) = self.value {
            return Ok(v);
        }
        let v: u64 = self
            .conn
            .prepare_cached("UPDATE seq SET value = value + 1 RETURNING value")?
            .query_row([], |r| r.get(0))?;
        self.value = Some(v);
        Ok(v)
    }
}

fn next_seq(conn: &Connection) -> rusqlite::Result<u64> {
    Seq { conn, value: None }.get()
}

struct MeetingState {
    status: MeetingStatus,
}

fn meeting_state(conn: &Connection, id: Id) -> Result<MeetingState, OpError> {
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM meetings WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    match status {
        None => reject(ErrorCode::NotFound, format!("meeting {id} does not exist")),
        Some(s) => Ok(MeetingState {
            status: from_text(s)?,
        }),
    }
}

/// Why a voter's place cannot change while a vote they took part in is open: their
/// ballot is counted among the members (in a secret poll nothing could take it out).
const VOTED_IN_OPEN_POLL: &str =
    "this member has voted in a poll still open: change their place after it closes";

/// The user's ballot is in a poll of the meeting that is still open.
fn voted_in_open_poll(conn: &Connection, meeting: Id, user: Id) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM poll_voters v JOIN polls p ON p.id = v.poll_id
           WHERE p.meeting_id = ?1 AND p.status = 'open' AND v.voter_id = ?2)",
        params![meeting.to_string(), user.to_string()],
        |r| r.get(0),
    )
}

fn editable_meeting(conn: &Connection, id: Id) -> Result<MeetingState, OpError> {
    let m = meeting_state(conn, id)?;
    if m.status == MeetingStatus::Ended {
        return reject(
            ErrorCode::Conflict,
            "the meeting has ended and can no longer be changed",
        );
    }
    Ok(m)
}

/// The meeting of a live (not removed) agenda item.
fn item_meeting(conn: &Connection, item_id: Id) -> Result<Id, OpError> {
    let meeting: Option<String> = conn
        .query_row(
            "SELECT meeting_id FROM agenda_items WHERE id = ?1 AND removed = 0",
            [item_id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    match meeting {
        None => reject(
            ErrorCode::NotFound,
            format!("agenda item {item_id} does not exist"),
        ),
        Some(m) => Ok(parse_id(m)?),
    }
}

fn item_count(conn: &Connection, meeting_id: Id) -> rusqlite::Result<u32> {
    conn.query_row(
        "SELECT count(*) FROM agenda_items WHERE meeting_id = ?1 AND removed = 0",
        [meeting_id.to_string()],
        |r| r.get(0),
    )
}

/// Moves the item at `from` to `to` (both 1-based, within 1..=n), shifting the others.
fn shift_items(
    conn: &Connection,
    meeting_id: Id,
    from: u32,
    to: u32,
    seq: u64,
) -> rusqlite::Result<()> {
    let m = meeting_id.to_string();
    if to < from {
        conn.execute(
            "UPDATE agenda_items SET position = position + 1, seq = ?4
             WHERE meeting_id = ?1 AND removed = 0 AND position >= ?2 AND position < ?3",
            params![m, to, from, seq],
        )?;
    } else if to > from {
        conn.execute(
            "UPDATE agenda_items SET position = position - 1, seq = ?4
             WHERE meeting_id = ?1 AND removed = 0 AND position > ?2 AND position <= ?3",
            params![m, from, to, seq],
        )?;
    }
    Ok(())
}

fn apply_one(
    conn: &Connection,
    actor: &User,
    op: &Op,
    touched: &mut Vec<live::Touched>,
) -> Result<(), OpError> {
    if let Err(why) = op.validate() {
        return reject(ErrorCode::Validation, why);
    }
    if op.prepares_meeting() && !actor.role.prepares_meetings() {
        return reject(
            ErrorCode::Forbidden,
            format!("only secretaries may {}", op.kind()),
        );
    }
    let mut seq = Seq { conn, value: None };
    if !op.prepares_meeting()
        && !matches!(
            op,
            Op::NotePut { .. }
                | Op::NoteDelete { .. }
                | Op::AnnotationPut { .. }
                | Op::AnnotationDelete { .. }
        )
    {
        return live::apply(conn, actor, op, &mut seq, touched);
    }
    match op {
        Op::MeetingCreate {
            meeting_id,
            title,
            kind,
            room,
            starts_at,
            ends_at,
            org_unit_id,
        } => {
            let exists = conn
                .query_row(
                    "SELECT 1 FROM meetings WHERE id = ?1",
                    [meeting_id.to_string()],
                    |_| Ok(()),
                )
                .optional()?;
            if exists.is_some() {
                return reject(
                    ErrorCode::Conflict,
                    format!("meeting {meeting_id} exists already"),
                );
            }
            // A refusal, not a foreign-key error (a 500 that a client would retry forever).
            if let Some(unit) = org_unit_id
                && conn
                    .query_row(
                        "SELECT 1 FROM org_units WHERE id = ?1",
                        [unit.to_string()],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_none()
            {
                return reject(
                    ErrorCode::NotFound,
                    format!("there is no organisation unit {unit}"),
                );
            }
            let s = seq.get()?;
            conn.execute(
                "INSERT INTO meetings (id, title, kind, room, starts_at, ends_at, status, org_unit_id, created_by, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'draft', ?7, ?8, ?9)",
                params![
                    meeting_id.to_string(),
                    title.trim(),
                    to_text(kind),
                    room.trim(),
                    ts(*starts_at),
                    ts(*ends_at),
                    org_unit_id.map(|o| o.to_string()),
                    actor.id.to_string(),
                    s
                ],
            )?;
            // Whoever prepares a meeting is its secretary.
            conn.execute(
                "INSERT INTO members (meeting_id, user_id, role, attendance, seq, granted_seq, removed)
                 VALUES (?1, ?2, 'secretary', 'in_room', ?3, ?3, 0)",
                params![meeting_id.to_string(), actor.id.to_string(), s],
            )?;
        }
        Op::MeetingUpdate {
            meeting_id,
            title,
            kind,
            room,
            starts_at,
            ends_at,
        } => {
            editable_meeting(conn, *meeting_id)?;
            let (cur_start, cur_end): (String, String) = conn.query_row(
                "SELECT starts_at, ends_at FROM meetings WHERE id = ?1",
                [meeting_id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let start = starts_at.map_or_else(|| parse_ts(cur_start), Ok)?;
            let end = ends_at.map_or_else(|| parse_ts(cur_end), Ok)?;
            if let Err(why) = phonghop_domain::meeting::validate_schedule(start, end) {
                return reject(ErrorCode::Validation, why);
            }
            let s = seq.get()?;
            conn.execute(
                "UPDATE meetings SET title = coalesce(?2, title), kind = coalesce(?3, kind), room = coalesce(?4, room),
                        starts_at = ?5, ends_at = ?6, seq = ?7 WHERE id = ?1",
                params![
                    meeting_id.to_string(),
                    title.as_deref().map(str::trim),
                    kind.map(|k| to_text(&k)),
                    room.as_deref().map(str::trim),
                    ts(start),
                    ts(end),
                    s
                ],
            )?;
        }
        Op::MeetingPublish { meeting_id } => {
            let m = meeting_state(conn, *meeting_id)?;
            if m.status != MeetingStatus::Draft {
                return reject(ErrorCode::Conflict, "the meeting is published already");
            }
            let s = seq.get()?;
            conn.execute(
                "UPDATE meetings SET status = 'published', published_seq = ?2, seq = ?2 WHERE id = ?1",
                params![meeting_id.to_string(), s],
            )?;
        }
        Op::MeetingSetStatus { meeting_id, status } => {
            let m = meeting_state(conn, *meeting_id)?;
            let allowed = matches!(
                (m.status, status),
                (MeetingStatus::Published, MeetingStatus::InProgress)
                    | (
                        MeetingStatus::Published | MeetingStatus::InProgress,
                        MeetingStatus::Ended
                    )
            );
            if !allowed {
                return reject(
                    ErrorCode::Conflict,
                    format!(
                        "a meeting cannot go from {} to {}",
                        to_text(&m.status),
                        to_text(status)
                    ),
                );
            }
            let s = seq.get()?;
            conn.execute(
                "UPDATE meetings SET status = ?2, seq = ?3 WHERE id = ?1",
                params![meeting_id.to_string(), to_text(status), s],
            )?;
            if *status == MeetingStatus::Ended {
                touched.extend(live::close_open_polls(conn, *meeting_id, now(), s)?);
            }
        }
        Op::ItemAdd {
            item_id,
            meeting_id,
            title,
            presenter,
            planned_minutes,
            position,
        } => {
            editable_meeting(conn, *meeting_id)?;
            let exists = conn
                .query_row(
                    "SELECT 1 FROM agenda_items WHERE id = ?1",
                    [item_id.to_string()],
                    |_| Ok(()),
                )
                .optional()?;
            if exists.is_some() {
                return reject(
                    ErrorCode::Conflict,
                    format!("agenda item {item_id} exists already"),
                );
            }
            let n = item_count(conn, *meeting_id)?;
            let pos = position.unwrap_or(n + 1).clamp(1, n + 1);
            let s = seq.get()?;
            conn.execute(
                "UPDATE agenda_items SET position = position + 1, seq = ?3
                 WHERE meeting_id = ?1 AND removed = 0 AND position >= ?2",
                params![meeting_id.to_string(), pos, s],
            )?;
            conn.execute(
                "INSERT INTO agenda_items (id, meeting_id, position, title, presenter, planned_minutes, seq, removed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
                params![
                    item_id.to_string(),
                    meeting_id.to_string(),
                    pos,
                    title.trim(),
                    presenter.trim(),
                    planned_minutes,
                    s
                ],
            )?;
        }
        Op::ItemUpdate {
            item_id,
            title,
            presenter,
            planned_minutes,
        } => {
            let meeting_id = item_meeting(conn, *item_id)?;
            editable_meeting(conn, meeting_id)?;
            let s = seq.get()?;
            conn.execute(
                "UPDATE agenda_items SET title = coalesce(?2, title), presenter = coalesce(?3, presenter),
                        planned_minutes = coalesce(?4, planned_minutes), seq = ?5 WHERE id = ?1",
                params![item_id.to_string(), title.as_deref().map(str::trim), presenter.as_deref().map(str::trim), planned_minutes, s],
            )?;
        }
        Op::ItemMove { item_id, position } => {
            let meeting_id = item_meeting(conn, *item_id)?;
            editable_meeting(conn, meeting_id)?;
            let from: u32 = conn.query_row(
                "SELECT position FROM agenda_items WHERE id = ?1",
                [item_id.to_string()],
                |r| r.get(0),
            )?;
            let to = (*position).clamp(1, item_count(conn, meeting_id)?);
            let s = seq.get()?;
            shift_items(conn, meeting_id, from, to, s)?;
            conn.execute(
                "UPDATE agenda_items SET position = ?2, seq = ?3 WHERE id = ?1",
                params![item_id.to_string(), to, s],
            )?;
        }
        Op::ItemRemove { item_id } => {
            let meeting_id = item_meeting(conn, *item_id)?;
            editable_meeting(conn, meeting_id)?;
            // What the meeting is doing with the item stays true: the current item, a
            // document on screen, a vote or a written opinion would point at nothing.
            let in_use: Option<String> = conn.query_row(
                "SELECT CASE
                   WHEN EXISTS (SELECT 1 FROM meeting_progress WHERE meeting_id = ?2 AND current_item = ?1)
                     THEN 'it is the current item of the meeting; move to another item first'
                   WHEN EXISTS (SELECT 1 FROM meeting_progress WHERE meeting_id = ?2
                                  AND json_extract(presentation, '$.document_id') IN
                                      (SELECT id FROM documents WHERE item_id = ?1))
                     THEN 'one of its documents is being presented; stop the presentation first'
                   WHEN EXISTS (SELECT 1 FROM polls WHERE item_id = ?1 AND status != 'draft')
                     THEN 'it has a vote'
                   WHEN EXISTS (SELECT 1 FROM opinion_ballots WHERE document_id IN
                                  (SELECT id FROM documents WHERE item_id = ?1))
                     THEN 'a written opinion was asked on one of its documents'
                 END",
                params![item_id.to_string(), meeting_id.to_string()],
                |r| r.get(0),
            )?;
            if let Some(why) = in_use {
                return reject(
                    ErrorCode::Conflict,
                    format!("this agenda item cannot be removed: {why}"),
                );
            }
            // A vote prepared on it and never opened stays, on no item.
            let drafts: Vec<String> = {
                let mut stmt = conn.prepare_cached(
                    "SELECT id FROM polls WHERE item_id = ?1 AND status = 'draft'",
                )?;
                let rows = stmt.query_map([item_id.to_string()], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let from: u32 = conn.query_row(
                "SELECT position FROM agenda_items WHERE id = ?1",
                [item_id.to_string()],
                |r| r.get(0),
            )?;
            let n = item_count(conn, meeting_id)?;
            let s = seq.get()?;
            shift_items(conn, meeting_id, from, n, s)?;
            conn.execute(
                "UPDATE agenda_items SET removed = 1, position = 0, seq = ?2 WHERE id = ?1",
                params![item_id.to_string(), s],
            )?;
            conn.execute(
                "UPDATE documents SET removed = 1, seq = ?2 WHERE item_id = ?1 AND removed = 0",
                params![item_id.to_string(), s],
            )?;
            conn.execute(
                "UPDATE polls SET item_id = NULL, seq = ?2 WHERE item_id = ?1 AND status = 'draft'",
                params![item_id.to_string(), s],
            )?;
            for id in drafts {
                touched.push(live::Touched::Poll(parse_id(id)?));
            }
        }
        Op::DocumentAttach {
            document_id,
            item_id,
            title,
            kind,
            classification,
            sha256,
        } => {
            let meeting_id = item_meeting(conn, *item_id)?;
            editable_meeting(conn, meeting_id)?;
            let blob: Option<(u64, u32, String)> = conn
                .query_row(
                    "SELECT size, pages, signature FROM blobs WHERE sha256 = ?1",
                    [sha256.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            // Someone else's file counts only if this secretary may read it already.
            let blob = match blob {
                Some(b) if blob_readable(conn, actor, sha256.as_str())? => Some(b),
                _ => None,
            };
            let Some((size, pages, signature)) = blob else {
                return reject(
                    ErrorCode::NotFound,
                    format!("no uploaded file has SHA-256 {sha256}; upload it first"),
                );
            };
            let existing: Option<(String, bool)> = conn
                .query_row(
                    "SELECT item_id, removed FROM documents WHERE id = ?1",
                    [document_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let s = seq.get()?;
            let version: u32 = match existing {
                None => {
                    conn.execute(
                        "INSERT INTO documents (id, meeting_id, item_id, title, kind, classification, seq, removed)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
                        params![
                            document_id.to_string(),
                            meeting_id.to_string(),
                            item_id.to_string(),
                            title.trim(),
                            to_text(kind),
                            to_text(classification),
                            s
                        ],
                    )?;
                    1
                }
                Some((_, true)) => {
                    return reject(
                        ErrorCode::Conflict,
                        format!("document {document_id} was removed"),
                    );
                }
                Some((existing_item, false)) if existing_item != item_id.to_string() => {
                    return reject(
                        ErrorCode::Conflict,
                        format!("document {document_id} belongs to another agenda item"),
                    );
                }
                Some(_) => {
                    let (last, last_sha): (u32, String) = conn.query_row(
                        "SELECT version, sha256 FROM document_versions WHERE document_id = ?1
                         ORDER BY version DESC LIMIT 1",
                        [document_id.to_string()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    if last_sha == sha256.as_str() {
                        return reject(
                            ErrorCode::Conflict,
                            "this file is the document's current version already",
                        );
                    }
                    conn.execute(
                        "UPDATE documents SET title = ?2, kind = ?3, classification = ?4, seq = ?5 WHERE id = ?1",
                        params![document_id.to_string(), title.trim(), to_text(kind), to_text(classification), s],
                    )?;
                    last + 1
                }
            };
            conn.execute(
                "INSERT INTO document_versions (document_id, version, sha256, size, pages, added_at, signature, classification)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![document_id.to_string(), version, sha256.as_str(), size, pages, ts(now()), signature, to_text(classification)],
            )?;
        }
        Op::MemberAdd {
            meeting_id,
            user_id,
            role,
            attendance,
        } => {
            editable_meeting(conn, *meeting_id)?;
            let user: Option<bool> = conn
                .query_row(
                    "SELECT disabled FROM users WHERE id = ?1",
                    [user_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            match user {
                None => {
                    return reject(
                        ErrorCode::NotFound,
                        format!("user {user_id} does not exist"),
                    );
                }
                Some(true) => return reject(ErrorCode::Conflict, "this account is disabled"),
                Some(false) => {}
            }
            let removed: Option<bool> = conn
                .query_row(
                    "SELECT removed FROM members WHERE meeting_id = ?1 AND user_id = ?2",
                    params![meeting_id.to_string(), user_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if removed == Some(false)
                && matches!(role, MeetingRole::Secretary | MeetingRole::Guest)
                && voted_in_open_poll(conn, *meeting_id, *user_id)?
            {
                return reject(ErrorCode::Conflict, VOTED_IN_OPEN_POLL);
            }
            // A new voter while a closed poll still takes late ballots could cast one
            // dated before the close, counted over members they were not among.
            let voter = |r: Option<MeetingRole>| {
                matches!(r, Some(MeetingRole::Member | MeetingRole::Chair))
            };
            if voter(Some(*role))
                && !voter(live::member_role(conn, *meeting_id, *user_id)?)
                && live::poll_taking_late_ballots(conn, *meeting_id, now())?
            {
                return reject(
                    ErrorCode::Conflict,
                    "a vote just closed and still takes late ballots; add voters once its grace has passed",
                );
            }
            let s = seq.get()?;
            match removed {
                Some(false) => {
                    conn.execute(
                        "UPDATE members SET role = ?3, attendance = ?4, seq = ?5 WHERE meeting_id = ?1 AND user_id = ?2",
                        params![meeting_id.to_string(), user_id.to_string(), to_text(role), to_text(attendance), s],
                    )?;
                }
                _ => {
                    conn.execute(
                        "INSERT INTO members (meeting_id, user_id, role, attendance, seq, granted_seq, removed)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0)
                         ON CONFLICT (meeting_id, user_id) DO UPDATE SET role = ?3, attendance = ?4, seq = ?5,
                            granted_seq = ?5, removed = 0",
                        params![meeting_id.to_string(), user_id.to_string(), to_text(role), to_text(attendance), s],
                    )?;
                }
            }
        }
        Op::MemberRemove {
            meeting_id,
            user_id,
        } => {
            editable_meeting(conn, *meeting_id)?;
            if voted_in_open_poll(conn, *meeting_id, *user_id)? {
                return reject(ErrorCode::Conflict, VOTED_IN_OPEN_POLL);
            }
            let s = seq.get()?;
            let changed = conn.execute(
                "UPDATE members SET removed = 1, seq = ?3 WHERE meeting_id = ?1 AND user_id = ?2 AND removed = 0",
                params![meeting_id.to_string(), user_id.to_string(), s],
            )?;
            if changed == 0 {
                return reject(
                    ErrorCode::NotFound,
                    "this user is not a member of the meeting",
                );
            }
            // No longer a member: out of the list of speakers, the floor ended, and
            // their presentation with it (they could no longer end them themselves).
            let ids: Vec<String> = {
                let mut stmt = conn.prepare_cached(
                    "SELECT id FROM speak_requests
                      WHERE meeting_id = ?1 AND user_id = ?2 AND status IN ('waiting', 'speaking')",
                )?;
                let rows = stmt
                    .query_map(params![meeting_id.to_string(), user_id.to_string()], |r| {
                        r.get(0)
                    })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            conn.execute(
                "UPDATE speak_requests
                    SET status = CASE status WHEN 'speaking' THEN 'done' ELSE 'withdrawn' END,
                        ended_at = ?3, seq = ?4
                  WHERE meeting_id = ?1 AND user_id = ?2 AND status IN ('waiting', 'speaking')",
                params![meeting_id.to_string(), user_id.to_string(), ts(now()), s],
            )?;
            for id in ids {
                touched.push(live::Touched::Speak(parse_id(id)?));
            }
            live::end_presentation_of(conn, *meeting_id, *user_id, s, touched)?;
        }
        Op::NotePut {
            note_id,
            meeting_id,
            text,
            updated_at,
        } => {
            let existing: Option<(String, String, bool)> = conn
                .query_row(
                    "SELECT owner_id, updated_at, deleted FROM notes WHERE id = ?1",
                    [note_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some(m) = meeting_id {
                meeting_state(conn, *m)?;
            }
            match existing {
                Some((owner, _, _)) if owner != actor.id.to_string() => {
                    return reject(ErrorCode::Forbidden, "this note belongs to someone else");
                }
                // Deleted stays deleted; an older edit loses to a newer one (last writer wins).
                // The edit's device may show the note again (it replays its pending edits
                // over what it pulls), so the tombstone goes out once more.
                Some((_, _, true)) => {
                    let s = seq.get()?;
                    conn.execute(
                        "UPDATE notes SET seq = ?2 WHERE id = ?1",
                        params![note_id.to_string(), s],
                    )?;
                }
                Some((_, stored, false)) if parse_ts(stored.clone())? >= *updated_at => {}
                _ => {
                    let s = seq.get()?;
                    conn.execute(
                        "INSERT INTO notes (id, owner_id, meeting_id, text, updated_at, seq, deleted)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)
                         ON CONFLICT (id) DO UPDATE SET meeting_id = ?3, text = ?4, updated_at = ?5, seq = ?6",
                        params![
                            note_id.to_string(),
                            actor.id.to_string(),
                            meeting_id.map(|m| m.to_string()),
                            text,
                            ts(*updated_at),
                            s
                        ],
                    )?;
                }
            }
        }
        Op::NoteDelete { note_id } => {
            let owner: Option<String> = conn
                .query_row(
                    "SELECT owner_id FROM notes WHERE id = ?1",
                    [note_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            match owner {
                None => {
                    return reject(
                        ErrorCode::NotFound,
                        format!("note {note_id} does not exist"),
                    );
                }
                Some(o) if o != actor.id.to_string() => {
                    return reject(ErrorCode::Forbidden, "this note belongs to someone else");
                }
                Some(_) => {
                    let s = seq.get()?;
                    conn.execute(
                        "UPDATE notes SET deleted = 1, text = '', seq = ?2 WHERE id = ?1",
                        params![note_id.to_string(), s],
                    )?;
                }
            }
        }
        Op::AnnotationPut {
            annotation_id,
            document_id,
            version,
            page,
            shared,
            body,
            updated_at,
        } => {
            let existing: Option<(String, String, u32, String, bool)> = conn
                .query_row(
                    "SELECT owner_id, document_id, version, updated_at, deleted FROM annotations WHERE id = ?1",
                    [annotation_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            if let Some((owner, doc, ver, _, _)) = &existing {
                if *owner != actor.id.to_string() {
                    return reject(
                        ErrorCode::Forbidden,
                        "this annotation belongs to someone else",
                    );
                }
                if *doc != document_id.to_string() || ver != version {
                    return reject(
                        ErrorCode::Conflict,
                        "an annotation stays on the document version it was made on",
                    );
                }
            }
            let (meeting_id, pages) = readable_version(conn, actor, *document_id, *version)?;
            if *page >= pages {
                return reject(
                    ErrorCode::Validation,
                    format!("page {} is past the document's {pages} pages", page + 1),
                );
            }
            match existing {
                // Deleted stays deleted; an older edit loses to a newer one. The edit's
                // device may show the annotation again (it replays its pending edits over
                // what it pulls), so the tombstone goes out once more.
                Some((_, _, _, _, true)) => {
                    let s = seq.get()?;
                    conn.execute(
                        "UPDATE annotations SET seq = ?2 WHERE id = ?1",
                        params![annotation_id.to_string(), s],
                    )?;
                }
                Some((_, _, _, stored, false)) if parse_ts(stored.clone())? >= *updated_at => {}
                _ => {
                    let s = seq.get()?;
                    conn.execute(
                        "INSERT INTO annotations (id, owner_id, meeting_id, document_id, version, page, shared,
                                                  ever_shared, body, updated_at, seq, deleted)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, 0)
                         ON CONFLICT (id) DO UPDATE SET page = ?6, shared = ?7,
                            ever_shared = max(ever_shared, ?7), body = ?8, updated_at = ?9, seq = ?10",
                        params![
                            annotation_id.to_string(),
                            actor.id.to_string(),
                            meeting_id.to_string(),
                            document_id.to_string(),
                            version,
                            page,
                            shared,
                            serde_json::to_string(body).unwrap_or_default(),
                            ts(*updated_at),
                            s
                        ],
                    )?;
                }
            }
        }
        Op::AnnotationDelete { annotation_id } => {
            let owner: Option<(String, bool)> = conn
                .query_row(
                    "SELECT owner_id, deleted FROM annotations WHERE id = ?1",
                    [annotation_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match owner {
                None => {
                    return reject(
                        ErrorCode::NotFound,
                        format!("annotation {annotation_id} does not exist"),
                    );
                }
                Some((o, _)) if o != actor.id.to_string() => {
                    return reject(
                        ErrorCode::Forbidden,
                        "this annotation belongs to someone else",
                    );
                }
                Some((_, true)) => {}
                Some(_) => {
                    let s = seq.get()?;
                    conn.execute(
                        "UPDATE annotations SET deleted = 1, body = '{}', seq = ?2 WHERE id = ?1",
                        params![annotation_id.to_string(), s],
                    )?;
                }
            }
        }
        // Routed to `live::apply` above.
        _ => return reject(ErrorCode::BadOp, "unroutable op"),
    }
    Ok(())
}

/// The meeting of a live document the actor may read, and the page count of `version`.
fn readable_version(
    conn: &Connection,
    actor: &User,
    document_id: Id,
    version: u32,
) -> Result<(Id, u32), OpError> {
    let doc: Option<(String, String)> = conn
        .query_row(
            "SELECT meeting_id, classification FROM documents WHERE id = ?1 AND removed = 0",
            [document_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((meeting_id, classification)) = doc else {
        return reject(
            ErrorCode::NotFound,
            format!("document {document_id} does not exist"),
        );
    };
    let member: bool = conn
        .query_row(
            "SELECT 1 FROM members x JOIN meetings m ON m.id = x.meeting_id
             WHERE x.meeting_id = ?1 AND x.user_id = ?2 AND x.removed = 0
               AND (m.status != 'draft' OR ?3)",
            params![
                meeting_id,
                actor.id.to_string(),
                actor.role.prepares_meetings()
            ],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    let row: Option<(u32, String)> = conn
        .query_row(
            "SELECT pages, classification FROM document_versions WHERE document_id = ?1 AND version = ?2",
            params![document_id.to_string(), version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // A version keeps the classification it was attached with: a document made public
    // later does not open its confidential drafts to non-members.
    let mut confidential =
        from_text::<Classification>(classification)? == Classification::Confidential;
    if let Some((_, c)) = &row {
        confidential |= from_text::<Classification>(c.clone())? == Classification::Confidential;
    }
    if !(member || (actor.role.prepares_meetings() && !confidential)) {
        return reject(ErrorCode::Forbidden, "you may not read this document");
    }
    match row {
        None => reject(
            ErrorCode::NotFound,
            format!("document {document_id} has no version {version}"),
        ),
        Some((p, _)) => Ok((parse_id(meeting_id)?, p)),
    }
}

fn append_audit(
    conn: &Connection,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<()> {
    let last: Option<(u64, String)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, audit::GENESIS.to_owned()),
    };
    let at = ts(now());
    let detail = detail.to_string();
    let hash = audit::row_hash(&prev_hash, seq, &at, actor, action, &detail);
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![seq, at, actor, action, detail, prev_hash, hash])?;
    conn.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = ?1, hash = ?2",
    )?
    .execute(params![seq, hash])?;
    Ok(())
}

impl Store for SqliteStore {
    fn cursor(&self) -> StoreResult<u64> {
        Ok(self
            .reader()
            .query_row("SELECT value FROM seq", [], |r| r.get(0))?)
    }

    fn create_org_unit(&self, unit: &OrgUnit) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let s = next_seq(&tx)?;
        tx.execute(
            "INSERT INTO org_units (id, name, parent_id, seq) VALUES (?1, ?2, ?3, ?4)",
            params![
                unit.id.to_string(),
                unit.name,
                unit.parent_id.map(|p| p.to_string()),
                s
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        if let Err(why) = phonghop_domain::user::validate_username(&user.username) {
            return Err(StoreError::Conflict(why));
        }
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken = tx
            .query_row(
                "SELECT 1 FROM users WHERE username = ?1",
                [&user.username],
                |_| Ok(()),
            )
            .optional()?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "username {:?} is taken",
                user.username
            )));
        }
        let s = next_seq(&tx)?;
        tx.execute(
            "INSERT INTO users (id, username, full_name, role, title, org_unit_id, password_hash, disabled, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)",
            params![
                user.id.to_string(),
                user.username,
                user.full_name,
                user.role.as_str(),
                user.title,
                user.org_unit_id.map(|o| o.to_string()),
                user.password_hash,
                s
            ],
        )?;
        append_audit(
            &tx,
            "system",
            "user.create",
            &serde_json::json!({"username": user.username, "role": user.role}),
        )?;
        tx.commit()?;
        Ok(User {
            id: user.id,
            username: user.username.clone(),
            full_name: user.full_name.clone(),
            role: user.role,
            title: user.title.clone(),
            org_unit_id: user.org_unit_id,
            disabled: false,
        })
    }

    fn user_credentials(&self, username: &str) -> StoreResult<Option<(User, String)>> {
        let conn = self.reader();
        let sql = format!("SELECT {USER_COLS}, password_hash FROM users WHERE username = ?1");
        Ok(conn
            .query_row(&sql, [username], |r| Ok((user_from_row(r, 0)?, r.get(7)?)))
            .optional()?)
    }

    fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        Ok(self.user_credentials(username)?.map(|(u, _)| u))
    }

    fn list_users(&self) -> StoreResult<Vec<User>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!("SELECT {USER_COLS} FROM users ORDER BY username"))?;
        let rows = stmt.query_map([], |r| user_from_row(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_user_disabled(&self, username: &str, disabled: bool) -> StoreResult<User> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let s = next_seq(&tx)?;
        let n = tx.execute(
            "UPDATE users SET disabled = ?2, seq = ?3 WHERE username = ?1",
            params![username, disabled, s],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("no user {username:?}")));
        }
        if disabled {
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
                [username],
            )?;
        }
        append_audit(
            &tx,
            "system",
            "user.disable",
            &serde_json::json!({"username": username, "disabled": disabled}),
        )?;
        let user = tx.query_row(
            &format!("SELECT {USER_COLS} FROM users WHERE username = ?1"),
            [username],
            |r| user_from_row(r, 0),
        )?;
        tx.commit()?;
        Ok(user)
    }

    fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE username = ?1",
            params![username, password_hash],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("no user {username:?}")));
        }
        let ended = tx.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
            [username],
        )?;
        append_audit(
            &tx,
            "system",
            "user.password",
            &serde_json::json!({"username": username, "sessions_ended": ended}),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn devices_of(&self, username: &str) -> StoreResult<Vec<super::DeviceRecord>> {
        let conn = self.reader();
        let user: Option<String> = conn
            .query_row(
                "SELECT id FROM users WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .optional()?;
        let Some(user) = user else {
            return Err(StoreError::NotFound(format!("no user {username:?}")));
        };
        let mut stmt = conn.prepare(
            "SELECT d.id, d.name, d.created_at, d.revoked,
                    (SELECT count(*) FROM sessions s WHERE s.device_id = d.id AND s.user_id = d.user_id)
             FROM devices d WHERE d.user_id = ?1 ORDER BY d.created_at",
        )?;
        let rows = stmt.query_map([user], |r| {
            Ok(super::DeviceRecord {
                id: parse_id(r.get(0)?)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                revoked: r.get(3)?,
                sessions: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revoke_device(&self, device_id: Id) -> StoreResult<usize> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE devices SET revoked = 1 WHERE id = ?1",
            [device_id.to_string()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("no device {device_id}")));
        }
        // Its sessions stay, unusable: the device hears "revoked" (not just "log in
        // again") the next time it calls, which is when it wipes what it holds.
        append_audit(
            &tx,
            "system",
            "device.revoke",
            &serde_json::json!({"device_id": device_id, "registrations": n}),
        )?;
        tx.commit()?;
        Ok(n)
    }

    fn create_session(
        &self,
        token_hash: &str,
        user_id: Id,
        device: &DeviceInfo,
        checked_hash: &str,
    ) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The account may have been disabled, or its password reset (which ended the
        // sessions there were), while the password was being checked.
        let (disabled, hash): (bool, String) = tx.query_row(
            "SELECT disabled, password_hash FROM users WHERE id = ?1",
            [user_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if disabled {
            return Err(StoreError::Conflict(super::ACCOUNT_DISABLED.into()));
        }
        if hash != checked_hash {
            return Err(StoreError::Conflict(super::PASSWORD_CHANGED.into()));
        }
        // A device is registered per user: a shared tablet holds one registration (and
        // key) for each of its users, and a newcomer never takes over another's.
        let revoked: Option<bool> = tx
            .query_row(
                "SELECT max(revoked) FROM devices WHERE id = ?1 AND (user_id = ?2 OR revoked = 1)",
                params![device.id.to_string(), user_id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if revoked == Some(true) {
            return Err(StoreError::Conflict("this device has been revoked".into()));
        }
        tx.execute(
            "INSERT INTO devices (id, user_id, name, public_key, created_at, revoked)
             VALUES (?1, ?2, ?3, ?4, ?5, 0)
             ON CONFLICT (id, user_id) DO UPDATE SET name = excluded.name, public_key = excluded.public_key",
            params![
                device.id.to_string(),
                user_id.to_string(),
                device.name,
                device.public_key,
                ts(now())
            ],
        )?;
        tx.execute(
            "INSERT INTO sessions (token_hash, user_id, device_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, user_id.to_string(), device.id.to_string(), ts(now())],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let conn = self.reader();
        let sql = "SELECT u.id, u.username, u.full_name, u.role, u.title, u.org_unit_id, u.disabled, s.device_id, d.revoked,
                          s.created_at
                   FROM sessions s JOIN users u ON u.id = s.user_id
                   JOIN devices d ON d.id = s.device_id AND d.user_id = s.user_id
                   WHERE s.token_hash = ?1";
        Ok(conn
            .query_row(sql, [token_hash], |r| {
                Ok(SessionRecord {
                    user: user_from_row(r, 0)?,
                    device_id: parse_id(r.get(7)?)?,
                    device_revoked: r.get(8)?,
                    created_at: parse_ts(r.get(9)?)?,
                })
            })
            .optional()?)
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.writer()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    fn record_blob(&self, blob: &BlobRecord, uploaded_by: Id) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO blobs (sha256, size, pages, signature, uploaded_by, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (sha256) DO NOTHING",
            params![
                blob.sha256.as_str(),
                blob.size,
                blob.pages,
                serde_json::to_string(&blob.signature).unwrap_or_default(),
                uploaded_by.to_string(),
                ts(now())
            ],
        )?;
        tx.execute(
            "INSERT INTO blob_uploaders (sha256, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![blob.sha256.as_str(), uploaded_by.to_string()],
        )?;
        append_audit(
            &tx,
            &uploaded_by.to_string(),
            "blob.put",
            &serde_json::json!({"sha256": blob.sha256, "size": blob.size, "pages": blob.pages}),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn blob(&self, sha256: &Sha256) -> StoreResult<Option<BlobRecord>> {
        let conn = self.reader();
        Ok(conn
            .query_row(
                "SELECT size, pages, signature FROM blobs WHERE sha256 = ?1",
                [sha256.as_str()],
                |r| {
                    Ok(BlobRecord {
                        sha256: sha256.clone(),
                        size: r.get(0)?,
                        pages: r.get(1)?,
                        signature: from_json::<SignatureSummary>(r.get(2)?)?,
                    })
                },
            )
            .optional()?)
    }

    fn blob_visible_to(&self, viewer: &User, sha256: &Sha256) -> StoreResult<bool> {
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        let readable = blob_readable(&tx, viewer, sha256.as_str())?;
        tx.commit()?;
        Ok(readable)
    }

    fn visible_blobs(&self, viewer: &User) -> StoreResult<std::collections::HashSet<Sha256>> {
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        fill_visibility(&tx, viewer)?;
        let set = {
            let mut stmt = tx.prepare(
                "SELECT DISTINCT dv.sha256 FROM document_versions dv JOIN documents d ON d.id = dv.document_id
                 JOIN temp.vis v ON v.meeting_id = d.meeting_id
                 WHERE d.removed = 0
                   AND ((d.classification != 'confidential' AND dv.classification != 'confidential')
                        OR v.conf_start IS NOT NULL)",
            )?;
            let rows = stmt.query_map([], |r| from_text::<Sha256>(r.get(0)?))?;
            rows.collect::<rusqlite::Result<std::collections::HashSet<_>>>()?
        };
        tx.commit()?;
        Ok(set)
    }

    fn apply_ops_live(&self, actor: &User, ops: &[OpEnvelope]) -> StoreResult<Applied> {
        // Group commit: whoever holds the writer applies every batch queued so far in one
        // transaction — one fsync for many voters — and hands each its result before
        // letting go, so an answer still means "committed".
        let job = Arc::new(Job {
            actor: actor.clone(),
            ops: ops.to_vec(),
            result: Mutex::new(None),
        });
        lock(&self.queue).push(job.clone());
        let mut conn = self.writer();
        if let Some(done) = lock(&job.result).take() {
            return done;
        }
        let batch = std::mem::take(&mut *lock(&self.queue));
        let started = std::time::Instant::now();
        let results = apply_jobs(&mut conn, &batch);
        tracing::debug!(
            jobs = batch.len(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "group commit"
        );
        let mut mine = None;
        for (j, r) in batch.iter().zip(results) {
            if Arc::ptr_eq(j, &job) {
                mine = Some(r);
            } else {
                *lock(&j.result) = Some(r);
            }
        }
        mine.unwrap_or_else(|| Err(StoreError::Backend("a batch of ops went missing".into())))
    }

    fn close_due_polls(&self, now: Timestamp) -> StoreResult<Vec<LiveChange>> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let touched = live::close_due_polls(&tx, now).map_err(|e| match e {
            OpError::Store(e) => StoreError::from(e),
            OpError::Rejected(_, m) => StoreError::Conflict(m),
        })?;
        let changes = live::load_touched(&tx, touched)?;
        tx.commit()?;
        Ok(changes)
    }

    fn next_poll_close(&self) -> StoreResult<Option<Timestamp>> {
        let conn = self.reader();
        let next: Option<String> = conn.query_row(
            "SELECT min(closes_at) FROM polls WHERE status = 'open' AND closes_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(next.map(parse_ts).transpose()?)
    }

    fn live_audience(&self, user: &User) -> StoreResult<Option<std::collections::HashSet<Id>>> {
        if user.role.prepares_meetings() {
            return Ok(None);
        }
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT m.id FROM meetings m JOIN members x ON x.meeting_id = m.id
             WHERE x.user_id = ?1 AND x.removed = 0 AND m.status != 'draft'",
        )?;
        let rows = stmt.query_map([user.id.to_string()], |r| parse_id(r.get(0)?))?;
        Ok(Some(rows.collect::<rusqlite::Result<_>>()?))
    }

    fn opinion_stats(
        &self,
        viewer: &User,
        ballot: Id,
    ) -> StoreResult<phonghop_domain::OpinionStats> {
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        let stats = live::opinion_stats(&tx, viewer, ballot)?;
        tx.commit()?;
        stats.ok_or_else(|| {
            StoreError::NotFound(format!(
                "no written-opinion ballot {ballot} that you may see"
            ))
        })
    }

    fn changes(&self, viewer: &User, since: u64, limit: usize) -> StoreResult<ChangesPage> {
        let mut conn = self.reader();
        // One read transaction: every page is a consistent snapshot.
        let tx = conn.transaction()?;
        let page = feed_page(&tx, viewer, since, limit)?;
        tx.commit()?;
        Ok(page)
    }

    fn meeting_role(&self, user: Id, meeting: Id) -> StoreResult<Option<MeetingRole>> {
        let conn = self.reader();
        let role: Option<String> = conn
            .query_row(
                "SELECT x.role FROM members x JOIN meetings m ON m.id = x.meeting_id
                 WHERE x.meeting_id = ?1 AND x.user_id = ?2 AND x.removed = 0
                   AND m.published_seq IS NOT NULL",
                [meeting.to_string(), user.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(role.map(from_text::<MeetingRole>).transpose()?)
    }

    fn published_meeting_status(&self, meeting: Id) -> StoreResult<Option<MeetingStatus>> {
        let status: Option<String> = self
            .reader()
            .query_row(
                "SELECT status FROM meetings WHERE id = ?1 AND published_seq IS NOT NULL",
                [meeting.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(status.map(from_text).transpose()?)
    }

    fn meeting_brief(&self, meeting: Id) -> StoreResult<Option<MeetingBrief>> {
        let conn = self.reader();
        let head: Option<(String, String, String, String)> = conn
            .query_row(
                "SELECT title, room, starts_at, status FROM meetings
                 WHERE id = ?1 AND published_seq IS NOT NULL",
                [meeting.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((title, room, starts_at, status)) = head else {
            return Ok(None);
        };
        let mut stmt = conn.prepare_cached(
            "SELECT title FROM agenda_items WHERE meeting_id = ?1 AND removed = 0 ORDER BY position",
        )?;
        let agenda = stmt
            .query_map([meeting.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(Some(MeetingBrief {
            id: meeting,
            title,
            room,
            starts_at: parse_ts(starts_at)?,
            agenda,
            status: from_text(status)?,
        }))
    }

    fn create_video_invitation(&self, inv: &VideoInvitation) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "INSERT INTO video_invitations (token_hash, meeting_id, name, created_by, created_at, expires_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM meetings WHERE id = ?2)",
            params![
                inv.token_hash,
                inv.meeting_id.to_string(),
                inv.name,
                inv.created_by.to_string(),
                ts(now()),
                ts(inv.expires_at)
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "meeting {} does not exist",
                inv.meeting_id
            )));
        }
        append_audit(
            &tx,
            &inv.created_by.to_string(),
            "video.invite",
            &serde_json::json!({"meeting_id": inv.meeting_id, "name": inv.name}),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn video_invitation(&self, token_hash: &str) -> StoreResult<Option<VideoInvitation>> {
        let conn = self.reader();
        let row: Option<(String, String, String, String)> = conn
            .query_row(
                // Only while whoever made it may still invite: an administrator, or the
                // meeting's chair or secretary, the account not disabled.
                "SELECT i.meeting_id, i.name, i.created_by, i.expires_at
                   FROM video_invitations i JOIN users u ON u.id = i.created_by
                  WHERE i.token_hash = ?1 AND u.disabled = 0
                    AND (u.role = 'admin' OR EXISTS (
                         SELECT 1 FROM members x
                          WHERE x.meeting_id = i.meeting_id AND x.user_id = i.created_by
                            AND x.removed = 0 AND x.role IN ('chair', 'secretary')))",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((meeting, name, by, expires)) = row else {
            return Ok(None);
        };
        Ok(Some(VideoInvitation {
            token_hash: token_hash.to_owned(),
            meeting_id: parse_id(meeting)?,
            name,
            created_by: parse_id(by)?,
            expires_at: parse_ts(expires)?,
        }))
    }

    fn video_invitations(&self, meeting_id: Id) -> StoreResult<Vec<VideoInvitation>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT token_hash, name, created_by, expires_at FROM video_invitations
             WHERE meeting_id = ?1 ORDER BY created_at DESC",
        )?;
        let rows = stmt.query_map([meeting_id.to_string()], |r| {
            Ok(VideoInvitation {
                token_hash: r.get(0)?,
                meeting_id,
                name: r.get(1)?,
                created_by: parse_id(r.get(2)?)?,
                expires_at: parse_ts(r.get(3)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn revoke_video_invitation(
        &self,
        actor: Id,
        meeting_id: Id,
        token_hash: &str,
    ) -> StoreResult<bool> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let name: Option<String> = tx
            .query_row(
                "DELETE FROM video_invitations WHERE token_hash = ?1 AND meeting_id = ?2 RETURNING name",
                params![token_hash, meeting_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(name) = name else {
            return Ok(false);
        };
        append_audit(
            &tx,
            &actor.to_string(),
            "video.uninvite",
            &serde_json::json!({"meeting_id": meeting_id, "name": name}),
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn audit(&self, actor: &str, action: &str, detail: &serde_json::Value) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        append_audit(&tx, actor, action, detail)?;
        tx.commit()?;
        Ok(())
    }

    fn record_login(&self, username: &str, ip: &str, ok: bool, reason: &str) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO login_log (at, username, ip, ok, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![ts(now()), username, ip, ok, reason],
        )?;
        let action = if ok { "login" } else { "login.failed" };
        append_audit(
            &tx,
            username,
            action,
            &serde_json::json!({"ip": ip, "reason": reason}),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn audit_head(&self) -> StoreResult<Option<(u64, String)>> {
        Ok(self
            .reader()
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn audit_snapshot(&self) -> StoreResult<(Vec<AuditEntry>, Option<super::AuditHead>)> {
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        let head = tx
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let entries = audit_rows(&tx)?;
        tx.commit()?;
        Ok((entries, head))
    }

    fn audit_entries(&self) -> StoreResult<Vec<AuditEntry>> {
        audit_rows(&self.reader())
    }
}

fn audit_rows(conn: &Connection) -> StoreResult<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(AuditEntry {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            detail: r.get(4)?,
            prev_hash: r.get(5)?,
            hash: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonghop_domain::Role;

    fn user(store: &SqliteStore, username: &str, role: Role) -> User {
        store
            .create_user(&super::super::NewUser {
                id: Id::now_v7(),
                username: username.into(),
                full_name: username.into(),
                role,
                title: String::new(),
                org_unit_id: None,
                password_hash: "x".into(),
            })
            .unwrap()
    }

    fn job(actor: &User, op: Op) -> Arc<Job> {
        Arc::new(Job {
            actor: actor.clone(),
            ops: vec![OpEnvelope {
                id: Id::now_v7(),
                op,
            }],
            result: Mutex::new(None),
        })
    }

    /// Two callers committed together: the one whose answer carries the group's live
    /// events also hears that the other changed who may see a meeting.
    #[test]
    fn the_caller_with_the_live_events_hears_of_any_audience_change_in_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("phonghop.db")).unwrap();
        let secretary = user(&store, "thuky", Role::Secretary);
        let delegate = user(&store, "daibieu01", Role::Delegate);
        let now = Timestamp::now_utc();
        let jobs = [
            job(
                &secretary,
                Op::MeetingCreate {
                    meeting_id: Id::now_v7(),
                    title: "Họp thử".into(),
                    kind: phonghop_domain::MeetingKind::Regular,
                    room: "Phòng họp số 1".into(),
                    starts_at: now,
                    ends_at: now + std::time::Duration::from_secs(3600),
                    org_unit_id: None,
                },
            ),
            job(
                &delegate,
                Op::NotePut {
                    note_id: Id::now_v7(),
                    meeting_id: None,
                    text: "ghi chú".into(),
                    updated_at: now,
                },
            ),
        ];
        let out = apply_jobs(&mut store.writer(), &jobs);
        let first = out[0].as_ref().unwrap();
        let last = out[1].as_ref().unwrap();
        assert_eq!(first.results[0].outcome, OpOutcome::Accepted);
        assert_eq!(last.results[0].outcome, OpOutcome::Accepted);
        assert!(first.audience_changed);
        assert!(last.audience_changed, "the publishing caller was not told");
    }
}
