-- The registration ledger in its own file, ledger.db beside state.db (rsspot::state::ledger).
-- Same tables as state.db's former 20261127000100_registration.sql: records move over unchanged.
-- Timestamps are UTC RFC 3339 text with a fixed width ("2025-01-02T03:04:05.000006Z"), so text
-- comparison is time comparison (lease expiry is checked in SQL).
CREATE TABLE IF NOT EXISTS registration_ledger (
    registration_key  TEXT PRIMARY KEY NOT NULL,
    vm_uid            TEXT NOT NULL,
    vm_name           TEXT,
    org_id            TEXT,
    vmcloudspace      TEXT,
    vmpool            TEXT,
    omni_cluster      TEXT,
    status            TEXT NOT NULL CHECK (status IN ('discovered', 'token_issued', 'submitted',
                                                      'registered', 'failed', 'skipped', 'gone')),
    token_id          TEXT,
    token_expires_at  TEXT,
    last_error        TEXT,
    payload_json      TEXT NOT NULL DEFAULT '{}',
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    first_seen        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    status_times_json TEXT NOT NULL DEFAULT '{}',
    lease_owner       TEXT,
    lease_expires_at  TEXT
);
CREATE INDEX IF NOT EXISTS idx_registration_ledger_status ON registration_ledger (status);
CREATE INDEX IF NOT EXISTS idx_registration_ledger_vm_uid ON registration_ledger (vm_uid);
CREATE INDEX IF NOT EXISTS idx_registration_ledger_updated_at ON registration_ledger (updated_at);

-- Append-only: rows are never updated or deleted.
CREATE TABLE IF NOT EXISTS registration_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_key TEXT NOT NULL REFERENCES registration_ledger (registration_key),
    at               TEXT NOT NULL,
    actor            TEXT NOT NULL,
    from_status      TEXT,
    to_status        TEXT NOT NULL,
    note             TEXT
);
CREATE INDEX IF NOT EXISTS idx_registration_events_key ON registration_events (registration_key, id);
