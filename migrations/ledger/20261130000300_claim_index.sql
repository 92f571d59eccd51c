-- What `claim` scans: actionable records in hand-out order (attempts, then oldest), so a claim
-- reads a few index entries instead of sorting the whole ledger.
CREATE INDEX IF NOT EXISTS idx_registration_ledger_claim
    ON registration_ledger (attempts, first_seen, registration_key)
    WHERE status IN ('discovered', 'token_issued', 'submitted', 'failed');
