//! `client_keys.last_used_at`, kept off the request path: requests note the time in memory
//! (one short lock, no I/O) and a background task writes the batch every minute and at
//! shutdown. A crash loses at most one interval of "last used" times, never a request.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::catalog::store::Store;

#[derive(Debug, Default)]
pub struct KeyUsage {
    seen: Mutex<HashMap<i64, DateTime<Utc>>>,
}

impl KeyUsage {
    pub fn touch(&self, key_id: i64) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.insert(key_id, Utc::now());
    }

    /// Writes what was noted since the last flush. On a database error the times are kept for
    /// the next try (newer times win).
    pub async fn flush(&self, store: &Store) {
        let batch: Vec<(i64, DateTime<Utc>)> = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.drain().collect()
        };
        if batch.is_empty() {
            return;
        }
        if let Err(e) = store.touch_client_keys(&batch).await {
            tracing::warn!(error = %e, keys = batch.len(), "cannot record client key use; will retry");
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            for (id, at) in batch {
                let slot = seen.entry(id).or_insert(at);
                *slot = (*slot).max(at);
            }
        }
    }
}
