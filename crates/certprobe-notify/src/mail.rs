//! The email channel: one digest per owner per run, plain text and HTML, through an SMTP
//! server (STARTTLS, implicit TLS or, for a relay on this host, plain) with optional
//! authentication, or through the local sendmail program.

use crate::digest::Rendered;
use crate::process::{run, RunError};
use certprobe_alarm::channel::{MailSettings, MailTransport, SmtpTls};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use std::error::Error as _;

/// Why a digest was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailError {
    /// An address or a header cannot be used.
    Message(String),
    /// The CA file for the server cannot be read.
    CaFile(String),
    /// The server refused it for good (5xx).
    Refused(String),
    /// The server deferred it (4xx).
    Deferred(String),
    /// The server did not answer in time.
    Timeout,
    /// TLS with the server failed.
    Tls(String),
    /// The server could not be reached or the connection broke.
    Connection(String),
    /// sendmail failed.
    Sendmail(RunError),
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailError::Message(why) => write!(f, "the message cannot be made: {why}"),
            MailError::CaFile(why) => write!(f, "smtp_ca_file: {why}"),
            MailError::Refused(reply) => write!(f, "the mail server refused it: {reply}"),
            MailError::Deferred(reply) => write!(f, "the mail server deferred it: {reply}"),
            MailError::Timeout => f.write_str("the mail server did not answer in time"),
            MailError::Tls(why) => write!(f, "TLS with the mail server failed: {why}"),
            MailError::Connection(why) => write!(f, "the mail server cannot be reached: {why}"),
            MailError::Sendmail(e) => write!(f, "sendmail failed: {e}"),
        }
    }
}

impl std::error::Error for MailError {}

/// Sends one digest to `to`; `id` makes its Message-ID, so a copy sent again after a crash
/// has the same one.
pub fn send(
    settings: &MailSettings,
    to: &[String],
    digest: &Rendered,
    id: i64,
) -> Result<(), MailError> {
    let message = message(settings, to, digest, id)?;
    match &settings.transport {
        MailTransport::Sendmail { program } => {
            let mut argv = vec![
                program.clone(),
                "-i".to_string(),
                "-f".to_string(),
                settings.from.clone(),
                "--".to_string(),
            ];
            argv.extend(to.iter().cloned());
            run(&argv, &[], &message.formatted(), settings.timeout).map_err(MailError::Sendmail)
        }
        MailTransport::Smtp { host, port, tls } => {
            let tls = match tls {
                SmtpTls::None => Tls::None,
                SmtpTls::Opportunistic => Tls::Opportunistic(parameters(settings, host)?),
                SmtpTls::StartTls => Tls::Required(parameters(settings, host)?),
                SmtpTls::Implicit => Tls::Wrapper(parameters(settings, host)?),
            };
            let mut builder = SmtpTransport::builder_dangerous(host.as_str())
                .port(*port)
                .tls(tls)
                .timeout(Some(settings.timeout));
            if let (Some(user), Some(password)) = (&settings.user, &settings.password) {
                builder = builder.credentials(Credentials::new(user.clone(), password.0.clone()));
            }
            builder
                .build()
                .send(&message)
                .map(|_| ())
                .map_err(|e| smtp_error(&e))
        }
    }
}

fn message(
    settings: &MailSettings,
    to: &[String],
    digest: &Rendered,
    id: i64,
) -> Result<Message, MailError> {
    let mailbox = |address: &str| {
        address.parse::<Mailbox>().map_err(|_| {
            MailError::Message(format!(
                "'{}' is not an email address",
                certprobe::text::quote(address, 80)
            ))
        })
    };
    let from = mailbox(&settings.from)?;
    let domain = settings
        .from
        .rsplit('@')
        .next()
        .unwrap_or("certprobe.invalid")
        .to_string();
    let mut builder = Message::builder()
        .from(from)
        .subject(digest.subject.clone())
        .message_id(Some(format!("<certprobe.{id}@{domain}>")))
        .date_now();
    for address in to {
        builder = builder.to(mailbox(address)?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            digest.text.clone(),
            digest.html.clone(),
        ))
        .map_err(|_| MailError::Message("the digest cannot be encoded".to_string()))
}

fn parameters(settings: &MailSettings, host: &str) -> Result<TlsParameters, MailError> {
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(ca) = &settings.ca_file {
        let pem = std::fs::read(ca).map_err(|e| {
            MailError::CaFile(format!(
                "cannot read {}: {}",
                ca.display(),
                crate::process::io_words(&e)
            ))
        })?;
        let certificate = Certificate::from_pem(&pem)
            .map_err(|_| MailError::CaFile(format!("{} has no PEM certificate", ca.display())))?;
        builder = builder
            .certificate_store(CertificateStore::None)
            .add_root_certificate(certificate);
    }
    builder
        .build_rustls()
        .map_err(|e| MailError::Tls(tls_words(&e)))
}

/// lettre's error in words: the server's reply for refusals, a sentence otherwise.
fn smtp_error(e: &lettre::transport::smtp::Error) -> MailError {
    let reply = || {
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        let text = e.source().map(|s| s.to_string()).unwrap_or_default();
        certprobe::text::cut(
            &certprobe::text::visible(format!("{code} {text}").trim()),
            300,
        )
    };
    if e.is_permanent() {
        MailError::Refused(reply())
    } else if e.is_transient() {
        MailError::Deferred(reply())
    } else if e.is_client() {
        // lettre's own refusals, before anything is sent.
        let text = e.source().map(|s| s.to_string()).unwrap_or_default();
        if text.contains("STARTTLS") {
            MailError::Tls(
                "the server does not offer STARTTLS (smtp:// requires it; see ?tls=)".to_string(),
            )
        } else if text.contains("authentication mechanism") {
            MailError::Connection(
                "the server offers no authentication certprobe can use (PLAIN, LOGIN)".to_string(),
            )
        } else {
            MailError::Connection("the SMTP conversation failed".to_string())
        }
    } else if e.is_timeout() {
        MailError::Timeout
    } else if e.is_tls() || rustls_inside(e).is_some() {
        MailError::Tls(tls_words(e))
    } else if e.is_response() {
        // lettre reads the end of the connection as an incomplete reply.
        let text = e.source().map(|s| s.to_string()).unwrap_or_default();
        if text.contains("incomplete") {
            MailError::Connection("the server dropped the connection".to_string())
        } else {
            MailError::Connection("it sent a reply that is not SMTP".to_string())
        }
    } else if matches!(
        io_inside(e).map(std::io::Error::kind),
        Some(std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
    ) {
        MailError::Timeout
    } else {
        MailError::Connection(io_words(e))
    }
}

/// The I/O error inside `e`, if there is one.
fn io_inside<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

/// The reason of a TLS failure, from the rustls error inside when there is one.
fn tls_words(e: &(dyn std::error::Error + 'static)) -> String {
    rustls_inside(e).map_or_else(|| "the handshake failed".to_string(), rustls_words)
}

/// The rustls error somewhere inside `e`: itself, a source, or wrapped in an I/O error
/// (whose `source()` skips what it wraps).
fn rustls_inside<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(inner) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(r);
            }
        }
        source = s.source();
    }
    None
}

fn rustls_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "its certificate is not trusted (unknown issuer; see smtp_ca_file)".to_string()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "its certificate does not cover its host name".to_string()
            }
            C::Expired | C::ExpiredContext { .. } => "its certificate has expired".to_string(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "its certificate is not valid yet".to_string()
            }
            C::Revoked => "its certificate is revoked".to_string(),
            _ => "its certificate was not accepted".to_string(),
        },
        rustls::Error::AlertReceived(_) => {
            "the server ended the handshake with an alert".to_string()
        }
        _ => "the handshake failed".to_string(),
    }
}

/// A connection failure from the I/O error inside, in words.
fn io_words(e: &(dyn std::error::Error + 'static)) -> String {
    if let Some(io) = io_inside(e) {
        return match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "the connection was refused".to_string(),
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe => "the server dropped the connection".to_string(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                "it did not answer in time".to_string()
            }
            _ => certprobe::text::visible(&io.to_string()),
        };
    }
    let text = e.to_string();
    if text.contains("failed to lookup address") || text.contains("resolve") {
        "its name does not resolve".to_string()
    } else {
        "the connection failed".to_string()
    }
}
