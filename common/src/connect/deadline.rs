use crate::observation::{ConnectError, ErrorKind};
use std::time::{Duration, Instant};

/// The instant by which the whole network part must be over.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    /// The user's timeout, as named in messages.
    budget: Duration,
}

impl Deadline {
    /// A deadline for the network steps of a check limited to `timeout`: a margin
    /// (a fifth, at most 300 ms) is kept for analysis and output, so that the process ends
    /// before the caller's own limit.
    pub fn within(timeout: Duration) -> Deadline {
        let margin = (timeout / 5).min(Duration::from_millis(300));
        Deadline {
            at: Instant::now() + timeout.saturating_sub(margin),
            budget: timeout,
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
