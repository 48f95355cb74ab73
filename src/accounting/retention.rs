//! Deleting old request logs: a background job every `request_log.cleanup_interval` removes
//! logs older than `request_log.retention_days`, a thousand rows per statement so no long
//! lock holds up the writer. Rollups are kept (they are small and feed long-range stats).

use std::time::Duration;

use chrono::Utc;

use super::store;
use crate::db::Db;

/// Rows per DELETE.
pub const BATCH: i64 = 1000;

pub async fn run(db: Db, retention_days: u32, interval: Duration) {
    if retention_days == 0 {
        return; // keep forever
    }
    // First pass shortly after start, not in the middle of startup.
    tokio::time::sleep(Duration::from_secs(30).min(interval)).await;
    loop {
        let before = Utc::now() - chrono::TimeDelta::days(retention_days as i64);
        match store::delete_logs_before(&db, before, BATCH).await {
            Ok(0) => tracing::debug!("request log retention: nothing to delete"),
            Ok(n) => {
                tracing::info!(deleted = n, %before, "request log retention: deleted old logs")
            }
            Err(e) => tracing::warn!(error = %e, "request log retention failed; will retry"),
        }
        tokio::time::sleep(interval).await;
    }
}
