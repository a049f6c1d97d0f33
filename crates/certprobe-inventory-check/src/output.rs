//! The endpoints' outcomes in the format asked for, by the engine's renderers.
//!
//! One endpoint prints as `check_tls_cert` would (JSON and Zabbix add an `inventory` object,
//! Prometheus labels its series with the endpoint and adds the inventory's metrics). Several
//! endpoints (no `--port`): the worst state wins, and
//! - Nagios: a status line with the count and the worst endpoints, one line per endpoint,
//!   perfdata per endpoint with its label in front ([`nagios::render_many`]);
//! - JSON: `{schema_version, plugin, state, exit_code, summary, endpoints: [...]}`, each
//!   endpoint the one-endpoint document; Zabbix: `{certprobe: {state, exit_code, summary},
//!   endpoints: [...]}`;
//! - PRTG: the sensor of the worst endpoint (ties: the fewest days left), its text led by the
//!   count, and `Days to Expiration` the fewest days left of all;
//! - Prometheus: every endpoint's series, one block per metric.

use certprobe::clock::format_utc;
use certprobe::render::prometheus::{self, Series};
use certprobe::render::prtg::Sensor;
use certprobe::render::{
    json, nagios, prtg, prtg_json, prtg_v2, prtg_xml, summary, zabbix, Context, Format,
};
use certprobe::verdict::{days, State};
use certprobe::{Outcome, Rendered};
use certprobe_inventory::query::EndpointDetail;
use serde_json::{json, Value};

/// Characters of a PRTG text, at most (PRTG cuts longer ones).
const PRTG_TEXT_MAX: usize = 2000;

/// One endpoint: what the inventory holds of it, and its outcome judged now.
pub struct Endpoint<'a> {
    /// The stored endpoint.
    pub detail: &'a EndpointDetail,
    /// Its label (`127.0.0.1:443 (www.example.com)`, the zone after it when not the default).
    pub label: String,
    /// Judged now.
    pub outcome: Outcome,
}

/// The label of a stored endpoint; endpoints of other zones than the default say theirs.
pub fn label(detail: &EndpointDetail) -> String {
    let row = &detail.row;
    let label = if row.zone.is_empty() {
        row.endpoint.clone()
    } else {
        format!("{} [zone {}]", row.endpoint, row.zone)
    };
    certprobe::text::visible(&label)
}

/// The endpoints (one or more) in `format`.
pub fn render(
    format: Format,
    endpoints: &[Endpoint<'_>],
    db: &str,
    context: &Context<'_>,
) -> Rendered {
    match endpoints {
        [one] => render_one(format, one, db, context),
        many => render_many(format, many, db, context),
    }
}

fn render_one(format: Format, one: &Endpoint<'_>, db: &str, context: &Context<'_>) -> Rendered {
    let outcome = &one.outcome;
    match format {
        Format::Json => json_text(
            &json_document(one, db, context),
            outcome.verdict.state.exit_code(),
        ),
        Format::Zabbix => {
            let mut doc = zabbix::document(outcome);
            doc["inventory"] = inventory(one, db);
            Rendered {
                text: format!("{doc}\n"),
                exit_code: 0,
            }
        }
        Format::Prometheus => prometheus_of(&[one]),
        other => certprobe::render::render(other, outcome, context),
    }
}

fn render_many(format: Format, many: &[Endpoint<'_>], db: &str, context: &Context<'_>) -> Rendered {
    let state = worst_state(many);
    let summary = summary_of_many(many, state);
    match format {
        Format::Nagios => {
            let endpoints: Vec<(String, &Outcome)> =
                many.iter().map(|e| (e.label.clone(), &e.outcome)).collect();
            nagios::render_many(&summary, &endpoints, context)
        }
        Format::Json => {
            let doc = json!({
                "schema_version": json::SCHEMA_VERSION,
                "plugin": context.program,
                "state": state.as_str(),
                "exit_code": state.exit_code(),
                "summary": summary,
                "endpoints": many.iter().map(|e| json_document(e, db, context)).collect::<Vec<_>>(),
            });
            json_text(&doc, state.exit_code())
        }
        Format::Zabbix => {
            let doc = json!({
                "certprobe": {
                    "state": state.as_str(),
                    "exit_code": state.exit_code(),
                    "summary": summary,
                },
                "endpoints": many.iter().map(|e| {
                    let mut doc = zabbix::document(&e.outcome);
                    doc["inventory"] = inventory(e, db);
                    doc
                }).collect::<Vec<_>>(),
            });
            Rendered {
                text: format!("{doc}\n"),
                exit_code: 0,
            }
        }
        Format::Prometheus => prometheus_of(&many.iter().collect::<Vec<_>>()),
        Format::PrtgJson | Format::PrtgXml | Format::PrtgV2 => {
            let sensor = prtg_many(many, state, &summary);
            match format {
                Format::PrtgXml => prtg_xml::render_sensor(&sensor),
                Format::PrtgV2 => prtg_v2::render_sensor(&sensor, state),
                _ => prtg_json::render_sensor(&sensor),
            }
        }
    }
}

/// The worst state of the endpoints (UNKNOWN below CRITICAL, as everywhere).
fn worst_state(endpoints: &[Endpoint<'_>]) -> State {
    endpoints
        .iter()
        .map(|e| e.outcome.verdict.state)
        .max()
        .unwrap_or(State::Unknown)
}

/// Days left of an endpoint's leaf now; none without a certificate.
fn days_left(outcome: &Outcome) -> Option<f64> {
    outcome.report.as_ref().map(|r| r.leaf().days_left(r.now))
}

/// All OK: the count and the first certificate to expire. Otherwise: how many are at the
/// worst state, and each of them with its summary.
fn summary_of_many(endpoints: &[Endpoint<'_>], state: State) -> String {
    let n = endpoints.len();
    if state == State::Ok {
        let soonest = endpoints
            .iter()
            .filter_map(|e| days_left(&e.outcome).map(|d| (d, e)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        return match soonest {
            Some((left, e)) => format!(
                "{n} endpoints OK; the first certificate to expire: {} in {} days",
                e.label,
                days(left)
            ),
            None => format!("{n} endpoints OK"),
        };
    }
    let worst: Vec<String> = endpoints
        .iter()
        .filter(|e| e.outcome.verdict.state == state)
        .map(|e| format!("{} {}", e.label, summary(&e.outcome)))
        .collect();
    format!(
        "{} of {n} endpoints {}: {}",
        worst.len(),
        state.as_str(),
        worst.join("; ")
    )
}

/// The one-endpoint JSON document with its `inventory` object.
fn json_document(endpoint: &Endpoint<'_>, db: &str, context: &Context<'_>) -> Value {
    let doc = json::document(&endpoint.outcome, context);
    // Serialising these plain types cannot fail; say so in the document if it ever did.
    let mut value = serde_json::to_value(&doc)
        .unwrap_or_else(|_| json!({"error": "the report could not be serialised"}));
    value["inventory"] = inventory(endpoint, db);
    value
}

/// What the inventory knows beside the verdict: where the data comes from and how fresh it is,
/// and what the scan itself judged.
fn inventory(endpoint: &Endpoint<'_>, db: &str) -> Value {
    let row = &endpoint.detail.row;
    json!({
        "database": db,
        "endpoint": row.endpoint,
        "zone": row.zone,
        "address": row.address,
        "port": row.port,
        "sni": row.sni,
        "protocol": row.protocol,
        "job": row.job,
        "last_scan": row.last_scan,
        "last_scan_utc": format_utc(row.last_scan),
        "stale": row.stale,
        "tls_version": endpoint.detail.tls_version,
        "scan_state": row.state,
        "scan_summary": row.summary,
    })
}

/// A JSON document as the JSON output prints it: pretty, with the state's exit code.
fn json_text(doc: &Value, exit_code: i32) -> Rendered {
    let text = serde_json::to_string_pretty(doc)
        .unwrap_or_else(|_| "{\"error\":\"the report could not be serialised\"}".into());
    Rendered {
        text: format!("{text}\n"),
        exit_code,
    }
}

/// Every endpoint's series, labelled with the endpoint (a textfile holds many hosts' runs, so
/// `target` must tell endpoints apart), plus when each was last scanned and whether it is stale.
fn prometheus_of(endpoints: &[&Endpoint<'_>]) -> Rendered {
    let mut all: Vec<Series> = Vec::new();
    for endpoint in endpoints {
        let target = endpoint.label.clone();
        all.extend(prometheus::series(&endpoint.outcome, &target));
        let row = &endpoint.detail.row;
        all.push(Series {
            name: "certprobe_inventory_last_scan_timestamp_seconds",
            help: "When the inventory last scanned the endpoint, in unixtime",
            labels: vec![("target", target.clone())],
            value: row.last_scan as f64,
        });
        all.push(Series {
            name: "certprobe_inventory_stale",
            help: "1 if the latest completed run of the endpoint's job did not see it",
            labels: vec![("target", target)],
            value: f64::from(u8::from(row.stale)),
        });
    }
    Rendered {
        text: prometheus::exposition(&all),
        exit_code: 0,
    }
}

/// One PRTG sensor for several endpoints: the worst one's (ties: the fewest days left),
/// `Days to Expiration` the fewest days left of all, the text led by the state and the count
/// of endpoints in each state.
fn prtg_many(endpoints: &[Endpoint<'_>], state: State, summary: &str) -> Sensor {
    let worst = endpoints
        .iter()
        .filter(|e| e.outcome.verdict.state == state)
        .min_by(|a, b| {
            let left = |e: &Endpoint<'_>| days_left(&e.outcome).unwrap_or(f64::INFINITY);
            left(a).total_cmp(&left(b))
        });
    let Some(worst) = worst else {
        return Sensor::Error { text: cut(summary) };
    };
    let fewest = endpoints
        .iter()
        .filter_map(|e| days_left(&e.outcome))
        .min_by(f64::total_cmp);
    match prtg::sensor(&worst.outcome) {
        Sensor::Result { mut channels, text } => {
            if let (Some(days), Some(primary)) = (fewest, channels.iter_mut().find(|c| c.id == 10))
            {
                primary.value = days.floor() as i64;
            }
            // The worst endpoint's text without its own state, which leads the whole.
            let own = text
                .strip_prefix(state.as_str())
                .and_then(|t| t.strip_prefix(". "))
                .unwrap_or(&text);
            Sensor::Result {
                channels,
                text: cut(&format!(
                    "{}. {} endpoints ({}); {}: {own}",
                    state.as_str(),
                    endpoints.len(),
                    counts(endpoints),
                    worst.label
                )),
            }
        }
        Sensor::Error { text } => Sensor::Error {
            text: cut(&format!(
                "{} endpoints ({}); {text}",
                endpoints.len(),
                counts(endpoints)
            )),
        },
    }
}

/// How many endpoints are in each state, worst first: `1 CRITICAL, 2 OK`.
fn counts(endpoints: &[Endpoint<'_>]) -> String {
    [State::Critical, State::Unknown, State::Warning, State::Ok]
        .into_iter()
        .filter_map(|state| {
            let n = endpoints
                .iter()
                .filter(|e| e.outcome.verdict.state == state)
                .count();
            (n > 0).then(|| format!("{n} {}", state.as_str()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// At most [`PRTG_TEXT_MAX`] characters, cut on a character boundary.
fn cut(text: &str) -> String {
    match text.char_indices().nth(PRTG_TEXT_MAX) {
        Some((at, _)) => text[..at].to_string(),
        None => text.to_string(),
    }
}
