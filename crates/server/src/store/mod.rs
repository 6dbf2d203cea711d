//! Server storage: one small trait, so a second backend (PostgreSQL, for national scale)
//! can be added by passing the same conformance suite (`tests/it/store_conformance.rs`).
//! A backend owns atomicity: each call is one transaction.

pub mod sqlite;

use std::collections::HashSet;

use phonghop_domain::sync::DeviceInfo;
use phonghop_domain::{
    Change, ChangesPage, Id, MeetingRole, MeetingStatus, OpEnvelope, OpResult, OpinionStats,
    OrgUnit, Role, Sha256, SignatureSummary, Timestamp, User,
};

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database has schema version {found}, newer than this server understands ({supported}); upgrade the server"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("storage failure: {0}")]
    Backend(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// `create_session`'s conflict when the account was disabled meanwhile (any other
/// conflict there is a revoked device).
pub const ACCOUNT_DISABLED: &str = "this account is disabled";
/// The password changed while a login was being checked against the old one.
pub const PASSWORD_CHANGED: &str = "the password has just been changed";

/// A user to create; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Id,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub title: String,
    pub org_unit_id: Option<Id>,
    pub password_hash: String,
}

/// The audit log's newest (seq, hash), kept apart from the rows.
pub type AuditHead = (u64, String);

/// One user's registration of a device.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceRecord {
    pub id: Id,
    pub name: String,
    pub created_at: String,
    pub revoked: bool,
    /// Open sessions on it.
    pub sessions: u32,
}

/// What a session token stands for.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: User,
    pub device_id: Id,
    pub device_revoked: bool,
    /// When the user logged in.
    pub created_at: phonghop_domain::Timestamp,
}

/// An uploaded blob's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRecord {
    pub sha256: Sha256,
    pub size: u64,
    pub pages: u32,
    pub signature: SignatureSummary,
}

/// One row of the hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The new state of a live-meeting entity, for the live channel.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveChange {
    pub meeting_id: Id,
    pub change: Change,
}

/// What applying a batch of ops did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub results: Vec<OpResult>,
    /// Live-meeting entities the accepted ops changed, as the feed now carries them
    /// (only what every member of the meeting may see).
    pub live: Vec<LiveChange>,
    /// An accepted op may have changed who sees which meeting.
    pub audience_changed: bool,
}

/// A guest's invitation to a meeting's video room (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoInvitation {
    pub token_hash: String,
    pub meeting_id: Id,
    /// The guest's name as the secretary typed it.
    pub name: String,
    pub created_by: Id,
    pub expires_at: Timestamp,
}

/// What a guest's page shows about the meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingBrief {
    pub id: Id,
    pub title: String,
    pub room: String,
    pub starts_at: Timestamp,
    /// Agenda item titles, in order.
    pub agenda: Vec<String>,
    pub status: MeetingStatus,
}

pub trait Store: Send + Sync + 'static {
    /// The feed's current position: the sequence number of the last change.
    fn cursor(&self) -> StoreResult<u64>;

    fn create_org_unit(&self, unit: &OrgUnit) -> StoreResult<()>;
    fn create_user(&self, user: &NewUser) -> StoreResult<User>;
    /// The user and their password hash.
    fn user_credentials(&self, username: &str) -> StoreResult<Option<(User, String)>>;
    fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    fn list_users(&self) -> StoreResult<Vec<User>>;
    fn set_user_disabled(&self, username: &str, disabled: bool) -> StoreResult<User>;
    /// A new password hash; every session of the user ends.
    fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()>;
    /// The devices the user has logged in on.
    fn devices_of(&self, username: &str) -> StoreResult<Vec<DeviceRecord>>;
    /// Revokes a device for every user of it (a lost tablet): its sessions answer
    /// `device_revoked` from then on, no one logs in on it again, and what was signed on
    /// it is refused. How many registrations it had.
    fn revoke_device(&self, device_id: Id) -> StoreResult<usize>;

    /// Registers the device (or refreshes its name and key) and opens a session on it.
    /// `checked_hash` is the password hash the login was checked against: a password
    /// reset since then refuses the session ([`PASSWORD_CHANGED`]), as it ended those
    /// that existed.
    fn create_session(
        &self,
        token_hash: &str,
        user_id: Id,
        device: &DeviceInfo,
        checked_hash: &str,
    ) -> StoreResult<()>;
    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>>;
    fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    fn record_blob(&self, blob: &BlobRecord, uploaded_by: Id) -> StoreResult<()>;
    fn blob(&self, sha256: &Sha256) -> StoreResult<Option<BlobRecord>>;
    /// The viewer may download this blob: a document they may see uses it, or they uploaded it.
    fn blob_visible_to(&self, viewer: &User, sha256: &Sha256) -> StoreResult<bool>;
    /// Every blob a document the viewer may see uses (any version).
    fn visible_blobs(&self, viewer: &User) -> StoreResult<std::collections::HashSet<Sha256>>;

    /// Applies each op at most once, in order, each atomically with its audit row;
    /// everything is durable before this returns.
    fn apply_ops(&self, actor: &User, ops: &[OpEnvelope]) -> StoreResult<Vec<OpResult>> {
        Ok(self.apply_ops_live(actor, ops)?.results)
    }

    /// [`Store::apply_ops`], also returning what the live channel should say.
    fn apply_ops_live(&self, actor: &User, ops: &[OpEnvelope]) -> StoreResult<Applied>;

    /// Closes every open poll whose time ran out by `now`; returns their new states.
    fn close_due_polls(&self, now: Timestamp) -> StoreResult<Vec<LiveChange>>;
    /// When the next open poll with a duration closes.
    fn next_poll_close(&self) -> StoreResult<Option<Timestamp>>;
    /// The meetings whose live events this user may receive; None: every meeting
    /// (secretaries and admins).
    fn live_audience(&self, user: &User) -> StoreResult<Option<HashSet<Id>>>;
    /// A written-opinion ballot's statistics, for the chair or secretary of its meeting
    /// and for secretaries and admins; NotFound for anyone else.
    fn opinion_stats(&self, viewer: &User, ballot: Id) -> StoreResult<OpinionStats>;

    /// The change feed as the viewer may see it; see DESIGN.md "Sync".
    fn changes(&self, viewer: &User, since: u64, limit: usize) -> StoreResult<ChangesPage>;

    /// The user's role in a published meeting they are a (not removed) member of.
    fn meeting_role(&self, user: Id, meeting: Id) -> StoreResult<Option<MeetingRole>>;
    /// A published meeting's title, room, time and agenda.
    fn meeting_brief(&self, meeting: Id) -> StoreResult<Option<MeetingBrief>>;
    /// A published meeting's status (what video admission asks on every heartbeat).
    fn published_meeting_status(&self, meeting: Id) -> StoreResult<Option<MeetingStatus>>;
    fn create_video_invitation(&self, invitation: &VideoInvitation) -> StoreResult<()>;
    /// The invitation with this token hash, expired or not; none once whoever made it
    /// may no longer invite (removed from the meeting, another role, disabled).
    fn video_invitation(&self, token_hash: &str) -> StoreResult<Option<VideoInvitation>>;
    /// The meeting's invitations, newest first.
    fn video_invitations(&self, meeting_id: Id) -> StoreResult<Vec<VideoInvitation>>;
    /// Withdraws an invitation of the meeting; false when it has none by that hash.
    fn revoke_video_invitation(
        &self,
        actor: Id,
        meeting_id: Id,
        token_hash: &str,
    ) -> StoreResult<bool>;

    /// Appends to the hash-chained audit log.
    fn audit(&self, actor: &str, action: &str, detail: &serde_json::Value) -> StoreResult<()>;
    /// Records a login attempt in the login log and the audit log.
    fn record_login(&self, username: &str, ip: &str, ok: bool, reason: &str) -> StoreResult<()>;
    fn audit_entries(&self) -> StoreResult<Vec<AuditEntry>>;
    /// The newest row's (seq, hash), recorded apart from the log.
    fn audit_head(&self) -> StoreResult<Option<(u64, String)>>;
    /// The log and its head as of one moment (a running server keeps appending).
    fn audit_snapshot(&self) -> StoreResult<(Vec<AuditEntry>, Option<AuditHead>)>;
}
