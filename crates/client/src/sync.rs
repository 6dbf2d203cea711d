//! A sync round: push (uploads, then the outbox in batches), pull the feed page by page,
//! download missing document files a few at a time, collect unreferenced files.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use phonghop_domain::{ChangesPage, OpEnvelope, Sha256};
use serde::Serialize;
use sha2::Digest;
use std::io::Read as _;
use std::io::Write as _;
use tokio::sync::mpsc::UnboundedSender;

use crate::{Client, ClientError};

use crate::cache::REBUILD_DUE;

const PAGE: usize = 500;
const OPS_BATCH: usize = 100;
/// A batch's ops stop at about this much JSON (one op always goes, however large), well
/// under the server's 4 MiB request limit.
const OPS_BATCH_BYTES: usize = 512 * 1024;
const PARALLEL_DOWNLOADS: usize = 4;

/// Progress, for a progress bar in the app or the CLI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    Pushed {
        accepted: usize,
        rejected: usize,
    },
    Pulled {
        changes: usize,
        cursor: u64,
    },
    /// The set of files to fetch in this round.
    Downloads {
        files: usize,
        bytes: u64,
    },
    Blob {
        sha256: String,
        done: u64,
        total: u64,
    },
    BlobDone {
        sha256: String,
    },
    BlobFailed {
        sha256: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub pushed: usize,
    pub rejected: usize,
    pub changes: usize,
    pub revoked: usize,
    pub downloaded: usize,
    pub failed: usize,
    pub removed_files: usize,
    /// Bytes received: feed pages plus document files.
    pub bytes: u64,
    pub cursor: u64,
}

type Events = Option<UnboundedSender<SyncEvent>>;

fn emit(events: &Events, e: SyncEvent) {
    if let Some(tx) = events {
        let _ = tx.send(e);
    }
}

/// How hard a round tries before it gives up on a transient failure.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub base: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            base: Duration::from_millis(300),
        }
    }
}

/// Exponential backoff with full jitter.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let cap = base
        .saturating_mul(1 << attempt.min(8))
        .min(Duration::from_secs(60));
    cap.mul_f64(0.5 + rand::random::<f64>() * 0.5)
}

async fn retrying<T, F, Fut>(retry: Retry, mut f: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(e) if e.is_transient() && attempt + 1 < retry.attempts => {
                tokio::time::sleep(backoff(retry.base, attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// An upload the server will not take however often it is sent.
fn upload_refused(e: &ClientError) -> bool {
    match e {
        // Bad or too large for this server, or not this user's to upload. A 404/405 says
        // more about a proxy in the way than about the file: tried again later.
        ClientError::Server { status, .. } => matches!(status, 400 | 403 | 413 | 415 | 422),
        ClientError::Invalid(_) => true,
        _ => false,
    }
}

impl Client {
    /// One full round. Fails only when the server cannot be reached or refuses the
    /// session; a file that fails its check is reported and skipped.
    pub async fn sync(&self, events: Events) -> Result<SyncReport, ClientError> {
        let result = self.sync_with(events, Retry::default()).await;
        self.after_contact(result)
    }

    /// Sends what waits in the outbox now — files, then ops — without pulling or
    /// downloading: a ballot or a check-in need not wait behind a long download. The
    /// app calls this on every local change while a sync round may be running; a
    /// rejection makes the next round rebuild the cache from a full pull.
    /// Returns (accepted, rejected).
    pub async fn push(&self, events: Events) -> Result<(usize, usize), ClientError> {
        if !self.logged_in() {
            return Err(ClientError::NotLoggedIn);
        }
        let result = self.push_with(&events, Retry::default()).await;
        self.after_contact(result)
    }

    pub(crate) async fn push_with(
        &self,
        events: &Events,
        retry: Retry,
    ) -> Result<(usize, usize), ClientError> {
        let _one = self.push_lock.lock().await;
        let (mut pushed, mut rejected_total) = (0, 0);
        for sha in self.cache.uploads()? {
            let path = self.blobs.path(&sha);
            let sent = match tokio::fs::metadata(&path).await {
                Ok(_) => retrying(retry, || self.api.put_blob(&sha, &path)).await,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ClientError::Invalid(
                    "the attached file is no longer on this device; attach it again".into(),
                )),
                Err(e) => return Err(e.into()),
            };
            match sent {
                Ok(()) => self.cache.upload_done(&sha)?,
                // Refused for good (not a PDF to the server, too large, no longer
                // allowed) or gone: the attachments that need it are refused with that
                // reason, so that they do not hold up everything queued after them.
                Err(e) if upload_refused(&e) => {
                    let (code, message) = match e {
                        ClientError::Server { code, message, .. } => (code, message),
                        other => (phonghop_domain::ErrorCode::Validation, other.to_string()),
                    };
                    let results: Vec<phonghop_domain::OpResult> = self
                        .cache
                        .ops_needing_upload(&sha)?
                        .into_iter()
                        .map(|id| phonghop_domain::OpResult {
                            id,
                            outcome: phonghop_domain::OpOutcome::Rejected {
                                code,
                                message: message.clone(),
                            },
                        })
                        .collect();
                    let rejected = self.cache.record_results(&results)?;
                    rejected_total += rejected;
                    self.cache.upload_done(&sha)?;
                    emit(
                        events,
                        SyncEvent::Pushed {
                            accepted: 0,
                            rejected,
                        },
                    );
                }
                Err(e) => return Err(e),
            }
        }
        // Ops per request: the batch size, or one at a time once the server refused a
        // request as a whole.
        let mut most = OPS_BATCH;
        loop {
            let batch = fitting(self.cache.pending_ops(most)?, OPS_BATCH_BYTES);
            if batch.is_empty() {
                break;
            }
            let results = match retrying(retry, || self.api.push(batch.clone())).await {
                Ok(resp) => resp.results,
                // Refused as a whole, and not for a moment: an op the server cannot take
                // (too large, or of a kind it does not know). Sent alone, such an op is
                // set aside as refused, with the server's reason, so that it never holds
                // up the votes and notes queued after it.
                Err(ClientError::Server {
                    status: 400 | 413,
                    code,
                    message,
                }) => {
                    if batch.len() > 1 {
                        most = 1;
                        continue;
                    }
                    vec![phonghop_domain::OpResult {
                        id: batch[0].id,
                        outcome: phonghop_domain::OpOutcome::Rejected { code, message },
                    }]
                }
                Err(e) => return Err(e),
            };
            let rejected = self.cache.record_results(&results)?;
            pushed += results.len() - rejected;
            rejected_total += rejected;
            emit(
                events,
                SyncEvent::Pushed {
                    accepted: results.len() - rejected,
                    rejected,
                },
            );
        }
        Ok((pushed, rejected_total))
    }

    pub async fn sync_with(&self, events: Events, retry: Retry) -> Result<SyncReport, ClientError> {
        if !self.logged_in() {
            return Err(ClientError::NotLoggedIn);
        }
        let mut report = SyncReport::default();

        // 1. Push: files first, then the ops that use them.
        let (pushed, rejected) = self.push_with(&events, retry).await?;
        report.pushed += pushed;
        report.rejected += rejected;

        // The roots documents are checked against on this device.
        self.refresh_trust(retry).await?;

        // 2. Pull. After a rejection (here or in a push between rounds) the local state
        // holds effects the server refused: rebuild it from a full pull, atomically.
        // Pushes wait while a page is fetched and applied: an op acknowledged in between
        // leaves the outbox, so the older page would undo it here with nothing to replay.
        if report.rejected > 0 || self.cache.meta(REBUILD_DUE)?.is_some() {
            let _no_push = self.push_lock.lock().await;
            let mut pages = Vec::new();
            let mut cursor = 0;
            loop {
                let (page, bytes) = retrying(retry, || self.api.changes(cursor, PAGE)).await?;
                report.bytes += bytes;
                report.changes += page.changes.len();
                cursor = page.cursor;
                let more = page.more;
                pages.push(page);
                if !more {
                    break;
                }
            }
            self.cache.rebuild(&pages)?;
            emit(
                &events,
                SyncEvent::Pulled {
                    changes: report.changes,
                    cursor,
                },
            );
        } else {
            loop {
                let _no_push = self.push_lock.lock().await;
                let since = self.cache.cursor()?;
                let (page, bytes): (ChangesPage, u64) =
                    retrying(retry, || self.api.changes(since, PAGE)).await?;
                report.bytes += bytes;
                report.changes += page.changes.len();
                report.revoked += self.cache.apply_page(&page)?.len();
                emit(
                    &events,
                    SyncEvent::Pulled {
                        changes: page.changes.len(),
                        cursor: page.cursor,
                    },
                );
                if !page.more {
                    break;
                }
            }
        }
        report.cursor = self.cache.cursor()?;

        // 3. Files: what is referenced and missing, a few at a time.
        let missing: Vec<(Sha256, u64)> = self
            .cache
            .wanted_blobs()?
            .into_iter()
            .filter(|(s, _)| !self.blobs.has(s))
            .collect();
        emit(
            &events,
            SyncEvent::Downloads {
                files: missing.len(),
                bytes: missing.iter().map(|(_, n)| n).sum(),
            },
        );
        let received = Arc::new(AtomicU64::new(0));
        let results: Vec<(Sha256, Result<bool, ClientError>)> = futures_util::stream::iter(missing)
            .map(|(sha, size)| {
                let (events, received) = (events.clone(), received.clone());
                async move {
                    let r = retrying(retry, || self.download(&sha, size, &events, &received)).await;
                    (sha, r)
                }
            })
            .buffer_unordered(PARALLEL_DOWNLOADS)
            .collect()
            .await;
        report.bytes += received.load(Ordering::Relaxed);
        // Durable before visible: each part was flushed to disk by its writer; rename
        // them, then flush the directories that got new names.
        let mut unsigned = Vec::new();
        let mut renamed_in = std::collections::BTreeSet::new();
        // A file that failed for a moment fails the round, but only after the others are
        // published, checked and the garbage collected: one stalled download must not
        // hide nine good ones, nor keep a revoked meeting's files on disk.
        let mut deferred = None;
        for (sha, r) in results {
            let r = match r {
                Err(ClientError::Server {
                    status: 404,
                    message,
                    ..
                }) => Err(ClientError::Invalid(format!(
                    "the server does not have this file: {message}"
                ))),
                other => other,
            };
            match r {
                Ok(no_signature) => {
                    self.blobs.publish_part(&sha)?;
                    if let Some(dir) = self.blobs.path(&sha).parent() {
                        renamed_in.insert(dir.to_path_buf());
                    }
                    if no_signature {
                        unsigned.push((sha.clone(), phonghop_domain::SignatureSummary::Unsigned));
                    }
                    report.downloaded += 1;
                    self.cache.clear_blob_error(&sha)?;
                    emit(
                        &events,
                        SyncEvent::BlobDone {
                            sha256: sha.to_string(),
                        },
                    );
                }
                Err(ClientError::Invalid(reason)) => {
                    report.failed += 1;
                    self.cache.set_blob_error(&sha, &reason)?;
                    emit(
                        &events,
                        SyncEvent::BlobFailed {
                            sha256: sha.to_string(),
                            reason,
                        },
                    );
                }
                Err(e) => {
                    deferred.get_or_insert(e);
                }
            }
        }

        for dir in &renamed_in {
            crate::blobs::sync_dir(dir)?;
        }
        self.cache.set_verdicts(&unsigned)?;

        // Every document on disk gets this device's own signature check.
        self.verify_documents().await?;

        // 4. Files nothing refers to any more (a revoked meeting, say) leave the disk.
        let keep = self.cache.referenced_blobs()?;
        report.removed_files = self.blobs.collect_garbage(&keep)?;
        if let Some(e) = deferred {
            return Err(e);
        }
        self.cache.set_meta(
            "last_sync",
            &time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        )?;
        Ok(report)
    }

    /// Stores the server's trust roots under the profile; a change forgets old verdicts.
    async fn refresh_trust(&self, retry: Retry) -> Result<(), ClientError> {
        let pems = retrying(retry, || self.api.trust()).await?;
        let joined = pems.join("\n");
        let dir = self.trust_dir();
        let file = dir.join("server-roots.pem");
        if std::fs::read_to_string(&file).ok().as_deref() == Some(joined.as_str()) {
            return Ok(());
        }
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join("server-roots.pem.tmp");
        std::fs::write(&tmp, &joined)?;
        std::fs::rename(&tmp, &file)?;
        self.cache.clear_verdicts()?;
        Ok(())
    }

    /// Checks the signatures of every current document file that has no verdict yet.
    pub async fn verify_documents(&self) -> Result<usize, ClientError> {
        let mut todo = Vec::new();
        for (sha, _) in self.cache.wanted_blobs()? {
            if self.blobs.has(&sha) && self.cache.verdict(&sha)?.is_none() {
                todo.push(sha);
            }
        }
        if todo.is_empty() {
            return Ok(0);
        }
        let (blobs, trust_dir) = (self.blobs.clone(), self.trust_dir());
        let verdicts = tokio::task::spawn_blocking(move || {
            let trust = if trust_dir.is_dir() {
                phonghop_pdf::TrustStore::from_dir(&trust_dir).unwrap_or_default()
            } else {
                phonghop_pdf::TrustStore::default()
            };
            todo.into_iter()
                .filter_map(|sha| Some((sha.clone(), verdict_of(&blobs.path(&sha), &trust)?)))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ClientError::Io(std::io::Error::other(e)))?;
        self.cache.set_verdicts(&verdicts)?;
        Ok(verdicts.len())
    }

    /// Fetches one file into its `.part`, resuming what is there; checks it; renames.
    /// Ok(true): the file went by whole and has no `/ByteRange`, so it is unsigned and
    /// needs no signature check.
    async fn download(
        &self,
        sha: &Sha256,
        size: u64,
        events: &Events,
        received: &AtomicU64,
    ) -> Result<bool, ClientError> {
        let mut have = self.blobs.part_len(sha);
        if have > size {
            self.blobs.discard_part(sha);
            have = 0;
        }
        // Hash as the bytes arrive (and what a resumed part already holds), so the
        // file is not read back to be checked.
        let hash_part = |len: u64| {
            let (blobs, sha2) = (self.blobs.clone(), sha.clone());
            async move {
                tokio::task::spawn_blocking(move || -> std::io::Result<sha2::Sha256> {
                    let mut h = sha2::Sha256::new();
                    let file = std::fs::File::open(blobs.part_path(&sha2))?;
                    // Left by an earlier process, which may have stopped before its flush.
                    file.sync_data()?;
                    std::io::copy(&mut (&file).take(len), &mut h)?;
                    Ok(h)
                })
                .await
                .map_err(|e| ClientError::Io(std::io::Error::other(e)))?
                .map_err(ClientError::Io)
            }
        };
        let (hasher, unsigned) = if have == size && size > 0 {
            // A complete part left by a cut round: nothing to fetch.
            (hash_part(have).await?, false)
        } else {
            let mut resp = self.api.get_blob(sha, have).await?;
            if resp.status() == reqwest::StatusCode::RANGE_NOT_SATISFIABLE {
                self.blobs.discard_part(sha);
                have = 0;
                resp = self.api.get_blob(sha, 0).await?;
            }
            let resume = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
            if !resume {
                have = 0;
            }
            let mut hasher = if resume {
                hash_part(have).await?
            } else {
                sha2::Sha256::new()
            };
            let file = self.blobs.open_part(sha, resume)?;
            // Hashing and writing run on a thread of their own, beside the network: the
            // runtime only moves chunks. The writer flushes the file to disk when it has
            // it all, while the other downloads go on, so the round's closing flush finds
            // little left to do.
            let (chunks, mut chunk_rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(64);
            let writer =
                tokio::task::spawn_blocking(move || -> std::io::Result<(sha2::Sha256, bool)> {
                    let mut file = file;
                    let mut marker = MarkerScan::new(SIGNATURE_MARKER);
                    let mut block = Vec::with_capacity(WRITE_BLOCK);
                    let mut written = 0u64;
                    while let Some(chunk) = chunk_rx.blocking_recv() {
                        hasher.update(&chunk);
                        marker.feed(&chunk);
                        block.extend_from_slice(&chunk);
                        if block.len() >= WRITE_BLOCK {
                            write_block(&mut file, &mut block, &mut written)?;
                        }
                    }
                    write_block(&mut file, &mut block, &mut written)?;
                    file.sync_data()?;
                    Ok((hasher, marker.found()))
                });
            let mut done = have;
            let mut last_event = 0;
            let mut body = resp.bytes_stream();
            // A connection cut mid-file: the writer still finishes what it was given
            // before the error goes up, or the retry would measure and append to a part
            // that is still growing (and publish bytes its hash never saw).
            let mut cut = None;
            while let Some(chunk) = body.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        cut = Some(e);
                        break;
                    }
                };
                let len = chunk.len() as u64;
                if chunks.send(chunk).await.is_err() {
                    // The writer stopped: its error is below.
                    break;
                }
                done += len;
                received.fetch_add(len, Ordering::Relaxed);
                if done - last_event >= 256 * 1024 {
                    last_event = done;
                    emit(
                        events,
                        SyncEvent::Blob {
                            sha256: sha.to_string(),
                            done,
                            total: size,
                        },
                    );
                }
                if done > size {
                    break;
                }
            }
            drop(chunks);
            let written = writer
                .await
                .map_err(|e| ClientError::Io(std::io::Error::other(e)))?;
            if let Some(e) = cut {
                return Err(e.into());
            }
            let (hasher, signed) = written?;
            emit(
                events,
                SyncEvent::Blob {
                    sha256: sha.to_string(),
                    done,
                    total: size,
                },
            );
            // Only a file seen whole here can be judged by what went by.
            (hasher, !resume && !signed)
        };
        let got = Sha256::from_digest(&hasher.finalize().into());
        if &got != sha {
            self.blobs.discard_part(sha);
            return Err(ClientError::Invalid(format!(
                "the server sent a file whose SHA-256 is {got}, not {sha}; it was discarded"
            )));
        }
        Ok(unsigned)
    }
}

/// Every PDF signature has a `/ByteRange`: a file without one is unsigned and needs no
/// parsing to say so.
const SIGNATURE_MARKER: &[u8] = b"/ByteRange";

/// This device's verdict on a document file; None when the file cannot be read now (gone
/// to garbage collection, a disk error): no verdict is stored, so the next round checks
/// again instead of calling a signed document unsigned for good.
fn verdict_of(
    path: &std::path::Path,
    trust: &phonghop_pdf::TrustStore,
) -> Option<phonghop_domain::SignatureSummary> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("signature check of {}: {e}", path.display());
            return None;
        }
    };
    if memchr::memmem::find(&bytes, SIGNATURE_MARKER).is_none() {
        return Some(phonghop_domain::SignatureSummary::Unsigned);
    }
    Some(match phonghop_pdf::verify_pdf(&bytes, trust) {
        Ok(report) => phonghop_pdf::summarize(&report),
        Err(e) => phonghop_domain::SignatureSummary::Invalid { why: e.to_string() },
    })
}

/// Downloads go to disk in blocks of this size.
const WRITE_BLOCK: usize = 1 << 20;

/// Writes a block out and asks the kernel to start putting it on disk now, beside the
/// download, so the closing flush has little left to wait for.
fn write_block(
    file: &mut std::fs::File,
    block: &mut Vec<u8>,
    written: &mut u64,
) -> std::io::Result<()> {
    if block.is_empty() {
        return Ok(());
    }
    file.write_all(block)?;
    start_writeback(file, *written, block.len() as u64);
    *written += block.len() as u64;
    block.clear();
    Ok(())
}

/// Schedules writeback of a range of the file without waiting for it.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn start_writeback(file: &std::fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; the call only schedules writeback of its pages
    // and touches no memory of ours.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File, _offset: u64, _len: u64) {}

/// Finds a byte string in data that arrives in chunks (a match may straddle two).
struct MarkerScan {
    finder: memchr::memmem::Finder<'static>,
    /// The end of what came so far, one byte short of the marker.
    tail: Vec<u8>,
    found: bool,
}

impl MarkerScan {
    fn new(marker: &'static [u8]) -> MarkerScan {
        MarkerScan {
            finder: memchr::memmem::Finder::new(marker),
            tail: Vec::new(),
            found: false,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.found {
            return;
        }
        let keep = self.finder.needle().len() - 1;
        let head = &chunk[..chunk.len().min(keep)];
        let mut seam = std::mem::take(&mut self.tail);
        seam.extend_from_slice(head);
        self.found = self.finder.find(&seam).is_some() || self.finder.find(chunk).is_some();
        self.tail = if chunk.len() >= keep {
            chunk[chunk.len() - keep..].to_vec()
        } else {
            seam[seam.len().saturating_sub(keep)..].to_vec()
        };
    }

    fn found(&self) -> bool {
        self.found
    }
}

/// The longest start of `ops` whose JSON stays within `budget` bytes; at least one op.
fn fitting(ops: Vec<OpEnvelope>, budget: usize) -> Vec<OpEnvelope> {
    let mut used = 0;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let size = serde_json::to_vec(&op).map_or(0, |v| v.len());
        if !out.is_empty() && used + size > budget {
            break;
        }
        used += size;
        out.push(op);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::MarkerScan;

    fn scan(chunks: &[&[u8]]) -> bool {
        let mut m = MarkerScan::new(super::SIGNATURE_MARKER);
        for c in chunks {
            m.feed(c);
        }
        m.found()
    }

    #[test]
    fn the_marker_is_found_in_a_chunk_across_a_seam_and_across_tiny_chunks() {
        assert!(scan(&[b"%PDF-1.7 << /ByteRange [0 10 20 30] >>"]));
        assert!(scan(&[b"xxxx /Byte", b"Range [0 1]"]));
        assert!(scan(&[b"/", b"Byte", b"R", b"a", b"nge"]));
        assert!(scan(&[b"/Byte", b"", b"Range"]));
        // Every split point of a stream that holds it once.
        let data = b"%PDF-1.7 stream ... << /Type /Sig /ByteRange [0 1 2 3] >> endstream";
        for cut in 0..data.len() {
            assert!(scan(&[&data[..cut], &data[cut..]]), "cut at {cut}");
        }
        // Byte by byte.
        let bytes: Vec<&[u8]> = data.chunks(1).collect();
        assert!(scan(&bytes));
    }

    #[test]
    fn a_file_that_cannot_be_read_gets_no_verdict_rather_than_unsigned() {
        let dir = tempfile::tempdir().unwrap();
        let trust = phonghop_pdf::TrustStore::default();
        assert_eq!(super::verdict_of(&dir.path().join("gone"), &trust), None);
        let plain = dir.path().join("plain.pdf");
        std::fs::write(&plain, b"%PDF-1.7 nothing signed").unwrap();
        assert_eq!(
            super::verdict_of(&plain, &trust),
            Some(phonghop_domain::SignatureSummary::Unsigned)
        );
    }

    #[test]
    fn no_marker_means_not_found_even_when_parts_of_it_straddle_seams() {
        assert!(!scan(&[b"%PDF-1.7 /Type /Page"]));
        assert!(!scan(&[b"/Byte", b"Ran", b"/ByteRang", b"x"]));
        assert!(!scan(&[b"/ByteRang", b"", b"E"]));
        assert!(!scan(&[]));
    }
}
