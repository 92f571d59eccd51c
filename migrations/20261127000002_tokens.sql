-- Cached OAuth id tokens, reused across processes until shortly before expiry.
-- Times are Unix milliseconds.
CREATE TABLE tokens (
    profile    TEXT NOT NULL,
    identity   TEXT NOT NULL,
    id_token   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    stored_at  INTEGER NOT NULL,
    PRIMARY KEY (profile, identity)
);
