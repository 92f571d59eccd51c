-- CLI invocations. `argv` is a JSON array, redacted before it is written.
-- Times are Unix milliseconds.
CREATE TABLE command_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    argv        TEXT NOT NULL,
    profile     TEXT,
    org         TEXT,
    exit_code   INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX idx_command_history_started_at ON command_history (started_at);
