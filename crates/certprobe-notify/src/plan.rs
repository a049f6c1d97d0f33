//! What changed since owners were last told, as notices and the alarm rows that remember
//! them. Pure: the inventory's rows in, the plan out; the caller writes both in one
//! transaction, which is what makes each notice happen exactly once.

use crate::notice::{Notice, NoticeKind};
use certprobe_alarm::security::alarms_of;
use certprobe_alarm::tier::days_left;
use certprobe_alarm::{AlarmTier, Owners, SecurityAlarm, Thresholds};
use certprobe_inventory::model::colon_hex;
use certprobe_inventory::notification::{AlarmInput, AlarmState, RememberedAlarm, StateChange};
use std::collections::{HashMap, HashSet};

/// The notices to send and the rows that remember them.
#[derive(Debug, Default)]
pub struct Plan {
    /// The alarm rows to write.
    pub changes: Vec<StateChange>,
    /// The notices, by endpoint then owner.
    pub notices: Vec<Notice>,
}

type Key<'a> = (i64, i64, &'a str);

/// Compares what is deployed now with what each owner was told.
pub fn plan(
    inputs: &[AlarmInput],
    remembered: &[RememberedAlarm],
    owners: &Owners,
    thresholds: &Thresholds,
    now: i64,
) -> Plan {
    let mut told: HashMap<Key<'_>, &RememberedAlarm> = HashMap::with_capacity(remembered.len());
    let mut by_place: HashMap<(i64, &str), Vec<&RememberedAlarm>> = HashMap::new();
    for r in remembered {
        let s = &r.state;
        told.insert((s.endpoint_id, s.certificate_id, s.owner.as_str()), r);
        by_place
            .entry((s.endpoint_id, s.owner.as_str()))
            .or_default()
            .push(r);
    }
    let mut used: HashSet<Key<'_>> = HashSet::new();
    let mut serving: HashMap<i64, &AlarmInput> = HashMap::with_capacity(inputs.len());
    let mut plan = Plan::default();
    for input in inputs {
        serving.insert(input.endpoint_id, input);
        let tier = thresholds.tier(input.leaf.not_after, now);
        let alarms = alarms_of(input, thresholds);
        let resolution = owners.resolve(input);
        for owner in owners.notified(&resolution) {
            let name = owner.name.as_str();
            let key = (input.endpoint_id, input.certificate_id, name);
            let before = told.get(&key).copied();
            let fresh = Fresh::new(input, name, tier, &alarms, now);
            match before {
                Some(r) => {
                    used.insert(key);
                    fresh.compare(r, &mut plan);
                }
                None => {
                    // Told about another certificate here: this one replaced it.
                    let replaced = by_place
                        .get(&(input.endpoint_id, name))
                        .and_then(|rs| {
                            rs.iter().find(|r| {
                                r.state.certificate_id != input.certificate_id
                                    && !used.contains(&row_key(r))
                            })
                        })
                        .copied();
                    match replaced {
                        Some(old) => {
                            used.insert(row_key(old));
                            plan.changes.push(clear(old));
                            plan.notices.push(renewed(old, input, tier, &alarms, now));
                            fresh.remember(&mut plan);
                        }
                        None => fresh.compare_with_nothing(&mut plan),
                    }
                }
            }
        }
    }
    for r in remembered {
        if used.contains(&row_key(r)) {
            continue;
        }
        plan.changes.push(clear(r));
        match serving.get(&r.state.endpoint_id) {
            // Another certificate there, owned by someone else now: still news to this owner.
            Some(input) if input.certificate_id != r.state.certificate_id => {
                let tier = thresholds.tier(input.leaf.not_after, now);
                let alarms = alarms_of(input, thresholds);
                plan.notices.push(renewed(r, input, tier, &alarms, now));
            }
            // The same certificate, owned by someone else now: nothing to say.
            Some(_) => {}
            None => plan.notices.push(gone(r, now)),
        }
    }
    plan
}

fn row_key(r: &RememberedAlarm) -> Key<'_> {
    (
        r.state.endpoint_id,
        r.state.certificate_id,
        r.state.owner.as_str(),
    )
}

fn clear(r: &RememberedAlarm) -> StateChange {
    StateChange::Clear {
        endpoint_id: r.state.endpoint_id,
        certificate_id: r.state.certificate_id,
        owner: r.state.owner.clone(),
    }
}

/// One deployment as it is now, for one owner.
struct Fresh<'a> {
    input: &'a AlarmInput,
    owner: &'a str,
    tier: AlarmTier,
    alarms: &'a [SecurityAlarm],
    now: i64,
}

impl<'a> Fresh<'a> {
    fn new(
        input: &'a AlarmInput,
        owner: &'a str,
        tier: AlarmTier,
        alarms: &'a [SecurityAlarm],
        now: i64,
    ) -> Self {
        Fresh {
            input,
            owner,
            tier,
            alarms,
            now,
        }
    }

    fn compare_with_nothing(&self, plan: &mut Plan) {
        self.notices(AlarmTier::Ok, &[], plan);
        self.remember(plan);
    }

    fn compare(&self, r: &RememberedAlarm, plan: &mut Plan) {
        let before_tier = AlarmTier::from_id(&r.state.tier).unwrap_or(AlarmTier::Ok);
        let before: Vec<SecurityAlarm> = r
            .state
            .alarms
            .iter()
            .filter_map(|a| SecurityAlarm::from_id(a))
            .collect();
        self.notices(before_tier, &before, plan);
        // A tier that fell (the limits were changed) is remembered as it is now, silently.
        if before_tier != self.tier || before != self.alarms {
            self.remember(plan);
        }
    }

    fn notices(&self, before_tier: AlarmTier, before: &[SecurityAlarm], plan: &mut Plan) {
        if self.tier > before_tier {
            plan.notices
                .push(self.notice(NoticeKind::Tier, before_tier, None));
        }
        for alarm in self.alarms.iter().filter(|a| !before.contains(a)) {
            plan.notices
                .push(self.notice(NoticeKind::Alarm, before_tier, Some(*alarm)));
        }
        for alarm in before.iter().filter(|a| !self.alarms.contains(a)) {
            plan.notices
                .push(self.notice(NoticeKind::Resolved, before_tier, Some(*alarm)));
        }
    }

    /// The row for what this owner now knows; none while there is nothing to know.
    fn remember(&self, plan: &mut Plan) {
        let input = self.input;
        if self.tier == AlarmTier::Ok && self.alarms.is_empty() {
            plan.changes.push(StateChange::Clear {
                endpoint_id: input.endpoint_id,
                certificate_id: input.certificate_id,
                owner: self.owner.to_string(),
            });
            return;
        }
        plan.changes.push(StateChange::Set(AlarmState {
            endpoint_id: input.endpoint_id,
            certificate_id: input.certificate_id,
            owner: self.owner.to_string(),
            tier: self.tier.id().to_string(),
            alarms: self.alarms.iter().map(|a| a.id().to_string()).collect(),
            since: self.now,
        }));
    }

    fn notice(&self, kind: NoticeKind, before: AlarmTier, alarm: Option<SecurityAlarm>) -> Notice {
        let input = self.input;
        let mut notice = base(input, self.owner, self.tier, self.alarms, self.now);
        notice.kind = kind;
        notice.previous_tier = before;
        notice.alarm = alarm;
        notice.summary = match (kind, alarm) {
            (NoticeKind::Tier, _) => {
                format!(
                    "{}: {} at {}",
                    self.tier.name(),
                    expiry(input.leaf.not_after, self.now, &notice.subject),
                    notice.endpoint
                )
            }
            (NoticeKind::Alarm, Some(a)) => {
                format!(
                    "Alarm: {} at {}: {}",
                    notice.subject,
                    notice.endpoint,
                    a.describe()
                )
            }
            (NoticeKind::Resolved, Some(a)) => format!(
                "Resolved: {} at {}: no longer {}",
                notice.subject,
                notice.endpoint,
                a.describe()
            ),
            _ => String::new(),
        };
        notice
    }
}

/// A notice's fields from the deployment as it is now.
fn base(
    input: &AlarmInput,
    owner: &str,
    tier: AlarmTier,
    alarms: &[SecurityAlarm],
    now: i64,
) -> Notice {
    let or = |cn: &str, dn: &str| {
        if cn.is_empty() {
            dn.to_string()
        } else {
            cn.to_string()
        }
    };
    Notice {
        kind: NoticeKind::Tier,
        owner: owner.to_string(),
        endpoint: input.endpoint.label(),
        job: input.job.clone(),
        sha256: colon_hex(&input.leaf.sha256),
        subject: or(&input.leaf.common_name, &input.leaf.subject),
        issuer: or(&input.leaf.issuer_common_name, &input.leaf.issuer),
        not_after: input.leaf.not_after,
        days_left: days_left(input.leaf.not_after, now),
        tier,
        previous_tier: AlarmTier::Ok,
        alarm: None,
        alarms: alarms.to_vec(),
        previous_sha256: None,
        summary: String::new(),
    }
}

fn renewed(
    old: &RememberedAlarm,
    input: &AlarmInput,
    tier: AlarmTier,
    alarms: &[SecurityAlarm],
    now: i64,
) -> Notice {
    let mut notice = base(input, &old.state.owner, tier, alarms, now);
    notice.kind = NoticeKind::Renewed;
    notice.previous_tier = AlarmTier::from_id(&old.state.tier).unwrap_or(AlarmTier::Ok);
    notice.previous_sha256 = Some(colon_hex(&old.sha256));
    notice.summary = format!(
        "Renewed: {} now serves {} until {} (tier {}), instead of {}",
        notice.endpoint,
        notice.subject,
        date(input.leaf.not_after),
        tier.name(),
        old.subject
    );
    notice
}

fn gone(old: &RememberedAlarm, now: i64) -> Notice {
    let tier = AlarmTier::from_id(&old.state.tier).unwrap_or(AlarmTier::Ok);
    let endpoint = old.endpoint.label();
    Notice {
        kind: NoticeKind::Resolved,
        owner: old.state.owner.clone(),
        summary: format!(
            "Resolved: {} is no longer served at {endpoint}",
            old.subject
        ),
        endpoint,
        job: old.job.clone(),
        sha256: colon_hex(&old.sha256),
        subject: old.subject.clone(),
        issuer: String::new(),
        not_after: old.not_after,
        days_left: days_left(old.not_after, now),
        tier,
        previous_tier: tier,
        alarm: None,
        alarms: Vec::new(),
        previous_sha256: None,
    }
}

/// `2026-12-31`.
pub fn date(unix: i64) -> String {
    let full = certprobe::clock::format_utc(unix);
    full.get(..10).unwrap_or(&full).to_string()
}

/// `shop.example.com expires in 21 days (2026-12-23)` or `... expired 3 days ago (...)`.
fn expiry(not_after: i64, now: i64, subject: &str) -> String {
    let days = days_left(not_after, now);
    let when = date(not_after);
    match days {
        d if not_after <= now => {
            let ago = -d - 1;
            match ago {
                0 => format!("{subject} expired today ({when})"),
                1 => format!("{subject} expired yesterday ({when})"),
                n => format!("{subject} expired {n} days ago ({when})"),
            }
        }
        0 => format!("{subject} expires today ({when})"),
        1 => format!("{subject} expires in 1 day ({when})"),
        n => format!("{subject} expires in {n} days ({when})"),
    }
}

#[cfg(test)]
mod tests;
