//! `certprobe inventory ...`: the queries, as tables, CSV or JSON.

use crate::cli::{CleanupArgs, DirectorFormat, ExportArgs, ExportTarget, InventoryCommand};
use crate::export;
use crate::inventory_db::{self, Open};
use crate::output::{days_left, render, when, OutputFormat, Tabular, FINGERPRINT};
use crate::FleetError;
use certprobe::protocol::Protocol;
use certprobe_inventory::query::Source;
use certprobe_inventory::query::{
    CertificateFilter, CertificateRow, DeploymentRow, EndpointFilter, EndpointRow, EventRow,
    HistoryOf, RunRow,
};
use std::net::IpAddr;
use std::path::Path;

/// Runs a query; returns what to print.
pub fn run(command: &InventoryCommand, db: &Path) -> Result<String, FleetError> {
    match command {
        InventoryCommand::Export(a) => return export_to(a, db),
        InventoryCommand::Cleanup(a) => return cleanup(a, db),
        InventoryCommand::Migrate(a) => return migrate(a),
        InventoryCommand::Import(a) => return crate::import_cmd::run(a, db),
        _ => {}
    }
    // Arguments first: a typo is a usage error whether or not the inventory exists.
    let history = match command {
        InventoryCommand::History(a) => Some(history_of(&a.subject)?),
        _ => None,
    };
    let addresses = match command {
        InventoryCommand::Endpoints(a) => match a.address.as_deref() {
            None => (None, None),
            Some(text) => address_filter(text)?,
        },
        _ => (None, None),
    };
    let store = inventory_db::open(db, Open::Read)?;
    let now = certprobe::clock::now_unix();
    let fail = FleetError::Inventory;
    Ok(match command {
        InventoryCommand::Certificates(a) => {
            let filter = CertificateFilter {
                expiring_before: a.expiring.map(|days| now + (days * 86_400.0) as i64),
                issuer: a.issuer.clone(),
                key_type: a.key.clone(),
                key_bits_below: a.key_below,
                signature: a.signature.clone(),
                state: a.state.map(|s| s.code()),
                job: a.job.clone(),
                all: a.all,
            };
            let rows: Vec<Certificate> = store
                .certificates(&filter)
                .map_err(fail)?
                .into_iter()
                .map(|row| Certificate { row, now })
                .collect();
            render(&rows, a.format.format, "no certificate matches")
        }
        InventoryCommand::Where(a) => {
            let rows: Vec<Deployment> = store
                .deployments(&a.needle, a.ended)
                .map_err(fail)?
                .into_iter()
                .map(Deployment)
                .collect();
            render(
                &rows,
                a.format.format,
                &format!(
                    "'{}' is deployed nowhere{}",
                    certprobe::text::quote(&a.needle, 80),
                    if a.ended {
                        ""
                    } else {
                        " now (--ended shows where it was)"
                    }
                ),
            )
        }
        InventoryCommand::Endpoints(a) => {
            let (address, range) = addresses;
            let filter = EndpointFilter {
                address,
                range,
                sni: a.name.clone(),
                port: a.port,
                state: a.state.map(|s| s.code()),
                job: a.job.clone(),
                stale_only: a.stale,
                source: a.source.map(|s| s.source()),
                host: a.host.clone(),
            };
            let rows: Vec<Endpoint> = store
                .endpoints(&filter)
                .map_err(fail)?
                .into_iter()
                .map(|row| Endpoint { row, now })
                .collect();
            render(&rows, a.format.format, "no endpoint matches")
        }
        InventoryCommand::History(a) => {
            let of = history.unwrap_or(HistoryOf::Certificate(a.subject.clone()));
            let rows: Vec<Event> = store
                .history(&of)
                .map_err(fail)?
                .into_iter()
                .map(Event)
                .collect();
            render(&rows, a.format.format, "no events")
        }
        InventoryCommand::Runs(a) => {
            let rows: Vec<Run> = store
                .runs(a.job.as_deref(), a.limit)
                .map_err(fail)?
                .into_iter()
                .map(Run)
                .collect();
            render(&rows, a.format.format, "no runs yet")
        }
        InventoryCommand::Notifications(a) => {
            let rows: Vec<Notification> = store
                .deliveries(a.limit)
                .map_err(fail)?
                .into_iter()
                .map(Notification)
                .collect();
            render(&rows, a.format.format, "nothing was notified yet")
        }
        InventoryCommand::Export(_)
        | InventoryCommand::Cleanup(_)
        | InventoryCommand::Migrate(_)
        | InventoryCommand::Import(_) => String::new(),
    })
}

/// `inventory export`: the text for the monitoring system, on standard output or into
/// `--output` (then nothing is printed).
fn export_to(args: &ExportArgs, db: &Path) -> Result<String, FleetError> {
    let director = matches!(
        args.to,
        ExportTarget::DirectorHosts | ExportTarget::DirectorServices
    );
    if args.format.is_some() && !director {
        return Err(FleetError::Arguments(
            "--format applies to the Director exports only (zabbix-lld is JSON, prometheus the text exposition format)"
                .to_string(),
        ));
    }
    let store = inventory_db::open(db, Open::Read)?;
    let mut rows = store
        .export(args.job.as_deref())
        .map_err(FleetError::Inventory)?;
    // The places of files are no hosts or items to check over the network: Director and
    // Zabbix get the scanned endpoints; Prometheus keeps every certificate's dates.
    if !matches!(args.to, ExportTarget::Prometheus) {
        rows.retain(|row| !Source::is_audited(&row.endpoint.protocol));
    }
    let format = match args.format {
        Some(DirectorFormat::Json) => OutputFormat::Json,
        Some(DirectorFormat::Csv) | None => OutputFormat::Csv,
    };
    let text = match args.to {
        ExportTarget::DirectorHosts => render(&export::director_hosts(&rows), format, ""),
        ExportTarget::DirectorServices => render(&export::director_services(&rows), format, ""),
        ExportTarget::ZabbixLld => export::zabbix_lld(&rows),
        ExportTarget::Prometheus => export::prometheus(&rows, certprobe::clock::now_unix()),
    };
    match &args.output {
        Some(path) => {
            export::write_atomically(path, &text)?;
            Ok(String::new())
        }
        None => Ok(text),
    }
}

/// `inventory cleanup --older-than AGE`: the counts of what went.
fn cleanup(args: &CleanupArgs, db: &Path) -> Result<String, FleetError> {
    let before = certprobe::clock::now_unix()
        .saturating_sub(i64::try_from(args.older_than.as_secs()).unwrap_or(i64::MAX));
    let mut store = inventory_db::open(db, Open::Existing)?;
    let removed = store.cleanup(before).map_err(FleetError::Inventory)?;
    if args.json {
        let mut text = serde_json::json!({
            "before": before,
            "endpoints": removed.endpoints,
            "deployments": removed.deployments,
            "events": removed.events,
            "chains": removed.chains,
            "certificates": removed.certificates,
        })
        .to_string();
        text.push('\n');
        return Ok(text);
    }
    Ok(format!(
        "cleaned up what is older than {}: removed {}, {}, {}, {} and {}\n",
        certprobe::clock::format_utc(before),
        count(removed.endpoints, "endpoint", "endpoints"),
        count(removed.deployments, "deployment", "deployments"),
        count(removed.events, "event", "events"),
        count(removed.chains, "chain", "chains"),
        count(removed.certificates, "certificate", "certificates"),
    ))
}

/// `inventory migrate FROM TO`: every table copied, with its rows counted.
fn migrate(args: &crate::cli::MigrateArgs) -> Result<String, FleetError> {
    let from = certprobe_inventory_pg::Locator::of(&args.from).map_err(FleetError::Inventory)?;
    let to = certprobe_inventory_pg::Locator::of(&args.to).map_err(FleetError::Inventory)?;
    let copied = certprobe_inventory_pg::copy(&from, &to).map_err(FleetError::Inventory)?;
    if args.json {
        let tables: serde_json::Map<String, serde_json::Value> = copied
            .tables
            .iter()
            .map(|(table, rows)| (table.to_string(), serde_json::json!(rows)))
            .collect();
        let mut text = serde_json::json!({
            "from": from.shown(),
            "to": to.shown(),
            "rows": tables,
        })
        .to_string();
        text.push('\n');
        return Ok(text);
    }
    let rows = |table: &str| {
        copied
            .tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, rows)| *rows)
    };
    Ok(format!(
        "copied {} into {}: {}, {}, {}, {}, {} and {}\n",
        from.shown(),
        to.shown(),
        count(rows("certificate"), "certificate", "certificates"),
        count(rows("endpoint"), "endpoint", "endpoints"),
        count(rows("deployment"), "deployment", "deployments"),
        count(rows("event"), "event", "events"),
        count(rows("scan_run"), "run", "runs"),
        count(rows("notification"), "notification", "notifications"),
    ))
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One address, or a range (address and prefix length).
type AddressFilter = (Option<String>, Option<(IpAddr, u8)>);

/// `--address`: one address, or a range.
fn address_filter(text: &str) -> Result<AddressFilter, FleetError> {
    let bad = || {
        FleetError::Arguments(format!(
            "--address '{}' is not an address or a range",
            certprobe::text::quote(text, 60)
        ))
    };
    match text.split_once('/') {
        Some((ip, prefix)) => {
            let ip: IpAddr = ip.parse().map_err(|_| bad())?;
            let prefix: u8 = prefix.parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            if prefix > max {
                return Err(bad());
            }
            Ok((None, Some((ip, prefix))))
        }
        None => {
            let ip: IpAddr = text.trim_matches(['[', ']']).parse().map_err(|_| bad())?;
            Ok((Some(ip.to_string()), None))
        }
    }
}

/// An endpoint as the queries label it (`ADDRESS:PORT`, `[V6]:PORT`, each optionally with
/// `/PROTO` and ` (SNI)`: `192.0.2.10:25/smtp (mail.example.com)`), or a fingerprint prefix.
fn history_of(subject: &str) -> Result<HistoryOf, FleetError> {
    let text = subject.trim();
    if let Some(endpoint) = endpoint_label(text) {
        return Ok(endpoint);
    }
    let digits = text.chars().filter(|c| *c != ':').count();
    if digits >= 8 && text.chars().all(|c| c == ':' || c.is_ascii_hexdigit()) {
        return Ok(HistoryOf::Certificate(text.to_string()));
    }
    Err(FleetError::Arguments(format!(
        "'{}' is neither ADDRESS:PORT[/PROTO] nor a SHA-256 prefix of 8 or more hex digits",
        certprobe::text::quote(text, 60)
    )))
}

/// The parts of an endpoint label; `None` when `text` is not one.
fn endpoint_label(text: &str) -> Option<HistoryOf> {
    let (text, sni) = match text.strip_suffix(')').and_then(|t| t.split_once(" (")) {
        Some((endpoint, sni)) => (endpoint.trim(), Some(sni.trim().to_lowercase())),
        None => (text, None),
    };
    let (text, protocol) = match text.rsplit_once('/') {
        Some((endpoint, name)) => (
            endpoint,
            Some(Protocol::from_name(name)?.name().to_string()),
        ),
        None => (text, None),
    };
    let (address, port) = text.rsplit_once(':')?;
    let ip = address.trim_matches(['[', ']']).parse::<IpAddr>().ok()?;
    Some(HistoryOf::Endpoint {
        address: ip.to_string(),
        port: port.parse().ok()?,
        protocol,
        sni,
    })
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Notification(certprobe_inventory::notification::Delivery);

impl Tabular for Notification {
    fn headers() -> &'static [&'static str] {
        &[
            "ID",
            "PLANNED",
            "OWNER",
            "CHANNEL",
            "TO",
            "STATUS",
            "SENT",
            "ATTEMPTS",
            "LAST ERROR",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let d = &self.0;
        vec![
            d.id.to_string(),
            when(d.created),
            d.owner.clone(),
            d.channel.clone(),
            d.destination.clone(),
            d.status.clone(),
            d.sent_at.map(when).unwrap_or_default(),
            d.attempts.to_string(),
            d.last_error.clone(),
        ]
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Deployment(DeploymentRow);

impl Tabular for Deployment {
    fn headers() -> &'static [&'static str] {
        &[
            "ENDPOINT",
            "STATE",
            "POSITION",
            "CERTIFICATE",
            FINGERPRINT,
            "FIRST SEEN",
            "LAST SEEN",
            "SCANS",
            "ENDED",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let d = &self.0;
        vec![
            d.endpoint.clone(),
            d.state.clone(),
            if d.position == 0 {
                "leaf".to_string()
            } else {
                format!("chain {}", d.position)
            },
            d.subject.clone(),
            d.sha256.clone(),
            when(d.first_seen),
            when(d.last_seen),
            d.scans.to_string(),
            d.ended_at.map(when).unwrap_or_default(),
        ]
    }
}

#[derive(serde::Serialize)]
struct Certificate {
    #[serde(flatten)]
    row: CertificateRow,
    #[serde(skip)]
    now: i64,
}

impl Tabular for Certificate {
    fn headers() -> &'static [&'static str] {
        &[
            "DAYS LEFT",
            "EXPIRES",
            "SUBJECT",
            "ISSUER",
            "KEY",
            "ENDPOINTS",
            "STATE",
            FINGERPRINT,
        ]
    }
    fn cells(&self) -> Vec<String> {
        let c = &self.row;
        vec![
            days_left(c.not_after, self.now),
            when(c.not_after),
            c.subject.clone(),
            c.issuer.clone(),
            c.key.clone(),
            c.endpoints.to_string(),
            c.worst_state.clone(),
            c.sha256.clone(),
        ]
    }
}

#[derive(serde::Serialize)]
struct Endpoint {
    #[serde(flatten)]
    row: EndpointRow,
    #[serde(skip)]
    now: i64,
}

impl Tabular for Endpoint {
    fn headers() -> &'static [&'static str] {
        &[
            "ENDPOINT",
            "JOB",
            "STATE",
            "LAST SCAN",
            "DAYS LEFT",
            "SUMMARY",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let e = &self.row;
        let state = if e.stale {
            format!("{} (stale)", e.state)
        } else {
            e.state.clone()
        };
        vec![
            e.endpoint.clone(),
            e.job.clone(),
            state,
            when(e.last_scan),
            e.not_after
                .map(|t| days_left(t, self.now))
                .unwrap_or_default(),
            e.summary.clone(),
        ]
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Event(EventRow);

impl Tabular for Event {
    fn headers() -> &'static [&'static str] {
        &["WHEN", "ENDPOINT", "EVENT", "DETAIL", FINGERPRINT]
    }
    fn cells(&self) -> Vec<String> {
        let e = &self.0;
        vec![
            when(e.at),
            e.endpoint.clone(),
            e.kind.clone(),
            e.detail.clone(),
            e.sha256.clone(),
        ]
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
struct Run(RunRow);

impl Tabular for Run {
    fn headers() -> &'static [&'static str] {
        &[
            "RUN", "JOB", "ZONE", "HOST", "STARTED", "ENDED", "STATUS", "PLANNED", "CHECKED",
            "SERVED", "FAILED", "SILENT",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let r = &self.0;
        vec![
            r.id.to_string(),
            r.job.clone(),
            r.zone.clone(),
            r.host.clone(),
            when(r.started),
            r.ended.map(when).unwrap_or_default(),
            r.status.clone(),
            r.planned.to_string(),
            r.counts.checked.to_string(),
            r.counts.served.to_string(),
            r.counts.failed.to_string(),
            r.counts.silent.to_string(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(address: &str, port: u16, protocol: Option<&str>, sni: Option<&str>) -> HistoryOf {
        HistoryOf::Endpoint {
            address: address.to_string(),
            port,
            protocol: protocol.map(str::to_string),
            sni: sni.map(str::to_string),
        }
    }

    #[test]
    fn history_takes_the_endpoint_labels_the_queries_print() {
        let cases = [
            ("192.0.2.10:443", endpoint("192.0.2.10", 443, None, None)),
            (
                "[2001:db8::1]:636",
                endpoint("2001:db8::1", 636, None, None),
            ),
            (
                "192.0.2.10:25/smtp",
                endpoint("192.0.2.10", 25, Some("smtp"), None),
            ),
            (
                " 192.0.2.10:25/SMTP (Mail.Example.com) ",
                endpoint("192.0.2.10", 25, Some("smtp"), Some("mail.example.com")),
            ),
            (
                "192.0.2.10:443 (www.example.com)",
                endpoint("192.0.2.10", 443, None, Some("www.example.com")),
            ),
            (
                "192.0.2.10:443/tls",
                endpoint("192.0.2.10", 443, Some("tls"), None),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(history_of(text).ok(), Some(expected), "{text}");
        }
        assert_eq!(
            history_of("5E2F0A1B").ok(),
            Some(HistoryOf::Certificate("5E2F0A1B".to_string()))
        );
        for bad in [
            "192.0.2.10:25/gopher",
            "192.0.2.10",
            "host:443",
            "192.0.2.10:99999",
        ] {
            assert_eq!(
                history_of(bad).err().map(|e| e.to_string()),
                Some(format!(
                    "'{bad}' is neither ADDRESS:PORT[/PROTO] nor a SHA-256 prefix of 8 or more hex digits"
                )),
            );
        }
    }
}
