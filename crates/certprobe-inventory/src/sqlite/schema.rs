//! The SQLite schema as an ordered list of migrations; `PRAGMA user_version` says how many
//! have run. Each runs in its own transaction, so a crash leaves the schema at a version.

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

/// The migrations, oldest first. Never edit one that has shipped: add the next.
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
];
