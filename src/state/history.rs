//! The command history (`command_history`): one row per CLI invocation, argv redacted with
//! [`super::redact::redact_argv`] before it is written (an allow-list: the command, names and
//! safe flags stay, every other value goes), capped to the newest `max_entries` rows.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StateStore;
use super::redact::redact_argv;
use crate::error::Result;

/// One invocation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When the command started.
    pub started_at: DateTime<Utc>,
    /// The full argv (program name included or not, as the caller prefers); redacted on write.
    pub argv: Vec<String>,
    /// The resolved profile, if any.
    pub profile: Option<String>,
    /// The resolved organisation, if any.
    pub org: Option<String>,
    /// The process exit code.
    pub exit_code: i32,
    /// Wall-clock duration.
    pub duration_ms: u64,
}

/// One recorded invocation, as `rsspot history` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HistoryRow {
    /// Row id (increases with insertion).
    pub id: i64,
    /// When the command started.
    pub started_at: DateTime<Utc>,
    /// The redacted argv.
    pub argv: Vec<String>,
    /// The resolved profile, if any.
    pub profile: Option<String>,
    /// The resolved organisation, if any.
    pub org: Option<String>,
    /// The process exit code.
    pub exit_code: i32,
    /// Wall-clock duration.
    pub duration_ms: u64,
}

type Row = (i64, i64, String, Option<String>, Option<String>, i64, i64);

impl StateStore {
    /// Records `entry` with its argv redacted, then keeps only the newest `max_entries` rows.
    pub async fn history_add(&self, entry: &HistoryEntry, max_entries: u32) -> Result<()> {
        let argv = serde_json::to_string(&redact_argv(&entry.argv))
            .map_err(|e| self.failed("encode history", e))?;
        let argv = argv.as_str();
        let started_at = entry.started_at.timestamp_millis();
        let duration = i64::try_from(entry.duration_ms).unwrap_or(i64::MAX);
        retry_busy!(write self, "write history", {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            sqlx::query(
                "INSERT INTO command_history (started_at, argv, profile, org, exit_code, duration_ms) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(started_at)
            .bind(argv)
            .bind(&entry.profile)
            .bind(&entry.org)
            .bind(entry.exit_code)
            .bind(duration)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM command_history WHERE id IN \
                   (SELECT id FROM command_history ORDER BY started_at DESC, id DESC \
                    LIMIT -1 OFFSET ?)",
            )
            .bind(i64::from(max_entries))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
    }

    /// The newest `limit` rows, newest first.
    pub async fn history_list(&self, limit: u32) -> Result<Vec<HistoryRow>> {
        let rows: Vec<Row> = retry_busy!(self, "read history", {
            sqlx::query_as(
                "SELECT id, started_at, argv, profile, org, exit_code, duration_ms \
                     FROM command_history ORDER BY started_at DESC, id DESC LIMIT ?",
            )
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
        })?;
        rows.into_iter()
            .map(
                |(id, started_at, argv, profile, org, exit_code, duration_ms)| {
                    Ok(HistoryRow {
                        id,
                        started_at: DateTime::from_timestamp_millis(started_at).unwrap_or_default(),
                        argv: serde_json::from_str(&argv)
                            .map_err(|e| self.failed(format_args!("history row {id}"), e))?,
                        profile,
                        org,
                        exit_code: i32::try_from(exit_code).unwrap_or(i32::MIN),
                        duration_ms: u64::try_from(duration_ms).unwrap_or(0),
                    })
                },
            )
            .collect()
    }

    /// Deletes every history row; returns how many there were.
    pub async fn history_clear(&self) -> Result<u64> {
        retry_busy!(write self, "clear history", {
            sqlx::query("DELETE FROM command_history")
                .execute(&self.pool)
                .await
                .map(|r| r.rows_affected())
        })
    }

    /// Number of history rows.
    pub async fn history_count(&self) -> Result<u64> {
        let n: i64 = retry_busy!(self, "count history", {
            sqlx::query_scalar("SELECT COUNT(*) FROM command_history")
                .fetch_one(&self.pool)
                .await
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(argv: &[&str], started_at: DateTime<Utc>) -> HistoryEntry {
        HistoryEntry {
            started_at,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            profile: Some("default".into()),
            org: Some("acme".into()),
            exit_code: 0,
            duration_ms: 12,
        }
    }

    #[tokio::test]
    async fn list_is_newest_first_and_capped() {
        let store = StateStore::in_memory().await.unwrap();
        let t0 = Utc::now();
        for i in 0..5 {
            let at = t0 + chrono::TimeDelta::seconds(i);
            store
                .history_add(&entry(&["rsspot", &format!("cmd{i}")], at), 3)
                .await
                .unwrap();
        }
        assert_eq!(store.history_count().await.unwrap(), 3);
        let rows = store.history_list(10).await.unwrap();
        let cmds: Vec<_> = rows.iter().map(|r| r.argv[1].as_str()).collect();
        assert_eq!(cmds, ["cmd4", "cmd3", "cmd2"]);
        assert_eq!(rows[0].profile.as_deref(), Some("default"));
        assert_eq!(rows[0].duration_ms, 12);
        assert_eq!(store.history_list(1).await.unwrap().len(), 1);
        assert_eq!(store.history_clear().await.unwrap(), 3);
        assert_eq!(store.history_count().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn argv_is_redacted_at_rest() {
        let store = StateStore::in_memory().await.unwrap();
        store
            .history_add(
                &entry(
                    &["rsspot", "configure", "--refresh-token", "hunter2"],
                    Utc::now(),
                ),
                10,
            )
            .await
            .unwrap();
        let raw: String = sqlx::query_scalar("SELECT argv FROM command_history")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(!raw.contains("hunter2"), "{raw}");
        assert!(raw.contains("<redacted>"), "{raw}");
    }
}
