-- HTTP response cache consulted by the SDK hook. The primary key is the sha256 of
-- scope (profile|identity), method and full URL, so two identities never share a row.
-- Times are Unix milliseconds. `last_used` is a logical LRU counter (higher = used more
-- recently), not a time, so eviction order never depends on clock resolution.
CREATE TABLE http_cache (
    key          TEXT PRIMARY KEY NOT NULL,
    scope        TEXT NOT NULL,
    method       TEXT NOT NULL,
    url          TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    etag         TEXT,
    content_type TEXT,
    stored_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used    INTEGER NOT NULL,
    hits         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_http_cache_expires_at ON http_cache (expires_at);
CREATE INDEX idx_http_cache_last_used ON http_cache (last_used);
CREATE INDEX idx_http_cache_scope_url ON http_cache (scope, url);

-- Hit/miss counters across processes (one row).
CREATE TABLE http_cache_counters (
    id     INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    hits   INTEGER NOT NULL DEFAULT 0,
    misses INTEGER NOT NULL DEFAULT 0
);
INSERT INTO http_cache_counters (id, hits, misses) VALUES (1, 0, 0);
