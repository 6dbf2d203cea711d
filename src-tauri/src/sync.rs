//! The background sync of the signed-in client: a round at start, then again whenever
//! the live channel says the feed moved or the user changed something; while the server
//! is unreachable, a retry every few seconds. Progress and state go to the UI as events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use phonghop_client::live::Live;
use phonghop_client::meeting::LiveUpdate;
use phonghop_client::{Client, ClientError, SyncEvent};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::Notify;

use crate::dto::{
    DownloadProgress, EVENT_DATA_CHANGED, EVENT_LIVE, EVENT_SESSION_ENDED, EVENT_STATUS, LiveEvent,
    RejectedView, StatusView,
};
use crate::error::Code;

const RETRY: Duration = Duration::from_secs(3);
/// The shortest time between two download-progress events.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

#[derive(Default)]
pub struct SyncState {
    /// Wakes the loop: a local change waits in the outbox.
    pub wake: Notify,
    /// Wakes the pusher, which sends the outbox at once even while a round downloads.
    push_wake: Notify,
    pub online: AtomicBool,
    pub syncing: AtomicBool,
    download: Mutex<Option<DownloadProgress>>,
    tasks: Mutex<Vec<tauri::async_runtime::JoinHandle<()>>>,
}

impl SyncState {
    /// The status bar's contents: the cache's outbox and rejections, and this loop's state.
    pub fn status(&self, client: &Client) -> StatusView {
        let rejected = client
            .cache
            .rejected()
            .unwrap_or_default()
            .into_iter()
            .map(|r| RejectedView {
                op_id: r.op_id.to_string(),
                kind: r.kind,
                code: r.code,
                message: r.message,
            })
            .collect();
        StatusView {
            online: self.online.load(Ordering::Relaxed),
            syncing: self.syncing.load(Ordering::Relaxed),
            last_sync: client.cache.meta("last_sync").ok().flatten(),
            outbox: client.cache.outbox_len().unwrap_or(0),
            outbox_votes: client.cache.outbox_votes().unwrap_or(0),
            rejected,
            download: self
                .download
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            blob_errors: client.cache.blob_errors().map_or(0, |e| e.len() as u32),
        }
    }

    fn set_download(&self, d: Option<DownloadProgress>) {
        *self
            .download
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = d;
    }

    /// A local change waits in the outbox: send it now, and sync.
    pub fn local_change(&self) {
        self.push_wake.notify_one();
        self.wake.notify_one();
    }

    /// Stops the loop (logout, or another user signs in).
    pub fn stop(&self) {
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            t.abort();
        }
        self.online.store(false, Ordering::Relaxed);
        self.syncing.store(false, Ordering::Relaxed);
        self.set_download(None);
    }

    pub fn start(self: &Arc<Self>, app: AppHandle, client: Arc<Client>) {
        self.stop();
        let (state, app2, client2) = (Arc::clone(self), app.clone(), Arc::clone(&client));
        let round = tauri::async_runtime::spawn(async move { run(state, app2, client2).await });
        let state = Arc::clone(self);
        let pusher =
            tauri::async_runtime::spawn(async move { push_loop(state, app, client).await });
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend([round, pusher]);
    }
}

/// Sends each local change as soon as it is made. A sync round pushes too, but only at
/// its start: without this, a ballot cast during a long download would wait for it.
async fn push_loop(state: Arc<SyncState>, app: AppHandle, client: Arc<Client>) {
    loop {
        state.push_wake.notified().await;
        match client.push(None).await {
            Ok((accepted, rejected)) => {
                if rejected > 0 {
                    // The next round rebuilds the cache; make it come now.
                    state.wake.notify_one();
                }
                if accepted + rejected > 0 {
                    emit_status(&state, &app, &client);
                }
            }
            // Offline: the sync loop reports and retries. The session ended (the device
            // revoked, say): the round says so at once, and the app drops what it shows.
            Err(e) => {
                tracing::debug!("push: {e}");
                if session_over(&e).is_some() {
                    state.wake.notify_one();
                }
            }
        }
    }
}

fn emit_status(state: &SyncState, app: &AppHandle, client: &Client) {
    let _ = app.emit(EVENT_STATUS, state.status(client));
}

async fn run(state: Arc<SyncState>, app: AppHandle, client: Arc<Client>) {
    loop {
        state.syncing.store(true, Ordering::Relaxed);
        emit_status(&state, &app, &client);
        let result = round(&state, &app, &client).await;
        state.syncing.store(false, Ordering::Relaxed);
        state.set_download(None);
        match result {
            Ok(changed) => {
                state.online.store(true, Ordering::Relaxed);
                if changed {
                    app.state::<crate::state::App>().close_unreferenced(&client);
                    let _ = app.emit(EVENT_DATA_CHANGED, ());
                }
                emit_status(&state, &app, &client);
                wait_online(&state, &app, &client).await;
            }
            Err(e) if session_over(&e).is_some() => {
                // The server ended the session (logged out elsewhere, the account disabled,
                // this device revoked): the token is dropped, so that a restart does not
                // open the old session, and the UI says why.
                let reason = session_over(&e).unwrap_or(Code::SessionEnded);
                tracing::warn!("session ended: {e}");
                // A revoked device: the engine wiped what it held, and its session with it.
                if reason != Code::DeviceRevoked
                    && let Err(e) = client.forget_session()
                {
                    tracing::warn!("forgetting the session: {e}");
                }
                // Nothing of the session is shown or served (page images) from here.
                app.state::<crate::state::App>().set_client(None);
                state.online.store(true, Ordering::Relaxed);
                emit_status(&state, &app, &client);
                crate::commands::live::close_projector(&app);
                let _ = app.emit(EVENT_SESSION_ENDED, reason);
                return;
            }
            Err(e) => {
                if matches!(e, ClientError::Offline(_)) {
                    tracing::info!("offline: {e}");
                } else {
                    tracing::warn!("sync failed: {e}");
                }
                state.online.store(false, Ordering::Relaxed);
                emit_status(&state, &app, &client);
                tokio::select! {
                    _ = tokio::time::sleep(RETRY) => {}
                    _ = state.wake.notified() => {}
                }
            }
        }
    }
}

/// Why the server no longer serves this session, when that is what `e` says: 401 for a
/// token it no longer knows, or for an account disabled or a device revoked since.
fn session_over(e: &ClientError) -> Option<Code> {
    match e {
        ClientError::SessionEnded | ClientError::NotLoggedIn => Some(Code::SessionEnded),
        ClientError::Server {
            status: 401, code, ..
        } => Some(match code {
            phonghop_domain::ErrorCode::AccountDisabled => Code::AccountDisabled,
            phonghop_domain::ErrorCode::DeviceRevoked => Code::DeviceRevoked,
            _ => Code::SessionEnded,
        }),
        _ => None,
    }
}

/// One sync round with progress events; true when the cache changed.
async fn round(state: &SyncState, app: &AppHandle, client: &Client) -> Result<bool, ClientError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<SyncEvent>();
    let sync = client.sync(Some(tx));
    tokio::pin!(sync);
    let mut total = (0u32, 0u64);
    let mut done: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    // Progress comes every 256 KB — hundreds a second on a LAN — and every status event
    // makes the UI re-read: at most a few a second reach it.
    let mut last_progress: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            r = &mut sync => {
                let report = r?;
                return Ok(report.changes > 0 || report.downloaded > 0 || report.pushed > 0 || report.rejected > 0 || report.revoked > 0);
            }
            Some(ev) = rx.recv() => {
                match ev {
                    SyncEvent::Downloads { files, bytes } if files > 0 => {
                        total = (files as u32, bytes);
                        state.set_download(Some(DownloadProgress { files: files as u32, done_bytes: 0, total_bytes: bytes }));
                    }
                    SyncEvent::Blob { sha256, done: d, .. } => {
                        done.insert(sha256, d);
                        state.set_download(Some(DownloadProgress { files: total.0, done_bytes: done.values().sum(), total_bytes: total.1 }));
                        if last_progress.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) {
                            continue;
                        }
                        last_progress = Some(std::time::Instant::now());
                    }
                    SyncEvent::BlobDone { .. } => { let _ = app.emit(EVENT_DATA_CHANGED, ()); }
                    _ => {}
                }
                emit_status(state, app, client);
            }
        }
    }
}

/// Online: wait for the live channel to say the feed moved, or for a local change.
/// Live-meeting events apply to the cache at once and reach the UI as `live` events.
/// Returns when a new round is due.
async fn wait_online(state: &SyncState, app: &AppHandle, client: &Client) {
    let live = tokio::time::timeout(Duration::from_secs(5), Live::connect(&client.api)).await;
    let Ok(Ok(mut live)) = live else {
        // No live channel: poll now and then.
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            _ = state.wake.notified() => {}
        }
        return;
    };
    loop {
        tokio::select! {
            // The engine applies meeting events and says when a pull is due: the feed
            // moved past the cache (`hello` carries the cursor at connect, so what moved
            // between the end of the round and now counts too).
            m = live.next() => match m.map(|m| client.on_live(&m)) {
                Ok(Ok((update, due))) => {
                    if let Some(LiveUpdate::Meeting { meeting_id, kinds }) = update {
                        let _ = app.emit(
                            EVENT_LIVE,
                            LiveEvent { meeting_id: meeting_id.to_string(), kinds },
                        );
                    }
                    if due {
                        return;
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!("live event not applied: {e}");
                    return;
                }
                Err(_) => return,
            },
            _ = state.wake.notified() => return,
        }
    }
}
