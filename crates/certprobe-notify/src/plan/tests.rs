use super::*;
use certprobe_alarm::owner::{Owner, Placed};
use certprobe_alarm::rule::{CertificateRule, ServerRule};
use certprobe_inventory::model::EndpointKey;
use certprobe_inventory::notification::LeafFacts;
use std::sync::Arc;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn input(endpoint_id: i64, certificate_id: i64, days: i64) -> AlarmInput {
    AlarmInput {
        endpoint_id,
        endpoint: EndpointKey {
            zone: String::new(),
            address: format!("192.0.2.{endpoint_id}"),
            port: 443,
            sni: "shop.example.com".to_string(),
            protocol: "tls".to_string(),
        },
        job: "dmz".to_string(),
        state: 0,
        tls_version: "TLSv1.3".to_string(),
        findings: Vec::new(),
        certificate_id,
        leaf: Arc::new(LeafFacts {
            sha256: [certificate_id as u8; 32],
            subject: "CN=shop.example.com".to_string(),
            common_name: "shop.example.com".to_string(),
            issuer: "CN=Test CA".to_string(),
            issuer_common_name: "Test CA".to_string(),
            names: vec!["shop.example.com".to_string()],
            serial: "01".to_string(),
            not_before: NOW - 10 * DAY,
            not_after: NOW + days * DAY + 3600,
            key_type: "ECDSA".to_string(),
            key_bits: 256,
            signature: "ECDSA-SHA256".to_string(),
            self_signed: false,
        }),
    }
}

/// What the store would give back after the plan's changes were written.
fn apply(before: &[RememberedAlarm], plan: &Plan, inputs: &[AlarmInput]) -> Vec<RememberedAlarm> {
    let mut rows: Vec<RememberedAlarm> = before.to_vec();
    for change in &plan.changes {
        match change {
            StateChange::Clear {
                endpoint_id,
                certificate_id,
                owner,
            } => rows.retain(|r| {
                !(r.state.endpoint_id == *endpoint_id
                    && r.state.certificate_id == *certificate_id
                    && &r.state.owner == owner)
            }),
            StateChange::Set(state) => {
                rows.retain(|r| {
                    !(r.state.endpoint_id == state.endpoint_id
                        && r.state.certificate_id == state.certificate_id
                        && r.state.owner == state.owner)
                });
                let i = inputs
                    .iter()
                    .find(|i| i.certificate_id == state.certificate_id)
                    .unwrap();
                rows.push(RememberedAlarm {
                    state: state.clone(),
                    sha256: i.leaf.sha256,
                    subject: i.leaf.common_name.clone(),
                    not_after: i.leaf.not_after,
                    endpoint: i.endpoint.clone(),
                    job: i.job.clone(),
                });
            }
        }
    }
    rows
}

fn summaries(plan: &Plan) -> Vec<String> {
    plan.notices
        .iter()
        .map(|n| format!("{} {}", n.owner, n.summary))
        .collect()
}

fn owners() -> Owners {
    Owners::default_with_name()
}

trait DefaultWithName {
    fn default_with_name() -> Owners;
}

impl DefaultWithName for Owners {
    fn default_with_name() -> Owners {
        Owners {
            owners: Vec::new(),
            default: Owner {
                name: "default".to_string(),
                ..Owner::default()
            },
        }
    }
}

#[test]
fn each_tier_crossing_is_told_once_and_a_renewal_rearms() {
    let t = Thresholds::default();
    let o = owners();
    // 20 days left: Warning, told once.
    let now = [input(1, 10, 20)];
    let first = plan(&now, &[], &o, &t, NOW);
    assert_eq!(
        summaries(&first),
        ["default Warning: shop.example.com expires in 20 days (2027-02-04) at 192.0.2.1:443 (shop.example.com)"]
    );
    let told = apply(&[], &first, &now);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].state.tier, "warning");
    let again = plan(&now, &told, &o, &t, NOW);
    assert!(again.notices.is_empty() && again.changes.is_empty());
    // A week later, 13 days: still Warning, nothing.
    let later = plan(&now, &told, &o, &t, NOW + 7 * DAY);
    assert!(later.notices.is_empty() && later.changes.is_empty());
    // Critical at 6 days, then expired.
    let critical = plan(&now, &told, &o, &t, NOW + 14 * DAY);
    assert_eq!(
        summaries(&critical),
        ["default Critical: shop.example.com expires in 6 days (2027-02-04) at 192.0.2.1:443 (shop.example.com)"]
    );
    let told = apply(&told, &critical, &now);
    let expired = plan(&now, &told, &o, &t, NOW + 23 * DAY);
    assert_eq!(expired.notices[0].tier, AlarmTier::Expired);
    assert_eq!(expired.notices[0].previous_tier, AlarmTier::Critical);
    assert_eq!(
        expired.notices[0].summary,
        "Expired: shop.example.com expired 2 days ago (2027-02-04) at 192.0.2.1:443 (shop.example.com)"
    );
    let told = apply(&told, &expired, &now);
    // Renewed: certificate 11 with 80 days left (Info), one notice, and the new row.
    let renewed_now = [input(1, 11, 80)];
    let renewal = plan(&renewed_now, &told, &o, &t, NOW + 23 * DAY);
    assert_eq!(
        summaries(&renewal),
        ["default Renewed: 192.0.2.1:443 (shop.example.com) now serves shop.example.com until 2027-04-05 (tier Info), instead of shop.example.com"]
    );
    assert_eq!(renewal.notices[0].kind, NoticeKind::Renewed);
    assert_eq!(
        renewal.notices[0].previous_sha256.as_deref(),
        Some(colon_hex(&[10; 32]).as_str())
    );
    let told = apply(&told, &renewal, &renewed_now);
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0].state.certificate_id, told[0].state.tier.as_str()),
        (11, "info")
    );
    // Re-armed: the new certificate's Warning is news again.
    let warning = plan(&renewed_now, &told, &o, &t, NOW + 73 * DAY);
    assert_eq!(warning.notices.len(), 1);
    assert_eq!(warning.notices[0].tier, AlarmTier::Warning);
}

#[test]
fn healthy_certificates_are_never_told_and_leave_no_row() {
    let now = [input(1, 10, 200), input(2, 10, 200)];
    let p = plan(&now, &[], &owners(), &Thresholds::default(), NOW);
    assert!(p.notices.is_empty());
    assert!(p
        .changes
        .iter()
        .all(|c| matches!(c, StateChange::Clear { .. })));
    assert!(apply(&[], &p, &now).is_empty());
}

#[test]
fn security_alarms_are_raised_and_resolved() {
    let t = Thresholds::default();
    let o = owners();
    let mut old = input(1, 10, 200);
    old.tls_version = "TLSv1.0".to_string();
    Arc::make_mut(&mut old.leaf).signature = "SHA1-RSA".to_string();
    let now = [old.clone()];
    let first = plan(&now, &[], &o, &t, NOW);
    assert_eq!(
        summaries(&first),
        [
            "default Alarm: shop.example.com at 192.0.2.1:443 (shop.example.com): MD5 or SHA-1 signature",
            "default Alarm: shop.example.com at 192.0.2.1:443 (shop.example.com): TLS 1.0 or 1.1 negotiated",
        ]
    );
    let told = apply(&[], &first, &now);
    assert_eq!(told[0].state.alarms, ["weak-signature", "old-tls"]);
    // The server moved to TLS 1.3: one resolved.
    old.tls_version = "TLSv1.3".to_string();
    let now = [old];
    let fixed = plan(&now, &told, &o, &t, NOW);
    assert_eq!(
        summaries(&fixed),
        ["default Resolved: shop.example.com at 192.0.2.1:443 (shop.example.com): no longer TLS 1.0 or 1.1 negotiated"]
    );
    let told = apply(&told, &fixed, &now);
    assert_eq!(told[0].state.alarms, ["weak-signature"]);
    assert!(plan(&now, &told, &o, &t, NOW).notices.is_empty());
}

#[test]
fn a_certificate_no_longer_served_is_resolved_once() {
    let t = Thresholds::default();
    let o = owners();
    let now = [input(1, 10, 3)];
    let told = apply(&[], &plan(&now, &[], &o, &t, NOW), &now);
    let gone = plan(&[], &told, &o, &t, NOW);
    assert_eq!(
        summaries(&gone),
        ["default Resolved: shop.example.com is no longer served at 192.0.2.1:443 (shop.example.com)"]
    );
    let told = apply(&told, &gone, &now);
    assert!(told.is_empty());
    assert!(plan(&[], &told, &o, &t, NOW).notices.is_empty());
}

fn team(name: &str, certificates: &[&str], servers: &[&str], dual_layer: bool) -> Owner {
    Owner {
        name: name.to_string(),
        at: "t.toml:1".to_string(),
        certificates: certificates
            .iter()
            .map(|r| Placed {
                rule: CertificateRule::parse(r).unwrap(),
                at: "t.toml:2".to_string(),
            })
            .collect(),
        servers: servers
            .iter()
            .map(|r| Placed {
                rule: ServerRule::parse(r).unwrap(),
                at: "t.toml:3".to_string(),
            })
            .collect(),
        dual_layer,
        ..Owner::default()
    }
}

#[test]
fn the_certificate_owner_wins_and_dual_layer_tells_the_server_owner_too() {
    let t = Thresholds::default();
    let mut o = owners();
    o.owners = vec![
        team("dmz-ops", &[], &["192.0.2.0/24"], false),
        team("web-team", &["*.example.com"], &[], false),
    ];
    let now = [input(1, 10, 5)];
    let single = plan(&now, &[], &o, &t, NOW);
    assert_eq!(single.notices.len(), 1);
    assert_eq!(single.notices[0].owner, "web-team");
    o.owners[1].dual_layer = true;
    let dual = plan(&now, &[], &o, &t, NOW);
    let told: Vec<&str> = dual.notices.iter().map(|n| n.owner.as_str()).collect();
    assert_eq!(told, ["web-team", "dmz-ops"]);
    // Ownership moves to another team: the old one's row goes silently, the new one is told.
    let rows = apply(&[], &single, &now);
    o.owners = vec![team("shop-team", &["shop.*"], &[], false)];
    let moved = plan(&now, &rows, &o, &t, NOW);
    assert_eq!(summaries(&moved).len(), 1);
    assert_eq!(moved.notices[0].owner, "shop-team");
    let rows = apply(&rows, &moved, &now);
    let owners_told: Vec<&str> = rows.iter().map(|r| r.state.owner.as_str()).collect();
    assert_eq!(owners_told, ["shop-team"]);
}
