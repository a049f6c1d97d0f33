//! Owners and the order that decides between them (seed 001): a certificate rule wins over
//! a server rule, which wins over the default owner; within a kind of rule, the first owner
//! in the file whose rule matches. An owner whose certificate rule decides and who asks for
//! `dual_layer` shares the notice with the server's owner.

use crate::channel::{Hook, SnmpTarget};
use crate::rule::{CertificateRule, ServerRule};
use certprobe_inventory::notification::AlarmInput;

/// A rule with where it was written.
#[derive(Debug, Clone)]
pub struct Placed<T> {
    /// The rule.
    pub rule: T,
    /// `certprobe.toml:14`.
    pub at: String,
}

/// A team or a person certificates are routed to.
#[derive(Debug, Clone, Default)]
pub struct Owner {
    /// The owner's name (`default` for the default owner unless named).
    pub name: String,
    /// Where its section starts: `certprobe.toml:12`.
    pub at: String,
    /// Email addresses for the digest.
    pub email: Vec<String>,
    /// Its own trap receivers.
    pub snmp: Vec<SnmpTarget>,
    /// Its own hook.
    pub hook: Option<Hook>,
    /// Certificate rules.
    pub certificates: Vec<Placed<CertificateRule>>,
    /// Server rules.
    pub servers: Vec<Placed<ServerRule>>,
    /// When one of its certificate rules decides, the server's owner is told too.
    pub dual_layer: bool,
}

/// Every owner, in file order, and the default one.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    /// `[[owner]]` sections, in file order.
    pub owners: Vec<Owner>,
    /// `[default_owner]`; without one, an owner `default` with no channels of its own (the
    /// receivers of `[notify]` still get its notices).
    pub default: Owner,
}

/// Which owner's which rule matched, and on what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The owner's index in [`Owners::owners`].
    pub owner: usize,
    /// The rule's index in that owner's certificate or server rules.
    pub rule: usize,
    /// What matched: `name shop.example.com`.
    pub matched: String,
}

/// Who owns one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The certificate rule that decided, if one did.
    pub certificate: Option<Decision>,
    /// The first server rule that matched, if one did.
    pub server: Option<Decision>,
}

/// Which of an owner's rules match, lazily, with what they matched.
fn matching<'a>(
    owner: &'a Owner,
    input: &'a AlarmInput,
    certificates: bool,
) -> Box<dyn Iterator<Item = (usize, String)> + 'a> {
    if certificates {
        Box::new(
            owner
                .certificates
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.rule.matches(input).map(|m| (i, m))),
        )
    } else {
        Box::new(
            owner
                .servers
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.rule.matches(input).map(|m| (i, m))),
        )
    }
}

impl Owners {
    /// Who owns `input`: the first certificate rule and the first server rule that match.
    pub fn resolve(&self, input: &AlarmInput) -> Resolution {
        Resolution {
            certificate: self.decisions(input, true).next(),
            server: self.decisions(input, false).next(),
        }
    }

    /// Every rule of one kind (`certificates` or servers) that matches `input`, in file
    /// order: the first decides, `owners explain` lists the others.
    pub fn decisions<'a>(
        &'a self,
        input: &'a AlarmInput,
        certificates: bool,
    ) -> impl Iterator<Item = Decision> + 'a {
        self.owners
            .iter()
            .enumerate()
            .flat_map(move |(index, owner)| {
                matching(owner, input, certificates).map(move |(rule, matched)| Decision {
                    owner: index,
                    rule,
                    matched,
                })
            })
    }

    /// The owners told about a deployment so resolved, the deciding one first.
    pub fn notified(&self, resolution: &Resolution) -> Vec<&Owner> {
        let by = |d: &Decision| &self.owners[d.owner];
        match (&resolution.certificate, &resolution.server) {
            (Some(c), Some(s)) if by(c).dual_layer && c.owner != s.owner => vec![by(c), by(s)],
            (Some(c), _) => vec![by(c)],
            (None, Some(s)) => vec![by(s)],
            (None, None) => vec![&self.default],
        }
    }

    /// An owner by name (the default owner too).
    pub fn named(&self, name: &str) -> Option<&Owner> {
        self.owners
            .iter()
            .chain(std::iter::once(&self.default))
            .find(|o| o.name == name)
    }
}
