//! What the fuzz targets share: the invariants every message to a user must keep, a scripted
//! stream that plays the fuzz input as a server, and the fixed certificate pairs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Read, Write};

/// The largest single allocation a parser may make; with `-rss_limit_mb` this holds in
/// builds without AddressSanitizer too, where libFuzzer's `-malloc_limit_mb` sees nothing.
pub const MAX_ALLOCATION: usize = 64 << 20;

/// The system allocator, refusing any allocation over [`MAX_ALLOCATION`] with a crash:
/// nothing may allocate what the input asks for without a cap.
pub struct Capped;

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check_size(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check_size(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check_size(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

fn check_size(size: usize) {
    if size > MAX_ALLOCATION {
        // No panic here: it would allocate. Abort, which libFuzzer reports as a crash.
        let message = b"certprobe-fuzz: an allocation over the cap of 64 MiB\n";
        let _ = io::Write::write_all(&mut io::stderr(), message);
        std::process::abort();
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

/// The longest message a parser may produce: one status line, "a few hundred characters".
pub const MAX_MESSAGE: usize = 512;

/// A message for the user (an error, a refusal's reason, a greeting) is one short line: no
/// control characters, at most [`MAX_MESSAGE`] characters. `what` names it in the panic.
pub fn check_message(what: &str, message: &(impl std::fmt::Display + ?Sized)) {
    let message = message.to_string();
    if let Some(c) = message.chars().find(|c| c.is_control()) {
        panic!("{what} holds control character {c:?}: {message:?}");
    }
    let len = message.chars().count();
    assert!(
        len <= MAX_MESSAGE,
        "{what} is {len} characters long (at most {MAX_MESSAGE}): {:?}...",
        message.chars().take(200).collect::<String>()
    );
}

/// How a [`Script`] ends once its bytes are all read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `Ok(0)`: the server closed the connection.
    Eof,
    /// The connection was reset.
    Reset,
    /// The read timed out (a deadline stream's error).
    TimedOut,
}

impl End {
    pub fn from_bits(bits: u8) -> End {
        match bits % 3 {
            0 => End::Eof,
            1 => End::Reset,
            _ => End::TimedOut,
        }
    }

    fn error(self) -> Option<io::ErrorKind> {
        match self {
            End::Eof => None,
            End::Reset => Some(io::ErrorKind::ConnectionReset),
            End::TimedOut => Some(io::ErrorKind::TimedOut),
        }
    }
}

/// A server that answers with the fuzz input: each read returns at most `chunk` bytes (the
/// sizes vary with the read's number, so records get split everywhere), the first read of
/// every few may be `Interrupted` when asked, and after the last byte the stream ends as
/// `end` says, every time it is read again. What the client writes is counted and dropped.
pub struct Script<'a> {
    input: &'a [u8],
    at: usize,
    chunk: usize,
    reads: usize,
    interrupt: bool,
    end: End,
    /// Bytes the client wrote.
    pub written: usize,
    /// Reads after the end of the input: a client that keeps reading a closed stream loops.
    pub reads_after_end: usize,
}

impl<'a> Script<'a> {
    /// `chunk` 0 means "as much as the reader asks for".
    pub fn new(input: &'a [u8], chunk: u8, interrupt: bool, end: End) -> Self {
        Script {
            input,
            at: 0,
            chunk: usize::from(chunk),
            reads: 0,
            interrupt,
            end,
            written: 0,
            reads_after_end: 0,
        }
    }

    /// Bytes of the input the client has read.
    pub fn consumed(&self) -> usize {
        self.at
    }
}

impl Read for Script<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        if self.interrupt && self.reads % 7 == 1 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let rest = &self.input[self.at..];
        if rest.is_empty() {
            self.reads_after_end += 1;
            assert!(
                self.reads_after_end < 100,
                "the client keeps reading a stream that has ended"
            );
            return match self.end.error() {
                Some(kind) => Err(kind.into()),
                None => Ok(0),
            };
        }
        let most = if self.chunk == 0 {
            buf.len()
        } else {
            // 1..=chunk, changing from read to read.
            1 + (self.reads * 31 + self.chunk) % self.chunk
        };
        let n = rest.len().min(buf.len()).min(most);
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

impl Write for Script<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A certificate, its issuer and the instant OCSP responses and CRLs are checked at.
pub struct Pair {
    pub leaf: &'static [u8],
    pub issuer: &'static [u8],
    pub now: i64,
}

/// The pairs the OCSP and CRL targets check against, chosen by the input's first byte:
/// the library's own openssl-made fixture (P-256 CA, leaf with serial 00C0FFEE01), and a
/// testkit pair made by `seedgen` (whose seeds include delegated-responder answers).
pub fn pair(selector: u8) -> Pair {
    if selector & 1 == 0 {
        Pair {
            leaf: include_bytes!("../fixtures/openssl-leaf.der"),
            issuer: include_bytes!("../fixtures/openssl-issuer.der"),
            // The fixture OCSP response's thisUpdate plus an hour, inside the CRL's too.
            now: 1_795_609_162 + 3600,
        }
    } else {
        Pair {
            leaf: include_bytes!("../fixtures/testkit-leaf.der"),
            issuer: include_bytes!("../fixtures/testkit-issuer.der"),
            now: testkit_now(),
        }
    }
}

fn testkit_now() -> i64 {
    include_str!("../fixtures/testkit-now")
        .trim()
        .parse()
        .unwrap_or(0)
}

/// http URLs only (any case), each once: what the URL extractors promise.
pub fn check_urls(what: &str, urls: &[String]) {
    for (i, url) in urls.iter().enumerate() {
        assert!(
            url.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://")),
            "{what}: not an http URL: {url:?}"
        );
        assert!(!urls[..i].contains(url), "{what}: {url:?} appears twice");
    }
}
