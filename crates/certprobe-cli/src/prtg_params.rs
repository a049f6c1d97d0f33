//! The parameter string of the PRTG "STARTTLS certificate" Python sensor, accepted unchanged so
//! that a PRTG admin switches by changing only the executable name:
//!
//! ```text
//! %host port: 25, protocol: smtp, cert_domainname: mta.example.com, cert_domainname_validation: cn
//! ```
//!
//! The device address comes first (PRTG's `%host`); PRTG may pass the rest as one argument or
//! split at spaces, so the pieces are joined again before parsing.

use certprobe::analysis::NameMode;
use certprobe::idna::HostNameError;
use certprobe::Protocol;
use std::fmt;

/// The sensor's parameters, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct PrtgParams {
    /// The device address (PRTG's `%host`), trimmed, a trailing comma removed.
    pub host: String,
    /// `port`: 1 to 65535; the protocol's well-known port when absent.
    pub port: Option<u16>,
    /// `protocol`: a STARTTLS protocol (required; direct TLS is refused).
    pub protocol: Protocol,
    /// `cert_domainname`: the name to send as SNI and to check, when the device address is not it.
    pub domain: Option<String>,
    /// `cert_domainname_validation`: `None`, `cn` or `cn_san` (also `cn/san`; the default),
    /// in any case.
    pub validation: NameMode,
}

const KEYS: &str = "port, protocol, cert_domainname, cert_domainname_validation";

/// Why a sensor parameter string cannot be used. Each variant carries what the parameters
/// said, quoted (control characters escaped, cut short) only when shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrtgParamsError {
    /// No device address at all, or an empty one.
    MissingDevice,
    /// The parameters (joined, as given) begin with a key, not with the device address.
    DeviceNotFirst(String),
    /// A comma-separated piece without a colon.
    NotKeyValue(String),
    /// `port` outside 1 to 65535, or not a number.
    BadPort(String),
    /// `protocol` that is no STARTTLS protocol.
    UnknownProtocol(String),
    /// `cert_domainname_validation` other than None, cn or cn_san.
    BadValidation(String),
    /// A key the sensor does not have (lowercased).
    UnknownKey(String),
    /// No `protocol`: the sensor has no default.
    MissingProtocol,
    /// The device address or `cert_domainname` is not a usable host name.
    HostName(HostNameError),
}

impl fmt::Display for PrtgParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrtgParamsError::MissingDevice => write!(f, "the device address is missing"),
            PrtgParamsError::DeviceNotFirst(params) => write!(
                f,
                "the device address is missing: the parameters must begin with it (PRTG's %host), as in '%host {}'",
                certprobe::text::quote(params, 80)
            ),
            PrtgParamsError::NotKeyValue(pair) => write!(
                f,
                "parameter '{}' is not of the form 'key: value'",
                shown(pair)
            ),
            PrtgParamsError::BadPort(value) => write!(
                f,
                "bad port '{}': a number from 1 to 65535 is needed",
                shown(value)
            ),
            PrtgParamsError::UnknownProtocol(value) => write!(
                f,
                "unknown protocol '{}' (smtp, lmtp or ldap)",
                shown(value)
            ),
            PrtgParamsError::BadValidation(value) => write!(
                f,
                "bad cert_domainname_validation '{}' (None, cn or cn_san)",
                shown(value)
            ),
            PrtgParamsError::UnknownKey(key) => {
                write!(f, "unknown parameter '{}' (known: {KEYS})", shown(key))
            }
            PrtgParamsError::MissingProtocol => {
                write!(f, "missing parameter 'protocol' (smtp, lmtp or ldap)")
            }
            PrtgParamsError::HostName(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for PrtgParamsError {}

impl From<HostNameError> for PrtgParamsError {
    fn from(error: HostNameError) -> PrtgParamsError {
        PrtgParamsError::HostName(error)
    }
}

/// True when the arguments look like a PRTG parameter string rather than options: the
/// first argument is not an option. Options never take a leading positional argument.
pub fn applies(args: &[String]) -> bool {
    args.first().is_some_and(|a| !a.starts_with('-'))
}

/// Parses `host key: value, key: value ...`.
pub fn parse(args: &[String]) -> Result<PrtgParams, PrtgParamsError> {
    let (host, rest) = args.split_first().ok_or(PrtgParamsError::MissingDevice)?;
    let host = host.trim().trim_end_matches(',');
    let first_key = host
        .split(':')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if host.contains(':') && KEYS.split(", ").any(|k| k == first_key) {
        return Err(PrtgParamsError::DeviceNotFirst(args.join(" ")));
    }
    let mut params = PrtgParams {
        host: host.to_string(),
        port: None,
        protocol: Protocol::Tls,
        domain: None,
        validation: NameMode::CnSan,
    };
    let mut protocol = None;
    for pair in rest
        .join(" ")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair
            .split_once(':')
            .ok_or_else(|| PrtgParamsError::NotKeyValue(pair.to_string()))?;
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        match key.as_str() {
            "port" => match value.parse::<u16>() {
                Ok(port) if port > 0 => params.port = Some(port),
                _ => return Err(PrtgParamsError::BadPort(value.to_string())),
            },
            "protocol" => {
                let p = Protocol::from_name(value)
                    .filter(|p| *p != Protocol::Tls)
                    .ok_or_else(|| PrtgParamsError::UnknownProtocol(value.to_string()))?;
                protocol = Some(p);
            }
            "cert_domainname" if !value.is_empty() => params.domain = Some(value.to_string()),
            "cert_domainname" => {}
            "cert_domainname_validation" => {
                params.validation = match value.to_ascii_lowercase().as_str() {
                    "none" => NameMode::None,
                    "cn" => NameMode::Cn,
                    "cn_san" | "cn/san" => NameMode::CnSan,
                    _ => return Err(PrtgParamsError::BadValidation(value.to_string())),
                }
            }
            _ => return Err(PrtgParamsError::UnknownKey(key)),
        }
    }
    params.protocol = protocol.ok_or(PrtgParamsError::MissingProtocol)?;
    if params.host.is_empty() {
        return Err(PrtgParamsError::MissingDevice);
    }
    Ok(params)
}

/// Text from the parameters as quoted in a message: control characters escaped, at most 60
/// characters, so that the message stays one short line.
fn shown(text: &str) -> String {
    certprobe::text::quote(text, 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_sensor_examples_parse_whole_or_split() {
        let expected = PrtgParams {
            host: "mx.example.com".into(),
            port: Some(7025),
            protocol: Protocol::Lmtp,
            domain: None,
            validation: NameMode::CnSan,
        };
        let whole = args(&[
            "mx.example.com",
            "port: 7025, protocol: lmtp, cert_domainname_validation: cn_san",
        ]);
        assert_eq!(parse(&whole).unwrap(), expected);
        let split = args(&[
            "mx.example.com",
            "port:",
            "7025,",
            "protocol:",
            "lmtp,",
            "cert_domainname_validation:",
            "cn_san",
        ]);
        assert_eq!(parse(&split).unwrap(), expected);

        let second = args(&["192.0.2.25", "port: 25, protocol: smtp, cert_domainname: mta.example.com, cert_domainname_validation: cn"]);
        let parsed = parse(&second).unwrap();
        assert_eq!(parsed.domain.as_deref(), Some("mta.example.com"));
        assert_eq!(parsed.validation, NameMode::Cn);
        assert_eq!(parsed.protocol, Protocol::Smtp);
    }

    #[test]
    fn problems_are_named() {
        let err = |list: &[&str]| parse(&args(list)).unwrap_err().to_string();
        assert_eq!(
            err(&["h", "port: 25, protocol: smtp, colour: blue"]),
            format!("unknown parameter 'colour' (known: {KEYS})")
        );
        assert_eq!(
            err(&["h", "port: 99999, protocol: smtp"]),
            "bad port '99999': a number from 1 to 65535 is needed"
        );
        assert_eq!(
            err(&["h", "port: 25"]),
            "missing parameter 'protocol' (smtp, lmtp or ldap)"
        );
        assert_eq!(
            err(&["h", "port: 25, protocol: gopher"]),
            "unknown protocol 'gopher' (smtp, lmtp or ldap)"
        );
        assert_eq!(
            err(&["h", "port 25, protocol: smtp"]),
            "parameter 'port 25' is not of the form 'key: value'"
        );
        assert_eq!(
            err(&["h", "protocol: smtp, cert_domainname_validation: sometimes"]),
            "bad cert_domainname_validation 'sometimes' (None, cn or cn_san)"
        );
        assert_eq!(
            err(&["port: 25, protocol: smtp, cert_domainname: mta.example.com"]),
            "the device address is missing: the parameters must begin with it (PRTG's %host), as in '%host port: 25, protocol: smtp, cert_domainname: mta.example.com'"
        );
        // Found by the prtg_params fuzzer in CI: the quote held the control characters raw.
        assert_eq!(
            err(&["protocol:'m\u{e}\0x"]),
            "the device address is missing: the parameters must begin with it (PRTG's %host), as in '%host protocol:'m\\x0e\\0x'"
        );
        assert_eq!(
            err(&["port:", "7025,", "protocol:", "lmtp"]),
            "the device address is missing: the parameters must begin with it (PRTG's %host), as in '%host port: 7025, protocol: lmtp'"
        );
    }

    #[test]
    fn problems_are_typed_with_what_was_given() {
        let err = |list: &[&str]| parse(&args(list)).unwrap_err();
        assert_eq!(err(&[]), PrtgParamsError::MissingDevice);
        assert_eq!(
            err(&[" ,", "protocol: smtp"]),
            PrtgParamsError::MissingDevice
        );
        assert_eq!(
            err(&["port: 25,", "protocol: smtp"]),
            PrtgParamsError::DeviceNotFirst("port: 25, protocol: smtp".into())
        );
        assert_eq!(
            err(&["h", "port 25"]),
            PrtgParamsError::NotKeyValue("port 25".into())
        );
        assert_eq!(
            err(&["h", "port: '0'"]),
            PrtgParamsError::BadPort("0".into())
        );
        assert_eq!(
            err(&["h", "protocol: tls"]),
            PrtgParamsError::UnknownProtocol("tls".into())
        );
        assert_eq!(
            err(&["h", "protocol: smtp, cert_domainname_validation: \"san\""]),
            PrtgParamsError::BadValidation("san".into())
        );
        assert_eq!(
            err(&["h", "Colour: blue"]),
            PrtgParamsError::UnknownKey("colour".into())
        );
        assert_eq!(err(&["h", "port: 25"]), PrtgParamsError::MissingProtocol);
        assert_eq!(
            err(&[" ,", "protocol: smtp"]).to_string(),
            "the device address is missing"
        );
    }

    #[test]
    fn quoted_parameters_stay_on_one_short_line() {
        // Found by the prtg_params fuzzer: the parameters were quoted raw and whole.
        let err = |list: &[&str]| parse(&args(list)).unwrap_err().to_string();
        assert_eq!(
            err(&["h", "protocol: smtp, por\u{1}t: 25"]),
            format!("unknown parameter 'por\\x01t' (known: {KEYS})")
        );
        let long = "x".repeat(5000);
        assert_eq!(
            err(&["h", &format!("protocol: {long}")]),
            format!("unknown protocol '{}...' (smtp, lmtp or ldap)", &long[..60])
        );
        assert!(err(&["h", &format!("{long}\n")]).len() < 120);
    }
}
