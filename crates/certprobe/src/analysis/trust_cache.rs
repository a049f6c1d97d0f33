//! Trust results of chains already verified, for a checker that sees the same chain on many
//! endpoints (a scan: one wildcard certificate behind a hundred addresses). A result is kept
//! for the minute it was made in, and only when no certificate of the chain starts or stops
//! being valid within that minute, so a cached answer is the answer verification would give.

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

    /// The result for this chain at `now`, if one was made in the same window.
    pub fn get(&self, key: &[u8; 32], facts: &[CertFacts], now: i64) -> Option<TrustResult> {
        if !steady(facts, now) {
            return None;
        }
        let results = self.results.lock().ok()?;
        match results.get(key) {
            Some((window, result)) if *window == now.div_euclid(WINDOW) => Some(result.clone()),
            _ => None,
        }
    }

    /// Remembers a result made at `now`.
    pub fn put(&self, key: [u8; 32], facts: &[CertFacts], now: i64, result: &TrustResult) {
        if !steady(facts, now) {
            return;
        }
        if let Ok(mut results) = self.results.lock() {
            if results.len() >= CAPACITY {
                results.clear();
            }
            results.insert(key, (now.div_euclid(WINDOW), result.clone()));
        }
    }
}

/// No certificate's validity begins or ends within the window of `now`.
fn steady(facts: &[CertFacts], now: i64) -> bool {
    let start = now.div_euclid(WINDOW) * WINDOW;
    let end = start + WINDOW;
    facts
        .iter()
        .all(|f| !(start..=end).contains(&f.not_before) && !(start..=end).contains(&f.not_after))
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
        cache.put(key, &[], now + 5, &result(true));
        assert!(cache.get(&key, &[], now + 59).is_some_and(|r| r.trusted));
        assert!(cache.get(&key, &[], now + 60).is_none());
        assert!(cache
            .get(&TrustCache::key(&[vec![1, 2]]), &[], now + 5)
            .is_none());
        // Two chains whose concatenations are the same are still two keys.
        assert_ne!(
            TrustCache::key(&[vec![1], vec![2, 3]]),
            TrustCache::key(&[vec![1, 2], vec![3]])
        );
    }
}
