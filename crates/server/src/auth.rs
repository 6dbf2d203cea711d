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
    if Timestamp::now_utc() - s.created_at > app.config.session_max_age {
        let store = app.store.clone();
        let h2 = hash.to_owned();
        let _ = tokio::task::spawn_blocking(move || store.delete_session(&h2)).await;
        app.caches.forget_session(hash);
        return Err(ApiError::unauthenticated(
            "the session has expired; log in again",
        ));
    }
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

/// Failed logins per account, per address, and per account from one address. A key
/// whose failures reach its limit within the window is locked, for longer after each
/// further failure. Attempts in flight count too, so that guesses sent all at once are
/// no more than guesses sent one by one; and at most a few passwords are checked at a
/// time (each argon2 check takes ~19 MiB and a core for tens of milliseconds).
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    base_lock: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    checks: Arc<tokio::sync::Semaphore>,
}

struct Entry {
    failures: u32,
    first: Instant,
    locked_until: Option<Instant>,
    in_flight: u32,
}

impl Entry {
    fn new(now: Instant) -> Entry {
        Entry {
            failures: 0,
            first: now,
            locked_until: None,
            in_flight: 0,
        }
    }

    fn locked(&self, now: Instant) -> Option<Duration> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Failures older than the window are forgotten, but never while a lock holds.
    fn expire(&mut self, now: Instant, window: Duration) {
        if now - self.first > window && self.locked(now).is_none() {
            self.failures = 0;
            self.first = now;
            self.locked_until = None;
        }
    }
}

/// Keys kept before old ones are swept.
const THROTTLE_KEYS: usize = 10_000;

impl Throttle {
    pub fn new(max_failures: u32, base_lock: Duration) -> Throttle {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Throttle {
            max_failures,
            window: Duration::from_secs(15 * 60),
            base_lock,
            entries: Mutex::new(HashMap::new()),
            checks: Arc::new(tokio::sync::Semaphore::new(2 * cores)),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The keys of a login by `username` from `ip`, with their limits: the account from
    /// this address, the address, and the account from anywhere (higher, so that one
    /// address cannot lock someone out, while many addresses still cannot guess freely).
    /// (A name no account can have counts against the address only.)
    pub fn keys(&self, username: Option<&str>, ip: &str) -> Vec<(String, u32)> {
        let mut keys = vec![(format!("ip:{ip}"), self.max_failures * 4)];
        if let Some(username) = username {
            keys.push((format!("user:{username}@{ip}"), self.max_failures));
            keys.push((format!("user:{username}"), self.max_failures * 10));
        }
        keys
    }

    /// Starts an attempt: refused with the time to wait when a key is locked, or when
    /// the attempts already in flight would use up what is left of a key's limit.
    pub fn begin(&self, keys: Vec<(String, u32)>) -> Result<Attempt<'_>, Duration> {
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() > THROTTLE_KEYS {
            let window = self.window;
            entries.retain(|_, e| {
                e.in_flight > 0 || e.locked(now).is_some() || now - e.first <= window
            });
        }
        for (key, limit) in &keys {
            if let Some(e) = entries.get_mut(key) {
                e.expire(now, self.window);
                if let Some(wait) = e.locked(now) {
                    return Err(wait);
                }
                // After a lock has run out, one attempt at a time.
                let room = limit.saturating_sub(e.failures).max(1);
                if e.in_flight >= room {
                    return Err(Duration::from_secs(1));
                }
            }
        }
        for (key, _) in &keys {
            entries
                .entry(key.clone())
                .or_insert_with(|| Entry::new(now))
                .in_flight += 1;
        }
        Ok(Attempt {
            throttle: self,
            keys,
            open: true,
        })
    }

    /// A permit to check one password. The check holds it to its end, even when the
    /// request that asked has gone (a dropped request does not stop a blocking task).
    pub async fn check_permit(&self) -> tokio::sync::OwnedSemaphorePermit {
        Arc::clone(&self.checks)
            .acquire_owned()
            .await
            .expect("the password-check semaphore is never closed")
    }
}

/// A login attempt in flight; dropped without an outcome (the request went away), it
/// counts as neither.
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    keys: Vec<(String, u32)>,
    open: bool,
}

impl Attempt<'_> {
    pub fn failed(mut self) {
        let now = Instant::now();
        let mut entries = self.throttle.entries();
        for (key, limit) in &self.keys {
            let e = entries
                .entry(key.clone())
                .or_insert_with(|| Entry::new(now));
            e.in_flight = e.in_flight.saturating_sub(1);
            e.expire(now, self.throttle.window);
            e.failures += 1;
            if e.failures >= *limit {
                let doublings = (e.failures - limit).min(5);
                e.locked_until = Some(now + self.throttle.base_lock * 2u32.pow(doublings));
            }
        }
        self.open = false;
    }

    /// The right password: the account's failures are forgotten (the address's are not,
    /// so that logging in to one's own account does not reset guessing at others).
    pub fn succeeded(mut self) {
        let mut entries = self.throttle.entries();
        for (key, _) in &self.keys {
            if key.starts_with("user:") {
                entries.remove(key);
            } else if let Some(e) = entries.get_mut(key) {
                e.in_flight = e.in_flight.saturating_sub(1);
            }
        }
        self.open = false;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let mut entries = self.throttle.entries();
        for (key, _) in &self.keys {
            if let Some(e) = entries.get_mut(key) {
                e.in_flight = e.in_flight.saturating_sub(1);
            }
        }
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

/// The client's address: the peer, or — when the peer is a trusted proxy — the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy (earlier entries are
/// whatever the client claimed).
pub fn client_ip(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
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
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    validate_device(&req.device)?;
    let ip = client_ip(peer.ip(), &headers, &app.config.trusted_proxies).to_string();
    let bad_credentials = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::BadCredentials,
            "wrong username or password",
        )
    };
    // A name no account can have is a wrong guess too, but nothing of it is kept: only
    // the address's failure counts.
    let named = phonghop_domain::user::validate_username(&req.username).is_ok();
    let keys = app
        .throttle
        .keys(named.then_some(req.username.as_str()), &ip);
    let attempt = match app.throttle.begin(keys) {
        Ok(a) => a,
        Err(wait) => return Ok(throttled(wait)),
    };
    if !named {
        attempt.failed();
        return Err(bad_credentials());
    }
    let permit = app.throttle.check_permit().await;
    let store = app.store.clone();
    let username = req.username.clone();
    let password = req.password.clone();
    let checked = tokio::task::spawn_blocking(
        move || -> Result<Option<(User, String)>, crate::store::StoreError> {
            let _permit = permit;
            match store.user_credentials(&username)? {
                Some((user, hash)) if verify_password(&hash, &password) => Ok(Some((user, hash))),
                Some(_) => Ok(None),
                None => {
                    // Same work as a wrong password, so timing does not tell which usernames exist.
                    let _ = verify_password(&DUMMY_HASH, &password);
                    Ok(None)
                }
            }
        },
    )
    .await??;
    let store = app.store.clone();
    let Some((user, checked_hash)) = checked else {
        attempt.failed();
        let (u, i) = (req.username.clone(), ip.clone());
        tokio::task::spawn_blocking(move || store.record_login(&u, &i, false, "bad credentials"))
            .await??;
        return Err(bad_credentials());
    };
    if user.disabled {
        attempt.succeeded();
        let (u, i) = (req.username.clone(), ip.clone());
        tokio::task::spawn_blocking(move || store.record_login(&u, &i, false, "account disabled"))
            .await??;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    attempt.succeeded();
    let token = new_token();
    let hash = token_hash(&token);
    let (u, i, uid, device) = (req.username.clone(), ip, user.id, req.device.clone());
    tokio::task::spawn_blocking(move || {
        store.create_session(&hash, uid, &device, &checked_hash)?;
        store.record_login(&u, &i, true, "ok")
    })
    .await?
    .map_err(|e| match e {
        crate::store::StoreError::Conflict(m) if m == crate::store::ACCOUNT_DISABLED => {
            ApiError::new(StatusCode::FORBIDDEN, ErrorCode::AccountDisabled, m)
        }
        // The password this login was checked against is no longer the account's.
        crate::store::StoreError::Conflict(m) if m == crate::store::PASSWORD_CHANGED => {
            bad_credentials()
        }
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
    fn behind_a_trusted_proxy_the_forwarded_address_counts() {
        let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 5.6.7.8".parse().unwrap());
        // The proxy appends the address it saw: the last one; the first is the client's claim.
        assert_eq!(client_ip(proxy, &h, &[proxy]).to_string(), "5.6.7.8");
        // Anyone else's header is ignored.
        let other: std::net::IpAddr = "9.9.9.9".parse().unwrap();
        assert_eq!(client_ip(other, &h, &[proxy]), other);
        assert_eq!(
            client_ip(proxy, &axum::http::HeaderMap::new(), &[proxy]),
            proxy
        );
    }

    #[test]
    fn throttle_locks_after_the_limit_and_resets_on_success() {
        let t = Throttle::new(3, Duration::from_secs(60));
        let keys = || t.keys(Some("a"), "x");
        for _ in 0..2 {
            t.begin(keys()).unwrap().failed();
        }
        // Two failures: one attempt left, so one at a time.
        let one = t.begin(keys()).unwrap();
        assert!(t.begin(keys()).is_err(), "a second attempt in flight");
        one.failed();
        let wait = t.begin(keys()).err().expect("locked");
        assert!(wait > Duration::from_secs(50));
        // Another account from the same address is not locked.
        t.begin(t.keys(Some("b"), "x")).unwrap().succeeded();
        // A dropped attempt counts as nothing.
        let t = Throttle::new(3, Duration::from_secs(60));
        for _ in 0..10 {
            drop(t.begin(t.keys(Some("a"), "x")).unwrap());
        }
        t.begin(t.keys(Some("a"), "x")).unwrap().succeeded();
    }
}
