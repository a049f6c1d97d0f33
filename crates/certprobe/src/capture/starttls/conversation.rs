//! Bounded reading and writing for the plain-text part of a STARTTLS dialogue.
//! Every read has a size limit; timeouts and closed connections become errors that name
//! what we were waiting for ("timeout after 10 s waiting for the SMTP greeting").

use crate::budget::Deadline;
use crate::observation::{ConnectError, ErrorKind};
use std::io::{self, Read, Write};

/// The longest reply line accepted (RFC 5321 allows 512; servers send longer).
pub const MAX_LINE: usize = 4096;
/// The most lines in one multi-line reply.
pub const MAX_LINES: usize = 200;

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

    pub fn send(&mut self, bytes: &[u8], what: &str) -> Result<(), ConnectError> {
        self.stream
            .write_all(bytes)
            .and_then(|_| self.stream.flush())
            .map_err(|e| self.io_error(e, &format!("sending {what}")))
    }

    /// One line without its line ending; `what` names the reply for error messages.
    pub fn line(&mut self, what: &str) -> Result<String, ConnectError> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                if end > MAX_LINE {
                    return Err(too_long(what));
                }
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(printable(&line));
            }
            if self.buffer.len() > MAX_LINE {
                return Err(too_long(what));
            }
            self.fill(what)?;
        }
    }

    /// Reads until `done` says the bytes so far are complete, at most `limit` bytes.
    pub fn read_until(
        &mut self,
        what: &str,
        limit: usize,
        done: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<u8>, ConnectError> {
        while !done(&self.buffer) {
            if self.buffer.len() > limit {
                return Err(ConnectError::new(
                    ErrorKind::Handshake,
                    format!("{what} is longer than {limit} bytes"),
                ));
            }
            self.fill(what)?;
        }
        Ok(std::mem::take(&mut self.buffer))
    }

    /// Exactly `n` bytes.
    pub fn exact(&mut self, n: usize, what: &str) -> Result<Vec<u8>, ConnectError> {
        while self.buffer.len() < n {
            self.fill(what)?;
        }
        Ok(self.buffer.drain(..n).collect())
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
        match self.stream.read(&mut chunk) {
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

/// Text safe to quote on one line: control characters shown as '.', at most 200 characters.
pub fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .take(200)
        .collect()
}

/// A refusal quoting the server: "SMTP server refused STARTTLS: 454 TLS not available".
pub fn refused(what: &str, reply: &str) -> ConnectError {
    ConnectError::new(ErrorKind::Handshake, format!("{what}: {reply}"))
}
