//! The JSON endpoints that are neither auth nor blobs: the change feed, client ops, the
//! live channel (which also carries video signaling) and the OpenAPI document.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use phonghop_domain::ops::MAX_OPS_PER_BATCH;
use phonghop_domain::{
    ChangesPage, ErrorCode, LiveMessage, Op, OpEnvelope, OpOutcome, OpsResponse, Timestamp, User,
};
use phonghop_rtc::Identity;
use phonghop_rtc::link::Signaling;
use phonghop_rtc::signal::{ClientSignal, ServerSignal, SignalErrorCode};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Authed;
use crate::error::{ApiError, ApiJson, ApiResult};

#[derive(Debug, Deserialize)]
pub struct ChangesQuery {
    #[serde(default)]
    since: u64,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    500
}

/// `GET /api/v1/changes?since=CURSOR&limit=N`.
pub async fn changes(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(ErrorCode::BadRequest, e.body_text()))?;
    if q.limit == 0 || q.limit > 5000 {
        return Err(ApiError::bad_request(
            ErrorCode::Validation,
            "limit must be between 1 and 5000",
        ));
    }
    // Many members pull the same pages right after a meeting is published.
    let cursor = app.cursor();
    let key = (auth.user.id, q.since, q.limit);
    let body = match app.caches.feed_page(cursor, key) {
        Some(body) => body,
        None => {
            let store = app.store.clone();
            let page: ChangesPage =
                tokio::task::spawn_blocking(move || store.changes(&auth.user, q.since, q.limit))
                    .await??;
            let body =
                axum::body::Bytes::from(serde_json::to_vec(&page).map_err(ApiError::internal)?);
            app.caches.put_feed_page(cursor, key, body.clone());
            body
        }
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// `POST /api/v1/ops`: the whole batch is checked first; one malformed op refuses the
/// batch with nothing applied.
pub async fn ops(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<ApiJson<OpsResponse>> {
    let Some(raw_ops) = body.get("ops").and_then(|v| v.as_array()) else {
        return Err(ApiError::bad_request(
            ErrorCode::BadJson,
            "expected an object {\"ops\": [...]}",
        ));
    };
    if raw_ops.len() > MAX_OPS_PER_BATCH {
        return Err(ApiError::bad_request(
            ErrorCode::Validation,
            format!("at most {MAX_OPS_PER_BATCH} ops per batch; send the rest in another"),
        ));
    }
    let mut ops = Vec::with_capacity(raw_ops.len());
    for (i, raw) in raw_ops.iter().enumerate() {
        let env = OpEnvelope::deserialize(raw)
            .map_err(|e| ApiError::bad_request(ErrorCode::BadOp, format!("op #{i}: {e}")))?;
        ops.push(env);
    }
    let opens_poll = ops.iter().any(|e| matches!(e.op, Op::PollOpen { .. }));
    let store = app.store.clone();
    let actor = auth.user.clone();
    // In a task of its own: once the ops are committed, what follows (a changed audience,
    // the live events, the moved cursor that invalidates the feed and blob caches) must
    // happen even if the caller hangs up and this handler is dropped.
    let after = tokio::spawn(async move {
        let (applied, cursor) = tokio::task::spawn_blocking(move || {
            let applied = store.apply_ops_live(&actor, &ops)?;
            Ok::<_, crate::store::StoreError>((applied, store.cursor()))
        })
        .await??;
        if applied.audience_changed {
            app.hub.audience_changed();
        }
        if opens_poll
            && applied
                .results
                .iter()
                .any(|r| r.outcome == OpOutcome::Accepted)
        {
            app.hub.timer.notify_one();
        }
        let cursor = cursor?;
        crate::live::publish(&app, cursor, applied.live);
        Ok::<_, ApiError>((applied.results, cursor))
    });
    let (results, cursor) = after.await??;
    Ok(ApiJson(OpsResponse { results, cursor }))
}

/// The largest message a client may send on the live channel.
pub const LIVE_MAX_MESSAGE: usize = 256 * 1024;

#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    /// A guest's invitation token, for those without an account (video only).
    #[serde(default)]
    invite: Option<String>,
}

/// `GET /api/v1/live`: tells the client when the feed moved, keeps the line warm, and
/// carries video signaling both ways (see crates/rtc `signal`). Guests connect with
/// `?invite=TOKEN` instead of a session and get video signaling only.
pub async fn live(
    State(app): State<Arc<AppState>>,
    auth: Result<Authed, ApiError>,
    query: Result<Query<LiveQuery>, axum::extract::rejection::QueryRejection>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let invite = query.ok().and_then(|Query(q)| q.invite);
    let (who, user, session, invite) = match (auth, invite) {
        (Ok(a), _) => (
            Identity {
                user_id: Some(a.user.id),
                name: a.user.full_name.clone(),
                invited_to: None,
            },
            Some(a.user),
            Some(a.token_hash),
            None,
        ),
        (Err(_), Some(token)) => {
            let inv = crate::video::invitation(&app, &token).await?;
            (
                Identity {
                    user_id: None,
                    name: inv.name,
                    invited_to: Some(inv.meeting_id),
                },
                None,
                None,
                Some(token),
            )
        }
        (Err(e), None) => return Err(e),
    };
    // tungstenite zeroes its whole read buffer every time the socket is polled, which
    // the session loop does after every event it sends: 128 KiB by default, written a
    // thousand times per vote for a full hall. Client messages are small (video signaling
    // at most a few KiB; longer frames are read in several pieces).
    Ok(ws
        .read_buffer_size(phonghop_domain::LIVE_READ_BUFFER)
        // Clients send video signaling only (an offer is a few KiB): a larger message is
        // refused rather than buffered (tungstenite's default allows 64 MiB).
        .max_message_size(LIVE_MAX_MESSAGE)
        .max_frame_size(LIVE_MAX_MESSAGE)
        .on_upgrade(move |socket| live_session(app, socket, who, user, session, invite)))
}

/// How long one message may take to go out on a live socket. A client that stops
/// reading would otherwise hold its loop in `send` for good: its session, its place in
/// the meeting and its video seat would never be checked again.
const LIVE_SEND_TIMEOUT: Duration = Duration::from_secs(10);

async fn send<T: serde::Serialize>(socket: &mut WebSocket, msg: &T) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => send_raw(socket, Message::Text(text.into())).await,
        Err(_) => false,
    }
}

/// Every message a live socket sends goes through here, with [`LIVE_SEND_TIMEOUT`].
async fn send_raw(socket: &mut WebSocket, msg: Message) -> bool {
    matches!(
        tokio::time::timeout(LIVE_SEND_TIMEOUT, socket.send(msg)).await,
        Ok(Ok(()))
    )
}

async fn live_session(
    app: Arc<AppState>,
    mut socket: WebSocket,
    who: Identity,
    user: Option<User>,
    session: Option<String>,
    invite: Option<String>,
) {
    // A guest comes with an invitation instead of a session.
    let guest = invite.is_some();
    let _connected = crate::live::Hub::connected(&app);
    let mut cursor_rx = app.live.subscribe();
    // Live-meeting events for the meetings this user belongs to (guests: none).
    let mut events = app.hub.subscribe();
    let mut audience = crate::live::Audience::new(user);
    let mut sent_cursor = *cursor_rx.borrow_and_update();
    let hello = LiveMessage::Hello {
        cursor: sent_cursor,
    };
    if !send(&mut socket, &hello).await {
        return;
    }
    let (video_tx, mut video_rx) = tokio::sync::mpsc::unbounded_channel::<ServerSignal>();
    let mut video = Signaling::new(app.video.clone(), who, video_tx);
    // A guest's link seats one connection: a newer one (or the link's withdrawal)
    // closes this one.
    let claim = invite.as_deref().map(|t| app.guest_links.claim(t));
    let kicked = claim.as_ref().map(|c| c.kicked.clone());
    let kicked_wait = async {
        match &kicked {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(kicked_wait);
    let mut heartbeat = tokio::time::interval(app.config.heartbeat);
    heartbeat.tick().await;
    let mut audience_watch = app.hub.watch_audience();
    // A burst of changes (a vote) says `changed` at once, then at most every
    // CHANGED_EVERY: a client pulls once for many, and the line carries the events.
    let mut last_changed = tokio::time::Instant::now() - CHANGED_EVERY;
    let mut changed_due = false;
    loop {
        tokio::select! {
            biased;
            event = events.recv() => match event {
                Ok(ev) => {
                    if audience.sees(&app, ev.meeting_id).await {
                        if !send_raw(&mut socket, Message::Text(ev.text.clone())).await {
                            break;
                        }
                        // An event carries the feed's cursor, and clients pull when it is
                        // past theirs: a `changed` for the same cursor would be a second
                        // send to every connection of the meeting for nothing.
                        sent_cursor = sent_cursor.max(ev.cursor);
                    }
                }
                // Too slow to keep up: the feed has it all; say where it is.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let cursor = *cursor_rx.borrow_and_update();
                    if !send(&mut socket, &LiveMessage::Changed { cursor }).await { break; }
                    sent_cursor = sent_cursor.max(cursor);
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            changed = cursor_rx.changed() => {
                if changed.is_err() { break; }
                let cursor = *cursor_rx.borrow_and_update();
                // Guests have no feed to pull.
                if !guest && cursor > sent_cursor {
                    if last_changed.elapsed() >= CHANGED_EVERY {
                        if !send(&mut socket, &LiveMessage::Changed { cursor }).await { break; }
                        sent_cursor = cursor;
                        last_changed = tokio::time::Instant::now();
                    } else {
                        changed_due = true;
                    }
                }
            }
            _ = tokio::time::sleep_until(last_changed + CHANGED_EVERY), if changed_due => {
                changed_due = false;
                let cursor = *cursor_rx.borrow_and_update();
                if cursor > sent_cursor {
                    if !send(&mut socket, &LiveMessage::Changed { cursor }).await { break; }
                    sent_cursor = cursor;
                }
                last_changed = tokio::time::Instant::now();
            }
            _ = &mut kicked_wait => {
                let _ = send_raw(&mut socket, Message::Close(Some(axum::extract::ws::CloseFrame {
                    code: axum::extract::ws::close_code::POLICY,
                    reason: "this invitation was opened elsewhere or withdrawn".into(),
                })))
                .await;
                break;
            }
            _ = heartbeat.tick() => {
                // The socket lives no longer than its session: logged out, account
                // disabled or device revoked, it closes (and the app learns why when it
                // tries to reconnect).
                let ended = match (&session, &invite) {
                    (Some(hash), _) => crate::auth::usable_session(&app, hash).await.err(),
                    // A guest's link lasts until it expires, not until the guest leaves.
                    (None, Some(token)) => crate::video::invitation(&app, token).await.err(),
                    (None, None) => None,
                };
                if let Some(e) = ended {
                    tracing::info!(code = ?e.code, "live channel closed: the session or invitation may no longer be used");
                    let _ = send_raw(&mut socket, Message::Close(Some(axum::extract::ws::CloseFrame {
                        code: axum::extract::ws::close_code::POLICY,
                        reason: "the session has ended".into(),
                    })))
                    .await;
                    break;
                }
                // Removed from the meeting (or another role now): out of its video room.
                video.recheck().await;
                if !send(&mut socket, &LiveMessage::Heartbeat { at: Timestamp::now_utc() }).await { break; }
            }
            // Who sees which meeting changed (a member removed, a role changed): in a
            // video room, admission is asked again now.
            changed = audience_watch.changed(), if video.session().is_some() => {
                if changed.is_err() { break; }
                video.recheck().await;
            }
            Some(signal) = video_rx.recv() => {
                if !send(&mut socket, &signal).await { break; }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientSignal>(&text) {
                    Ok(msg) => video.on_message(msg).await,
                    Err(e) => {
                        let err = ServerSignal::error(SignalErrorCode::BadRequest, format!("not a message this channel takes: {e}"));
                        if !send(&mut socket, &err).await { break; }
                    }
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    // A closed socket leaves the video room: nothing is forwarded to a gone client.
    video.close().await;
}

/// `GET /api/v1/trust`: the root certificates (PEM) this server checks signatures
/// against, for clients to check documents again on arrival.
pub async fn trust(
    State(app): State<Arc<AppState>>,
    _auth: Authed,
) -> ApiResult<ApiJson<Vec<String>>> {
    let dir = app.config.data_dir.join("trust");
    let mut pems = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if let Ok(text) = std::fs::read_to_string(&p)
                && text.contains("-----BEGIN CERTIFICATE-----")
            {
                pems.push(text);
            }
        }
    }
    Ok(ApiJson(pems))
}

pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(20);

/// The shortest time between two `changed` messages on one connection.
pub const CHANGED_EVERY: Duration = Duration::from_millis(250);
