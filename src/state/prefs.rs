//! Preferences (`preferences`): small named values the CLI remembers between runs.

use super::StateStore;
use crate::error::Result;

impl StateStore {
    /// The preference `key`, if set.
    pub async fn pref_get(&self, key: &str) -> Result<Option<String>> {
        retry_busy!(self, "read preference", {
            sqlx::query_scalar::<_, String>("SELECT value FROM preferences WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await
        })
    }

    /// Sets the preference `key` to `value` (insert or replace).
    pub async fn pref_set(&self, key: &str, value: &str) -> Result<()> {
        let now = self.now().to_rfc3339();
        let now = now.as_str();
        retry_busy!(write self, "write preference", {
            sqlx::query(
                "INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value)
            .bind(now)
            .execute(&self.pool)
            .await
            .map(|_| ())
        })
    }

    /// Deletes the preference `key`; returns whether it existed.
    pub async fn pref_delete(&self, key: &str) -> Result<bool> {
        retry_busy!(write self, "delete preference", {
            sqlx::query("DELETE FROM preferences WHERE key = ?")
                .bind(key)
                .execute(&self.pool)
                .await
                .map(|r| r.rows_affected() > 0)
        })
    }
}
