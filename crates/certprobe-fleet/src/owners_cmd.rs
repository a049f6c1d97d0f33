//! `certprobe owners`: the owners in the order their rules are tried, and for a
//! certificate or an endpoint, which rule decides, what else matched, and who is told.

use crate::cli::OwnersCommand;
use crate::inventory_db::{self, Open};
use crate::FleetError;
use certprobe_alarm::owner::Decision;
use certprobe_alarm::rule::hex_of;
use certprobe_alarm::security::alarms_of;
use certprobe_alarm::Owners;
use certprobe_inventory::model::colon_hex;
use certprobe_inventory::notification::AlarmInput;
use std::fmt::Write as _;
use std::path::Path;

/// Runs an `owners` command; returns what to print.
pub fn run(command: &OwnersCommand, db: &Path) -> Result<String, FleetError> {
    match command {
        OwnersCommand::List(args) => {
            let config =
                certprobe_scan::config::load(&args.config).map_err(FleetError::arguments)?;
            Ok(list(&config.owners))
        }
        OwnersCommand::Explain(args) => {
            let config =
                certprobe_scan::config::load(&args.config).map_err(FleetError::arguments)?;
            let needle = Needle::parse(&args.subject)?;
            let store = inventory_db::open(db, Open::Read)?;
            let inputs: Vec<AlarmInput> = store
                .alarm_inputs()
                .map_err(FleetError::Inventory)?
                .into_iter()
                .filter(|i| needle.matches(i))
                .collect();
            if inputs.is_empty() {
                return Err(FleetError::Scan(format!(
                    "no endpoint in the inventory serves '{}' now",
                    certprobe::text::quote(&args.subject, 80)
                )));
            }
            let now = certprobe::clock::now_unix();
            let mut out = String::new();
            for input in &inputs {
                explain(input, &config, now, &mut out);
            }
            Ok(out)
        }
    }
}

/// What `owners explain` was asked about.
enum Needle {
    Fingerprint(String),
    Endpoint(String),
}

impl Needle {
    fn parse(text: &str) -> Result<Needle, FleetError> {
        let text = text.trim();
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        if hex.len() >= 8 && hex.len() <= 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(Needle::Fingerprint(hex.to_ascii_uppercase()));
        }
        if text.is_empty() {
            return Err(FleetError::Arguments(
                "the endpoint or fingerprint is empty".to_string(),
            ));
        }
        Ok(Needle::Endpoint(text.to_string()))
    }

    fn matches(&self, input: &AlarmInput) -> bool {
        match self {
            Needle::Fingerprint(prefix) => hex_of(&input.leaf.sha256).starts_with(prefix.as_str()),
            Needle::Endpoint(label) => {
                let mine = input.endpoint.label();
                // `192.0.2.7:443` names every SNI name and protocol there.
                mine == *label
                    || mine.starts_with(&format!("{label} ("))
                    || mine.starts_with(&format!("{label}/"))
            }
        }
    }
}

fn explain(
    input: &AlarmInput,
    config: &certprobe_scan::config::Config,
    now: i64,
    out: &mut String,
) {
    let owners = &config.owners;
    let tier = config.thresholds.tier(input.leaf.not_after, now);
    let alarms: Vec<&str> = alarms_of(input, &config.thresholds)
        .iter()
        .map(|a| a.describe())
        .collect();
    let subject = if input.leaf.common_name.is_empty() {
        &input.leaf.subject
    } else {
        &input.leaf.common_name
    };
    let _ = writeln!(
        out,
        "{} serves {subject} (SHA-256 {}), tier {}, {}",
        input.endpoint.label(),
        &colon_hex(&input.leaf.sha256)[..23],
        tier.name(),
        if alarms.is_empty() {
            "no security alarm".to_string()
        } else {
            format!("alarms: {}", alarms.join(", "))
        }
    );
    let resolution = owners.resolve(input);
    for (certificates, heading) in [(true, "certificate rules"), (false, "server rules")] {
        let found: Vec<Decision> = owners.decisions(input, certificates).collect();
        if found.is_empty() {
            let _ = writeln!(out, "  {heading}: none matches");
            continue;
        }
        for (i, d) in found.iter().enumerate() {
            let owner = &owners.owners[d.owner];
            let (rule, at) = if certificates {
                let p = &owner.certificates[d.rule];
                (p.rule.to_string(), p.at.as_str())
            } else {
                let p = &owner.servers[d.rule];
                (p.rule.to_string(), p.at.as_str())
            };
            let role = if i == 0 {
                "decides"
            } else {
                "also matches, but an earlier rule in the file decides"
            };
            let _ = writeln!(
                out,
                "  {heading}: {} by '{rule}' ({at}) on {}: {role}",
                owner.name, d.matched
            );
        }
    }
    let told: Vec<&str> = owners
        .notified(&resolution)
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    let why = match (&resolution.certificate, &resolution.server) {
        (Some(c), Some(s)) if c.owner != s.owner => {
            let owner = &owners.owners[c.owner];
            if owner.dual_layer {
                format!("the certificate rule decides, and {} has dual_layer, so the server's owner is told too", owner.name)
            } else {
                format!(
                    "the certificate rule wins over the server rule; {} has no dual_layer",
                    owner.name
                )
            }
        }
        (Some(_), _) => "a certificate rule decides".to_string(),
        (None, Some(_)) => "no certificate rule matches; the server rule decides".to_string(),
        (None, None) => "no rule matches; the default owner is told".to_string(),
    };
    let _ = writeln!(out, "  told: {} ({why})", told.join(", "));
}

fn list(owners: &Owners) -> String {
    let mut out = String::new();
    let receivers = |o: &certprobe_alarm::Owner| {
        let mut r: Vec<String> = o.email.clone();
        r.extend(o.snmp.iter().map(|t| t.label()));
        r.extend(o.hook.iter().map(|h| format!("hook {}", h.label())));
        if r.is_empty() {
            "no receivers of its own".to_string()
        } else {
            r.join(", ")
        }
    };
    let _ = writeln!(out, "Certificate rules are tried first, then server rules; in each, the first owner in the file whose rule matches decides.");
    for o in &owners.owners {
        let _ = writeln!(
            out,
            "{} ({}): {}{}",
            o.name,
            o.at,
            receivers(o),
            if o.dual_layer { "; dual_layer" } else { "" }
        );
        for p in &o.certificates {
            let _ = writeln!(out, "  certificates: {} ({})", p.rule, p.at);
        }
        for p in &o.servers {
            let _ = writeln!(out, "  servers: {} ({})", p.rule, p.at);
        }
    }
    let d = &owners.default;
    let _ = writeln!(out, "{} (the default owner): {}", d.name, receivers(d));
    out.lines()
        .map(|l| certprobe::text::visible(l) + "\n")
        .collect()
}
