//! Saving circuit states to `provider_health` and reading them back at start, so a restarted
//! instance knows which keys and providers were resting.
//!
//! [`Persister::flush`] runs every [`EVERY`] and once more at shutdown; it writes only the
//! targets whose saved form changed since the last write (state, streaks, last error and
//! check, when the circuit opened), and only targets still in the catalog. Rows of deleted
//! providers go with them (foreign key); rows of deleted keys are pruned when the catalog's
//! keys change. A database that does not answer costs a warning; the next round retries.
//! What a saved row means when read back is `HealthRegistry::restore`'s business.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use super::circuit::Health;
use super::health::{HealthRegistry, SavedHealth, TargetHealth, PROVIDER};
use crate::catalog::snapshot::Snapshot;
use crate::catalog::store::HealthRecord;
use crate::catalog::{LiveCatalog, StoreError};

/// How often changed states are written.
pub const EVERY: Duration = Duration::from_secs(30);

pub struct Persister {
    catalog: Arc<LiveCatalog>,
    health: Arc<HealthRegistry>,
    state: tokio::sync::Mutex<Written>,
}

#[derive(Default)]
struct Written {
    /// What the database holds, as far as this instance knows.
    rows: HashMap<(i64, i64), HealthRecord>,
    /// The catalog's key ids when rows of deleted keys were last pruned.
    pruned_for: Option<BTreeSet<i64>>,
}

impl Persister {
    pub fn new(catalog: Arc<LiveCatalog>, health: Arc<HealthRegistry>) -> Persister {
        Persister {
            catalog,
            health,
            state: tokio::sync::Mutex::new(Written::default()),
        }
    }

    /// Reads the saved states of targets still in the catalog into the registry; call before
    /// serving. Returns how many circuits start open.
    pub async fn restore(&self) -> Result<usize, StoreError> {
        let records = self.catalog.store().load_provider_health().await?;
        let snapshot = self.catalog.snapshot();
        let saved: Vec<SavedHealth> = records
            .iter()
            .filter(|r| in_catalog(&snapshot, r.provider_id, r.key_id))
            .filter_map(saved_health)
            .collect();
        let open = self.health.restore(&saved);
        self.state.lock().await.rows = records
            .into_iter()
            .map(|r| ((r.provider_id, r.key_id), r))
            .collect();
        Ok(open)
    }

    /// Writes the states that changed since the last write; returns how many rows it wrote.
    pub async fn flush(&self) -> Result<usize, StoreError> {
        let mut written = self.state.lock().await;
        let snapshot = self.catalog.snapshot();
        let store = self.catalog.store();
        let changed: Vec<HealthRecord> = self
            .health
            .report()
            .into_iter()
            .filter(|t| in_catalog(&snapshot, t.provider_id, t.key_id.unwrap_or(PROVIDER)))
            .map(record)
            .filter(|r| written.rows.get(&(r.provider_id, r.key_id)) != Some(r))
            .collect();
        let n = store.save_provider_health(&changed).await?;
        for r in changed {
            written.rows.insert((r.provider_id, r.key_id), r);
        }

        let keys: BTreeSet<i64> = snapshot
            .providers()
            .iter()
            .flat_map(|p| p.keys.iter().map(|k| k.key.id))
            .collect();
        if written.pruned_for.as_ref() != Some(&keys) {
            let pruned = store.prune_provider_health().await?;
            if pruned > 0 {
                tracing::debug!(pruned, "removed the saved health of deleted provider keys");
            }
            written
                .rows
                .retain(|&(p, k), _| in_catalog(&snapshot, p, k));
            written.pruned_for = Some(keys);
        }
        Ok(n)
    }

    /// Flushes every [`EVERY`] until the runtime stops.
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = self.flush().await {
                tracing::warn!("cannot save provider health ({e}); retrying in {EVERY:?}");
            }
        }
    }
}

fn in_catalog(snapshot: &Snapshot, provider_id: i64, key_id: i64) -> bool {
    snapshot
        .provider(provider_id)
        .is_some_and(|p| key_id == PROVIDER || p.keys.iter().any(|k| k.key.id == key_id))
}

fn record(t: TargetHealth) -> HealthRecord {
    let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    HealthRecord {
        provider_id: t.provider_id,
        key_id: t.key_id.unwrap_or(PROVIDER),
        state: t.state.as_str().to_string(),
        consecutive_failures: clamp(t.consecutive_failures),
        consecutive_successes: clamp(t.consecutive_successes),
        last_error: t.last_error,
        last_status: t.last_status.map(i32::from),
        last_check_at: t.last_check_at,
        opened_at: t.opened_at,
    }
    .normalized()
}

/// A saved row as the registry reads it; `None` for a state this build does not know.
fn saved_health(r: &HealthRecord) -> Option<SavedHealth> {
    let state = match r.state.as_str() {
        "healthy" => Health::Healthy,
        "degraded" => Health::Degraded,
        "unhealthy" => Health::Unhealthy,
        _ => return None,
    };
    Some(SavedHealth {
        provider_id: r.provider_id,
        key_id: r.key_id,
        state,
        consecutive_failures: r.consecutive_failures.max(0) as u32,
        consecutive_successes: r.consecutive_successes.max(0) as u32,
        last_error: r.last_error.clone(),
        last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
        last_check_at: r.last_check_at,
        opened_at: r.opened_at,
    })
}
