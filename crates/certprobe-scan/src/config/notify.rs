//! `[alarms]`, `[notify]`, `[[owner]]` and `[default_owner]`: the tiers' limits, how
//! notices leave, and who owns what. Read with the rest of the file, so a bad rule is a
//! `certprobe.toml:14: ...` error before anything is sent.

use super::{duration_of, line_of, ConfigError};
use certprobe_alarm::channel::{
    is_address, Hook, MailSettings, MailTransport, NotifySettings, Secret, SmtpTls, SnmpTarget,
    SnmpVersion,
};
use certprobe_alarm::owner::{Owner, Owners, Placed};
use certprobe_alarm::rule::{CertificateRule, ServerRule};
use certprobe_alarm::Thresholds;
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

type At<'a> = &'a dyn Fn(Range<usize>, String) -> ConfigError;

/// certprobe's SNMP engine ID unless `engine_id` is given: RFC 3411's text format under
/// enterprise 8072 (Net-SNMP), `certprobe` (hex 80001f8804 63657274 70726f62 65).
pub const DEFAULT_ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04certprobe";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlarms {
    info_days: Option<Spanned<f64>>,
    warning_days: Option<Spanned<f64>>,
    critical_days: Option<Spanned<f64>>,
    min_rsa_bits: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    smtp: Option<Spanned<String>>,
    smtp_user: Option<Spanned<String>>,
    smtp_password: Option<Spanned<String>>,
    smtp_password_env: Option<Spanned<String>>,
    smtp_password_file: Option<Spanned<String>>,
    smtp_ca_file: Option<Spanned<String>>,
    smtp_timeout: Option<Spanned<toml::Value>>,
    from: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    templates: Option<Spanned<String>>,
    #[serde(default)]
    snmp: Vec<Spanned<RawSnmp>>,
    hook: Option<Spanned<toml::Value>>,
    hook_timeout: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSnmp {
    target: Spanned<String>,
    version: Spanned<String>,
    community: Option<Spanned<String>>,
    community_env: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    auth: Option<Spanned<String>>,
    auth_password: Option<Spanned<String>>,
    auth_password_env: Option<Spanned<String>>,
    privacy: Option<Spanned<String>>,
    privacy_password: Option<Spanned<String>>,
    privacy_password_env: Option<Spanned<String>>,
    engine_id: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOwner {
    name: Option<Spanned<String>>,
    #[serde(default)]
    email: Vec<Spanned<String>>,
    #[serde(default)]
    snmp: Vec<Spanned<RawSnmp>>,
    hook: Option<Spanned<toml::Value>>,
    #[serde(default)]
    certificates: Vec<Spanned<String>>,
    #[serde(default)]
    servers: Vec<Spanned<String>>,
    #[serde(default)]
    dual_layer: bool,
}

/// The tiers' limits, checked.
pub(super) fn alarms(
    raw: Option<Spanned<RawAlarms>>,
    at: At<'_>,
) -> Result<Thresholds, ConfigError> {
    let mut t = Thresholds::default();
    let Some(raw) = raw else { return Ok(t) };
    let span = raw.span();
    let raw = raw.into_inner();
    for (value, slot, key) in [
        (&raw.info_days, &mut t.info_days, "info_days"),
        (&raw.warning_days, &mut t.warning_days, "warning_days"),
        (&raw.critical_days, &mut t.critical_days, "critical_days"),
    ] {
        if let Some(v) = value {
            if !(0.0..=3650.0).contains(v.get_ref()) {
                return Err(at(
                    v.span(),
                    format!("{key}: {} is not 0 to 3650 days", v.get_ref()),
                ));
            }
            *slot = *v.get_ref();
        }
    }
    if let Some(bits) = &raw.min_rsa_bits {
        if !(512..=16384).contains(bits.get_ref()) {
            return Err(at(
                bits.span(),
                format!("min_rsa_bits: {} is not 512 to 16384", bits.get_ref()),
            ));
        }
        t.min_rsa_bits = *bits.get_ref();
    }
    t.check().map_err(|m| at(span, format!("alarms: {m}")))?;
    Ok(t)
}

/// `[notify]`, checked; `folder` resolves relative paths.
pub(super) fn notify(
    raw: Option<RawNotify>,
    folder: Option<&Path>,
    at: At<'_>,
) -> Result<NotifySettings, ConfigError> {
    let mut settings = NotifySettings::default();
    let Some(raw) = raw else { return Ok(settings) };
    let relative = |p: &Spanned<String>| match folder {
        Some(f) => f.join(p.get_ref()),
        None => p.get_ref().into(),
    };
    if let Some(smtp) = &raw.smtp {
        let transport =
            transport(smtp.get_ref()).map_err(|m| at(smtp.span(), format!("smtp: {m}")))?;
        let Some(from) = &raw.from else {
            return Err(at(
                smtp.span(),
                "smtp: mail needs a 'from' address too".to_string(),
            ));
        };
        if !is_address(from.get_ref()) {
            return Err(at(
                from.span(),
                format!("from: {}", not_address(from.get_ref())),
            ));
        }
        let password = match (
            &raw.smtp_password,
            &raw.smtp_password_env,
            &raw.smtp_password_file,
        ) {
            (Some(p), None, None) => Some(Secret(p.get_ref().clone())),
            (None, Some(env), None) => Some(from_env(env, "smtp_password_env", at)?),
            (None, None, Some(file)) => {
                let text = std::fs::read_to_string(relative(file)).map_err(|e| {
                    at(
                        file.span(),
                        format!(
                            "smtp_password_file: cannot read it: {}",
                            certprobe_inventory::error::io_words(&e)
                        ),
                    )
                })?;
                Some(Secret(text.trim_end_matches(['\r', '\n']).to_string()))
            }
            (None, None, None) => None,
            _ => {
                return Err(at(
                    smtp.span(),
                    "smtp: give one of smtp_password, smtp_password_env and smtp_password_file"
                        .to_string(),
                ))
            }
        };
        if password.is_some() && raw.smtp_user.is_none() {
            return Err(at(
                smtp.span(),
                "smtp: a password needs an smtp_user".to_string(),
            ));
        }
        if let Some(user) = &raw.smtp_user {
            if user.get_ref().chars().any(char::is_control) || user.get_ref().is_empty() {
                return Err(at(
                    user.span(),
                    "smtp_user: it is empty or has control characters".to_string(),
                ));
            }
        }
        settings.mail = Some(MailSettings {
            transport,
            from: from.get_ref().clone(),
            user: raw.smtp_user.as_ref().map(|u| u.get_ref().clone()),
            password,
            ca_file: raw.smtp_ca_file.as_ref().map(relative),
            timeout: duration_of(&raw.smtp_timeout, "smtp_timeout", at)?
                .unwrap_or(Duration::from_secs(30)),
        });
    } else if let Some(from) = &raw.from {
        if !is_address(from.get_ref()) {
            return Err(at(
                from.span(),
                format!("from: {}", not_address(from.get_ref())),
            ));
        }
    }
    settings.snmp = raw
        .snmp
        .iter()
        .map(|s| snmp(s, at))
        .collect::<Result<_, _>>()?;
    settings.hook = raw.hook.as_ref().map(|h| hook(h, at)).transpose()?;
    if let Some(timeout) = duration_of(&raw.hook_timeout, "hook_timeout", at)? {
        settings.hook_timeout = timeout;
    }
    if let Some(url) = &raw.base_url {
        let text = url.get_ref();
        if !(text.starts_with("http://") || text.starts_with("https://"))
            || text.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(at(
                url.span(),
                format!(
                    "base_url: '{}' is not an http:// or https:// address",
                    certprobe::text::quote(text, 80)
                ),
            ));
        }
        settings.base_url = Some(text.trim_end_matches('/').to_string());
    }
    settings.templates = raw.templates.as_ref().map(relative);
    Ok(settings)
}

/// A message names its receiver as the log shows it (`udp:nms:162 (v3 user certprobe)`) and
/// finds it again by that name when it is sent: two receivers of one name must be one.
pub(super) fn distinct_receivers(settings: &NotifySettings, owners: &Owners) -> Result<(), String> {
    let all: Vec<&SnmpTarget> = settings
        .snmp
        .iter()
        .chain(
            owners
                .owners
                .iter()
                .chain(std::iter::once(&owners.default))
                .flat_map(|o| &o.snmp),
        )
        .collect();
    for (i, a) in all.iter().enumerate() {
        if let Some(b) = all[..i].iter().find(|b| b.label() == a.label()) {
            if b != a {
                return Err(format!(
                    "snmp: two receivers are {} with other credentials; give them different users",
                    a.label()
                ));
            }
        }
    }
    Ok(())
}

/// `[[owner]]` sections and `[default_owner]`, checked.
pub(super) fn owners(
    raw: Vec<Spanned<RawOwner>>,
    default: Option<Spanned<RawOwner>>,
    mail: bool,
    file: &str,
    text: &str,
    at: At<'_>,
) -> Result<Owners, ConfigError> {
    let mut owners: Vec<Owner> = Vec::new();
    for section in raw {
        let span = section.span();
        let section = section.into_inner();
        let Some(name) = &section.name else {
            return Err(at(span, "owner: every [[owner]] needs a name".to_string()));
        };
        let owner = owner(
            &section,
            name.get_ref().trim().to_string(),
            span.clone(),
            mail,
            file,
            text,
            at,
        )?;
        if !super::is_job_name(&owner.name) {
            return Err(at(
                name.span(),
                format!(
                    "name: '{}' is not an owner name (letters, digits, '-', '_' and '.')",
                    certprobe::text::quote(name.get_ref(), 40)
                ),
            ));
        }
        if owners.iter().any(|o| o.name == owner.name) || owner.name == "default" {
            return Err(at(
                name.span(),
                format!("name: an owner '{}' is defined twice", owner.name),
            ));
        }
        if owner.certificates.is_empty() && owner.servers.is_empty() {
            return Err(at(
                span,
                format!(
                    "owner '{}' has no certificates or servers rules, so it owns nothing",
                    owner.name
                ),
            ));
        }
        owners.push(owner);
    }
    let default = match default {
        None => Owner {
            name: "default".to_string(),
            ..Owner::default()
        },
        Some(section) => {
            let span = section.span();
            let section = section.into_inner();
            if !section.certificates.is_empty() || !section.servers.is_empty() || section.dual_layer
            {
                return Err(at(
                    span,
                    "default_owner: it owns what no rule matches, so it has no rules".to_string(),
                ));
            }
            let name = section
                .name
                .as_ref()
                .map_or("default".to_string(), |n| n.get_ref().trim().to_string());
            if owners.iter().any(|o| o.name == name) || !super::is_job_name(&name) {
                return Err(at(
                    span,
                    format!(
                        "default_owner: '{}' is another owner's name or not a name",
                        certprobe::text::quote(&name, 40)
                    ),
                ));
            }
            owner(&section, name, span, mail, file, text, at)?
        }
    };
    Ok(Owners { owners, default })
}

fn owner(
    raw: &RawOwner,
    name: String,
    span: Range<usize>,
    mail: bool,
    file: &str,
    text: &str,
    at: At<'_>,
) -> Result<Owner, ConfigError> {
    let place = |s: Range<usize>| format!("{file}:{}", line_of(text, s.start));
    if let (Some(first), false) = (raw.email.first(), mail) {
        return Err(at(
            first.span(),
            "email: [notify] has no smtp, so these addresses would get nothing".to_string(),
        ));
    }
    let email = raw
        .email
        .iter()
        .map(|e| {
            if is_address(e.get_ref()) {
                Ok(e.get_ref().clone())
            } else {
                Err(at(e.span(), format!("email: {}", not_address(e.get_ref()))))
            }
        })
        .collect::<Result<_, _>>()?;
    let certificates = raw
        .certificates
        .iter()
        .map(|r| {
            CertificateRule::parse(r.get_ref())
                .map(|rule| Placed {
                    rule,
                    at: place(r.span()),
                })
                .map_err(|m| at(r.span(), format!("certificates: {m}")))
        })
        .collect::<Result<_, _>>()?;
    let servers = raw
        .servers
        .iter()
        .map(|r| {
            ServerRule::parse(r.get_ref())
                .map(|rule| Placed {
                    rule,
                    at: place(r.span()),
                })
                .map_err(|m| at(r.span(), format!("servers: {m}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Owner {
        name,
        at: place(span),
        email,
        snmp: raw
            .snmp
            .iter()
            .map(|s| snmp(s, at))
            .collect::<Result<_, _>>()?,
        hook: raw.hook.as_ref().map(|h| hook(h, at)).transpose()?,
        certificates,
        servers,
        dual_layer: raw.dual_layer,
    })
}

fn not_address(text: &str) -> String {
    format!(
        "'{}' is not an email address",
        certprobe::text::quote(text, 80)
    )
}

/// `smtp://host[:port][?tls=...]`, `smtps://host[:port]`, `sendmail` or `sendmail:PATH`.
fn transport(url: &str) -> Result<MailTransport, String> {
    if url == "sendmail" {
        return Ok(MailTransport::Sendmail {
            program: "/usr/sbin/sendmail".to_string(),
        });
    }
    if let Some(program) = url.strip_prefix("sendmail:") {
        if !program.starts_with('/') {
            return Err(format!(
                "'{}' is not an absolute path to sendmail",
                certprobe::text::quote(program, 80)
            ));
        }
        return Ok(MailTransport::Sendmail {
            program: program.to_string(),
        });
    }
    let (implicit, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("smtp://") {
        (false, rest)
    } else {
        return Err(format!(
            "'{}' is not smtp://HOST[:PORT], smtps://HOST[:PORT] or sendmail",
            certprobe::text::quote(url, 80)
        ));
    };
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority.trim_end_matches('/');
    let tls = match (implicit, query) {
        (true, "") => SmtpTls::Implicit,
        (false, "") | (false, "tls=required") => SmtpTls::StartTls,
        (false, "tls=opportunistic") => SmtpTls::Opportunistic,
        (false, "tls=none") => SmtpTls::None,
        _ => {
            return Err(format!(
                "'?{}' is not tls=required, tls=opportunistic or tls=none (smtp:// only)",
                certprobe::text::quote(query, 40)
            ))
        }
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') || host.starts_with('[') => {
            let port =
                port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    format!("'{}' is not a port", certprobe::text::quote(port, 20))
                })?;
            (host, port)
        }
        _ => (authority, if implicit { 465 } else { 587 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty()
        || host.contains('@')
        || host
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '/')
    {
        return Err(format!(
            "'{}' is not a host name (put the user in smtp_user)",
            certprobe::text::quote(host, 80)
        ));
    }
    Ok(MailTransport::Smtp {
        host: host.to_string(),
        port,
        tls,
    })
}

fn from_env(name: &Spanned<String>, key: &str, at: At<'_>) -> Result<Secret, ConfigError> {
    std::env::var(name.get_ref()).map(Secret).map_err(|_| {
        at(
            name.span(),
            format!(
                "{key}: the environment variable {} is not set",
                certprobe::text::quote(name.get_ref(), 40)
            ),
        )
    })
}

/// A secret given inline or by environment variable, one of the two.
fn secret(
    inline: &Option<Spanned<String>>,
    env: &Option<Spanned<String>>,
    key: &str,
    span: Range<usize>,
    at: At<'_>,
) -> Result<Option<Secret>, ConfigError> {
    match (inline, env) {
        (Some(v), None) => Ok(Some(Secret(v.get_ref().clone()))),
        (None, Some(e)) => from_env(e, &format!("{key}_env"), at).map(Some),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(at(span, format!("snmp: give {key} or {key}_env, not both"))),
    }
}

fn snmp(raw: &Spanned<RawSnmp>, at: At<'_>) -> Result<SnmpTarget, ConfigError> {
    let span = raw.span();
    let raw = raw.get_ref();
    let target = raw.target.get_ref();
    let address = target.strip_prefix("udp:").unwrap_or(target);
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) if host.starts_with('[') || !host.contains(':') => {
            let port = port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                at(
                    raw.target.span(),
                    format!(
                        "target: '{}' is not a port",
                        certprobe::text::quote(port, 20)
                    ),
                )
            })?;
            (host.trim_start_matches('[').trim_end_matches(']'), port)
        }
        _ => (address.trim_start_matches('[').trim_end_matches(']'), 162),
    };
    if host.is_empty()
        || host
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '/')
    {
        return Err(at(
            raw.target.span(),
            format!(
                "target: '{}' is not udp:HOST[:PORT]",
                certprobe::text::quote(target, 80)
            ),
        ));
    }
    let version = match raw.version.get_ref().as_str() {
        "2c" | "v2c" => {
            let community = secret(
                &raw.community,
                &raw.community_env,
                "community",
                span.clone(),
                at,
            )?
            .ok_or_else(|| {
                at(
                    span.clone(),
                    "snmp: version 2c needs a community".to_string(),
                )
            })?;
            SnmpVersion::V2c { community }
        }
        "3" | "v3" => {
            let user = raw
                .user
                .as_ref()
                .map(|u| u.get_ref().clone())
                .filter(|u| !u.is_empty() && u.len() <= 32 && !u.chars().any(char::is_control))
                .ok_or_else(|| {
                    at(
                        span.clone(),
                        "snmp: version 3 needs a user (1 to 32 characters)".to_string(),
                    )
                })?;
            for (given, want, key) in [(&raw.auth, "SHA", "auth"), (&raw.privacy, "AES", "privacy")]
            {
                if let Some(v) = given {
                    if !v.get_ref().eq_ignore_ascii_case(want) {
                        return Err(at(
                            v.span(),
                            format!("{key}: only {want} is supported (authPriv with SHA and AES)"),
                        ));
                    }
                }
            }
            let password = |inline, env, key: &str| -> Result<Secret, ConfigError> {
                let secret = secret(inline, env, key, span.clone(), at)?
                    .ok_or_else(|| at(span.clone(), format!("snmp: version 3 needs {key}")))?;
                if secret.0.len() < 8 {
                    return Err(at(
                        span.clone(),
                        format!("snmp: {key} must have 8 or more characters"),
                    ));
                }
                Ok(secret)
            };
            let engine_id = match &raw.engine_id {
                None => DEFAULT_ENGINE_ID.to_vec(),
                Some(id) => engine_id(id.get_ref()).ok_or_else(|| {
                    at(
                        id.span(),
                        format!(
                            "engine_id: '{}' is not 5 to 32 bytes of hex (0x80001f88...)",
                            certprobe::text::quote(id.get_ref(), 80)
                        ),
                    )
                })?,
            };
            SnmpVersion::V3 {
                user,
                auth_password: password(
                    &raw.auth_password,
                    &raw.auth_password_env,
                    "auth_password",
                )?,
                privacy_password: password(
                    &raw.privacy_password,
                    &raw.privacy_password_env,
                    "privacy_password",
                )?,
                engine_id,
            }
        }
        other => {
            return Err(at(
                raw.version.span(),
                format!(
                    "version: '{}' is not 2c or 3",
                    certprobe::text::quote(other, 20)
                ),
            ))
        }
    };
    Ok(SnmpTarget {
        host: host.to_string(),
        port,
        version,
    })
}

fn engine_id(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("0x").unwrap_or(text);
    if !hex.len().is_multiple_of(2) || !(10..=64).contains(&hex.len()) {
        return None;
    }
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect()
}

/// A program path, or a list of the program and its arguments.
fn hook(raw: &Spanned<toml::Value>, at: At<'_>) -> Result<Hook, ConfigError> {
    let argv: Option<Vec<String>> = match raw.get_ref() {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    };
    match argv {
        Some(argv)
            if argv.first().is_some_and(|p| !p.is_empty())
                && !argv.iter().any(|a| a.contains('\0')) =>
        {
            Ok(Hook { argv })
        }
        _ => Err(at(
            raw.span(),
            "hook: it is a program, or a list of the program and its arguments".to_string(),
        )),
    }
}
