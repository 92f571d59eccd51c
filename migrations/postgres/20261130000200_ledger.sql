-- The registration ledger on a shared PostgreSQL database (rsspot::state::ledger, `ledger_url`).
-- Same records as the embedded ledger (migrations/ledger/), with native types: times are
-- timestamptz (microseconds, like the embedded file's fixed-width text), so lease expiry is
-- compared with the database clock (`now()`), never with one host's.
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
    token_expires_at  TIMESTAMPTZ,
    last_error        TEXT,
    payload_json      TEXT NOT NULL DEFAULT '{}',
    attempts          BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    first_seen        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    status_times_json TEXT NOT NULL DEFAULT '{}',
    lease_owner       TEXT,
    lease_expires_at  TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_registration_ledger_status ON registration_ledger (status);
CREATE INDEX IF NOT EXISTS idx_registration_ledger_vm_uid ON registration_ledger (vm_uid);
CREATE INDEX IF NOT EXISTS idx_registration_ledger_updated_at ON registration_ledger (updated_at);
-- What `claim` scans: actionable records in hand-out order.
CREATE INDEX IF NOT EXISTS idx_registration_ledger_claim
    ON registration_ledger (attempts, first_seen, registration_key)
    WHERE status IN ('discovered', 'token_issued', 'submitted', 'failed');

-- Append-only: rows are never updated or deleted.
CREATE TABLE IF NOT EXISTS registration_events (
    id               BIGSERIAL PRIMARY KEY,
    registration_key TEXT NOT NULL REFERENCES registration_ledger (registration_key),
    at               TIMESTAMPTZ NOT NULL,
    actor            TEXT NOT NULL,
    from_status      TEXT,
    to_status        TEXT NOT NULL,
    note             TEXT
);
CREATE INDEX IF NOT EXISTS idx_registration_events_key ON registration_events (registration_key, id);
