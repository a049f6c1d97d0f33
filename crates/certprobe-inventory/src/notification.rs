//! What the notifier reads and writes: the deployed leaves with the facts alarms are made of,
//! what each owner was last told about each of them, and the outbox that is also the log of
//! what was sent to whom.

use crate::model::{EndpointKey, StoredFinding};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A deployed leaf's facts, read once however many endpoints serve it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafFacts {
    /// The leaf's SHA-256.
    pub sha256: [u8; 32],
    /// Subject DN.
    pub subject: String,
    /// Subject common name; empty when none.
    pub common_name: String,
    /// Issuer DN.
    pub issuer: String,
    /// Issuer common name; empty when none.
    pub issuer_common_name: String,
    /// The DNS names and addresses it covers.
    pub names: Vec<String>,
    /// Serial, hex.
    pub serial: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// `RSA`, `EC`, `Ed25519`, ...
    pub key_type: String,
    /// The key's size in bits.
    pub key_bits: u32,
    /// The signature algorithm's name.
    pub signature: String,
    /// Whether it is self-signed.
    pub self_signed: bool,
}

/// An endpoint and the leaf it serves now, with every fact an alarm or an owner rule reads.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmInput {
    /// The endpoint's row id.
    pub endpoint_id: i64,
    /// Where: zone, address (or the host of a file), port, SNI name (or the path), protocol.
    pub endpoint: EndpointKey,
    /// The job that found it.
    pub job: String,
    /// The endpoint's state at its latest scan (0-3).
    pub state: u8,
    /// The TLS version negotiated at the latest scan; empty when unknown or a file.
    pub tls_version: String,
    /// The findings of the latest scan.
    pub findings: Vec<StoredFinding>,
    /// The leaf's row id.
    pub certificate_id: i64,
    /// The leaf's facts, shared by every endpoint serving it.
    pub leaf: Arc<LeafFacts>,
}

/// What one owner was last told about one certificate at one endpoint. Only what was told
/// is kept: a certificate that never left OK has no row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmState {
    /// The endpoint's row id.
    pub endpoint_id: i64,
    /// The certificate's row id.
    pub certificate_id: i64,
    /// The owner's name.
    pub owner: String,
    /// The tier last notified (`ok`, `info`, `warning`, `critical`, `expired`).
    pub tier: String,
    /// The security alarms last notified, by id, sorted.
    pub alarms: Vec<String>,
    /// When this was last changed, Unix seconds.
    pub since: i64,
}

/// A stored [`AlarmState`] with what a notice about it says: the certificate and the
/// endpoint as they are in the inventory now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedAlarm {
    /// The row.
    pub state: AlarmState,
    /// The certificate's SHA-256.
    pub sha256: [u8; 32],
    /// Its common name, or its subject DN without one.
    pub subject: String,
    /// Its notAfter.
    pub not_after: i64,
    /// The endpoint.
    pub endpoint: EndpointKey,
    /// The endpoint's job.
    pub job: String,
}

/// A change to what an owner was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateChange {
    /// Insert or replace the row of its endpoint, certificate and owner.
    Set(AlarmState),
    /// Remove that row: renewed, no longer served, resolved, or owned by another now.
    Clear {
        /// The endpoint's row id.
        endpoint_id: i64,
        /// The certificate's row id.
        certificate_id: i64,
        /// The owner's name.
        owner: String,
    },
}

/// A message to be sent, written with the state changes that cause it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The owner it is for.
    pub owner: String,
    /// `email`, `snmp` or `hook`.
    pub channel: String,
    /// Where it goes: the addresses, the trap target or the command, as shown in the log.
    pub destination: String,
    /// The notices it carries, as JSON: sending reads only this.
    pub payload: String,
}

/// A message in the outbox: waiting, sent, or waiting again after a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// Its id (stable: an email's Message-ID is made from it).
    pub id: i64,
    /// When it was planned, Unix seconds.
    pub created: i64,
    /// The owner it is for.
    pub owner: String,
    /// `email`, `snmp` or `hook`.
    pub channel: String,
    /// Where it goes.
    pub destination: String,
    /// The notices, as JSON.
    #[serde(skip)]
    pub payload: String,
    /// `pending`, `sent`, or `dropped` (its receiver left the config).
    pub status: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be tried before this instant.
    pub next_attempt: i64,
    /// When it was sent; absent while pending.
    pub sent_at: Option<i64>,
    /// Why the latest attempt failed; empty when none did.
    pub last_error: String,
}

/// How an attempt to send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted by the receiver at this instant.
    Sent {
        /// Unix seconds.
        at: i64,
    },
    /// Not sent: try again at `retry_at`.
    Failed {
        /// Why, in one sentence.
        reason: String,
        /// Unix seconds.
        retry_at: i64,
    },
    /// Never to be sent: its receiver is no longer in the config.
    Dropped {
        /// Why, in one sentence.
        reason: String,
    },
}
