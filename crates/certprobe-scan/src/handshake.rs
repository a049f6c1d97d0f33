//! The TLS handshake on an async socket: the engine's [`Handshake`] state machine, driven by
//! tokio, so an endpoint that accepts and never answers costs a socket and a small state,
//! not a thread. No read buffer is held while waiting: it is made when bytes are there.

use certprobe::capture::{Handshake, Progress};
use std::io;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The most read at once.
const READ_SIZE: usize = 16 * 1024;

/// Runs the handshake to its end or its first error.
pub async fn drive(handshake: &mut Handshake, stream: &mut TcpStream) -> io::Result<()> {
    loop {
        let out = handshake.outgoing();
        if !out.is_empty() {
            stream.write_all(&out).await?;
        }
        handshake.expects_more()?;
        stream.readable().await?;
        let mut buffer = vec![0u8; READ_SIZE];
        let n = match stream.try_read(&mut buffer) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        match handshake.received(&buffer[..n]) {
            Ok(Progress::Reading) => continue,
            Ok(Progress::Done) => {
                // The last flight (Finished) goes out before the session is used.
                let out = handshake.outgoing();
                stream.write_all(&out).await?;
                return Ok(());
            }
            Err(e) => {
                // The alert that tells the server why, if there is one to send.
                let _ = stream.write_all(&handshake.outgoing()).await;
                return Err(e);
            }
        }
    }
}
