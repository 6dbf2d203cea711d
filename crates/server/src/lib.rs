//! The PhòngHọp provincial server: the source of truth every client syncs with.
//!
//! Data directory layout: `phonghop.db` (SQLite, WAL), `blobs/` (documents by SHA-256),
//! `trust/` (root certificates that document signatures are checked against).

pub mod api;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod caches;
pub mod error;
pub mod inspect;
pub mod live;
pub mod openapi;
pub mod opinions;
pub mod seed;
pub mod store;
pub mod video;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use phonghop_domain::ErrorCode;
use tokio::sync::watch;

use crate::blobs::BlobStore;
use crate::error::ApiError;
use crate::inspect::{DocumentInspector, PdfInspector};
use crate::store::{SqliteStore, Store};

pub const DB_FILE: &str = "phonghop.db";

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub max_blob_bytes: u64,
    pub max_json_bytes: usize,
    pub heartbeat: Duration,
    pub login_max_failures: u32,
    pub login_lock: Duration,
    /// Reverse proxies (TLS terminators) whose `X-Forwarded-For` names the client: the
    /// login throttle counts per client address, not per proxy.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long a login lasts; then the device asks for the password again (its
    /// outbox waits for that).
    pub session_max_age: Duration,
    /// The SFU: media addresses, port range, public IP, ICE servers.
    pub video: phonghop_rtc::SfuConfig,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            max_blob_bytes: 512 * 1024 * 1024,
            max_json_bytes: 4 * 1024 * 1024,
            heartbeat: api::DEFAULT_HEARTBEAT,
            login_max_failures: 5,
            login_lock: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
            session_max_age: Duration::from_secs(30 * 24 * 3600),
            video: phonghop_rtc::SfuConfig::default(),
        }
    }
}

pub struct AppState {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub blobs: BlobStore,
    pub inspector: Arc<dyn DocumentInspector>,
    pub throttle: auth::Throttle,
    /// The feed's cursor; every live connection watches it.
    pub live: watch::Sender<u64>,
    /// Live-meeting events for the live channel, and the poll timer's wake-up.
    pub hub: live::Hub,
    /// One video room per meeting.
    pub video: Arc<phonghop_rtc::Sfu>,
    pub caches: caches::Caches,
    /// Guests connected now, one connection per invitation link.
    pub guest_links: video::GuestLinks,
    /// Uploads inspected at once (each reads its whole file and parses it): a burst of
    /// large signed dossiers waits its turn instead of taking all memory.
    pub inspections: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// The feed's cursor as this process knows it (cheap: no database access).
    /// The feed's position: what the live channel last announced, or what a commit
    /// reached since (announcements are batched; caches must not wait for them).
    pub fn cursor(&self) -> u64 {
        (*self.live.borrow()).max(self.hub.committed())
    }

    pub fn notify_changed(&self, cursor: u64) {
        self.live.send_if_modified(|c| {
            if cursor > *c {
                *c = cursor;
                true
            } else {
                false
            }
        });
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0} holds no PhòngHọp database; run `phonghop-server init --data {0}` first")]
    NotInitialised(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("the trust store {0}")]
    Trust(String),
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Opens the data directory's database and blob store; `create` makes them when missing.
pub fn open_data(dir: &Path, create: bool) -> Result<(SqliteStore, BlobStore), OpenError> {
    let db = dir.join(DB_FILE);
    if !create && !db.exists() {
        return Err(OpenError::NotInitialised(dir.display().to_string()));
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| OpenError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    std::fs::create_dir_all(dir.join("trust")).map_err(io(&dir.join("trust")))?;
    let store = SqliteStore::open(&db)?;
    let blobs = BlobStore::open(dir.join("blobs")).map_err(io(&dir.join("blobs")))?;
    Ok((store, blobs))
}

pub fn app_state(config: Config) -> Result<Arc<AppState>, OpenError> {
    let (store, blobs) = open_data(&config.data_dir, false)?;
    blobs.clean_temp();
    let cursor = store.cursor()?;
    let inspector =
        PdfInspector::from_trust_dir(&config.data_dir.join("trust")).map_err(OpenError::Trust)?;
    let store: Arc<dyn Store> = Arc::new(store);
    Ok(Arc::new(AppState {
        throttle: auth::Throttle::new(config.login_max_failures, config.login_lock),
        video: video::sfu(&config.video, store.clone()),
        config,
        store,
        blobs,
        inspector: Arc::new(inspector),
        live: watch::channel(cursor).0,
        hub: live::Hub::default(),
        caches: caches::Caches::default(),
        guest_links: video::GuestLinks::default(),
        inspections: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
    }))
}

pub fn router(app: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(openapi::serve))
        .route("/sessions", post(auth::login))
        .route("/sessions/current", delete(auth::logout))
        .route("/me", get(auth::me))
        .route("/trust", get(api::trust))
        .route("/changes", get(api::changes))
        .route("/ops", post(api::ops))
        .route("/live", get(api::live))
        .route("/opinions/{id}/stats", get(opinions::stats))
        .route("/opinions/{id}/export.csv", get(opinions::export_csv))
        .route("/opinions/{id}/export.xlsx", get(opinions::export_xlsx))
        .route(
            "/meetings/{id}/video/invitations",
            post(video::create_invitation).get(video::list_invitations),
        )
        .route(
            "/meetings/{id}/video/invitations/{inv}",
            axum::routing::delete(video::revoke_invitation),
        )
        .route("/meetings/{id}/video", get(video::room))
        .route("/video/invitations/{token}", get(video::get_invitation))
        .route(
            "/blobs/{sha256}",
            get(blobs::get_blob)
                .put(blobs::put_blob)
                .layer(DefaultBodyLimit::disable()),
        )
        .layer(DefaultBodyLimit::max(app.config.max_json_bytes));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(|| async { "ok" }))
        .route("/video/join/{token}", get(video::guest_page))
        .route("/video/meeting/{id}", get(video::guest_page))
        .route("/video/guest.js", get(video::guest_script))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "method not allowed here",
            )
        })
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    // The route, not the request's path or query: tokens travel in both
                    // (?access_token=, /video/join/{token}).
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or("(no route)", axum::extract::MatchedPath::as_str);
                    tracing::debug_span!("request", method = %req.method(), route = %route)
                },
            ),
        )
        .with_state(app)
}

/// TLS certificate and key, PEM files.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A server running in this process (tests, benchmarks, `serve`).
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    handle: axum_server::Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    poll_timer: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (up to `grace`), and waits.
    pub async fn shutdown(self, grace: Duration) -> std::io::Result<()> {
        self.handle.graceful_shutdown(Some(grace));
        let r = self.task.await.unwrap_or(Ok(()));
        self.poll_timer.abort();
        r
    }

    pub async fn wait(self) -> std::io::Result<()> {
        let r = self.task.await.unwrap_or(Ok(()));
        self.poll_timer.abort();
        r
    }
}

pub async fn start(
    config: Config,
    listen: SocketAddr,
    tls: Option<Tls>,
) -> anyhow::Result<RunningServer> {
    let state = app_state(config)?;
    let listener = std::net::TcpListener::bind(listen)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let service = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = match tls {
        None => {
            // Small writes (a live event, a ballot's answer) must not wait for the
            // client's delayed ACK of the previous one (Nagle).
            let server = axum_server::from_tcp(listener)
                .acceptor(axum_server::accept::NoDelayAcceptor::new())
                .handle(handle.clone());
            tokio::spawn(async move { server.serve(service).await })
        }
        Some(tls) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key).await?;
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
                .acceptor(axum_server::accept::NoDelayAcceptor::new());
            let server = axum_server::from_tcp(listener)
                .acceptor(acceptor)
                .handle(handle.clone());
            tokio::spawn(async move { server.serve(service).await })
        }
    };
    let poll_timer = live::spawn_poll_timer(state.clone());
    // Changes made by another process (the admin CLI) move the feed too; notice them.
    let watched = Arc::downgrade(&state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let Some(state) = watched.upgrade() else {
                break;
            };
            let store = state.store.clone();
            if let Ok(Ok(cursor)) = tokio::task::spawn_blocking(move || store.cursor()).await {
                state.notify_changed(cursor);
            }
        }
    });
    Ok(RunningServer {
        addr,
        state,
        handle,
        task,
        poll_timer,
    })
}
