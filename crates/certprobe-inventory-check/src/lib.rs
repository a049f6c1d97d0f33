//! `check_cert_inventory`: a plugin over the certprobe inventory, like `icingacli x509 check
//! host` but with the whole verdict. It reads only the database (no network, no trust store):
//! the endpoints of an address or SNI name (one port, or all of them), each judged by what its
//! latest scan stored, with the expiry judged again now against `-w`/`-c` (days, a Nagios
//! range, or a share of the lifetime), stale data and data older than `--max-age` said so, in
//! every output format of the plugins.
//!
//! [`run`] parses and checks and returns text and exit code (tests call it); [`main`] adds the
//! watchdog and the exit, as the other plugins do.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod audits;
pub mod output;
pub mod rebuild;
pub mod stored;

pub use args::{ArgError, Args};

use certprobe::render::{Format, Rendered};
use certprobe::verdict::{Check, Policy, State};
use certprobe::{Outcome, Protocol};
use certprobe_cli::Plugin;
use certprobe_inventory::query::{EndpointFilter, Source};
use certprobe_inventory_pg::{Locator, Open};
use std::ffi::OsString;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The plugin as the outputs name it.
pub const INVENTORY: Plugin = Plugin {
    binary: "check_cert_inventory",
    short_name: "CERT_INVENTORY",
    protocol: Protocol::Tls,
    usage: "--ip ADDR | -H NAME [-p PORT] [options]",
};

/// What to check, and how.
#[derive(Debug, Clone)]
pub struct Request {
    /// The inventory.
    pub db: PathBuf,
    /// The endpoints' address.
    pub ip: Option<IpAddr>,
    /// The SNI name they were scanned with (ASCII form).
    pub sni: Option<String>,
    /// The audited host whose places to check (`--source file --host`); its audits with
    /// `--audit-age`.
    pub audited_host: Option<String>,
    /// Only endpoints of this source.
    pub source: Option<Source>,
    /// The port; every port when absent.
    pub port: Option<u16>,
    /// `-w`/`-c` for the expiry findings; the rest is the plugins' defaults.
    pub policy: Policy,
    /// `--max-age` in seconds, and as given.
    pub max_age: Option<(i64, String)>,
    /// The state of data older than `--max-age` (and of audits older than `--audit-age`).
    pub max_age_state: State,
    /// `--audit-age` in seconds, and as given: check hosts' audits, not endpoints.
    pub audit_age: Option<(i64, String)>,
    /// The output format.
    pub format: Format,
    /// `-v` count.
    pub verbosity: u8,
    /// The time limit.
    pub timeout: Duration,
}

/// The clap command of check_cert_inventory: the one [`parse`] uses, for the man page and the
/// shell completions (`examples/gen_docs.rs`).
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}

/// Parses arguments (the first is the program name); on failure, what to print: UNKNOWN in
/// the caller's format (PRTG gets its JSON), `--help` and `--version` with exit 3.
pub fn parse(args: Vec<OsString>) -> Result<Request, Rendered> {
    let (args, format) = certprobe_cli::parse_args::<Args>(INVENTORY, command(), args)?;
    let usage =
        |message: &dyn std::fmt::Display| certprobe_cli::usage_error(INVENTORY, format, message);
    args.request().map_err(|e| usage(&e))
}

/// Checks the request's endpoints at the time `now` (Unix seconds).
pub fn check(request: &Request, now: i64) -> Rendered {
    let context = INVENTORY.context(request.verbosity);
    let unknown = |check: Check, message: &str| {
        certprobe::render::render(request.format, &Outcome::unknown(check, message), &context)
    };
    let store = match Locator::of(&request.db).and_then(|inventory| inventory.open(Open::Read)) {
        Ok(store) => store,
        Err(e) => return unknown(Check::Setup, &e.to_string()),
    };
    if let Some(age) = &request.audit_age {
        return audits::check(store.as_ref(), request, age, now, &context);
    }
    let filter = EndpointFilter {
        address: request.ip.map(|ip| ip.to_string()),
        sni: request.sni.clone(),
        port: request.port,
        source: request.source,
        host: request.audited_host.clone(),
        ..EndpointFilter::default()
    };
    let mut details = match store.endpoint_details(&filter) {
        Ok(details) => details,
        Err(e) => return unknown(Check::Setup, &e.to_string()),
    };
    // A place an audit found removed holds no certificate to check any more.
    details.retain(|d| d.error_kind.as_deref() != Some(REMOVED));
    let db = store.path();
    if details.is_empty() {
        return unknown(
            Check::Inventory,
            &format!("the inventory {db} holds no endpoint {}", asked(request)),
        );
    }
    let judging = rebuild::Judging {
        policy: request.policy.clone(),
        now,
        max_age: request.max_age.clone(),
        max_age_state: request.max_age_state,
    };
    let endpoints: Vec<output::Endpoint<'_>> = details
        .iter()
        .map(|detail| output::Endpoint {
            detail,
            label: output::label(detail),
            outcome: rebuild::outcome(detail, &judging),
        })
        .collect();
    // The places of files are certificates to the reader, as check_cert_file calls them.
    let plural = match request.source {
        Some(Source::File) => "certificates",
        _ => "endpoints",
    };
    output::render(request.format, &endpoints, plural, &db, &context)
}

/// The failure kind `certprobe audit` records for a place it no longer finds.
const REMOVED: &str = "removed";

/// What was asked for, in words: `at address 192.0.2.10 with SNI name www.example.com on port 443`.
fn asked(request: &Request) -> String {
    let mut parts = Vec::new();
    match request.source {
        Some(Source::File) => parts.push("from a file".to_string()),
        Some(Source::Network) => parts.push("from the network".to_string()),
        None => {}
    }
    if let Some(host) = &request.audited_host {
        parts.push(format!("of host {}", certprobe::text::quote(host, 80)));
    }
    if let Some(ip) = request.ip {
        parts.push(format!("at address {ip}"));
    }
    if let Some(sni) = &request.sni {
        parts.push(format!("with SNI name {sni}"));
    }
    if let Some(port) = request.port {
        parts.push(format!("on port {port}"));
    }
    parts.join(" ")
}

/// Parses and checks in one call, at the time `now`: what the binary does, minus the exit.
pub fn run(args: Vec<OsString>, now: i64) -> Rendered {
    match parse(args) {
        Ok(request) => check(&request, now),
        Err(rendered) => rendered,
    }
}

/// The entry point of the binary: arguments (or PRTG Script v2's on stdin), a watchdog at
/// `--timeout`, the check, the output and the exit code.
pub fn main() -> ! {
    certprobe_cli::main_with(
        parse,
        |request| {
            let on_timeout = certprobe::render::render(
                request.format,
                &Outcome::unknown(
                    Check::Timeout,
                    &format!(
                        "the inventory {} could not be read within {} s",
                        request.db.display(),
                        request.timeout.as_secs_f64()
                    ),
                ),
                &INVENTORY.context(0),
            );
            (request.timeout, on_timeout)
        },
        |request| check(request, certprobe::clock::now_unix()),
    )
}
