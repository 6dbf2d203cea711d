//! Accounts and sessions: argon2id password hashes, random bearer tokens stored only as
//! hashes, devices with their Ed25519 keys, failed-login throttling and the login log.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use phonghop_domain::sync::DeviceInfo;
use phonghop_domain::{ErrorCode, Id, LoginRequest, LoginResponse, Timestamp, User};
use rand::RngCore;
use sha2::Digest;

use crate::AppState;
use crate::error::{ApiError, ApiJson, ApiResult};

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// A random password for `init` when none is given.
pub fn generate_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Authed {
    pub user: User,
    pub device_id: Id,
    pub token_hash: String,
}

impl FromRequestParts<Arc<AppState>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let from_header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        // Browsers cannot set headers on a WebSocket: the live channel takes the token
        // from the query string instead.
        let from_query = || {
            if !parts.uri.path().ends_with("/live") {
                return None;
            }
            parts
                .uri
                .query()?
                .split('&')
                .find_map(|kv| kv.strip_prefix("access_token=").map(str::to_owned))
        };
        let Some(token) = from_header.or_else(from_query) else {
            return Err(ApiError::unauthenticated(
                "log in first: no bearer token was sent",
            ));
        };
        let hash = token_hash(&token);
        let s = usable_session(app, &hash).await?;
        Ok(Authed {
            user: s.user,
            device_id: s.device_id,
            token_hash: hash,
        })
    }
}

/// The session behind a token hash, if it may still be used: not ended, the account
/// not disabled, the device not revoked. Asked for every request, and again on every
/// heartbeat of a live channel, so that an open socket ends with its session.
pub async fn usable_session(
    app: &Arc<AppState>,
    hash: &str,
) -> Result<crate::store::SessionRecord, ApiError> {
    let session = match app.caches.session(hash) {
        Some(s) => Some(s),
        None => {
            let store = app.store.clone();
            let h2 = hash.to_owned();
            let s = tokio::task::spawn_blocking(move || store.session(&h2)).await??;
            if let Some(s) = &s {
                app.caches.put_session(hash, s.clone());
            }
            s
        }
    };
    let Some(s) = session else {
        return Err(ApiError::unauthenticated(
            "the session has ended; log in again",
        ));
    };
    if s.user.disabled {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    if s.device_revoked {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::DeviceRevoked,
            "this device has been revoked",
        ));
    }
    Ok(s)
}

/// Failed logins per account and per IP address. After `max_failures` within the window
/// the key is locked, for longer after each further failure.
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    base_lock: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    failures: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

impl Throttle {
    pub fn new(max_failures: u32, base_lock: Duration) -> Throttle {
        Throttle {
            max_failures,
            window: Duration::from_secs(15 * 60),
            base_lock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long the caller must wait, if any key is locked.
    pub fn locked(&self, keys: &[&str]) -> Option<Duration> {
        let now = Instant::now();
        let entries = self.entries();
        keys.iter()
            .filter_map(|k| entries.get(*k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    pub fn failed(&self, key: &str, limit: u32) {
        let now = Instant::now();
        let mut entries = self.entries();
        let e = entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            first: now,
            locked_until: None,
        });
        if now - e.first > self.window {
            *e = Entry {
                failures: 0,
                first: now,
                locked_until: None,
            };
        }
        e.failures += 1;
        if e.failures >= limit {
            let doublings = (e.failures - limit).min(5);
            e.locked_until = Some(now + self.base_lock * 2u32.pow(doublings));
        }
    }

    pub fn succeeded(&self, key: &str) {
        self.entries().remove(key);
    }

    pub fn account_limit(&self) -> u32 {
        self.max_failures
    }

    pub fn ip_limit(&self) -> u32 {
        self.max_failures * 4
    }
}

fn validate_device(d: &DeviceInfo) -> ApiResult<()> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(&d.public_key)
        .map_err(|_| {
            ApiError::bad_request(ErrorCode::Validation, "device.public_key must be base64")
        })?;
    if key.len() != 32
        || ed25519_dalek::VerifyingKey::from_bytes(&key.try_into().unwrap_or([0; 32])).is_err()
    {
        return Err(ApiError::bad_request(
            ErrorCode::Validation,
            "device.public_key must be a 32-byte Ed25519 key",
        ));
    }
    let n = d.name.chars().count();
    if n == 0 || n > 200 {
        return Err(ApiError::bad_request(
            ErrorCode::Validation,
            "device.name must be 1–200 characters",
        ));
    }
    Ok(())
}

fn throttled(wait: Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut resp = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Throttled,
        format!("too many failed logins; try again in {secs} s"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// `POST /api/v1/sessions`.
pub async fn login(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    validate_device(&req.device)?;
    let ip = peer.ip().to_string();
    let user_key = format!("user:{}", req.username);
    let ip_key = format!("ip:{ip}");
    if let Some(wait) = app.throttle.locked(&[&user_key, &ip_key]) {
        return Ok(throttled(wait));
    }
    let store = app.store.clone();
    let username = req.username.clone();
    let password = req.password.clone();
    let checked =
        tokio::task::spawn_blocking(move || -> Result<Option<User>, crate::store::StoreError> {
            match store.user_credentials(&username)? {
                Some((user, hash)) if verify_password(&hash, &password) => Ok(Some(user)),
                Some(_) => Ok(None),
                None => {
                    // Same work as a wrong password, so timing does not tell which usernames exist.
                    let _ = verify_password(&DUMMY_HASH, &password);
                    Ok(None)
                }
            }
        })
        .await??;
    let store = app.store.clone();
    let Some(user) = checked else {
        app.throttle.failed(&user_key, app.throttle.account_limit());
        app.throttle.failed(&ip_key, app.throttle.ip_limit());
        let (u, i) = (req.username.clone(), ip.clone());
        tokio::task::spawn_blocking(move || store.record_login(&u, &i, false, "bad credentials"))
            .await??;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::BadCredentials,
            "wrong username or password",
        ));
    };
    if user.disabled {
        let (u, i) = (req.username.clone(), ip.clone());
        tokio::task::spawn_blocking(move || store.record_login(&u, &i, false, "account disabled"))
            .await??;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    app.throttle.succeeded(&user_key);
    let token = new_token();
    let hash = token_hash(&token);
    let (u, i, uid, device) = (req.username.clone(), ip, user.id, req.device.clone());
    tokio::task::spawn_blocking(move || {
        store.create_session(&hash, uid, &device)?;
        store.record_login(&u, &i, true, "ok")
    })
    .await?
    .map_err(|e| match e {
        crate::store::StoreError::Conflict(m) => {
            ApiError::new(StatusCode::FORBIDDEN, ErrorCode::DeviceRevoked, m)
        }
        other => other.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        ApiJson(LoginResponse {
            token,
            user,
            server_time: Timestamp::now_utc(),
        }),
    )
        .into_response())
}

/// A hash of a random password, for timing-equal answers to unknown usernames.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&generate_password()).unwrap_or_default());

/// `DELETE /api/v1/sessions/current`.
pub async fn logout(State(app): State<Arc<AppState>>, auth: Authed) -> ApiResult<StatusCode> {
    let store = app.store.clone();
    let username = auth.user.username.clone();
    app.caches.forget_session(&auth.token_hash);
    tokio::task::spawn_blocking(move || {
        store.delete_session(&auth.token_hash)?;
        store.audit(
            &username,
            "logout",
            &serde_json::json!({"device": auth.device_id}),
        )
    })
    .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me`.
pub async fn me(auth: Authed) -> ApiJson<User> {
    ApiJson(auth.user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("phonghop-demo").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "phonghop-demo"));
        assert!(!verify_password(&h, "phonghop-dem0"));
        assert!(!verify_password("garbage", "x"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn throttle_locks_after_the_limit_and_resets_on_success() {
        let t = Throttle::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            t.failed("user:a", 3);
        }
        assert!(t.locked(&["user:a"]).is_none());
        t.failed("user:a", 3);
        assert!(t.locked(&["user:a", "ip:x"]).is_some());
        t.succeeded("user:a");
        assert!(t.locked(&["user:a"]).is_none());
    }
}
