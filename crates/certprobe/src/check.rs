//! The engine: a [`Checker`] runs the stages for one target (capture, analysis, the lookups
//! the analysis asks for, verdict) and returns the whole [`Outcome`] as data. Rendering is a
//! separate call ([`crate::render::render`]).
//!
//! A `Checker` is built once and shared by reference across threads: it holds what is costly
//! to make or must be shared (the trust store, the crypto provider and resolver pool, the
//! fetcher with its caches, the local host name), and nothing a single check changes.

use crate::analysis::revocation::lookup::Subject;
use crate::analysis::{self, aia, Report, TrustError, TrustStore};
use crate::budget::Budget;
use crate::capture::{Capturer, Failure, Handshake, Session};
use crate::fetch::Fetch;
use crate::lookups::{Cache, EgressPolicy, Fetcher};
use crate::observation::{ConnectError, ErrorKind, Observation, Timings};
pub use crate::outcome::Outcome;
use crate::target::Target;
use crate::verdict::{self, Policy};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Which trust anchors a checker uses.
#[derive(Debug, Clone, Default)]
pub struct TrustSelection {
    /// Mozilla's root program, compiled in.
    pub mozilla: bool,
    /// The operating system's store.
    pub system: bool,
    /// PEM files of CA certificates (`--ca-file`).
    pub files: Vec<PathBuf>,
}

/// What a [`Checker`] is built from.
#[derive(Debug, Clone, Default)]
pub struct CheckerSettings {
    /// The trust anchors to load; [`Checker::new`] fails if one cannot be read.
    pub trust: TrustSelection,
    /// The folder cache for fetched PKI material (`--cache-dir`); memory only when absent.
    pub cache_dir: Option<PathBuf>,
    /// Where the lookups may fetch from.
    pub egress: EgressPolicy,
    /// The EHLO/LHLO name when a target has none; this machine's host name when absent.
    pub helo: Option<String>,
}

/// What one check does beyond the plain capture, and how it judges.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The thresholds and switches the verdict applies; also whether revocation is looked up.
    pub policy: Policy,
    /// Complete an incomplete chain from AIA caIssuers URLs.
    pub fetch_intermediates: bool,
    /// Probe which TLS versions the server accepts (and grade it).
    pub probe_protocols: bool,
}

/// Why a checker cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupError {
    /// The trust anchors could not be loaded.
    Trust(TrustError),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Trust(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SetupError {}

/// A TCP connection the caller made, for [`Checker::check_connected`].
#[derive(Debug)]
pub struct Connected {
    /// The connected socket, in blocking mode.
    pub socket: std::net::TcpStream,
    /// The address connected to.
    pub peer: std::net::SocketAddr,
    /// How long the connect took, for the timings.
    pub connect_ms: f64,
}

/// The engine. `Send + Sync`; build once, share by reference.
pub struct Checker {
    store: TrustStore,
    capturer: Capturer,
    fetcher: Arc<dyn Fetch>,
}

impl Checker {
    /// Loads the trust anchors and makes the shared parts.
    pub fn new(settings: &CheckerSettings) -> Result<Checker, SetupError> {
        let store = load_trust(&settings.trust)?;
        let capturer = Capturer::new(settings.helo.clone());
        let fetcher = Fetcher::new(
            Cache::new(
                settings.cache_dir.clone(),
                crate::lookups::cache::DEFAULT_MEMORY,
            ),
            settings.egress.clone(),
            Arc::clone(capturer.resolver()),
        );
        Ok(Checker {
            store,
            capturer,
            fetcher: Arc::new(fetcher),
        })
    }

    /// The same checker with another fetcher (a fleet's pooled one, or none at all).
    pub fn with_fetcher(self, fetcher: Arc<dyn Fetch>) -> Checker {
        Checker { fetcher, ..self }
    }

    /// The resolver threads running now (bounded by the pool's limit).
    pub fn resolver_threads(&self) -> usize {
        self.capturer.resolver().threads()
    }

    /// The trust anchors in use.
    pub fn trust_store(&self) -> &TrustStore {
        &self.store
    }

    /// Checks one target within `budget`, judged at the current time.
    pub fn check(&self, target: &Target, options: &CheckOptions, budget: &Budget) -> Outcome {
        self.check_with_clock(target, options, budget, &crate::clock::now_unix)
    }

    /// Checks one target; the analysis is made for the time `now` returns after the capture.
    pub fn check_with_clock(
        &self,
        target: &Target,
        options: &CheckOptions,
        budget: &Budget,
        now: &dyn Fn() -> i64,
    ) -> Outcome {
        let captured = self.capturer.observe(target, budget);
        self.judge_capture(captured, target, options, budget, now)
    }

    /// Checks one target on a TCP connection the caller made (a scanner connects without a
    /// thread per connection, then hands the live ones here); the rest is [`Checker::check`].
    pub fn check_connected(
        &self,
        connection: Connected,
        target: &Target,
        options: &CheckOptions,
        budget: &Budget,
    ) -> Outcome {
        let captured = self.capturer.observe_connected(
            connection.socket,
            connection.peer,
            connection.connect_ms,
            target,
            budget,
        );
        self.judge_capture(captured, target, options, budget, &crate::clock::now_unix)
    }

    /// Starts a direct-TLS handshake whose I/O the caller does (see [`Handshake`]).
    pub fn start_handshake(&self, target: &Target) -> Result<Handshake, ConnectError> {
        self.capturer.start_handshake(target)
    }

    /// Checks a target whose handshake the caller drove: the legacy fallback if the
    /// handshake failed the way old servers fail it, then the rest of [`Checker::check`].
    pub fn check_handshake(
        &self,
        result: Result<Session, Failure>,
        peer: std::net::SocketAddr,
        timings: Timings,
        target: &Target,
        options: &CheckOptions,
        budget: &Budget,
    ) -> Outcome {
        let captured = self
            .capturer
            .observe_handshake(result, peer, None, timings, target, budget);
        self.judge_capture(captured, target, options, budget, &crate::clock::now_unix)
    }

    /// The analysis, its lookups and the verdict of a capture.
    fn judge_capture(
        &self,
        captured: Result<Observation, ConnectError>,
        target: &Target,
        options: &CheckOptions,
        budget: &Budget,
        now: &dyn Fn() -> i64,
    ) -> Outcome {
        let policy = &options.policy;
        let mut outcome = Outcome {
            target: Some(target.clone()),
            observation: None,
            report: None,
            verdict: verdict::judge_usage(""),
            policy: policy.clone(),
            error: None,
        };
        match captured {
            Err(error) => {
                outcome.verdict = verdict::judge_error(&error, policy);
                outcome.error = Some(error);
            }
            Ok(mut observation) => {
                match self.analyse(target, options, budget, &mut observation, now()) {
                    Ok(report) => {
                        outcome.verdict =
                            verdict::judge(&report, &observation, &self.store, policy);
                        // A share of the lifetime as days of this leaf, for perfdata and limits.
                        outcome.policy = policy.for_leaf(report.leaf());
                        outcome.report = Some(report);
                    }
                    Err(error) => {
                        outcome.verdict = verdict::judge_error(&error, policy);
                        outcome.error = Some(error);
                    }
                }
                outcome.observation = Some(observation);
            }
        }
        outcome
    }

    /// Analysis plus the lookups it asks for: AIA issuers, revocation, version probes.
    fn analyse(
        &self,
        target: &Target,
        options: &CheckOptions,
        budget: &Budget,
        observation: &mut Observation,
        now: i64,
    ) -> Result<Report, ConnectError> {
        let policy = &options.policy;
        let mut report = analysis::analyze(
            &observation.chain,
            &target.identity(),
            policy.name_mode,
            &self.store,
            now,
        )
        .map_err(|e| ConnectError::new(ErrorKind::BadCertificate, e.to_string()))?;
        let server = Some(observation.peer.ip());
        if options.fetch_intermediates && !report.trust.trusted {
            let top = report.chain.top();
            let (fetched, errors) = aia::fetch_issuers(top, self.fetcher.as_ref(), server, budget);
            let fetched: Vec<(String, Vec<u8>)> =
                fetched.into_iter().map(|f| (f.url, f.der)).collect();
            report.complete_with(&observation.chain, &fetched, errors, &self.store);
        }
        if policy.revocation && !report.leaf().self_signed {
            let subject = Subject {
                leaf: &observation.chain[0],
                issuer: observation.chain.get(1).map(Vec::as_slice),
                stapled: observation.stapled_ocsp.as_deref(),
                server,
            };
            report.revocation = Some(analysis::revocation::lookup::lookup(
                &subject,
                self.fetcher.as_ref(),
                budget,
                report.now,
            ));
        }
        if options.probe_protocols {
            observation.protocols = self.capturer.probe_protocols(target, budget);
            report.grade = Some(grade_of(&report, observation));
        }
        Ok(report)
    }
}

/// The trust anchors of a selection: what a checker verifies against, and what
/// `check_cert_file` judges files against without building a checker.
pub fn load_trust(selection: &TrustSelection) -> Result<TrustStore, SetupError> {
    let mut store = TrustStore::empty();
    if selection.mozilla {
        store.add_mozilla();
    }
    if selection.system {
        store.add_system().map_err(SetupError::Trust)?;
    }
    for file in &selection.files {
        store
            .add_pem_file(&file.to_string_lossy())
            .map_err(SetupError::Trust)?;
    }
    Ok(store)
}

/// The security grade from the probed versions and the analysed chain.
fn grade_of(report: &Report, observation: &Observation) -> analysis::grade::Grade {
    let accepted: Vec<(crate::tls_version::TlsVersion, String)> = observation
        .protocols
        .iter()
        .filter(|p| p.accepted)
        .map(|p| (p.version, p.cipher_suite.clone().unwrap_or_default()))
        .collect();
    analysis::grade::grade(&analysis::grade::GradeInput {
        accepted: &accepted,
        leaf: report.leaf(),
        trusted: report.trust.trusted,
        name_matches: report.name.matched(),
        now: report.now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn a_checker_is_shared_across_threads() {
        assert_send_sync::<Checker>();
        assert_send_sync::<Outcome>();
    }
}
