//! The Windows certificate stores, read-only: `LocalMachine\My` (IIS, RDP, Exchange, SQL
//! Server), `WebHosting`, `Remote Desktop`, `Root`, `CA`, or any other by name, of the machine
//! or of the current user. Each certificate comes with what `certutil` and PowerShell's
//! `Cert:\` drive show beside it: its friendly name and whether a private key is attached.
//!
//! The FFI (crypt32) is in `sys.rs`, compiled on Windows only; elsewhere [`read`] says that
//! there is no such store here. Everything from the store is capped before it is copied.

#![deny(missing_docs)]

use std::fmt;

#[cfg(windows)]
#[allow(unsafe_code)]
mod sys;

/// Whose store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The machine's (`HKLM`): where services keep theirs.
    LocalMachine,
    /// The user's running the audit (`HKCU`).
    CurrentUser,
}

impl Location {
    /// The name as Windows tools write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::LocalMachine => "LocalMachine",
            Location::CurrentUser => "CurrentUser",
        }
    }
}

/// A store by location and name: `LocalMachine\My`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreName {
    /// Whose.
    pub location: Location,
    /// The store's name (`My`, `WebHosting`, `Remote Desktop`, `Root`, `CA`).
    pub name: String,
}

impl fmt::Display for StoreName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\\{}", self.location.as_str(), self.name)
    }
}

/// Longest store name taken.
const MAX_NAME: usize = 128;

impl StoreName {
    /// `My` (the machine's), `LocalMachine\My`, `CurrentUser\My`, `Cert:\LocalMachine\My`
    /// (PowerShell's path), with `/` for `\` too; locations without case.
    pub fn parse(text: &str) -> Result<StoreName, StoreNameError> {
        let text = text.trim();
        let text = strip_prefix_ignore_case(text, "cert:").unwrap_or(text);
        let text = text.trim_start_matches(['\\', '/']);
        let (location, name) = match text.split_once(['\\', '/']) {
            Some((first, rest)) if first.eq_ignore_ascii_case("localmachine") => {
                (Location::LocalMachine, rest)
            }
            Some((first, rest)) if first.eq_ignore_ascii_case("currentuser") => {
                (Location::CurrentUser, rest)
            }
            Some(_) => return Err(StoreNameError::Location(quote(text))),
            None => (Location::LocalMachine, text),
        };
        if name.is_empty() {
            return Err(StoreNameError::Empty);
        }
        if name.len() > MAX_NAME
            || name
                .chars()
                .any(|c| c.is_control() || c == '\\' || c == '/')
        {
            return Err(StoreNameError::Name(quote(name)));
        }
        Ok(StoreName {
            location,
            name: name.to_string(),
        })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Text for a message: control characters escaped, at most 80 characters.
fn quote(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().take(80) {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A store name that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreNameError {
    /// Nothing after the location.
    Empty,
    /// A location other than LocalMachine or CurrentUser.
    Location(String),
    /// A name too long, or with a control character or a separator.
    Name(String),
}

impl fmt::Display for StoreNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreNameError::Empty => f.write_str("give the store's name, as in My or LocalMachine\\My"),
            StoreNameError::Location(text) => write!(
                f,
                "'{text}' is not a store: its location must be LocalMachine or CurrentUser (LocalMachine\\My)"
            ),
            StoreNameError::Name(text) => write!(
                f,
                "'{text}' is not a store name (at most {MAX_NAME} characters, no control characters)"
            ),
        }
    }
}

impl std::error::Error for StoreNameError {}

/// One certificate of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    /// Its DER.
    pub der: Vec<u8>,
    /// The friendly name, when one is set (made visible: control characters escaped).
    pub friendly_name: Option<String>,
    /// A private key is attached (a key provider or a key handle is set on it).
    pub has_private_key: bool,
}

/// Why a store cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// This is not Windows.
    NotWindows,
    /// CertOpenStore refused: the Windows error code.
    Open {
        /// The store.
        store: String,
        /// GetLastError's code.
        code: u32,
    },
    /// More certificates than an audit takes from one store.
    TooMany {
        /// The store.
        store: String,
    },
}

/// Most certificates taken from one store; a store holds tens, a CA store hundreds.
pub const MAX_CERTIFICATES: usize = 100_000;

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotWindows => {
                f.write_str("the Windows certificate stores are read on Windows only")
            }
            StoreError::Open { store, code } => {
                let words = match code {
                    2 => "there is no such store",
                    5 => "access is denied (run as a user who may read it)",
                    _ => "Windows refused to open it",
                };
                write!(
                    f,
                    "the store {store} cannot be opened: {words} (error {code})"
                )
            }
            StoreError::TooMany { store } => write!(
                f,
                "the store {store} holds more than {MAX_CERTIFICATES} certificates; not read"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// Every certificate of `store`, opened read-only (a store that does not exist is not made).
pub fn read(store: &StoreName) -> Result<Vec<StoredCertificate>, StoreError> {
    #[cfg(windows)]
    {
        sys::read(store)
    }
    #[cfg(not(windows))]
    {
        let _ = store;
        Err(StoreError::NotWindows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(location: Location, name: &str) -> StoreName {
        StoreName {
            location,
            name: name.to_string(),
        }
    }

    #[test]
    fn store_names_read_as_windows_tools_write_them() {
        let parse = |t: &str| StoreName::parse(t);
        assert_eq!(parse("My"), Ok(name(Location::LocalMachine, "My")));
        assert_eq!(
            parse("LocalMachine\\WebHosting"),
            Ok(name(Location::LocalMachine, "WebHosting"))
        );
        assert_eq!(
            parse("currentuser/My"),
            Ok(name(Location::CurrentUser, "My"))
        );
        assert_eq!(
            parse("Cert:\\LocalMachine\\Remote Desktop"),
            Ok(name(Location::LocalMachine, "Remote Desktop"))
        );
        assert_eq!(
            parse("LocalMachine\\My").unwrap().to_string(),
            "LocalMachine\\My"
        );
        assert_eq!(
            parse("Machine\\My").unwrap_err().to_string(),
            "'Machine\\My' is not a store: its location must be LocalMachine or CurrentUser (LocalMachine\\My)"
        );
        assert_eq!(parse("LocalMachine\\").unwrap_err(), StoreNameError::Empty);
        assert_eq!(
            parse("My\u{1b}[1m").unwrap_err().to_string(),
            "'My\\x1b[1m' is not a store name (at most 128 characters, no control characters)"
        );
        assert!(parse(&"x".repeat(129)).is_err());
    }

    #[cfg(not(windows))]
    #[test]
    fn elsewhere_there_is_no_store() {
        assert_eq!(
            read(&name(Location::LocalMachine, "My"))
                .unwrap_err()
                .to_string(),
            "the Windows certificate stores are read on Windows only"
        );
    }
}
