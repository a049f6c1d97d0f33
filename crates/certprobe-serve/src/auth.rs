//! Optional basic authentication: every request, or none.

use crate::state::Shared;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The one user and password the dashboard accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ..)", self.user)
    }
}

impl Credentials {
    /// Whether an `Authorization` header value carries these credentials.
    fn accepts(&self, header: &str) -> bool {
        let Some(encoded) = header.strip_prefix("Basic ").map(str::trim) else {
            return false;
        };
        let Some(decoded) = certprobe::encoding::unbase64(encoded) else {
            return false;
        };
        let expected = format!("{}:{}", self.user, self.password);
        // Compared in full whatever differs first.
        let a = decoded.as_slice();
        let b = expected.as_bytes();
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Lets a request through when no credentials are configured or it carries them.
pub async fn check(State(state): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(credentials) = &state.setup.credentials else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if credentials.accepts(given) {
        return next.run(request).await;
    }
    let mut response = (StatusCode::UNAUTHORIZED, "Authentication is needed.\n").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"certprobe\", charset=\"UTF-8\""),
    );
    response
}
