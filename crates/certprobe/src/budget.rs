//! Time budgets: every network step takes its time from one [`Deadline`], an instant; a
//! [`Budget`] adds the connect timeout, apart from the overall one, so a scanner can give dead
//! hosts a second or two and live ones longer.

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

    /// A deadline at `at`; `named` is the time limit that messages name ("timeout after 10 s").
    pub fn at(at: Instant, named: Duration) -> Deadline {
        Deadline { at, budget: named }
    }

    /// The instant itself.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// True once the deadline has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
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

/// What one check may spend: the overall deadline, and a shorter limit for each TCP connect.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Everything (resolution, connect, dialogue, handshake, lookups) ends by this.
    pub deadline: Deadline,
    /// Each connect attempt gives up after this, when set (and always at the deadline).
    pub connect_timeout: Option<Duration>,
}

impl Budget {
    /// The plugins' budget: [`Deadline::within`] `timeout`, no separate connect limit.
    pub fn within(timeout: Duration) -> Budget {
        Budget {
            deadline: Deadline::within(timeout),
            connect_timeout: None,
        }
    }

    /// The same budget with a connect timeout.
    pub fn with_connect_timeout(self, limit: Duration) -> Budget {
        Budget {
            connect_timeout: Some(limit),
            ..self
        }
    }

    /// Time for one connect attempt, or a timeout error naming `step`.
    pub fn connect_time(&self, step: &str) -> Result<Duration, ConnectError> {
        let left = self.deadline.remaining(step)?;
        Ok(match self.connect_timeout {
            Some(limit) => left.min(limit),
            None => left,
        })
    }

    /// The timeout error of a connect attempt that ran out of time: the connect timeout when
    /// that was the shorter limit, the overall one otherwise.
    pub fn connect_expired(&self, step: &str) -> ConnectError {
        match self.connect_timeout {
            Some(limit) if !self.deadline.passed() => ConnectError::new(
                ErrorKind::Timeout,
                format!("timeout after {} s {step}", format_seconds(limit)),
            ),
            _ => self.deadline.expired(step),
        }
    }
}
