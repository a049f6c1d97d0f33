//! One typed configuration: everything a check needs, however it was asked for.

use certprobe::render::Format;
use certprobe::{CheckOptions, CheckerSettings, Target};

/// One typed configuration, everything the plugin needs.
pub struct Config {
    pub target: Target,
    /// What the check does and how it judges.
    pub options: CheckOptions,
    /// What the checker is built with: trust anchors, cache, egress policy.
    pub settings: CheckerSettings,
    pub format: Format,
    pub verbosity: u8,
}
