//! The last snapshot each `events watch` saw (`watch_state`), so a restart neither replays nor
//! misses a change.

use super::StateStore;
use crate::error::Result;

impl StateStore {
    /// The snapshot (JSON) last saved for `watcher`, if any.
    pub async fn watch_state_get(&self, watcher: &str) -> Result<Option<String>> {
        retry_busy!(self, "read watch state", {
            sqlx::query_scalar::<_, String>("SELECT snapshot FROM watch_state WHERE watcher = ?")
                .bind(watcher)
                .fetch_optional(&self.pool)
                .await
        })
    }

    /// Saves `snapshot` (JSON) as the last one `watcher` saw.
    pub async fn watch_state_set(&self, watcher: &str, snapshot: &str) -> Result<()> {
        let now = self.now().to_rfc3339();
        let now = now.as_str();
        retry_busy!(write self, "write watch state", {
            sqlx::query(
                "INSERT INTO watch_state (watcher, snapshot, updated_at) VALUES (?, ?, ?) \
                 ON CONFLICT (watcher) DO UPDATE SET snapshot = excluded.snapshot, \
                 updated_at = excluded.updated_at",
            )
            .bind(watcher)
            .bind(snapshot)
            .bind(now)
            .execute(&self.pool)
            .await
            .map(|_| ())
        })
    }
}
