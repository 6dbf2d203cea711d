//! Error codes shared by the server, the clients and the UI. Clients branch on the code
//! and translate; the message is for logs and for people reading JSON.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    BadJson,
    BadOp,
    BadHash,
    HashMismatch,
    NotPdf,
    PayloadTooLarge,
    Unauthenticated,
    BadCredentials,
    AccountDisabled,
    DeviceRevoked,
    Throttled,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    RangeNotSatisfiable,
    Validation,
    /// A ballot or an answer reached the server after its deadline.
    DeadlinePassed,
    /// A ballot's or an answer's device signature does not verify.
    BadSignature,
    Internal,
}

/// The JSON body of every error answer: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}
