//! The reports' data: the dashboard (tiers, the x509 module's four charts, owners, the
//! soonest expiries), daily status, weekly trend, monthly compliance, the expiry timeline and
//! the alarm history. Each is plain data: the HTML, CSV and JSON are made from it.

use crate::snapshot::{Judged, Snapshot};
use crate::views::{date, tier_counts, CertRow, Count, EventView};
use certprobe_alarm::security::{is_old_tls, is_weak_signature};
use certprobe_alarm::tier::DAY;
use certprobe_alarm::{AlarmTier, SecurityAlarm, Thresholds};
use certprobe_inventory::model::state_name;
use certprobe_inventory::query::{EventRow, LeafSpan};
use certprobe_notify::outbox::Payload;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Chart colours for categories that are not tiers.
const PALETTE: [&str; 9] = [
    "#0969da", "#8250df", "#bf3989", "#1a7f37", "#bc4c00", "#4d2d00", "#116329", "#6e7781",
    "#953800",
];

fn coloured(pairs: Vec<(String, usize)>, top: usize) -> Vec<Count> {
    let mut pairs = pairs;
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out: Vec<Count> = Vec::new();
    let mut rest = 0;
    for (i, (label, count)) in pairs.into_iter().enumerate() {
        if i < top {
            out.push(Count {
                label,
                count,
                colour: PALETTE[i % PALETTE.len()].to_string(),
            });
        } else {
            rest += count;
        }
    }
    if rest > 0 {
        out.push(Count {
            label: "other".to_string(),
            count: rest,
            colour: "#afb8c1".to_string(),
        });
    }
    out
}

/// Deployments grouped by certificate, in the snapshot's order.
fn by_certificate(snapshot: &Snapshot) -> Vec<Vec<&Judged>> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut groups: Vec<Vec<&Judged>> = Vec::new();
    for j in &snapshot.deployed {
        match index.get(&j.input.certificate_id) {
            Some(&i) => groups[i].push(j),
            None => {
                index.insert(j.input.certificate_id, groups.len());
                groups.push(vec![j]);
            }
        }
    }
    groups
}

/// Every deployed certificate as a row, soonest expiry first.
pub fn certificate_rows(snapshot: &Snapshot) -> Vec<CertRow> {
    soonest(snapshot, usize::MAX)
}

/// The `most` deployed certificates that end soonest, as rows, soonest first (ties by
/// name): only those become rows, so the dashboard's ten cost ten rows, not one per
/// certificate.
pub fn soonest(snapshot: &Snapshot, most: usize) -> Vec<CertRow> {
    // Ties keep the snapshot's order, as a stable sort would: the dashboard's ten are the
    // certificate list's first ten.
    let key = |n: usize, g: &[&'_ Judged]| {
        let i = &g[0].input;
        let name = if i.leaf.common_name.is_empty() {
            &i.leaf.subject
        } else {
            &i.leaf.common_name
        };
        (i.leaf.not_after, name.clone(), n)
    };
    let mut keyed: Vec<_> = by_certificate(snapshot)
        .into_iter()
        .enumerate()
        .map(|(n, g)| (key(n, &g), g))
        .collect();
    if most < keyed.len() {
        keyed.select_nth_unstable_by(most, |a, b| a.0.cmp(&b.0));
        keyed.truncate(most);
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed
        .iter()
        .map(|(_, g)| CertRow::of(g, snapshot.now))
        .collect()
}

/// An owner's certificates by tier, and its security alarms.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerLine {
    /// The owner.
    pub owner: String,
    /// Deployments by tier, worst first.
    pub tiers: Vec<Count>,
    /// Deployments with a security alarm.
    pub alarms: usize,
}

/// The dashboard.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dashboard {
    /// When it was made.
    pub generated: String,
    /// Certificates deployed now.
    pub certificates: usize,
    /// Endpoints and places serving them.
    pub endpoints: usize,
    /// Certificates by tier, worst first.
    pub tiers: Vec<Count>,
    /// Endpoints by state.
    pub states: Vec<Count>,
    /// Endpoints by security alarm.
    pub alarms: Vec<Count>,
    /// Certificates by issuer (the x509 module's "by CA").
    pub by_ca: Vec<Count>,
    /// Certificates by validity period.
    pub by_duration: Vec<Count>,
    /// Certificates by key type and size.
    pub key_strength: Vec<Count>,
    /// Certificates by signature algorithm.
    pub signatures: Vec<Count>,
    /// Each owner's deployments.
    pub owners: Vec<OwnerLine>,
    /// The ten soonest to end.
    pub soonest: Vec<CertRow>,
}

fn duration_bucket(days: i64) -> &'static str {
    match days {
        d if d <= 31 => "up to 1 month",
        d if d <= 93 => "up to 3 months",
        d if d <= 200 => "up to 6 months",
        d if d <= 398 => "up to 398 days",
        d if d <= 825 => "up to 825 days",
        _ => "longer",
    }
}

/// The dashboard at the snapshot's time.
pub fn dashboard(snapshot: &Snapshot) -> Dashboard {
    let certs = snapshot.certificates();
    let mut tier_of: HashMap<AlarmTier, usize> = HashMap::new();
    let mut ca: HashMap<String, usize> = HashMap::new();
    let mut duration: HashMap<String, usize> = HashMap::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut signatures: HashMap<String, usize> = HashMap::new();
    for c in &certs {
        let i = &c.input;
        *tier_of.entry(c.tier).or_default() += 1;
        *ca.entry(crate::snapshot::name_of(
            &i.leaf.issuer_common_name,
            &i.leaf.issuer,
        ))
        .or_default() += 1;
        *duration
            .entry(duration_bucket((i.leaf.not_after - i.leaf.not_before) / DAY).to_string())
            .or_default() += 1;
        *keys
            .entry(format!("{} {}", i.leaf.key_type, i.leaf.key_bits))
            .or_default() += 1;
        *signatures.entry(i.leaf.signature.clone()).or_default() += 1;
    }
    let mut states = [0usize; 4];
    let mut alarms: HashMap<SecurityAlarm, usize> = HashMap::new();
    let mut owners: BTreeMap<String, (HashMap<AlarmTier, usize>, usize)> = BTreeMap::new();
    for j in &snapshot.deployed {
        states[usize::from(j.input.state.min(3))] += 1;
        for a in &j.alarms {
            *alarms.entry(*a).or_default() += 1;
        }
        for o in &j.owners {
            let entry = owners.entry(o.clone()).or_default();
            *entry.0.entry(j.tier).or_default() += 1;
            entry.1 += usize::from(!j.alarms.is_empty());
        }
    }
    let state_colours = ["#1a7f37", "#bc4c00", "#cf222e", "#6e7781"];
    Dashboard {
        generated: certprobe::clock::format_utc(snapshot.now),
        certificates: certs.len(),
        endpoints: snapshot.deployed.len(),
        tiers: tier_counts(|t| tier_of.get(&t).copied().unwrap_or(0)),
        states: (0..4u8)
            .map(|s| Count {
                label: state_name(s).to_string(),
                count: states[usize::from(s)],
                colour: state_colours[usize::from(s)].to_string(),
            })
            .collect(),
        alarms: SecurityAlarm::ALL
            .iter()
            .map(|a| Count {
                label: a.describe().to_string(),
                count: alarms.get(a).copied().unwrap_or(0),
                colour: "#cf222e".to_string(),
            })
            .collect(),
        by_ca: coloured(ca.into_iter().collect(), 7),
        by_duration: {
            let order = [
                "up to 1 month",
                "up to 3 months",
                "up to 6 months",
                "up to 398 days",
                "up to 825 days",
                "longer",
            ];
            order
                .iter()
                .enumerate()
                .filter_map(|(i, label)| {
                    duration.get(*label).map(|n| Count {
                        label: label.to_string(),
                        count: *n,
                        colour: PALETTE[i % PALETTE.len()].to_string(),
                    })
                })
                .collect()
        },
        key_strength: coloured(keys.into_iter().collect(), 7),
        signatures: coloured(signatures.into_iter().collect(), 7),
        owners: owners
            .into_iter()
            .map(|(owner, (tiers, alarms))| OwnerLine {
                owner,
                tiers: tier_counts(|t| tiers.get(&t).copied().unwrap_or(0)),
                alarms,
            })
            .collect(),
        soonest: soonest(snapshot, 10),
    }
}

/// Daily status: tiers and states now, and what changed in the last day.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Daily {
    /// When it was made.
    pub generated: String,
    /// Certificates by tier, worst first.
    pub tiers: Vec<Count>,
    /// Endpoints by state.
    pub states: Vec<Count>,
    /// Certificates seen for the first time in the last 24 hours.
    pub new: usize,
    /// Renewals in the last 24 hours.
    pub renewed: usize,
    /// Certificates no longer served somewhere, in the last 24 hours.
    pub disappeared: usize,
    /// Those events (the first of them only, in a served page's copy).
    pub events: Vec<EventView>,
    /// How many events there are.
    pub events_total: usize,
}

impl Daily {
    /// A copy with no events (what a page needs besides the rows it shows).
    pub fn clone_without_events(r: &Daily) -> Daily {
        Daily {
            generated: r.generated.clone(),
            tiers: r.tiers.clone(),
            states: r.states.clone(),
            new: r.new,
            renewed: r.renewed,
            disappeared: r.disappeared,
            events: Vec::new(),
            events_total: r.events_total,
        }
    }
}

/// The daily report; `events` are the last day's (newest first), of which the first `rows`
/// are kept.
pub fn daily(dashboard: &Dashboard, events: &[EventRow], now: i64, rows: usize) -> Daily {
    let recent: Vec<&EventRow> = events
        .iter()
        .filter(|e| {
            e.at >= now - DAY && matches!(e.kind.as_str(), "new" | "renewed" | "disappeared")
        })
        .collect();
    let count = |kind: &str| recent.iter().filter(|e| e.kind == kind).count();
    Daily {
        generated: dashboard.generated.clone(),
        tiers: dashboard.tiers.clone(),
        states: dashboard.states.clone(),
        new: count("new"),
        renewed: count("renewed"),
        disappeared: count("disappeared"),
        events: recent.iter().take(rows).map(|e| EventView::of(e)).collect(),
        events_total: recent.len(),
    }
}

/// One day of the trend: certificates deployed that day, by the tier they had then.
#[derive(Debug, Clone, Serialize)]
pub struct TrendDay {
    /// `2026-12-02`.
    pub date: String,
    /// By tier, worst first.
    pub tiers: Vec<Count>,
}

/// Weekly trend: the last seven days' events and tiers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Weekly {
    /// When it was made.
    pub generated: String,
    /// Eight days, oldest first, today last.
    pub days: Vec<TrendDay>,
    /// The events of the seven days, newest first (the first of them only, in a served
    /// page's copy).
    pub events: Vec<EventView>,
    /// How many events there are.
    pub events_total: usize,
    /// How many events of each kind.
    pub kinds: Vec<Count>,
}

/// The weekly report from every leaf span and the events of the last 7 days, of which the
/// first `rows` are kept.
pub fn weekly(
    spans: &[LeafSpan],
    events: &[EventRow],
    thresholds: &Thresholds,
    now: i64,
    rows: usize,
) -> Weekly {
    let days = (0..8)
        .rev()
        .map(|back| {
            let at = now - back * DAY;
            let mut seen = std::collections::HashSet::new();
            let mut by_tier: HashMap<AlarmTier, usize> = HashMap::new();
            for s in spans {
                let live = s.first_seen <= at && s.ended_at.is_none_or(|end| end > at);
                if live && seen.insert(s.certificate_id) {
                    *by_tier.entry(thresholds.tier(s.not_after, at)).or_default() += 1;
                }
            }
            TrendDay {
                date: date(at),
                tiers: tier_counts(|t| by_tier.get(&t).copied().unwrap_or(0)),
            }
        })
        .collect();
    let week: Vec<&EventRow> = events
        .iter()
        .filter(|e| e.at >= now - crate::WEEK)
        .collect();
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for e in &week {
        *kinds.entry(e.kind.clone()).or_default() += 1;
    }
    Weekly {
        generated: certprobe::clock::format_utc(now),
        days,
        events: week.iter().take(rows).map(|e| EventView::of(e)).collect(),
        events_total: week.len(),
        kinds: coloured(kinds.into_iter().collect(), 9),
    }
}

/// The compliance checks, by id and in words.
pub const CHECKS: [(&str, &str); 7] = [
    ("rsa-below-minimum", "RSA or DSA key below the minimum size"),
    ("weak-signature", "MD5 or SHA-1 signature"),
    ("old-tls", "TLS 1.0 or 1.1 negotiated"),
    ("self-signed", "self-signed"),
    ("untrusted", "not trusted"),
    ("name-mismatch", "name mismatch"),
    ("long-validity", "valid for more than 398 days"),
];

/// Which checks a deployment fails, by index in [`CHECKS`].
fn failed_checks(j: &Judged, thresholds: &Thresholds) -> Vec<usize> {
    let i = &j.input;
    let rsa = matches!(
        i.leaf.key_type.to_ascii_uppercase().as_str(),
        "RSA" | "DSA" | "RSA-PSS"
    ) && i.leaf.key_bits < thresholds.min_rsa_bits;
    let flags = [
        rsa,
        is_weak_signature(&i.leaf.signature),
        is_old_tls(&i.tls_version),
        i.leaf.self_signed,
        j.alarms.contains(&SecurityAlarm::Untrusted),
        j.alarms.contains(&SecurityAlarm::NameMismatch),
        i.leaf.not_after - i.leaf.not_before > 398 * DAY,
    ];
    flags
        .iter()
        .enumerate()
        .filter(|(_, f)| **f)
        .map(|(n, _)| n)
        .collect()
}

/// One failed check of one deployment.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// The check's id.
    pub check: String,
    /// The check in words.
    pub label: String,
    /// The certificate.
    pub subject: String,
    /// Its page id.
    pub id: String,
    /// Where.
    pub endpoint: String,
    /// Its owners.
    pub owners: String,
    /// The fact: `RSA 1024`, `SHA1-RSA`, `TLSv1.0`, `825 days`.
    pub detail: String,
}

/// An owner's failed checks, by check.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerChecks {
    /// The owner.
    pub owner: String,
    /// Deployments failing each check, in the order of [`CHECKS`].
    pub counts: Vec<usize>,
    /// Deployments failing any.
    pub total: usize,
}

/// Monthly compliance: what fails the policy, per check and per owner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Compliance {
    /// When it was made.
    pub generated: String,
    /// Deployments checked.
    pub checked: usize,
    /// Per check, deployments failing it.
    pub checks: Vec<Count>,
    /// Per owner.
    pub owners: Vec<OwnerChecks>,
    /// Every failure (the first only, in a served page's copy).
    pub violations: Vec<Violation>,
    /// How many failures there are.
    pub violations_total: usize,
}

/// The compliance report, with the first `rows` failures.
pub fn compliance(snapshot: &Snapshot, thresholds: &Thresholds, rows: usize) -> Compliance {
    let mut per_check = [0usize; CHECKS.len()];
    let mut owners: BTreeMap<String, ([usize; CHECKS.len()], usize)> = BTreeMap::new();
    let mut violations = Vec::new();
    let mut violations_total = 0;
    for j in &snapshot.deployed {
        let failed = failed_checks(j, thresholds);
        for o in &j.owners {
            let entry = owners.entry(o.clone()).or_default();
            for n in &failed {
                entry.0[*n] += 1;
            }
            entry.1 += usize::from(!failed.is_empty());
        }
        let i = &j.input;
        for n in failed {
            per_check[n] += 1;
            violations_total += 1;
            if violations.len() >= rows {
                continue;
            }
            let detail = match n {
                0 => format!("{} {}", i.leaf.key_type, i.leaf.key_bits),
                1 => i.leaf.signature.clone(),
                2 => i.tls_version.clone(),
                6 => format!("{} days", (i.leaf.not_after - i.leaf.not_before) / DAY),
                _ => String::new(),
            };
            violations.push(Violation {
                check: CHECKS[n].0.to_string(),
                label: CHECKS[n].1.to_string(),
                subject: crate::snapshot::name_of(&i.leaf.common_name, &i.leaf.subject),
                id: crate::snapshot::hex_id(&i.leaf.sha256),
                endpoint: i.endpoint.label(),
                owners: j.owners.join(", "),
                detail,
            });
        }
    }
    Compliance {
        generated: certprobe::clock::format_utc(snapshot.now),
        checked: snapshot.deployed.len(),
        checks: CHECKS
            .iter()
            .enumerate()
            .map(|(n, (_, label))| Count {
                label: label.to_string(),
                count: per_check[n],
                colour: if per_check[n] == 0 {
                    "#1a7f37"
                } else {
                    "#cf222e"
                }
                .to_string(),
            })
            .collect(),
        owners: owners
            .into_iter()
            .map(|(owner, (counts, total))| OwnerChecks {
                owner,
                counts: counts.to_vec(),
                total,
            })
            .collect(),
        violations_total,
        violations,
    }
}

/// An owner's expiries per month.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerMonths {
    /// The owner.
    pub owner: String,
    /// Certificates ending in each month (expired ones in the first).
    pub counts: Vec<usize>,
    /// Their sum.
    pub total: usize,
}

/// The expiry timeline: twelve months of expiries per owner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timeline {
    /// When it was made.
    pub generated: String,
    /// `2026-12` ... twelve months from this one.
    pub months: Vec<String>,
    /// Per owner.
    pub owners: Vec<OwnerMonths>,
    /// Per month, all owners.
    pub totals: Vec<usize>,
    /// The largest count of one owner in one month (for the cells' shade).
    pub most: usize,
}

/// (year, month) of a Unix time.
fn month_of(unix: i64) -> (i64, u32) {
    let d = date(unix);
    let year = d.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
    let month = d.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    (year, month)
}

/// The timeline: each certificate counted once per owner in the month it ends.
pub fn timeline(snapshot: &Snapshot) -> Timeline {
    let (year, month) = month_of(snapshot.now);
    let months: Vec<(i64, u32)> = (0..12)
        .map(|k| {
            let m0 = i64::from(month - 1) + k;
            (year + m0 / 12, (m0 % 12) as u32 + 1)
        })
        .collect();
    let slot = |unix: i64| -> Option<usize> {
        if unix < snapshot.now {
            return Some(0);
        }
        let at = month_of(unix);
        months.iter().position(|m| *m == at)
    };
    let mut owners: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for j in &snapshot.deployed {
        let Some(n) = slot(j.input.leaf.not_after) else {
            continue;
        };
        for o in &j.owners {
            if seen.insert((j.input.certificate_id, o.clone())) {
                owners.entry(o.clone()).or_insert_with(|| vec![0; 12])[n] += 1;
            }
        }
    }
    let mut totals = vec![0usize; 12];
    let mut most = 0;
    let owners: Vec<OwnerMonths> = owners
        .into_iter()
        .map(|(owner, counts)| {
            for (t, c) in totals.iter_mut().zip(&counts) {
                *t += c;
                most = most.max(*c);
            }
            OwnerMonths {
                owner,
                total: counts.iter().sum(),
                counts,
            }
        })
        .collect();
    Timeline {
        generated: certprobe::clock::format_utc(snapshot.now),
        months: months.iter().map(|(y, m)| format!("{y}-{m:02}")).collect(),
        owners,
        totals,
        most,
    }
}

/// One notice sent to an owner.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeRow {
    /// When it was planned.
    pub at: i64,
    /// `2026-12-02 08:00:00 UTC`.
    pub when: String,
    /// The owner.
    pub owner: String,
    /// `tier`, `alarm`, `resolved`, `renewed`.
    pub kind: String,
    /// The tier then.
    pub tier: String,
    /// The tier's colour.
    pub colour: String,
    /// The notice.
    pub summary: String,
    /// The channels it went out on: `email, hook`.
    pub channels: String,
    /// Whether every message with it was sent.
    pub sent: bool,
}

/// The alarm history: the notices of the notification log, newest first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Alarms {
    /// When it was made.
    pub generated: String,
    /// The notices (the first only, in a served page's copy).
    pub notices: Vec<NoticeRow>,
    /// How many notices there are.
    pub notices_total: usize,
}

/// The alarm history from the log's messages (newest first), the first `most` of it; a notice
/// sent on several channels is one row.
pub fn alarms(
    deliveries: &[certprobe_inventory::notification::Delivery],
    now: i64,
    most: usize,
) -> Alarms {
    let mut rows: Vec<NoticeRow> = Vec::new();
    let mut index: HashMap<(i64, String, String), usize> = HashMap::new();
    for d in deliveries {
        let Some(payload) = Payload::from_json(&d.payload) else {
            continue;
        };
        for n in payload.notices {
            let key = (d.created, n.owner.clone(), n.summary.clone());
            match index.get(&key) {
                Some(&i) => {
                    let row = &mut rows[i];
                    if !row.channels.split(", ").any(|c| c == d.channel) {
                        row.channels.push_str(", ");
                        row.channels.push_str(&d.channel);
                    }
                    row.sent &= d.status == "sent";
                }
                None => {
                    index.insert(key, rows.len());
                    rows.push(NoticeRow {
                        at: d.created,
                        when: certprobe::clock::format_utc(d.created),
                        owner: n.owner.clone(),
                        kind: n.kind.id().to_string(),
                        tier: n.tier.name().to_string(),
                        colour: certprobe_notify::digest::tier_colour(n.severity()).to_string(),
                        summary: n.summary.clone(),
                        channels: d.channel.clone(),
                        sent: d.status == "sent",
                    });
                }
            }
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.at));
    let notices_total = rows.len();
    rows.truncate(most);
    Alarms {
        generated: certprobe::clock::format_utc(now),
        notices_total,
        notices: rows,
    }
}
