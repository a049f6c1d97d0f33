//! The SNMP channel: a trap per notice, v2c or v3 at authPriv, over UDP. A trap gets no
//! answer, so "sent" means handed to the network; the receiver's name is resolved within a
//! deadline by the engine's bounded resolver.

pub mod ber;
pub mod trap;
pub mod usm;

use crate::notice::Notice;
use certprobe::capture::Resolver;
use certprobe::Deadline;
use certprobe_alarm::channel::{SnmpTarget, SnmpVersion};
use ring::rand::SecureRandom;
use std::collections::HashMap;
use std::net::UdpSocket;
use std::time::Duration;

/// The engine's time counts from here (2026-01-01), so it grows across runs as RFC 3414
/// wants, without a state file; boots stay 1.
const ENGINE_EPOCH: i64 = 1_767_225_600;

/// Why a trap was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapError {
    /// The receiver's name does not resolve (or not in time).
    Resolve(String),
    /// No socket, or the send failed.
    Network(String),
}

impl std::fmt::Display for TrapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrapError::Resolve(why) => write!(f, "the trap receiver cannot be found: {why}"),
            TrapError::Network(why) => write!(f, "the trap cannot be sent: {why}"),
        }
    }
}

impl std::error::Error for TrapError {}

/// A v3 user's authentication and privacy keys, localized to certprobe's engine.
type LocalizedKeys = ([u8; 20], [u8; 20]);

/// Sends traps; keeps each v3 user's localized keys for the run (a megabyte of SHA-1 each).
pub struct TrapSender {
    resolver: Resolver,
    keys: HashMap<(String, Vec<u8>), LocalizedKeys>,
    random: ring::rand::SystemRandom,
    timeout: Duration,
}

impl TrapSender {
    /// A sender whose name lookups wait at most `timeout`.
    pub fn new(timeout: Duration) -> TrapSender {
        TrapSender {
            resolver: Resolver::new(2, 64),
            keys: HashMap::new(),
            random: ring::rand::SystemRandom::new(),
            timeout,
        }
    }

    /// Sends one notice's trap to `target`; `id` is the message's id in the outbox.
    pub fn send(
        &mut self,
        target: &SnmpTarget,
        notice: &Notice,
        id: i64,
        now: i64,
    ) -> Result<(), TrapError> {
        let addresses = self
            .resolver
            .resolve(&target.host, target.port, Deadline::within(self.timeout))
            .map_err(|e| TrapError::Resolve(e.message))?;
        let Some(address) = addresses.first() else {
            return Err(TrapError::Resolve(format!(
                "'{}' has no address",
                target.host
            )));
        };
        let since = (now - ENGINE_EPOCH).clamp(0, i64::from(i32::MAX)) as u32;
        let request_id = (id & 0x7fff_ffff) as i32;
        let pdu = trap::pdu(notice, request_id, since.wrapping_mul(100));
        let message = match &target.version {
            SnmpVersion::V2c { community } => trap::v2c(community.0.as_bytes(), &pdu),
            SnmpVersion::V3 {
                user,
                auth_password,
                privacy_password,
                engine_id,
            } => {
                let (auth_key, priv_key) = *self
                    .keys
                    .entry((
                        format!("{user}\0{}\0{}", auth_password.0, privacy_password.0),
                        engine_id.clone(),
                    ))
                    .or_insert_with(|| {
                        (
                            usm::localized_key(auth_password.0.as_bytes(), engine_id),
                            usm::localized_key(privacy_password.0.as_bytes(), engine_id),
                        )
                    });
                let mut salt = [0u8; 8];
                self.random.fill(&mut salt).map_err(|_| {
                    TrapError::Network("no random numbers for the salt".to_string())
                })?;
                trap::v3(
                    &trap::V3 {
                        user: user.as_bytes(),
                        engine_id,
                        boots: 1,
                        time: since,
                        auth_key: &auth_key,
                        priv_key: &priv_key,
                        message_id: request_id,
                        salt,
                    },
                    &pdu,
                )
            }
        };
        let local = if address.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket =
            UdpSocket::bind(local).map_err(|e| TrapError::Network(crate::process::io_words(&e)))?;
        socket
            .send_to(&message, address)
            .map(|_| ())
            .map_err(|e| TrapError::Network(crate::process::io_words(&e)))
    }
}
