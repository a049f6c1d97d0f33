//! Name resolution on a bounded pool of threads. The system resolver has no timeout of its
//! own, so a lookup runs on a worker while the caller waits at most until its deadline. The
//! pool never holds more than its thread limit, and its queue is bounded, so 10,000 lookups
//! against a stuck resolver cost a few threads and fail fast, instead of leaving one abandoned
//! thread per lookup. Jobs whose caller has given up are dropped unresolved.

use crate::budget::Deadline;
use crate::observation::{ConnectError, ErrorKind};
use std::collections::VecDeque;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// A pool of resolver threads, started on demand up to a limit.
pub struct Resolver {
    shared: Arc<Shared>,
    max_threads: usize,
    max_queued: usize,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
    closed: bool,
}

type Answer = std::io::Result<Vec<SocketAddr>>;

struct Job {
    host: String,
    port: u16,
    until: Instant,
    reply: mpsc::SyncSender<Answer>,
}

impl Resolver {
    /// A pool of at most `max_threads` workers and `max_queued` waiting lookups.
    pub fn new(max_threads: usize, max_queued: usize) -> Resolver {
        Resolver {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
            }),
            max_threads: max_threads.max(1),
            max_queued: max_queued.max(1),
        }
    }

    /// The threads the pool has started and not yet ended.
    pub fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    /// The addresses of `host`, in resolver order, by `deadline`.
    pub fn resolve(
        &self,
        host: &str,
        port: u16,
        deadline: Deadline,
    ) -> Result<Vec<SocketAddr>, ConnectError> {
        let step = "resolving the host name";
        let (reply, answer) = mpsc::sync_channel(1);
        {
            let mut state = self.shared.lock();
            if state.jobs.len() >= self.max_queued {
                return Err(ConnectError::new(
                    ErrorKind::Resolve,
                    format!(
                        "cannot resolve host name '{host}': the resolver's queue is full ({} lookups waiting)",
                        state.jobs.len()
                    ),
                ));
            }
            state.jobs.push_back(Job {
                host: host.to_string(),
                port,
                until: deadline.instant(),
                reply,
            });
            if state.idle == 0 && state.threads < self.max_threads {
                let shared = Arc::clone(&self.shared);
                let started = std::thread::Builder::new()
                    .name("resolver".into())
                    .spawn(move || work(&shared));
                if started.is_ok() {
                    state.threads += 1;
                } else if state.threads == 0 {
                    state.jobs.pop_back();
                    return Err(ConnectError::new(
                        ErrorKind::Resolve,
                        "cannot start a resolver thread",
                    ));
                }
            }
        }
        self.shared.work.notify_one();
        match answer.recv_timeout(deadline.remaining(step)?) {
            Ok(Ok(addrs)) => Ok(addrs),
            Ok(Err(_)) => Err(ConnectError::new(
                ErrorKind::Resolve,
                format!("cannot resolve host name '{host}'"),
            )),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(deadline.expired(step)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(ConnectError::new(
                ErrorKind::Resolve,
                format!("cannot resolve host name '{host}': the resolver stopped"),
            )),
        }
    }
}

impl Drop for Resolver {
    /// Workers end after the lookup they are in; queued jobs are dropped.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        state.jobs.clear();
        drop(state);
        self.shared.work.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn work(shared: &Shared) {
    loop {
        let job = {
            let mut state = shared.lock();
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    break Some(job);
                }
                if state.closed {
                    break None;
                }
                state.idle += 1;
                state = shared.work.wait(state).unwrap_or_else(|p| p.into_inner());
                state.idle -= 1;
            }
        };
        let Some(job) = job else {
            shared.lock().threads -= 1;
            return;
        };
        if Instant::now() >= job.until {
            continue;
        }
        let answer = (job.host.as_str(), job.port)
            .to_socket_addrs()
            .map(|it| it.collect());
        let _ = job.reply.try_send(answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_resolve_and_threads_stay_within_the_limit() {
        let resolver = Resolver::new(2, 100);
        let deadline = Deadline::within(Duration::from_secs(5));
        for _ in 0..20 {
            let addrs = resolver.resolve("localhost", 443, deadline).unwrap();
            assert!(addrs
                .iter()
                .all(|a| a.port() == 443 && a.ip().is_loopback()));
        }
        assert!(resolver.threads() <= 2);
    }

    #[test]
    fn a_full_queue_is_refused_at_once() {
        let resolver = Resolver::new(1, 1);
        // Block the only worker's queue slot with a job whose caller is gone.
        {
            let mut state = resolver.shared.lock();
            let (reply, _) = mpsc::sync_channel(1);
            state.jobs.push_back(Job {
                host: "localhost".into(),
                port: 1,
                until: Instant::now() + Duration::from_secs(60),
                reply,
            });
            state.threads = 1; // no worker will be started
        }
        let error = resolver
            .resolve("localhost", 1, Deadline::within(Duration::from_secs(1)))
            .unwrap_err();
        assert_eq!(
            error.message,
            "cannot resolve host name 'localhost': the resolver's queue is full (1 lookups waiting)"
        );
    }
}
