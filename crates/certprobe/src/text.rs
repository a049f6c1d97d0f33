//! Text from the outside (certificate fields, server replies, arguments) made safe to print:
//! control characters are shown as escapes (`\r`, `\n`, `\0`, `\x1b`), never passed on raw,
//! so a CN with CRLF cannot start a second status line anywhere.

/// `text` with every control character written as a visible escape.
pub fn visible(text: &str) -> String {
    // ASCII text (nearly every field) is checked byte by byte; only other text char by char
    // for the C1 controls.
    let has_control = if text.is_ascii() {
        text.bytes().any(|b| b.is_ascii_control())
    } else {
        text.chars().any(char::is_control)
    };
    if !has_control {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Bytes from a server made visible: UTF-8 text as it is, control characters and bytes
/// that are not UTF-8 as escapes (`\xff`), cut to `max` characters.
pub fn quote_bytes(bytes: &[u8], max: usize) -> String {
    let mut shown = String::with_capacity(bytes.len().min(max * 4));
    for chunk in bytes.utf8_chunks() {
        shown.push_str(&visible(chunk.valid()));
        for b in chunk.invalid() {
            shown.push_str(&format!("\\x{b:02x}"));
        }
        if shown.chars().count() > max {
            break;
        }
    }
    cut(&shown, max)
}

/// Text from outside made safe to quote in one line: visible, and at most `max` characters.
pub fn quote(text: &str, max: usize) -> String {
    cut(&visible(text), max)
}

/// At most `max` characters, cut on a character boundary, with `...` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes() {
        assert_eq!(visible("a\r\nb\0\u{1b}[31m"), "a\\r\\nb\\0\\x1b[31m");
        assert_eq!(visible("plain é"), "plain é");
        assert_eq!(quote_bytes(b"220 hi\r\n\xff", 100), "220 hi\\r\\n\\xff");
        assert_eq!(cut("abcdef", 3), "abc...");
        assert_eq!(cut("abc", 3), "abc");
    }
}
