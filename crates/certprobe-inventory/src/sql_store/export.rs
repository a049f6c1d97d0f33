//! The exports' read: every endpoint that ever served a certificate, with its latest scan
//! and the leaf it serves now, in one statement.

use super::{classify, SqlStore};
use crate::error::InventoryError;
use crate::model::{EndpointKey, StoredFinding};
use crate::query::{ExportCertificate, ExportRow};
use crate::sql::{self, params, Connection};
use std::net::IpAddr;

impl<C: Connection> SqlStore<C> {
    pub(crate) fn query_export(&self, job: Option<&str>) -> Result<Vec<ExportRow>, InventoryError> {
        let rows = sql::rows(
            self.db(),
            "SELECT e.zone, e.address, e.port, e.sni, e.protocol, e.job, e.state, e.summary,
                        e.last_scan, e.findings, e.tls_version,
                        e.last_run_id < coalesce((SELECT max(r.id) FROM scan_run r
                            WHERE r.job = e.job AND r.zone = e.zone AND r.status = 'done'
                              AND (e.protocol NOT IN ('file', 'winstore') OR r.host = e.address)), 0),
                        c.sha256, c.der, c.subject, c.issuer, c.common_name,
                        c.issuer_common_name, c.serial, c.not_before, c.not_after, c.self_signed,
                        (SELECT min(k.not_after) FROM chain_link l
                         JOIN certificate k ON k.id = l.certificate_id
                         WHERE l.chain_id = d.chain_id)
                 FROM endpoint e
                 LEFT JOIN deployment d ON d.id = e.deployment_id
                 LEFT JOIN certificate c ON c.id = d.leaf_id
                 WHERE (CAST(?1 AS TEXT) IS NULL OR e.job = ?1)
                   AND EXISTS (SELECT 1 FROM deployment x WHERE x.endpoint_id = e.id)",
            params![job],
            |row| {
                let findings: String = row.get(9)?;
                let sha256: Option<Vec<u8>> = row.get(12)?;
                let leaf = match sha256 {
                    None => None,
                    Some(sha256) => Some(ExportCertificate {
                        sha256,
                        der: row.get(13)?,
                        subject: row.get(14)?,
                        issuer: row.get(15)?,
                        common_name: row.get(16)?,
                        issuer_common_name: row.get(17)?,
                        serial: row.get(18)?,
                        not_before: row.get(19)?,
                        not_after: row.get(20)?,
                        self_signed: row.get(21)?,
                    }),
                };
                Ok(ExportRow {
                    endpoint: EndpointKey {
                        zone: row.get(0)?,
                        address: row.get(1)?,
                        port: row.get(2)?,
                        sni: row.get(3)?,
                        protocol: row.get(4)?,
                    },
                    job: row.get(5)?,
                    state: row.get(6)?,
                    summary: row.get(7)?,
                    last_scan: row.get(8)?,
                    findings: serde_json::from_str::<Vec<StoredFinding>>(&findings)
                        .unwrap_or_default(),
                    tls_version: row.get(10)?,
                    stale: row.get(11)?,
                    chain_not_after: if leaf.is_some() { row.get(22)? } else { None },
                    leaf,
                })
            },
        );
        let mut out =
            rows.map_err(|e| classify(&self.path(), "reading the endpoints to export", &e))?;
        // Addresses in numeric order (127.0.0.2 before 127.0.0.10), v4 before v6.
        out.sort_by(|a, b| {
            let order = |r: &ExportRow| {
                (
                    r.endpoint.address.parse::<IpAddr>().ok(),
                    r.endpoint.port,
                    r.endpoint.sni.clone(),
                    r.endpoint.protocol.clone(),
                    r.endpoint.zone.clone(),
                )
            };
            order(a).cmp(&order(b))
        });
        Ok(out)
    }
}
