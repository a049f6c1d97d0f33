//! The password for PKCS#12 files and Java keystores, as the caller read it (from a file or
//! an environment variable that the config names). It has no `Display`, and its `Debug`
//! shows nothing of it, so it cannot end up in a log by accident.

use crate::error::Unreadable;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why the password named on the command line could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// `--password-file` cannot be read.
    File(PathBuf, Unreadable),
    /// `--password-env` names a variable that is not set.
    NotSet(String),
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::File(path, why) => {
                let path = certprobe::text::visible(&path.display().to_string());
                let why = match why {
                    Unreadable::PermissionDenied => "permission denied".to_string(),
                    Unreadable::NotFound => "there is no such file".to_string(),
                    Unreadable::Other(words) => words.clone(),
                };
                write!(f, "--password-file: cannot read {path}: {why}")
            }
            PasswordError::NotSet(name) => write!(
                f,
                "--password-env: the environment variable {} is not set",
                certprobe::text::visible(name)
            ),
        }
    }
}

impl std::error::Error for PasswordError {}

/// The password of `--password-file FILE` (its first line) or `--password-env NAME`, the two
/// ways the commands take one (never the command line itself); none without either.
pub fn password_from(
    file: Option<&Path>,
    env: Option<&str>,
) -> Result<Option<Secret>, PasswordError> {
    if let Some(file) = file {
        return Secret::from_file(file)
            .map(Some)
            .map_err(|e| PasswordError::File(file.to_path_buf(), Unreadable::from_io(&e)));
    }
    match env {
        Some(name) => Secret::from_env(name)
            .map(Some)
            .ok_or_else(|| PasswordError::NotSet(name.to_string())),
        None => Ok(None),
    }
}

/// A password as bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The password `bytes` as they are.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    /// The first line of a password file: its content without one trailing `\n` or `\r\n`
    /// (what `echo secret > file` leaves).
    pub fn from_file(path: &Path) -> std::io::Result<Secret> {
        let mut bytes = std::fs::read(path)?;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Ok(Secret(bytes))
    }

    /// The value of the environment variable `name`, if it is set.
    pub fn from_env(name: &str) -> Option<Secret> {
        let value = std::env::var_os(name)?;
        #[cfg(unix)]
        let bytes = std::os::unix::ffi::OsStringExt::into_vec(value);
        #[cfg(not(unix))]
        let bytes = value.to_string_lossy().into_owned().into_bytes();
        Some(Secret(bytes))
    }

    /// The password as text: PKCS#12 (BMPString) and Java (UTF-16) passwords are text.
    pub(crate) fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_loses_one_line_end_and_debug_shows_nothing() {
        let dir =
            std::env::temp_dir().join(format!("certprobe-audit-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (content, expected) in [
            (&b"s3cret\n"[..], &b"s3cret"[..]),
            (b"s3cret\r\n", b"s3cret"),
            (b"s3cret", b"s3cret"),
            (b"two\n\n", b"two\n"),
            (b" spaced \n", b" spaced "),
        ] {
            let path = dir.join("pw");
            std::fs::write(&path, content).unwrap();
            assert_eq!(Secret::from_file(&path).unwrap(), Secret::new(expected));
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(format!("{:?}", Secret::new("s3cret")), "Secret(hidden)");
        assert_eq!(Secret::new(vec![0xff]).text(), None);
    }

    #[test]
    fn a_password_that_cannot_be_had_is_a_sentence() {
        let missing = Path::new("/nonexistent/certprobe/password");
        let error = password_from(Some(missing), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--password-file: cannot read /nonexistent/certprobe/password: there is no such file"
        );
        let error = password_from(None, Some("CERTPROBE_TEST_NOT_SET_\u{7}")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--password-env: the environment variable CERTPROBE_TEST_NOT_SET_\\x07 is not set"
        );
        assert_eq!(password_from(None, None), Ok(None));
    }
}
