//! The endpoints' outcomes in the format asked for, by the engine's renderers.
//!
//! One endpoint prints as `check_tls_cert` would (JSON and Zabbix add an `inventory` object,
//! Prometheus labels its series with the endpoint and adds the inventory's metrics); several
//! endpoints (no `--port`) as [`certprobe::render::many`] prints several outcomes.

use certprobe::clock::format_utc;
use certprobe::render::many::{self, Item, Noun};
use certprobe::render::prometheus::Series;
use certprobe::render::{Context, Format};
use certprobe::{Outcome, Rendered};
use certprobe_inventory::query::EndpointDetail;
use serde_json::{json, Value};

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

/// The endpoints (one or more) in `format`, called `plural` when several.
pub fn render(
    format: Format,
    endpoints: &[Endpoint<'_>],
    plural: &'static str,
    db: &str,
    context: &Context<'_>,
) -> Rendered {
    let items: Vec<Item<'_>> = endpoints.iter().map(|e| item(e, db)).collect();
    match items.as_slice() {
        [one] => many::render_one(format, one, context),
        all => many::render_many(format, all, Noun { plural }, context),
    }
}

/// An endpoint as one of several outcomes: its `inventory` object and series.
fn item<'a>(endpoint: &'a Endpoint<'_>, db: &str) -> Item<'a> {
    let row = &endpoint.detail.row;
    let target = endpoint.label.clone();
    Item {
        label: target.clone(),
        outcome: &endpoint.outcome,
        extra: Some(("inventory", inventory(endpoint, db))),
        series: vec![
            Series {
                name: "certprobe_inventory_last_scan_timestamp_seconds",
                help: "When the inventory last scanned the endpoint, in unixtime",
                labels: vec![("target", target.clone())],
                value: row.last_scan as f64,
            },
            Series {
                name: "certprobe_inventory_stale",
                help: "1 if the latest completed run of the endpoint's job did not see it",
                labels: vec![("target", target)],
                value: f64::from(u8::from(row.stale)),
            },
        ],
    }
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
