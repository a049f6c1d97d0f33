//! SMTP (RFC 5321, RFC 3207) and LMTP (RFC 2033): greeting, EHLO/LHLO, STARTTLS.

use super::conversation::{
    can_start_reply, first_line, not_speaking, quote, refused, Conversation, MAX_LINES, QUOTE,
};
use crate::observation::{ConnectError, ErrorKind};
use std::io::{Read, Write};

/// A reply: its code and its lines' text, in order.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    /// The reply on one line, cut to 300 characters: a reply may have 200 lines.
    fn quoted(&self) -> String {
        let text = format!("{} {}", self.code, self.lines.join(" / "));
        crate::text::cut(text.trim_end(), 300)
    }
}

/// Runs the dialogue up to the server's 220 for STARTTLS. `hello` is `EHLO` or `LHLO`.
pub fn negotiate<S: Read + Write>(
    conv: &mut Conversation<'_, S>,
    label: &str,
    hello: &str,
    helo_name: &str,
) -> Result<(), ConnectError> {
    let greeting = read_reply(conv, &format!("the {label} greeting"), Some(label))?;
    if let Some(first) = greeting.lines.first() {
        conv.keep_greeting(&format!("{} {first}", greeting.code));
    }
    if greeting.code != 220 {
        return Err(refused(
            &format!("{label} server refused the session"),
            &greeting.quoted(),
        ));
    }
    conv.send(format!("{hello} {helo_name}\r\n").as_bytes(), hello)?;
    let hello_reply = read_reply(conv, &format!("the {hello} reply"), None)?;
    if hello_reply.code != 250 {
        return Err(refused(
            &format!("{label} server refused {hello}"),
            &hello_reply.quoted(),
        ));
    }
    let offers_starttls = hello_reply.lines.iter().skip(1).any(|l| {
        let keyword = l.split_whitespace().next().unwrap_or("");
        keyword.eq_ignore_ascii_case("STARTTLS")
    });
    if !offers_starttls {
        return Err(ConnectError::new(
            ErrorKind::Handshake,
            "server does not offer STARTTLS",
        ));
    }
    conv.send(b"STARTTLS\r\n", "STARTTLS")?;
    let go = read_reply(conv, "the STARTTLS reply", None)?;
    if go.code != 220 {
        return Err(refused(
            &format!("{label} server refused STARTTLS"),
            &go.quoted(),
        ));
    }
    Ok(())
}

/// Reads one possibly multi-line reply (`250-...` continues, `250 ...` ends), refusing a
/// line as soon as its first bytes cannot be a reply line. For the greeting, `greeting_of`
/// names the protocol: its first line not being a reply means the server speaks another one.
fn read_reply<S: Read + Write>(
    conv: &mut Conversation<'_, S>,
    what: &str,
    greeting_of: Option<&str>,
) -> Result<Reply, ConnectError> {
    let mut lines = Vec::new();
    let mut code = None;
    loop {
        let first = lines.is_empty();
        let not_a_reply = |received: &[u8]| match greeting_of {
            Some(protocol) if first => not_speaking(protocol, received),
            _ => ConnectError::new(
                ErrorKind::Handshake,
                format!("{what} is not an SMTP reply: '{}'", first_line(received)),
            ),
        };
        let line = conv.line_where(what, can_start_reply, not_a_reply)?;
        let (this_code, last, text) =
            parse_line(&line).ok_or_else(|| not_a_reply(line.as_bytes()))?;
        if *code.get_or_insert(this_code) != this_code {
            return Err(ConnectError::new(
                ErrorKind::Handshake,
                format!("{what} mixes reply codes: '{}'", quote(&line, QUOTE)),
            ));
        }
        lines.push(text.to_string());
        if last {
            return Ok(Reply {
                code: this_code,
                lines,
            });
        }
        if lines.len() >= MAX_LINES {
            return Err(ConnectError::new(
                ErrorKind::Handshake,
                format!("{what} has more than {MAX_LINES} lines"),
            ));
        }
    }
}

/// `250-text` -> (250, false, "text"); `250 text` or `250` -> (250, true, "text").
fn parse_line(line: &str) -> Option<(u16, bool, &str)> {
    let code = line.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = code.parse().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, &line[4..])),
        Some(b'-') => Some((code, false, &line[4..])),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_line, Reply};

    #[test]
    fn a_quoted_reply_is_cut() {
        // Found by the starttls_dialogue fuzzer: a refusal quoted every line of the reply,
        // up to 200 lines of 200 characters.
        let reply = Reply {
            code: 554,
            lines: vec!["a".repeat(200); 200],
        };
        let quoted = reply.quoted();
        assert!(quoted.starts_with("554 aaa"), "{quoted}");
        assert!(quoted.ends_with("..."), "{quoted}");
        assert_eq!(quoted.chars().count(), 303);
        let short = Reply {
            code: 220,
            lines: vec!["hi".into(), String::new()],
        };
        assert_eq!(short.quoted(), "220 hi /");
    }

    #[test]
    fn reply_lines_parse_strictly() {
        assert_eq!(
            parse_line("250-PIPELINING"),
            Some((250, false, "PIPELINING"))
        );
        assert_eq!(parse_line("250 STARTTLS"), Some((250, true, "STARTTLS")));
        assert_eq!(parse_line("220"), Some((220, true, "")));
        assert_eq!(parse_line("22"), None);
        assert_eq!(parse_line("2x0 hi"), None);
        assert_eq!(parse_line("250_x"), None);
        assert_eq!(parse_line("HTTP/1.1 400"), None);
    }
}
