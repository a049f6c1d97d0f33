//! Trust: can the chain as sent be built up to a trust anchor? And when not, exactly why.

use super::certificate::CertFacts;
use super::trust_explain::{explain, Cause};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::Serialize;
use std::cell::RefCell;
use std::fmt;
use std::time::Duration;
use webpki::{EndEntityCert, KeyUsage, VerifiedPath};
use x509_parser::prelude::FromDer;

/// Why trust anchors cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustError {
    /// The operating system's store holds no certificate.
    SystemStoreEmpty {
        /// The first error met while loading it, in rustls-native-certs' words.
        first_error: Option<String>,
    },
    /// A CA file cannot be read.
    UnreadableFile {
        /// The file.
        path: String,
        /// The system's reason, without its error number.
        reason: String,
    },
    /// A CA file without any PEM certificate.
    NoCertificate {
        /// The file.
        path: String,
    },
    /// A certificate in a CA file that cannot be a trust anchor.
    BadAnchor {
        /// The file.
        path: String,
    },
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustError::SystemStoreEmpty { first_error } => {
                f.write_str("no certificates in the system trust store")?;
                match first_error {
                    Some(e) => write!(f, ": {e}"),
                    None => Ok(()),
                }
            }
            TrustError::UnreadableFile { path, reason } => {
                write!(f, "cannot read CA file '{path}': {reason}")
            }
            TrustError::NoCertificate { path } => {
                write!(f, "no PEM certificate found in CA file '{path}'")
            }
            TrustError::BadAnchor { path } => write!(
                f,
                "bad certificate in CA file '{path}': it cannot be read as a trust anchor"
            ),
        }
    }
}

impl std::error::Error for TrustError {}

/// The set of trust anchors a chain is verified against.
pub struct TrustStore {
    anchors: Vec<TrustAnchor<'static>>,
    /// Where the anchors came from, for messages: `Mozilla roots`, `system store`, a file name.
    pub label: String,
    /// DER of anchors the user named explicitly (`--ca-file`), so a pinned self-signed
    /// certificate counts as deliberately trusted.
    explicit: Vec<Vec<u8>>,
    /// Chains verified against these anchors lately.
    cache: super::trust_cache::TrustCache,
}

impl TrustStore {
    /// A store without anchors: every chain is untrusted.
    pub fn empty() -> TrustStore {
        TrustStore {
            anchors: Vec::new(),
            label: String::new(),
            explicit: Vec::new(),
            cache: Default::default(),
        }
    }

    /// Mozilla's root program, compiled in (webpki-roots).
    pub fn add_mozilla(&mut self) {
        self.anchors
            .extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        self.add_label("Mozilla roots");
    }

    /// The operating system's store (rustls-native-certs).
    pub fn add_system(&mut self) -> Result<(), TrustError> {
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() {
            return Err(TrustError::SystemStoreEmpty {
                first_error: found.errors.first().map(ToString::to_string),
            });
        }
        for der in &found.certs {
            if let Ok(anchor) = webpki::anchor_from_trusted_cert(der) {
                self.anchors.push(anchor.to_owned());
            }
        }
        self.add_label("system store");
        Ok(())
    }

    /// Every certificate in a PEM file becomes an anchor (`--ca-file`).
    pub fn add_pem_file(&mut self, path: &str) -> Result<(), TrustError> {
        let data = std::fs::read(path).map_err(|e| TrustError::UnreadableFile {
            path: path.to_string(),
            reason: crate::io_text(&e),
        })?;
        let ders = pem_certificates(&data);
        if ders.is_empty() {
            return Err(TrustError::NoCertificate {
                path: path.to_string(),
            });
        }
        for der in ders {
            let anchor = webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                .map_err(|_| TrustError::BadAnchor {
                    path: path.to_string(),
                })?
                .to_owned();
            self.anchors.push(anchor);
            self.explicit.push(der);
        }
        self.add_label(path);
        Ok(())
    }

    fn add_label(&mut self, what: &str) {
        if !self.label.is_empty() {
            self.label.push_str(", ");
        }
        self.label.push_str(what);
    }

    /// True when `der` is itself one of the anchors the user gave by file.
    pub fn is_explicit_anchor(&self, der: &[u8]) -> bool {
        self.explicit.iter().any(|a| a == der)
    }
}

/// Extracts the DER of each `CERTIFICATE` block of a PEM file.
pub fn pem_certificates(data: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body = &rest[start + 27..];
        let Some(end) = body.find("-----END CERTIFICATE-----") else {
            break;
        };
        if let Some(der) = crate::encoding::unbase64(&body[..end]) {
            out.push(der);
        }
        rest = &body[end..];
    }
    out
}

/// The trust verdict on one chain.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TrustResult {
    /// Whether a path to an anchor was found.
    pub trusted: bool,
    /// Why not, in one line.
    pub reason: Option<String>,
    /// The anchors used (`Mozilla roots`, a file name, ...).
    pub store: String,
    /// The chain as built, leaf first, ending with the trust anchor: display names.
    pub path: Vec<String>,
    /// Other valid paths to an anchor (cross-signing), each like `path`.
    pub alternatives: Vec<Vec<String>>,
    /// The path uses a certificate the server did not send (fetched via AIA).
    pub uses_fetched: bool,
    /// The verifier library could not handle the chain (a date before 1970, a certificate
    /// over 64 KiB): trust is unknown, not refused. Why, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverifiable: Option<String>,
}

/// webpki reads DER lengths of at most two bytes: larger certificates are beyond it.
const MAX_VERIFIABLE: usize = 0xffff;

/// Most alternative paths reported; more only happen with deliberately tangled chains.
const MAX_PATHS: usize = 8;

/// Verifies the chain as sent (leaf first) for server authentication at `now`, and when it is
/// trusted, reports the path used and any other valid path. A chain seen within the last
/// minute is answered from the store's cache (see [`super::trust_cache`]).
pub fn verify(
    ders: &[Vec<u8>],
    fetched: &[Vec<u8>],
    facts: &[CertFacts],
    store: &TrustStore,
    now: i64,
) -> TrustResult {
    if !fetched.is_empty() {
        return verify_now(ders, fetched, facts, store, now);
    }
    let key = super::trust_cache::TrustCache::key(ders);
    if let Some(result) = store.cache.get(&key, facts, now) {
        return result;
    }
    let result = verify_now(ders, fetched, facts, store, now);
    store.cache.put(key, now, &result);
    result
}

fn verify_now(
    ders: &[Vec<u8>],
    fetched: &[Vec<u8>],
    facts: &[CertFacts],
    store: &TrustStore,
    now: i64,
) -> TrustResult {
    let result = |reason: Option<String>| TrustResult {
        trusted: reason.is_none(),
        reason,
        store: store.label.clone(),
        ..TrustResult::default()
    };
    let unverifiable = |why: String| TrustResult {
        trusted: false,
        unverifiable: Some(why),
        store: store.label.clone(),
        ..TrustResult::default()
    };
    if ders.iter().chain(fetched).any(|d| d.len() > MAX_VERIFIABLE) {
        return unverifiable(
            "the certificate verifier cannot read certificates larger than 64 KiB".into(),
        );
    }
    let Some(leaf_der) = ders.first() else {
        return result(Some("no certificate was sent".into()));
    };
    let leaf_der = CertificateDer::from(leaf_der.as_slice());
    let leaf = match EndEntityCert::try_from(&leaf_der) {
        Ok(leaf) => leaf,
        Err(e) => {
            return match explain(&e, ders, facts, now) {
                Cause::Untrusted(why) => {
                    result(Some(format!("the leaf certificate is not usable: {why}")))
                }
                Cause::Unverifiable(why) => unverifiable(why),
            }
        }
    };
    let intermediates: Vec<CertificateDer<'_>> = ders[1..]
        .iter()
        .chain(fetched)
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let algs = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(now.max(0) as u64));
    let usage = KeyUsage::server_auth();
    // One pass: each valid path found is recorded and refused, so that webpki goes on to the
    // next; a chain is trusted when at least one was found, and webpki's error says why not
    // when none was.
    let paths = RefCell::new(Vec::new());
    let first_uses_fetched = std::cell::Cell::new(None);
    let collect = |path: &VerifiedPath<'_>| {
        let mut found = paths.borrow_mut();
        if first_uses_fetched.get().is_none() {
            let sent = |der: &[u8]| ders.iter().any(|d| d.as_slice() == der);
            first_uses_fetched.set(Some(
                path.intermediate_certificates()
                    .any(|c| !sent(c.der().as_ref())),
            ));
        }
        found.push(describe_path(path, ders, facts));
        if found.len() >= MAX_PATHS {
            Ok(())
        } else {
            Err(webpki::Error::UnknownIssuer)
        }
    };
    let verified = leaf.verify_for_usage(
        algs,
        &store.anchors,
        &intermediates,
        time,
        usage,
        None,
        Some(&collect),
    );
    if paths.borrow().is_empty() {
        let error = match verified {
            Err(e) => e,
            Ok(_) => webpki::Error::UnknownIssuer,
        };
        return match explain(&error, ders, facts, now) {
            Cause::Untrusted(why) => result(Some(why)),
            Cause::Unverifiable(why) => unverifiable(why),
        };
    }
    let mut paths = paths.into_inner();
    let mut trusted = result(None);
    if !paths.is_empty() {
        trusted.path = paths.remove(0);
        trusted.alternatives = paths;
    }
    trusted.uses_fetched = first_uses_fetched.get().unwrap_or(false);
    trusted
}

/// Display names along a verified path: the leaf, each intermediate, the anchor.
fn describe_path(path: &VerifiedPath<'_>, ders: &[Vec<u8>], facts: &[CertFacts]) -> Vec<String> {
    let mut names = vec![facts[0].display_name().to_string()];
    for cert in path.intermediate_certificates() {
        let der = cert.der();
        let name = match ders.iter().position(|d| d.as_slice() == der.as_ref()) {
            Some(i) => facts[i].display_name().to_string(),
            None => CertFacts::parse(der.as_ref())
                .map(|f| format!("{} (fetched)", f.display_name()))
                .unwrap_or_else(|_| "unparsable certificate".into()),
        };
        names.push(name);
    }
    names.push(format!("{} (trust anchor)", anchor_name(path.anchor())));
    names
}

/// The CN (or whole name) of a trust anchor, whose subject is stored without its SEQUENCE header.
fn anchor_name(anchor: &TrustAnchor<'_>) -> String {
    let der = crate::der::tlv(crate::der::tag::SEQUENCE, anchor.subject.as_ref());
    match x509_parser::x509::X509Name::from_der(&der) {
        Ok((_, name)) => name
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| name.to_string()),
        Err(_) => "unnamed trust anchor".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of this test process with `content`, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(name: &str, content: &[u8]) -> TempFile {
            let path =
                std::env::temp_dir().join(format!("certprobe-trust-{}-{name}", std::process::id()));
            std::fs::write(&path, content).unwrap();
            TempFile(path)
        }

        fn path(&self) -> String {
            self.0.to_string_lossy().into_owned()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn ca_file_errors_name_the_file() {
        let mut store = TrustStore::empty();
        let missing = "/nonexistent/ca.pem";
        let e = store.add_pem_file(missing).unwrap_err();
        assert_eq!(
            e,
            TrustError::UnreadableFile {
                path: missing.into(),
                reason: "No such file or directory".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "cannot read CA file '/nonexistent/ca.pem': No such file or directory"
        );
        let empty = TempFile::new("empty.pem", b"no certificates here\n");
        let e = store.add_pem_file(&empty.path()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("no PEM certificate found in CA file '{}'", empty.path())
        );
        let bad = TempFile::new(
            "bad.pem",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        let e = store.add_pem_file(&bad.path()).unwrap_err();
        assert_eq!(e, TrustError::BadAnchor { path: bad.path() });
        assert_eq!(
            e.to_string(),
            format!(
                "bad certificate in CA file '{}': it cannot be read as a trust anchor",
                bad.path()
            )
        );
        assert!(store.label.is_empty(), "{}", store.label);
    }

    #[test]
    fn an_empty_system_store_says_why() {
        let e = TrustError::SystemStoreEmpty {
            first_error: Some("permission denied".into()),
        };
        assert_eq!(
            e.to_string(),
            "no certificates in the system trust store: permission denied"
        );
        let e = TrustError::SystemStoreEmpty { first_error: None };
        assert_eq!(e.to_string(), "no certificates in the system trust store");
    }
}
