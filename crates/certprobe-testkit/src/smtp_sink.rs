//! An SMTP server on 127.0.0.1 that keeps what it accepts (envelope and message) in memory,
//! or misbehaves on purpose: refuses, defers, hangs, drops the connection. With a TLS
//! configuration it offers STARTTLS (or speaks TLS at once); with credentials it wants
//! AUTH PLAIN or LOGIN.

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the sink answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkMode {
    /// Accepts every message.
    Accept,
    /// Answers RCPT TO with 550.
    RefuseRecipients,
    /// Answers the end of DATA with 451 (try again later).
    Defer,
    /// Accepts the connection and never says a word.
    Hang,
    /// Closes the connection after MAIL FROM.
    Drop,
}

/// A message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// MAIL FROM.
    pub from: String,
    /// Every RCPT TO.
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, CRLF kept.
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The user that authenticated, if any.
    pub user: Option<String>,
}

impl Received {
    /// The first value of a header (unfolded), if the message has it.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_string());
                }
            }
        }
        value
    }
}

/// A running sink.
#[derive(Clone)]
pub struct SmtpSink {
    /// Its port on 127.0.0.1.
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    mode: Arc<Mutex<SinkMode>>,
    connections: Arc<Mutex<u32>>,
}

/// How the sink does TLS.
#[derive(Clone)]
pub enum SinkTls {
    /// Plain text, no STARTTLS offered.
    None,
    /// STARTTLS offered with this configuration.
    StartTls(Arc<ServerConfig>),
    /// TLS from the first byte (port 465 style).
    Implicit(Arc<ServerConfig>),
}

impl SmtpSink {
    /// Starts a sink; `credentials` (user, password) make AUTH required.
    pub fn start(mode: SinkMode, tls: SinkTls, credentials: Option<(String, String)>) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let sink = SmtpSink {
            port: listener.local_addr().expect("addr").port(),
            received: Arc::default(),
            mode: Arc::new(Mutex::new(mode)),
            connections: Arc::default(),
        };
        let shared = sink.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sink = shared.clone();
                let tls = tls.clone();
                let credentials = credentials.clone();
                *sink.connections.lock().unwrap() += 1;
                std::thread::spawn(move || sink.serve(stream, &tls, credentials.as_ref()));
            }
        });
        sink
    }

    /// What it accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many connections it had.
    pub fn connections(&self) -> u32 {
        *self.connections.lock().unwrap()
    }

    /// Changes how it answers from the next connection on.
    pub fn set_mode(&self, mode: SinkMode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn serve(&self, stream: TcpStream, tls: &SinkTls, credentials: Option<&(String, String)>) {
        let mode = self.mode.lock().unwrap().clone();
        if mode == SinkMode::Hang {
            std::thread::sleep(Duration::from_secs(60));
            return;
        }
        let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
        let mut conversation = match tls {
            SinkTls::Implicit(config) => {
                let Ok(conn) = ServerConnection::new(config.clone()) else {
                    return;
                };
                Conversation::new(Box::new(StreamOwned::new(conn, stream)), true)
            }
            _ => Conversation::new(Box::new(stream), false),
        };
        let _ = self.talk(&mut conversation, &mode, tls, credentials);
    }

    fn talk(
        &self,
        c: &mut Conversation,
        mode: &SinkMode,
        tls: &SinkTls,
        credentials: Option<&(String, String)>,
    ) -> std::io::Result<()> {
        c.say("220 sink.test ESMTP certprobe test sink")?;
        let mut from = String::new();
        let mut to: Vec<String> = Vec::new();
        let mut user: Option<String> = None;
        loop {
            let line = c.line()?;
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                let mut lines = vec!["250-sink.test".to_string()];
                if matches!(tls, SinkTls::StartTls(_)) && !c.tls {
                    lines.push("250-STARTTLS".to_string());
                }
                if credentials.is_some() {
                    lines.push("250-AUTH PLAIN LOGIN".to_string());
                }
                lines.push("250 8BITMIME".to_string());
                c.say(&lines.join("\r\n"))?;
            } else if upper == "STARTTLS" {
                let SinkTls::StartTls(config) = tls else {
                    c.say("502 no TLS here")?;
                    continue;
                };
                c.say("220 go ahead")?;
                c.start_tls(config)?;
            } else if upper.starts_with("AUTH PLAIN") {
                let encoded = line.get(11..).unwrap_or("").trim();
                let decoded = certprobe::encoding::unbase64(encoded).unwrap_or_default();
                let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
                let given = (
                    parts.get(1).copied().unwrap_or(b""),
                    parts.get(2).copied().unwrap_or(b""),
                );
                match credentials {
                    Some((u, p)) if given == (u.as_bytes(), p.as_bytes()) => {
                        user = Some(u.clone());
                        c.say("235 authenticated")?;
                    }
                    _ => c.say("535 5.7.8 authentication failed")?,
                }
            } else if upper.starts_with("MAIL FROM:") {
                if credentials.is_some() && user.is_none() {
                    c.say("530 5.7.0 authentication required")?;
                    continue;
                }
                from = address(&line[10..]);
                if *mode == SinkMode::Drop {
                    return Ok(());
                }
                c.say("250 ok")?;
            } else if upper.starts_with("RCPT TO:") {
                if *mode == SinkMode::RefuseRecipients {
                    c.say("550 5.1.1 no such user here")?;
                } else {
                    to.push(address(&line[8..]));
                    c.say("250 ok")?;
                }
            } else if upper == "DATA" {
                c.say("354 go on")?;
                let mut data = String::new();
                loop {
                    let l = c.line()?;
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push_str("\r\n");
                }
                if *mode == SinkMode::Defer {
                    c.say("451 4.3.0 try again later")?;
                } else {
                    self.received.lock().unwrap().push(Received {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
                        tls: c.tls,
                        user: user.clone(),
                    });
                    c.say("250 queued")?;
                }
            } else if upper == "QUIT" {
                c.say("221 bye")?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                c.say("250 ok")?;
            } else {
                c.say("500 what?")?;
            }
        }
    }
}

fn address(text: &str) -> String {
    let text = text.trim();
    let inner = text.trim_start_matches('<');
    inner.split('>').next().unwrap_or("").to_string()
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

struct Conversation {
    reader: BufReader<Box<dyn Stream>>,
    tls: bool,
}

impl Conversation {
    fn new(stream: Box<dyn Stream>, tls: bool) -> Conversation {
        Conversation {
            reader: BufReader::new(stream),
            tls,
        }
    }

    fn say(&mut self, text: &str) -> std::io::Result<()> {
        let stream = self.reader.get_mut();
        stream.write_all(text.as_bytes())?;
        stream.write_all(b"\r\n")?;
        stream.flush()
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }

    fn start_tls(&mut self, config: &Arc<ServerConfig>) -> std::io::Result<()> {
        let placeholder: Box<dyn Stream> = Box::new(std::io::Cursor::new(Vec::new()));
        let old = std::mem::replace(&mut self.reader, BufReader::new(placeholder));
        let plain = old.into_inner();
        let conn = ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
        self.reader = BufReader::new(Box::new(StreamOwned::new(conn, plain)));
        self.tls = true;
        Ok(())
    }
}
