//! The chain as sent, judged as a sequence: each certificate should be followed by its
//! issuer, once, without the root (clients use their own copy of it). Servers get this wrong
//! often, and some clients then fail where browsers cope.

use super::certificate::{signed_by, CertFacts};
use serde::Serialize;

/// The analysed chain as sent, leaf first: never empty, so the leaf is always there.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Chain(Vec<CertFacts>);

impl Chain {
    /// The chain of `certificates`, or `None` when there are none.
    pub fn new(certificates: Vec<CertFacts>) -> Option<Chain> {
        (!certificates.is_empty()).then_some(Chain(certificates))
    }

    /// A chain of one certificate.
    pub fn of_leaf(leaf: CertFacts) -> Chain {
        Chain(vec![leaf])
    }

    /// The server's own certificate.
    pub fn leaf(&self) -> &CertFacts {
        // The constructors make the chain non-empty; index 0 always exists.
        &self.0[0]
    }

    /// The last certificate sent (the leaf when it came alone).
    pub fn top(&self) -> &CertFacts {
        &self.0[self.0.len() - 1]
    }
}

impl std::ops::Deref for Chain {
    type Target = [CertFacts];

    fn deref(&self) -> &[CertFacts] {
        &self.0
    }
}

/// One problem with the order or content of the chain as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainNote {
    /// `duplicate`, `wrong-order`, `unrelated` or `root-sent`.
    pub kind: &'static str,
    /// The note in one line.
    pub message: String,
}

/// Reads the sent chain (leaf first) for duplicates, order, unrelated certificates and a sent root.
pub fn inspect(ders: &[Vec<u8>], facts: &[CertFacts]) -> Vec<ChainNote> {
    let mut notes = Vec::new();
    let label = |i: usize| format!("chain element {} ('{}')", i + 1, facts[i].display_name());
    for i in 1..facts.len() {
        if let Some(first) =
            (0..i).find(|&j| facts[j].sha256_fingerprint == facts[i].sha256_fingerprint)
        {
            notes.push(ChainNote {
                kind: "duplicate",
                message: format!("{} is a duplicate of element {}", label(i), first + 1),
            });
            continue;
        }
        let issues = |child: usize| {
            facts[child].issuer_raw == facts[i].subject_raw
                && signed_by(&ders[child], &ders[i]) != Some(false)
        };
        if facts[i].self_signed {
            notes.push(ChainNote {
                kind: "root-sent",
                message: format!(
                    "{} is a root certificate, sent needlessly (clients use their own copy)",
                    label(i)
                ),
            });
        }
        if issues(i - 1) {
            continue;
        }
        match (0..facts.len()).find(|&child| child != i && issues(child)) {
            Some(child) => notes.push(ChainNote {
                kind: "wrong-order",
                message: format!(
                    "wrong order: {} issues element {}, but follows element {}",
                    label(i),
                    child + 1,
                    i
                ),
            }),
            None if !facts[i].self_signed => notes.push(ChainNote {
                kind: "unrelated",
                message: format!("{} issues no certificate of the chain", label(i)),
            }),
            None => {}
        }
    }
    notes
}
