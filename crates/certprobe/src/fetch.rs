//! The one door from the analysis to the network: issuer certificates (AIA), OCSP responses
//! and CRLs are asked for through [`Fetch`], which the lookups implement (HTTP, caches, the
//! egress policy) and a fleet can replace with a pooled fetcher. Whatever a fetcher returns
//! is untrusted: the analysis verifies it and [`Fetch::reject`]s what does not verify.

use crate::budget::Budget;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// What is fetched; each kind has its own cache space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An issuer certificate or bundle from an AIA caIssuers URL.
    Issuer,
    /// An OCSP response (POST).
    Ocsp,
    /// A certificate revocation list.
    Crl,
}

impl Kind {
    /// The name used for cache files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Issuer => "issuer",
            Kind::Ocsp => "ocsp",
            Kind::Crl => "crl",
        }
    }
}

/// One request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// What is asked for; it also separates the cache spaces.
    pub kind: Kind,
    /// The URL as the certificate names it.
    pub url: &'a str,
    /// Content type and body of a POST; a GET when absent.
    pub post: Option<(&'a str, &'a [u8])>,
    /// The largest answer accepted.
    pub limit: usize,
    /// The address of the server whose certificate named the URL: the egress policy lets
    /// a server in a private range have its responder in a private range too.
    pub near: Option<IpAddr>,
}

impl Request<'_> {
    /// What identifies the answer in a cache: the URL, and the body of a POST.
    pub fn key(&self) -> Vec<u8> {
        match self.post {
            None => self.url.as_bytes().to_vec(),
            Some((_, body)) => [self.url.as_bytes(), body].concat(),
        }
    }
}

/// Where an answer came from. Only an answer from a cache is worth fetching again when it
/// does not verify; a fresh one would be the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Fetched from the network just now.
    Network,
    /// Served from the memory or the folder cache.
    Cache,
}

/// An answer's bytes, shared (one CRL serves every endpoint of its CA).
#[derive(Debug, Clone)]
pub struct Body {
    /// The answer's body as received (the HTTP body, without headers); not yet verified.
    pub bytes: Arc<[u8]>,
    /// Whether it came from the network or a cache.
    pub origin: Origin,
}

/// Why a fetch gave nothing; each variant carries its sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The URL is not one that is fetched (scheme, form); the text says which.
    BadUrl(String),
    /// The egress policy forbids the address; the text names the address and the rule.
    Forbidden(String),
    /// Name resolution, connect or timeout: the capture's own sentence.
    Connect(String),
    /// Reading or writing failed.
    Io(String),
    /// The server answered with a status other than 200.
    Status(String),
    /// The answer is not HTTP, or is cut short, or is chunked: the text says which.
    Malformed(String),
    /// The answer is larger than the request's limit.
    TooLarge(String),
    /// More redirects than are followed.
    TooManyRedirects(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::BadUrl(text)
            | FetchError::Forbidden(text)
            | FetchError::Connect(text)
            | FetchError::Io(text)
            | FetchError::Malformed(text)
            | FetchError::Status(text)
            | FetchError::TooLarge(text)
            | FetchError::TooManyRedirects(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for FetchError {}

/// Fetches PKI material. Implementations must be usable from many threads at once.
pub trait Fetch: Send + Sync {
    /// The answer to `request`, within `budget`.
    fn fetch(&self, request: &Request<'_>, budget: &Budget) -> Result<Body, FetchError>;

    /// `body` did not verify (stale, damaged, forged): do not serve it again.
    fn reject(&self, request: &Request<'_>, body: &Body);
}

/// A fetcher that fetches nothing: for checks that must not touch the network.
pub struct Offline;

impl Fetch for Offline {
    fn fetch(&self, request: &Request<'_>, _budget: &Budget) -> Result<Body, FetchError> {
        Err(FetchError::Forbidden(format!(
            "fetching {} is turned off",
            request.url
        )))
    }

    fn reject(&self, _request: &Request<'_>, _body: &Body) {}
}
