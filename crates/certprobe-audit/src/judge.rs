//! A file's certificates judged as the plugins judge a served chain, without a connection:
//! each place (see [`crate::places`]) gets the engine's outcome, with the findings of its
//! private key and, on the file's first place, of what reading the file showed.

use crate::places::places;
use crate::{FileContents, Format, KeyPresence, Note};
use certprobe::analysis::{self, NameMode, TrustStore};
use certprobe::verdict::{self, Check, Finding, Policy, State, Verdict};
use certprobe::Outcome;
use certprobe_winstore::{StoreName, StoredCertificate};

/// How places are judged.
pub struct Judging<'a> {
    /// The trust anchors.
    pub store: &'a TrustStore,
    /// Thresholds and policy, as the plugins'.
    pub policy: &'a Policy,
    /// The name the certificates must cover, and how it is checked; none for no name check.
    pub name: Option<(&'a str, NameMode)>,
    /// Unix seconds.
    pub now: i64,
}

/// One place with its verdict.
pub struct JudgedPlace {
    /// The path, with `#alias` or `#N` when the file holds more than one place.
    pub name: String,
    /// The chain as found, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The engine's outcome: report and verdict (no target, no observation).
    pub outcome: Outcome,
}

/// The places of one file read, each judged; `path` as shown.
pub fn judge_file(
    path: &str,
    format: Option<Format>,
    contents: &FileContents,
    judging: &Judging<'_>,
) -> Vec<JudgedPlace> {
    let mut about_file = file_findings(contents);
    places(path, format, contents)
        .into_iter()
        .map(|place| {
            let mut extra = key_finding(&place.private_key);
            // What the file as a whole showed goes with its first place.
            extra.append(&mut about_file);
            let outcome = judge_chain(&place.chain, extra, judging);
            JudgedPlace {
                name: place.name,
                chain: place.chain,
                outcome,
            }
        })
        .collect()
}

/// The certificates of a Windows certificate store, each judged alone as a place of its own:
/// `LocalMachine\My\THUMBPRINT` (SHA-1, uppercase hex, as Windows tools show it), with the
/// friendly name and the private key as findings.
pub fn judge_store(
    store: &StoreName,
    certificates: &[StoredCertificate],
    judging: &Judging<'_>,
) -> Vec<JudgedPlace> {
    certificates
        .iter()
        .map(|entry| {
            let thumbprint = certprobe::encoding::hex_upper(
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &entry.der).as_ref(),
            );
            let mut extra = Vec::new();
            if entry.has_private_key {
                extra.push(Finding::new(
                    Check::PrivateKey,
                    State::Ok,
                    "a private key is attached to it in the store".to_string(),
                ));
            }
            if let Some(name) = &entry.friendly_name {
                extra.push(Finding::new(
                    Check::File,
                    State::Ok,
                    format!("friendly name '{}'", certprobe::text::visible(name)),
                ));
            }
            let chain = vec![entry.der.clone()];
            let outcome = judge_chain(&chain, extra, judging);
            JudgedPlace {
                name: format!("{store}\\{thumbprint}"),
                chain,
                outcome,
            }
        })
        .collect()
}

/// A chain analysed and judged at `judging.now`, with `extra` findings.
fn judge_chain(chain: &[Vec<u8>], extra: Vec<Finding>, judging: &Judging<'_>) -> Outcome {
    let (name, mode) = judging.name.unwrap_or(("", NameMode::None));
    let report = match analysis::analyze(chain, name, mode, judging.store, judging.now) {
        Ok(report) => report,
        Err(e) => {
            return Outcome::unknown(
                Check::Certificate,
                &format!("the certificate cannot be read: {e}"),
            )
        }
    };
    let policy = Policy {
        name_mode: mode,
        ..judging.policy.clone()
    };
    let judged = verdict::judge_chain(&report, chain, judging.store, &policy);
    let mut findings = judged.findings;
    findings.extend(extra);
    Outcome {
        target: None,
        observation: None,
        verdict: Verdict::new(findings, judged.tier),
        policy: policy.for_leaf(report.leaf()),
        report: Some(report),
        error: None,
    }
}

/// The finding of a place's private key, when one was looked for and found or refused.
fn key_finding(presence: &KeyPresence) -> Vec<Finding> {
    let (state, message) = match presence {
        KeyPresence::None => return Vec::new(),
        KeyPresence::Matched => (State::Ok, "its private key was found with it".to_string()),
        KeyPresence::InStore => (
            State::Ok,
            "its private key is stored with it in the keystore (encrypted, not compared)"
                .to_string(),
        ),
        KeyPresence::Mismatch(path) => (
            State::Critical,
            format!(
                "the private key in {} is not this certificate's",
                certprobe::text::visible(&path.display().to_string())
            ),
        ),
    };
    vec![Finding::new(Check::PrivateKey, state, message)]
}

/// What reading the file showed beside its certificates: keys that belong to none of them
/// (a finding), a keystore's integrity, keys that could not be read or compared.
fn file_findings(contents: &FileContents) -> Vec<Finding> {
    let mut out = Vec::new();
    match contents.unmatched_keys {
        0 => {}
        1 => out.push(Finding::new(
            Check::PrivateKey,
            State::Warning,
            "1 private key in the file belongs to none of its certificates".to_string(),
        )),
        n => out.push(Finding::new(
            Check::PrivateKey,
            State::Warning,
            format!("{n} private keys in the file belong to none of its certificates"),
        )),
    }
    for note in &contents.notes {
        let state = match note {
            Note::KeyFileUnreadable(..) | Note::StoppedAtSecretKey(_) => State::Warning,
            _ => State::Ok,
        };
        out.push(Finding::new(Check::File, state, note.to_string()));
    }
    out
}
