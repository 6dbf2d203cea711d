//! A sync round: push (uploads, then the outbox in batches), pull the feed page by page,
//! download missing document files a few at a time, collect unreferenced files.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use phonghop_domain::{ChangesPage, Sha256};
use serde::Serialize;
use sha2::Digest;
use std::io::Read as _;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::UnboundedSender;

use crate::{Client, ClientError};

/// Cache meta key: a push saw a rejection; the next round rebuilds from a full pull.
const REBUILD_DUE: &str = "rebuild_due";

const PAGE: usize = 500;
const OPS_BATCH: usize = 100;
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

impl Client {
    /// One full round. Fails only when the server cannot be reached or refuses the
    /// session; a file that fails its check is reported and skipped.
    pub async fn sync(&self, events: Events) -> Result<SyncReport, ClientError> {
        self.sync_with(events, Retry::default()).await
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
        self.push_with(&events, Retry::default()).await
    }

    async fn push_with(
        &self,
        events: &Events,
        retry: Retry,
    ) -> Result<(usize, usize), ClientError> {
        let _one = self.push_lock.lock().await;
        let (mut pushed, mut rejected_total) = (0, 0);
        for sha in self.cache.uploads()? {
            let path = self.blobs.path(&sha);
            let bytes = tokio::fs::read(&path).await?;
            retrying(retry, || self.api.put_blob(&sha, bytes.clone())).await?;
            self.cache.upload_done(&sha)?;
        }
        loop {
            let batch = self.cache.pending_ops(OPS_BATCH)?;
            if batch.is_empty() {
                break;
            }
            let resp = retrying(retry, || self.api.push(batch.clone())).await?;
            // Flagged before the rejections are recorded, so a crash in between still
            // leads to the rebuild.
            if resp
                .results
                .iter()
                .any(|r| matches!(r.outcome, phonghop_domain::OpOutcome::Rejected { .. }))
            {
                self.cache.set_meta(REBUILD_DUE, "1")?;
            }
            let rejected = self.cache.record_results(&resp.results)?;
            pushed += resp.results.len() - rejected;
            rejected_total += rejected;
            emit(
                events,
                SyncEvent::Pushed {
                    accepted: resp.results.len() - rejected,
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
        if report.rejected > 0 || self.cache.meta(REBUILD_DUE)?.is_some() {
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
            self.cache.delete_meta(REBUILD_DUE)?;
            emit(
                &events,
                SyncEvent::Pulled {
                    changes: report.changes,
                    cursor,
                },
            );
        } else {
            loop {
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
        let results: Vec<(Sha256, Result<(), ClientError>)> = futures_util::stream::iter(missing)
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
        // Durable before visible, with one filesystem flush for the whole round instead
        // of one per file: flush the parts, rename them, flush the renames.
        if results.iter().any(|(_, r)| r.is_ok()) {
            self.blobs.sync_all_files()?;
        }
        for (sha, r) in results {
            match r {
                Ok(()) => {
                    self.blobs.publish_part(&sha)?;
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
                Err(e) => return Err(e),
            }
        }

        if report.downloaded > 0 {
            self.blobs.sync_all_files()?;
        }

        // Every document on disk gets this device's own signature check.
        self.verify_documents().await?;

        // 4. Files nothing refers to any more (a revoked meeting, say) leave the disk.
        let keep = self.cache.referenced_blobs()?;
        report.removed_files = self.blobs.collect_garbage(&keep)?;
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
                .map(|sha| {
                    let bytes = std::fs::read(blobs.path(&sha)).unwrap_or_default();
                    // A PDF without a /ByteRange has no signature: no need to parse it.
                    if memchr::memmem::find(&bytes, b"/ByteRange").is_none() {
                        return (sha, phonghop_domain::SignatureSummary::Unsigned);
                    }
                    let verdict = match phonghop_pdf::verify_pdf(&bytes, &trust) {
                        Ok(report) => phonghop_pdf::summarize(&report),
                        Err(e) => phonghop_domain::SignatureSummary::Invalid { why: e.to_string() },
                    };
                    (sha, verdict)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ClientError::Io(std::io::Error::other(e)))?;
        for (sha, v) in &verdicts {
            self.cache.set_verdict(sha, v)?;
        }
        Ok(verdicts.len())
    }

    /// Fetches one file into its `.part`, resuming what is there; checks it; renames.
    async fn download(
        &self,
        sha: &Sha256,
        size: u64,
        events: &Events,
        received: &AtomicU64,
    ) -> Result<(), ClientError> {
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
                    std::io::copy(
                        &mut std::fs::File::open(blobs.part_path(&sha2))?.take(len),
                        &mut h,
                    )?;
                    Ok(h)
                })
                .await
                .map_err(|e| ClientError::Io(std::io::Error::other(e)))?
                .map_err(ClientError::Io)
            }
        };
        let hasher = if have == size && size > 0 {
            // A complete part left by a cut round: nothing to fetch.
            hash_part(have).await?
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
            let mut file =
                tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
            let mut done = have;
            let mut last_event = 0;
            let mut body = resp.bytes_stream();
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                hasher.update(&chunk);
                file.write_all(&chunk).await?;
                done += chunk.len() as u64;
                received.fetch_add(chunk.len() as u64, Ordering::Relaxed);
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
            file.flush().await?;
            emit(
                events,
                SyncEvent::Blob {
                    sha256: sha.to_string(),
                    done,
                    total: size,
                },
            );
            hasher
        };
        let got = Sha256::from_digest(&hasher.finalize().into());
        if &got != sha {
            self.blobs.discard_part(sha);
            return Err(ClientError::Invalid(format!(
                "the server sent a file whose SHA-256 is {got}, not {sha}; it was discarded"
            )));
        }
        Ok(())
    }
}
