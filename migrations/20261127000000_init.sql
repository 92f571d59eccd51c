-- Schema bookkeeping is sqlx's `_sqlx_migrations` table; each later change is a new file.
CREATE TABLE IF NOT EXISTS preferences (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
