//! The local cache: one SQLite file (WAL) per (server, user), holding what the user may
//! see, the feed cursor and the outbox. Reads never touch the network. What the user
//! reads is the server's state with their pending ops applied on top.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use phonghop_domain::{
    AgendaItem, Annotation, Change, ChangesPage, Document, DocumentVersion, Id, Meeting,
    MeetingRole, MeetingStatus, Membership, Note, Op, OpEnvelope, OpOutcome, OpResult, OrgUnit,
    Sha256, SignatureSummary, Timestamp, User,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::format_description::well_known::Rfc3339;

use crate::ClientError;

#[path = "cache_live.rs"]
pub mod live;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_verdicts.sql"),
    include_str!("migrations/0003_annotations.sql"),
    include_str!("migrations/0004_live_meeting.sql"),
];
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Meta key: the server refused an op whose effect was applied here, so the next round
/// rebuilds from a full pull. Set with the refusal and cleared with the rebuild, each in
/// the same transaction, so that a refusal recorded while a rebuild runs still leads to
/// another one.
pub(crate) const REBUILD_DUE: &str = "rebuild_due";

pub struct Cache {
    conn: Mutex<Connection>,
}

/// An op the server refused, kept with its reason until the user dismisses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedOp {
    pub op_id: Id,
    pub kind: String,
    pub code: String,
    pub message: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobError {
    pub sha256: String,
    pub message: String,
    pub at: String,
}

fn now() -> String {
    Timestamp::now_utc().format(&Rfc3339).unwrap_or_default()
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn from_json<T: DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unreadable cache row: {e}").into(),
        )
    })
}

fn ts(t: Timestamp) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl Cache {
    pub fn open(path: &Path) -> Result<Cache, ClientError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")?;
        let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(ClientError::NewerCache {
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
        Ok(Cache {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn integrity_ok(&self) -> Result<bool, ClientError> {
        let r: String = self
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(r == "ok")
    }

    // ---- meta ---------------------------------------------------------------------

    pub fn meta(&self, key: &str) -> Result<Option<String>, ClientError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), ClientError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn delete_meta(&self, key: &str) -> Result<(), ClientError> {
        self.conn()
            .execute("DELETE FROM meta WHERE key = ?1", params![key])?;
        Ok(())
    }

    pub fn cursor(&self) -> Result<u64, ClientError> {
        Ok(self
            .meta("cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    pub fn me(&self) -> Result<Option<User>, ClientError> {
        let conn = self.conn();
        me_in(&conn)
    }

    // ---- the feed -------------------------------------------------------------------

    /// Applies one page and its cursor in one transaction; returns the meetings revoked.
    pub fn apply_page(&self, page: &ChangesPage) -> Result<Vec<Id>, ClientError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let revoked = apply_changes(&tx, &page.changes)?;
        set_meta_tx(&tx, "cursor", &page.cursor.to_string())?;
        replay_pending(&tx)?;
        tx.commit()?;
        Ok(revoked)
    }

    /// Replaces every entity with a fresh pull from cursor 0 (after the server refused an
    /// op whose effect was applied locally), in one transaction.
    pub fn rebuild(&self, pages: &[ChangesPage]) -> Result<(), ClientError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The server sends secret ballots without their choices; this device's own
        // knowledge of them must outlive the rebuild.
        let known = live::known_choices(&tx)?;
        tx.execute_batch(
            "DELETE FROM users; DELETE FROM org_units; DELETE FROM meetings; DELETE FROM members;
             DELETE FROM agenda_items; DELETE FROM documents; DELETE FROM notes;
             DELETE FROM annotations;",
        )?;
        for (table, _) in live::TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        let mut cursor = 0;
        for p in pages {
            apply_changes(&tx, &p.changes)?;
            cursor = p.cursor;
        }
        live::restore_choices(&tx, &known)?;
        set_meta_tx(&tx, "cursor", &cursor.to_string())?;
        tx.execute("DELETE FROM meta WHERE key = ?1", [REBUILD_DUE])?;
        replay_pending(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies the states a live event carries (newer wins), then the user's pending ops
    /// on top again. The cursor does not move: the next pull brings the same or newer.
    pub fn apply_live(&self, changes: &[Change]) -> Result<(), ClientError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for c in changes {
            live::apply_change(&tx, c)?;
        }
        replay_pending(&tx)?;
        tx.commit()?;
        Ok(())
    }

    // ---- the live meeting, read --------------------------------------------------------

    /// Polls of a meeting (all when None), opened ones first in the order they opened.
    pub fn polls(&self, meeting: Option<Id>) -> Result<Vec<phonghop_domain::Poll>, ClientError> {
        live::polls(&self.conn(), meeting)
    }

    /// The ballots this user may see of a poll: their own, and every one of a named poll.
    pub fn ballots(&self, poll: Id) -> Result<Vec<phonghop_domain::Ballot>, ClientError> {
        live::ballots_of(&self.conn(), poll)
    }

    pub fn presence(&self, meeting: Id) -> Result<Vec<phonghop_domain::Presence>, ClientError> {
        live::presence(&self.conn(), meeting)
    }

    /// Attendance in numbers (quorum input), from the members and their presence.
    pub fn attendance_summary(
        &self,
        meeting: Id,
    ) -> Result<phonghop_domain::AttendanceSummary, ClientError> {
        let members = self.members(meeting)?;
        let presence = self.presence(meeting)?;
        Ok(live::attendance_summary(&members, &presence))
    }

    pub fn speak_requests(
        &self,
        meeting: Id,
    ) -> Result<Vec<phonghop_domain::SpeakRequest>, ClientError> {
        live::speak_requests(&self.conn(), meeting)
    }

    pub fn progress(
        &self,
        meeting: Id,
    ) -> Result<Option<phonghop_domain::MeetingProgress>, ClientError> {
        live::progress(&self.conn(), meeting)
    }

    pub fn opinions(&self) -> Result<Vec<phonghop_domain::OpinionBallot>, ClientError> {
        live::opinions(&self.conn())
    }

    pub fn opinion_answers(
        &self,
        ballot: Id,
    ) -> Result<Vec<phonghop_domain::OpinionAnswer>, ClientError> {
        live::answers(&self.conn(), ballot)
    }

    // ---- the outbox -----------------------------------------------------------------

    /// Applies a local change at once and queues it for the server, atomically.
    pub fn local_op(&self, op: Op) -> Result<Id, ClientError> {
        op.validate().map_err(ClientError::Invalid)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let me = me_in(&tx)?.ok_or(ClientError::NotLoggedIn)?;
        check_local(&tx, &me, &op)?;
        apply_local(&tx, &me, &op)?;
        let env = OpEnvelope {
            id: Id::now_v7(),
            op,
        };
        tx.execute(
            "INSERT INTO outbox (op_id, json, created_at) VALUES (?1, ?2, ?3)",
            params![env.id.to_string(), to_json(&env), now()],
        )?;
        tx.commit()?;
        Ok(env.id)
    }

    pub fn pending_ops(&self, limit: usize) -> Result<Vec<OpEnvelope>, ClientError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT json FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?;
        rows.map(|j| Ok(from_json(&j?)?)).collect()
    }

    pub fn outbox_len(&self) -> Result<u64, ClientError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    /// How many of the pending ops are votes (a ballot or a written opinion): the ones
    /// that count only if they reach the server in time.
    pub fn outbox_votes(&self) -> Result<u64, ClientError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM outbox WHERE state = 'pending'
               AND json_extract(json, '$.op.type') IN ('ballot.cast', 'opinion.answer')",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records the server's answers: acknowledged ops leave the outbox; rejected ones
    /// stay with their reason. Returns how many were rejected.
    pub fn record_results(&self, results: &[OpResult]) -> Result<usize, ClientError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut rejected = 0;
        for r in results {
            match &r.outcome {
                OpOutcome::Accepted | OpOutcome::Duplicate => {
                    tx.execute("DELETE FROM outbox WHERE op_id = ?1", [r.id.to_string()])?;
                }
                OpOutcome::Rejected { code, message } => {
                    if rejected == 0 {
                        set_meta_tx(&tx, REBUILD_DUE, "1")?;
                    }
                    rejected += 1;
                    tx.execute(
                        "UPDATE outbox SET state = 'rejected', code = ?2, message = ?3 WHERE op_id = ?1",
                        params![r.id.to_string(), serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)), message],
                    )?;
                    // A refused ballot is not the vote: forget its choice here, or the
                    // server's copy of the counted one (which in a secret poll carries no
                    // choice) would show this device's refused choice as "yours".
                    tx.execute(
                        "DELETE FROM ballots WHERE (poll_id, voter_id) IN (
                            SELECT json_extract(json, '$.op.poll_id'), json_extract(json, '$.op.voter_id')
                            FROM outbox WHERE op_id = ?1 AND json_extract(json, '$.op.type') = 'ballot.cast')",
                        [r.id.to_string()],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(rejected)
    }

    pub fn rejected(&self) -> Result<Vec<RejectedOp>, ClientError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT op_id, json, coalesce(code, ''), coalesce(message, ''), created_at FROM outbox
             WHERE state = 'rejected' ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            let env: OpEnvelope = from_json(&r.get::<_, String>(1)?)?;
            Ok(RejectedOp {
                op_id: env.id,
                kind: env.op.kind().to_owned(),
                code: r.get(2)?,
                message: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The user has read the rejection: forget it.
    pub fn dismiss_rejected(&self, op_id: Id) -> Result<bool, ClientError> {
        Ok(self.conn().execute(
            "DELETE FROM outbox WHERE op_id = ?1 AND state = 'rejected'",
            [op_id.to_string()],
        )? > 0)
    }

    pub fn add_upload(&self, sha: &Sha256, size: u64) -> Result<(), ClientError> {
        self.conn().execute(
            "INSERT INTO uploads (sha256, size) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![sha.as_str(), size],
        )?;
        Ok(())
    }

    pub fn uploads(&self) -> Result<Vec<Sha256>, ClientError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT sha256 FROM uploads")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|s| Sha256::parse(&s?).map_err(ClientError::Invalid))
            .collect()
    }

    /// The pending attach ops that need this upload.
    pub fn ops_needing_upload(&self, sha: &Sha256) -> Result<Vec<Id>, ClientError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT op_id FROM outbox WHERE state = 'pending'
               AND json_extract(json, '$.op.type') = 'document.attach'
               AND json_extract(json, '$.op.sha256') = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([sha.as_str()], |r| r.get::<_, String>(0))?;
        rows.map(|s| {
            s?.parse()
                .map_err(|e| ClientError::Invalid(format!("op id in the outbox: {e}")))
        })
        .collect()
    }

    pub fn upload_done(&self, sha: &Sha256) -> Result<(), ClientError> {
        self.conn()
            .execute("DELETE FROM uploads WHERE sha256 = ?1", [sha.as_str()])?;
        Ok(())
    }

    // ---- blobs ----------------------------------------------------------------------

    /// The current version of every document: what should be on disk.
    pub fn wanted_blobs(&self) -> Result<Vec<(Sha256, u64)>, ClientError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for d in self.all_documents()? {
            if let Some(v) = d.current()
                && seen.insert(v.sha256.clone())
            {
                out.push((v.sha256.clone(), v.size));
            }
        }
        Ok(out)
    }

    /// Every blob something still refers to: any version of a document, or an upload.
    pub fn referenced_blobs(&self) -> Result<HashSet<Sha256>, ClientError> {
        let mut set: HashSet<Sha256> = self
            .all_documents()?
            .into_iter()
            .flat_map(|d| d.versions.into_iter().map(|v| v.sha256))
            .collect();
        set.extend(self.uploads()?);
        Ok(set)
    }

    pub fn set_blob_error(&self, sha: &Sha256, message: &str) -> Result<(), ClientError> {
        self.conn().execute(
            "INSERT INTO blob_errors (sha256, message, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256) DO UPDATE SET message = ?2, at = ?3",
            params![sha.as_str(), message, now()],
        )?;
        Ok(())
    }

    pub fn clear_blob_error(&self, sha: &Sha256) -> Result<(), ClientError> {
        self.conn()
            .execute("DELETE FROM blob_errors WHERE sha256 = ?1", [sha.as_str()])?;
        Ok(())
    }

    pub fn blob_errors(&self) -> Result<Vec<BlobError>, ClientError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT sha256, message, at FROM blob_errors ORDER BY at")?;
        let rows = stmt.query_map([], |r| {
            Ok(BlobError {
                sha256: r.get(0)?,
                message: r.get(1)?,
                at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- signature verdicts ------------------------------------------------------------

    /// Many verdicts in one transaction (one commit for a whole meeting pack).
    pub fn set_verdicts(&self, verdicts: &[(Sha256, SignatureSummary)]) -> Result<(), ClientError> {
        if verdicts.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO verdicts (sha256, json, checked_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sha256) DO UPDATE SET json = ?2, checked_at = ?3",
            )?;
            let at = now();
            for (sha, verdict) in verdicts {
                stmt.execute(params![sha.as_str(), to_json(verdict), at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn verdict(&self, sha: &Sha256) -> Result<Option<SignatureSummary>, ClientError> {
        let json: Option<String> = self
            .conn()
            .query_row(
                "SELECT json FROM verdicts WHERE sha256 = ?1",
                [sha.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json.map(|j| from_json(&j)).transpose()?)
    }

    /// Forgets every verdict (the trust roots changed).
    pub fn clear_verdicts(&self) -> Result<(), ClientError> {
        self.conn().execute("DELETE FROM verdicts", [])?;
        Ok(())
    }

    // ---- reads ----------------------------------------------------------------------

    pub fn meetings(&self) -> Result<Vec<Meeting>, ClientError> {
        // By the instant: the text keeps each time's own offset (+07:00 or Z).
        self.rows(
            "SELECT json FROM meetings ORDER BY julianday(starts_at), id",
            [],
        )
    }

    pub fn meeting(&self, id: Id) -> Result<Option<Meeting>, ClientError> {
        Ok(self
            .rows("SELECT json FROM meetings WHERE id = ?1", [id.to_string()])?
            .pop())
    }

    pub fn agenda(&self, meeting: Id) -> Result<Vec<AgendaItem>, ClientError> {
        self.rows(
            "SELECT json FROM agenda_items WHERE meeting_id = ?1 ORDER BY position",
            [meeting.to_string()],
        )
    }

    pub fn members(&self, meeting: Id) -> Result<Vec<Membership>, ClientError> {
        self.rows(
            "SELECT json FROM members WHERE meeting_id = ?1 ORDER BY user_id",
            [meeting.to_string()],
        )
    }

    pub fn documents(&self, meeting: Id) -> Result<Vec<Document>, ClientError> {
        self.rows(
            "SELECT d.json FROM documents d LEFT JOIN agenda_items i ON i.id = d.item_id
             WHERE d.meeting_id = ?1 ORDER BY i.position, d.id",
            [meeting.to_string()],
        )
    }

    pub fn document(&self, id: Id) -> Result<Option<Document>, ClientError> {
        Ok(self
            .rows("SELECT json FROM documents WHERE id = ?1", [id.to_string()])?
            .pop())
    }

    pub fn all_documents(&self) -> Result<Vec<Document>, ClientError> {
        self.rows("SELECT json FROM documents", [])
    }

    pub fn notes(&self, meeting: Option<Id>) -> Result<Vec<Note>, ClientError> {
        match meeting {
            Some(m) => self.rows(
                "SELECT json FROM notes WHERE meeting_id = ?1 ORDER BY updated_at",
                [m.to_string()],
            ),
            None => self.rows("SELECT json FROM notes ORDER BY updated_at", []),
        }
    }

    /// Annotations on a document, every version, oldest first.
    pub fn annotations(&self, document: Id) -> Result<Vec<Annotation>, ClientError> {
        self.rows(
            "SELECT json FROM annotations WHERE document_id = ?1 ORDER BY updated_at, id",
            [document.to_string()],
        )
    }

    pub fn annotation(&self, id: Id) -> Result<Option<Annotation>, ClientError> {
        Ok(self
            .rows(
                "SELECT json FROM annotations WHERE id = ?1",
                [id.to_string()],
            )?
            .pop())
    }

    pub fn users(&self) -> Result<Vec<User>, ClientError> {
        self.rows("SELECT json FROM users", [])
    }

    pub fn user_by_username(&self, username: &str) -> Result<Option<User>, ClientError> {
        Ok(self.users()?.into_iter().find(|u| u.username == username))
    }

    pub fn org_units(&self) -> Result<Vec<OrgUnit>, ClientError> {
        self.rows("SELECT json FROM org_units", [])
    }

    fn rows<T: DeserializeOwned, P: rusqlite::Params>(
        &self,
        sql: &str,
        p: P,
    ) -> Result<Vec<T>, ClientError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(p, |r| r.get::<_, String>(0))?;
        rows.map(|j| Ok(from_json(&j?)?)).collect()
    }

    /// For tests: the entity tables as comparable JSON, in a stable order.
    pub fn snapshot(&self) -> Result<serde_json::Value, ClientError> {
        let conn = self.conn();
        let mut out = serde_json::Map::new();
        for (table, order) in [
            ("users", "id"),
            ("org_units", "id"),
            ("meetings", "id"),
            ("members", "meeting_id, user_id"),
            ("agenda_items", "id"),
            ("documents", "id"),
            ("notes", "id"),
            ("annotations", "id"),
        ]
        .into_iter()
        .chain(live::TABLES)
        {
            let mut stmt = conn.prepare(&format!("SELECT json FROM {table} ORDER BY {order}"))?;
            let rows: Vec<serde_json::Value> = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .map(|j| Ok(serde_json::from_str(&j?).unwrap_or_default()))
                .collect::<rusqlite::Result<_>>()?;
            out.insert(table.into(), rows.into());
        }
        Ok(out.into())
    }
}

fn me_in(conn: &Connection) -> Result<Option<User>, ClientError> {
    let json: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'me'", [], |r| r.get(0))
        .optional()?;
    Ok(json.map(|j| from_json(&j)).transpose()?)
}

fn set_meta_tx(tx: &Transaction<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![key, value],
    )?;
    Ok(())
}

fn put_meeting(tx: &Connection, m: &Meeting) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meetings (id, starts_at, json) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET starts_at = ?2, json = ?3",
        params![m.id.to_string(), ts(m.starts_at), to_json(m)],
    )?;
    Ok(())
}

fn put_item(tx: &Connection, i: &AgendaItem) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO agenda_items (id, meeting_id, position, json) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET meeting_id = ?2, position = ?3, json = ?4",
        params![
            i.id.to_string(),
            i.meeting_id.to_string(),
            i.position,
            to_json(i)
        ],
    )?;
    Ok(())
}

fn put_document(tx: &Connection, d: &Document) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO documents (id, meeting_id, item_id, json) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET meeting_id = ?2, item_id = ?3, json = ?4",
        params![
            d.id.to_string(),
            d.meeting_id.to_string(),
            d.item_id.to_string(),
            to_json(d)
        ],
    )?;
    Ok(())
}

fn put_member(tx: &Connection, m: &Membership) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO members (meeting_id, user_id, json) VALUES (?1, ?2, ?3)
         ON CONFLICT (meeting_id, user_id) DO UPDATE SET json = ?3",
        params![m.meeting_id.to_string(), m.user_id.to_string(), to_json(m)],
    )?;
    Ok(())
}

fn put_note(tx: &Connection, n: &Note) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO notes (id, meeting_id, updated_at, json) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET meeting_id = ?2, updated_at = ?3, json = ?4",
        params![
            n.id.to_string(),
            n.meeting_id.map(|m| m.to_string()),
            ts(n.updated_at),
            to_json(n)
        ],
    )?;
    Ok(())
}

fn put_annotation(tx: &Connection, a: &Annotation) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO annotations (id, meeting_id, document_id, owner_id, updated_at, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET updated_at = ?5, json = ?6",
        params![
            a.id.to_string(),
            a.meeting_id.to_string(),
            a.document_id.to_string(),
            a.owner_id.to_string(),
            ts(a.updated_at),
            to_json(a)
        ],
    )?;
    Ok(())
}

fn drop_meeting(tx: &Connection, meeting: Id) -> rusqlite::Result<()> {
    let m = meeting.to_string();
    // The user's own annotations live on (the server keeps them for them); others' go.
    tx.execute(
        "DELETE FROM annotations WHERE meeting_id = ?1
         AND owner_id != coalesce((SELECT json_extract(value, '$.id') FROM meta WHERE key = 'me'), '')",
        [&m],
    )?;
    for table in [
        "meetings WHERE id",
        "members WHERE meeting_id",
        "agenda_items WHERE meeting_id",
        "documents WHERE meeting_id",
    ] {
        tx.execute(&format!("DELETE FROM {table} = ?1"), [&m])?;
    }
    live::drop_meeting(tx, &m)
}

fn apply_changes(tx: &Connection, changes: &[Change]) -> Result<Vec<Id>, ClientError> {
    let mut revoked = Vec::new();
    for c in changes {
        match c {
            Change::User(u) => {
                tx.execute(
                    "INSERT INTO users (id, json) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET json = ?2",
                    params![u.id.to_string(), to_json(u)],
                )?;
                // Keep the cached identity fresh (name, role).
                if me_in(tx)?.is_some_and(|me| me.id == u.id) {
                    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'me'", [to_json(u)])?;
                }
            }
            Change::OrgUnit(o) => {
                tx.execute(
                    "INSERT INTO org_units (id, json) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET json = ?2",
                    params![o.id.to_string(), to_json(o)],
                )?;
            }
            Change::Meeting(m) => put_meeting(tx, m)?,
            Change::Member(m) => put_member(tx, m)?,
            Change::AgendaItem(i) => put_item(tx, i)?,
            Change::Document(d) => put_document(tx, d)?,
            Change::Note(n) => put_note(tx, n)?,
            Change::Annotation(a) => put_annotation(tx, a)?,
            Change::AnnotationDeleted { annotation_id } => {
                tx.execute(
                    "DELETE FROM annotations WHERE id = ?1",
                    [annotation_id.to_string()],
                )?;
            }
            Change::MemberRemoved {
                meeting_id,
                user_id,
            } => {
                tx.execute(
                    "DELETE FROM members WHERE meeting_id = ?1 AND user_id = ?2",
                    params![meeting_id.to_string(), user_id.to_string()],
                )?;
            }
            Change::AgendaItemRemoved { item_id, .. } => {
                tx.execute(
                    "DELETE FROM agenda_items WHERE id = ?1",
                    [item_id.to_string()],
                )?;
            }
            Change::DocumentRemoved { document_id, .. } => {
                tx.execute(
                    "DELETE FROM documents WHERE id = ?1",
                    [document_id.to_string()],
                )?;
                // As for a revoked meeting, the user's own annotations stay: the server
                // keeps them, and sends no copy again if the document comes back (a
                // secretary added back to a meeting with confidential documents).
                tx.execute(
                    "DELETE FROM annotations WHERE document_id = ?1
                     AND owner_id != coalesce((SELECT json_extract(value, '$.id') FROM meta WHERE key = 'me'), '')",
                    [document_id.to_string()],
                )?;
            }
            Change::NoteDeleted { note_id } => {
                tx.execute("DELETE FROM notes WHERE id = ?1", [note_id.to_string()])?;
            }
            Change::MeetingRevoked { meeting_id } => {
                drop_meeting(tx, *meeting_id)?;
                revoked.push(*meeting_id);
            }
            other => {
                live::apply_change(tx, other)?;
            }
        }
    }
    Ok(revoked)
}

/// Re-applies ops the server has not acknowledged yet on top of fresh server state.
fn replay_pending(tx: &Connection) -> Result<(), ClientError> {
    let Some(me) = me_in(tx)? else { return Ok(()) };
    let ops: Vec<OpEnvelope> = {
        let mut stmt =
            tx.prepare("SELECT json FROM outbox WHERE state = 'pending' ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|j| from_json(&j?))
            .collect::<rusqlite::Result<_>>()?
    };
    for env in ops {
        // A pending op that no longer fits (its meeting was revoked, say) is left for
        // the server to judge; locally it simply shows no effect.
        let _ = apply_local(tx, &me, &env.op);
    }
    Ok(())
}

fn load<T: DeserializeOwned>(tx: &Connection, sql: &str, id: Id) -> Result<Option<T>, ClientError> {
    let json: Option<String> = tx
        .query_row(sql, [id.to_string()], |r| r.get(0))
        .optional()?;
    Ok(json.map(|j| from_json(&j)).transpose()?)
}

fn meeting_of(tx: &Connection, id: Id) -> Result<Meeting, ClientError> {
    load(tx, "SELECT json FROM meetings WHERE id = ?1", id)?
        .ok_or_else(|| ClientError::NotFound(format!("meeting {id}")))
}

fn item_of(tx: &Connection, id: Id) -> Result<AgendaItem, ClientError> {
    load(tx, "SELECT json FROM agenda_items WHERE id = ?1", id)?
        .ok_or_else(|| ClientError::NotFound(format!("agenda item {id}")))
}

fn items_of(tx: &Connection, meeting: Id) -> Result<Vec<AgendaItem>, ClientError> {
    let mut stmt =
        tx.prepare("SELECT json FROM agenda_items WHERE meeting_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([meeting.to_string()], |r| r.get::<_, String>(0))?;
    rows.map(|j| Ok(from_json(&j?)?)).collect()
}

/// Rewrites positions 1..=n in the given order.
fn renumber(tx: &Connection, items: &mut [AgendaItem]) -> rusqlite::Result<()> {
    for (i, item) in items.iter_mut().enumerate() {
        item.position = i as u32 + 1;
        put_item(tx, item)?;
    }
    Ok(())
}

/// What the client can tell before the server: a clear error now beats a rejection later.
fn check_local(tx: &Connection, me: &User, op: &Op) -> Result<(), ClientError> {
    if op.prepares_meeting() && !me.role.prepares_meetings() {
        return Err(ClientError::Forbidden(format!(
            "only secretaries may {}",
            op.kind()
        )));
    }
    match op {
        Op::NotePut {
            meeting_id: Some(m),
            ..
        } => meeting_of(tx, *m).map(|_| ()),
        Op::NoteDelete { note_id } => {
            load::<Note>(tx, "SELECT json FROM notes WHERE id = ?1", *note_id)?
                .map(|_| ())
                .ok_or_else(|| ClientError::NotFound(format!("note {note_id}")))
        }
        Op::AnnotationPut {
            annotation_id,
            document_id,
            version,
            page,
            ..
        } => {
            let doc =
                load::<Document>(tx, "SELECT json FROM documents WHERE id = ?1", *document_id)?
                    .ok_or_else(|| ClientError::NotFound(format!("document {document_id}")))?;
            let v = doc
                .versions
                .iter()
                .find(|v| v.version == *version)
                .ok_or_else(|| {
                    ClientError::NotFound(format!("version {version} of document {document_id}"))
                })?;
            if v.pages > 0 && *page >= v.pages {
                return Err(ClientError::Invalid(format!(
                    "page {} is past the document's {} pages",
                    page + 1,
                    v.pages
                )));
            }
            match load::<Annotation>(
                tx,
                "SELECT json FROM annotations WHERE id = ?1",
                *annotation_id,
            )? {
                Some(a) if a.owner_id != me.id => Err(ClientError::Forbidden(
                    "this annotation belongs to someone else".into(),
                )),
                _ => Ok(()),
            }
        }
        Op::AnnotationDelete { annotation_id } => {
            match load::<Annotation>(
                tx,
                "SELECT json FROM annotations WHERE id = ?1",
                *annotation_id,
            )? {
                None => Err(ClientError::NotFound(format!("annotation {annotation_id}"))),
                Some(a) if a.owner_id != me.id => Err(ClientError::Forbidden(
                    "this annotation belongs to someone else".into(),
                )),
                Some(_) => Ok(()),
            }
        }
        other => live::check_local(tx, me, other),
    }
}

/// The local effect of an op, mirroring what the server will do.
fn apply_local(tx: &Connection, me: &User, op: &Op) -> Result<(), ClientError> {
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
            if load::<Meeting>(tx, "SELECT json FROM meetings WHERE id = ?1", *meeting_id)?
                .is_some()
            {
                return Ok(());
            }
            put_meeting(
                tx,
                &Meeting {
                    id: *meeting_id,
                    title: title.trim().into(),
                    kind: *kind,
                    room: room.trim().into(),
                    starts_at: *starts_at,
                    ends_at: *ends_at,
                    status: MeetingStatus::Draft,
                    org_unit_id: *org_unit_id,
                },
            )?;
            put_member(
                tx,
                &Membership {
                    meeting_id: *meeting_id,
                    user_id: me.id,
                    role: MeetingRole::Secretary,
                    attendance: phonghop_domain::Attendance::InRoom,
                },
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
            let mut m = meeting_of(tx, *meeting_id)?;
            if let Some(t) = title {
                m.title = t.trim().into();
            }
            if let Some(k) = kind {
                m.kind = *k;
            }
            if let Some(r) = room {
                m.room = r.trim().into();
            }
            if let Some(s) = starts_at {
                m.starts_at = *s;
            }
            if let Some(e) = ends_at {
                m.ends_at = *e;
            }
            put_meeting(tx, &m)?;
        }
        Op::MeetingPublish { meeting_id } => {
            let mut m = meeting_of(tx, *meeting_id)?;
            if m.status == MeetingStatus::Draft {
                m.status = MeetingStatus::Published;
            }
            put_meeting(tx, &m)?;
        }
        Op::MeetingSetStatus { meeting_id, status } => {
            let mut m = meeting_of(tx, *meeting_id)?;
            m.status = *status;
            put_meeting(tx, &m)?;
        }
        Op::ItemAdd {
            item_id,
            meeting_id,
            title,
            presenter,
            planned_minutes,
            position,
        } => {
            meeting_of(tx, *meeting_id)?;
            let mut items = items_of(tx, *meeting_id)?;
            if items.iter().any(|i| i.id == *item_id) {
                return Ok(());
            }
            let at = position.map_or(items.len(), |p| {
                (p as usize).saturating_sub(1).min(items.len())
            });
            items.insert(
                at,
                AgendaItem {
                    id: *item_id,
                    meeting_id: *meeting_id,
                    position: 0,
                    title: title.trim().into(),
                    presenter: presenter.trim().into(),
                    planned_minutes: *planned_minutes,
                },
            );
            renumber(tx, &mut items)?;
        }
        Op::ItemUpdate {
            item_id,
            title,
            presenter,
            planned_minutes,
        } => {
            let mut item = item_of(tx, *item_id)?;
            if let Some(t) = title {
                item.title = t.trim().into();
            }
            if let Some(p) = presenter {
                item.presenter = p.trim().into();
            }
            if let Some(m) = planned_minutes {
                item.planned_minutes = *m;
            }
            put_item(tx, &item)?;
        }
        Op::ItemMove { item_id, position } => {
            let item = item_of(tx, *item_id)?;
            let mut items = items_of(tx, item.meeting_id)?;
            let from = items.iter().position(|i| i.id == *item_id).unwrap_or(0);
            let moved = items.remove(from);
            let to = (*position as usize).saturating_sub(1).min(items.len());
            items.insert(to, moved);
            renumber(tx, &mut items)?;
        }
        Op::ItemRemove { item_id } => {
            let item = item_of(tx, *item_id)?;
            tx.execute(
                "DELETE FROM agenda_items WHERE id = ?1",
                [item_id.to_string()],
            )?;
            tx.execute(
                "DELETE FROM documents WHERE item_id = ?1",
                [item_id.to_string()],
            )?;
            let mut items = items_of(tx, item.meeting_id)?;
            renumber(tx, &mut items)?;
        }
        Op::DocumentAttach {
            document_id,
            item_id,
            title,
            kind,
            classification,
            sha256,
        } => {
            let item = item_of(tx, *item_id)?;
            let size: Option<u64> = tx
                .query_row(
                    "SELECT size FROM uploads WHERE sha256 = ?1",
                    [sha256.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let mut doc =
                load::<Document>(tx, "SELECT json FROM documents WHERE id = ?1", *document_id)?
                    .unwrap_or(Document {
                        id: *document_id,
                        meeting_id: item.meeting_id,
                        item_id: *item_id,
                        title: String::new(),
                        kind: *kind,
                        classification: *classification,
                        versions: Vec::new(),
                    });
            doc.title = title.trim().into();
            doc.kind = *kind;
            doc.classification = *classification;
            if doc.current().map(|v| &v.sha256) != Some(sha256) {
                doc.versions.push(DocumentVersion {
                    // After the last one seen: earlier confidential versions may be
                    // hidden from this user, never the current one.
                    version: doc.versions.last().map_or(1, |v| v.version + 1),
                    sha256: sha256.clone(),
                    size: size.unwrap_or(0),
                    pages: 0,
                    added_at: Timestamp::now_utc(),
                    signature: SignatureSummary::NotChecked,
                });
            }
            put_document(tx, &doc)?;
        }
        Op::MemberAdd {
            meeting_id,
            user_id,
            role,
            attendance,
        } => {
            meeting_of(tx, *meeting_id)?;
            put_member(
                tx,
                &Membership {
                    meeting_id: *meeting_id,
                    user_id: *user_id,
                    role: *role,
                    attendance: *attendance,
                },
            )?;
        }
        Op::MemberRemove {
            meeting_id,
            user_id,
        } => {
            tx.execute(
                "DELETE FROM members WHERE meeting_id = ?1 AND user_id = ?2",
                params![meeting_id.to_string(), user_id.to_string()],
            )?;
        }
        Op::NotePut {
            note_id,
            meeting_id,
            text,
            updated_at,
        } => {
            let existing: Option<Note> =
                load(tx, "SELECT json FROM notes WHERE id = ?1", *note_id)?;
            if existing
                .as_ref()
                .is_some_and(|n| n.updated_at > *updated_at)
            {
                return Ok(());
            }
            put_note(
                tx,
                &Note {
                    id: *note_id,
                    owner_id: me.id,
                    meeting_id: *meeting_id,
                    text: text.clone(),
                    updated_at: *updated_at,
                },
            )?;
        }
        Op::NoteDelete { note_id } => {
            tx.execute("DELETE FROM notes WHERE id = ?1", [note_id.to_string()])?;
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
            let existing: Option<Annotation> = load(
                tx,
                "SELECT json FROM annotations WHERE id = ?1",
                *annotation_id,
            )?;
            if existing
                .as_ref()
                .is_some_and(|a| a.updated_at > *updated_at)
            {
                return Ok(());
            }
            let doc =
                load::<Document>(tx, "SELECT json FROM documents WHERE id = ?1", *document_id)?
                    .ok_or_else(|| ClientError::NotFound(format!("document {document_id}")))?;
            put_annotation(
                tx,
                &Annotation {
                    id: *annotation_id,
                    owner_id: me.id,
                    meeting_id: doc.meeting_id,
                    document_id: *document_id,
                    version: *version,
                    page: *page,
                    shared: *shared,
                    body: body.clone(),
                    updated_at: *updated_at,
                },
            )?;
        }
        Op::AnnotationDelete { annotation_id } => {
            tx.execute(
                "DELETE FROM annotations WHERE id = ?1",
                [annotation_id.to_string()],
            )?;
        }
        other => live::apply_local(tx, me, other)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use phonghop_domain::{ErrorCode, OpResult};

    use super::*;

    #[test]
    fn a_refusal_flags_a_rebuild_in_its_own_transaction_and_the_rebuild_clears_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.sqlite")).unwrap();
        let refused = OpResult {
            id: Id::now_v7(),
            outcome: OpOutcome::Rejected {
                code: ErrorCode::DeadlinePassed,
                message: "the poll has closed".into(),
            },
        };
        cache
            .record_results(std::slice::from_ref(&refused))
            .unwrap();
        assert!(cache.meta(REBUILD_DUE).unwrap().is_some());
        cache.rebuild(&[]).unwrap();
        assert!(cache.meta(REBUILD_DUE).unwrap().is_none());
        // A refusal recorded just after a round's rebuild (the push loop runs beside the
        // rounds) still makes the next round rebuild.
        cache.record_results(&[refused]).unwrap();
        assert!(cache.meta(REBUILD_DUE).unwrap().is_some());
        // An acknowledgement alone asks for nothing.
        cache.rebuild(&[]).unwrap();
        cache
            .record_results(&[OpResult {
                id: Id::now_v7(),
                outcome: OpOutcome::Accepted,
            }])
            .unwrap();
        assert!(cache.meta(REBUILD_DUE).unwrap().is_none());
    }
}
