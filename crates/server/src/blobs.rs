//! Blobs on disk, named by SHA-256 (`blobs/ab/abcdef…`): written to a temp file, hashed,
//! fsynced and renamed, so a blob is never visible half-written. Served with Range,
//! ETag and If-None-Match.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use phonghop_domain::{ErrorCode, Sha256};
use sha2::Digest;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use crate::AppState;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::store::BlobRecord;

#[derive(Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn open(root: PathBuf) -> io::Result<BlobStore> {
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(BlobStore { root })
    }

    /// Removes the leftovers of uploads cut off by a crash. Only the server does this,
    /// as it starts: an admin command run beside a running server must not delete the
    /// temp file of an upload in flight.
    pub fn clean_temp(&self) {
        if let Ok(rd) = std::fs::read_dir(self.root.join("tmp")) {
            for e in rd.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    pub fn path(&self, sha: &Sha256) -> PathBuf {
        self.root.join(&sha.as_str()[..2]).join(sha.as_str())
    }

    pub fn exists(&self, sha: &Sha256) -> bool {
        self.path(sha).is_file()
    }

    fn temp_path(&self) -> PathBuf {
        self.root.join("tmp").join(uuid::Uuid::new_v4().to_string())
    }

    /// Moves a fully written, fsynced temp file into place.
    fn commit(&self, tmp: &Path, sha: &Sha256) -> io::Result<()> {
        let dest = self.path(sha);
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir)?;
            // The new directory's own name must be durable too.
            std::fs::File::open(&self.root)?.sync_all()?;
        }
        std::fs::rename(tmp, &dest)?;
        std::fs::File::open(&dir)?.sync_all()
    }

    /// Stores bytes known in full (seeding, tests). Returns their SHA-256.
    pub fn put_bytes(&self, bytes: &[u8]) -> io::Result<Sha256> {
        let sha = Sha256::from_digest(&sha2::Sha256::digest(bytes).into());
        if self.exists(&sha) {
            return Ok(sha);
        }
        let tmp = self.temp_path();
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        self.commit(&tmp, &sha)?;
        Ok(sha)
    }
}

fn parse_sha(raw: &str) -> ApiResult<Sha256> {
    Sha256::parse(raw).map_err(|m| ApiError::bad_request(ErrorCode::BadHash, m))
}

fn etag(sha: &Sha256) -> String {
    format!("\"{sha}\"")
}

/// A single `bytes=` range resolved against `size`: Ok(None) means the whole file.
fn parse_range(h: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        // Several ranges: serving the whole file is allowed (RFC 9110 §14.2).
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size.checked_sub(1).ok_or(())?)
        }
        (s, "") => (s.parse().map_err(|_| ())?, size.checked_sub(1).ok_or(())?),
        (s, e) => {
            let (s, e): (u64, u64) = (s.parse().map_err(|_| ())?, e.parse().map_err(|_| ())?);
            (s, e.min(size.saturating_sub(1)))
        }
    };
    if start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// `GET /api/v1/blobs/{sha256}`.
pub async fn get_blob(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    UrlPath(raw): UrlPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let sha = parse_sha(&raw)?;
    if !visible_to(&app, &auth, &sha).await? || !app.blobs.exists(&sha) {
        // The same answer whether it exists or not: no probing for documents.
        return Err(ApiError::not_found(
            "no such document file, or it is not yours to read",
        ));
    }
    let tag = etag(&sha);
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        && inm.split(',').any(|t| t.trim() == tag || t.trim() == "*")
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let range_header = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = app.blobs.path(&sha);
    // One trip to the blocking pool: open, size, and — for the usual meeting document —
    // the bytes themselves. Big files stream.
    let opened = tokio::task::spawn_blocking(move || -> io::Result<Opened> {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(&path)?;
        let size = file.metadata()?.len();
        let range = match &range_header {
            Some(h) => parse_range(h, size),
            None => Ok(None),
        };
        let (start, len) = match range {
            Ok(Some((s, e))) => (s, e - s + 1),
            Ok(None) => (0, size),
            Err(()) => return Ok((size, range, Served::Nothing)),
        };
        file.seek(io::SeekFrom::Start(start))?;
        if len <= INLINE_BYTES {
            let mut buf = Vec::with_capacity(len as usize);
            file.take(len).read_to_end(&mut buf)?;
            Ok((size, range, Served::Bytes(buf)))
        } else {
            Ok((size, range, Served::Stream(file, len)))
        }
    })
    .await?
    .map_err(ApiError::internal)?;
    let (size, range, served) = opened;
    let range = match range {
        Ok(r) => r,
        Err(()) => {
            let mut resp = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                ErrorCode::RangeNotSatisfiable,
                format!("the range asked for is outside the file's {size} bytes"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(resp);
        }
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(header::ETAG, tag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        );
    builder = match range {
        Some((start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"))
            .header(header::CONTENT_LENGTH, end - start + 1),
        None => builder
            .status(StatusCode::OK)
            .header(header::CONTENT_LENGTH, size),
    };
    let body = match served {
        Served::Bytes(b) => Body::from(b),
        Served::Stream(file, len) => Body::from_stream(ReaderStream::with_capacity(
            tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(file), len),
            256 * 1024,
        )),
        Served::Nothing => Body::empty(),
    };
    builder.body(body).map_err(ApiError::internal)
}

/// The file's size, the range asked for (Err: unsatisfiable) and what to send.
type Opened = (u64, Result<Option<(u64, u64)>, ()>, Served);

/// Files up to this size are read in one go; bigger ones stream.
const INLINE_BYTES: u64 = 8 * 1024 * 1024;

enum Served {
    Bytes(Vec<u8>),
    Stream(std::fs::File, u64),
    Nothing,
}

/// May the caller read this blob? The set of blobs a user may read is cached until the
/// feed moves (any change of membership or documents moves it).
async fn visible_to(app: &Arc<AppState>, auth: &Authed, sha: &Sha256) -> ApiResult<bool> {
    let cursor = app.cursor();
    let cached = app.caches.visible_blobs(cursor, auth.user.id);
    if cached.as_ref().is_some_and(|set| set.contains(sha)) {
        return Ok(true);
    }
    let (store, viewer, sha2) = (app.store.clone(), auth.user.clone(), sha.clone());
    let need_set = cached.is_none();
    let (set, visible) = tokio::task::spawn_blocking(move || {
        let set = if need_set {
            Some(store.visible_blobs(&viewer)?)
        } else {
            None
        };
        let visible = match &set {
            Some(s) if s.contains(&sha2) => true,
            // Not through a document: perhaps they uploaded it.
            _ => store.blob_visible_to(&viewer, &sha2)?,
        };
        Ok::<_, crate::store::StoreError>((set, visible))
    })
    .await??;
    if let Some(set) = set {
        app.caches
            .put_visible_blobs(cursor, auth.user.id, Arc::new(set));
    }
    Ok(visible)
}

/// `PUT /api/v1/blobs/{sha256}`: secretaries upload a document file; the server checks
/// the hash and that it is a PDF before it is stored.
pub async fn put_blob(
    State(app): State<Arc<AppState>>,
    auth: Authed,
    UrlPath(raw): UrlPath<String>,
    req: Request,
) -> ApiResult<Response> {
    let sha = parse_sha(&raw)?;
    if !auth.user.role.prepares_meetings() {
        return Err(ApiError::forbidden("only secretaries may upload documents"));
    }
    let (store, user, sha2) = (app.store.clone(), auth.user.clone(), sha.clone());
    let (existing, readable) = tokio::task::spawn_blocking(move || {
        let existing = store.blob(&sha2)?;
        let readable = existing.is_some() && store.blob_visible_to(&user, &sha2)?;
        Ok::<_, crate::store::StoreError>((existing, readable))
    })
    .await??;
    let existing = existing.filter(|_| app.blobs.exists(&sha));
    if let Some(existing) = &existing
        && readable
    {
        return Ok((StatusCode::OK, crate::error::ApiJson(blob_json(existing))).into_response());
    }
    let tmp = app.blobs.temp_path();
    // Gone however this ends: an error, a panic in the inspection, or the client hanging
    // up (the handler is then dropped mid-await). Committed, it has moved away already.
    let _leftover = TempUpload(tmp.clone());
    let result = receive(&app, req, &tmp).await;
    let (size, digest) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    let got = Sha256::from_digest(&digest);
    if got != sha {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(ApiError::bad_request(
            ErrorCode::HashMismatch,
            format!("the uploaded bytes have SHA-256 {got}, not {sha}"),
        ));
    }
    if let Some(existing) = existing {
        // Stored already (someone else uploaded it): this secretary has now shown to hold
        // the very bytes, so may attach them too. Knowing the hash alone is not enough.
        let _ = tokio::fs::remove_file(&tmp).await;
        let (store, uid) = (app.store.clone(), auth.user.id);
        let rec = existing.clone();
        tokio::task::spawn_blocking(move || store.record_blob(&rec, uid)).await??;
        return Ok((StatusCode::OK, crate::error::ApiJson(blob_json(&existing))).into_response());
    }
    let inspector = app.inspector.clone();
    let tmp2 = tmp.clone();
    let permit = app
        .inspections
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    // The permit goes with the check, which runs to its end even if the client hangs up.
    let inspection = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        inspector.inspect(&tmp2)
    })
    .await?;
    let inspection = match inspection {
        Ok(i) => i,
        Err(why) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::NotPdf,
                why,
            ));
        }
    };
    let blobs = app.blobs.clone();
    let sha2 = sha.clone();
    tokio::task::spawn_blocking(move || blobs.commit(&tmp, &sha2))
        .await?
        .map_err(ApiError::internal)?;
    let record = BlobRecord {
        sha256: sha,
        size,
        pages: inspection.pages,
        signature: inspection.signature,
    };
    let (store, rec, uid) = (app.store.clone(), record.clone(), auth.user.id);
    tokio::task::spawn_blocking(move || store.record_blob(&rec, uid)).await??;
    Ok((
        StatusCode::CREATED,
        crate::error::ApiJson(blob_json(&record)),
    )
        .into_response())
}

/// An upload's file under `tmp/`, removed when dropped.
struct TempUpload(std::path::PathBuf);

impl Drop for TempUpload {
    fn drop(&mut self) {
        match std::fs::remove_file(&self.0) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                tracing::warn!(path = %self.0.display(), error = %e, "could not remove an upload's temporary file");
            }
            _ => {}
        }
    }
}

fn blob_json(b: &BlobRecord) -> serde_json::Value {
    serde_json::json!({"sha256": b.sha256, "size": b.size, "pages": b.pages, "signature": b.signature})
}

async fn receive(app: &AppState, req: Request, tmp: &Path) -> ApiResult<(u64, [u8; 32])> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!(
                "a document may be at most {} bytes",
                app.config.max_blob_bytes
            ),
        )
    };
    // Said too large up front: refused before a byte is read (the client hears 413 at
    // once instead of after sending half a gigabyte).
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.config.max_blob_bytes) {
        return Err(too_large());
    }
    let mut file = tokio::fs::File::create(tmp)
        .await
        .map_err(ApiError::internal)?;
    let mut hasher = sha2::Sha256::new();
    let mut size: u64 = 0;
    let mut stream = req.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(ErrorCode::BadRequest, format!("upload interrupted: {e}"))
        })?;
        size += chunk.len() as u64;
        if size > app.config.max_blob_bytes {
            return Err(too_large());
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    if size == 0 {
        return Err(ApiError::bad_request(
            ErrorCode::NotPdf,
            "the upload is empty",
        ));
    }
    // tokio's File writes in the background: flush reports the last write's error, which
    // sync_all would not, and the length on disk must be what was hashed.
    file.flush().await.map_err(ApiError::internal)?;
    file.sync_all().await.map_err(ApiError::internal)?;
    let on_disk = file.metadata().await.map_err(ApiError::internal)?.len();
    if on_disk != size {
        return Err(ApiError::internal(format!(
            "wrote {on_disk} of {size} bytes of the upload"
        )));
    }
    Ok((size, hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_resolve_against_the_size() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok(Some((0, 99))));
        assert_eq!(parse_range("bytes=900-", 1000), Ok(Some((900, 999))));
        assert_eq!(parse_range("bytes=-100", 1000), Ok(Some((900, 999))));
        assert_eq!(parse_range("bytes=990-5000", 1000), Ok(Some((990, 999))));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ok(None));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(()));
        assert_eq!(parse_range("bytes=5-1", 1000), Err(()));
        assert_eq!(parse_range("bytes=x-", 1000), Err(()));
        assert_eq!(parse_range("bytes=-0", 1000), Err(()));
    }
}
