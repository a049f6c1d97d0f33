//! The read side: every query is one SQL statement over the indexes, then rows in Rust.

use super::{classify, SqlStore};
use crate::error::InventoryError;
use crate::model::{colon_hex, state_name, EndpointKey, RunCounts, StoredFinding};
use crate::query::{
    CertificateFilter, CertificateRow, DeploymentRow, EndpointDetail, EndpointFilter, EndpointRow,
    EventRow, HistoryOf, LeafSpan, RunRow, Source,
};
use crate::sql::{self, params, Connection, DbError, Owned, Param, Row, ToParam};
use std::collections::HashMap;

/// Chains read by one statement (each a bound value: SQLite takes 32,766 at most).
const CHAINS_PER_STATEMENT: usize = 500;

/// States ordered for "worst wins" in SQL: OK, WARNING, UNKNOWN, CRITICAL.
const SEVERITY: &str = "CASE e.state WHEN 2 THEN 3 WHEN 3 THEN 2 ELSE e.state END";

impl<C: Connection> SqlStore<C> {
    pub(crate) fn query_certificates(
        &self,
        filter: &CertificateFilter,
    ) -> Result<Vec<CertificateRow>, InventoryError> {
        // The common listing reads each certificate's use from certificate_use (schema 3);
        // filters on the endpoints serving it (state, job) group the endpoints themselves.
        let by_use = self.version >= 3 && filter.state.is_none() && filter.job.is_none();
        let dialect = self.db().dialect();
        let mut filters = Where::default();
        if !filter.all && !by_use {
            filters.add("d.id IS NOT NULL");
        }
        if let Some(before) = filter.expiring_before {
            filters.bind("c.not_after < ?", [Owned::Int(before)]);
        }
        if let Some(issuer) = &filter.issuer {
            filters.bind(
                &dialect.contains("lower(c.issuer)", "?"),
                [Owned::Text(issuer.to_lowercase())],
            );
        }
        if let Some(key) = &filter.key_type {
            filters.bind("lower(c.key_type) = ?", [Owned::Text(key.to_lowercase())]);
        }
        if let Some(bits) = filter.key_bits_below {
            filters.bind("c.key_bits < ?", [Owned::Int(i64::from(bits))]);
        }
        if let Some(signature) = &filter.signature {
            filters.bind(
                &dialect.contains("lower(c.signature)", "?"),
                [Owned::Text(signature.to_lowercase())],
            );
        }
        if let Some(state) = filter.state {
            filters.bind("e.state = ?", [Owned::Int(i64::from(state))]);
        }
        if let Some(job) = &filter.job {
            filters.bind("e.job = ?", [Owned::Text(job.clone())]);
        }
        let clause = filters.clause();
        let names = dialect.join_with_spaces("name");
        // The names a reader shows are chosen here, so each row allocates only what it prints.
        let columns = format!(
            "c.sha256,
                       CASE c.common_name WHEN '' THEN c.subject ELSE c.common_name END,
                       CASE c.issuer_common_name WHEN '' THEN c.issuer
                            ELSE c.issuer_common_name END,
                       c.serial, c.not_before, c.not_after, c.key_type || ' ' || c.key_bits,
                       c.signature,
                       (SELECT {names} FROM certificate_name n
                        WHERE n.certificate_id = c.id)"
        );
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
        sql::rows(self.db(), &sql, &filters.params(), |row| {
            let endpoints: i64 = row.get(9)?;
            let worst: Option<u8> = row.get(10)?;
            Ok(CertificateRow {
                sha256: colon_hex(&row.get::<Vec<u8>>(0)?),
                subject: row.get(1)?,
                issuer: row.get(2)?,
                serial: row.get(3)?,
                not_before: row.get(4)?,
                not_after: row.get(5)?,
                key: row.get(6)?,
                signature: row.get(7)?,
                names: row
                    .text_ref(8)?
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
        .map_err(|e| classify(&self.path(), "listing certificates", &e))
    }

    pub(crate) fn query_deployments(
        &self,
        needle: &str,
        ended_too: bool,
    ) -> Result<Vec<DeploymentRow>, InventoryError> {
        let fail = |e: DbError| classify(&self.path(), "finding deployments", &e);
        let certificates = self.certificates_matching(needle)?;
        let mut out = Vec::new();
        for certificate in certificates {
            let rows = sql::rows(
                self.db(),
                "SELECT c.sha256, c.common_name, c.subject, l.position,
                        e.zone, e.address, e.port, e.sni, e.protocol, e.job,
                        d.first_seen, d.last_seen, d.scans, d.ended_at, e.state
                 FROM chain_link l
                 JOIN certificate c ON c.id = l.certificate_id
                 JOIN deployment d ON d.chain_id = l.chain_id
                 JOIN endpoint e ON e.id = d.endpoint_id
                 WHERE l.certificate_id = ?1 AND (?2 <> 0 OR d.ended_at IS NULL)
                 ORDER BY e.address, e.port, e.sni, d.id",
                params![certificate, ended_too],
                |row| {
                    let sha: Vec<u8> = row.get(0)?;
                    Ok(DeploymentRow {
                        sha256: colon_hex(&sha),
                        subject: name_or(row.get(1)?, row.get(2)?),
                        position: row.get(3)?,
                        endpoint: endpoint_key(row, 4)?.label(),
                        job: row.get(9)?,
                        first_seen: row.get(10)?,
                        last_seen: row.get(11)?,
                        scans: row.get(12)?,
                        ended_at: row.get(13)?,
                        state: state_name(row.get(14)?).to_string(),
                    })
                },
            )
            .map_err(fail)?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Certificate ids by fingerprint prefix (8+ hex digits, colons allowed) or by a name
    /// they cover (exactly, or through a wildcard).
    fn certificates_matching(&self, needle: &str) -> Result<Vec<i64>, InventoryError> {
        let collect = |statement: &str, values: &[Param<'_>]| {
            sql::rows(self.db(), statement, values, |row| row.get::<i64>(0))
                .map_err(|e| classify(&self.path(), "finding certificates", &e))
        };
        if let Some((low, high)) = fingerprint_range(needle) {
            return collect(
                "SELECT id FROM certificate WHERE sha256 BETWEEN ?1 AND ?2 ORDER BY id",
                params![low, high],
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
            params![name, wildcard],
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
        let rows = self.endpoint_rows(filter, "reading endpoints")?;
        let mut chain_ids: Vec<i64> = rows.iter().filter_map(|(_, s)| s.chain_id).collect();
        chain_ids.sort_unstable();
        chain_ids.dedup();
        let chains = self
            .chains(&chain_ids)
            .map_err(|e| classify(&self.path(), "reading endpoints", &e))?;
        Ok(rows
            .into_iter()
            .map(|(row, served)| EndpointDetail {
                row,
                chain: served
                    .chain_id
                    .and_then(|id| chains.get(&id).cloned())
                    .unwrap_or_default(),
                tls_version: served.tls_version,
                error_kind: served.error_kind,
            })
            .collect())
    }

    /// The certificates (DER, leaf first) of each chain in `ids`, read a few hundred chains
    /// a statement (not one statement per endpoint: each is a round trip to PostgreSQL).
    fn chains(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Vec<u8>>>, DbError> {
        let mut chains: HashMap<i64, Vec<Vec<u8>>> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(CHAINS_PER_STATEMENT) {
            let statement = format!(
                "SELECT l.chain_id, c.der FROM chain_link l
                 JOIN certificate c ON c.id = l.certificate_id
                 WHERE l.chain_id IN ({}) ORDER BY l.chain_id, l.position",
                sql::marks(chunk.len(), 1)
            );
            let values: Vec<Param<'_>> = chunk.iter().map(|id| Param::Int(*id)).collect();
            self.db().query(&statement, &values, &mut |row| {
                chains
                    .entry(row.get::<i64>(0)?)
                    .or_default()
                    .push(row.get::<Vec<u8>>(1)?);
                Ok(())
            })?;
        }
        Ok(chains)
    }

    /// The endpoints by filter, each with what its latest scan served.
    fn endpoint_rows(
        &self,
        filter: &EndpointFilter,
        doing: &'static str,
    ) -> Result<Vec<(EndpointRow, Served)>, InventoryError> {
        let mut filters = Where::default();
        if let Some(address) = &filter.address {
            filters.bind("e.address = ?", [Owned::Text(address.clone())]);
        }
        if let Some(sni) = &filter.sni {
            filters.bind("e.sni = ?", [Owned::Text(sni.to_lowercase())]);
        }
        if let Some(port) = filter.port {
            filters.bind("e.port = ?", [Owned::Int(i64::from(port))]);
        }
        if let Some(state) = filter.state {
            filters.bind("e.state = ?", [Owned::Int(i64::from(state))]);
        }
        match filter.source {
            Some(Source::Network) => filters.bind(
                "e.protocol NOT IN (?, ?)",
                [
                    Owned::Text(Source::FILE_PROTOCOL.to_string()),
                    Owned::Text(Source::STORE_PROTOCOL.to_string()),
                ],
            ),
            Some(Source::File) => filters.bind(
                "e.protocol IN (?, ?)",
                [
                    Owned::Text(Source::FILE_PROTOCOL.to_string()),
                    Owned::Text(Source::STORE_PROTOCOL.to_string()),
                ],
            ),
            None => {}
        }
        if let Some(host) = &filter.host {
            filters.bind("lower(e.address) = lower(?)", [Owned::Text(host.clone())]);
        }
        if let Some(job) = &filter.job {
            filters.bind("e.job = ?", [Owned::Text(job.clone())]);
        }
        if let Some((net, prefix)) = filter.range {
            let (low, high) = crate::net::range_keys(net, prefix);
            filters.bind(
                "e.address_key BETWEEN ? AND ?",
                [Owned::Blob(low.to_vec()), Owned::Blob(high.to_vec())],
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
        let rows = sql::rows(self.db(), &sql, &filters.params(), |row| {
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
        .map_err(|e| classify(&self.path(), doing, &e))?;
        let mut out = Vec::new();
        for (mut row, served, findings) in rows {
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
        sql::rows(
            self.db(),
            &format!("{EVENTS} WHERE v.at >= ?1 ORDER BY v.at DESC, v.id DESC LIMIT ?2"),
            params![since, limit],
            event_row,
        )
        .map_err(|e| classify(&self.path(), "reading the history", &e))
    }

    pub(crate) fn query_leaf_spans(&self) -> Result<Vec<LeafSpan>, InventoryError> {
        sql::rows(
            self.db(),
            "SELECT d.leaf_id, d.first_seen, d.last_seen, d.ended_at, c.not_after
             FROM deployment d JOIN certificate c ON c.id = d.leaf_id",
            params![],
            |row| {
                Ok(LeafSpan {
                    certificate_id: row.get(0)?,
                    first_seen: row.get(1)?,
                    last_seen: row.get(2)?,
                    ended_at: row.get(3)?,
                    not_after: row.get(4)?,
                })
            },
        )
        .map_err(|e| classify(&self.path(), "reading the deployments", &e))
    }

    pub(crate) fn query_history(&self, of: &HistoryOf) -> Result<Vec<EventRow>, InventoryError> {
        let fail = |e: DbError| classify(&self.path(), "reading the history", &e);
        match of {
            HistoryOf::Endpoint {
                address,
                port,
                protocol,
                sni,
            } => sql::rows(
                self.db(),
                &format!(
                    "{EVENTS} WHERE e.address = ?1 AND e.port = ?2
                     AND (CAST(?3 AS TEXT) IS NULL OR e.protocol = ?3)
                     AND (CAST(?4 AS TEXT) IS NULL OR e.sni = ?4)
                     ORDER BY v.id"
                ),
                params![address, port, protocol, sni],
                event_row,
            )
            .map_err(fail),
            HistoryOf::Certificate(needle) => {
                let ids = self.certificates_matching(needle)?;
                let statement = format!(
                    "{EVENTS} WHERE v.certificate_id = ?1 OR v.previous_certificate_id = ?1
                     ORDER BY v.id"
                );
                let mut out = Vec::new();
                for id in ids {
                    out.extend(
                        sql::rows(self.db(), &statement, params![id], event_row).map_err(fail)?,
                    );
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
        sql::rows(
            self.db(),
            "SELECT id, job, zone, host, started, ended, status, planned,
                    checked, served, failed, silent
             FROM scan_run WHERE (CAST(?1 AS TEXT) IS NULL OR job = ?1)
             ORDER BY id DESC LIMIT ?2",
            params![job, limit],
            |row| {
                Ok(RunRow {
                    id: row.get(0)?,
                    job: row.get(1)?,
                    zone: row.get(2)?,
                    host: row.get(3)?,
                    started: row.get(4)?,
                    ended: row.get(5)?,
                    status: row.get(6)?,
                    planned: row.get(7)?,
                    counts: RunCounts {
                        checked: row.get(8)?,
                        served: row.get(9)?,
                        failed: row.get(10)?,
                        silent: row.get(11)?,
                    },
                })
            },
        )
        .map_err(|e| classify(&self.path(), "listing runs", &e))
    }
}

/// The history queries' columns, read by [`event_row`].
const EVENTS: &str = "SELECT v.at, v.run_id, e.zone, e.address, e.port, e.sni, e.protocol,
                             v.kind, c.sha256, p.sha256, v.old_state, v.new_state, v.detail
                      FROM event v
                      JOIN endpoint e ON e.id = v.endpoint_id
                      LEFT JOIN certificate c ON c.id = v.certificate_id
                      LEFT JOIN certificate p ON p.id = v.previous_certificate_id";

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
    values: Vec<Owned>,
}

impl Where {
    /// A condition without values.
    fn add(&mut self, condition: &str) {
        self.conditions.push(condition.to_string());
    }

    /// A condition whose `?`s take `values`, in order.
    fn bind<const N: usize>(&mut self, condition: &str, values: [Owned; N]) {
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

    /// The values to bind.
    fn params(&self) -> Vec<Param<'_>> {
        self.values.iter().map(ToParam::to_param).collect()
    }
}

/// An event from the columns of the history queries.
fn event_row(row: &Row<'_>) -> Result<EventRow, DbError> {
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
pub(super) fn endpoint_key(row: &Row<'_>, first: usize) -> Result<EndpointKey, DbError> {
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
