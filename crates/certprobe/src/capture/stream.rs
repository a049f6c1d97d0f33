//! A TCP stream whose every read and write is bounded by the deadline, and which
//! keeps the first bytes the peer sent so that a non-TLS answer can be quoted.

use crate::budget::Deadline;
use std::io::{self, Read, Write};
use std::net::TcpStream;

/// How much of the peer's first answer is kept for error messages.
const FIRST_BYTES: usize = 64;

/// A [`TcpStream`] whose reads and writes each time out at the deadline (as
/// [`io::ErrorKind::TimedOut`], on every platform), shared by the capture and the HTTP lookups.
pub struct DeadlineStream {
    inner: TcpStream,
    deadline: Deadline,
    /// The first bytes read, at most 64, for quoting an answer that is not TLS; the capture
    /// clears it after the STARTTLS dialogue so that it holds the answer to the ClientHello.
    pub first_bytes: Vec<u8>,
}

impl DeadlineStream {
    /// Wraps a connected socket; every later read and write ends by `deadline`.
    pub fn new(inner: TcpStream, deadline: Deadline) -> Self {
        DeadlineStream {
            inner,
            deadline,
            first_bytes: Vec::new(),
        }
    }

    fn left(&self) -> io::Result<std::time::Duration> {
        self.deadline
            .remaining("")
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "deadline passed"))
    }
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.inner.set_read_timeout(Some(left))?;
        let n = self.inner.read(buf).map_err(as_timeout)?;
        let keep = (FIRST_BYTES - self.first_bytes.len()).min(n);
        self.first_bytes.extend_from_slice(&buf[..keep]);
        Ok(n)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.inner.set_write_timeout(Some(left))?;
        self.inner.write(buf).map_err(as_timeout)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Socket timeouts surface as WouldBlock on Unix and TimedOut on Windows; make them one kind.
fn as_timeout(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, "deadline passed")
    } else {
        e
    }
}
