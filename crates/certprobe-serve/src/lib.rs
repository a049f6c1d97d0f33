//! `certprobe serve`: the reports' pages over HTTP, read-only and live. A watcher and every
//! request ask the inventory whether it changed (SQLite's data version, one cheap statement);
//! when it did, the inventory is judged again on a thread of its own. A small inventory's page
//! waits a moment for it; a large one's is made from the previous judgement, marked as
//! updating. A page over 100,000 endpoints is rendered from memory.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod pages;
mod search;
mod state;

pub use auth::Credentials;
pub use state::Setup;

use axum::routing::get;
use axum::Router;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the dashboard cannot serve.
#[derive(Debug)]
pub enum ServeError {
    /// The address cannot be listened on.
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The runtime or the signal handlers cannot start.
    Runtime(String),
    /// The inventory cannot be opened.
    Inventory(certprobe_inventory::InventoryError),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Listen { address, reason } => {
                write!(f, "cannot listen on {address}: {reason}")
            }
            ServeError::Runtime(reason) => write!(f, "cannot start the server: {reason}"),
            ServeError::Inventory(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ServeError {}

/// The routes.
fn router(state: Arc<state::Shared>) -> Router {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/daily", get(pages::daily))
        .route("/weekly", get(pages::weekly))
        .route("/compliance", get(pages::compliance))
        .route("/timeline", get(pages::timeline))
        .route("/alarms", get(pages::alarms))
        .route("/certificates", get(pages::certificates))
        .route("/certificates/{id}", get(pages::certificate))
        .route("/endpoints", get(pages::endpoints))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            auth::check,
        ))
        .with_state(state)
}

/// Serves until SIGTERM or SIGINT; `ready` gets the address listened on (port 0 chosen).
pub fn serve(
    setup: Setup,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError::Runtime(e.to_string()))?;
    let shared = state::Shared::open(setup).map_err(ServeError::Inventory)?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| ServeError::Listen {
                    address: listen,
                    reason: certprobe_inventory::error::io_words(&e),
                })?;
        let address = listener
            .local_addr()
            .map_err(|e| ServeError::Runtime(e.to_string()))?;
        ready(address);
        axum::serve(listener, router(shared))
            .with_graceful_shutdown(stopped())
            .await
            .map_err(|e| ServeError::Runtime(e.to_string()))
    })
}

/// Resolves at SIGTERM (what systemd sends) or SIGINT.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
