//! Notices into messages: one email digest per owner, one trap per notice and receiver, one
//! hook run per notice and hook. Each message is stored with what it carries, and found
//! again in the config by its receiver when it is sent.

use crate::notice::Notice;
use certprobe_alarm::channel::{Hook, NotifySettings, SnmpTarget};
use certprobe_alarm::{Owner, Owners};
use certprobe_inventory::notification::NewDelivery;
use serde::{Deserialize, Serialize};

/// The email channel's name in the log.
pub const EMAIL: &str = "email";
/// The SNMP channel's name in the log.
pub const SNMP: &str = "snmp";
/// The hook channel's name in the log.
pub const HOOK: &str = "hook";

/// What a stored message carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The notices: an email's digest, or the one notice of a trap or a hook run.
    pub notices: Vec<Notice>,
}

impl Payload {
    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"notices\":[]}".to_string())
    }

    /// The payload of stored JSON; `None` when it does not read (a row written by hand).
    pub fn from_json(text: &str) -> Option<Payload> {
        serde_json::from_str(text).ok()
    }
}

/// The messages for a run's notices, in order: each owner's digest, then its traps and hooks.
pub fn deliveries(
    notices: &[Notice],
    owners: &Owners,
    settings: &NotifySettings,
) -> Vec<NewDelivery> {
    let mut names: Vec<&str> = Vec::new();
    for n in notices {
        if !names.contains(&n.owner.as_str()) {
            names.push(&n.owner);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let mine: Vec<&Notice> = notices.iter().filter(|n| n.owner == name).collect();
        let owner = owners.named(name);
        if let Some(owner) = owner.filter(|o| !o.email.is_empty()) {
            out.push(NewDelivery {
                owner: name.to_string(),
                channel: EMAIL.to_string(),
                destination: owner.email.join(", "),
                payload: Payload {
                    notices: mine.iter().map(|n| (*n).clone()).collect(),
                }
                .to_json(),
            });
        }
        for notice in &mine {
            let payload = Payload {
                notices: vec![(*notice).clone()],
            }
            .to_json();
            for target in snmp_targets(owner, settings) {
                out.push(NewDelivery {
                    owner: name.to_string(),
                    channel: SNMP.to_string(),
                    destination: target.label(),
                    payload: payload.clone(),
                });
            }
            for hook in hooks(owner, settings) {
                out.push(NewDelivery {
                    owner: name.to_string(),
                    channel: HOOK.to_string(),
                    destination: hook.label(),
                    payload: payload.clone(),
                });
            }
        }
    }
    out
}

/// The trap receivers of an owner's notices: its own, then those of `[notify]`.
pub fn snmp_targets<'a>(
    owner: Option<&'a Owner>,
    settings: &'a NotifySettings,
) -> Vec<&'a SnmpTarget> {
    let mut out: Vec<&SnmpTarget> = Vec::new();
    for t in owner
        .map_or(&[][..], |o| &o.snmp)
        .iter()
        .chain(&settings.snmp)
    {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The hooks of an owner's notices: its own, then the one of `[notify]`.
pub fn hooks<'a>(owner: Option<&'a Owner>, settings: &'a NotifySettings) -> Vec<&'a Hook> {
    let mut out: Vec<&Hook> = Vec::new();
    for h in owner
        .and_then(|o| o.hook.as_ref())
        .into_iter()
        .chain(settings.hook.as_ref())
    {
        if !out.iter().any(|o| o.label() == h.label()) {
            out.push(h);
        }
    }
    out
}
