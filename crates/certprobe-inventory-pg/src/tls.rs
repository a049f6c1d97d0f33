//! TLS to the server as libpq's `sslmode` says: `prefer` and `require` encrypt without
//! checking the certificate (unless a root is given: then as `verify-ca`), `verify-ca`
//! checks that a trusted root issued it, `verify-full` that it is also for the host.

use crate::target::{Roots, SslMode, Target};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use std::path::PathBuf;
use std::sync::Arc;

/// What certprobe does with the server's certificate.
#[derive(Debug)]
enum Check {
    /// Nothing (the connection is encrypted, its peer not known).
    Nothing,
    /// Issued by one of the roots; any name.
    Issuer(Arc<WebPkiServerVerifier>),
    /// Issued by one of the roots, for the host connected to.
    IssuerAndName(Arc<WebPkiServerVerifier>),
}

#[derive(Debug)]
struct Verifier {
    check: Check,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.check {
            Check::Nothing => Ok(ServerCertVerified::assertion()),
            Check::IssuerAndName(webpki) => {
                webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
            Check::Issuer(webpki) => {
                match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                    Err(rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. },
                    )) => Ok(ServerCertVerified::assertion()),
                    other => other,
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The rustls configuration for `target`, or why there is none (a root file that cannot
/// be read), in one sentence.
pub fn client_config(target: &Target) -> Result<ClientConfig, String> {
    let provider = Arc::new(provider());
    let wants_issuer = match target.ssl_mode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        SslMode::Require | SslMode::Prefer => target.roots != Roots::Default,
        SslMode::Disable => false,
    };
    let check = if wants_issuer {
        let roots = Arc::new(roots(&target.roots)?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
            .build()
            .map_err(|_| "the PostgreSQL CA certificates cannot be used as roots".to_string())?;
        if target.ssl_mode == SslMode::VerifyFull {
            Check::IssuerAndName(webpki)
        } else {
            Check::Issuer(webpki)
        }
    } else {
        Check::Nothing
    };
    let config = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|_| "TLS to PostgreSQL cannot be set up".to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { check, provider }))
        .with_no_client_auth();
    Ok(config)
}

/// ring's algorithms, P-256 the first key exchange offered: PostgreSQL up to 17 accepts that
/// one alone (`ssl_ecdh_curve`), and a first key share it cannot take costs a round trip of
/// every connection (the server asks for another, a HelloRetryRequest).
fn provider() -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .kx_groups
        .sort_by_key(|group| group.name() != rustls::NamedGroup::secp256r1);
    provider
}

fn roots(roots: &Roots) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let file = match roots {
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err("sslrootcert=system, but the system has no trusted roots".to_string());
            }
            return Ok(store);
        }
        Roots::File(path) => path.clone(),
        Roots::Default => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".postgresql/root.crt"),
            None => {
                return Err(
                    "a verified connection to PostgreSQL needs the CA: give sslrootcert=FILE"
                        .to_string(),
                )
            }
        },
    };
    let shown = file.display().to_string();
    let certificates = CertificateDer::pem_file_iter(&file).map_err(|e| {
        format!(
            "cannot read the PostgreSQL CA file {shown}: {}",
            pem_words(&e)
        )
    })?;
    for certificate in certificates {
        let certificate = certificate.map_err(|e| {
            format!(
                "cannot read the PostgreSQL CA file {shown}: {}",
                pem_words(&e)
            )
        })?;
        store.add(certificate).map_err(|_| {
            format!("the PostgreSQL CA file {shown} holds a certificate that cannot be a root")
        })?;
    }
    if store.is_empty() {
        return Err(format!(
            "the PostgreSQL CA file {shown} holds no PEM certificate"
        ));
    }
    Ok(store)
}

fn pem_words(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::NotFound => "there is no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => "it cannot be read".to_string(),
        },
        _ => "it is not PEM".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn p256_is_offered_first_and_the_others_still_offered() {
        let groups: Vec<_> = super::provider()
            .kx_groups
            .iter()
            .map(|group| group.name())
            .collect();
        assert_eq!(
            groups,
            [
                rustls::NamedGroup::secp256r1,
                rustls::NamedGroup::X25519,
                rustls::NamedGroup::secp384r1
            ]
        );
    }
}
