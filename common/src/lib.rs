//! certprobe: connect to a TLS server, capture its certificate chain even when it is invalid,
//! analyse it, judge it by the user's policy, and report it in the format the caller speaks.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! Target ──► connect ──► Observation ──► analysis ──► verdict ──► render
//! (what)     (I/O)       (raw facts)     (pure)       (policy)    (format)
//! ```
//!
//! Errors are values that flow through the same pipeline: a refused connection becomes a
//! [`ConnectError`], the verdict gives it a state, and every renderer prints it its own way.
//! The plugin binaries are one line each: `certprobe::cli::main(certprobe::TLS_CERT)`.

pub mod analysis;
pub mod cli;
pub mod clock;
pub mod connect;
pub mod der;
pub mod encoding;
pub mod observation;
pub mod pipeline;
pub mod render;
pub mod target;
pub mod verdict;

pub use connect::starttls::Protocol;
pub use observation::{ConnectError, ErrorKind, Observation};
pub use render::{Format, Outcome, Rendered};
pub use target::Target;
pub use verdict::{Policy, State, Verdict};

/// What distinguishes one plugin binary from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plugin {
    /// The executable name, used in usage and help texts.
    pub binary: &'static str,
    /// The service label that starts each Nagios status line.
    pub short_name: &'static str,
    /// The dialogue run before TLS; its well-known port is the default port.
    pub protocol: Protocol,
}

/// Direct TLS on any port; `--starttls PROTO` for any STARTTLS protocol.
pub const TLS_CERT: Plugin = Plugin {
    binary: "check_tls_cert",
    short_name: "TLS_CERT",
    protocol: Protocol::Tls,
};

/// SMTP with STARTTLS (port 25, 587); `--implicit-tls` for port 465.
pub const SMTP_CERT: Plugin = Plugin {
    binary: "check_smtp_cert",
    short_name: "SMTP_CERT",
    protocol: Protocol::Smtp,
};

/// LMTP with STARTTLS (port 24).
pub const LMTP_CERT: Plugin = Plugin {
    binary: "check_lmtp_cert",
    short_name: "LMTP_CERT",
    protocol: Protocol::Lmtp,
};

/// LDAP with the StartTLS extended operation (port 389); `--ldaps` for port 636.
pub const LDAP_CERT: Plugin = Plugin {
    binary: "check_ldap_cert",
    short_name: "LDAP_CERT",
    protocol: Protocol::Ldap,
};

/// An io::Error's text without Rust's " (os error N)" suffix: one clean line for users.
pub(crate) fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
