//! The live channel's meeting events: what changed in a live meeting (a tally, the
//! speaker queue, attendance, the current item, the presenter's page), sent to the
//! meeting's audience at once — and, under load, at most every [`Hub::flush_interval`], with
//! each entity's newest state only. The feed stays the truth: an event is the same state
//! the next pull brings, and a connection that falls behind is told to pull.
//!
//! Also here: the poll timer, which closes polls whose duration ran out.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use phonghop_domain::{Change, Id, LiveMessage, Timestamp, User};
use tokio::sync::{Notify, broadcast};

use crate::AppState;
use crate::store::LiveChange;

/// The shortest time between two sends of events (and `changed` cursors) under load.
/// A quiet meeting's first event goes out at once.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(20);

/// With many connections, each send costs a write on every one of them: the interval
/// grows by this much per connection, so a full hall during a vote spends its CPU on
/// ballots rather than on telling everyone each ballot separately (1,000 connections:
/// 50 ms, at most [`MAX_FLUSH_INTERVAL`]).
const FLUSH_PER_CONNECTION: Duration = Duration::from_micros(50);
const MAX_FLUSH_INTERVAL: Duration = Duration::from_millis(80);

const CHANNEL_CAPACITY: usize = 4096;

/// One meeting's events, serialised once for every connection.
#[derive(Debug)]
pub struct MeetingEvent {
    pub meeting_id: Id,
    pub cursor: u64,
    pub text: Utf8Bytes,
}

#[derive(Default)]
struct Pending {
    cursor: u64,
    /// Per meeting, per entity: the newest state.
    by_meeting: HashMap<Id, Vec<(EntityKey, Change)>>,
    flush_scheduled: bool,
    last_flush: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum EntityKey {
    Poll(Id),
    Ballot(Id, Id),
    Presence(Id, Id),
    Speak(Id),
    Progress(Id),
    Opinion(Id),
    Other,
}

fn key_of(c: &Change) -> EntityKey {
    match c {
        Change::Poll(p) => EntityKey::Poll(p.id),
        Change::Ballot(b) => EntityKey::Ballot(b.poll_id, b.voter_id),
        Change::Presence(p) => EntityKey::Presence(p.meeting_id, p.user_id),
        Change::SpeakRequest(s) => EntityKey::Speak(s.id),
        Change::Progress(g) => EntityKey::Progress(g.meeting_id),
        Change::Opinion(o) => EntityKey::Opinion(o.id),
        _ => EntityKey::Other,
    }
}

pub struct Hub {
    events: broadcast::Sender<Arc<MeetingEvent>>,
    pending: Mutex<Pending>,
    /// Bumped when who-sees-which-meeting may have changed.
    audience_epoch: AtomicU64,
    /// Says so to the live connections in a video room: a member removed from the
    /// meeting leaves its room now, not at the next heartbeat.
    audience_watch: tokio::sync::watch::Sender<u64>,
    /// The newest committed cursor, before the batched announcement goes out.
    committed: AtomicU64,
    /// Wakes the poll timer (a poll with a duration opened).
    pub timer: Notify,
    /// Open live connections (for the flush interval).
    connections: AtomicUsize,
}

/// Counts a live connection while it lives.
pub struct Connected(Arc<AppState>);

impl Drop for Connected {
    fn drop(&mut self) {
        self.0.hub.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            events: broadcast::channel(CHANNEL_CAPACITY).0,
            pending: Mutex::new(Pending::default()),
            audience_epoch: AtomicU64::new(0),
            audience_watch: tokio::sync::watch::channel(0).0,
            committed: AtomicU64::new(0),
            timer: Notify::new(),
            connections: AtomicUsize::new(0),
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<MeetingEvent>> {
        self.events.subscribe()
    }

    pub fn audience_changed(&self) {
        let epoch = self.audience_epoch.fetch_add(1, Ordering::AcqRel) + 1;
        self.audience_watch.send_replace(epoch);
    }

    /// Changes of who sees which meeting, as they happen.
    pub fn watch_audience(&self) -> tokio::sync::watch::Receiver<u64> {
        self.audience_watch.subscribe()
    }

    pub fn audience_epoch(&self) -> u64 {
        self.audience_epoch.load(Ordering::Acquire)
    }

    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    pub fn connected(app: &Arc<AppState>) -> Connected {
        app.hub.connections.fetch_add(1, Ordering::AcqRel);
        Connected(app.clone())
    }

    /// The shortest time between two sends, for the connections open now.
    pub fn flush_interval(&self) -> Duration {
        let n = self.connections.load(Ordering::Acquire) as u32;
        (FLUSH_PER_CONNECTION * n).clamp(FLUSH_INTERVAL, MAX_FLUSH_INTERVAL)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Queues the new states and the feed's cursor for the live channel; sends at once when
/// the last send was long enough ago, else schedules one send for the batch.
pub fn publish(app: &Arc<AppState>, cursor: u64, changes: Vec<LiveChange>) {
    app.hub.committed.fetch_max(cursor, Ordering::AcqRel);
    let delay = {
        let mut p = app.hub.pending();
        p.cursor = p.cursor.max(cursor);
        for LiveChange { meeting_id, change } in changes {
            let key = key_of(&change);
            let list = p.by_meeting.entry(meeting_id).or_default();
            match list
                .iter_mut()
                .find(|(k, _)| *k == key && key != EntityKey::Other)
            {
                Some((_, existing)) => {
                    if change.version() >= existing.version() {
                        *existing = change;
                    }
                }
                None => list.push((key, change)),
            }
        }
        if p.flush_scheduled {
            return;
        }
        let since = p.last_flush.map(|t| t.elapsed());
        let interval = app.hub.flush_interval();
        match since {
            Some(s) if s < interval => {
                p.flush_scheduled = true;
                Some(interval - s)
            }
            _ => None,
        }
    };
    match delay {
        None => flush(app),
        Some(d) => {
            let app = app.clone();
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                flush(&app);
            });
        }
    }
}

fn flush(app: &Arc<AppState>) {
    let (cursor, batches) = {
        let mut p = app.hub.pending();
        p.flush_scheduled = false;
        p.last_flush = Some(Instant::now());
        (p.cursor, std::mem::take(&mut p.by_meeting))
    };
    let at = Timestamp::now_utc();
    for (meeting_id, list) in batches {
        let msg = LiveMessage::Meeting {
            meeting_id,
            cursor,
            changes: list.into_iter().map(|(_, c)| c).collect(),
            at,
        };
        match serde_json::to_string(&msg) {
            Ok(text) => {
                // No receiver is fine: nobody is connected.
                let _ = app.hub.events.send(Arc::new(MeetingEvent {
                    meeting_id,
                    cursor,
                    text: text.into(),
                }));
            }
            Err(e) => tracing::error!(%e, "cannot serialise a live event"),
        }
    }
    app.notify_changed(cursor);
}

/// Which meetings' events one connection may receive, refreshed when memberships change.
pub struct Audience {
    /// None: a video guest, who hears no meeting's events.
    user: Option<User>,
    epoch: Option<u64>,
    meetings: Option<HashSet<Id>>,
}

impl Audience {
    pub fn new(user: Option<User>) -> Audience {
        Audience {
            user,
            epoch: None,
            meetings: None,
        }
    }

    pub async fn sees(&mut self, app: &Arc<AppState>, meeting: Id) -> bool {
        let Some(user) = self.user.clone() else {
            return false;
        };
        let epoch = app.hub.audience_epoch();
        if self.epoch != Some(epoch) {
            let store = app.store.clone();
            match tokio::task::spawn_blocking(move || store.live_audience(&user)).await {
                Ok(Ok(m)) => {
                    self.meetings = m;
                    self.epoch = Some(epoch);
                }
                _ => return false,
            }
        }
        self.meetings.as_ref().is_none_or(|m| m.contains(&meeting))
    }
}

/// Closes polls when their time runs out, and tells their meetings. Runs until aborted
/// (the server's shutdown does).
pub fn spawn_poll_timer(app: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let store = app.store.clone();
            let next = tokio::task::spawn_blocking(move || store.next_poll_close())
                .await
                .ok()
                .and_then(Result::ok)
                .flatten();
            let wait = match next {
                Some(t) => {
                    let d = t - Timestamp::now_utc();
                    Duration::try_from(d)
                        .unwrap_or(Duration::ZERO)
                        .min(Duration::from_secs(5))
                }
                None => Duration::from_secs(5),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = app.hub.timer.notified() => continue,
            }
            let store = app.store.clone();
            let closed = tokio::task::spawn_blocking(move || {
                let changes = store.close_due_polls(Timestamp::now_utc())?;
                Ok::<_, crate::store::StoreError>((changes, store.cursor()?))
            })
            .await;
            match closed {
                Ok(Ok((changes, cursor))) if !changes.is_empty() => publish(&app, cursor, changes),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(%e, "the poll timer failed"),
                Err(e) => tracing::error!(%e, "the poll timer panicked"),
            }
        }
    })
}
