use phonghop_domain::ErrorCode;

/// Everything the engine can fail with. The app maps these to `{code, message}` and
/// translated text; the CLI prints one line.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the server cannot be reached ({0}); working offline")]
    Offline(String),
    #[error("the server refused: {message} ({code:?})")]
    Server {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    #[error("not logged in; run `phonghop login` first")]
    NotLoggedIn,
    #[error("the session has ended; log in again")]
    SessionEnded,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} is not in the local cache")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// This ballot was cast already (one per voter).
    #[error("{0}")]
    AlreadyVoted(String),
    #[error(
        "the local cache has schema version {found}, newer than this app understands ({supported}); update the app"
    )]
    NewerCache { found: u32, supported: u32 },
    #[error("local cache: {0}")]
    Cache(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// Worth trying again later: the network or the server had a moment.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Offline(_) => true,
            ClientError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// A stable code for the UI and for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::Offline(_) => "offline",
            ClientError::Server {
                code: ErrorCode::BadCredentials,
                ..
            } => "bad_credentials",
            ClientError::Server {
                code: ErrorCode::Throttled,
                ..
            } => "throttled",
            ClientError::Server {
                code: ErrorCode::AccountDisabled,
                ..
            } => "account_disabled",
            ClientError::Server {
                code: ErrorCode::DeviceRevoked,
                ..
            } => "device_revoked",
            ClientError::Server { .. } => "server_error",
            ClientError::NotLoggedIn => "not_logged_in",
            ClientError::SessionEnded => "session_ended",
            ClientError::Forbidden(_) => "forbidden",
            ClientError::NotFound(_) => "not_found",
            ClientError::Invalid(_) => "invalid",
            ClientError::AlreadyVoted(_) => "already_voted",
            ClientError::NewerCache { .. } => "newer_cache",
            ClientError::Cache(_) => "cache",
            ClientError::Io(_) => "io",
        }
    }
}
