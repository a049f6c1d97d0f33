//! Where the database is: a `postgres://` URL read as libpq reads it, with the TLS options
//! certprobe takes over from it (`sslmode`, `sslrootcert`), the password from the URL or
//! `PGPASSWORD`, and deadlines for every step.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the server may hold back sent data before the connection counts as dead.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// The session settings: statements and lock waits end (a hung server or a forgotten lock is
/// an error, not a hang), and the session speaks UTC like SQLite.
const SESSION_SETTINGS: [(&str, &str); 4] = [
    ("statement_timeout", "600000"),
    ("lock_timeout", "60000"),
    ("idle_in_transaction_session_timeout", "600000"),
    ("TimeZone", "UTC"),
];

/// The session settings as statements, for a server that takes no `options` with the login
/// (PgBouncer refuses them unless told to ignore them).
pub fn session_settings_statement() -> String {
    SESSION_SETTINGS
        .iter()
        .map(|(name, value)| format!("SET {name} = '{value}'"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// libpq's `sslmode`: what TLS to the server must be, and what of its certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, its certificate not checked (libpq's default).
    Prefer,
    /// TLS, its certificate not checked (checked as `verify-ca` when a root is given).
    Require,
    /// TLS, the certificate issued by a trusted root.
    VerifyCa,
    /// TLS, the certificate issued by a trusted root for the host connected to.
    VerifyFull,
}

impl SslMode {
    fn from_name(name: &str) -> Option<SslMode> {
        Some(match name {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// The roots a server's certificate is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Roots {
    /// None given: `require` and `prefer` check nothing; `verify-*` take libpq's default
    /// file, `~/.postgresql/root.crt`.
    Default,
    /// `sslrootcert=system`: the operating system's trusted roots.
    System,
    /// `sslrootcert=FILE`: the PEM certificates in the file.
    File(PathBuf),
}

/// A PostgreSQL inventory's connection settings.
#[derive(Clone)]
pub struct Target {
    /// What the client library connects with: the session settings sent with the login.
    pub config: postgres::Config,
    /// The same without the session settings (the URL's own `options` only), for a server
    /// that refuses them with the login: they are then set by statement.
    pub config_without_settings: postgres::Config,
    /// The TLS wanted.
    pub ssl_mode: SslMode,
    /// The roots for checking the server's certificate.
    pub roots: Roots,
    /// The URL without its password, for messages.
    pub shown: String,
}

/// Why a `postgres://` URL cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadUrl(pub String);

impl fmt::Display for BadUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadUrl {}

/// True for the URLs this crate opens (`postgres://` and `postgresql://`).
pub fn is_postgres_url(db: &str) -> bool {
    let lower = db.get(..13).unwrap_or(db).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl Target {
    /// Reads a `postgres://user[:password]@host[:port]/database[?options]` URL.
    pub fn parse(url: &str) -> Result<Target, BadUrl> {
        if url.chars().any(char::is_control) {
            return Err(BadUrl(
                "the PostgreSQL URL holds a control character".to_string(),
            ));
        }
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, query),
            None => (url, ""),
        };
        let mut ssl_mode = None;
        let mut roots = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => {
                    ssl_mode = Some(SslMode::from_name(value).ok_or_else(|| {
                        BadUrl(format!(
                            "sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not '{}'",
                            shown_value(value)
                        ))
                    })?)
                }
                "sslrootcert" => roots = Some(roots_from(&percent_decoded(value)?)),
                "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" => {
                    return Err(BadUrl(format!(
                        "{key} is not supported: certprobe connects to PostgreSQL with a password or without one, never with a client certificate"
                    )))
                }
                _ => kept.push(pair),
            }
        }
        let ssl_mode = match ssl_mode {
            Some(mode) => mode,
            None => match std::env::var("PGSSLMODE") {
                Ok(value) => SslMode::from_name(&value).ok_or_else(|| {
                    BadUrl(format!(
                        "PGSSLMODE must be disable, allow, prefer, require, verify-ca or verify-full, not '{}'",
                        shown_value(&value)
                    ))
                })?,
                Err(_) => SslMode::Prefer,
            },
        };
        let roots = match roots {
            Some(roots) => roots,
            None => match std::env::var("PGSSLROOTCERT") {
                Ok(value) if !value.is_empty() => roots_from(&value),
                _ => Roots::Default,
            },
        };
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config = postgres::Config::from_str(&rest).map_err(|e| {
            // The client library's own words are in the error's source ("unknown option
            // `x`"); its message alone says only that the string is invalid.
            let why = std::error::Error::source(&e)
                .map(|cause| cause.to_string().replace('`', "'"))
                .unwrap_or_else(|| "it is not a connection URL".to_string());
            BadUrl(format!(
                "the PostgreSQL URL cannot be read: {}",
                shown_value(&why)
            ))
        })?;
        if config.get_hosts().is_empty() {
            return Err(BadUrl(
                "the PostgreSQL URL names no host (postgres://user@host/database)".to_string(),
            ));
        }
        if config.get_password().is_none() {
            if let Ok(password) = std::env::var("PGPASSWORD") {
                config.password(password);
            }
        }
        if config.get_user().is_none() {
            if let Ok(user) = std::env::var("PGUSER").or_else(|_| std::env::var("USER")) {
                config.user(&user);
            }
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("certprobe");
        }
        // TLS is negotiated by certprobe's connector; the client library only asks for it.
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
        let config_without_settings = config.clone();
        // Sent with the login, not as statements after it: no round trip of their own.
        let mut options = config.get_options().unwrap_or_default().to_string();
        for (name, value) in SESSION_SETTINGS {
            options.push_str(&format!(" -c {name}={value}"));
        }
        config.options(options.trim_start());
        Ok(Target {
            config,
            config_without_settings,
            ssl_mode,
            roots,
            shown: without_password(base),
        })
    }
}

fn roots_from(value: &str) -> Roots {
    if value == "system" {
        Roots::System
    } else {
        Roots::File(PathBuf::from(value))
    }
}

/// A URL's `%XX` escapes decoded (a root file's path may hold spaces).
fn percent_decoded(value: &str) -> Result<String, BadUrl> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| BadUrl("sslrootcert has a broken %-escape".to_string()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| BadUrl("sslrootcert is not UTF-8".to_string()))
}

/// A value as shown in a message: at most 60 characters, no control character.
fn shown_value(value: &str) -> String {
    value
        .chars()
        .take(60)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The URL with its password (if any) taken out: `postgres://user@host/db`.
pub(crate) fn without_password(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_string();
    };
    // The user's part ends at the last '@' (a password may hold '/' or '@' unescaped).
    match rest.rsplit_once('@') {
        Some((user_info, after)) => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{after}")
        }
        None => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_postgres_url, Roots, SslMode, Target};

    #[test]
    fn a_url_keeps_its_options_and_loses_its_password_in_messages() {
        let target = Target::parse(
            "postgres://certprobe:s3cret@db.example.test:5433/inventory?sslmode=verify-full&sslrootcert=/etc/ca%20dir/root.pem&connect_timeout=3",
        )
        .unwrap();
        assert_eq!(target.ssl_mode, SslMode::VerifyFull);
        assert_eq!(target.roots, Roots::File("/etc/ca dir/root.pem".into()));
        assert_eq!(
            target.shown,
            "postgres://certprobe@db.example.test:5433/inventory"
        );
        assert_eq!(
            super::without_password("postgres://u:pa/ss@w@rd@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(
            super::without_password("postgres://h/db"),
            "postgres://h/db"
        );
        assert_eq!(target.config.get_user(), Some("certprobe"));
        assert_eq!(target.config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(target.config.get_ports(), &[5433]);
        assert_eq!(
            target.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );
        // The session settings go with the login; the fallback's config carries only the
        // URL's own options, and the statement sets the same values.
        let own = Target::parse("postgres://a@h/db?options=-c%20search_path%3Dx").unwrap();
        assert_eq!(
            own.config.get_options(),
            Some(
                "-c search_path=x -c statement_timeout=600000 -c lock_timeout=60000 \
                 -c idle_in_transaction_session_timeout=600000 -c TimeZone=UTC"
            )
        );
        assert_eq!(
            own.config_without_settings.get_options(),
            Some("-c search_path=x")
        );
        assert_eq!(target.config_without_settings.get_options(), None);
        assert_eq!(
            super::session_settings_statement(),
            "SET statement_timeout = '600000'; SET lock_timeout = '60000'; \
             SET idle_in_transaction_session_timeout = '600000'; SET TimeZone = 'UTC'"
        );
    }

    #[test]
    fn bad_urls_are_one_sentence() {
        let bad = |url: &str| Target::parse(url).err().unwrap().to_string();
        assert_eq!(
            bad("postgres://a@h/db?sslmode=verify"),
            "sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not 'verify'"
        );
        assert_eq!(
            bad("postgres://a@h/db?sslcert=/x.pem"),
            "sslcert is not supported: certprobe connects to PostgreSQL with a password or without one, never with a client certificate"
        );
        assert_eq!(
            bad("postgres://a@h/db\r\nx"),
            "the PostgreSQL URL holds a control character"
        );
        assert_eq!(
            bad("postgres://a@h/db?nonsense=1"),
            "the PostgreSQL URL cannot be read: unknown option 'nonsense'"
        );
        assert_eq!(
            bad("postgres://a@h:99999/db"),
            "the PostgreSQL URL cannot be read: invalid value for option 'port'"
        );
        assert!(is_postgres_url("PostgreSQL://h/db"));
        assert!(!is_postgres_url("/var/lib/certprobe/inventory.sqlite"));
    }
}
