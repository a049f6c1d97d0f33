//! certprobe: connect to a TLS server, capture its certificate chain even when it is invalid,
//! analyse it, judge it by the user's policy, and report it in the format the caller speaks.
//!
//! The engine, one module per stage; each layer imports only from the layers before it
//! (`tests/layers.rs` holds the allow-list):
//!
//! ```text
//! Target ──► capture ──► Observation ──► analysis ◄── lookups ──► verdict ──► render
//! (what)     (I/O)       (raw facts)     (pure)       (I/O: AIA,   (policy)    (format)
//!                                                      OCSP, CRL)
//! ```
//!
//! [`Checker`] runs the stages for one target and returns the whole [`Outcome`] as data;
//! [`render::render`] turns it into what a monitoring system reads. A `Checker` is built once
//! (trust store, crypto provider, fetcher and caches, local host name) and shared by
//! reference across threads. Errors are values that flow through the same stages: a refused
//! connection becomes a [`ConnectError`], the verdict gives it a state, and every renderer
//! prints it its own way.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analysis;
pub mod budget;
pub mod capture;
pub mod check;
pub mod clock;
pub mod der;
pub mod duration;
pub mod encoding;
pub mod fetch;
pub mod idna;
pub mod lookups;
pub mod observation;
pub mod outcome;
pub mod protocol;
pub mod render;
pub mod target;
pub mod text;
pub mod tls_version;
pub mod verdict;

pub use budget::{Budget, Deadline};
pub use check::{
    load_trust, CheckOptions, Checker, CheckerSettings, Connected, SetupError, TrustSelection,
};
pub use observation::{ConnectError, ErrorKind, Observation};
pub use outcome::Outcome;
pub use protocol::Protocol;
pub use render::{Format, Rendered};
pub use target::Target;
pub use verdict::{Policy, State, Verdict};

/// An io::Error's text without Rust's " (os error N)" suffix: one clean line for users.
pub(crate) fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
