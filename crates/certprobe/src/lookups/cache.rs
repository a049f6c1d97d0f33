//! The cache for fetched PKI material: issuer certificates, OCSP responses and CRLs, keyed by
//! a hash of the request. Two layers: memory, shared by every thread of the process and
//! bounded in bytes, and a folder (`--cache-dir`) shared by processes. A key being fetched is
//! fetched once: other threads wait for that answer (single flight), so a thousand endpoints
//! of one CA download its CRL once. A failure is remembered for a short while, so they do not
//! each wait for a dead responder either. Entries are not trusted: the analysis verifies what
//! it reads and rejects what does not verify, which drops it from both layers.

use crate::budget::Deadline;
use crate::fetch::{Body, FetchError, Kind, Origin, Request};
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Memory kept for answers by default; the largest CRLs go to the folder only.
pub const DEFAULT_MEMORY: usize = 64 << 20;
/// How long a failed fetch is answered from memory before it is tried again.
const FAILURE_KEPT: Duration = Duration::from_secs(30);

/// Entries of any kind kept at most (failures included).
const MAX_SLOTS: usize = 100_000;

type Key = (Kind, [u8; 32]);

/// The two-layer cache. `Send + Sync`.
pub struct Cache {
    dir: Option<PathBuf>,
    max_memory: usize,
    memory: Mutex<Memory>,
    changed: Condvar,
    /// Makes temporary file names unique between the writes of this cache (the process and
    /// thread make them unique between caches).
    temp_counter: AtomicU64,
}

#[derive(Default)]
struct Memory {
    slots: HashMap<Key, Slot>,
    /// Ready keys, oldest first, for eviction.
    order: VecDeque<Key>,
    bytes: usize,
}

enum Slot {
    Loading,
    Ready(Arc<[u8]>),
    Failed(FetchError, Instant),
}

impl Cache {
    /// A memory cache of `max_memory` bytes, and a folder cache when `dir` is given.
    pub fn new(dir: Option<PathBuf>, max_memory: usize) -> Cache {
        Cache {
            dir,
            max_memory,
            memory: Mutex::new(Memory::default()),
            changed: Condvar::new(),
            temp_counter: AtomicU64::new(0),
        }
    }

    /// The answer for `request`: from memory, from the folder, or from `fetch`, which runs
    /// at most once at a time per key. Waiting for another thread's fetch ends at `deadline`.
    pub fn get_or_fetch(
        &self,
        request: &Request<'_>,
        deadline: Deadline,
        fetch: impl FnOnce() -> Result<Vec<u8>, FetchError>,
    ) -> Result<Body, FetchError> {
        let key = key_of(request);
        {
            let mut memory = self.lock();
            loop {
                match memory.slots.get(&key) {
                    Some(Slot::Ready(bytes)) => {
                        return Ok(Body {
                            bytes: Arc::clone(bytes),
                            origin: Origin::Cache,
                        })
                    }
                    Some(Slot::Failed(error, at)) if at.elapsed() < FAILURE_KEPT => {
                        return Err(error.clone())
                    }
                    Some(Slot::Loading) => {
                        let left = deadline
                            .remaining("waiting for another fetch of the same URL")
                            .map_err(|e| FetchError::Connect(e.message))?;
                        memory = self
                            .changed
                            .wait_timeout(memory, left)
                            .map(|(guard, _)| guard)
                            .unwrap_or_else(|p| p.into_inner().0);
                    }
                    Some(Slot::Failed(..)) | None => {
                        memory.slots.insert(key, Slot::Loading);
                        break;
                    }
                }
            }
        }
        if let Some(bytes) = self.read_file(request) {
            let bytes: Arc<[u8]> = bytes.into();
            self.settle(key, Ok(Arc::clone(&bytes)));
            return Ok(Body {
                bytes,
                origin: Origin::Cache,
            });
        }
        match fetch() {
            Ok(bytes) => {
                self.write_file(request, &bytes);
                let bytes: Arc<[u8]> = bytes.into();
                self.settle(key, Ok(Arc::clone(&bytes)));
                Ok(Body {
                    bytes,
                    origin: Origin::Network,
                })
            }
            Err(error) => {
                self.settle(key, Err(error.clone()));
                Err(error)
            }
        }
    }

    /// Drops `body` from both layers, unless another thread has already replaced it.
    pub fn reject(&self, request: &Request<'_>, body: &Body) {
        let key = key_of(request);
        let mut memory = self.lock();
        if let Some(Slot::Ready(bytes)) = memory.slots.get(&key) {
            if Arc::ptr_eq(bytes, &body.bytes) || **bytes == *body.bytes {
                let size = bytes.len();
                memory.slots.remove(&key);
                memory.order.retain(|k| *k != key);
                memory.bytes = memory.bytes.saturating_sub(size);
            }
        }
        drop(memory);
        if let Some(path) = self.path(&key) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Bytes held in memory now.
    pub fn memory_bytes(&self) -> usize {
        self.lock().bytes
    }

    fn settle(&self, key: Key, result: Result<Arc<[u8]>, FetchError>) {
        let mut memory = self.lock();
        match result {
            Ok(bytes) if bytes.len() <= self.max_memory / 2 => {
                memory.bytes += bytes.len();
                memory.order.push_back(key);
                memory.slots.insert(key, Slot::Ready(bytes));
                while memory.bytes > self.max_memory {
                    let Some(old) = memory.order.pop_front() else {
                        break;
                    };
                    if let Some(Slot::Ready(b)) = memory.slots.remove(&old) {
                        memory.bytes = memory.bytes.saturating_sub(b.len());
                    }
                }
            }
            // Too large for memory: the folder keeps it, if there is one.
            Ok(_) => {
                memory.slots.remove(&key);
            }
            Err(error) => {
                // Failures take few bytes, but their number must stay bounded too.
                if memory.slots.len() >= MAX_SLOTS {
                    memory.slots.retain(|_, slot| {
                        !matches!(slot, Slot::Failed(_, at) if at.elapsed() >= FAILURE_KEPT)
                    });
                }
                if memory.slots.len() < MAX_SLOTS {
                    memory
                        .slots
                        .insert(key, Slot::Failed(error, Instant::now()));
                } else {
                    memory.slots.remove(&key);
                }
            }
        }
        drop(memory);
        self.changed.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read_file(&self, request: &Request<'_>) -> Option<Vec<u8>> {
        let path = self.path(&key_of(request))?;
        let file = std::fs::File::open(path).ok()?;
        let mut bytes = Vec::new();
        file.take(request.limit as u64 + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        (bytes.len() <= request.limit && !bytes.is_empty()).then_some(bytes)
    }

    /// Written to a temporary name unique to this thread's write and renamed, so a reader
    /// in any thread or process never sees half a file. Failures are ignored: the cache is
    /// an optimisation.
    fn write_file(&self, request: &Request<'_>, bytes: &[u8]) {
        let Some(path) = self.path(&key_of(request)) else {
            return;
        };
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        // Process, thread and this cache's count: two caches on one folder (a process may
        // make several) must not meet on one temporary name either.
        let unique = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let thread: String = format!("{:?}", std::thread::current().id())
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let temp = path.with_extension(format!("tmp{}-{thread}-{unique}", std::process::id()));
        if std::fs::write(&temp, bytes).is_err() || std::fs::rename(&temp, &path).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }

    fn path(&self, key: &Key) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!(
            "{}-{}",
            key.0.name(),
            crate::encoding::hex_upper(&key.1[..16])
        )))
    }
}

fn key_of(request: &Request<'_>) -> Key {
    let digest = ring::digest::digest(&ring::digest::SHA256, &request.key());
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest.as_ref());
    (request.kind, hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn request(url: &str) -> Request<'_> {
        Request {
            kind: Kind::Crl,
            url,
            post: None,
            limit: 1 << 20,
            near: None,
        }
    }

    #[test]
    fn many_threads_fetch_one_key_once() {
        let cache = Cache::new(None, DEFAULT_MEMORY);
        let fetches = AtomicUsize::new(0);
        let deadline = Deadline::within(Duration::from_secs(10));
        std::thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| {
                    let body = cache
                        .get_or_fetch(&request("http://ca/crl"), deadline, || {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            Ok(b"crl bytes".to_vec())
                        })
                        .unwrap();
                    assert_eq!(&*body.bytes, b"crl bytes");
                });
            }
        });
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn failures_are_shared_and_rejected_answers_fetched_again() {
        let cache = Cache::new(None, DEFAULT_MEMORY);
        let deadline = Deadline::within(Duration::from_secs(10));
        let down = || {
            Err(FetchError::Connect(
                "connection refused by 127.0.0.1:9".into(),
            ))
        };
        assert!(cache
            .get_or_fetch(&request("http://a/"), deadline, down)
            .is_err());
        let second = cache.get_or_fetch(&request("http://a/"), deadline, || Ok(vec![1]));
        assert_eq!(
            second.unwrap_err(),
            FetchError::Connect("connection refused by 127.0.0.1:9".into())
        );
        let first = cache
            .get_or_fetch(&request("http://b/"), deadline, || Ok(vec![1]))
            .unwrap();
        assert_eq!(first.origin, Origin::Network);
        let cached = cache
            .get_or_fetch(&request("http://b/"), deadline, || Ok(vec![2]))
            .unwrap();
        assert_eq!((&*cached.bytes, cached.origin), (&[1u8][..], Origin::Cache));
        cache.reject(&request("http://b/"), &cached);
        let fresh = cache
            .get_or_fetch(&request("http://b/"), deadline, || Ok(vec![2]))
            .unwrap();
        assert_eq!(&*fresh.bytes, &[2u8]);
    }

    #[test]
    fn memory_stays_within_its_bound() {
        let cache = Cache::new(None, 1000);
        let deadline = Deadline::within(Duration::from_secs(10));
        for i in 0..50 {
            let url = format!("http://ca/{i}");
            cache
                .get_or_fetch(&request(&url), deadline, || Ok(vec![0; 300]))
                .unwrap();
            assert!(cache.memory_bytes() <= 1000);
        }
        let big = cache
            .get_or_fetch(&request("http://ca/big"), deadline, || Ok(vec![0; 600]))
            .unwrap();
        assert_eq!(big.bytes.len(), 600);
        assert!(cache.memory_bytes() <= 1000);
    }

    #[test]
    fn threads_writing_one_key_to_the_folder_never_share_a_temporary_file() {
        let dir = std::env::temp_dir().join(format!("certprobe-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let deadline = Deadline::within(Duration::from_secs(10));
        std::thread::scope(|scope| {
            for t in 0..16u8 {
                let dir = dir.clone();
                scope.spawn(move || {
                    // Separate memory layers, one folder: every thread writes the file.
                    let cache = Cache::new(Some(dir), DEFAULT_MEMORY);
                    let bytes = vec![t; 4096];
                    cache.write_file(&request("http://ca/one"), &bytes);
                    let read = cache
                        .get_or_fetch(&request("http://ca/one"), deadline, || Ok(bytes.clone()))
                        .unwrap();
                    let first = read.bytes[0];
                    assert!(read.bytes.iter().all(|&b| b == first), "a torn file");
                });
            }
        });
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary files left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
