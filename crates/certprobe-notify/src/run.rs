//! One run of the notifier: plan what changed, write it with its messages in one
//! transaction, then send what is due (the new messages and earlier ones waiting for a
//! retry), recording each outcome as it happens.

use crate::digest::{DigestContext, Templates};
use crate::mail::{self, MailError};
use crate::notice::Notice;
use crate::outbox::{self, Payload, EMAIL, HOOK, SNMP};
use crate::snmp::TrapSender;
use crate::{hook, plan};
use certprobe_alarm::channel::NotifySettings;
use certprobe_alarm::{Owners, Thresholds};
use certprobe_inventory::notification::{Attempt, Delivery, NewDelivery};
use certprobe_inventory::{InventoryError, Store};
use std::time::Duration;

/// The first retry waits a minute; each one after twice as long, up to six hours.
const FIRST_RETRY: i64 = 60;
/// The longest wait between retries.
const LONGEST_RETRY: i64 = 6 * 3600;
/// At most this many messages are sent per run; the rest wait for the next.
const MAX_PER_RUN: usize = 100_000;

/// What the notifier works from.
pub struct Setup<'a> {
    /// Who owns what.
    pub owners: &'a Owners,
    /// How notices leave.
    pub settings: &'a NotifySettings,
    /// The tiers' limits.
    pub thresholds: &'a Thresholds,
}

/// How one message ended in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to the receiver.
    Sent,
    /// Not sent; tried again from `retry_at`.
    Failed {
        /// Why.
        reason: String,
        /// Unix seconds.
        retry_at: i64,
    },
    /// Never to be sent: its receiver left the config.
    Dropped {
        /// Why.
        reason: String,
    },
}

/// One message of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sending {
    /// Its id in the outbox.
    pub id: i64,
    /// The owner.
    pub owner: String,
    /// `email`, `snmp`, `hook`.
    pub channel: String,
    /// The receiver.
    pub destination: String,
    /// The subject of an email, the summary of a notice.
    pub what: String,
    /// How it ended; for a dry run, `Sent` means "would be sent".
    pub outcome: Outcome,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    /// The notices planned now.
    pub notices: Vec<Notice>,
    /// The messages, new and retried, with their outcomes (for a dry run: what would go).
    pub messages: Vec<Sending>,
    /// Messages waiting for a later retry.
    pub waiting: Vec<Delivery>,
    /// Templates that could not be used, and the like.
    pub warnings: Vec<String>,
}

impl Report {
    /// Whether every message of the run was sent.
    pub fn all_sent(&self) -> bool {
        self.messages.iter().all(|m| m.outcome == Outcome::Sent)
    }
}

/// Runs the notifier at `now`; `dry_run` plans and shows without writing or sending.
pub fn notify<S: Store + ?Sized>(
    store: &mut S,
    setup: &Setup<'_>,
    now: i64,
    dry_run: bool,
) -> Result<Report, InventoryError> {
    let _lock = if dry_run {
        None
    } else {
        Some(store.lock_notifier()?)
    };
    let inputs = store.alarm_inputs()?;
    let remembered = store.alarm_states()?;
    let planned = plan::plan(&inputs, &remembered, setup.owners, setup.thresholds, now);
    let deliveries = outbox::deliveries(&planned.notices, setup.owners, setup.settings);
    let (templates, warnings) = Templates::load(setup.settings.templates.as_deref());
    let mut report = Report {
        notices: planned.notices,
        warnings,
        ..Report::default()
    };
    if dry_run {
        for d in &deliveries {
            report.messages.push(Sending {
                id: 0,
                owner: d.owner.clone(),
                channel: d.channel.clone(),
                destination: d.destination.clone(),
                what: what(d, &templates, setup, now, &mut report.warnings),
                outcome: Outcome::Sent,
            });
        }
        for d in store.due_deliveries(now, MAX_PER_RUN)? {
            report.messages.push(Sending {
                id: d.id,
                owner: d.owner.clone(),
                channel: d.channel.clone(),
                destination: d.destination.clone(),
                what: format!("(again, after: {})", d.last_error),
                outcome: Outcome::Sent,
            });
        }
        return Ok(report);
    }
    store.commit_notifications(&planned.changes, &deliveries, now)?;
    let mut sender = Sender {
        setup,
        templates: &templates,
        traps: TrapSender::new(Duration::from_secs(10)),
        mail_down: None,
    };
    for delivery in store.due_deliveries(now, MAX_PER_RUN)? {
        let (what, outcome) = sender.send(&delivery, now, &mut report.warnings);
        let attempt = match &outcome {
            Outcome::Sent => Attempt::Sent {
                at: certprobe::clock::now_unix().max(now),
            },
            Outcome::Failed { reason, retry_at } => Attempt::Failed {
                reason: reason.clone(),
                retry_at: *retry_at,
            },
            Outcome::Dropped { reason } => Attempt::Dropped {
                reason: reason.clone(),
            },
        };
        store.record_attempt(delivery.id, &attempt)?;
        report.messages.push(Sending {
            id: delivery.id,
            owner: delivery.owner,
            channel: delivery.channel,
            destination: delivery.destination,
            what,
            outcome,
        });
    }
    // Those tried in this run are listed already.
    let tried: std::collections::HashSet<i64> = report.messages.iter().map(|m| m.id).collect();
    report.waiting = store
        .deliveries(MAX_PER_RUN)?
        .into_iter()
        .filter(|d| d.status == "pending" && d.next_attempt > now && !tried.contains(&d.id))
        .collect();
    Ok(report)
}

/// The retry time after `attempts` failures so far.
pub fn retry_at(now: i64, attempts: u32) -> i64 {
    let wait = FIRST_RETRY
        .saturating_mul(1i64 << attempts.min(20))
        .min(LONGEST_RETRY);
    now + wait
}

/// The line a message shows in the run's output.
fn what(
    d: &NewDelivery,
    templates: &Templates,
    setup: &Setup<'_>,
    now: i64,
    warnings: &mut Vec<String>,
) -> String {
    let Some(payload) = Payload::from_json(&d.payload) else {
        return String::new();
    };
    if d.channel == EMAIL {
        let digest = DigestContext::new(
            &d.owner,
            &payload.notices,
            setup.settings.base_url.as_deref(),
            now,
        );
        templates.render(&digest, warnings).subject
    } else {
        payload
            .notices
            .first()
            .map(|n| n.summary.clone())
            .unwrap_or_default()
    }
}

struct Sender<'a> {
    setup: &'a Setup<'a>,
    templates: &'a Templates,
    traps: TrapSender,
    /// Once the mail server could not be reached, the rest of the run's mail waits.
    mail_down: Option<String>,
}

impl Sender<'_> {
    fn send(&mut self, d: &Delivery, now: i64, warnings: &mut Vec<String>) -> (String, Outcome) {
        let failed = |reason: String| Outcome::Failed {
            reason,
            retry_at: retry_at(now, d.attempts),
        };
        let Some(payload) = Payload::from_json(&d.payload) else {
            return (
                String::new(),
                Outcome::Dropped {
                    reason: "its stored notices cannot be read".to_string(),
                },
            );
        };
        let owner = self.setup.owners.named(&d.owner);
        let settings = self.setup.settings;
        match d.channel.as_str() {
            EMAIL => {
                let digest = DigestContext::new(
                    &d.owner,
                    &payload.notices,
                    settings.base_url.as_deref(),
                    d.created,
                );
                let rendered = self.templates.render(&digest, warnings);
                let subject = rendered.subject.clone();
                let Some(mail) = &settings.mail else {
                    return (
                        subject,
                        failed("[notify] has no smtp, so no mail can be sent".to_string()),
                    );
                };
                if let Some(why) = &self.mail_down {
                    return (
                        subject,
                        failed(format!(
                            "not tried, the mail server failed earlier in this run: {why}"
                        )),
                    );
                }
                let to: Vec<String> = d.destination.split(", ").map(str::to_string).collect();
                match mail::send(mail, &to, &rendered, d.id) {
                    Ok(()) => (subject, Outcome::Sent),
                    Err(e) => {
                        if matches!(
                            e,
                            MailError::Timeout | MailError::Connection(_) | MailError::Tls(_)
                        ) {
                            self.mail_down = Some(e.to_string());
                        }
                        (subject, failed(e.to_string()))
                    }
                }
            }
            SNMP | HOOK => {
                let Some(notice) = payload.notices.first() else {
                    return (
                        String::new(),
                        Outcome::Dropped {
                            reason: "it carries no notice".to_string(),
                        },
                    );
                };
                let summary = notice.summary.clone();
                let result = if d.channel == SNMP {
                    match outbox::snmp_targets(owner, settings)
                        .into_iter()
                        .find(|t| t.label() == d.destination)
                    {
                        Some(target) => self
                            .traps
                            .send(target, notice, d.id, now)
                            .map_err(|e| e.to_string()),
                        None => return (summary, gone(d)),
                    }
                } else {
                    match outbox::hooks(owner, settings)
                        .into_iter()
                        .find(|h| h.label() == d.destination)
                    {
                        Some(h) => hook::send(h, notice, d.id, settings.hook_timeout)
                            .map_err(|e| format!("the hook failed: {e}")),
                        None => return (summary, gone(d)),
                    }
                };
                match result {
                    Ok(()) => (summary, Outcome::Sent),
                    Err(reason) => (summary, failed(reason)),
                }
            }
            other => (
                String::new(),
                Outcome::Dropped {
                    reason: format!("'{}' is not a channel", certprobe::text::quote(other, 20)),
                },
            ),
        }
    }
}

fn gone(d: &Delivery) -> Outcome {
    Outcome::Dropped {
        reason: format!(
            "{} is no longer a receiver of {}'s notices in the config",
            d.destination, d.owner
        ),
    }
}
