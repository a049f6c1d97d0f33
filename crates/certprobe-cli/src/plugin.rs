//! The plugins: what distinguishes one binary from another.

use certprobe::Protocol;

/// What distinguishes one plugin binary from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plugin {
    /// The executable name, used in usage and help texts.
    pub binary: &'static str,
    /// The service label that starts each Nagios status line.
    pub short_name: &'static str,
    /// The dialogue run before TLS; its well-known port is the default port.
    pub protocol: Protocol,
    /// What follows the binary's name in the usage line of an argument error.
    pub usage: &'static str,
}

impl Plugin {
    /// How outputs name this plugin.
    pub fn context(&self, verbosity: u8) -> certprobe::render::Context<'static> {
        certprobe::render::Context {
            program: self.binary,
            label: self.short_name,
            verbosity,
            usage: self.usage,
        }
    }
}

/// The usage line of the network plugins.
const PLUGIN_USAGE: &str = "-H HOST [-p PORT] [options]";

/// Direct TLS on any port; `--starttls PROTO` for any STARTTLS protocol.
pub const TLS_CERT: Plugin = Plugin {
    binary: "check_tls_cert",
    short_name: "TLS_CERT",
    protocol: Protocol::Tls,
    usage: PLUGIN_USAGE,
};

/// SMTP with STARTTLS (port 25, 587); `--implicit-tls` for port 465.
pub const SMTP_CERT: Plugin = Plugin {
    binary: "check_smtp_cert",
    short_name: "SMTP_CERT",
    protocol: Protocol::Smtp,
    usage: PLUGIN_USAGE,
};

/// LMTP with STARTTLS (port 24).
pub const LMTP_CERT: Plugin = Plugin {
    binary: "check_lmtp_cert",
    short_name: "LMTP_CERT",
    protocol: Protocol::Lmtp,
    usage: PLUGIN_USAGE,
};

/// LDAP with the StartTLS extended operation (port 389); `--ldaps` for port 636.
pub const LDAP_CERT: Plugin = Plugin {
    binary: "check_ldap_cert",
    short_name: "LDAP_CERT",
    protocol: Protocol::Ldap,
    usage: PLUGIN_USAGE,
};
