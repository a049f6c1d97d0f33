//! Name resolution (on the [`Resolver`] pool) and TCP connect, both bounded by the budget.

use super::resolver::Resolver;
use crate::budget::{Budget, Deadline};
use crate::observation::{ConnectError, ErrorKind};
use crate::target::{parse_ip_literal, Family, Target};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};

/// The addresses to try, in resolver order, filtered by `-4`/`-6`.
pub fn resolve(
    target: &Target,
    resolver: &Resolver,
    deadline: Deadline,
) -> Result<Vec<SocketAddr>, ConnectError> {
    let host = target.address.as_deref().unwrap_or(&target.host);
    resolve_host(host, target.port, target.family, resolver, deadline)
}

/// The addresses of `host` (a name or an IP literal) in resolver order, filtered by family.
pub fn resolve_host(
    host: &str,
    port: u16,
    family: Family,
    resolver: &Resolver,
    deadline: Deadline,
) -> Result<Vec<SocketAddr>, ConnectError> {
    let addrs = match parse_ip_literal(host) {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => resolver.resolve(host, port, deadline)?,
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

/// Tries each address in turn until one accepts; reports the first address's error otherwise.
pub fn connect(
    addrs: &[SocketAddr],
    budget: &Budget,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let mut first_error = None;
    for addr in addrs {
        let step = format!("connecting to {}", show(addr));
        let left = budget.connect_time(&step)?;
        match TcpStream::connect_timeout(addr, left) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok((stream, *addr));
            }
            Err(e)
                if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock =>
            {
                first_error.get_or_insert(budget.connect_expired(&step));
            }
            Err(e) => {
                first_error.get_or_insert(describe_connect_error(addr, &e));
            }
        }
    }
    Err(first_error
        .unwrap_or_else(|| ConnectError::new(ErrorKind::Resolve, "no address to connect to")))
}

/// A failed connect in words ("connection refused by 192.0.2.1:443"), also for a caller
/// that connected on its own.
pub fn describe_connect_error(addr: &SocketAddr, e: &io::Error) -> ConnectError {
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

/// `address:port`, IPv6 in brackets.
pub fn show(addr: &SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}
