//! The JSON endpoints that are neither auth nor blobs: the change feed, client ops, the
//! live channel and the OpenAPI document.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use phonghop_domain::ops::MAX_OPS_PER_BATCH;
use phonghop_domain::{
    ChangesPage, ErrorCode, LiveMessage, Op, OpEnvelope, OpOutcome, OpsResponse, Timestamp, User,
};
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
) -> ApiResult<ApiJson<ChangesPage>> {
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(ErrorCode::BadRequest, e.body_text()))?;
    if q.limit == 0 || q.limit > 5000 {
        return Err(ApiError::bad_request(
            ErrorCode::Validation,
            "limit must be between 1 and 5000",
        ));
    }
    let store = app.store.clone();
    let page =
        tokio::task::spawn_blocking(move || store.changes(&auth.user, q.since, q.limit)).await??;
    Ok(ApiJson(page))
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
        let env: OpEnvelope = serde_json::from_value(raw.clone())
            .map_err(|e| ApiError::bad_request(ErrorCode::BadOp, format!("op #{i}: {e}")))?;
        ops.push(env);
    }
    let opens_poll = ops.iter().any(|e| matches!(e.op, Op::PollOpen { .. }));
    let store = app.store.clone();
    let actor = auth.user.clone();
    let (applied, cursor) = tokio::task::spawn_blocking(move || {
        let applied = store.apply_ops_live(&actor, &ops)?;
        Ok::<_, crate::store::StoreError>((applied, store.cursor()?))
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
    crate::live::publish(&app, cursor, applied.live);
    Ok(ApiJson(OpsResponse {
        results: applied.results,
        cursor,
    }))
}

/// `GET /api/v1/live`: tells the client when the feed moved, and keeps the line warm.
pub async fn live(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| live_session(app, socket, auth.user))
}

async fn send(socket: &mut WebSocket, msg: &LiveMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

async fn live_session(app: Arc<AppState>, mut socket: WebSocket, user: User) {
    let mut cursor_rx = app.live.subscribe();
    // Live-meeting events for the meetings this user belongs to.
    let mut events = app.hub.subscribe();
    let mut audience = crate::live::Audience::new(user);
    let mut sent_cursor = *cursor_rx.borrow_and_update();
    let hello = LiveMessage::Hello {
        cursor: sent_cursor,
    };
    if !send(&mut socket, &hello).await {
        return;
    }
    let mut heartbeat = tokio::time::interval(app.config.heartbeat);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            biased;
            event = events.recv() => match event {
                Ok(ev) => {
                    if audience.sees(&app, ev.meeting_id).await
                        && socket.send(Message::Text(ev.text.clone())).await.is_err()
                    {
                        break;
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
                if cursor > sent_cursor {
                    if !send(&mut socket, &LiveMessage::Changed { cursor }).await { break; }
                    sent_cursor = cursor;
                }
            }
            _ = heartbeat.tick() => {
                if !send(&mut socket, &LiveMessage::Heartbeat { at: Timestamp::now_utc() }).await { break; }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                // Client → server messages come with the live-meeting features.
                Some(Ok(_)) => {}
            },
        }
    }
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
