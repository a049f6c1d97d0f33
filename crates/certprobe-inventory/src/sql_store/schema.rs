//! The schema as an ordered list of migrations for each database; the version says how many
//! have run (SQLite: `PRAGMA user_version`; PostgreSQL: the table `certprobe_schema`). Each
//! runs in its own transaction, so a crash leaves the schema at a version.
//!
//! Both lists have the same length, so a version means the same tables on both: PostgreSQL
//! came with version 7, and its first migration makes all of it.

use super::{classify, SqlStore};
use crate::error::InventoryError;
use crate::sql::{self, params, Connection, Dialect};

/// Fills `certificate_use` from the open deployments and the endpoints serving them (it must
/// be empty). Migration 3's text, and cleanup's recount: never edit it, as no shipped
/// migration is edited.
macro_rules! count_use {
    () => {
        "
    INSERT INTO certificate_use (certificate_id, endpoints, ok, warning, critical, unknown)
        SELECT d.leaf_id, count(*), sum(e.state = 0), sum(e.state = 1), sum(e.state = 2),
               sum(e.state = 3)
        FROM deployment d JOIN endpoint e ON e.deployment_id = d.id
        WHERE d.ended_at IS NULL
        GROUP BY d.leaf_id;"
    };
}

/// Counts every certificate's use again, in SQL both databases speak (`count_use!` adds
/// booleans, which PostgreSQL does not).
pub(super) const RECOUNT_USE: &str = "
    DELETE FROM certificate_use;
    INSERT INTO certificate_use (certificate_id, endpoints, ok, warning, critical, unknown)
        SELECT d.leaf_id, count(*),
               sum(CASE WHEN e.state = 0 THEN 1 ELSE 0 END),
               sum(CASE WHEN e.state = 1 THEN 1 ELSE 0 END),
               sum(CASE WHEN e.state = 2 THEN 1 ELSE 0 END),
               sum(CASE WHEN e.state = 3 THEN 1 ELSE 0 END)
        FROM deployment d JOIN endpoint e ON e.deployment_id = d.id
        WHERE d.ended_at IS NULL
        GROUP BY d.leaf_id;";

/// The SQLite migrations, oldest first. Never edit one that has shipped: add the next.
pub const MIGRATIONS: &[&str] = &[
    // 1: certificates, chains, endpoints, deployments, events, runs.
    "
    CREATE TABLE certificate (
        id INTEGER PRIMARY KEY,
        sha256 BLOB NOT NULL UNIQUE,
        der BLOB NOT NULL,
        subject TEXT NOT NULL,
        issuer TEXT NOT NULL,
        common_name TEXT NOT NULL,
        issuer_common_name TEXT NOT NULL,
        serial TEXT NOT NULL,
        not_before INTEGER NOT NULL,
        not_after INTEGER NOT NULL,
        key_type TEXT NOT NULL,
        key_bits INTEGER NOT NULL,
        signature TEXT NOT NULL,
        self_signed INTEGER NOT NULL,
        is_ca INTEGER NOT NULL,
        first_seen INTEGER NOT NULL
    );
    CREATE INDEX certificate_not_after ON certificate(not_after);
    CREATE TABLE certificate_name (
        certificate_id INTEGER NOT NULL REFERENCES certificate(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        PRIMARY KEY (certificate_id, name)
    ) WITHOUT ROWID;
    CREATE INDEX certificate_name_name ON certificate_name(name);
    CREATE TABLE chain (
        id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        length INTEGER NOT NULL
    );
    CREATE TABLE chain_link (
        chain_id INTEGER NOT NULL REFERENCES chain(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        certificate_id INTEGER NOT NULL REFERENCES certificate(id),
        PRIMARY KEY (chain_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX chain_link_certificate ON chain_link(certificate_id);
    CREATE TABLE scan_run (
        id INTEGER PRIMARY KEY,
        job TEXT NOT NULL,
        zone TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started INTEGER NOT NULL,
        ended INTEGER,
        status TEXT NOT NULL,
        planned INTEGER NOT NULL,
        checked INTEGER NOT NULL DEFAULT 0,
        served INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        silent INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX scan_run_job ON scan_run(job, id);
    CREATE TABLE endpoint (
        id INTEGER PRIMARY KEY,
        zone TEXT NOT NULL,
        address TEXT NOT NULL,
        port INTEGER NOT NULL,
        sni TEXT NOT NULL,
        protocol TEXT NOT NULL,
        job TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_scan INTEGER NOT NULL,
        last_run_id INTEGER NOT NULL REFERENCES scan_run(id),
        state INTEGER NOT NULL,
        summary TEXT NOT NULL,
        findings TEXT NOT NULL,
        error_kind TEXT,
        tls_version TEXT NOT NULL DEFAULT '',
        deployment_id INTEGER,
        address_key BLOB NOT NULL,
        UNIQUE (zone, address, port, sni, protocol)
    );
    CREATE INDEX endpoint_address ON endpoint(address, port);
    CREATE INDEX endpoint_address_key ON endpoint(address_key);
    CREATE INDEX endpoint_deployment ON endpoint(deployment_id);
    CREATE INDEX endpoint_state ON endpoint(state);
    CREATE INDEX endpoint_sni ON endpoint(sni);
    CREATE INDEX endpoint_job ON endpoint(job, last_run_id);
    CREATE TABLE deployment (
        id INTEGER PRIMARY KEY,
        endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
        chain_id INTEGER NOT NULL REFERENCES chain(id),
        leaf_id INTEGER NOT NULL REFERENCES certificate(id),
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        scans INTEGER NOT NULL,
        ended_at INTEGER
    );
    CREATE INDEX deployment_endpoint ON deployment(endpoint_id, id);
    CREATE INDEX deployment_leaf ON deployment(leaf_id);
    CREATE INDEX deployment_chain ON deployment(chain_id);
    CREATE TABLE event (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        run_id INTEGER NOT NULL REFERENCES scan_run(id),
        endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        certificate_id INTEGER REFERENCES certificate(id),
        previous_certificate_id INTEGER REFERENCES certificate(id),
        old_state INTEGER,
        new_state INTEGER,
        detail TEXT NOT NULL
    );
    CREATE INDEX event_endpoint ON event(endpoint_id, id);
    CREATE INDEX event_certificate ON event(certificate_id);
    ",
    // 2: covering indexes for listing certificates: a leaf's open deployments and the
    // states of the endpoints serving them are read from the indexes, not from the rows
    // (an endpoint row carries its findings). Same leading columns as the ones replaced.
    "
    CREATE INDEX deployment_leaf_open ON deployment(leaf_id, ended_at);
    DROP INDEX deployment_leaf;
    CREATE INDEX endpoint_deployment_state ON endpoint(deployment_id, state);
    DROP INDEX endpoint_deployment;
    ",
    // 3: for each deployed certificate, how many endpoints serve it as the leaf now, by
    // state (sqlite/usage.rs keeps it), so listing certificates reads one row per certificate
    // instead of grouping its deployments and endpoints. Derived data: no foreign key, as
    // cleanup counts it again after deleting.
    concat!(
        "
    CREATE TABLE certificate_use (
        certificate_id INTEGER PRIMARY KEY,
        endpoints INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        warning INTEGER NOT NULL,
        critical INTEGER NOT NULL,
        unknown INTEGER NOT NULL
    );",
        count_use!()
    ),
    // 4: what a run does (`scan` or `audit`), so the latest audit of each host can be found.
    "
    ALTER TABLE scan_run ADD COLUMN kind TEXT NOT NULL DEFAULT 'scan';
    CREATE INDEX scan_run_kind_host ON scan_run(kind, host, id);
    ",
    // 5: the exported audit a run imported, so that importing a file again changes nothing.
    "
    ALTER TABLE scan_run ADD COLUMN import_id TEXT;
    CREATE INDEX scan_run_import ON scan_run(import_id) WHERE import_id IS NOT NULL;
    ",
    // 6: notifications. `alarm` is what each owner was last told about a certificate at an
    // endpoint (rows only for what was told); `notification` is the outbox and the log: a
    // message is written with the alarm changes that cause it, in one transaction, and marked
    // sent once the receiver took it. Its payload is self-contained JSON, so the log outlives
    // cleanup.
    "
    CREATE TABLE alarm (
        endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
        certificate_id INTEGER NOT NULL REFERENCES certificate(id) ON DELETE CASCADE,
        owner TEXT NOT NULL,
        tier TEXT NOT NULL,
        alarms TEXT NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY (endpoint_id, certificate_id, owner)
    ) WITHOUT ROWID;
    CREATE INDEX alarm_certificate ON alarm(certificate_id);
    CREATE TABLE notification (
        id INTEGER PRIMARY KEY,
        created INTEGER NOT NULL,
        owner TEXT NOT NULL,
        channel TEXT NOT NULL,
        destination TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt INTEGER NOT NULL,
        sent_at INTEGER,
        last_error TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX notification_pending ON notification(next_attempt) WHERE status = 'pending';
    CREATE INDEX notification_created ON notification(created);
    ",
    // 7: the events of a period (reports: since yesterday, the last 7 days).
    "
    CREATE INDEX event_at ON event(at);
    ",
    // 8: work units. A run shared by several scanners (`scan --share`) is cut into units
    // (address blocks) that each scanner claims for a lease; a unit's sightings and its
    // `done_at` are written in one transaction, so a unit is stored once or not at all.
    "
    ALTER TABLE scan_run ADD COLUMN units INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE work_unit (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES scan_run(id) ON DELETE CASCADE,
        spec TEXT NOT NULL,
        owner TEXT,
        lease_until INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        done_at INTEGER,
        done_by TEXT
    );
    CREATE INDEX work_unit_open ON work_unit(run_id, done_at, id);
    ",
];

/// The PostgreSQL migrations, as long as [`MIGRATIONS`]: the first makes the tables of
/// SQLite's version 7 (integers 64-bit, booleans 0 and 1 as in SQLite, text compared byte by
/// byte as SQLite does); the next six have nothing left to do; from the eighth on each is
/// SQLite's in PostgreSQL's words.
pub const POSTGRES_MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE certprobe_schema (version BIGINT NOT NULL);
    CREATE TABLE certificate (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        sha256 BYTEA NOT NULL UNIQUE,
        der BYTEA NOT NULL,
        subject TEXT COLLATE "C" NOT NULL,
        issuer TEXT COLLATE "C" NOT NULL,
        common_name TEXT COLLATE "C" NOT NULL,
        issuer_common_name TEXT COLLATE "C" NOT NULL,
        serial TEXT COLLATE "C" NOT NULL,
        not_before BIGINT NOT NULL,
        not_after BIGINT NOT NULL,
        key_type TEXT COLLATE "C" NOT NULL,
        key_bits BIGINT NOT NULL,
        signature TEXT COLLATE "C" NOT NULL,
        self_signed BIGINT NOT NULL,
        is_ca BIGINT NOT NULL,
        first_seen BIGINT NOT NULL
    );
    CREATE INDEX certificate_not_after ON certificate(not_after);
    CREATE TABLE certificate_name (
        certificate_id BIGINT NOT NULL REFERENCES certificate(id) ON DELETE CASCADE,
        name TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (certificate_id, name)
    );
    CREATE INDEX certificate_name_name ON certificate_name(name);
    CREATE TABLE chain (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        hash BYTEA NOT NULL UNIQUE,
        length BIGINT NOT NULL
    );
    CREATE TABLE chain_link (
        chain_id BIGINT NOT NULL REFERENCES chain(id) ON DELETE CASCADE,
        position BIGINT NOT NULL,
        certificate_id BIGINT NOT NULL REFERENCES certificate(id),
        PRIMARY KEY (chain_id, position)
    );
    CREATE INDEX chain_link_certificate ON chain_link(certificate_id);
    CREATE TABLE scan_run (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        job TEXT COLLATE "C" NOT NULL,
        zone TEXT COLLATE "C" NOT NULL,
        host TEXT COLLATE "C" NOT NULL,
        pid BIGINT NOT NULL,
        started BIGINT NOT NULL,
        ended BIGINT,
        status TEXT COLLATE "C" NOT NULL,
        planned BIGINT NOT NULL,
        checked BIGINT NOT NULL DEFAULT 0,
        served BIGINT NOT NULL DEFAULT 0,
        failed BIGINT NOT NULL DEFAULT 0,
        silent BIGINT NOT NULL DEFAULT 0,
        kind TEXT COLLATE "C" NOT NULL DEFAULT 'scan',
        import_id TEXT COLLATE "C"
    );
    CREATE INDEX scan_run_job ON scan_run(job, id);
    CREATE INDEX scan_run_kind_host ON scan_run(kind, host, id);
    CREATE INDEX scan_run_import ON scan_run(import_id) WHERE import_id IS NOT NULL;
    CREATE TABLE endpoint (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        zone TEXT COLLATE "C" NOT NULL,
        address TEXT COLLATE "C" NOT NULL,
        port BIGINT NOT NULL,
        sni TEXT COLLATE "C" NOT NULL,
        protocol TEXT COLLATE "C" NOT NULL,
        job TEXT COLLATE "C" NOT NULL,
        first_seen BIGINT NOT NULL,
        last_scan BIGINT NOT NULL,
        last_run_id BIGINT NOT NULL REFERENCES scan_run(id),
        state BIGINT NOT NULL,
        summary TEXT COLLATE "C" NOT NULL,
        findings TEXT COLLATE "C" NOT NULL,
        error_kind TEXT COLLATE "C",
        tls_version TEXT COLLATE "C" NOT NULL DEFAULT '',
        deployment_id BIGINT,
        address_key BYTEA NOT NULL,
        UNIQUE (zone, address, port, sni, protocol)
    );
    CREATE INDEX endpoint_address ON endpoint(address, port);
    CREATE INDEX endpoint_address_key ON endpoint(address_key);
    CREATE INDEX endpoint_deployment_state ON endpoint(deployment_id, state);
    CREATE INDEX endpoint_state ON endpoint(state);
    CREATE INDEX endpoint_sni ON endpoint(sni);
    CREATE INDEX endpoint_job ON endpoint(job, last_run_id);
    CREATE TABLE deployment (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        endpoint_id BIGINT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
        chain_id BIGINT NOT NULL REFERENCES chain(id),
        leaf_id BIGINT NOT NULL REFERENCES certificate(id),
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        scans BIGINT NOT NULL,
        ended_at BIGINT
    );
    CREATE INDEX deployment_endpoint ON deployment(endpoint_id, id);
    CREATE INDEX deployment_leaf_open ON deployment(leaf_id, ended_at);
    CREATE INDEX deployment_chain ON deployment(chain_id);
    CREATE TABLE event (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        run_id BIGINT NOT NULL REFERENCES scan_run(id),
        endpoint_id BIGINT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
        kind TEXT COLLATE "C" NOT NULL,
        certificate_id BIGINT REFERENCES certificate(id),
        previous_certificate_id BIGINT REFERENCES certificate(id),
        old_state BIGINT,
        new_state BIGINT,
        detail TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX event_endpoint ON event(endpoint_id, id);
    CREATE INDEX event_certificate ON event(certificate_id);
    CREATE INDEX event_at ON event(at);
    CREATE TABLE certificate_use (
        certificate_id BIGINT PRIMARY KEY,
        endpoints BIGINT NOT NULL,
        ok BIGINT NOT NULL,
        warning BIGINT NOT NULL,
        critical BIGINT NOT NULL,
        unknown BIGINT NOT NULL
    );
    CREATE TABLE alarm (
        endpoint_id BIGINT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
        certificate_id BIGINT NOT NULL REFERENCES certificate(id) ON DELETE CASCADE,
        owner TEXT COLLATE "C" NOT NULL,
        tier TEXT COLLATE "C" NOT NULL,
        alarms TEXT COLLATE "C" NOT NULL,
        since BIGINT NOT NULL,
        PRIMARY KEY (endpoint_id, certificate_id, owner)
    );
    CREATE INDEX alarm_certificate ON alarm(certificate_id);
    CREATE TABLE notification (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        created BIGINT NOT NULL,
        owner TEXT COLLATE "C" NOT NULL,
        channel TEXT COLLATE "C" NOT NULL,
        destination TEXT COLLATE "C" NOT NULL,
        payload TEXT COLLATE "C" NOT NULL,
        status TEXT COLLATE "C" NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt BIGINT NOT NULL,
        sent_at BIGINT,
        last_error TEXT COLLATE "C" NOT NULL DEFAULT ''
    );
    CREATE INDEX notification_pending ON notification(next_attempt) WHERE status = 'pending';
    CREATE INDEX notification_created ON notification(created);
    "#,
    "",
    "",
    "",
    "",
    "",
    "",
    r#"
    ALTER TABLE scan_run ADD COLUMN units BIGINT NOT NULL DEFAULT 0;
    CREATE TABLE work_unit (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        run_id BIGINT NOT NULL REFERENCES scan_run(id) ON DELETE CASCADE,
        spec TEXT COLLATE "C" NOT NULL,
        owner TEXT COLLATE "C",
        lease_until BIGINT,
        attempts BIGINT NOT NULL DEFAULT 0,
        done_at BIGINT,
        done_by TEXT COLLATE "C"
    );
    CREATE INDEX work_unit_open ON work_unit(run_id, done_at, id);
    "#,
];

/// The migrations of `dialect`.
fn migrations(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Sqlite => MIGRATIONS,
        Dialect::Postgres => POSTGRES_MIGRATIONS,
    }
}

impl<C: Connection> SqlStore<C> {
    /// How many migrations have run; 0 for an empty database (or another application's).
    /// (Outside a transaction: on PostgreSQL the version is asked for at once, one round
    /// trip, a missing table being version 0.)
    pub(crate) fn schema_version(&self) -> Result<i64, InventoryError> {
        let fail = |e| classify(&self.path(), "reading its schema version", &e);
        if self.db().dialect() == Dialect::Postgres {
            return match sql::first(self.db(), POSTGRES_VERSION, params![], |row| {
                row.get::<Option<i64>>(0)
            }) {
                Ok(version) => Ok(version.flatten().unwrap_or(0)),
                Err(e) if e.failure == sql::Failure::NoSuchTable => Ok(0),
                Err(e) => Err(fail(e)),
            };
        }
        read_version(self.db()).map_err(fail)
    }

    /// Runs the migrations the database lacks, each in its own transaction; refuses a
    /// database made by a newer certprobe, or one holding another application's tables.
    pub(crate) fn migrate(&mut self) -> Result<(), InventoryError> {
        let shown = self.path();
        let db = self.db();
        let all = migrations(db.dialect());
        let known = all.len() as i64;
        let fail = |e| classify(&shown, "migrating its schema", &e);
        loop {
            let step = sql::transaction(db, || {
                if db.dialect() == Dialect::Postgres {
                    // Scanners started together migrate one after the other.
                    db.execute("SELECT pg_advisory_xact_lock(7368066826040557)", params![])?;
                }
                let version = read_version(db)?;
                if version >= known {
                    return Ok(Err(version));
                }
                if version == 0 && has_tables(db)? {
                    return Ok(Ok(None));
                }
                db.batch(all[version as usize])?;
                write_version(db, version + 1)?;
                Ok(Ok(Some(version + 1)))
            })
            .map_err(fail)?;
            match step {
                Ok(Some(_)) => continue,
                Ok(None) => return Err(InventoryError::NotAnInventory { path: shown }),
                Err(version) if version > known => {
                    return Err(InventoryError::TooNew {
                        path: shown,
                        found: version,
                        known,
                    })
                }
                Err(_) => break,
            }
        }
        self.version = known;
        Ok(())
    }
}

/// PostgreSQL's schema version.
const POSTGRES_VERSION: &str = "SELECT max(version) FROM certprobe_schema";

/// The schema version of the database (in a transaction: nothing fails).
fn read_version(db: &dyn Connection) -> Result<i64, sql::DbError> {
    match db.dialect() {
        Dialect::Sqlite => {
            Ok(sql::first(db, "PRAGMA user_version", params![], |row| row.get(0))?.unwrap_or(0))
        }
        Dialect::Postgres => {
            // The catalogue, not information_schema: its views take longer to plan than
            // the rest of a point query takes to run.
            let present: Option<String> = sql::first(
                db,
                "SELECT CAST(to_regclass('certprobe_schema') AS TEXT)",
                params![],
                |row| row.get(0),
            )?
            .flatten();
            if present.is_none() {
                return Ok(0);
            }
            Ok(sql::first(db, POSTGRES_VERSION, params![], |row| {
                row.get::<Option<i64>>(0)
            })?
            .flatten()
            .unwrap_or(0))
        }
    }
}

fn write_version(db: &dyn Connection, version: i64) -> Result<(), sql::DbError> {
    match db.dialect() {
        Dialect::Sqlite => db.batch(&format!("PRAGMA user_version = {version}")),
        Dialect::Postgres => {
            db.execute("DELETE FROM certprobe_schema", params![])?;
            db.execute(
                "INSERT INTO certprobe_schema (version) VALUES (?1)",
                params![version],
            )?;
            Ok(())
        }
    }
}

/// A version-0 database with tables is some other application's.
fn has_tables(db: &dyn Connection) -> Result<bool, sql::DbError> {
    let sql = match db.dialect() {
        Dialect::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        Dialect::Postgres => {
            "SELECT count(*) FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm')"
        }
    };
    Ok(sql::first(db, sql, params![], |row| row.get::<i64>(0))?.unwrap_or(0) > 0)
}
