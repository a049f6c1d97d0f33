//! A minimal HTTP/1.0 client for the plain-HTTP fetches of PKI material: issuer certificates
//! (AIA caIssuers), OCSP and CRLs. These URLs are `http://` by convention (the data is signed),
//! so no TLS, no cookies, no keep-alive: one request, the whole answer, bounded in size and time.

use super::stream::DeadlineStream;
use super::{tcp, Deadline};
use crate::target::Family;
use std::io::{Read, Write};

/// Most redirects followed (some CAs move their AIA files).
const MAX_REDIRECTS: usize = 3;

/// GETs `url`; the body of a 200 answer, at most `limit` bytes.
pub fn get(url: &str, deadline: Deadline, limit: usize) -> Result<Vec<u8>, String> {
    request(url, None, deadline, limit)
}

/// POSTs `body` with `content_type` (OCSP: `application/ocsp-request`).
pub fn post(
    url: &str,
    content_type: &str,
    body: &[u8],
    deadline: Deadline,
    limit: usize,
) -> Result<Vec<u8>, String> {
    request(url, Some((content_type, body)), deadline, limit)
}

fn request(
    url: &str,
    body: Option<(&str, &[u8])>,
    deadline: Deadline,
    limit: usize,
) -> Result<Vec<u8>, String> {
    let mut url = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        match once(&url, body, deadline, limit)? {
            Answer::Body(bytes) => return Ok(bytes),
            Answer::Redirect(to) => url = to,
        }
    }
    Err(format!("too many redirects fetching {url}"))
}

enum Answer {
    Body(Vec<u8>),
    Redirect(String),
}

fn once(
    url: &str,
    body: Option<(&str, &[u8])>,
    deadline: Deadline,
    limit: usize,
) -> Result<Answer, String> {
    let parsed = Url::parse(url)?;
    let addrs = tcp::resolve_host(&parsed.host, parsed.port, Family::Any, deadline)
        .map_err(|e| e.message)?;
    let (socket, _) = tcp::connect(&addrs, deadline).map_err(|e| e.message)?;
    let mut stream = DeadlineStream::new(socket, deadline);
    let agent = concat!("certprobe/", env!("CARGO_PKG_VERSION"));
    let mut head = match body {
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
    if let Some((_, bytes)) = body {
        message.extend_from_slice(bytes);
    }
    let io = |e: std::io::Error| format!("fetching {url}: {}", crate::io_text(&e));
    stream.write_all(&message).map_err(io)?;
    let mut answer = Vec::new();
    let header_room = 16 * 1024;
    (&mut stream)
        .take((limit + header_room) as u64 + 1)
        .read_to_end(&mut answer)
        .map_err(io)?;
    parse_answer(url, &answer, limit)
}

fn parse_answer(url: &str, answer: &[u8], limit: usize) -> Result<Answer, String> {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("fetching {url}: no complete HTTP answer"))?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("fetching {url}: not an HTTP answer"))?;
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        let to = header("location")
            .ok_or_else(|| format!("fetching {url}: redirect without a location"))?;
        return Ok(Answer::Redirect(to));
    }
    if status != 200 {
        return Err(format!("fetching {url}: HTTP {}", status_line.trim()));
    }
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        return Err(format!("fetching {url}: chunked answers are not supported"));
    }
    let mut body = answer[end + 4..].to_vec();
    if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if body.len() < length {
            return Err(format!(
                "fetching {url}: answer truncated at {} of {length} bytes",
                body.len()
            ));
        }
        body.truncate(length);
    }
    if body.len() > limit {
        return Err(format!("fetching {url}: answer larger than {limit} bytes"));
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
    fn parse(url: &str) -> Result<Url, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("only http:// URLs are fetched, not '{url}'"))?;
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
        if host.is_empty() || path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(format!("bad URL '{url}'"));
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
        assert!(Url::parse("http:///x").is_err());
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
            "fetching u: HTTP HTTP/1.0 404 Not Found"
        );
        assert!(parse_answer("u", b"HTTP/1.0 200 OK\r\n\r\n0123456789ab", 10).is_err());
        assert!(parse_answer("u", b"garbage", 10).is_err());
    }
}
