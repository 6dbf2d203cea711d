//! Video on the provincial server: the SFU (crates/rtc) admitted by meeting membership
//! or a guest invitation, invitations for guests, the room's state, and the static guest
//! page. Signaling itself rides the live WebSocket (`api::live`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use phonghop_domain::{ErrorCode, Id, MeetingRole, MeetingStatus, Role, Timestamp};
use phonghop_rtc::sfu::SignalResult;
use phonghop_rtc::signal::ParticipantInfo;
use phonghop_rtc::{Admission, Identity, PeerRole, Sfu, SignalErrorCode};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{Authed, new_token, token_hash};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::store::{Store, VideoInvitation};

/// Members of a published meeting join in their meeting role; a guest joins the one
/// meeting their invitation names. Nobody joins once the meeting has ended, and whoever
/// is still in its room leaves at the next recheck.
pub struct StoreAdmission {
    pub store: Arc<dyn Store>,
}

#[async_trait::async_trait]
impl Admission for StoreAdmission {
    async fn admit(&self, who: &Identity, meeting: Id) -> SignalResult<PeerRole> {
        let store = self.store.clone();
        let user = who.user_id;
        let looked_up = tokio::task::spawn_blocking(move || {
            let role = match user {
                Some(user) => store.meeting_role(user, meeting)?,
                None => None,
            };
            Ok::<_, crate::store::StoreError>((role, store.published_meeting_status(meeting)?))
        })
        .await;
        let (role, status) = match looked_up {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => return Err(could_not_check(e.to_string())),
            Err(e) => return Err(could_not_check(e.to_string())),
        };
        // A role exists only for an account; a guest only into a published meeting (an
        // admin may invite to a draft).
        let role = match role {
            Some(MeetingRole::Chair) => PeerRole::Chair,
            Some(MeetingRole::Secretary) => PeerRole::Secretary,
            Some(MeetingRole::Member) => PeerRole::Member,
            Some(MeetingRole::Guest) => PeerRole::Guest,
            None if user.is_none() && who.invited_to == Some(meeting) && status.is_some() => {
                PeerRole::Guest
            }
            None => return Err(phonghop_rtc::sfu::not_admitted()),
        };
        match status {
            Some(MeetingStatus::Ended) => Err((
                SignalErrorCode::MeetingEnded,
                "the meeting has ended: its video room is closed".into(),
            )),
            Some(_) => Ok(role),
            None => Err(phonghop_rtc::sfu::not_admitted()),
        }
    }
}

fn could_not_check(e: impl std::fmt::Display) -> (SignalErrorCode, String) {
    tracing::error!(error = %e, "video admission: the store did not answer");
    (
        SignalErrorCode::Internal,
        "the server could not check your place in the meeting; try again".into(),
    )
}

pub fn sfu(config: &phonghop_rtc::SfuConfig, store: Arc<dyn Store>) -> Arc<Sfu> {
    Sfu::new(config.clone(), Arc::new(StoreAdmission { store }))
}

/// How long an invitation link works unless the secretary says otherwise.
pub const DEFAULT_INVITATION_HOURS: u32 = 48;

#[derive(Debug, Deserialize)]
pub struct InvitationRequest {
    /// The guest's name, shown to everyone in the room.
    pub name: String,
    #[serde(default)]
    pub valid_hours: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct InvitationCreated {
    /// Names the invitation to list or withdraw it (not a credential).
    pub id: String,
    pub token: String,
    /// The guest page, relative to the server's address.
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: Timestamp,
}

/// `POST /api/v1/meetings/{id}/video/invitations`: the chair or secretary of the
/// meeting (or an administrator) invites a guest without an account.
pub async fn create_invitation(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    Path(meeting): Path<Id>,
    ApiJson(req): ApiJson<InvitationRequest>,
) -> ApiResult<(StatusCode, ApiJson<InvitationCreated>)> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::bad_request(
            ErrorCode::Validation,
            "the guest's name must be 1 to 80 characters",
        ));
    }
    let hours = req.valid_hours.unwrap_or(DEFAULT_INVITATION_HOURS);
    if hours == 0 || hours > 24 * 30 {
        return Err(ApiError::bad_request(
            ErrorCode::Validation,
            "valid_hours must be between 1 and 720",
        ));
    }
    let store = app.store.clone();
    let user = auth.user.clone();
    let token = new_token();
    let expires_at = Timestamp::now_utc() + Duration::from_secs(u64::from(hours) * 3600);
    let id = token_hash(&token);
    let inv = VideoInvitation {
        token_hash: id.clone(),
        meeting_id: meeting,
        name,
        created_by: user.id,
        expires_at,
    };
    tokio::task::spawn_blocking(move || {
        may_invite(store.as_ref(), &user, meeting)?;
        if store.published_meeting_status(meeting)? == Some(MeetingStatus::Ended) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                "the meeting has ended: its video room is closed",
            ));
        }
        store.create_video_invitation(&inv)?;
        Ok::<_, ApiError>(())
    })
    .await??;
    Ok((
        StatusCode::CREATED,
        ApiJson(InvitationCreated {
            id,
            url: format!("/video/join/{token}"),
            token,
            expires_at,
        }),
    ))
}

/// The chair or secretary of the meeting, or an administrator.
fn may_invite(
    store: &dyn Store,
    user: &phonghop_domain::User,
    meeting: Id,
) -> Result<(), ApiError> {
    let role = store.meeting_role(user.id, meeting)?;
    if user.role == Role::Admin || matches!(role, Some(MeetingRole::Chair | MeetingRole::Secretary))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the chair or the secretary of this meeting may invite guests",
        ))
    }
}

#[derive(Debug, Serialize)]
pub struct InvitationView {
    pub id: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: Timestamp,
    /// The guest is connected now.
    pub connected: bool,
}

/// `GET /api/v1/meetings/{id}/video/invitations`: the meeting's guest links.
pub async fn list_invitations(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    Path(meeting): Path<Id>,
) -> ApiResult<ApiJson<Vec<InvitationView>>> {
    let store = app.store.clone();
    let user = auth.user.clone();
    let invs = tokio::task::spawn_blocking(move || {
        may_invite(store.as_ref(), &user, meeting)?;
        Ok::<_, ApiError>(store.video_invitations(meeting)?)
    })
    .await??;
    Ok(ApiJson(
        invs.into_iter()
            .map(|i| InvitationView {
                connected: app.guest_links.connected(&i.token_hash),
                id: i.token_hash,
                name: i.name,
                expires_at: i.expires_at,
            })
            .collect(),
    ))
}

/// `DELETE /api/v1/meetings/{id}/video/invitations/{inv}`: withdraws a guest link; a
/// guest connected with it leaves at once.
pub async fn revoke_invitation(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    Path((meeting, inv)): Path<(Id, String)>,
) -> ApiResult<StatusCode> {
    let store = app.store.clone();
    let user = auth.user.clone();
    let hash = inv.clone();
    let found = tokio::task::spawn_blocking(move || {
        may_invite(store.as_ref(), &user, meeting)?;
        Ok::<_, ApiError>(store.revoke_video_invitation(user.id, meeting, &hash)?)
    })
    .await??;
    if !found {
        return Err(ApiError::not_found("no such invitation for this meeting"));
    }
    app.guest_links.kick(&inv);
    Ok(StatusCode::NO_CONTENT)
}

/// The guests connected now, by invitation: one connection per link. A link opened
/// again (a reload, another window, someone it was passed on to) takes the place of the
/// connection before, which is closed — so a link never seats more than one guest.
#[derive(Default)]
pub struct GuestLinks {
    inner: std::sync::Mutex<std::collections::HashMap<String, (u64, Arc<tokio::sync::Notify>)>>,
    next: std::sync::atomic::AtomicU64,
}

/// One guest connection's hold on its link; dropped when the connection ends.
pub struct GuestClaim<'a> {
    links: &'a GuestLinks,
    hash: String,
    id: u64,
    /// Notified when the link is opened elsewhere or withdrawn.
    pub kicked: Arc<tokio::sync::Notify>,
}

impl GuestLinks {
    fn map(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (u64, Arc<tokio::sync::Notify>)>>
    {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn claim(&self, token: &str) -> GuestClaim<'_> {
        let hash = token_hash(token);
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let kicked = Arc::new(tokio::sync::Notify::new());
        if let Some((_, before)) = self.map().insert(hash.clone(), (id, kicked.clone())) {
            before.notify_one();
        }
        GuestClaim {
            links: self,
            hash,
            id,
            kicked,
        }
    }

    pub fn kick(&self, hash: &str) {
        if let Some((_, n)) = self.map().remove(hash) {
            n.notify_one();
        }
    }

    pub fn connected(&self, hash: &str) -> bool {
        self.map().contains_key(hash)
    }
}

impl Drop for GuestClaim<'_> {
    fn drop(&mut self) {
        let mut map = self.links.map();
        if map.get(&self.hash).is_some_and(|(id, _)| *id == self.id) {
            map.remove(&self.hash);
        }
    }
}

/// A valid (known, unexpired) invitation by its token.
pub async fn invitation(app: &AppState, token: &str) -> Result<VideoInvitation, ApiError> {
    let store = app.store.clone();
    let hash = token_hash(token);
    let inv = tokio::task::spawn_blocking(move || store.video_invitation(&hash)).await??;
    match inv {
        Some(i) if i.expires_at > Timestamp::now_utc() => Ok(i),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this invitation has expired; ask the secretary for a new link",
        )),
        None => Err(ApiError::not_found("no such invitation")),
    }
}

#[derive(Debug, Serialize)]
pub struct GuestView {
    pub meeting: MeetingView,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: Timestamp,
}

#[derive(Debug, Serialize)]
pub struct MeetingView {
    pub id: Id,
    pub title: String,
    pub room: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: Timestamp,
    pub agenda: Vec<String>,
}

/// `GET /api/v1/video/invitations/{token}`: what the guest page shows before joining.
pub async fn get_invitation(
    State(app): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> ApiResult<ApiJson<GuestView>> {
    let inv = invitation(&app, &token).await?;
    let store = app.store.clone();
    let brief = tokio::task::spawn_blocking(move || store.meeting_brief(inv.meeting_id))
        .await??
        .ok_or_else(|| ApiError::not_found("the meeting is not published"))?;
    Ok(ApiJson(GuestView {
        meeting: MeetingView {
            id: brief.id,
            title: brief.title,
            room: brief.room,
            starts_at: brief.starts_at,
            agenda: brief.agenda,
        },
        name: inv.name,
        expires_at: inv.expires_at,
    }))
}

#[derive(Debug, Serialize)]
pub struct RoomView {
    pub meeting_id: Id,
    pub participants: Vec<ParticipantInfo>,
}

/// `GET /api/v1/meetings/{id}/video`: who is in the meeting's video room (members only).
pub async fn room(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    Path(meeting): Path<Id>,
) -> ApiResult<ApiJson<RoomView>> {
    let store = app.store.clone();
    let user = auth.user.id;
    let role = tokio::task::spawn_blocking(move || store.meeting_role(user, meeting)).await??;
    if role.is_none() && auth.user.role != Role::Admin {
        return Err(ApiError::forbidden("not a member of this meeting"));
    }
    Ok(ApiJson(RoomView {
        meeting_id: meeting,
        participants: app.video.participants(meeting),
    }))
}

const GUEST_HTML: &str = include_str!("video/guest.html");
const GUEST_JS: &str = include_str!("video/guest.js");

/// What the video page may load and do: its own script and the server's WebSocket,
/// nothing from elsewhere, and no framing by another site.
pub const GUEST_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
    style-src 'unsafe-inline'; img-src 'self' data:; media-src 'self' blob: mediastream:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /video/join/{token}`: the guest page (static; it reads the token from its URL).
pub async fn guest_page(Path(_token): Path<String>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, GUEST_CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(GUEST_HTML),
    )
        .into_response()
}

/// `GET /video/guest.js`.
pub async fn guest_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        GUEST_JS,
    )
        .into_response()
}
