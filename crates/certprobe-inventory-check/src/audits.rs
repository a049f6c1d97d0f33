//! `--audit-age`: has each host's local audit run lately? The seed's second monitor (every
//! computer where the audit has not run in the past 7 days), from the runs of kind `audit`.

use crate::Request;
use certprobe::clock::format_utc;
use certprobe::render::many::{self, Item, Noun};
use certprobe::render::{Context, Rendered};
use certprobe::verdict::{Check, Finding, State, Verdict};
use certprobe::Outcome;
use certprobe_inventory::query::AuditRow;
use certprobe_inventory::Store;
use serde_json::json;

/// The audited hosts (`request.audited_host` when given) judged against `age` at `now`.
pub fn check(
    store: &dyn Store,
    request: &Request,
    (max_age, given): &(i64, String),
    now: i64,
    context: &Context<'_>,
) -> Rendered {
    let unknown = |message: &str| {
        certprobe::render::render(
            request.format,
            &Outcome::unknown(Check::Inventory, message),
            context,
        )
    };
    let host = request.audited_host.as_deref();
    let audits = match store.audits(host) {
        Ok(audits) => audits,
        Err(e) => return unknown(&e.to_string()),
    };
    if audits.is_empty() {
        let of = host.map_or(String::new(), |h| {
            format!(" of host {}", certprobe::text::quote(h, 100))
        });
        return unknown(&format!(
            "the inventory {} holds no completed audit{of} (run certprobe audit there)",
            store.path()
        ));
    }
    let outcomes: Vec<(String, Outcome, serde_json::Value)> = audits
        .iter()
        .map(|audit| {
            let label = certprobe::text::visible(&audit.host);
            let outcome = judge(audit, *max_age, given, request, now);
            let extra = json!({
                "database": store.path(),
                "host": audit.host,
                "run": audit.run,
                "job": audit.job,
                "ended": audit.ended,
                "ended_utc": format_utc(audit.ended),
                "places": audit.places,
            });
            (label, outcome, extra)
        })
        .collect();
    let items: Vec<Item<'_>> = outcomes
        .iter()
        .map(|(label, outcome, extra)| Item {
            label: label.clone(),
            outcome,
            extra: Some(("audit", extra.clone())),
            series: Vec::new(),
        })
        .collect();
    match items.as_slice() {
        [one] => many::render_one(request.format, one, context),
        all => many::render_many(request.format, all, Noun { plural: "hosts" }, context),
    }
}

/// One host's latest audit: OK when younger than `--audit-age`, else `--max-age-state`.
fn judge(audit: &AuditRow, max_age: i64, given: &str, request: &Request, now: i64) -> Outcome {
    let age = now - audit.ended;
    let when = format_utc(audit.ended);
    let ago = crate::rebuild::age_words(age);
    let host = certprobe::text::visible(&audit.host);
    let (state, message) = if age > max_age {
        (
            request.max_age_state,
            format!("{host} was last audited {ago} ago ({when}): older than --audit-age {given}"),
        )
    } else {
        (
            State::Ok,
            format!(
                "{host} was audited {ago} ago ({when}, run {} of job '{}', {})",
                audit.run,
                certprobe::text::visible(&audit.job),
                match audit.places {
                    1 => "1 place".to_string(),
                    n => format!("{n} places"),
                }
            ),
        )
    };
    Outcome {
        target: None,
        observation: None,
        report: None,
        verdict: Verdict::new(vec![Finding::new(Check::Inventory, state, message)], None),
        policy: request.policy.clone(),
        error: None,
    }
}
