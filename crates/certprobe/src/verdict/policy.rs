//! The policy: the user's thresholds and switches, every default the documented one.

use super::{State, Threshold};
use crate::analysis::grade::Letter;
use crate::analysis::{CertFacts, NameMode};
use crate::tls_version::TlsVersion;

/// Thresholds and switches; every default is the documented one.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Days left at or below which the alarm tier is Warning, and PRTG's warning limit
    /// (`warning`'s [`Threshold::min_days`]). The state itself comes from `warning`.
    pub warning_days: f64,
    /// The warning threshold as given (`30`, `30:`, `@10:20`, `25%`); drives the state and
    /// perfdata. A share of the lifetime is turned into days for the leaf by [`Policy::for_leaf`].
    pub warning: Threshold,
    /// Days left at or below which the alarm tier is Critical, and PRTG's error limit
    /// (`critical`'s [`Threshold::min_days`]). The state itself comes from `critical`.
    pub critical_days: f64,
    /// The critical threshold as given.
    pub critical: Threshold,
    /// How the host name is checked against the leaf (`none`, `cn`, `cn-san`).
    pub name_mode: NameMode,
    /// An untrusted chain is WARNING instead of CRITICAL.
    pub allow_untrusted: bool,
    /// A self-signed leaf is OK instead of CRITICAL.
    pub allow_self_signed: bool,
    /// RSA/DSA keys below this are CRITICAL; replaces the default tiers (1024 / 2048).
    pub min_key_bits: Option<u32>,
    /// ECDSA/EdDSA keys below this are CRITICAL.
    pub min_ec_key_bits: u32,
    /// The state printed when the deadline passes.
    pub timeout_state: State,
    /// Days left up to which the alarm tier is Info.
    pub info_days: f64,
    /// A leaf valid longer than this (issued since 2020-09-01) is WARNING.
    pub max_validity_days: f64,
    /// A leaf without subjectAltName is OK instead of WARNING.
    pub allow_empty_san: bool,
    /// The issuer (DN or CN) must match this (`--issuer`).
    pub issuer: Option<regex_lite::Regex>,
    /// The leaf's SHA-256 fingerprint must be this (uppercase hex, `--fingerprint`).
    pub fingerprint: Option<String>,
    /// The leaf's serial must be this (uppercase hex without leading zeros, `--serial`).
    pub serial: Option<String>,
    /// Names the leaf must also cover (`--match`, ASCII form).
    pub match_names: Vec<String>,
    /// Check revocation (`--no-revocation` turns it off).
    pub revocation: bool,
    /// An unobtainable revocation status is CRITICAL instead of WARNING.
    pub revocation_strict: bool,
    /// No stapled OCSP response is CRITICAL.
    pub require_stapling: bool,
    /// Accepted TLS versions below this are CRITICAL.
    pub min_tls: Option<TlsVersion>,
    /// A grade worse than this (`B`) is CRITICAL.
    pub min_grade: Option<Letter>,
}

impl Policy {
    /// The policy for one leaf: thresholds given as a share of the lifetime (`25%`) become
    /// minimum days of this leaf's notBefore..notAfter, and `warning_days`/`critical_days`
    /// follow them; a policy in days is returned as it is. The verdict judges with this, and
    /// an [`Outcome`](crate::Outcome) keeps it, so perfdata and PRTG limits are in days.
    pub fn for_leaf(&self, leaf: &CertFacts) -> Policy {
        if !self.warning.is_percent() && !self.critical.is_percent() {
            return self.clone();
        }
        let lifetime = (leaf.not_after - leaf.not_before) as f64 / 86_400.0;
        let warning = self.warning.for_lifetime(lifetime);
        let critical = self.critical.for_lifetime(lifetime);
        Policy {
            warning_days: if self.warning.is_percent() {
                warning.min_days()
            } else {
                self.warning_days
            },
            critical_days: if self.critical.is_percent() {
                critical.min_days()
            } else {
                self.critical_days
            },
            warning,
            critical,
            ..self.clone()
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            warning_days: 30.0,
            warning: Threshold::MinDays(30.0),
            critical_days: 7.0,
            critical: Threshold::MinDays(7.0),
            name_mode: NameMode::CnSan,
            allow_untrusted: false,
            allow_self_signed: false,
            min_key_bits: None,
            min_ec_key_bits: 256,
            timeout_state: State::Unknown,
            info_days: 90.0,
            max_validity_days: 398.0,
            allow_empty_san: false,
            issuer: None,
            fingerprint: None,
            serial: None,
            match_names: Vec::new(),
            revocation: true,
            revocation_strict: false,
            require_stapling: false,
            min_tls: None,
            min_grade: None,
        }
    }
}
