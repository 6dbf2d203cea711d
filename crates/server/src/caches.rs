//! Hot-path caches for many clients syncing at once (a meeting published to a whole
//! council). Feed pages and blob visibility are keyed by the feed cursor, so any change —
//! which moves the cursor — makes them fresh; sessions expire after a few seconds, so a
//! disabled account or a revoked device is shut out promptly even from another process.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use phonghop_domain::{Id, Sha256};

use crate::store::SessionRecord;

const SESSION_TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 20_000;
/// Feed pages held at most, in bytes: a client asking for every `since` at the largest
/// page must not make the server hold gigabytes.
const MAX_FEED_BYTES: usize = 64 << 20;

#[derive(Default)]
pub struct Caches {
    sessions: Mutex<HashMap<String, (Instant, SessionRecord)>>,
    feed: Mutex<ByCursor<(Id, u64, usize), Bytes>>,
    blobs: Mutex<ByCursor<Id, Arc<HashSet<Sha256>>>>,
}

/// Entries valid while the feed stays at `cursor`.
struct ByCursor<K, V> {
    cursor: u64,
    entries: HashMap<K, V>,
    /// What the entries weigh (bytes, where they are weighed).
    weight: usize,
}

impl<K, V> Default for ByCursor<K, V> {
    fn default() -> Self {
        ByCursor {
            cursor: 0,
            entries: HashMap::new(),
            weight: 0,
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> ByCursor<K, V> {
    fn clear(&mut self) {
        self.entries.clear();
        self.weight = 0;
    }

    fn get(&mut self, cursor: u64, key: &K) -> Option<V> {
        if self.cursor != cursor {
            self.clear();
            self.cursor = cursor;
            return None;
        }
        self.entries.get(key).cloned()
    }

    fn put(&mut self, cursor: u64, key: K, value: V) {
        self.put_weighing(cursor, key, value, 0, usize::MAX);
    }

    /// Keeps `value` (weighing `weight`) unless that would pass `budget`: then the
    /// cache starts over from this entry, or holds nothing if it alone is too heavy.
    fn put_weighing(&mut self, cursor: u64, key: K, value: V, weight: usize, budget: usize) {
        if self.cursor != cursor {
            self.clear();
            self.cursor = cursor;
        }
        if weight > budget {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES || self.weight.saturating_add(weight) > budget {
            self.clear();
        }
        self.weight += weight;
        // A key put twice (two requests raced) counts twice until the next clear, which
        // only makes that come sooner.
        self.entries.insert(key, value);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Caches {
    pub fn session(&self, token_hash: &str) -> Option<SessionRecord> {
        let mut s = lock(&self.sessions);
        match s.get(token_hash) {
            Some((at, rec)) if at.elapsed() < SESSION_TTL => Some(rec.clone()),
            Some(_) => {
                s.remove(token_hash);
                None
            }
            None => None,
        }
    }

    pub fn put_session(&self, token_hash: &str, rec: SessionRecord) {
        let mut s = lock(&self.sessions);
        if s.len() >= MAX_ENTRIES {
            s.retain(|_, (at, _)| at.elapsed() < SESSION_TTL);
        }
        s.insert(token_hash.to_owned(), (Instant::now(), rec));
    }

    pub fn forget_session(&self, token_hash: &str) {
        lock(&self.sessions).remove(token_hash);
    }

    pub fn feed_page(&self, cursor: u64, key: (Id, u64, usize)) -> Option<Bytes> {
        lock(&self.feed).get(cursor, &key)
    }

    pub fn put_feed_page(&self, cursor: u64, key: (Id, u64, usize), page: Bytes) {
        let weight = page.len();
        lock(&self.feed).put_weighing(cursor, key, page, weight, MAX_FEED_BYTES);
    }

    /// Bytes of feed pages held now.
    pub fn feed_bytes(&self) -> usize {
        lock(&self.feed).weight
    }

    pub fn visible_blobs(&self, cursor: u64, user: Id) -> Option<Arc<HashSet<Sha256>>> {
        lock(&self.blobs).get(cursor, &user)
    }

    pub fn put_visible_blobs(&self, cursor: u64, user: Id, set: Arc<HashSet<Sha256>>) {
        lock(&self.blobs).put(cursor, user, set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_pages_stay_within_their_byte_budget() {
        let c = Caches::default();
        let page = Bytes::from(vec![b'x'; 1 << 20]);
        for since in 0..200 {
            c.put_feed_page(7, (Id::nil(), since, 5000), page.clone());
            assert!(
                c.feed_bytes() <= MAX_FEED_BYTES,
                "{} bytes held",
                c.feed_bytes()
            );
        }
        assert!(c.feed_bytes() > 0);
        // The latest page is served from the cache.
        assert!(c.feed_page(7, (Id::nil(), 199, 5000)).is_some());
        // One page heavier than the whole budget is not kept, and does not push out the rest.
        c.put_feed_page(
            7,
            (Id::nil(), 500, 5000),
            Bytes::from(vec![0; MAX_FEED_BYTES + 1]),
        );
        assert!(c.feed_page(7, (Id::nil(), 500, 5000)).is_none());
        assert!(c.feed_page(7, (Id::nil(), 199, 5000)).is_some());
    }

    #[test]
    fn entries_die_with_their_cursor() {
        let c = Caches::default();
        let key = (Id::nil(), 0, 500);
        c.put_feed_page(7, key, Bytes::from_static(b"page"));
        assert_eq!(c.feed_page(7, key).as_deref(), Some(&b"page"[..]));
        assert_eq!(c.feed_page(8, key), None);
        assert_eq!(
            c.feed_page(7, key),
            None,
            "an older cursor does not bring it back"
        );
    }
}
