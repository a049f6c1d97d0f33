//! Several outcomes in one plugin output: an inventory's endpoints (`check_cert_inventory
//! --host`), a folder's certificates (`check_cert_file`). The worst state wins, and
//! - Nagios: a status line with the count and the worst items, one line per item, perfdata
//!   per item with its label in front ([`nagios::render_many`]);
//! - JSON: `{schema_version, plugin, state, exit_code, summary, <items>: [...]}`, each item the
//!   one-outcome document; Zabbix: `{certprobe: {state, exit_code, summary}, <items>: [...]}`;
//! - PRTG: the sensor of the worst item (ties: the fewest days left), its text led by the
//!   count, and `Days to Expiration` the fewest days left of all;
//! - Prometheus: every item's series, labelled `target` with the item's label.
//!
//! A caller adds its own facts to an item: a JSON object beside the document (the inventory's
//! `inventory`, a file's `file`) and Prometheus series.

use super::prometheus::{self, Series};
use super::prtg::Sensor;
use super::{
    json, nagios, prtg, prtg_json, prtg_v2, prtg_xml, summary, zabbix, Context, Format, Outcome,
    Rendered,
};
use crate::verdict::{days, State};
use serde_json::{json, Value};

/// Characters of a PRTG text, at most (PRTG cuts longer ones).
const PRTG_TEXT_MAX: usize = 2000;

/// One outcome among several, with what its caller adds.
pub struct Item<'a> {
    /// How the outputs name it: `127.0.0.1:443 (www.example.com)`, `/etc/ssl/shop.pem`.
    pub label: String,
    /// Its outcome.
    pub outcome: &'a Outcome,
    /// A key and an object added to its JSON and Zabbix documents.
    pub extra: Option<(&'static str, Value)>,
    /// Series added to its Prometheus ones.
    pub series: Vec<Series>,
}

/// The words for the items: `endpoints`, `certificates` (the JSON key too).
#[derive(Debug, Clone, Copy)]
pub struct Noun {
    /// Plural, as in "3 endpoints OK" and the JSON key.
    pub plural: &'static str,
}

/// One item as its plugin prints a single one: the engine's document with the caller's
/// additions for JSON, Zabbix and Prometheus, the engine's renderer for the rest.
pub fn render_one(format: Format, item: &Item<'_>, context: &Context<'_>) -> Rendered {
    let outcome = item.outcome;
    match format {
        Format::Json => json_text(
            &json_document(item, context),
            outcome.verdict.state.exit_code(),
        ),
        Format::Zabbix => Rendered {
            text: format!("{}\n", zabbix_document(item)),
            exit_code: 0,
        },
        Format::Prometheus => prometheus_of(&[item]),
        other => super::render(other, outcome, context),
    }
}

/// Several items in `format`, the worst state winning.
pub fn render_many(
    format: Format,
    many: &[Item<'_>],
    noun: Noun,
    context: &Context<'_>,
) -> Rendered {
    let state = worst_state(many);
    let summary = summary_of_many(many, state, noun);
    match format {
        Format::Nagios => {
            let items: Vec<(String, &Outcome)> =
                many.iter().map(|e| (e.label.clone(), e.outcome)).collect();
            nagios::render_many(&summary, &items, context)
        }
        Format::Json => {
            let mut doc = json!({
                "schema_version": json::SCHEMA_VERSION,
                "plugin": context.program,
                "state": state.as_str(),
                "exit_code": state.exit_code(),
                "summary": summary,
            });
            doc[noun.plural] = many.iter().map(|e| json_document(e, context)).collect();
            json_text(&doc, state.exit_code())
        }
        Format::Zabbix => {
            let mut doc = json!({
                "certprobe": {
                    "state": state.as_str(),
                    "exit_code": state.exit_code(),
                    "summary": summary,
                },
            });
            doc[noun.plural] = many.iter().map(zabbix_document).collect();
            Rendered {
                text: format!("{doc}\n"),
                exit_code: 0,
            }
        }
        Format::Prometheus => prometheus_of(&many.iter().collect::<Vec<_>>()),
        Format::PrtgJson | Format::PrtgXml | Format::PrtgV2 => {
            let sensor = prtg_many(many, state, &summary, noun);
            match format {
                Format::PrtgXml => prtg_xml::render_sensor(&sensor),
                Format::PrtgV2 => prtg_v2::render_sensor(&sensor, state),
                _ => prtg_json::render_sensor(&sensor),
            }
        }
    }
}

/// The worst state of the items (UNKNOWN below CRITICAL, as everywhere).
fn worst_state(items: &[Item<'_>]) -> State {
    items
        .iter()
        .map(|e| e.outcome.verdict.state)
        .max()
        .unwrap_or(State::Unknown)
}

/// Days left of an item's leaf now; none without a certificate.
fn days_left(outcome: &Outcome) -> Option<f64> {
    outcome.report.as_ref().map(|r| r.leaf().days_left(r.now))
}

/// All OK: the count and the first certificate to expire. Otherwise: how many are at the
/// worst state, and each of them with its summary.
fn summary_of_many(items: &[Item<'_>], state: State, noun: Noun) -> String {
    let n = items.len();
    let plural = noun.plural;
    if state == State::Ok {
        let soonest = items
            .iter()
            .filter_map(|e| days_left(e.outcome).map(|d| (d, e)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        return match soonest {
            Some((left, e)) => format!(
                "{n} {plural} OK; the first certificate to expire: {} in {} days",
                e.label,
                days(left)
            ),
            None => format!("{n} {plural} OK"),
        };
    }
    let worst: Vec<String> = items
        .iter()
        .filter(|e| e.outcome.verdict.state == state)
        .map(|e| format!("{} {}", e.label, summary(e.outcome)))
        .collect();
    format!(
        "{} of {n} {plural} {}: {}",
        worst.len(),
        state.as_str(),
        worst.join("; ")
    )
}

/// The one-outcome JSON document with the caller's object.
fn json_document(item: &Item<'_>, context: &Context<'_>) -> Value {
    let doc = json::document(item.outcome, context);
    // Serialising these plain types cannot fail; say so in the document if it ever did.
    let mut value = serde_json::to_value(&doc)
        .unwrap_or_else(|_| json!({"error": "the report could not be serialised"}));
    if let Some((key, extra)) = &item.extra {
        value[*key] = extra.clone();
    }
    value
}

fn zabbix_document(item: &Item<'_>) -> Value {
    let mut doc = zabbix::document(item.outcome);
    if let Some((key, extra)) = &item.extra {
        doc[*key] = extra.clone();
    }
    doc
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

/// Every item's series, labelled `target` with the item's label (a textfile holds many, so
/// `target` must tell them apart), with the caller's series after each item's own.
fn prometheus_of(items: &[&Item<'_>]) -> Rendered {
    let mut all: Vec<Series> = Vec::new();
    for item in items {
        all.extend(prometheus::series(item.outcome, &item.label));
        all.extend(item.series.iter().cloned());
    }
    Rendered {
        text: prometheus::exposition(&all),
        exit_code: 0,
    }
}

/// One PRTG sensor for several items: the worst one's (ties: the fewest days left),
/// `Days to Expiration` the fewest days left of all, the text led by the state and the count
/// of items in each state.
fn prtg_many(items: &[Item<'_>], state: State, summary: &str, noun: Noun) -> Sensor {
    let worst = items
        .iter()
        .filter(|e| e.outcome.verdict.state == state)
        .min_by(|a, b| {
            let left = |e: &Item<'_>| days_left(e.outcome).unwrap_or(f64::INFINITY);
            left(a).total_cmp(&left(b))
        });
    let Some(worst) = worst else {
        return Sensor::Error { text: cut(summary) };
    };
    let fewest = items
        .iter()
        .filter_map(|e| days_left(e.outcome))
        .min_by(f64::total_cmp);
    let plural = noun.plural;
    match prtg::sensor(worst.outcome) {
        Sensor::Result { mut channels, text } => {
            if let (Some(days), Some(primary)) = (fewest, channels.iter_mut().find(|c| c.id == 10))
            {
                primary.value = days.floor() as i64;
            }
            // The worst item's text without its own state, which leads the whole.
            let own = text
                .strip_prefix(state.as_str())
                .and_then(|t| t.strip_prefix(". "))
                .unwrap_or(&text);
            Sensor::Result {
                channels,
                text: cut(&format!(
                    "{}. {} {plural} ({}); {}: {own}",
                    state.as_str(),
                    items.len(),
                    counts(items),
                    worst.label
                )),
            }
        }
        Sensor::Error { text } => Sensor::Error {
            text: cut(&format!(
                "{} {plural} ({}); {text}",
                items.len(),
                counts(items)
            )),
        },
    }
}

/// How many items are in each state, worst first: `1 CRITICAL, 2 OK`.
fn counts(items: &[Item<'_>]) -> String {
    [State::Critical, State::Unknown, State::Warning, State::Ok]
        .into_iter()
        .filter_map(|state| {
            let n = items
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
