//! One typed configuration: everything a check needs, however it was asked for.

use certprobe::render::Format;
use certprobe::{CheckOptions, CheckerSettings, Target};

/// One typed configuration, everything the plugin needs.
pub struct Config {
    /// The endpoint: host, port, SNI, protocol, timeout.
    pub target: Target,
    /// What the check does and how it judges.
    pub options: CheckOptions,
    /// What the checker is built with: trust anchors, cache, egress policy.
    pub settings: CheckerSettings,
    /// The output format: `--output`, or the PRTG one for a PRTG parameter string.
    pub format: Format,
    /// The `-v` count: 1 adds the connection and the chain, 2 also the configuration.
    pub verbosity: u8,
}
