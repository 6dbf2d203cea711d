//! Errors cross to the UI as `{code, message}`. The UI branches on `code` and shows its
//! own translated text; `message` is the English detail for logs and support.

use phonghop_client::ClientError;
use phonghop_pdf::PdfError;
use serde::Serialize;
use ts_rs::TS;

/// Every error code the UI may see. Mirrored in TypeScript by the generated bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// Wrong username or password.
    BadCredentials,
    /// The server cannot be reached.
    Offline,
    Throttled,
    AccountDisabled,
    DeviceRevoked,
    /// The server answered with an error of its own.
    ServerError,
    NotLoggedIn,
    SessionEnded,
    Forbidden,
    NotFound,
    /// The document's file has not been downloaded yet.
    NotDownloaded,
    Invalid,
    NewerCache,
    /// The local cache or disk failed.
    Storage,
    /// The PDF engine could not open or render the document.
    Pdf,
    /// The vote is not open (not yet, or over).
    PollNotOpen,
    /// This ballot was cast already (one per voter).
    AlreadyVoted,
    Internal,
}

#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[error("{message} ({code:?})")]
pub struct AppError {
    pub code: Code,
    pub message: String,
}

impl AppError {
    pub fn new(code: Code, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
        }
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        let code = match e.code() {
            "offline" => Code::Offline,
            "bad_credentials" => Code::BadCredentials,
            "throttled" => Code::Throttled,
            "account_disabled" => Code::AccountDisabled,
            "device_revoked" => Code::DeviceRevoked,
            "server_error" => Code::ServerError,
            "not_logged_in" => Code::NotLoggedIn,
            "session_ended" => Code::SessionEnded,
            "forbidden" => Code::Forbidden,
            "not_found" => Code::NotFound,
            "invalid" => Code::Invalid,
            "already_voted" => Code::AlreadyVoted,
            "newer_cache" => Code::NewerCache,
            "cache" | "io" => Code::Storage,
            _ => Code::Internal,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<PdfError> for AppError {
    fn from(e: PdfError) -> Self {
        AppError::new(Code::Pdf, e.to_string())
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::new(Code::Storage, e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
