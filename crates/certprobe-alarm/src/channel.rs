//! How owners are reached, as plain data read from the config: trap receivers and hook
//! commands (email addresses are plain strings). Sending is certprobe-notify's job.

use std::fmt;

/// A secret from the config (inline or from an environment variable): never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// An SNMP trap receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpTarget {
    /// The receiver's host name or address.
    pub host: String,
    /// Its UDP port (162 unless given).
    pub port: u16,
    /// The version and its credentials.
    pub version: SnmpVersion,
}

/// SNMP versions, with what each needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnmpVersion {
    /// v2c, by community.
    V2c {
        /// The community string.
        community: Secret,
    },
    /// v3, user-based security at authPriv: HMAC-SHA-96 and AES-128 (RFC 3414, RFC 3826).
    V3 {
        /// The user name.
        user: String,
        /// The authentication password (8 or more characters).
        auth_password: Secret,
        /// The privacy password (8 or more characters).
        privacy_password: Secret,
        /// certprobe's engine ID, which the receiver must know the user under.
        engine_id: Vec<u8>,
    },
}

impl SnmpTarget {
    /// `udp:nms.example.com:162 (v2c)` as the log shows it.
    pub fn label(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let version = match &self.version {
            SnmpVersion::V2c { .. } => "v2c".to_string(),
            SnmpVersion::V3 { user, .. } => format!("v3 user {user}"),
        };
        format!("udp:{host}:{} ({version})", self.port)
    }
}

/// A command run for each notice, with the notice in its environment and as JSON on stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The program and its arguments; no shell.
    pub argv: Vec<String>,
}

impl Hook {
    /// The command as the log shows it.
    pub fn label(&self) -> String {
        self.argv.join(" ")
    }
}

/// How mail leaves this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// An SMTP server.
    Smtp {
        /// Its host name or address.
        host: String,
        /// Its port.
        port: u16,
        /// How TLS is used.
        tls: SmtpTls,
    },
    /// The local sendmail program (Postfix, Exim and others install one).
    Sendmail {
        /// Its path.
        program: String,
    },
}

/// TLS towards an SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// STARTTLS, and no mail when the server does not offer it (`smtp://`, the default).
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465).
    Implicit,
    /// STARTTLS when offered, plain otherwise (`?tls=opportunistic`).
    Opportunistic,
    /// Plain text, for a relay on this host (`?tls=none`).
    None,
}

/// `[notify]`: the mail server, the receivers every notice goes to, and the settings of
/// the messages.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifySettings {
    /// Where mail goes; without it, owners' addresses get nothing (and the run says so).
    pub mail: Option<MailSettings>,
    /// Trap receivers that get every notice, whoever owns it.
    pub snmp: Vec<SnmpTarget>,
    /// A hook run for every notice, whoever owns it.
    pub hook: Option<Hook>,
    /// How long a hook may run before it is killed.
    pub hook_timeout: std::time::Duration,
    /// The dashboard's address, for links in the messages (`https://certs.example.com/`).
    pub base_url: Option<String>,
    /// A folder of templates that replace the built-in ones of the same name.
    pub templates: Option<std::path::PathBuf>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            mail: None,
            snmp: Vec::new(),
            hook: None,
            hook_timeout: std::time::Duration::from_secs(30),
            base_url: None,
            templates: None,
        }
    }
}

/// The mail server and the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The transport.
    pub transport: MailTransport,
    /// The From address.
    pub from: String,
    /// The SMTP user, when the server wants authentication.
    pub user: Option<String>,
    /// Its password.
    pub password: Option<Secret>,
    /// CA certificates (PEM) the SMTP server's certificate is checked against, instead of
    /// the system's.
    pub ca_file: Option<std::path::PathBuf>,
    /// How long one message may take to send.
    pub timeout: std::time::Duration,
}

/// Whether an email address can be used: one `@` with text on both sides, and no character
/// that would change a message's headers (controls, spaces, `<>,;"()[]\`).
pub fn is_address(address: &str) -> bool {
    let bad = |c: char| c.is_control() || c.is_whitespace() || "<>,;\"()[]\\".contains(c);
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.chars().any(bad)
        }
        None => false,
    }
}
