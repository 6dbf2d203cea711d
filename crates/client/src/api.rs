//! The server's HTTP API as the engine uses it.

use std::time::Duration;

use phonghop_domain::sync::DeviceInfo;
use phonghop_domain::{
    ChangesPage, ErrorBody, ErrorCode, LoginRequest, LoginResponse, OpEnvelope, OpsRequest,
    OpsResponse, Sha256,
};
use reqwest::StatusCode;

use crate::ClientError;

#[derive(Clone)]
pub struct ServerApi {
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_connect() || e.is_timeout() || e.is_request() || e.is_body() {
            ClientError::Offline(e.to_string())
        } else {
            ClientError::Offline(format!("{e}"))
        }
    }
}

/// Turns a non-success answer into the server's `{code, message}`.
async fn error_of(resp: reqwest::Response) -> ClientError {
    let status = resp.status();
    let body: Option<ErrorBody> = resp.json().await.ok();
    if status == StatusCode::UNAUTHORIZED {
        if let Some(b) = &body
            && matches!(
                b.code,
                ErrorCode::BadCredentials | ErrorCode::AccountDisabled | ErrorCode::DeviceRevoked
            )
        {
            return ClientError::Server {
                status: status.as_u16(),
                code: b.code,
                message: b.message.clone(),
            };
        }
        return ClientError::SessionEnded;
    }
    match body {
        Some(b) => ClientError::Server {
            status: status.as_u16(),
            code: b.code,
            message: b.message,
        },
        None => ClientError::Server {
            status: status.as_u16(),
            code: ErrorCode::Internal,
            message: format!("the server answered {status}"),
        },
    }
}

impl ServerApi {
    pub fn new(base: &str, token: Option<String>) -> Result<ServerApi, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Invalid(format!("HTTP client: {e}")))?;
        Ok(ServerApi {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
        })
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub async fn login(
        &self,
        username: &str,
        password: &str,
        device: DeviceInfo,
    ) -> Result<LoginResponse, ClientError> {
        let body = LoginRequest {
            username: username.into(),
            password: password.into(),
            device,
        };
        let resp = self
            .req(reqwest::Method::POST, "/sessions")
            .json(&body)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        Ok(resp.json().await?)
    }

    pub async fn logout(&self) -> Result<(), ClientError> {
        let resp = self
            .req(reqwest::Method::DELETE, "/sessions/current")
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        Ok(())
    }

    /// The root certificates the server checks signatures against (PEM).
    pub async fn trust(&self) -> Result<Vec<String>, ClientError> {
        let resp = self.req(reqwest::Method::GET, "/trust").send().await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        Ok(resp.json().await?)
    }

    /// Cheap check of the line and the session.
    pub async fn me(&self, timeout: Duration) -> Result<phonghop_domain::User, ClientError> {
        let resp = self
            .req(reqwest::Method::GET, "/me")
            .timeout(timeout)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        Ok(resp.json().await?)
    }

    /// A page of the feed and its size on the wire.
    pub async fn changes(
        &self,
        since: u64,
        limit: usize,
    ) -> Result<(ChangesPage, u64), ClientError> {
        let resp = self
            .req(
                reqwest::Method::GET,
                &format!("/changes?since={since}&limit={limit}"),
            )
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        let bytes = resp.bytes().await?;
        let page = serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::Invalid(format!("the server sent an unreadable feed page: {e}"))
        })?;
        Ok((page, bytes.len() as u64))
    }

    pub async fn push(&self, ops: Vec<OpEnvelope>) -> Result<OpsResponse, ClientError> {
        let resp = self
            .req(reqwest::Method::POST, "/ops")
            .json(&OpsRequest { ops })
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        Ok(resp.json().await?)
    }

    pub async fn put_blob(&self, sha: &Sha256, bytes: Vec<u8>) -> Result<(), ClientError> {
        let resp = self
            .req(reqwest::Method::PUT, &format!("/blobs/{sha}"))
            .body(bytes)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        Ok(())
    }

    /// Starts a download at `offset`; the caller streams the body.
    pub async fn get_blob(
        &self,
        sha: &Sha256,
        offset: u64,
    ) -> Result<reqwest::Response, ClientError> {
        let mut rb = self.req(reqwest::Method::GET, &format!("/blobs/{sha}"));
        if offset > 0 {
            rb = rb.header(reqwest::header::RANGE, format!("bytes={offset}-"));
        }
        let resp = rb.send().await?;
        if resp.status().is_success() || resp.status() == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(resp);
        }
        Err(error_of(resp).await)
    }

    /// A GET whose body is returned whole (statistics, exports).
    pub async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        let resp = self.req(reqwest::Method::GET, path).send().await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        Ok(resp.bytes().await?.to_vec())
    }

    pub fn live_url(&self) -> String {
        let ws = self.base.replacen("http", "ws", 1);
        format!("{ws}/api/v1/live")
    }
}
