//! The handlers: each reads the current reports (on a blocking thread: SQLite) and renders
//! its page; lists filter by `?q=`.

use crate::search::matching;
use crate::state::{Data, Shared, Unavailable};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use certprobe_inventory::model::{EndpointKey, StoredFinding};
use certprobe_inventory::query::{EndpointFilter, EventRow, HistoryOf};
use certprobe_inventory::Store;
use certprobe_report::views::{CertRow, EventView};
use certprobe_report::{RenderError, Site};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The most rows a list shows: as many as a report page.
const MAX_ROWS: usize = certprobe_report::render::ROWS_SHOWN;

type Shown = Result<(StatusCode, String), String>;

/// Runs `make` on a blocking thread with the current reports, and answers with its page.
async fn page(
    state: Arc<Shared>,
    make: impl FnOnce(&Shared, &Data, &Site) -> Shown + Send + 'static,
) -> Response {
    let done = tokio::task::spawn_blocking(move || {
        match state.data() {
            Ok(served) => make(
                &state,
                &served.data,
                &Site::Live {
                    updating: served.updating,
                },
            ),
            // Nothing is wrong: the first judgement of a large inventory takes a while.
            Err(e @ Unavailable::StillJudging) => {
                Ok((StatusCode::SERVICE_UNAVAILABLE, error_page(&e.to_string())))
            }
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
    let (status, body) = match done {
        Ok(Ok(shown)) => shown,
        Ok(Err(reason)) => (StatusCode::INTERNAL_SERVER_ERROR, error_page(&reason)),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            error_page("the page could not be made"),
        ),
    };
    html(status, body)
}

/// An HTML answer that nothing may embed, cache or run script in.
fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

fn error_page(reason: &str) -> String {
    let text = certprobe_report::svg::escape(&certprobe::text::visible(reason));
    format!("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error · certprobe</title></head><body><h1>The page cannot be shown</h1><p>{text}</p></body></html>")
}

fn ok(rendered: Result<String, RenderError>) -> Shown {
    rendered
        .map(|body| (StatusCode::OK, body))
        .map_err(|e| e.to_string())
}

/// `/`
pub async fn dashboard(State(state): State<Arc<Shared>>) -> Response {
    page(state, |s, d, site| {
        ok(s.pages.dashboard(&d.reports.dashboard, site))
    })
    .await
}

/// `/daily`
pub async fn daily(State(state): State<Arc<Shared>>) -> Response {
    page(state, |s, d, site| {
        ok(s.pages.daily(&d.reports.daily, site))
    })
    .await
}

/// `/weekly`
pub async fn weekly(State(state): State<Arc<Shared>>) -> Response {
    page(state, |s, d, site| {
        ok(s.pages.weekly(&d.reports.weekly, site))
    })
    .await
}

/// `/compliance`
pub async fn compliance(State(state): State<Arc<Shared>>) -> Response {
    page(state, |s, d, site| {
        ok(s.pages.compliance(&d.reports.compliance, site))
    })
    .await
}

/// `/timeline`
pub async fn timeline(State(state): State<Arc<Shared>>) -> Response {
    page(state, |s, d, site| {
        ok(s.pages.timeline(&d.reports.timeline, site))
    })
    .await
}

/// `/alarms`
pub async fn alarms(State(state): State<Arc<Shared>>) -> Response {
    page(state, |s, d, site| {
        ok(s.pages.alarms(&d.reports.alarms, site))
    })
    .await
}

/// The query as typed (at most 200 characters), and its words.
fn words(query: &HashMap<String, String>) -> (String, Vec<String>) {
    let q: String = query
        .get("q")
        .map(|q| q.trim().chars().take(200).collect())
        .unwrap_or_default();
    let words = crate::search::words(&q);
    (q, words)
}

/// `/certificates?q=`
pub async fn certificates(
    State(state): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    page(state, move |s, d, site| {
        let (q, words) = words(&query);
        let all = &d.reports.certificates;
        let found: Vec<usize> = matching(&d.search.certificates, &words).collect();
        let shown: Vec<CertRow> = found
            .iter()
            .take(MAX_ROWS)
            .map(|n| all[*n].clone())
            .collect();
        ok(s.pages.certificates(
            &shown,
            &q,
            all.len(),
            found.len(),
            &d.reports.dashboard.generated,
            site,
        ))
    })
    .await
}

/// One endpoint in the list.
#[derive(Serialize)]
struct EndpointView {
    endpoint: String,
    state: &'static str,
    tier_label: String,
    colour: String,
    subject: String,
    id: String,
    alarms: Vec<String>,
    not_after_date: String,
    job: String,
    owners: Vec<String>,
}

/// `/endpoints?q=`
pub async fn endpoints(
    State(state): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    page(state, move |s, d, site| {
        let (q, words) = words(&query);
        let all = &d.snapshot.deployed;
        let found: Vec<usize> = matching(&d.search.endpoints, &words).collect();
        let shown: Vec<EndpointView> = found
            .iter()
            .take(MAX_ROWS)
            .map(|n| {
                let j = &all[*n];
                EndpointView {
                    endpoint: j.input.endpoint.label(),
                    state: certprobe_inventory::model::state_name(j.input.state),
                    tier_label: j.tier.name().to_string(),
                    colour: certprobe_report::views::tier_colour(j.tier).to_string(),
                    subject: certprobe_report::snapshot::name_of(
                        &j.input.leaf.common_name,
                        &j.input.leaf.subject,
                    ),
                    id: certprobe_report::snapshot::hex_id(&j.input.leaf.sha256),
                    alarms: j.alarms.iter().map(|a| a.describe().to_string()).collect(),
                    not_after_date: certprobe_report::views::date(j.input.leaf.not_after),
                    job: j.input.job.clone(),
                    owners: j.owners.clone(),
                }
            })
            .collect();
        ok(s.pages.endpoints(
            &shown,
            &q,
            all.len(),
            found.len(),
            &d.reports.dashboard.generated,
            site,
        ))
    })
    .await
}

/// A deployment on the certificate's page.
#[derive(Serialize)]
struct DeploymentView {
    endpoint: String,
    position: String,
    first_seen: String,
    last_seen: String,
    scans: u64,
    ended: String,
    state: String,
}

/// A finding on the certificate's page.
#[derive(Serialize)]
struct FindingView {
    endpoint: String,
    check: String,
    state: String,
    message: String,
}

/// The findings of an endpoint's latest scan, from the inventory.
fn latest_findings(store: &dyn Store, key: &EndpointKey) -> Vec<FindingView> {
    // A file's place is its path, which the SNI filter (names, lower-cased) must not touch.
    let network = !matches!(key.protocol.as_str(), "file" | "winstore");
    let filter = EndpointFilter {
        address: Some(key.address.clone()),
        port: Some(key.port),
        sni: network.then(|| key.sni.clone()),
        ..EndpointFilter::default()
    };
    let endpoint = key.label();
    store
        .endpoints(&filter)
        .unwrap_or_default()
        .into_iter()
        .filter(|row| row.zone == key.zone && row.protocol == key.protocol && row.sni == key.sni)
        .flat_map(|row| row.findings)
        // The page's heading shows the tier by the dashboard's thresholds; the scan's tier
        // finding (by the scan's thresholds, and OK by design: it informs) would contradict it.
        .filter(|f| f.check != "tier")
        .map(|f: StoredFinding| FindingView {
            endpoint: endpoint.clone(),
            check: f.check,
            state: f.state,
            message: f.message,
        })
        .collect()
}

/// `/certificates/{id}`: 64 hex digits.
pub async fn certificate(State(state): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    page(state, move |s, d, site| {
        let generated = &d.reports.dashboard.generated;
        let id = id.to_ascii_lowercase();
        let valid = id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit());
        let Some(row) = d.reports.certificates.iter().find(|c| valid && c.id == id) else {
            let body = s
                .pages
                .missing(
                    "No such certificate",
                    "No certificate with this SHA-256 is deployed now.",
                    generated,
                    site,
                )
                .map_err(|e| e.to_string())?;
            return Ok((StatusCode::NOT_FOUND, body));
        };
        // Where it is served now; the findings of their latest scans are read now (the
        // judgement keeps none: they are most of an inventory's memory).
        let places: Vec<&EndpointKey> = d
            .snapshot
            .deployed
            .iter()
            .filter(|j| certprobe_report::snapshot::hex_id(&j.input.leaf.sha256) == id)
            .map(|j| &j.input.endpoint)
            .take(MAX_ROWS)
            .collect();
        let (deployments, events, findings) = s.with_store(|store| {
            let deployments = store.deployments(&id, true).unwrap_or_default();
            let events: Vec<EventRow> = store
                .history(&HistoryOf::Certificate(id.clone()))
                .unwrap_or_default();
            let findings: Vec<FindingView> = places
                .iter()
                .flat_map(|key| latest_findings(store, key))
                .collect();
            (deployments, events, findings)
        });
        let deployments: Vec<DeploymentView> = deployments
            .iter()
            .filter(|r| r.sha256 == row.sha256)
            .map(|r| DeploymentView {
                endpoint: r.endpoint.clone(),
                position: if r.position == 0 {
                    "leaf".to_string()
                } else {
                    format!("chain {}", r.position)
                },
                first_seen: certprobe::clock::format_utc(r.first_seen),
                last_seen: certprobe::clock::format_utc(r.last_seen),
                scans: r.scans,
                ended: r
                    .ended_at
                    .map(certprobe::clock::format_utc)
                    .unwrap_or_default(),
                state: r.state.clone(),
            })
            .collect();
        let mut events: Vec<EventView> = events.iter().map(EventView::of).collect();
        events.reverse();
        ok(s.pages
            .certificate(row, &deployments, &findings, &events, generated, site))
    })
    .await
}

/// Anything else.
pub async fn not_found(State(state): State<Arc<Shared>>) -> Response {
    let body = state
        .pages
        .missing(
            "Not here",
            "There is no such page; the dashboard's pages are in the bar above.",
            "",
            &Site::Live { updating: false },
        )
        .unwrap_or_else(|e| error_page(&e.to_string()));
    html(StatusCode::NOT_FOUND, body)
}
