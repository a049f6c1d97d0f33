//! What the pages show, as plain rows: a certificate, an event, a notice, a count. Every
//! report and dashboard page is made of these, and their JSON is the reports' JSON.

use crate::snapshot::{hex_id, name_of, Judged};
use certprobe_alarm::AlarmTier;
use certprobe_inventory::model::colon_hex;
use certprobe_inventory::query::EventRow;
pub use certprobe_notify::digest::tier_colour;
use serde::Serialize;

/// A labelled count, with the colour its chart uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// What is counted.
    pub label: String,
    /// How many.
    pub count: usize,
    /// CSS colour.
    pub colour: String,
}

/// A certificate where it is deployed, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertRow {
    /// SHA-256, colon hex.
    pub sha256: String,
    /// SHA-256, lower-case hex: its page is `certificates/ID.html` (`/certificates/ID` live).
    pub id: String,
    /// Its common name, or its subject DN.
    pub subject: String,
    /// Its issuer's common name, or DN.
    pub issuer: String,
    /// The names it covers.
    pub names: Vec<String>,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// `2027-01-04`.
    pub not_after_date: String,
    /// Whole days left, negative once expired.
    pub days_left: i64,
    /// `ok` ... `expired`.
    pub tier: String,
    /// `OK` ... `Expired`.
    pub tier_label: String,
    /// The tier's colour.
    pub colour: String,
    /// The security alarms, in words.
    pub alarms: Vec<String>,
    /// `ECDSA 256`, `RSA 2048`.
    pub key: String,
    /// The signature algorithm.
    pub signature: String,
    /// Where it is deployed now.
    pub endpoints: Vec<String>,
    /// Who is told about it.
    pub owners: Vec<String>,
}

impl CertRow {
    /// The row of a certificate from its deployments (at least one).
    pub fn of(deployments: &[&Judged], now: i64) -> CertRow {
        let first = deployments[0];
        let i = &first.input;
        let worst_alarms: Vec<String> = {
            let mut all: Vec<_> = deployments
                .iter()
                .flat_map(|d| d.alarms.iter().copied())
                .collect();
            all.sort();
            all.dedup();
            all.iter().map(|a| a.describe().to_string()).collect()
        };
        let mut owners: Vec<String> = deployments
            .iter()
            .flat_map(|d| d.owners.iter().cloned())
            .collect();
        owners.sort();
        owners.dedup();
        CertRow {
            sha256: colon_hex(&i.leaf.sha256),
            id: hex_id(&i.leaf.sha256),
            subject: name_of(&i.leaf.common_name, &i.leaf.subject),
            issuer: name_of(&i.leaf.issuer_common_name, &i.leaf.issuer),
            names: i.leaf.names.clone(),
            not_after: i.leaf.not_after,
            not_after_date: date(i.leaf.not_after),
            days_left: certprobe_alarm::tier::days_left(i.leaf.not_after, now),
            tier: first.tier.id().to_string(),
            tier_label: first.tier.name().to_string(),
            colour: tier_colour(first.tier).to_string(),
            alarms: worst_alarms,
            key: format!("{} {}", i.leaf.key_type, i.leaf.key_bits),
            signature: i.leaf.signature.clone(),
            endpoints: deployments
                .iter()
                .map(|d| d.input.endpoint.label())
                .collect(),
            owners,
        }
    }
}

/// One event of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventView {
    /// Unix seconds.
    pub at: i64,
    /// `2026-12-02 08:00:00 UTC`.
    pub when: String,
    /// The endpoint.
    pub endpoint: String,
    /// `new`, `renewed`, `disappeared`, ...
    pub kind: String,
    /// The certificate, colon hex.
    pub sha256: String,
    /// Its page id, when there is a certificate.
    pub id: String,
    /// One line.
    pub detail: String,
}

impl EventView {
    /// The view of an event.
    pub fn of(e: &EventRow) -> EventView {
        EventView {
            at: e.at,
            when: certprobe::clock::format_utc(e.at),
            endpoint: e.endpoint.clone(),
            kind: e.kind.clone(),
            sha256: e.sha256.clone(),
            id: e
                .sha256
                .chars()
                .filter(|c| *c != ':')
                .map(|c| c.to_ascii_lowercase())
                .collect(),
            detail: e.detail.clone(),
        }
    }
}

/// `2027-01-04`: the notices' date, so that a report and an email agree.
pub use certprobe_notify::plan::date;

/// The counts of `tiers` (least severe first in `AlarmTier::ALL`), worst first.
pub fn tier_counts(count: impl Fn(AlarmTier) -> usize) -> Vec<Count> {
    AlarmTier::ALL
        .iter()
        .rev()
        .map(|t| Count {
            label: t.name().to_string(),
            count: count(*t),
            colour: tier_colour(*t).to_string(),
        })
        .collect()
}
