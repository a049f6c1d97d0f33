//! What one check produced, as data: the target, what the server sent, what the analysis
//! learnt, and the verdict. The renderers read it; an inventory stores it.

use crate::analysis::Report;
use crate::observation::{ConnectError, Observation};
use crate::target::Target;
use crate::verdict::{self, Check, Policy, Verdict};

/// Everything one check produced, whatever stage it ended in.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What was checked; absent when the request itself could not be understood.
    pub target: Option<Target>,
    /// What the server sent, when a chain was captured.
    pub observation: Option<Observation>,
    /// What the analysis learnt, when the chain could be parsed.
    pub report: Option<Report>,
    /// The state and findings; always present, also for a failed or misunderstood check.
    pub verdict: Verdict,
    /// The policy the verdict was made with (thresholds for perfdata and channels).
    pub policy: Policy,
    /// Why no chain was read or analysed, when that is how the check ended.
    pub error: Option<ConnectError>,
}

impl Outcome {
    /// The outcome of a request that was not understood: UNKNOWN with `message`.
    pub fn usage(message: &str) -> Outcome {
        Outcome {
            target: None,
            observation: None,
            report: None,
            verdict: verdict::judge_usage(message),
            policy: Policy::default(),
            error: None,
        }
    }

    /// An outcome about no particular target: UNKNOWN with `message` about `check` (an
    /// inventory that cannot be read, an endpoint it does not hold). Unlike [`Outcome::usage`]
    /// it is no argument error, so no usage line comes with it.
    pub fn unknown(check: Check, message: &str) -> Outcome {
        Outcome {
            target: None,
            observation: None,
            report: None,
            verdict: verdict::judge_unknown(check, message),
            policy: Policy::default(),
            error: None,
        }
    }

    /// The outcome of a check that ran out of time before it ended.
    pub fn timed_out(target: &Target, policy: &Policy, error: &ConnectError) -> Outcome {
        Outcome::failed(target, policy, error)
    }

    /// The outcome of a check that failed before a chain was read (refused, timed out, ...).
    pub fn failed(target: &Target, policy: &Policy, error: &ConnectError) -> Outcome {
        Outcome {
            target: Some(target.clone()),
            observation: None,
            report: None,
            verdict: verdict::judge_error(error, policy),
            policy: policy.clone(),
            error: Some(error.clone()),
        }
    }
}
