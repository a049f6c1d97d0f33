//! PRTG EXE/Script Advanced JSON.
//!
//! ```text
//! {"prtg":{"result":[{"channel":"Days to Expiration","value":41,"unit":"Count","limitmode":1,
//!   "limitminwarning":30,"limitminerror":7}, {"channel":"Common Name Check","value":5,
//!   "valuelookup":"prtg.standardlookups.sslcertificatesensor.cncheck"}, ...],
//!   "text":"OK. Certificate Common Name: www.example.com - Certificate Thumbprint: 0A1B... - ..."}}
//! ```
//! Failures are `{"prtg":{"error":1,"text":"..."}}`. The exit code is always 0: PRTG reads the JSON.

use super::prtg::{limit_messages, sensor, Sensor};
use super::{Outcome, Rendered};
use serde_json::{json, Value};

/// The [`sensor`] as `{"prtg":{"result":[...],"text":...}}`, or `{"prtg":{"error":1,...}}`
/// when no certificate was read. Exit 0.
pub fn render(outcome: &Outcome) -> Rendered {
    render_sensor(&sensor(outcome))
}

/// A [`Sensor`] as PRTG JSON, however it was made (several endpoints' in one). Exit 0.
pub fn render_sensor(sensor: &Sensor) -> Rendered {
    let body = match sensor {
        Sensor::Result { channels, text } => {
            let result: Vec<Value> = channels
                .iter()
                .map(|c| {
                    let mut channel = json!({"channel": c.name, "value": c.value});
                    if let Some(lookup) = &c.lookup {
                        channel["valuelookup"] = json!(lookup);
                    }
                    if let Some((warning, error)) = c.min_limits {
                        let (warning_msg, error_msg) = limit_messages(warning, error);
                        channel["unit"] = json!("Count");
                        channel["limitmode"] = json!(1);
                        channel["limitminwarning"] = number(warning);
                        channel["limitminerror"] = number(error);
                        channel["limitwarningmsg"] = json!(warning_msg);
                        channel["limiterrormsg"] = json!(error_msg);
                    }
                    channel
                })
                .collect();
            json!({"prtg": {"result": result, "text": text}})
        }
        Sensor::Error { text } => json!({"prtg": {"error": 1, "text": text}}),
    };
    Rendered {
        text: format!("{body}\n"),
        exit_code: 0,
    }
}

/// Whole numbers as integers (`30`, not `30.0`), as PRTG's own examples write limits.
pub(super) fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}
