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

/// The most a JSON answer may hold. A server — or a proxy in the way — that sends more
/// is refused instead of filling the device's memory.
pub const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// A feed page never splits one position of the feed, so one page may carry a meeting's
/// every shared annotation (each up to 4 MiB of ink) for a newly added member: the
/// limit is far above that, only against an answer without end (a refused page would
/// stop sync for good).
pub const MAX_FEED_PAGE: usize = 1024 * 1024 * 1024;
/// Statistics and exports fetched whole.
pub const MAX_DOWNLOAD: usize = 256 * 1024 * 1024;
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The answer's body, at most `max` bytes.
async fn body_capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, ClientError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_big(max));
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > max {
            return Err(too_big(max));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn too_big(max: usize) -> ClientError {
    ClientError::Invalid(format!(
        "the server's answer is larger than {} MiB; refused",
        max / (1024 * 1024)
    ))
}

/// A JSON answer of at most [`MAX_ANSWER`] bytes.
async fn json_of<T: serde::de::DeserializeOwned>(
    resp: reqwest::Response,
) -> Result<T, ClientError> {
    let bytes = body_capped(resp, MAX_ANSWER).await?;
    // Not what the server sends (a captive portal's page, a proxy's): not online yet.
    serde_json::from_slice(&bytes)
        .map_err(|e| ClientError::Offline(format!("the answer is not the server's: {e}")))
}

/// Turns a non-success answer into the server's `{code, message}`.
async fn error_of(resp: reqwest::Response) -> ClientError {
    let status = resp.status();
    let body: Option<ErrorBody> = body_capped(resp, MAX_ERROR_BODY)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
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
        json_of(resp).await
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
        json_of(resp).await
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
        json_of(resp).await
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
        let bytes = body_capped(resp, MAX_FEED_PAGE).await?;
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
        json_of(resp).await
    }

    /// Uploads a file, streamed from disk: a large attachment is not held in memory (nor
    /// read whole again for every retry).
    pub async fn put_blob(&self, sha: &Sha256, path: &std::path::Path) -> Result<(), ClientError> {
        let file = tokio::fs::File::open(path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ClientError::Invalid(
                    "the attached file is no longer on this device; attach it again".into(),
                )
            } else {
                e.into()
            }
        })?;
        let len = file.metadata().await?.len();
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
            file,
            256 * 1024,
        ));
        let resp = self
            .req(reqwest::Method::PUT, &format!("/blobs/{sha}"))
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body)
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
        body_capped(resp, MAX_DOWNLOAD).await
    }

    pub fn live_url(&self) -> String {
        let ws = self.base.replacen("http", "ws", 1);
        format!("{ws}/api/v1/live")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server (or a proxy in the way) answering without end: the engine stops reading
    /// at its limit and says so, instead of filling the device's memory.
    #[tokio::test]
    async fn an_endless_answer_is_refused_at_the_limit() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut req = [0u8; 4096];
            let _ = tcp.read(&mut req).await;
            tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[\"")
                .await
                .unwrap();
            let chunk = vec![b'a'; 1 << 20];
            let mut sent = 0usize;
            while sent < 4 * MAX_ANSWER {
                if tcp.write_all(&chunk).await.is_err() {
                    return sent;
                }
                sent += chunk.len();
            }
            sent
        });
        let api = ServerApi::new(&format!("http://127.0.0.1:{port}"), Some("t".into())).unwrap();
        let e = api.trust().await.unwrap_err();
        assert!(
            matches!(&e, ClientError::Invalid(m) if m.contains("16 MiB")),
            "{e}"
        );
        let sent = server.await.unwrap();
        assert!(sent < 4 * MAX_ANSWER, "the whole endless answer was read");
    }
}
