//! The verifier's memory of PDS answers: one [`Lookup`] per NHS number, kept for a TTL, at
//! most `capacity` of them (the oldest goes first). Errors are never cached.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use junction_model::NhsNumber;
use tokio::time::Instant;

use super::Lookup;

struct Entry {
    lookup: Lookup,
    stored: Instant,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<NhsNumber, Entry>,
    /// Insertion order; an element whose `seq` no longer matches its entry is stale.
    order: VecDeque<(u64, NhsNumber)>,
    next_seq: u64,
}

/// A TTL- and size-bounded cache of lookups.
pub(super) struct LookupCache {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

impl LookupCache {
    /// A cache keeping answers for `ttl`, at most `capacity` (0 disables it).
    pub(super) fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The fresh answer for `nhs`, if any.
    pub(super) fn get(&self, nhs: &NhsNumber) -> Option<Lookup> {
        let mut inner = self.lock();
        let entry = inner.entries.get(nhs)?;
        if entry.stored.elapsed() < self.ttl {
            return Some(entry.lookup.clone());
        }
        inner.entries.remove(nhs);
        None
    }

    /// Remembers `lookup` for `nhs`, evicting the oldest answers beyond the capacity.
    pub(super) fn put(&self, nhs: NhsNumber, lookup: Lookup) {
        if self.capacity == 0 || self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.entries.insert(
            nhs,
            Entry {
                lookup,
                stored: Instant::now(),
                seq,
            },
        );
        inner.order.push_back((seq, nhs));
        while inner.entries.len() > self.capacity {
            let Some((old_seq, old)) = inner.order.pop_front() else {
                break;
            };
            if inner.entries.get(&old).is_some_and(|e| e.seq == old_seq) {
                inner.entries.remove(&old);
            }
        }
        // Drop stale order entries so the queue stays bounded too.
        if inner.order.len() > 2 * self.capacity.max(16) {
            let Inner { entries, order, .. } = &mut *inner;
            order.retain(|(s, n)| entries.get(n).is_some_and(|e| e.seq == *s));
        }
    }

    /// How many answers are held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nhs(mut first_nine: u32) -> NhsNumber {
        loop {
            let mut nine = [0u8; 9];
            for (i, b) in format!("{first_nine:09}").bytes().enumerate() {
                nine[i] = b - b'0';
            }
            if let Some(n) = NhsNumber::from_first_nine(nine) {
                return n;
            }
            first_nine += 1;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn expires_after_ttl() {
        let cache = LookupCache::new(Duration::from_secs(60), 10);
        let a = nhs(999_000_001);
        cache.put(a, Lookup::NotFound);
        assert_eq!(cache.get(&a), Some(Lookup::NotFound));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(cache.get(&a), None);
    }

    #[test]
    fn bounded_oldest_out() {
        let cache = LookupCache::new(Duration::from_secs(60), 3);
        let ids: Vec<NhsNumber> = (0..5).map(|i| nhs(999_000_010 + i * 3)).collect();
        for id in &ids {
            cache.put(*id, Lookup::NotFound);
        }
        // Re-putting the newest does not evict a live entry early.
        cache.put(ids[4], Lookup::Invalidated);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&ids[0]), None);
        assert_eq!(cache.get(&ids[1]), None);
        assert_eq!(cache.get(&ids[4]), Some(Lookup::Invalidated));
        assert!(cache.get(&ids[2]).is_some());
    }
}
