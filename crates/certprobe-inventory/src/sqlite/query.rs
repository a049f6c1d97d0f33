//! The read side: every query is one SQL statement over the indexes, then rows in Rust.

use super::{classify, SqliteStore};
use crate::error::InventoryError;
use crate::model::{colon_hex, state_name, EndpointKey, RunCounts, StoredFinding};
use crate::query::{
    CertificateFilter, CertificateRow, DeploymentRow, EndpointDetail, EndpointFilter, EndpointRow,
    EventRow, HistoryOf, LeafSpan, RunRow, Source,
};
use rusqlite::types::ToSql;
use rusqlite::{params, params_from_iter, Row};

/// States ordered for "worst wins" in SQL: OK, WARNING, UNKNOWN, CRITICAL.
const SEVERITY: &str = "CASE e.state WHEN 2 THEN 3 WHEN 3 THEN 2 ELSE e.state END";

impl SqliteStore {
    pub(crate) fn query_certificates(
        &self,
        filter: &CertificateFilter,
    ) -> Result<Vec<CertificateRow>, InventoryError> {
        // The common listing reads each certificate's use from certificate_use (schema 3);
        // filters on the endpoints serving it (state, job) group the endpoints themselves.
        let by_use = self.version >= 3 && filter.state.is_none() && filter.job.is_none();
        let mut filters = Where::default();
        if !filter.all && !by_use {
            filters.add("d.id IS NOT NULL");
        }
        if let Some(before) = filter.expiring_before {
            filters.bind("c.not_after < ?", [Box::new(before)]);
        }
        if let Some(issuer) = &filter.issuer {
            filters.bind(
                "instr(lower(c.issuer), ?) > 0",
                [Box::new(issuer.to_lowercase())],
            );
        }
        if let Some(key) = &filter.key_type {
            filters.bind("lower(c.key_type) = ?", [Box::new(key.to_lowercase())]);
        }
        if let Some(bits) = filter.key_bits_below {
            filters.bind("c.key_bits < ?", [Box::new(bits)]);
        }
        if let Some(signature) = &filter.signature {
            filters.bind(
                "instr(lower(c.signature), ?) > 0",
                [Box::new(signature.to_lowercase())],
            );
        }
        if let Some(state) = filter.state {
            filters.bind("e.state = ?", [Box::new(state)]);
        }
        if let Some(job) = &filter.job {
            filters.bind("e.job = ?", [Box::new(job.clone())]);
        }
        let clause = filters.clause();
        // The names a reader shows are chosen here, so each row allocates only what it prints.
        let columns = "c.sha256,
                       CASE c.common_name WHEN '' THEN c.subject ELSE c.common_name END,
                       CASE c.issuer_common_name WHEN '' THEN c.issuer
                            ELSE c.issuer_common_name END,
                       c.serial, c.not_before, c.not_after, c.key_type || ' ' || c.key_bits,
                       c.signature,
                       (SELECT group_concat(name, ' ') FROM certificate_name n
                        WHERE n.certificate_id = c.id)";
        let sql = if by_use {
            let join = if filter.all { "LEFT JOIN" } else { "JOIN" };
            format!(
                "SELECT {columns}, coalesce(u.endpoints, 0),
                        CASE WHEN u.critical > 0 THEN 3 WHEN u.unknown > 0 THEN 2
                             WHEN u.warning > 0 THEN 1 WHEN u.ok > 0 THEN 0 END
                 FROM certificate c
                 {join} certificate_use u ON u.certificate_id = c.id
                 {clause}
                 ORDER BY c.not_after, c.id"
            )
        } else {
            format!(
                "SELECT {columns}, count(e.id), max({SEVERITY})
                 FROM certificate c
                 LEFT JOIN deployment d ON d.leaf_id = c.id AND d.ended_at IS NULL
                 LEFT JOIN endpoint e ON e.deployment_id = d.id
                 {clause}
                 GROUP BY c.not_after, c.id
                 ORDER BY c.not_after, c.id"
            )
        };
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "listing certificates", &e);
        let mut statement = self.conn.prepare(&sql).map_err(fail)?;
        let rows = statement
            .query_map(params_from_iter(filters.values.iter()), |row| {
                let names: Option<&str> = row.get_ref(8)?.as_str_or_null()?;
                let endpoints: i64 = row.get(9)?;
                let worst: Option<u8> = row.get(10)?;
                Ok(CertificateRow {
                    sha256: colon_hex(row.get_ref(0)?.as_blob()?),
                    subject: row.get(1)?,
                    issuer: row.get(2)?,
                    serial: row.get(3)?,
                    not_before: row.get(4)?,
                    not_after: row.get(5)?,
                    key: row.get(6)?,
                    signature: row.get(7)?,
                    names: names
                        .unwrap_or_default()
                        .split(' ')
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .collect(),
                    endpoints: endpoints as u64,
                    worst_state: match worst {
                        Some(_) if endpoints == 0 => String::new(),
                        Some(severity) => state_name(from_severity(severity)).to_string(),
                        None => String::new(),
                    },
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn query_deployments(
        &self,
        needle: &str,
        ended_too: bool,
    ) -> Result<Vec<DeploymentRow>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "finding deployments", &e);
        let certificates = self.certificates_matching(needle)?;
        let mut out = Vec::new();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT c.sha256, c.common_name, c.subject, l.position,
                        e.zone, e.address, e.port, e.sni, e.protocol, e.job,
                        d.first_seen, d.last_seen, d.scans, d.ended_at, e.state
                 FROM chain_link l
                 JOIN certificate c ON c.id = l.certificate_id
                 JOIN deployment d ON d.chain_id = l.chain_id
                 JOIN endpoint e ON e.id = d.endpoint_id
                 WHERE l.certificate_id = ?1 AND (?2 OR d.ended_at IS NULL)
                 ORDER BY e.address, e.port, e.sni, d.id",
            )
            .map_err(fail)?;
        for certificate in certificates {
            let rows = statement
                .query_map(params![certificate, ended_too], |row| {
                    let sha: Vec<u8> = row.get(0)?;
                    Ok(DeploymentRow {
                        sha256: colon_hex(&sha),
                        subject: name_or(row.get(1)?, row.get(2)?),
                        position: row.get(3)?,
                        endpoint: endpoint_key(row, 4)?.label(),
                        job: row.get(9)?,
                        first_seen: row.get(10)?,
                        last_seen: row.get(11)?,
                        scans: row.get::<_, i64>(12)? as u64,
                        ended_at: row.get(13)?,
                        state: state_name(row.get(14)?).to_string(),
                    })
                })
                .map_err(fail)?;
            for row in rows {
                out.push(row.map_err(fail)?);
            }
        }
        Ok(out)
    }

    /// Certificate ids by fingerprint prefix (8+ hex digits, colons allowed) or by a name
    /// they cover (exactly, or through a wildcard).
    fn certificates_matching(&self, needle: &str) -> Result<Vec<i64>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "finding certificates", &e);
        let collect = |sql: &str, values: &[&dyn ToSql]| -> Result<Vec<i64>, InventoryError> {
            let mut statement = self.conn.prepare_cached(sql).map_err(fail)?;
            let rows = statement
                .query_map(values, |row| row.get(0))
                .map_err(fail)?;
            rows.collect::<Result<Vec<i64>, _>>().map_err(fail)
        };
        if let Some((low, high)) = fingerprint_range(needle) {
            return collect(
                "SELECT id FROM certificate WHERE sha256 BETWEEN ?1 AND ?2 ORDER BY id",
                &[&low, &high],
            );
        }
        let name = needle.trim().trim_end_matches('.').to_lowercase();
        let wildcard = match name.split_once('.') {
            Some((_, parent)) if parent.contains('.') => format!("*.{parent}"),
            _ => name.clone(),
        };
        collect(
            "SELECT DISTINCT certificate_id FROM certificate_name WHERE name IN (?1, ?2)
             ORDER BY certificate_id",
            &[&name, &wildcard],
        )
    }

    pub(crate) fn query_endpoints(
        &self,
        filter: &EndpointFilter,
    ) -> Result<Vec<EndpointRow>, InventoryError> {
        Ok(self
            .endpoint_rows(filter, "listing endpoints")?
            .into_iter()
            .map(|(row, _)| row)
            .collect())
    }

    pub(crate) fn query_endpoint_details(
        &self,
        filter: &EndpointFilter,
    ) -> Result<Vec<EndpointDetail>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading endpoints", &e);
        let rows = self.endpoint_rows(filter, "reading endpoints")?;
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT c.der FROM chain_link l JOIN certificate c ON c.id = l.certificate_id
                 WHERE l.chain_id = ?1 ORDER BY l.position",
            )
            .map_err(fail)?;
        let mut out = Vec::with_capacity(rows.len());
        for (row, served) in rows {
            let chain = match served.chain_id {
                Some(chain_id) => statement
                    .query_map(params![chain_id], |r| r.get::<_, Vec<u8>>(0))
                    .map_err(fail)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(fail)?,
                None => Vec::new(),
            };
            out.push(EndpointDetail {
                row,
                chain,
                tls_version: served.tls_version,
                error_kind: served.error_kind,
            });
        }
        Ok(out)
    }

    /// The endpoints by filter, each with what its latest scan served.
    fn endpoint_rows(
        &self,
        filter: &EndpointFilter,
        doing: &'static str,
    ) -> Result<Vec<(EndpointRow, Served)>, InventoryError> {
        let mut filters = Where::default();
        if let Some(address) = &filter.address {
            filters.bind("e.address = ?", [Box::new(address.clone())]);
        }
        if let Some(sni) = &filter.sni {
            filters.bind("e.sni = ?", [Box::new(sni.to_lowercase())]);
        }
        if let Some(port) = filter.port {
            filters.bind("e.port = ?", [Box::new(port)]);
        }
        if let Some(state) = filter.state {
            filters.bind("e.state = ?", [Box::new(state)]);
        }
        match filter.source {
            Some(Source::Network) => filters.bind(
                "e.protocol NOT IN (?, ?)",
                [
                    Box::new(Source::FILE_PROTOCOL),
                    Box::new(Source::STORE_PROTOCOL),
                ],
            ),
            Some(Source::File) => filters.bind(
                "e.protocol IN (?, ?)",
                [
                    Box::new(Source::FILE_PROTOCOL),
                    Box::new(Source::STORE_PROTOCOL),
                ],
            ),
            None => {}
        }
        if let Some(host) = &filter.host {
            filters.bind("lower(e.address) = lower(?)", [Box::new(host.clone())]);
        }
        if let Some(job) = &filter.job {
            filters.bind("e.job = ?", [Box::new(job.clone())]);
        }
        if let Some((net, prefix)) = filter.range {
            let (low, high) = crate::net::range_keys(net, prefix);
            filters.bind(
                "e.address_key BETWEEN ? AND ?",
                [Box::new(low.to_vec()), Box::new(high.to_vec())],
            );
        }
        let sql = format!(
            "SELECT e.zone, e.address, e.port, e.sni, e.protocol, e.job, e.state, e.summary,
                    e.last_scan, e.findings, c.sha256, c.not_after, c.common_name, c.subject,
                    e.last_run_id < coalesce((SELECT max(r.id) FROM scan_run r
                        WHERE r.job = e.job AND r.zone = e.zone AND r.status = 'done'
                          AND (e.protocol NOT IN ('file', 'winstore') OR r.host = e.address)), 0),
                    d.chain_id, e.tls_version, e.error_kind
             FROM endpoint e
             LEFT JOIN deployment d ON d.id = e.deployment_id
             LEFT JOIN certificate c ON c.id = d.leaf_id
             {}
             ORDER BY e.address, e.port, e.sni, e.protocol",
            filters.clause()
        );
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, doing, &e);
        let mut statement = self.conn.prepare_cached(&sql).map_err(fail)?;
        let rows = statement
            .query_map(params_from_iter(filters.values.iter()), |row| {
                let key = endpoint_key(row, 0)?;
                let served = Served {
                    chain_id: row.get(15)?,
                    tls_version: row.get(16)?,
                    error_kind: row.get(17)?,
                };
                let sha: Option<Vec<u8>> = row.get(10)?;
                let findings: String = row.get(9)?;
                let common_name: Option<String> = row.get(12)?;
                let subject: Option<String> = row.get(13)?;
                let row = EndpointRow {
                    endpoint: key.label(),
                    zone: key.zone,
                    address: key.address,
                    port: key.port,
                    sni: key.sni,
                    protocol: key.protocol,
                    job: row.get(5)?,
                    state: state_name(row.get(6)?).to_string(),
                    summary: row.get(7)?,
                    last_scan: row.get(8)?,
                    stale: row.get(14)?,
                    sha256: sha.map(|s| colon_hex(&s)).unwrap_or_default(),
                    not_after: row.get(11)?,
                    subject: name_or(common_name.unwrap_or_default(), subject.unwrap_or_default()),
                    findings: Vec::new(),
                };
                Ok((row, served, findings))
            })
            .map_err(fail)?;
        let mut out = Vec::new();
        for found in rows {
            let (mut row, served, findings) = found.map_err(fail)?;
            if filter.stale_only && !row.stale {
                continue;
            }
            // Parsed for the rows kept only.
            row.findings =
                serde_json::from_str::<Vec<StoredFinding>>(&findings).unwrap_or_default();
            out.push((row, served));
        }
        Ok(out)
    }

    pub(crate) fn query_events_since(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<EventRow>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the history", &e);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT v.at, v.run_id, e.zone, e.address, e.port, e.sni, e.protocol,
                        v.kind, c.sha256, p.sha256, v.old_state, v.new_state, v.detail
                 FROM event v
                 JOIN endpoint e ON e.id = v.endpoint_id
                 LEFT JOIN certificate c ON c.id = v.certificate_id
                 LEFT JOIN certificate p ON p.id = v.previous_certificate_id
                 WHERE v.at >= ?1 ORDER BY v.at DESC, v.id DESC LIMIT ?2",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map(params![since, limit as i64], event_row)
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn query_leaf_spans(&self) -> Result<Vec<LeafSpan>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the deployments", &e);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT d.leaf_id, d.first_seen, d.last_seen, d.ended_at, c.not_after
                 FROM deployment d JOIN certificate c ON c.id = d.leaf_id",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok(LeafSpan {
                    certificate_id: row.get(0)?,
                    first_seen: row.get(1)?,
                    last_seen: row.get(2)?,
                    ended_at: row.get(3)?,
                    not_after: row.get(4)?,
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    pub(crate) fn query_history(&self, of: &HistoryOf) -> Result<Vec<EventRow>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "reading the history", &e);
        let select = "SELECT v.at, v.run_id, e.zone, e.address, e.port, e.sni, e.protocol,
                             v.kind, c.sha256, p.sha256, v.old_state, v.new_state, v.detail
                      FROM event v
                      JOIN endpoint e ON e.id = v.endpoint_id
                      LEFT JOIN certificate c ON c.id = v.certificate_id
                      LEFT JOIN certificate p ON p.id = v.previous_certificate_id";
        let map = event_row;
        match of {
            HistoryOf::Endpoint {
                address,
                port,
                protocol,
                sni,
            } => {
                let sql = format!(
                    "{select} WHERE e.address = ?1 AND e.port = ?2
                     AND (?3 IS NULL OR e.protocol = ?3) AND (?4 IS NULL OR e.sni = ?4)
                     ORDER BY v.id"
                );
                let mut statement = self.conn.prepare(&sql).map_err(fail)?;
                let rows = statement
                    .query_map(params![address, port, protocol, sni], map)
                    .map_err(fail)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(fail)
            }
            HistoryOf::Certificate(needle) => {
                let ids = self.certificates_matching(needle)?;
                let sql = format!(
                    "{select} WHERE v.certificate_id = ?1 OR v.previous_certificate_id = ?1
                     ORDER BY v.id"
                );
                let mut statement = self.conn.prepare(&sql).map_err(fail)?;
                let mut out = Vec::new();
                for id in ids {
                    let rows = statement.query_map(params![id], map).map_err(fail)?;
                    for row in rows {
                        out.push(row.map_err(fail)?);
                    }
                }
                out.sort_by_key(|e| (e.at, e.run));
                Ok(out)
            }
        }
    }

    pub(crate) fn query_runs(
        &self,
        job: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RunRow>, InventoryError> {
        let shown = self.path();
        let fail = |e: rusqlite::Error| classify(&shown, "listing runs", &e);
        let mut statement = self
            .conn
            .prepare(
                "SELECT id, job, zone, host, started, ended, status, planned,
                        checked, served, failed, silent
                 FROM scan_run WHERE (?1 IS NULL OR job = ?1) ORDER BY id DESC LIMIT ?2",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map(params![job, limit as i64], |row| {
                Ok(RunRow {
                    id: row.get(0)?,
                    job: row.get(1)?,
                    zone: row.get(2)?,
                    host: row.get(3)?,
                    started: row.get(4)?,
                    ended: row.get(5)?,
                    status: row.get(6)?,
                    planned: row.get::<_, i64>(7)? as u64,
                    counts: RunCounts {
                        checked: row.get::<_, i64>(8)? as u64,
                        served: row.get::<_, i64>(9)? as u64,
                        failed: row.get::<_, i64>(10)? as u64,
                        silent: row.get::<_, i64>(11)? as u64,
                    },
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }
}

/// What an endpoint's latest scan served, beside its row.
struct Served {
    chain_id: Option<i64>,
    tls_version: String,
    error_kind: Option<String>,
}

/// The WHERE clause of a filtered query: its conditions, and the values bound to their `?`
/// in order (numbered `?1`, `?2`, ... as they are added).
#[derive(Default)]
struct Where {
    conditions: Vec<String>,
    values: Vec<Box<dyn ToSql>>,
}

impl Where {
    /// A condition without values.
    fn add(&mut self, condition: &str) {
        self.conditions.push(condition.to_string());
    }

    /// A condition whose `?`s take `values`, in order.
    fn bind<const N: usize>(&mut self, condition: &str, values: [Box<dyn ToSql>; N]) {
        debug_assert_eq!(condition.matches('?').count(), N);
        let mut pieces = condition.split('?');
        let mut numbered = pieces.next().unwrap_or_default().to_string();
        for (piece, value) in pieces.zip(values) {
            self.values.push(value);
            numbered.push_str(&format!("?{}{piece}", self.values.len()));
        }
        self.conditions.push(numbered);
    }

    /// `WHERE ...`, or nothing when there is no condition.
    fn clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }
}

/// An event from the columns of the history queries.
fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    let sha: Option<Vec<u8>> = row.get(8)?;
    let previous: Option<Vec<u8>> = row.get(9)?;
    let old: Option<u8> = row.get(10)?;
    let new: Option<u8> = row.get(11)?;
    Ok(EventRow {
        at: row.get(0)?,
        run: row.get(1)?,
        endpoint: endpoint_key(row, 2)?.label(),
        kind: row.get(7)?,
        sha256: sha.map(|s| colon_hex(&s)).unwrap_or_default(),
        previous_sha256: previous.map(|s| colon_hex(&s)).unwrap_or_default(),
        old_state: old.map(|s| state_name(s).to_string()).unwrap_or_default(),
        new_state: new.map(|s| state_name(s).to_string()).unwrap_or_default(),
        detail: row.get(12)?,
    })
}

/// The endpoint key from five columns starting at `first` (zone, address, port, sni, protocol).
pub(super) fn endpoint_key(row: &Row<'_>, first: usize) -> rusqlite::Result<EndpointKey> {
    Ok(EndpointKey {
        zone: row.get(first)?,
        address: row.get(first + 1)?,
        port: row.get(first + 2)?,
        sni: row.get(first + 3)?,
        protocol: row.get(first + 4)?,
    })
}

fn name_or(common_name: String, dn: String) -> String {
    if common_name.is_empty() {
        dn
    } else {
        common_name
    }
}

fn from_severity(severity: u8) -> u8 {
    match severity {
        3 => 2,
        2 => 3,
        other => other,
    }
}

/// The lowest and highest SHA-256 with this hex prefix (8 to 64 digits, colons and spaces
/// ignored); `None` when `needle` is not such a prefix.
pub(crate) fn fingerprint_range(needle: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let digits: String = needle
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    if digits.len() < 8 || digits.len() > 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let padded = |fill: char| -> Option<Vec<u8>> {
        let mut full = digits.clone();
        while full.len() < 64 {
            full.push(fill);
        }
        (0..32)
            .map(|i| u8::from_str_radix(&full[i * 2..i * 2 + 2], 16).ok())
            .collect()
    };
    Some((padded('0')?, padded('f')?))
}
