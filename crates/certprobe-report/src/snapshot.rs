//! The inventory as the reports see it at one instant: every deployed leaf with its tier,
//! its security alarms and its owners, judged by the same code as the notifier.

use certprobe_alarm::security::alarms_of;
use certprobe_alarm::{AlarmTier, Owners, SecurityAlarm, Thresholds};
use certprobe_inventory::notification::AlarmInput;
use certprobe_inventory::{InventoryError, Store};

/// One endpoint and the leaf it serves, judged.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The facts.
    pub input: AlarmInput,
    /// The tier now.
    pub tier: AlarmTier,
    /// The security alarms now.
    pub alarms: Vec<SecurityAlarm>,
    /// The owners told about it, deciding one first.
    pub owners: Vec<String>,
}

/// Everything deployed now.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When it was judged.
    pub now: i64,
    /// Each endpoint with its leaf, by endpoint id.
    pub deployed: Vec<Judged>,
}

impl Snapshot {
    /// Reads and judges the inventory at `now`.
    pub fn load<S: Store + ?Sized>(
        store: &S,
        owners: &Owners,
        thresholds: &Thresholds,
        now: i64,
    ) -> Result<Snapshot, InventoryError> {
        let deployed = store
            .alarm_inputs()?
            .into_iter()
            .map(|input| {
                let resolution = owners.resolve(&input);
                Judged {
                    tier: thresholds.tier(input.leaf.not_after, now),
                    alarms: alarms_of(&input, thresholds),
                    owners: owners
                        .notified(&resolution)
                        .iter()
                        .map(|o| o.name.clone())
                        .collect(),
                    input,
                }
            })
            .collect();
        Ok(Snapshot { now, deployed })
    }

    /// The certificates deployed now, each once (the first endpoint's judgement), by id.
    pub fn certificates(&self) -> Vec<&Judged> {
        let mut seen = std::collections::HashSet::new();
        self.deployed
            .iter()
            .filter(|j| seen.insert(j.input.certificate_id))
            .collect()
    }
}

/// `ab12...` (lower-case hex without separators), as page addresses use it.
pub fn hex_id(sha256: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in sha256 {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The common name, or the DN without one.
pub fn name_of(common_name: &str, dn: &str) -> String {
    if common_name.is_empty() {
        dn.to_string()
    } else {
        common_name.to_string()
    }
}
