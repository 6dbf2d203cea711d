//! The headless PhòngHọp client engine. The desktop app and the `phonghop` CLI are thin
//! shells over [`Client`]: every read comes from the local cache, every change applies
//! locally at once and queues in the outbox, and [`Client::sync`] exchanges both ways.
//!
//! On disk, under a cache root: `device.json` (this device's id and Ed25519 key, 0600),
//! `current.json` (the active profile), and `profiles/<server>/<user>/` with `cache.db`,
//! `blobs/` and `session.json` (the token, 0600).

pub mod api;
pub mod blobs;
pub mod cache;
mod error;
pub mod live;
pub mod meeting;
pub mod sync;

use std::path::{Path, PathBuf};

use base64::Engine;
use phonghop_domain::sync::DeviceInfo;
use phonghop_domain::{
    AnnotationBody, Attendance, Classification, DocumentKind, ErrorCode, Id, Meeting, MeetingKind,
    MeetingRole, Note, Op, Timestamp, User,
};
use serde::{Deserialize, Serialize};

pub use api::ServerApi;
pub use blobs::BlobStore;
pub use cache::{BlobError, Cache, RejectedOp};
pub use error::ClientError;
pub use meeting::{LiveMeetingView, LiveUpdate, PollView};
pub use sync::{SyncEvent, SyncReport};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeviceFile {
    id: Id,
    name: String,
    /// The Ed25519 secret key (32 bytes, base64).
    secret_key: String,
}

/// This device's identity; its key signs ballots and ops.
#[derive(Clone)]
pub struct Device {
    pub id: Id,
    pub name: String,
    pub key: ed25519_dalek::SigningKey,
}

impl Device {
    pub fn info(&self) -> DeviceInfo {
        DeviceInfo {
            id: self.id,
            name: self.name.clone(),
            public_key: base64::engine::general_purpose::STANDARD
                .encode(self.key.verifying_key().to_bytes()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionFile {
    server: String,
    username: String,
    token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CurrentFile {
    server: String,
    username: String,
}

/// What [`Client::wipe_revoked_device`] removes under a device's root: every profile
/// of `server` (the server that revoked the device; another server's profiles are not
/// its to take), and the pointer to the current profile when it is one of them. A
/// marker under `wipe-pending/` says a wipe is under way until it is done, so that one
/// cut short (the app closed, a file held open) is finished at the next start.
fn wipe_server_data(root: &Path, server: &str) -> Result<(), ClientError> {
    let name = server_dir_name(server);
    let pending = root.join("wipe-pending");
    std::fs::create_dir_all(&pending)?;
    std::fs::write(pending.join(&name), b"")?;
    let current: Option<CurrentFile> = read_json(&root.join("current.json")).unwrap_or(None);
    if current.is_some_and(|c| server_dir_name(&c.server) == name) {
        match std::fs::remove_file(root.join("current.json")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    finish_wipe(root, &name)
}

fn finish_wipe(root: &Path, server_dir: &str) -> Result<(), ClientError> {
    match std::fs::remove_dir_all(root.join("profiles").join(server_dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    std::fs::remove_file(root.join("wipe-pending").join(server_dir))?;
    Ok(())
}

/// Finishes the wipes a revoked device had begun (see [`wipe_server_data`]).
fn finish_pending_wipes(root: &Path) -> Result<(), ClientError> {
    let Ok(entries) = std::fs::read_dir(root.join("wipe-pending")) else {
        return Ok(());
    };
    for e in entries.flatten() {
        if let Some(name) = e.file_name().to_str() {
            finish_wipe(root, name)?;
        }
    }
    Ok(())
}

/// Writes a file only its owner may read, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ClientError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut o = std::fs::OpenOptions::new();
        o.create(true).write(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, ClientError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ClientError::Invalid(format!("{} is unreadable: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A server URL as a directory name: `http://127.0.0.1:8686` → `127.0.0.1_8686`.
fn server_dir_name(server: &str) -> String {
    let s = server.trim_end_matches('/');
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn normalise_server(url: &str) -> Result<String, ClientError> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(ClientError::Invalid(format!(
            "{url:?} is not a server address like https://phonghop.quangbinh.gov.vn"
        )));
    }
    Ok(url.to_owned())
}

/// Loads this device's identity, making one on first use. The cache root is made
/// readable by its owner only: it holds the session, the key and every downloaded
/// document, confidential ones included, on machines other people log in to.
pub fn device(root: &Path) -> Result<Device, ClientError> {
    std::fs::create_dir_all(root)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))?;
    }
    let path = root.join("device.json");
    if let Some(f) = read_json::<DeviceFile>(&path)? {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&f.secret_key)
            .map_err(|_| ClientError::Invalid("device.json holds a broken key".into()))?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| {
            ClientError::Invalid("device.json holds a key of the wrong size".into())
        })?;
        return Ok(Device {
            id: f.id,
            name: f.name,
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        });
    }
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let name = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_owned())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "PhòngHọp".into());
    let f = DeviceFile {
        id: Id::now_v7(),
        name,
        secret_key: base64::engine::general_purpose::STANDARD.encode(key.to_bytes()),
    };
    write_private(&path, &serde_json::to_vec_pretty(&f).unwrap_or_default())?;
    Ok(Device {
        id: f.id,
        name: f.name,
        key,
    })
}

/// The time stamp of an edit to something last changed at `previous`: now, or just after
/// `previous` when this device's clock is behind the one that made it. Edits are last
/// writer wins by time stamp, so an edit made after seeing another device's must carry a
/// later one, or this device's clock being slow would make the edit silently lose.
pub(crate) fn edit_time(previous: Option<Timestamp>) -> Timestamp {
    let now = Timestamp::now_utc();
    match previous {
        Some(p) if p >= now => p + time::Duration::milliseconds(1),
        _ => now,
    }
}

/// Ids may be given whole, or by a unique start or end (listings show the last 8
/// characters: UUIDv7s made in the same moment share their start).
pub fn id_matches(id: Id, given: &str) -> bool {
    let s = id.to_string();
    !given.is_empty() && (s.starts_with(given) || s.ends_with(given))
}

/// The short form listings show.
pub fn short_id(id: Id) -> String {
    let s = id.to_string();
    s[s.len() - 8..].to_owned()
}

/// One user's view of one server, with its cache.
pub struct Client {
    pub root: PathBuf,
    pub dir: PathBuf,
    pub server: String,
    pub username: String,
    pub cache: Cache,
    pub blobs: BlobStore,
    pub api: ServerApi,
    pub device: Device,
    /// One push at a time: a sync round's and [`Client::push`]'s never overlap.
    push_lock: tokio::sync::Mutex<()>,
    /// The server said this device is revoked, and what it held was wiped.
    wiped: std::sync::atomic::AtomicBool,
}

/// How long a login waits for the server's answer.
pub const LOGIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// How long a logout waits for the outbox to be sent before it goes on without.
pub const LOGOUT_PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a logout waits for the server to end the session (the token is forgotten on
/// this device whatever the answer).
pub const LOGOUT_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// What `status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub server: String,
    pub username: String,
    pub full_name: Option<String>,
    pub online: bool,
    pub logged_in: bool,
    pub cursor: u64,
    pub outbox: u64,
    /// Of those, ballots and written opinions.
    pub outbox_votes: u64,
    pub rejected: Vec<RejectedOp>,
    pub blob_errors: Vec<BlobError>,
    pub last_sync: Option<String>,
}

impl Client {
    fn profile_dir(root: &Path, server: &str, username: &str) -> PathBuf {
        root.join("profiles")
            .join(server_dir_name(server))
            .join(username)
    }

    /// Logs in and makes this the current profile. The password is not stored.
    pub async fn login(
        root: &Path,
        server: &str,
        username: &str,
        password: &str,
    ) -> Result<Client, ClientError> {
        Client::login_within(root, server, username, password, LOGIN_TIMEOUT).await
    }

    async fn login_within(
        root: &Path,
        server: &str,
        username: &str,
        password: &str,
        limit: std::time::Duration,
    ) -> Result<Client, ClientError> {
        let server = normalise_server(server)?;
        let device = device(root)?;
        finish_pending_wipes(root)?;
        let anon = ServerApi::new(&server, None)?;
        // A server that takes the connection and never answers (or answers a byte at a
        // time) must not keep "signing in…" on screen for good.
        let answer = tokio::time::timeout(limit, anon.login(username, password, device.info()))
            .await
            .unwrap_or_else(|_| {
                Err(ClientError::Offline(
                    "the server did not answer the login in time".into(),
                ))
            });
        let resp = match answer {
            Err(
                e @ ClientError::Server {
                    code: ErrorCode::DeviceRevoked,
                    ..
                },
            ) => {
                // The right password on a revoked device: what other users left on it
                // of this server goes too.
                if let Err(w) = wipe_server_data(root, &server) {
                    tracing::error!("this device was revoked; wiping its cache: {w}");
                }
                return Err(e);
            }
            other => other?,
        };
        // The account's name as the server knows it names the profile's folder: it must
        // be a username, not a path.
        let username = resp.user.username.as_str();
        phonghop_domain::user::validate_username(username).map_err(ClientError::Invalid)?;
        let dir = Client::profile_dir(root, &server, username);
        std::fs::create_dir_all(&dir)?;
        write_private(
            &dir.join("session.json"),
            &serde_json::to_vec_pretty(&SessionFile {
                server: server.clone(),
                username: username.into(),
                token: Some(resp.token.clone()),
            })
            .unwrap_or_default(),
        )?;
        let client = Client::open_profile(root, &dir, device)?;
        client
            .cache
            .set_meta("me", &serde_json::to_string(&resp.user).unwrap_or_default())?;
        client.cache.set_meta("server", &server)?;
        write_private(
            &root.join("current.json"),
            &serde_json::to_vec(&CurrentFile {
                server,
                username: username.into(),
            })
            .unwrap_or_default(),
        )?;
        Ok(client)
    }

    fn open_profile(root: &Path, dir: &Path, device: Device) -> Result<Client, ClientError> {
        let session: SessionFile =
            read_json(&dir.join("session.json"))?.ok_or(ClientError::NotLoggedIn)?;
        let cache = Cache::open(&dir.join("cache.db"))?;
        let blobs = BlobStore::open(dir.join("blobs"))?;
        Ok(Client {
            root: root.to_path_buf(),
            dir: dir.to_path_buf(),
            api: ServerApi::new(&session.server, session.token.clone())?,
            server: session.server,
            username: session.username,
            cache,
            blobs,
            device,
            push_lock: tokio::sync::Mutex::new(()),
            wiped: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Opens the current profile without touching the network: works offline.
    pub fn open_current(root: &Path) -> Result<Client, ClientError> {
        finish_pending_wipes(root)?;
        let cur: CurrentFile =
            read_json(&root.join("current.json"))?.ok_or(ClientError::NotLoggedIn)?;
        let dir = Client::profile_dir(root, &cur.server, &cur.username);
        Client::open_profile(root, &dir, device(root)?)
    }

    pub fn logged_in(&self) -> bool {
        self.api.token.is_some()
    }

    /// Forgets the token on disk, so that the next start asks for a login; the server is
    /// not asked (the session ended there, or it is unreachable). The cache stays.
    pub fn forget_session(&self) -> Result<(), ClientError> {
        write_private(
            &self.dir.join("session.json"),
            &serde_json::to_vec_pretty(&SessionFile {
                server: self.server.clone(),
                username: self.username.clone(),
                token: None,
            })
            .unwrap_or_default(),
        )?;
        match std::fs::remove_file(self.root.join("current.json")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// This server's administrator revoked this device (a lost or stolen tablet):
    /// everything it holds of this server, for every user who signed in on it, goes —
    /// caches, document files, notes, annotations, what waits in outboxes, sessions. A
    /// revoked device can send nothing there any more, so nothing it holds can reach the
    /// server. The device key stays: the server goes on refusing this device.
    pub fn wipe_revoked_device(&self) -> Result<(), ClientError> {
        self.wiped.store(true, std::sync::atomic::Ordering::SeqCst);
        wipe_server_data(&self.root, &self.server)
    }

    /// After an answer from the server: a revoked device wipes what it holds of this
    /// server now, before the caller hears of it — and again after anything that
    /// finishes once it did (a round under way may have written a file since).
    pub(crate) fn after_contact<T>(
        &self,
        result: Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        let revoked = matches!(
            &result,
            Err(ClientError::Server {
                code: ErrorCode::DeviceRevoked,
                ..
            })
        );
        if revoked || self.wiped.load(std::sync::atomic::Ordering::SeqCst) {
            match self.wipe_revoked_device() {
                Ok(()) => tracing::warn!("this device was revoked: its cache is wiped"),
                Err(e) => tracing::error!("this device was revoked; wiping its cache: {e}"),
            }
        }
        result
    }

    /// Forgets the token on disk first (closing the app mid-logout, or a slow or closed
    /// server, never leaves the user signed in), then sends what waits in the outbox with
    /// the token still in memory (one try, at most [`LOGOUT_PUSH_TIMEOUT`]), then ends the
    /// session on the server when it can be reached. What could not be sent stays in this
    /// profile's outbox, with the cache, for the next login of the same user.
    pub async fn logout(self) -> Result<(), ClientError> {
        self.forget_session()?;
        if self.cache.outbox_len().map_or(true, |n| n > 0) {
            let once = sync::Retry {
                attempts: 1,
                ..Default::default()
            };
            // Unreachable, refused or slow: the ops stay queued, the logout goes on.
            if let Ok(pushed) =
                tokio::time::timeout(LOGOUT_PUSH_TIMEOUT, self.push_with(&None, once)).await
            {
                let _ = self.after_contact(pushed);
            }
        }
        let reached = tokio::time::timeout(LOGOUT_CALL_TIMEOUT, self.api.logout())
            .await
            .unwrap_or_else(|_| {
                Err(ClientError::Offline(
                    "the server did not answer the logout in time".into(),
                ))
            });
        let reached = self.after_contact(reached);
        match reached {
            Ok(()) | Err(ClientError::Offline(_)) | Err(ClientError::SessionEnded) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Where this profile keeps the trust roots it checks signatures against.
    pub fn trust_dir(&self) -> PathBuf {
        self.dir.join("trust")
    }

    /// This device's verdict on a document version when it has checked the file, else
    /// what the server found on upload.
    pub fn signature_of(
        &self,
        v: &phonghop_domain::DocumentVersion,
    ) -> Result<phonghop_domain::SignatureSummary, ClientError> {
        Ok(self
            .cache
            .verdict(&v.sha256)?
            .unwrap_or_else(|| v.signature.clone()))
    }

    pub fn me(&self) -> Result<User, ClientError> {
        self.cache.me()?.ok_or(ClientError::NotLoggedIn)
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        let online = match self.api.me(std::time::Duration::from_secs(3)).await {
            Ok(_) => true,
            Err(ClientError::Offline(_)) => false,
            // Reachable, whatever it thinks of the session.
            Err(_) => true,
        };
        Ok(Status {
            server: self.server.clone(),
            username: self.username.clone(),
            full_name: self.cache.me()?.map(|u| u.full_name),
            online,
            logged_in: self.logged_in(),
            cursor: self.cache.cursor()?,
            outbox: self.cache.outbox_len()?,
            outbox_votes: self.cache.outbox_votes()?,
            rejected: self.cache.rejected()?,
            blob_errors: self.cache.blob_errors()?,
            last_sync: self.cache.meta("last_sync")?,
        })
    }

    // ---- reads, from the cache only --------------------------------------------------

    pub fn meetings(&self) -> Result<Vec<Meeting>, ClientError> {
        self.cache.meetings()
    }

    /// A meeting by id, or by a unique prefix or suffix of its id.
    pub fn find_meeting(&self, id_or_prefix: &str) -> Result<Meeting, ClientError> {
        let ms: Vec<Meeting> = self
            .cache
            .meetings()?
            .into_iter()
            .filter(|m| id_matches(m.id, id_or_prefix))
            .collect();
        match ms.len() {
            1 => Ok(ms.into_iter().next().expect("one")),
            0 => Err(ClientError::NotFound(format!("meeting {id_or_prefix}"))),
            _ => Err(ClientError::Invalid(format!(
                "{id_or_prefix} matches several meetings; give more of the id"
            ))),
        }
    }

    pub fn find_document(
        &self,
        id_or_prefix: &str,
    ) -> Result<phonghop_domain::Document, ClientError> {
        let ds: Vec<_> = self
            .cache
            .all_documents()?
            .into_iter()
            .filter(|d| id_matches(d.id, id_or_prefix))
            .collect();
        match ds.len() {
            1 => Ok(ds.into_iter().next().expect("one")),
            0 => Err(ClientError::NotFound(format!("document {id_or_prefix}"))),
            _ => Err(ClientError::Invalid(format!(
                "{id_or_prefix} matches several documents; give more of the id"
            ))),
        }
    }

    pub fn find_item(
        &self,
        id_or_prefix: &str,
    ) -> Result<phonghop_domain::AgendaItem, ClientError> {
        let mut found = Vec::new();
        for m in self.cache.meetings()? {
            found.extend(
                self.cache
                    .agenda(m.id)?
                    .into_iter()
                    .filter(|i| id_matches(i.id, id_or_prefix)),
            );
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(ClientError::NotFound(format!("agenda item {id_or_prefix}"))),
            _ => Err(ClientError::Invalid(format!(
                "{id_or_prefix} matches several agenda items; give more of the id"
            ))),
        }
    }

    /// The verified local file of a document's current version.
    pub fn document_path(&self, id_or_prefix: &str) -> Result<PathBuf, ClientError> {
        let doc = self.find_document(id_or_prefix)?;
        let v = doc
            .current()
            .ok_or_else(|| ClientError::NotFound(format!("a file of document {}", doc.id)))?;
        let path = self.blobs.path(&v.sha256);
        if !path.is_file() {
            return Err(ClientError::NotFound(format!(
                "the file of document {} (not downloaded yet; run sync)",
                doc.id
            )));
        }
        if blobs::sha256_of_file(&path)? != v.sha256 {
            let _ = std::fs::remove_file(&path);
            return Err(ClientError::Invalid(format!(
                "the local file of document {} was damaged and is removed; run sync",
                doc.id
            )));
        }
        Ok(path)
    }

    // ---- local changes: applied at once, synced later ---------------------------------

    pub fn note_add(&self, meeting: Option<Id>, text: &str) -> Result<Id, ClientError> {
        let note_id = Id::now_v7();
        self.cache.local_op(Op::NotePut {
            note_id,
            meeting_id: meeting,
            text: text.into(),
            updated_at: Timestamp::now_utc(),
        })?;
        Ok(note_id)
    }

    pub fn note_edit(&self, note_id: Id, text: &str) -> Result<(), ClientError> {
        let note: Note = self
            .cache
            .notes(None)?
            .into_iter()
            .find(|n| n.id == note_id)
            .ok_or_else(|| ClientError::NotFound(format!("note {note_id}")))?;
        self.cache.local_op(Op::NotePut {
            note_id,
            meeting_id: note.meeting_id,
            text: text.into(),
            updated_at: edit_time(Some(note.updated_at)),
        })?;
        Ok(())
    }

    pub fn note_rm(&self, id_or_prefix: &str) -> Result<Id, ClientError> {
        let notes: Vec<Note> = self
            .cache
            .notes(None)?
            .into_iter()
            .filter(|n| id_matches(n.id, id_or_prefix))
            .collect();
        let note = match notes.len() {
            1 => &notes[0],
            0 => return Err(ClientError::NotFound(format!("note {id_or_prefix}"))),
            _ => {
                return Err(ClientError::Invalid(format!(
                    "{id_or_prefix} matches several notes"
                )));
            }
        };
        self.cache.local_op(Op::NoteDelete { note_id: note.id })?;
        Ok(note.id)
    }

    /// Creates (`annotation_id: None`) or replaces one of the user's annotations on a
    /// document version; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn annotation_put(
        &self,
        annotation_id: Option<Id>,
        document: Id,
        version: u32,
        page: u32,
        shared: bool,
        body: AnnotationBody,
    ) -> Result<Id, ClientError> {
        let previous = match annotation_id {
            Some(id) => self.cache.annotation(id)?.map(|a| a.updated_at),
            None => None,
        };
        let annotation_id = annotation_id.unwrap_or_else(Id::now_v7);
        self.cache.local_op(Op::AnnotationPut {
            annotation_id,
            document_id: document,
            version,
            page,
            shared,
            body,
            updated_at: edit_time(previous),
        })?;
        Ok(annotation_id)
    }

    pub fn annotation_delete(&self, annotation_id: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::AnnotationDelete { annotation_id })
            .map(|_| ())
    }

    pub fn meeting_create(
        &self,
        title: &str,
        kind: MeetingKind,
        room: &str,
        starts_at: Timestamp,
        ends_at: Timestamp,
    ) -> Result<Id, ClientError> {
        let meeting_id = Id::now_v7();
        self.cache.local_op(Op::MeetingCreate {
            meeting_id,
            title: title.into(),
            kind,
            room: room.into(),
            starts_at,
            ends_at,
            org_unit_id: None,
        })?;
        Ok(meeting_id)
    }

    pub fn item_add(
        &self,
        meeting: Id,
        title: &str,
        presenter: &str,
        planned_minutes: u32,
        position: Option<u32>,
    ) -> Result<Id, ClientError> {
        let item_id = Id::now_v7();
        self.cache.local_op(Op::ItemAdd {
            item_id,
            meeting_id: meeting,
            title: title.into(),
            presenter: presenter.into(),
            planned_minutes,
            position,
        })?;
        Ok(item_id)
    }

    pub fn item_move(&self, item: Id, position: u32) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::ItemMove {
                item_id: item,
                position,
            })
            .map(|_| ())
    }

    pub fn item_rm(&self, item: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::ItemRemove { item_id: item })
            .map(|_| ())
    }

    /// Copies the file into the local store at once (readable offline), and queues its
    /// upload and the attach op.
    pub fn doc_attach(
        &self,
        item: Id,
        file: &Path,
        title: &str,
        kind: DocumentKind,
        classification: Classification,
        document_id: Option<Id>,
    ) -> Result<Id, ClientError> {
        let mut head = [0u8; 5];
        {
            use std::io::Read;
            let mut f = std::fs::File::open(file).map_err(|e| {
                ClientError::Invalid(format!("cannot read {}: {e}", file.display()))
            })?;
            f.read_exact(&mut head)
                .map_err(|_| ClientError::Invalid(format!("{} is not a PDF", file.display())))?;
        }
        if &head != b"%PDF-" {
            return Err(ClientError::Invalid(format!(
                "{} is not a PDF",
                file.display()
            )));
        }
        let (sha, size) = self.blobs.import(file)?;
        self.cache.add_upload(&sha, size)?;
        let document_id = document_id.unwrap_or_else(Id::now_v7);
        self.cache.local_op(Op::DocumentAttach {
            document_id,
            item_id: item,
            title: title.into(),
            kind,
            classification,
            sha256: sha,
        })?;
        Ok(document_id)
    }

    pub fn member_add(
        &self,
        meeting: Id,
        username: &str,
        role: MeetingRole,
        attendance: Attendance,
    ) -> Result<(), ClientError> {
        let user = self
            .cache
            .user_by_username(username)?
            .ok_or_else(|| ClientError::NotFound(format!("user {username}")))?;
        self.cache
            .local_op(Op::MemberAdd {
                meeting_id: meeting,
                user_id: user.id,
                role,
                attendance,
            })
            .map(|_| ())
    }

    pub fn member_rm(&self, meeting: Id, username: &str) -> Result<(), ClientError> {
        let user = self
            .cache
            .user_by_username(username)?
            .ok_or_else(|| ClientError::NotFound(format!("user {username}")))?;
        self.cache
            .local_op(Op::MemberRemove {
                meeting_id: meeting,
                user_id: user.id,
            })
            .map(|_| ())
    }

    pub fn publish(&self, meeting: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::MeetingPublish {
                meeting_id: meeting,
            })
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that takes the connection and then says nothing: the login gives up
    /// as offline instead of waiting for good.
    #[tokio::test]
    async fn a_login_to_a_silent_server_gives_up() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            drop(conn);
        });
        let root = tempfile::tempdir().unwrap();
        let t = std::time::Instant::now();
        let r = Client::login_within(
            root.path(),
            &format!("http://127.0.0.1:{port}"),
            "daibieu01",
            "mat-khau-1",
            std::time::Duration::from_millis(300),
        )
        .await;
        assert!(matches!(r, Err(ClientError::Offline(_))), "{:?}", r.err());
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        assert!(!root.path().join("current.json").exists());
        held.abort();
    }
}
