//! The key: type and size against the policy's minimums.

use super::{Check, Finding, Policy, State};
use crate::analysis::KeyAlgorithm;

/// The leaf key's finding.
pub fn finding(algorithm: KeyAlgorithm, bits: u32, described: &str, policy: &Policy) -> Finding {
    let (state, limit) = match algorithm {
        KeyAlgorithm::Rsa | KeyAlgorithm::Dsa => match policy.min_key_bits {
            Some(min) if bits < min => (State::Critical, min),
            Some(_) => (State::Ok, 0),
            None if bits < 1024 => (State::Critical, 1024),
            None if bits < 2048 => (State::Warning, 2048),
            None => (State::Ok, 0),
        },
        KeyAlgorithm::Ecdsa | KeyAlgorithm::Ed25519 | KeyAlgorithm::Ed448
            if bits < policy.min_ec_key_bits =>
        {
            (State::Critical, policy.min_ec_key_bits)
        }
        KeyAlgorithm::Unknown => (State::Warning, 0),
        _ => (State::Ok, 0),
    };
    let message = match (state, algorithm) {
        (State::Ok, _) => format!("key is {described}"),
        (_, KeyAlgorithm::Unknown) => "key type is not known".to_string(),
        _ => format!("key is {described}, below the minimum of {limit} bits"),
    };
    Finding::new(Check::Key, state, message)
}
