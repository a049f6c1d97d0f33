//! Name resolution and TCP connect, both bounded by the deadline.

use super::Deadline;
use crate::observation::{ConnectError, ErrorKind};
use crate::target::{parse_ip_literal, Family, Target};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;

/// The addresses to try, in resolver order, filtered by `-4`/`-6`.
pub fn resolve(target: &Target, deadline: Deadline) -> Result<Vec<SocketAddr>, ConnectError> {
    let host = target.address.as_deref().unwrap_or(&target.host);
    resolve_host(host, target.port, target.family, deadline)
}

/// The addresses of `host` (a name or an IP literal) in resolver order, filtered by family.
pub fn resolve_host(
    host: &str,
    port: u16,
    family: Family,
    deadline: Deadline,
) -> Result<Vec<SocketAddr>, ConnectError> {
    let addrs = match parse_ip_literal(host) {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => resolve_name(host, port, deadline)?,
    };
    let wanted: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match family {
            Family::Any => true,
            Family::V4 => a.is_ipv4(),
            Family::V6 => a.is_ipv6(),
        })
        .collect();
    if wanted.is_empty() {
        let family = match family {
            Family::V6 => "IPv6 ",
            Family::V4 => "IPv4 ",
            Family::Any => "",
        };
        return Err(ConnectError::new(
            ErrorKind::Resolve,
            format!("host '{host}' has no {family}address"),
        ));
    }
    Ok(wanted)
}

/// The system resolver has no timeout of its own, so it runs on a helper thread
/// that is abandoned if the deadline passes first.
fn resolve_name(
    host: &str,
    port: u16,
    deadline: Deadline,
) -> Result<Vec<SocketAddr>, ConnectError> {
    let step = "resolving the host name";
    let (tx, rx) = mpsc::channel();
    let query = (host.to_string(), port);
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            let _ = tx.send(query.to_socket_addrs().map(|it| it.collect::<Vec<_>>()));
        })
        .map_err(|e| {
            ConnectError::new(ErrorKind::Resolve, format!("cannot start resolver: {e}"))
        })?;
    match rx.recv_timeout(deadline.remaining(step)?) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(_)) => Err(ConnectError::new(
            ErrorKind::Resolve,
            format!("cannot resolve host name '{host}'"),
        )),
        Err(_) => Err(deadline.expired(step)),
    }
}

/// Tries each address in turn until one accepts; reports the first address's error otherwise.
pub fn connect(
    addrs: &[SocketAddr],
    deadline: Deadline,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let mut first_error = None;
    for addr in addrs {
        let step = format!("connecting to {}", show(addr));
        let left = deadline.remaining(&step)?;
        match TcpStream::connect_timeout(addr, left) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok((stream, *addr));
            }
            Err(e)
                if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock =>
            {
                first_error.get_or_insert(deadline.expired(&step));
            }
            Err(e) => {
                first_error.get_or_insert(describe_connect_error(addr, &e));
            }
        }
    }
    Err(first_error
        .unwrap_or_else(|| ConnectError::new(ErrorKind::Resolve, "no address to connect to")))
}

fn describe_connect_error(addr: &SocketAddr, e: &io::Error) -> ConnectError {
    let addr = show(addr);
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ConnectError::new(
            ErrorKind::ConnectionRefused,
            format!("connection refused by {addr}"),
        ),
        _ => ConnectError::new(
            ErrorKind::Unreachable,
            format!("cannot connect to {addr}: {}", crate::io_text(e)),
        ),
    }
}

fn show(addr: &SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}
