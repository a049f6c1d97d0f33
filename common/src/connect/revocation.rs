//! Revocation lookup for the leaf: the stapled OCSP response first, then the OCSP responders
//! named in the certificate, then its CRL distribution points. Network answers are cached in
//! `--cache-dir` and re-verified on every use, so an OCSP response serves until its nextUpdate
//! and a CRL until its own, and a check every minute does not download a CRL every minute.
//! The verification itself is pure, in `analysis::revocation`.

use super::cache::Cache;
use super::{http, Deadline};
use crate::analysis::revocation::{crl, ocsp, RevocationStatus};
use serde::Serialize;

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

/// Looks the leaf up. `issuer` is its issuer's DER when known.
pub fn lookup(
    leaf: &[u8],
    issuer: Option<&[u8]>,
    stapled: Option<&[u8]>,
    cache: &Cache,
    deadline: Deadline,
    now: i64,
) -> RevocationReport {
    let ocsp_urls = ocsp::responder_urls(leaf);
    let crl_urls = crl::distribution_points(leaf);
    let mut report = RevocationReport {
        stapled: stapled.is_some(),
        published: !ocsp_urls.is_empty() || !crl_urls.is_empty(),
        ..RevocationReport::default()
    };
    let Some(issuer) = issuer else {
        if report.published || report.stapled {
            report.errors.push(
                "the issuer certificate is not available (the server did not send it)".into(),
            );
        }
        return report;
    };
    if let Some(staple) = stapled {
        match ocsp::verify_response(staple, leaf, issuer, now) {
            Ok(answer) => return found(report, answer.status, "stapled OCSP response".into()),
            Err(e) => report.errors.push(format!("stapled OCSP response: {e}")),
        }
    }
    if let Ok(request) = ocsp::request(leaf, issuer) {
        for url in &ocsp_urls {
            let key = [url.as_bytes(), &request].concat();
            if let Some(cached) = cache.read("ocsp", &key) {
                if let Ok(answer) = ocsp::verify_response(&cached, leaf, issuer, now) {
                    return found(report, answer.status, format!("OCSP {url}"));
                }
            }
            let fetched = http::post(
                url,
                "application/ocsp-request",
                &request,
                deadline,
                ocsp::MAX_RESPONSE,
            )
            .and_then(|der| {
                ocsp::verify_response(&der, leaf, issuer, now).map(|answer| (der, answer))
            });
            match fetched {
                Ok((der, answer)) => {
                    cache.write("ocsp", &key, &der);
                    return found(report, answer.status, format!("OCSP {url}"));
                }
                Err(e) => report.errors.push(format!("OCSP {url}: {e}")),
            }
        }
    }
    for url in &crl_urls {
        if let Some(cached) = cache.read("crl", url.as_bytes()) {
            if let Ok(answer) = crl::check(&cached, leaf, issuer, now) {
                return found(report, answer.status, format!("CRL {url}"));
            }
        }
        let fetched = http::get(url, deadline, MAX_CRL_DOWNLOAD)
            .and_then(|der| crl::check(&der, leaf, issuer, now).map(|answer| (der, answer)));
        match fetched {
            Ok((der, answer)) => {
                cache.write("crl", url.as_bytes(), &der);
                return found(report, answer.status, format!("CRL {url}"));
            }
            Err(e) => report.errors.push(format!("CRL {url}: {e}")),
        }
    }
    report
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
