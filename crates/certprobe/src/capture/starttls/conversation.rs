//! Bounded reading and writing for the plain-text part of a STARTTLS dialogue.
//! Every read has a size limit; timeouts and closed connections become errors that name
//! what we were waiting for ("timeout after 10 s waiting for the SMTP greeting").

use crate::budget::Deadline;
use crate::observation::{ConnectError, ErrorKind};
use crate::text;
use std::io::{self, Read, Write};

/// The longest reply line accepted (RFC 5321 allows 512; servers send longer).
pub const MAX_LINE: usize = 4096;
/// The most lines in one multi-line reply.
pub const MAX_LINES: usize = 200;

/// The plain-text part of one STARTTLS dialogue over a bounded stream: reads lines and
/// messages with size limits, and keeps what the server sent but the dialogue has not used
/// yet, so that [`finish`](Self::finish) can refuse bytes sent ahead of the TLS handshake.
pub struct Conversation<'a, S: Read + Write> {
    stream: &'a mut S,
    buffer: Vec<u8>,
    deadline: Deadline,
    /// What the peer sent first, kept for the report.
    pub greeting: Option<String>,
}

impl<'a, S: Read + Write> Conversation<'a, S> {
    /// The stream must enforce the deadline on each read and write; `deadline` names timeouts.
    pub fn new(stream: &'a mut S, deadline: Deadline) -> Self {
        Conversation {
            stream,
            buffer: Vec::new(),
            deadline,
            greeting: None,
        }
    }

    /// Writes and flushes `bytes`; on failure the error names the step as "sending `what`".
    pub fn send(&mut self, bytes: &[u8], what: &str) -> Result<(), ConnectError> {
        self.stream
            .write_all(bytes)
            .and_then(|_| self.stream.flush())
            .map_err(|e| self.io_error(e, &format!("sending {what}")))
    }

    /// One line without its line ending, control characters shown as escapes (so that it is
    /// safe to quote); `what` names the reply for error messages.
    pub fn line(&mut self, what: &str) -> Result<String, ConnectError> {
        self.next_line(what, |_, _, _| None)
    }

    /// One line as [`line`](Self::line), judged while it arrives: as soon as the bytes of the
    /// line so far (without its line ending) fail `plausible`, or the line ends empty, the
    /// error `foreign` makes of the bytes received from the start of this line is returned,
    /// without waiting for the rest.
    pub fn line_where(
        &mut self,
        what: &str,
        plausible: impl Fn(&[u8]) -> bool,
        foreign: impl Fn(&[u8]) -> ConnectError,
    ) -> Result<String, ConnectError> {
        self.next_line(what, |partial, complete, received| {
            let empty_line = complete && partial.is_empty();
            (empty_line || !plausible(partial)).then(|| foreign(received))
        })
    }

    /// `refuse` sees the line so far, whether it is complete, and all bytes received from
    /// its start.
    fn next_line(
        &mut self,
        what: &str,
        refuse: impl Fn(&[u8], bool, &[u8]) -> Option<ConnectError>,
    ) -> Result<String, ConnectError> {
        loop {
            let end = self.buffer.iter().position(|&b| b == b'\n');
            if !self.buffer.is_empty() {
                let partial = &self.buffer[..end.unwrap_or(self.buffer.len())];
                let partial = partial.strip_suffix(b"\r").unwrap_or(partial);
                if let Some(e) = refuse(partial, end.is_some(), &self.buffer) {
                    return Err(e);
                }
            }
            if let Some(end) = end {
                if end > MAX_LINE {
                    return Err(too_long(what));
                }
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(text::visible(&String::from_utf8_lossy(&line)));
            }
            if self.buffer.len() > MAX_LINE {
                return Err(too_long(what));
            }
            self.fill(what)?;
        }
    }

    /// One message whose end `judge` finds: given the bytes received so far, it returns the
    /// length of the complete message, `None` while more are needed, or an error as soon as
    /// the bytes cannot be the expected message. At most `limit` bytes are read.
    pub fn message(
        &mut self,
        what: &str,
        limit: usize,
        judge: impl Fn(&[u8]) -> Result<Option<usize>, ConnectError>,
    ) -> Result<Vec<u8>, ConnectError> {
        loop {
            if !self.buffer.is_empty() {
                if let Some(n) = judge(&self.buffer)? {
                    let n = n.min(self.buffer.len());
                    return Ok(self.buffer.drain(..n).collect());
                }
            }
            if self.buffer.len() > limit {
                return Err(longer_than(what, limit));
            }
            self.fill(what)?;
        }
    }

    /// Keeps the server's first line for the report: escapes, at most `QUOTE_REPLY` (200)
    /// characters.
    pub fn keep_greeting(&mut self, line: &str) {
        self.greeting = Some(quote(line, QUOTE_REPLY));
    }

    /// Ends the plain-text part. Bytes the server sent after its go-ahead would otherwise be
    /// taken for TLS (the STARTTLS injection pattern), so they are an error.
    pub fn finish(self) -> Result<Option<String>, ConnectError> {
        if self.buffer.is_empty() {
            Ok(self.greeting)
        } else {
            Err(ConnectError::new(
                ErrorKind::Handshake,
                "server sent data after its STARTTLS go-ahead, before the TLS handshake",
            ))
        }
    }

    fn fill(&mut self, what: &str) -> Result<(), ConnectError> {
        let mut chunk = [0u8; 1024];
        // A signal interrupting the read is no answer from the server: read again.
        let read = loop {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) => Err(ConnectError::new(
                ErrorKind::Closed,
                format!("server closed the connection before {what}"),
            )),
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) => Err(self.io_error(e, &format!("waiting for {what}"))),
        }
    }

    fn io_error(&self, e: io::Error, doing: &str) -> ConnectError {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => self.deadline.expired(doing),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => ConnectError::new(
                ErrorKind::Closed,
                format!("server closed the connection {doing}"),
            ),
            _ => ConnectError::new(
                ErrorKind::Unreachable,
                format!("{doing}: {}", crate::io_text(&e)),
            ),
        }
    }
}

fn too_long(what: &str) -> ConnectError {
    ConnectError::new(
        ErrorKind::Handshake,
        format!("{what} has a line longer than {MAX_LINE} bytes"),
    )
}

fn longer_than(what: &str, limit: usize) -> ConnectError {
    ConnectError::new(
        ErrorKind::Handshake,
        format!("{what} is longer than {limit} bytes"),
    )
}

/// How many characters of the server's bytes an error message quotes.
pub const QUOTE: usize = 60;
/// How many characters of a server's refusal (its whole reply) an error message quotes.
pub const QUOTE_REPLY: usize = 200;

/// The server's first line, at most [`QUOTE`] characters, control characters as escapes:
/// what "it sent '...'" shows.
pub fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // A line ending first shows itself rather than nothing.
    let shown = if line.is_empty() { bytes } else { line };
    text::quote_bytes(shown, QUOTE)
}

/// The one sentence for a server that answered with something that cannot be `protocol`:
/// "the server does not speak LDAP: it sent '220 mail.example ESMTP'".
/// A TLS record is named as such rather than quoted.
pub fn not_speaking(protocol: &str, received: &[u8]) -> ConnectError {
    let what = match tls_record(received) {
        Some(record) => format!("it sent {record} (is this a TLS port?)"),
        None => format!("it sent '{}'", first_line(received)),
    };
    ConnectError::new(
        ErrorKind::Handshake,
        format!("the server does not speak {protocol}: {what}"),
    )
}

/// "a TLS alert" when `bytes` start like a TLS record (content type 20 to 24, version 3.x).
pub fn tls_record(bytes: &[u8]) -> Option<&'static str> {
    let [kind, 3, minor, ..] = bytes else {
        return None;
    };
    if *minor > 4 {
        return None;
    }
    Some(match kind {
        20 => "a TLS ChangeCipherSpec record",
        21 => "a TLS alert",
        22 => "a TLS handshake message",
        23 => "TLS application data",
        24 => "a TLS heartbeat",
        _ => return None,
    })
}

/// A line (or any text from the server) for a message: escapes, at most `max` characters.
pub fn quote(text: &str, max: usize) -> String {
    text::cut(&text::visible(text), max)
}

/// Whether `partial`, the start of a line, can still begin with one of `words` followed by
/// a space or the end of the line (case-insensitive): `+O` can be `+OK`, `+OKAY` cannot.
pub fn can_start_with_word(partial: &[u8], words: &[&str]) -> bool {
    words.iter().any(|word| {
        let word = word.as_bytes();
        if partial.len() <= word.len() {
            partial.eq_ignore_ascii_case(&word[..partial.len()])
        } else {
            partial[..word.len()].eq_ignore_ascii_case(word) && partial[word.len()] == b' '
        }
    })
}

/// Whether `partial` can still begin a reply line of a three-digit-code protocol (SMTP,
/// LMTP, FTP): digits, then a space, a hyphen, or the end.
pub fn can_start_reply(partial: &[u8]) -> bool {
    partial.iter().take(3).all(u8::is_ascii_digit)
        && matches!(partial.get(3), None | Some(b' ' | b'-'))
}

/// A refusal quoting the server: "SMTP server refused STARTTLS: 454 TLS not available".
pub fn refused(what: &str, reply: &str) -> ConnectError {
    ConnectError::new(
        ErrorKind::Handshake,
        format!("{what}: {}", quote(reply, QUOTE_REPLY)),
    )
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::io::Cursor;
    use std::time::Duration;

    /// A stream that reads from `input` and swallows writes (the LDAP tests use it too).
    pub(in crate::capture::starttls) struct Scripted(
        pub(in crate::capture::starttls) Cursor<Vec<u8>>,
    );

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn deadline() -> Deadline {
        Deadline::within(Duration::from_secs(5))
    }

    #[test]
    fn the_first_line_is_quoted_visibly_and_cut() {
        assert_eq!(
            first_line(b"SSH-2.0-OpenSSH_9.2\r\nmore"),
            "SSH-2.0-OpenSSH_9.2"
        );
        assert_eq!(first_line(b"\r\nx"), "\\r\\nx");
        assert_eq!(first_line(b"a\0\x1b[2Jb"), "a\\0\\x1b[2Jb");
        let long = [b'x'; 100];
        assert_eq!(first_line(&long), format!("{}...", "x".repeat(60)));
    }

    #[test]
    fn not_speaking_names_tls_and_quotes_the_rest() {
        assert_eq!(
            not_speaking("LDAP", b"220 mail.example ESMTP\r\n").message,
            "the server does not speak LDAP: it sent '220 mail.example ESMTP'"
        );
        assert_eq!(
            not_speaking("XMPP", b"\x15\x03\x03\x00\x02\x02\x32").message,
            "the server does not speak XMPP: it sent a TLS alert (is this a TLS port?)"
        );
        assert_eq!(tls_record(b"\x16\x03"), None);
        assert_eq!(tls_record(b"\x16\x03\x09"), None);
        assert_eq!(tls_record(b"\x19\x03\x01"), None);
    }

    #[test]
    fn words_and_reply_codes_are_judged_on_partial_lines() {
        for partial in ["", "+", "+o", "+OK", "+OK ready", "-E", "-ERR x"] {
            assert!(
                can_start_with_word(partial.as_bytes(), &["+OK", "-ERR"]),
                "{partial}"
            );
        }
        for partial in ["+OKAY", "SSH-", "220 ", "-ERRx"] {
            assert!(
                !can_start_with_word(partial.as_bytes(), &["+OK", "-ERR"]),
                "{partial}"
            );
        }
        for partial in ["", "2", "22", "220", "220 ", "220-x"] {
            assert!(can_start_reply(partial.as_bytes()), "{partial}");
        }
        for partial in ["S", "2x", "220x", "HTTP/1.1 400"] {
            assert!(!can_start_reply(partial.as_bytes()), "{partial}");
        }
    }

    #[test]
    fn implausible_lines_fail_before_their_end() {
        // No line ending ever comes: only the early judgement can end this read.
        let mut stream = Scripted(Cursor::new(b"SSH-2.0-OpenSSH_9.2".to_vec()));
        let mut conv = Conversation::new(&mut stream, deadline());
        let e = conv
            .line_where("the greeting", can_start_reply, |b| not_speaking("SMTP", b))
            .unwrap_err();
        assert_eq!(
            e.message,
            "the server does not speak SMTP: it sent 'SSH-2.0-OpenSSH_9.2'"
        );
    }

    #[test]
    fn lines_are_visible_and_bounded() {
        let mut stream = Scripted(Cursor::new(b"220 a\x1b[31mb\0\r\n".to_vec()));
        let mut conv = Conversation::new(&mut stream, deadline());
        assert_eq!(conv.line("the greeting").unwrap(), "220 a\\x1b[31mb\\0");
        let mut stream = Scripted(Cursor::new(vec![b'2'; MAX_LINE + 2]));
        let mut conv = Conversation::new(&mut stream, deadline());
        assert_eq!(
            conv.line("the greeting").unwrap_err().message,
            "the greeting has a line longer than 4096 bytes"
        );
    }

    #[test]
    fn messages_end_where_the_judge_says() {
        let mut stream = Scripted(Cursor::new(b"abcdef".to_vec()));
        let mut conv = Conversation::new(&mut stream, deadline());
        let got = conv
            .message("the answer", 100, |b| Ok((b.len() >= 2).then_some(2)))
            .unwrap();
        assert_eq!(got, b"ab");
        assert!(conv.finish().is_err(), "bytes left over are refused");
        let mut stream = Scripted(Cursor::new(vec![b'a'; 5000]));
        let mut conv = Conversation::new(&mut stream, deadline());
        let e = conv.message("the answer", 1000, |_| Ok(None)).unwrap_err();
        assert_eq!(e.message, "the answer is longer than 1000 bytes");
    }
}
