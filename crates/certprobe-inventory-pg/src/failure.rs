//! The client library's errors as the seam's: their kind, and one sentence without type
//! names (a TLS failure from the rustls error inside, a server error from its SQLSTATE).

use certprobe_inventory::sql::{DbError, Failure};
use postgres::error::SqlState;

/// A failure to connect, in words.
pub fn connecting(e: &postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error() {
        let kind = match *db.code() {
            SqlState::INVALID_PASSWORD | SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                return DbError::new(
                    Failure::CannotOpen,
                    format!("the server refused the login: {}", visible(db.message())),
                )
            }
            SqlState::INVALID_CATALOG_NAME => Failure::CannotOpen,
            SqlState::TOO_MANY_CONNECTIONS => Failure::Busy,
            SqlState::PROTOCOL_VIOLATION
                if db.message().starts_with("unsupported startup parameter") =>
            {
                return DbError::new(
                    Failure::CannotOpen,
                    format!(
                        "the server (a connection pooler?) refused a setting of the URL: {}",
                        visible(db.message())
                    ),
                )
            }
            _ => Failure::CannotOpen,
        };
        return DbError::new(kind, visible(db.message()));
    }
    let reason = match (rustls_inside(e), io_inside(e)) {
        (Some(tls), _) => tls_words(tls),
        (None, Some(io)) => io_words(io),
        _ if e.to_string().contains("timed out") => "it did not answer in time".to_string(),
        _ if e.to_string().contains("TLS") || e.to_string().contains("SSL") => {
            "the server does not offer TLS (sslmode asks for it)".to_string()
        }
        _ => visible(&e.to_string()),
    };
    DbError::new(Failure::CannotOpen, reason)
}

/// True when the server refused the login for a startup parameter it does not take: PgBouncer
/// says "unsupported startup parameter: options" (SQLSTATE 08P01) unless its
/// `ignore_startup_parameters` names it.
pub fn refused_startup_options(e: &postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::PROTOCOL_VIOLATION
            && db.message() == "unsupported startup parameter: options"
    })
}

/// A failure of a statement, in words.
pub fn statement(e: &postgres::Error) -> DbError {
    let Some(db) = e.as_db_error() else {
        if let Some(unsendable) =
            std::error::Error::source(e).and_then(|source| source.downcast_ref::<Unsendable>())
        {
            return DbError::new(Failure::Other, unsendable.0.clone());
        }
        if e.is_closed() || io_inside(e).is_some() {
            return DbError::new(
                Failure::Other,
                "the connection to the server was lost".to_string(),
            );
        }
        return DbError::new(Failure::Other, visible(&e.to_string()));
    };
    let message = visible(db.message());
    let code = db.code();
    // A foreign key broken by another's commit is a collision too: a recording batch refers
    // to the chains and certificates it looked up first, which a cleanup committed meanwhile
    // may have deleted; the batch goes again and looks them up again.
    let failure = if *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::FOREIGN_KEY_VIOLATION
    {
        Failure::Conflict
    } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
        return DbError::new(
            Failure::ReadOnly,
            "the server takes no writes (a standby, or default_transaction_read_only)",
        );
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        return DbError::new(Failure::ReadOnly, format!("permission denied: {message}"));
    } else if *code == SqlState::DISK_FULL {
        return DbError::new(Failure::DiskFull, "the server's disk is full");
    } else if *code == SqlState::UNDEFINED_TABLE {
        Failure::NoSuchTable
    } else if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::QUERY_CANCELED {
        Failure::Busy
    } else {
        Failure::Other
    };
    DbError::new(failure, format!("{message} (SQLSTATE {})", code.code()))
}

/// Why a value cannot be sent as the parameter the server asks for, in words.
#[derive(Debug)]
pub struct Unsendable(pub String);

impl std::fmt::Display for Unsendable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsendable {}

/// The rustls error somewhere inside `e` (as a source, or wrapped in an I/O error).
fn rustls_inside<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        source = s.source();
    }
    None
}

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

fn tls_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "the server's certificate is not issued by the CA given (sslrootcert)".to_string()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the server's certificate is not for the host connected to (sslmode=verify-full)"
                    .to_string()
            }
            C::Expired | C::ExpiredContext { .. } => {
                "the server's certificate has expired".to_string()
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet".to_string()
            }
            _ => "the server's certificate was not accepted".to_string(),
        },
        rustls::Error::AlertReceived(_) => {
            "the server ended the TLS handshake with an alert".to_string()
        }
        _ => "the TLS handshake failed".to_string(),
    }
}

fn io_words(io: &std::io::Error) -> String {
    match io.kind() {
        std::io::ErrorKind::ConnectionRefused => "the connection was refused".to_string(),
        std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::BrokenPipe => "the server dropped the connection".to_string(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            "it did not answer in time".to_string()
        }
        std::io::ErrorKind::NotFound => "no such host or socket".to_string(),
        _ if io.to_string().starts_with("failed to lookup address") => {
            "its host name does not resolve".to_string()
        }
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = io.to_string();
            let text = text.split(" (os error").next().unwrap_or_default();
            visible(text)
        }
    }
}

/// Text from the server with control characters shown as `?`, at most 300 characters.
fn visible(text: &str) -> String {
    text.chars()
        .take(300)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
