//! The password for PKCS#12 files and Java keystores, as the caller read it (from a file or
//! an environment variable that the config names). It has no `Display`, and its `Debug`
//! shows nothing of it, so it cannot end up in a log by accident.

use std::path::Path;

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
}
