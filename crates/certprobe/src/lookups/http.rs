//! A minimal HTTP/1.0 client for the plain-HTTP fetches of PKI material: issuer certificates
//! (AIA caIssuers), OCSP and CRLs. These URLs are `http://` by convention (the data is signed),
//! so no TLS, no cookies, no keep-alive: one request, the whole answer, bounded in size and time.

use super::egress::EgressPolicy;
use crate::budget::Budget;
use crate::capture::{tcp, DeadlineStream, Resolver};
use crate::fetch::{FetchError, Request};
use crate::target::Family;
use std::io::{Read, Write};
use std::net::SocketAddr;

/// Fetches `request` (GET, or POST when it has a body), following redirects as the policy
/// allows; the body of the 200 answer, at most `request.limit` bytes.
pub fn fetch(
    request: &Request<'_>,
    resolver: &Resolver,
    egress: &EgressPolicy,
    budget: &Budget,
) -> Result<Vec<u8>, FetchError> {
    let mut url = request.url.to_string();
    for _ in 0..=egress.max_redirects {
        match once(&url, request, resolver, egress, budget)? {
            Answer::Body(bytes) => return Ok(bytes),
            Answer::Redirect(to) => url = absolute(&url, &to),
        }
    }
    Err(FetchError::TooManyRedirects(format!(
        "too many redirects fetching {}",
        request.url
    )))
}

enum Answer {
    Body(Vec<u8>),
    Redirect(String),
}

/// A redirect's `Location` as an absolute URL: a path (`/new`) is on the same server.
fn absolute(current: &str, location: &str) -> String {
    if !location.starts_with('/') || location.starts_with("//") {
        return location.to_string();
    }
    let after_scheme = current.get(7..).unwrap_or_default();
    let authority = after_scheme.split('/').next().unwrap_or_default();
    format!("http://{authority}{location}")
}

fn once(
    url: &str,
    request: &Request<'_>,
    resolver: &Resolver,
    egress: &EgressPolicy,
    budget: &Budget,
) -> Result<Answer, FetchError> {
    let parsed = Url::parse(url)?;
    let addrs = tcp::resolve_host(
        &parsed.host,
        parsed.port,
        Family::Any,
        resolver,
        budget.deadline,
    )
    .map_err(|e| FetchError::Connect(e.message))?;
    let allowed: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| egress.check(a.ip(), request.near).is_ok())
        .collect();
    if allowed.is_empty() {
        let reason = addrs
            .first()
            .map(|a| egress.check(a.ip(), request.near))
            .and_then(Result::err)
            .map_or_else(|| "no address to fetch from".to_string(), |e| e.to_string());
        return Err(FetchError::Forbidden(format!("fetching {url}: {reason}")));
    }
    let (socket, _) = tcp::connect(&allowed, budget).map_err(|e| FetchError::Connect(e.message))?;
    let mut stream = DeadlineStream::new(socket, budget.deadline);
    let agent = concat!("certprobe/", env!("CARGO_PKG_VERSION"));
    let mut head = match request.post {
        None => format!("GET {} HTTP/1.0\r\n", parsed.path),
        Some((kind, bytes)) => format!(
            "POST {} HTTP/1.0\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n",
            parsed.path,
            bytes.len()
        ),
    };
    head.push_str(&format!(
        "Host: {}\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n",
        parsed.authority()
    ));
    let mut message = head.into_bytes();
    if let Some((_, bytes)) = request.post {
        message.extend_from_slice(bytes);
    }
    let io = |e: std::io::Error| FetchError::Io(format!("fetching {url}: {}", crate::io_text(&e)));
    stream.write_all(&message).map_err(io)?;
    let mut answer = Vec::new();
    let header_room = 16 * 1024;
    (&mut stream)
        .take((request.limit + header_room) as u64 + 1)
        .read_to_end(&mut answer)
        .map_err(io)?;
    parse_answer(url, &answer, request.limit)
}

/// Parses a whole HTTP/1.x answer: exposed for the fuzzer.
pub fn parse_answer_for_fuzzing(
    answer: &[u8],
    limit: usize,
) -> Result<Option<Vec<u8>>, FetchError> {
    parse_answer("http://fuzz/", answer, limit).map(|a| match a {
        Answer::Body(body) => Some(body),
        Answer::Redirect(_) => None,
    })
}

fn parse_answer(url: &str, answer: &[u8], limit: usize) -> Result<Answer, FetchError> {
    let malformed = |what: &str| FetchError::Malformed(format!("fetching {url}: {what}"));
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| malformed("no complete HTTP answer"))?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| malformed("not an HTTP answer"))?;
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let to = header("location").ok_or_else(|| malformed("redirect without a location"))?;
        return Ok(Answer::Redirect(to));
    }
    if status != 200 {
        return Err(FetchError::Status(format!(
            "fetching {url}: HTTP {}",
            crate::text::quote(status_line.trim(), 200)
        )));
    }
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        return Err(malformed("chunked answers are not supported"));
    }
    let mut body = answer[end + 4..].to_vec();
    if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        // Announced larger than allowed: reading stopped at the limit, so say that.
        if length > limit {
            return Err(FetchError::TooLarge(format!(
                "fetching {url}: answer larger than {limit} bytes"
            )));
        }
        if body.len() < length {
            return Err(malformed(&format!(
                "answer truncated at {} of {length} bytes",
                body.len()
            )));
        }
        body.truncate(length);
    }
    if body.len() > limit {
        return Err(FetchError::TooLarge(format!(
            "fetching {url}: answer larger than {limit} bytes"
        )));
    }
    Ok(Answer::Body(body))
}

/// An `http://host[:port]/path` URL, the only kind PKI URLs use.
struct Url {
    host: String,
    port: u16,
    path: String,
}

impl Url {
    fn parse(url: &str) -> Result<Url, FetchError> {
        let bad = || FetchError::BadUrl(format!("bad URL '{}'", crate::text::visible(url)));
        // The scheme is case-insensitive (RFC 3986): `HTTP://` is as good as `http://`.
        let rest = url
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .and_then(|_| url.get(7..))
            .ok_or_else(|| {
                FetchError::BadUrl(format!(
                    "only http:// URLs are fetched, not '{}'",
                    crate::text::visible(url)
                ))
            })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                match p.parse::<u16>() {
                    Ok(port) => (h, port),
                    Err(_) => (authority, 80),
                }
            }
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty()
            || url.bytes().any(|b| b.is_ascii_control() || b == b' ')
            || host.bytes().any(|b| b == b'@' || b == b'/')
        {
            return Err(bad());
        }
        Ok(Url {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = Url::parse("http://ocsp.example.com/ca/1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("ocsp.example.com", 80, "/ca/1")
        );
        let u = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str(), u.authority()),
            ("127.0.0.1", 8080, "/", "127.0.0.1:8080".to_string())
        );
        let u = Url::parse("http://[::1]:81/x").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.authority()),
            ("::1", 81, "[::1]:81".to_string())
        );
        assert!(Url::parse("https://x/").is_err());
        let upper = Url::parse("HTTP://OCSP.example.com/a").unwrap();
        assert_eq!(
            (upper.host.as_str(), upper.path.as_str()),
            ("OCSP.example.com", "/a")
        );
        assert!(Url::parse("http://x/a\r\nHost: y").is_err());
        assert!(Url::parse("http:///x").is_err());
    }

    #[test]
    fn relative_redirects_stay_on_the_server() {
        assert_eq!(absolute("http://a:81/x/y", "/z"), "http://a:81/z");
        assert_eq!(absolute("http://a/x", "http://b/y"), "http://b/y");
        assert_eq!(absolute("http://a/x", "//b/y"), "//b/y");
    }

    #[test]
    fn answers_parse() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
        assert!(matches!(parse_answer("u", ok, 10).unwrap(), Answer::Body(b) if b == b"abc"));
        let moved = b"HTTP/1.0 301 Moved\r\nLocation: http://x/y\r\n\r\n";
        assert!(
            matches!(parse_answer("u", moved, 10).unwrap(), Answer::Redirect(to) if to == "http://x/y")
        );
        assert_eq!(
            parse_answer("u", b"HTTP/1.0 404 Not Found\r\n\r\n", 10)
                .err()
                .unwrap(),
            FetchError::Status("fetching u: HTTP HTTP/1.0 404 Not Found".into())
        );
        assert!(parse_answer("u", b"HTTP/1.0 200 OK\r\n\r\n0123456789ab", 10).is_err());
        assert!(parse_answer("u", b"garbage", 10).is_err());
        assert_eq!(
            parse_answer(
                "u",
                b"HTTP/1.0 200 OK\r\nContent-Length: 99\r\n\r\n0123",
                10
            )
            .err()
            .unwrap(),
            FetchError::TooLarge("fetching u: answer larger than 10 bytes".into())
        );
    }
}
