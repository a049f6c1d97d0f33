//! How TLS starts on a connection: directly, or after one of the STARTTLS dialogues.
//! Everything that describes a protocol (its names, port, label, goodbye) is one row of
//! `TABLE`; the dialogue itself is one file in `capture/starttls/`.

use serde::{Deserialize, Serialize};

/// How TLS starts on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TLS from the first byte (HTTPS, SMTPS, LDAPS, IMAPS, ...).
    #[default]
    Tls,
    /// SMTP with STARTTLS (RFC 3207).
    Smtp,
    /// LMTP with STARTTLS (RFC 2033).
    Lmtp,
    /// LDAP with the StartTLS extended operation (RFC 4511).
    Ldap,
    /// IMAP with STARTTLS (RFC 3501).
    Imap,
    /// POP3 with STLS (RFC 2595).
    Pop3,
    /// FTP with AUTH TLS (RFC 4217).
    Ftp,
    /// XMPP client-to-server STARTTLS (RFC 6120).
    Xmpp,
    /// PostgreSQL's SSLRequest.
    Postgres,
    /// MySQL and MariaDB's SSL request packet.
    Mysql,
    /// ManageSieve with STARTTLS (RFC 5804).
    Sieve,
}

/// One protocol's description.
struct Spec {
    protocol: Protocol,
    /// The name on the command line and in PRTG parameters.
    name: &'static str,
    /// Other names accepted for it.
    aliases: &'static [&'static str],
    /// The well-known port.
    port: u16,
    /// Other ports where the protocol is the usual one (SMTP submission on 587).
    more_ports: &'static [u16],
    /// The label in messages.
    label: &'static str,
    /// What to send, inside TLS, to leave politely.
    farewell: &'static [u8],
}

/// Every protocol, direct TLS first.
const TABLE: [Spec; 11] = [
    Spec {
        protocol: Protocol::Tls,
        name: "tls",
        aliases: &[],
        port: 443,
        more_ports: &[],
        label: "TLS",
        farewell: b"",
    },
    Spec {
        protocol: Protocol::Smtp,
        name: "smtp",
        aliases: &[],
        port: 25,
        more_ports: &[587],
        label: "SMTP",
        farewell: b"QUIT\r\n",
    },
    Spec {
        protocol: Protocol::Lmtp,
        name: "lmtp",
        aliases: &[],
        port: 24,
        more_ports: &[],
        label: "LMTP",
        farewell: b"QUIT\r\n",
    },
    Spec {
        protocol: Protocol::Ldap,
        name: "ldap",
        aliases: &[],
        port: 389,
        more_ports: &[],
        label: "LDAP",
        // LDAPMessage { messageID 2, unbindRequest [APPLICATION 2] NULL }
        farewell: &[0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00],
    },
    Spec {
        protocol: Protocol::Imap,
        name: "imap",
        aliases: &[],
        port: 143,
        more_ports: &[],
        label: "IMAP",
        farewell: b"C2 LOGOUT\r\n",
    },
    Spec {
        protocol: Protocol::Pop3,
        name: "pop3",
        aliases: &[],
        port: 110,
        more_ports: &[],
        label: "POP3",
        farewell: b"QUIT\r\n",
    },
    Spec {
        protocol: Protocol::Ftp,
        name: "ftp",
        aliases: &[],
        port: 21,
        more_ports: &[],
        label: "FTP",
        farewell: b"QUIT\r\n",
    },
    Spec {
        protocol: Protocol::Xmpp,
        name: "xmpp",
        aliases: &[],
        port: 5222,
        more_ports: &[],
        label: "XMPP",
        farewell: b"</stream:stream>",
    },
    Spec {
        protocol: Protocol::Postgres,
        name: "postgres",
        aliases: &["postgresql"],
        port: 5432,
        more_ports: &[],
        label: "PostgreSQL",
        farewell: b"",
    },
    Spec {
        protocol: Protocol::Mysql,
        name: "mysql",
        aliases: &["mariadb"],
        port: 3306,
        more_ports: &[],
        label: "MySQL",
        farewell: b"",
    },
    Spec {
        protocol: Protocol::Sieve,
        name: "sieve",
        aliases: &["managesieve"],
        port: 4190,
        more_ports: &[],
        label: "ManageSieve",
        farewell: b"LOGOUT\r\n",
    },
];

impl Protocol {
    /// The protocols with a dialogue before TLS, in the order help texts list them.
    pub const STARTTLS: [Protocol; 10] = [
        Protocol::Smtp,
        Protocol::Lmtp,
        Protocol::Ldap,
        Protocol::Imap,
        Protocol::Pop3,
        Protocol::Ftp,
        Protocol::Xmpp,
        Protocol::Postgres,
        Protocol::Mysql,
        Protocol::Sieve,
    ];

    fn spec(self) -> &'static Spec {
        // Every variant has its row; the test below keeps it so.
        TABLE
            .iter()
            .find(|s| s.protocol == self)
            .unwrap_or(&TABLE[0])
    }

    /// The name used on the command line and in PRTG parameters.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The protocol of a name or alias, case-insensitively.
    pub fn from_name(name: &str) -> Option<Protocol> {
        let name = name.trim();
        TABLE
            .iter()
            .find(|s| {
                s.name.eq_ignore_ascii_case(name)
                    || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
            })
            .map(|s| s.protocol)
    }

    /// The well-known port of the service.
    pub fn default_port(self) -> u16 {
        self.spec().port
    }

    /// The label in messages: `SMTP`, `ManageSieve`, ...
    pub fn label(self) -> &'static str {
        self.spec().label
    }

    /// What to send, inside TLS, to leave politely once the certificate is read.
    pub fn farewell(self) -> &'static [u8] {
        self.spec().farewell
    }

    /// The STARTTLS protocol a scan uses on a bare well-known port (25 SMTP, 389 LDAP, ...);
    /// direct TLS on every other port.
    pub fn for_port(port: u16) -> Protocol {
        TABLE
            .iter()
            .skip(1)
            .find(|s| s.port == port || s.more_ports.contains(&port))
            .map_or(Protocol::Tls, |s| s.protocol)
    }

    /// The STARTTLS names, comma-separated, for help texts and messages.
    pub fn starttls_names() -> String {
        Protocol::STARTTLS.map(Protocol::name).join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_has_exactly_one_row() {
        for p in std::iter::once(Protocol::Tls).chain(Protocol::STARTTLS) {
            assert_eq!(TABLE.iter().filter(|s| s.protocol == p).count(), 1, "{p:?}");
            assert_eq!(Protocol::from_name(p.name()), Some(p));
        }
        assert_eq!(TABLE.len(), Protocol::STARTTLS.len() + 1);
        assert_eq!(Protocol::from_name("PostgreSQL"), Some(Protocol::Postgres));
        assert_eq!(Protocol::from_name("gopher"), None);
    }

    #[test]
    fn bare_well_known_ports_start_their_protocol() {
        let ports = [
            (25, "smtp"),
            (587, "smtp"),
            (24, "lmtp"),
            (389, "ldap"),
            (143, "imap"),
            (110, "pop3"),
            (21, "ftp"),
            (5222, "xmpp"),
            (5432, "postgres"),
            (3306, "mysql"),
            (4190, "sieve"),
            (443, "tls"),
            (636, "tls"),
            (8443, "tls"),
        ];
        for (port, name) in ports {
            assert_eq!(Protocol::for_port(port).name(), name, "port {port}");
        }
    }
}
