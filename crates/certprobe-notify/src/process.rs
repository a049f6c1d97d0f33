//! Running a program with input on stdin and a time limit: hooks and sendmail. The program
//! runs in its own process group, so at the limit it is killed with everything it started;
//! a program that ends in time may leave work running.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// At most this much of a program's stderr is kept for the log.
const STDERR_KEPT: usize = 2048;

/// Why a program did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// It could not be started.
    Start {
        /// The program.
        program: String,
        /// Why, in words.
        reason: String,
    },
    /// It ran past the limit and was killed.
    Timeout {
        /// The limit.
        limit: Duration,
    },
    /// It ended with a failure.
    Failed {
        /// Its exit code, or none when a signal ended it.
        code: Option<i32>,
        /// The start of what it wrote to stderr, control characters made visible.
        stderr: String,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Start { program, reason } => write!(f, "cannot start {program}: {reason}"),
            RunError::Timeout { limit } => {
                write!(
                    f,
                    "it ran longer than {} s and was killed",
                    limit.as_secs_f64()
                )
            }
            RunError::Failed { code, stderr } => {
                match code {
                    Some(c) => write!(f, "it exited with status {c}")?,
                    None => f.write_str("it was ended by a signal")?,
                }
                if !stderr.is_empty() {
                    write!(f, ": {stderr}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Runs `argv` with `env` added to the environment and `input` on stdin; waits up to
/// `limit`.
pub fn run(
    argv: &[String],
    env: &[(String, String)],
    input: &[u8],
    limit: Duration,
) -> Result<(), RunError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(RunError::Start {
            program: String::new(),
            reason: "no program was given".to_string(),
        });
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(|e| RunError::Start {
        program: certprobe::text::quote(program, 200),
        reason: io_words(&e),
    })?;
    let deadline = Instant::now() + limit;
    // Both pipes in threads: a program that does not read its stdin, or fills stderr,
    // must not block the wait.
    if let Some(mut pipe) = child.stdin.take() {
        let input = input.to_vec();
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    if let Some(mut pipe) = child.stderr.take() {
        thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buffer = [0u8; 1024];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let room = STDERR_KEPT.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
            let _ = sender.send(kept);
        });
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let Some(status) = status else {
        kill_group(&mut child);
        let _ = child.wait();
        return Err(RunError::Timeout { limit });
    };
    if status.success() {
        return Ok(());
    }
    // What it left running may hold stderr open: wait for the text only a little.
    let text = receiver
        .recv_timeout(Duration::from_millis(200))
        .map(|bytes| certprobe::text::quote_bytes(bytes.trim_ascii(), STDERR_KEPT))
        .unwrap_or_default();
    Err(RunError::Failed {
        code: status.code(),
        stderr: text,
    })
}

/// Kills the child's process group (the child and what it started).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
    let _ = child.kill();
}

/// An I/O error in words, without its kind's name.
pub fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "there is no such program".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => certprobe::text::visible(&e.to_string()),
    }
}
