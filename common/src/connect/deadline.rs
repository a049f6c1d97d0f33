use crate::observation::{ConnectError, ErrorKind};
use std::time::{Duration, Instant};

/// The instant by which the whole network part must be over.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    pub fn after(budget: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + budget,
            budget,
        }
    }

    /// Time left, or a timeout error naming `step` when none is left.
    pub fn remaining(&self, step: &str) -> Result<Duration, ConnectError> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(self.expired(step))
        } else {
            Ok(left)
        }
    }

    /// The timeout error for `step`, e.g. "timeout after 10 s during the TLS handshake".
    pub fn expired(&self, step: &str) -> ConnectError {
        ConnectError::new(
            ErrorKind::Timeout,
            format!("timeout after {} s {step}", format_seconds(self.budget)),
        )
    }
}

/// `10`, `2.5`: whole seconds without a fraction.
fn format_seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}
