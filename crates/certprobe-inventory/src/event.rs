//! What changed on an endpoint between two scans: the inventory's history.

use serde::Serialize;

/// One kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A certificate appeared on the endpoint: the first one seen there, or one that replaced
    /// a certificate of another subject or names.
    New,
    /// The certificate was replaced by one with the same subject and names.
    Renewed,
    /// The same certificate is sent with another chain.
    ChainChanged,
    /// The certificate is no longer served there: the endpoint stopped answering or serves
    /// something else.
    Disappeared,
    /// The endpoint serves again the certificate it served before it stopped answering.
    Reappeared,
    /// The certificate expired while deployed.
    Expired,
    /// The endpoint's state changed (OK, WARNING, CRITICAL, UNKNOWN).
    StateChanged,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 7] = [
        EventKind::New,
        EventKind::Renewed,
        EventKind::ChainChanged,
        EventKind::Disappeared,
        EventKind::Reappeared,
        EventKind::Expired,
        EventKind::StateChanged,
    ];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::New => "new",
            EventKind::Renewed => "renewed",
            EventKind::ChainChanged => "chain_changed",
            EventKind::Disappeared => "disappeared",
            EventKind::Reappeared => "reappeared",
            EventKind::Expired => "expired",
            EventKind::StateChanged => "state_changed",
        }
    }

    /// The kind of a stored name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}
