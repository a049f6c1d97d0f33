//! The `certprobe` command line.

use crate::output::OutputFormat;
use certprobe_cli::CheckArgs;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Finds every certificate on your networks and keeps an inventory of them.
#[derive(Debug, Parser)]
#[command(name = "certprobe", version, propagate_version = true)]
pub struct Cli {
    /// The inventory: an SQLite file, or a shared PostgreSQL database as
    /// postgres://user@host/database?sslmode=verify-full&sslrootcert=FILE [default:
    /// $CERTPROBE_DB, else /var/lib/certprobe/inventory.sqlite for root, else the XDG data
    /// folder].
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub db: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scans targets x ports, or a job of the config file, into the inventory.
    Scan(Box<ScanArgs>),
    /// Queries the inventory.
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Runs the config's jobs on their cron schedules until SIGTERM or Ctrl-C.
    Daemon(DaemonArgs),
    /// Reads the certificates in files, folders and keystores into the inventory.
    Audit(Box<AuditArgs>),
    /// Tells each certificate's owner what changed since the last time: a tier crossed, a
    /// security alarm raised or resolved, a renewal; by email, SNMP trap and hook.
    Notify(NotifyArgs),
    /// Who owns what: the owners in the order they are tried, or which rule decides for a
    /// certificate or an endpoint, and why.
    #[command(subcommand)]
    Owners(OwnersCommand),
    /// Writes the reports into a folder: the dashboard, daily status, weekly trend,
    /// compliance, the expiry timeline and the alarm history, each as HTML, CSV and JSON.
    Report(ReportArgs),
    /// Serves a read-only dashboard over the inventory: the reports' pages, live, with
    /// searchable certificate and endpoint lists and a page per certificate.
    Serve(ServeArgs),
}

/// `certprobe report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The folder to write into (made if missing; files in it are replaced whole).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The config file whose owners and [alarms] limits the reports use; its [notify]
    /// base_url links certificates to the dashboard.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only these reports (comma-separated): dashboard, certificates, daily, weekly,
    /// compliance, timeline, alarms [default: all].
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = report_name)]
    pub only: Vec<certprobe_report::files::Report>,
    /// Judge the tiers at this time instead of now (Unix seconds or `2026-12-31 23:59:59 UTC`);
    /// for tests.
    #[arg(long, hide = true, value_name = "TIME")]
    pub now: Option<String>,
}

fn report_name(text: &str) -> Result<certprobe_report::files::Report, String> {
    certprobe_report::files::Report::from_name(text.trim()).ok_or_else(|| {
        format!("'{text}' is not a report: dashboard, certificates, daily, weekly, compliance, timeline or alarms")
    })
}

/// `certprobe serve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The dashboard only reads. On an address other than loopback it wants basic \
authentication (--user and --password-file), unless --no-auth says that something in front of it does; \
behind a TLS proxy, serve on 127.0.0.1 and let the proxy reach it."
)]
pub struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The config file whose owners and [alarms] limits the pages use.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The user name of basic authentication.
    #[arg(long, value_name = "NAME", requires = "password_file")]
    pub user: Option<String>,
    /// A file with the password of basic authentication (its first line).
    #[arg(long, value_name = "FILE", requires = "user")]
    pub password_file: Option<PathBuf>,
    /// Serve on an address other than loopback without authentication.
    #[arg(long, conflicts_with = "user")]
    pub no_auth: bool,
}

/// `certprobe notify`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each certificate at each endpoint is told to its owner once per tier it enters (Info, \
Warning, Critical, Expired) and once per security alarm (weak key, MD5/SHA-1 signature, TLS 1.0/1.1, \
untrusted, name mismatch, revoked), then again only when that changes: resolved, or renewed (a new \
certificate starts again). What was told and every message are kept in the inventory, so a notifier that \
stops at any moment sends nothing twice and forgets nothing; a message that fails is tried again by the \
next run, after 1, 2, 4 ... minutes (at most 6 hours). Exit status: 0 when everything due was sent, 1 when \
a message failed (it waits for the next run), 2 for a bad config."
)]
pub struct NotifyArgs {
    /// The config file with [notify], [[owner]], [default_owner] and [alarms].
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Show what would be sent, without sending or recording anything.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object per message instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Judge the tiers at this time instead of now (Unix seconds or `2026-12-31 23:59:59 UTC`);
    /// for tests.
    #[arg(long, hide = true, value_name = "TIME")]
    pub now: Option<String>,
}

/// `certprobe owners`.
#[derive(Debug, Subcommand)]
pub enum OwnersCommand {
    /// Which owner's rule decides for a certificate (SHA-256 prefix) or an endpoint
    /// (ADDRESS:PORT[/PROTO] [(SNI)], file:HOST:PATH), what else matched, and who is told.
    Explain(ExplainArgs),
    /// The owners in the order their rules are tried, with their rules and receivers.
    List(OwnersListArgs),
}

/// `owners explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A SHA-256 prefix of 8+ hex digits, or an endpoint as the queries show it.
    #[arg(value_name = "FINGERPRINT|ENDPOINT")]
    pub subject: String,
    /// The config file with the [[owner]] sections.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// `owners list`.
#[derive(Debug, clap::Args)]
pub struct OwnersListArgs {
    /// The config file with the [[owner]] sections.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// `certprobe audit`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Formats are told by content: PEM, DER, PKCS#7, PKCS#12, Java JKS and JCEKS. A file that is one \
chain is one place in the inventory (file:HOST:/path); a bundle of unrelated certificates is one place per \
certificate (/path#1, /path#2, ...), a keystore one per entry (/path#alias). Files without a certificate are \
counted, not stored."
)]
pub struct AuditArgs {
    /// Files and folders to read (folders recursively).
    #[arg(
        value_name = "PATH",
        required_unless_present_any = ["config", "windows_store"],
        conflicts_with = "config"
    )]
    pub paths: Vec<PathBuf>,

    /// A Windows certificate store to read (repeatable): My (the machine's),
    /// LocalMachine\WebHosting, CurrentUser\My, 'LocalMachine\Remote Desktop'; each
    /// certificate is a place, with its friendly name and whether it has a private key. On
    /// Windows only.
    #[arg(long, value_name = "STORE", value_parser = certprobe_winstore::StoreName::parse)]
    pub windows_store: Vec<certprobe_winstore::StoreName>,

    /// Run the config file's [[audit]] sections instead (their [defaults] too); --job NAME
    /// runs one. The options given here win over the sections'.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Only files below a folder matching one of these globs: '**/*.pem' (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Leave out files and folders matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Follow symbolic links below the paths (a loop is reported, never followed).
    #[arg(long)]
    pub follow_symlinks: bool,

    /// The password of PKCS#12 files and keystores, from this file (its first line).
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,

    /// The password of PKCS#12 files and keystores, from this environment variable.
    #[arg(long, value_name = "NAME")]
    pub password_env: Option<String>,

    /// The name every certificate must cover (as check_cert_file's --name; --name-check
    /// says how); no name check without it, or per file with names in an [[audit]] section.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The job the audit is recorded as [default: audit]; with --config, the [[audit]] to run.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,

    /// This auditor's zone, stored on every place [default: none].
    #[arg(long, value_name = "NAME")]
    pub zone: Option<String>,

    /// Print the run's summary as JSON.
    #[arg(long)]
    pub json: bool,

    /// Write the audit to this file (JSON, written whole or not at all) instead of the
    /// inventory, for `certprobe inventory import FILE` on the central host.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,

    /// Then tell the owners of --config what changed, as `certprobe notify --config FILE`
    /// does (exit 1 when a message was not sent).
    #[arg(long, requires = "config", conflicts_with = "export")]
    pub notify: bool,

    /// Print the run's summary as a monitoring check result (one plugin line with perfdata;
    /// exit 0 OK, 1 WARNING with unreadable files, 2 CRITICAL when it cannot run, 3 UNKNOWN for
    /// bad arguments): for Icinga 2 satellites and agents, Zabbix proxies, PRTG probes.
    #[arg(long, conflicts_with_all = ["json", "notify"])]
    pub as_check: bool,

    /// The checks, as in the plugins.
    #[command(flatten)]
    pub check: CheckArgs,
}

/// `certprobe daemon`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Every [[job]] with a schedule runs on it (five-field cron, local time), one run of a job at a \
time; a job whose run is still going when its time comes again is skipped. A run that a signal interrupted \
is continued when the daemon starts again. One line per run on standard error."
)]
pub struct DaemonArgs {
    /// The config file: [defaults], [sni] and [[job]] sections with schedules.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// For tests: the schedule's clock starts at START (local time, 2026-12-01T03:00:00)
    /// when the daemon is ready, and runs SPEED times as fast as the real one. The scans and
    /// the inventory keep the real time.
    #[arg(long, value_name = "START[,SPEED]", hide = true)]
    pub test_clock: Option<String>,
}

/// `certprobe scan`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Ports: 443, 8443-8445, 25/smtp (PORT/PROTO runs a STARTTLS dialogue; a bare well-known \
STARTTLS port such as 25, 389 or 143 uses its protocol). Durations: 3, 3s, 500ms, 2m."
)]
pub struct ScanArgs {
    /// Addresses, CIDR ranges and host names, comma-separated (repeatable).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub targets: Vec<String>,

    /// Ports: 443, 1024-1080, 25/smtp, comma-separated (repeatable) [default: 443].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub ports: Vec<String>,

    /// Addresses, ranges and host names (*.example.com) not to scan, comma-separated.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub exclude: Vec<String>,

    /// SNI names for an address: ADDR=NAME[,NAME...] (repeatable); each name is checked.
    #[arg(long, value_name = "ADDR=NAMES")]
    pub sni: Vec<String>,

    /// A file of SNI names: one address per line, then its names.
    #[arg(long, value_name = "FILE")]
    pub sni_file: Option<PathBuf>,

    /// The config file: [defaults], [sni] and [[job]] sections.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The job to run: one of the config file's, or the name for --targets [default: every
    /// job of the config; 'adhoc' for --targets].
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,

    /// This scanner's zone, stored on every endpoint.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub zone: String,

    /// Start the job afresh instead of continuing its interrupted run.
    #[arg(long)]
    pub restart: bool,

    /// Write the runs to this file (JSON, written whole or not at all) instead of the
    /// inventory, for `certprobe inventory import FILE` on the central host: for a scanner
    /// that may not reach the inventory.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["restart", "notify", "share"])]
    pub export: Option<PathBuf>,

    /// Share the job with the other scanners of its zone that run it with --share: the run
    /// is cut into work units (address blocks, see --unit) that each scanner claims from the
    /// inventory for a lease, so none is scanned twice; a scanner that dies leaves its unit
    /// to the others once the lease has ended. Ends when every unit is done.
    #[arg(long)]
    pub share: bool,

    /// The address block of a work unit: an IPv4 prefix length, or V4,V6 [default: 24,120].
    #[arg(long, value_name = "PREFIX", requires = "share", value_parser = unit_prefixes)]
    pub unit: Option<(u8, u8)>,

    /// How long a claimed unit stays this scanner's without a sign of life (it renews the
    /// lease while it scans) [default: 5m].
    #[arg(long, value_name = "DURATION", requires = "share", value_parser = duration)]
    pub lease: Option<std::time::Duration>,

    /// Allow IPv6 ranges above 65,536 addresses.
    #[arg(long)]
    pub force: bool,

    /// Then tell the owners of --config what changed, as `certprobe notify --config FILE`
    /// does, after a run that completed (the daemon does so after each run; exit 1 when a
    /// message was not sent).
    #[arg(long, requires = "config")]
    pub notify: bool,

    /// Print the run's summary as a monitoring check result (one plugin line with perfdata;
    /// exit 0 OK, 1 WARNING when interrupted or a name did not resolve, 2 CRITICAL when it
    /// cannot run, 3 UNKNOWN for bad arguments): for Icinga 2 satellites, Zabbix proxies, PRTG
    /// probes.
    #[arg(long, conflicts_with_all = ["json", "notify"])]
    pub as_check: bool,

    /// Print the run's summary as JSON.
    #[arg(long)]
    pub json: bool,

    /// Time for each TCP connect [default: 2s].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub connect_timeout: Option<std::time::Duration>,

    /// Time for everything one endpoint takes [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<std::time::Duration>,

    /// Endpoints checked at once [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub concurrency: Option<u32>,

    /// New connections per second, whole scan; 0 for no limit [default: 0].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub rate: Option<u32>,

    /// Connections at once to one address [default: 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub per_host: Option<u32>,

    /// The checks, as in the plugins.
    #[command(flatten)]
    pub check: CheckArgs,
}

/// `certprobe inventory ...`.
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Certificates deployed now (leaves), soonest expiry first.
    Certificates(CertificatesArgs),
    /// Where a certificate is deployed: by SHA-256 (8+ hex digits) or by a name it covers.
    Where(WhereArgs),
    /// Endpoints with their latest state.
    Endpoints(EndpointsArgs),
    /// What an endpoint (ADDRESS:PORT) or a certificate (SHA-256 prefix) went through.
    History(HistoryArgs),
    /// The latest scan runs.
    Runs(RunsArgs),
    /// Exports the endpoints for a monitoring system: Icinga Director (fileshipper),
    /// Zabbix low-level discovery, or Prometheus' textfile collector.
    Export(ExportArgs),
    /// Deletes endpoints not scanned for a while, old history, and certificates nothing
    /// refers to any more.
    Cleanup(CleanupArgs),
    /// Loads the runs of a `certprobe scan --export` or `certprobe audit --export` file, each
    /// once (a file imported again changes nothing).
    Import(ImportArgs),
    /// The notification log: the latest messages to owners, sent, waiting or dropped.
    Notifications(NotificationsArgs),
    /// Copies an inventory into a new one, every row and its history: from the SQLite file
    /// to a shared PostgreSQL database (or back). The target must be empty; --db is not used.
    Migrate(MigrateArgs),
}

/// `inventory migrate FROM TO`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The inventory to copy: an SQLite file (sqlite:PATH or PATH) or a postgres:// URL.
    #[arg(value_name = "FROM")]
    pub from: PathBuf,
    /// The new inventory: made if missing, refused unless empty.
    #[arg(value_name = "TO")]
    pub to: PathBuf,
    /// Print the counts as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `inventory notifications`.
#[derive(Debug, clap::Args)]
pub struct NotificationsArgs {
    /// At most this many, newest first.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub format: FormatArg,
}

/// `inventory export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// What to export for.
    #[arg(long, value_enum, value_name = "TARGET")]
    pub to: ExportTarget,
    /// The file format of the Director exports [default: csv].
    #[arg(long, value_enum)]
    pub format: Option<DirectorFormat>,
    /// Only endpoints of this job.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Write to this file (atomically: a temporary file renamed over it) instead of
    /// standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Where an export goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportTarget {
    /// Icinga Director import: the x509 module's "Hosts (X509)" columns.
    DirectorHosts,
    /// Icinga Director import: the x509 module's "Services (X509)" columns.
    DirectorServices,
    /// Zabbix low-level discovery JSON: {#IP}, {#PORT}, {#SNI}, {#PROTO}.
    ZabbixLld,
    /// Prometheus text exposition for node_exporter's textfile collector.
    Prometheus,
}

/// The file formats fileshipper reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DirectorFormat {
    /// Comma-separated, a header line, values in double quotes where needed.
    Csv,
    /// One array of objects.
    Json,
}

/// `inventory cleanup`.
#[derive(Debug, clap::Args)]
pub struct CleanupArgs {
    /// The age: what has not been scanned (endpoints), ended (deployments) or happened
    /// (events) for this long goes, as 90d, 12h, 3600.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub older_than: std::time::Duration,
    /// Print the counts as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--format`, shared by the queries.
#[derive(Debug, clap::Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `inventory certificates`.
#[derive(Debug, clap::Args)]
pub struct CertificatesArgs {
    /// Only certificates expiring within this many days (expired ones included).
    #[arg(long, value_name = "DAYS")]
    pub expiring: Option<f64>,
    /// Only certificates whose issuer contains this text.
    #[arg(long, value_name = "TEXT")]
    pub issuer: Option<String>,
    /// Only this key type (RSA, ECDSA, Ed25519, DSA).
    #[arg(long, value_name = "TYPE")]
    pub key: Option<String>,
    /// Only keys smaller than this many bits.
    #[arg(long, value_name = "BITS")]
    pub key_below: Option<u32>,
    /// Only signature algorithms containing this text (sha1, md5, ...).
    #[arg(long, value_name = "TEXT")]
    pub signature: Option<String>,
    /// Only certificates on an endpoint in this state.
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
    /// Only certificates on an endpoint of this job.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Also certificates deployed nowhere now, and intermediates.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub format: FormatArg,
}

/// `inventory where`.
#[derive(Debug, clap::Args)]
pub struct WhereArgs {
    /// A SHA-256 fingerprint or a prefix of 8+ hex digits (colons allowed), or a DNS name.
    pub needle: String,
    /// Also places where it is no longer served.
    #[arg(long)]
    pub ended: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub format: FormatArg,
}

/// `inventory endpoints`.
#[derive(Debug, clap::Args)]
pub struct EndpointsArgs {
    /// Only this address, or addresses in this range (192.0.2.0/24).
    #[arg(long, value_name = "ADDR|CIDR")]
    pub address: Option<String>,
    /// Only endpoints scanned with this SNI name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Only this port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Only endpoints in this state.
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
    /// Only endpoints of this job.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Only endpoints the latest run of their job did not see.
    #[arg(long)]
    pub stale: bool,
    /// Only what `certprobe scan` found (network) or what `certprobe audit` found (file).
    #[arg(long, value_enum)]
    pub source: Option<SourceArg>,
    /// Only the places of this audited host (with --source file).
    #[arg(long, value_name = "NAME", requires = "source")]
    pub host: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub format: FormatArg,
}

/// Where endpoints come from, on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SourceArg {
    /// Found by `certprobe scan`.
    Network,
    /// Found by `certprobe audit` in files and keystores.
    File,
}

impl SourceArg {
    /// The inventory's filter value.
    pub fn source(self) -> certprobe_inventory::query::Source {
        match self {
            SourceArg::Network => certprobe_inventory::query::Source::Network,
            SourceArg::File => certprobe_inventory::query::Source::File,
        }
    }
}

/// `inventory import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file `certprobe scan --export` or `certprobe audit --export` wrote.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// One JSON object per scan or audit instead of a line.
    #[arg(long)]
    pub json: bool,
}

/// `inventory history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// An endpoint as the queries show it: ADDRESS:PORT ([v6]:PORT), optionally with /PROTO
    /// and (SNI); or a SHA-256 prefix of 8+ hex digits.
    pub subject: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub format: FormatArg,
}

/// `inventory runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Only runs of this job.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// How many runs.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub format: FormatArg,
}

/// A monitoring state on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StateArg {
    /// OK.
    Ok,
    /// WARNING.
    Warning,
    /// CRITICAL.
    Critical,
    /// UNKNOWN.
    Unknown,
}

impl StateArg {
    /// The stored number (the plugins' exit code).
    pub fn code(self) -> u8 {
        match self {
            StateArg::Ok => 0,
            StateArg::Warning => 1,
            StateArg::Critical => 2,
            StateArg::Unknown => 3,
        }
    }
}

/// `--unit`: `24` or `/24` (IPv4), or `24,120` (IPv4 and IPv6).
fn unit_prefixes(text: &str) -> Result<(u8, u8), String> {
    let prefix = |part: &str, max: u8| -> Result<u8, String> {
        part.trim()
            .trim_start_matches('/')
            .parse::<u8>()
            .ok()
            .filter(|p| (1..=max).contains(p))
            .ok_or_else(|| format!("'{part}' is not a prefix length from 1 to {max}"))
    };
    match text.split_once(',') {
        Some((v4, v6)) => Ok((prefix(v4, 32)?, prefix(v6, 128)?)),
        None => Ok((prefix(text, 32)?, 120)),
    }
}

fn duration(text: &str) -> Result<std::time::Duration, certprobe::duration::DurationError> {
    certprobe::duration::parse_duration(text)
}
