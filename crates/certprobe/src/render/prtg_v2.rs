//! PRTG Script v2 (JSON version 2): `status` ok / warning / error from certprobe's verdict,
//! the text as `message`, and channels with stable ids (10 and up) typed integer or lookup.
//!
//! ```text
//! {"version":2,"status":"ok","message":"OK. Certificate Common Name: ...",
//!  "channels":[{"id":10,"name":"Days to Expiration","type":"integer","kind":"count","value":41},
//!              {"id":11,"name":"Common Name Check","type":"lookup",
//!               "lookup_name":"prtg.standardlookups.sslcertificatesensor.cncheck","value":5}, ...]}
//! ```
//! Failures are `{"version":2,"status":"error","message":"..."}`. Always exit 0, as Script v2 asks.

use super::prtg::{sensor, Sensor};
use super::{Outcome, Rendered};
use crate::verdict::State;
use serde_json::{json, Value};

/// The [`sensor`] as a Script v2 document: `status` from the verdict (UNKNOWN is `error`),
/// channels typed `lookup` or `integer`; only `status` and `message` when no certificate was
/// read. Exit 0.
pub fn render(outcome: &Outcome) -> Rendered {
    render_sensor(&sensor(outcome), outcome.verdict.state)
}

/// A [`Sensor`] as a Script v2 document with the status of `state`, however it was made
/// (several endpoints' in one). Exit 0.
pub fn render_sensor(sensor: &Sensor, state: State) -> Rendered {
    let body = match sensor {
        Sensor::Result { channels, text } => {
            let status = match state {
                State::Ok => "ok",
                State::Warning => "warning",
                State::Critical | State::Unknown => "error",
            };
            let channels: Vec<Value> = channels
                .iter()
                .map(|c| match &c.lookup {
                    Some(lookup) => json!({"id": c.id, "name": c.name, "type": "lookup", "lookup_name": lookup, "value": c.value}),
                    None => json!({"id": c.id, "name": c.name, "type": "integer", "kind": "count", "value": c.value}),
                })
                .collect();
            json!({"version": 2, "status": status, "message": text, "channels": channels})
        }
        Sensor::Error { text } => json!({"version": 2, "status": "error", "message": text}),
    };
    Rendered {
        text: format!("{body}\n"),
        exit_code: 0,
    }
}
