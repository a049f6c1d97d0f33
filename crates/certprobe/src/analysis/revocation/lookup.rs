//! Revocation lookup for the leaf: the stapled OCSP response first, then the OCSP responders
//! named in the certificate, then its CRL distribution points. Answers come through the
//! [`Fetch`] door (cached by the fetcher) and are verified here on every use, so an OCSP
//! response serves until its nextUpdate and a CRL until its own, and a stale or damaged cached
//! answer is rejected and fetched again.

use super::{crl, ocsp, CrlError, OcspError, RevocationStatus};
use crate::budget::Budget;
use crate::fetch::{Body, Fetch, FetchError, Kind, Origin, Request};
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// A CRL can be large; beyond this it is refused rather than downloaded.
const MAX_CRL_DOWNLOAD: usize = 32 << 20;

/// What the lookup found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RevocationReport {
    /// The answer, when one verified; `None` when none could be had.
    pub status: Option<RevocationStatus>,
    /// Where the answer came from: `stapled OCSP response`, `OCSP http://...`, `CRL http://...`.
    pub source: Option<String>,
    /// The server stapled an OCSP response to the handshake.
    pub stapled: bool,
    /// Whether the certificate names any OCSP responder or CRL distribution point.
    pub published: bool,
    /// What went wrong on the way, one line each.
    pub errors: Vec<String>,
}

/// Why one responder or distribution point gave no answer: the fetch failed, or what it
/// fetched does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// Nothing was fetched.
    Fetch(FetchError),
    /// The OCSP response does not verify.
    Ocsp(OcspError),
    /// The CRL does not verify.
    Crl(CrlError),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Fetch(e) => e.fmt(f),
            SourceError::Ocsp(e) => e.fmt(f),
            SourceError::Crl(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SourceError {}

impl From<FetchError> for SourceError {
    fn from(e: FetchError) -> SourceError {
        SourceError::Fetch(e)
    }
}

impl From<OcspError> for SourceError {
    fn from(e: OcspError) -> SourceError {
        SourceError::Ocsp(e)
    }
}

impl From<CrlError> for SourceError {
    fn from(e: CrlError) -> SourceError {
        SourceError::Crl(e)
    }
}

/// The certificates and where the lookup may go.
pub struct Subject<'a> {
    /// The leaf certificate, DER.
    pub leaf: &'a [u8],
    /// The leaf's issuer, when known.
    pub issuer: Option<&'a [u8]>,
    /// The OCSP response stapled to the handshake.
    pub stapled: Option<&'a [u8]>,
    /// The server's address, for the egress policy.
    pub server: Option<IpAddr>,
}

/// Looks the leaf up at `now`.
pub fn lookup(
    subject: &Subject<'_>,
    fetcher: &dyn Fetch,
    budget: &Budget,
    now: i64,
) -> RevocationReport {
    let leaf = subject.leaf;
    let ocsp_urls = ocsp::responder_urls(leaf);
    let crl_urls = crl::distribution_points(leaf);
    let mut report = RevocationReport {
        stapled: subject.stapled.is_some(),
        published: !ocsp_urls.is_empty() || !crl_urls.is_empty(),
        ..RevocationReport::default()
    };
    let Some(issuer) = subject.issuer else {
        if report.published || report.stapled {
            report.errors.push(
                "the issuer certificate is not available (the server did not send it)".into(),
            );
        }
        return report;
    };
    if let Some(staple) = subject.stapled {
        match ocsp::verify_response(staple, leaf, issuer, now) {
            Ok(answer) => return found(report, answer.status, "stapled OCSP response".into()),
            Err(e) => report.errors.push(format!("stapled OCSP response: {e}")),
        }
    }
    if let Ok(request) = ocsp::request(leaf, issuer) {
        for url in &ocsp_urls {
            let shown = crate::text::visible(url);
            let asked = Request {
                kind: Kind::Ocsp,
                url,
                post: Some(("application/ocsp-request", &request)),
                limit: ocsp::MAX_RESPONSE,
                near: subject.server,
            };
            match verified(fetcher, &asked, budget, |der| {
                ocsp::verify_response(der, leaf, issuer, now).map(|a| a.status)
            }) {
                Ok(status) => return found(report, status, format!("OCSP {shown}")),
                Err(e) => report.errors.push(format!("OCSP {shown}: {e}")),
            }
        }
    }
    for url in &crl_urls {
        let shown = crate::text::visible(url);
        let asked = Request {
            kind: Kind::Crl,
            url,
            post: None,
            limit: MAX_CRL_DOWNLOAD,
            near: subject.server,
        };
        match verified(fetcher, &asked, budget, |der| {
            crl::check(der, leaf, issuer, now).map(|a| a.status)
        }) {
            Ok(status) => return found(report, status, format!("CRL {shown}")),
            Err(e) => report.errors.push(format!("CRL {shown}: {e}")),
        }
    }
    report
}

/// Fetches and verifies; a cached answer that does not verify is rejected and fetched once more.
fn verified<T, E>(
    fetcher: &dyn Fetch,
    request: &Request<'_>,
    budget: &Budget,
    verify: impl Fn(&[u8]) -> Result<T, E>,
) -> Result<T, SourceError>
where
    SourceError: From<E>,
{
    let attempt = |body: &Body| verify(&body.bytes);
    let body = fetcher.fetch(request, budget)?;
    match attempt(&body) {
        Ok(value) => Ok(value),
        Err(e) => {
            fetcher.reject(request, &body);
            if body.origin == Origin::Cache {
                let fresh = fetcher.fetch(request, budget)?;
                Ok(attempt(&fresh).inspect_err(|_| fetcher.reject(request, &fresh))?)
            } else {
                Err(e.into())
            }
        }
    }
}

fn found(
    mut report: RevocationReport,
    status: RevocationStatus,
    source: String,
) -> RevocationReport {
    report.status = Some(status);
    report.source = Some(source);
    report
}
