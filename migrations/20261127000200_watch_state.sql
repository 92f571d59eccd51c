-- `rsspot events watch`: the last snapshot a watcher saw (JSON), so a restart compares with it
-- instead of replaying or missing changes. One row per watcher key (profile and org).
CREATE TABLE watch_state (
    watcher    TEXT PRIMARY KEY,
    snapshot   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
