//! The parameter string PRTG Script v2 writes to standard input: read with a size and time
//! limit, decoded whatever the Windows code page, split into words like a shell would.

use std::time::Duration;

/// Splits a parameter string like a shell would for simple cases: whitespace separates words,
/// single or double quotes group them.
pub(crate) fn split_params(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The parameter string PRTG Script v2 writes to standard input, if any: read only when
/// standard input is not a terminal, at most 64 KiB, and for at most two seconds.
pub(crate) fn read_stdin_params() -> Option<String> {
    use std::io::{IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::stdin()
                .lock()
                .take(64 * 1024)
                .read_to_end(&mut bytes);
            let _ = tx.send(bytes);
        })
        .ok()?;
    let bytes = rx.recv_timeout(Duration::from_secs(2)).ok()?;
    let text = decode(&bytes);
    (!text.trim().is_empty()).then_some(text)
}

/// The parameter string as text, whatever Windows sent: UTF-8 (with or without a byte order
/// mark), UTF-16 with its mark (PowerShell), or else Windows-1252, the code page PRTG's
/// probe uses on Western systems (`b\xfccher` is `bücher`).
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return decode(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

/// One Windows-1252 byte; the five undefined ones map to their C1 code points, as the
/// WHATWG encoding standard does.
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        other => char::from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_code_pages_are_decoded() {
        assert_eq!(decode(b"-H b\xfccher.example"), "-H bücher.example");
        assert_eq!(decode("-H bücher.example".as_bytes()), "-H bücher.example");
        assert_eq!(decode(b"\xef\xbb\xbf-H x"), "-H x");
        assert_eq!(decode(b"\xff\xfe-\0H\0"), "-H");
        assert_eq!(decode(b"\x80 \x9f"), "€ Ÿ");
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_params("-H 'a b' \"c d\"  e"),
            vec!["-H", "a b", "c d", "e"]
        );
    }
}
