//! An ordered parallel map: items taken from one iterator in chunks by a worker per core,
//! their results handed to one consumer in the iterator's order. For the audit, where
//! reading and judging a file is the CPU-bound part and the inventory has one writer that
//! should store (and report) files in walk order.

use std::collections::BTreeMap;
use std::sync::{mpsc, Mutex};

/// Items per take: large enough that the lock is rare, small enough to keep cores even.
const CHUNK: usize = 16;

/// `work` on every item of `items` across `threads` threads; `consume` gets each result in
/// order on the calling thread. An error from `consume` stops the workers and is returned.
pub fn ordered_map<T, R, E>(
    items: impl Iterator<Item = T> + Send,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
    R: Send,
{
    let source = Mutex::new((0usize, items));
    std::thread::scope(|scope| {
        // Bounded: workers wait when the consumer falls behind.
        let (done, finished) = mpsc::sync_channel::<(usize, Vec<R>)>(threads * 4);
        for _ in 0..threads.max(1) {
            let (done, source, work) = (done.clone(), &source, &work);
            scope.spawn(move || loop {
                let (number, chunk) = {
                    let Ok(mut taken) = source.lock() else { return };
                    let (next, items) = &mut *taken;
                    let chunk: Vec<T> = items.by_ref().take(CHUNK).collect();
                    *next += 1;
                    (*next - 1, chunk)
                };
                // Every later take is empty too: no chunk after this number is missing.
                if chunk.is_empty() {
                    return;
                }
                let results = chunk.into_iter().map(work).collect();
                if done.send((number, results)).is_err() {
                    return;
                }
            });
        }
        drop(done);
        let mut early = BTreeMap::new();
        let mut next = 0;
        for (number, results) in finished {
            early.insert(number, results);
            while let Some(results) = early.remove(&next) {
                next += 1;
                for result in results {
                    consume(result)?;
                }
            }
        }
        Ok(())
    })
}

/// Workers for CPU-bound work on this machine: one per core, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_whatever_the_threads() {
        for threads in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            let result: Result<(), ()> = ordered_map(
                0..1000u64,
                threads,
                |n| {
                    // Uneven work, so that chunks finish out of order.
                    if n % 37 == 0 {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    n * 2
                },
                |r| {
                    seen.push(r);
                    Ok(())
                },
            );
            assert_eq!(result, Ok(()));
            assert_eq!(seen, (0..1000).map(|n| n * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn an_error_of_the_consumer_stops_the_run() {
        let mut seen = 0;
        let result = ordered_map(
            0..100_000u64,
            2,
            |n| n,
            |n| {
                seen += 1;
                if n == 40 {
                    Err("stop")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(result, Err("stop"));
        assert_eq!(seen, 41);
    }

    #[test]
    fn no_items_is_no_call() {
        let result: Result<(), ()> = ordered_map(std::iter::empty::<u8>(), 2, |n| n, |_| Err(()));
        assert_eq!(result, Ok(()));
    }
}
