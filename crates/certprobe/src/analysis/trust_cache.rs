//! Trust results of chains already verified, for a checker that sees the same chain on many
//! endpoints (a scan: one wildcard certificate behind a hundred addresses). A result made at
//! one instant answers for another up to a minute away when no certificate of the chain starts
//! or stops being valid between the two, so a cached answer is the answer verification would
//! give.

use super::certificate::CertFacts;
use super::trust::TrustResult;
use std::collections::HashMap;
use std::sync::Mutex;

/// Chains remembered at most; the table is emptied when full.
const CAPACITY: usize = 4096;
/// The length of the window a result is reused in.
const WINDOW: i64 = 60;

/// The cache; `Send + Sync`.
#[derive(Default)]
pub struct TrustCache {
    /// By chain: when the result was made, and the result.
    results: Mutex<HashMap<[u8; 32], (i64, TrustResult)>>,
}

impl TrustCache {
    /// The key of a chain as sent (leaf first).
    pub fn key(ders: &[Vec<u8>]) -> [u8; 32] {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        for der in ders {
            context.update(&(der.len() as u64).to_be_bytes());
            context.update(der);
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(context.finish().as_ref());
        key
    }

    /// The result for this chain at `now`, if one made close enough still holds.
    pub fn get(&self, key: &[u8; 32], facts: &[CertFacts], now: i64) -> Option<TrustResult> {
        let results = self.results.lock().ok()?;
        let (made, result) = results.get(key)?;
        let validity = facts.iter().map(|f| (f.not_before, f.not_after));
        ((now - made).abs() <= WINDOW && steady(validity, *made, now)).then(|| result.clone())
    }

    /// Remembers a result made at `now`.
    pub fn put(&self, key: [u8; 32], now: i64, result: &TrustResult) {
        if let Ok(mut results) = self.results.lock() {
            if results.len() >= CAPACITY {
                results.clear();
            }
            results.insert(key, (now, result.clone()));
        }
    }
}

/// No certificate becomes valid (at notBefore) or invalid (a second after notAfter) between
/// the instants `a` and `b`.
fn steady(validity: impl IntoIterator<Item = (i64, i64)>, a: i64, b: i64) -> bool {
    let (after, until) = (a.min(b), a.max(b));
    let between = |t: i64| after < t && t <= until;
    validity.into_iter().all(|(not_before, not_after)| {
        !between(not_before) && !between(not_after.saturating_add(1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(trusted: bool) -> TrustResult {
        TrustResult {
            trusted,
            ..TrustResult::default()
        }
    }

    #[test]
    fn a_result_is_reused_within_its_minute_only() {
        let cache = TrustCache::default();
        let key = TrustCache::key(&[vec![1, 2, 3]]);
        let now = 1_800_000_000; // a multiple of 60
        cache.put(key, now + 5, &result(true));
        assert!(cache.get(&key, &[], now + 59).is_some_and(|r| r.trusted));
        assert!(cache.get(&key, &[], now - 50).is_some_and(|r| r.trusted));
        assert!(cache.get(&key, &[], now + 66).is_none());
        assert!(cache
            .get(&TrustCache::key(&[vec![1, 2]]), &[], now + 5)
            .is_none());
        // A certificate that becomes valid, or stops being valid, between the two instants.
        assert!(steady([(100, 200)], 100, 200));
        assert!(!steady([(100, 200)], 99, 100));
        assert!(!steady([(100, 200)], 201, 200));
        assert!(steady([(100, 200)], 201, 260));
        // Two chains whose concatenations are the same are still two keys.
        assert_ne!(
            TrustCache::key(&[vec![1], vec![2, 3]]),
            TrustCache::key(&[vec![1, 2], vec![3]])
        );
    }
}
