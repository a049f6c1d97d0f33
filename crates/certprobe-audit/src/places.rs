//! The places of a file's certificates in the inventory: a file (or a keystore entry) that is
//! one chain, each certificate issued by the next, is one place, named by its path (`#alias`
//! for a keystore entry); a bundle of unrelated certificates (a CA bundle) is one place per
//! certificate (`#1`, `#2`, ... from the file's first), so each one's expiry is listed.

use crate::{FileContents, Format, FoundCertificate, KeyPresence};
use x509_parser::prelude::{FromDer, X509Certificate};

/// One place: its name and its chain as found (leaf first), with the leaf's key presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The path, with `#alias` or `#N` when the file holds more than one place.
    pub name: String,
    /// The DER certificates, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// Whether the leaf's private key was found.
    pub private_key: KeyPresence,
}

/// The places of one file's certificates; `path` as shown. A Java keystore's entries are
/// its places' candidates (an entry's chain shares its alias); any other file is one.
pub fn places(path: &str, format: Option<Format>, contents: &FileContents) -> Vec<Place> {
    let by_entry = matches!(format, Some(Format::Jks | Format::Jceks));
    let mut groups: Vec<(Option<&str>, Vec<&FoundCertificate>)> = Vec::new();
    for found in &contents.certificates {
        let alias = found.alias.as_deref().filter(|_| by_entry);
        match groups.iter_mut().find(|(a, _)| *a == alias) {
            Some((_, members)) => members.push(found),
            None => groups.push((alias, vec![found])),
        }
    }
    let single = groups.len() == 1;
    let mut out = Vec::new();
    for (alias, members) in groups {
        if is_chain(&members) {
            let name = match (alias, single) {
                (Some(alias), _) => format!("{path}#{alias}"),
                (None, true) => path.to_string(),
                (None, false) => format!("{path}#{}", members[0].position + 1),
            };
            out.push(place(name, &members));
        } else {
            for member in members {
                let name = match alias {
                    Some(alias) => format!("{path}#{alias}#{}", member.position + 1),
                    None => format!("{path}#{}", member.position + 1),
                };
                out.push(place(name, &[member]));
            }
        }
    }
    out
}

fn place(name: String, members: &[&FoundCertificate]) -> Place {
    Place {
        name,
        chain: members.iter().map(|m| m.der.clone()).collect(),
        private_key: members
            .first()
            .map_or(KeyPresence::None, |m| m.private_key.clone()),
    }
}

/// Whether each certificate is issued by the next (by the names' DER, as the analysis
/// matches them): a leaf with its issuers, as a server would send them. One certificate is a
/// chain; one that cannot be parsed is not. Only the names are read here: the analysis reads
/// each certificate in full once, later.
fn is_chain(members: &[&FoundCertificate]) -> bool {
    let parsed: Option<Vec<X509Certificate<'_>>> = members
        .iter()
        .map(|m| X509Certificate::from_der(&m.der).ok().map(|(_, cert)| cert))
        .collect();
    match parsed {
        Some(certs) => certs
            .windows(2)
            .all(|pair| pair[0].issuer().as_raw() == pair[1].subject().as_raw()),
        None => members.len() == 1,
    }
}
