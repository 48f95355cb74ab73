//! The live catalog: the current snapshot, and keeping it current.
//!
//! After a write through this instance, `changed()` rebuilds the snapshot at once and
//! publishes an invalidation on Redis; other instances reload when they hear it. Every
//! instance also reloads every `catalog.refresh_interval`, so a lost message or a write made
//! with Redis down (or straight into the database) is picked up anyway. When the database is
//! down, the last snapshot keeps serving.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

use super::snapshot::Snapshot;
use super::store::{Store, StoreError};
use crate::cache::Cache;
use crate::config::Config;

/// The Redis channel (under `redis.key_prefix`) that carries invalidations.
pub const CHANNEL: &str = "catalog:changed";

#[derive(Debug, Serialize, Deserialize)]
struct Invalidation {
    /// Who wrote, so an instance ignores its own messages.
    instance: String,
}

pub struct LiveCatalog {
    current: ArcSwap<Snapshot>,
    store: Store,
    cache: Cache,
    instance: String,
    version: AtomicU64,
    /// One reload at a time, so a slow older read never replaces a newer snapshot.
    reloading: tokio::sync::Mutex<()>,
}

impl LiveCatalog {
    /// Loads the first snapshot (the database must answer) and starts keeping it current.
    pub async fn start(
        store: Store,
        cache: Cache,
        refresh: Duration,
    ) -> Result<Arc<LiveCatalog>, StoreError> {
        let live = Arc::new(LiveCatalog {
            current: ArcSwap::from_pointee(Snapshot::empty()),
            store,
            cache,
            instance: uuid::Uuid::new_v4().simple().to_string(),
            version: AtomicU64::new(0),
            reloading: tokio::sync::Mutex::new(()),
        });
        live.reload().await?;
        tokio::spawn(refresh_periodically(Arc::downgrade(&live), refresh));
        if let Some(rx) = live.cache.subscribe(CHANNEL) {
            tokio::spawn(follow_invalidations(Arc::downgrade(&live), rx));
        }
        Ok(live)
    }

    /// The current snapshot; cheap (an atomic load and a reference count).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Rebuilds the snapshot from the database. On error the previous one stays.
    pub async fn reload(&self) -> Result<u64, StoreError> {
        let _one_at_a_time = self.reloading.lock().await;
        let data = self.store.load_snapshot().await?;
        let version = self.version.fetch_add(1, Ordering::Relaxed) + 1;
        self.current.store(Arc::new(Snapshot::build(data, version)));
        tracing::debug!(version, "catalog snapshot rebuilt");
        Ok(version)
    }

    /// Call after every catalog write: rebuild here now, tell the other instances.
    pub async fn changed(&self) {
        if let Err(e) = self.reload().await {
            tracing::warn!(
                "catalog reload after a write failed ({e}); the periodic refresh will retry"
            );
        }
        publish(&self.cache, &self.instance).await;
    }
}

/// For writers outside `serve` (the CLI): tell running instances to reload.
pub async fn notify_changed(config: &Config) {
    match Cache::new(&config.redis) {
        Ok(cache) => publish(&cache, "cli").await,
        Err(e) => tracing::warn!("cannot notify running servers: {e}"),
    }
}

async fn publish(cache: &Cache, instance: &str) {
    if !cache.is_enabled() {
        return;
    }
    let msg = serde_json::to_string(&Invalidation {
        instance: instance.to_string(),
    })
    .expect("a struct of strings serializes");
    if let Err(e) = cache.publish(CHANNEL, &msg).await {
        tracing::warn!(
            "cannot publish the catalog invalidation ({e}); other instances catch up at their next refresh"
        );
    }
}

async fn refresh_periodically(live: std::sync::Weak<LiveCatalog>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(live) = live.upgrade() else { return };
        if let Err(e) = live.reload().await {
            tracing::warn!("catalog refresh failed ({e}); serving the last snapshot");
        }
    }
}

async fn follow_invalidations(
    live: std::sync::Weak<LiveCatalog>,
    mut rx: tokio::sync::mpsc::Receiver<Option<String>>,
) {
    while let Some(msg) = rx.recv().await {
        let Some(live) = live.upgrade() else { return };
        let from_self = msg
            .as_deref()
            .and_then(|m| serde_json::from_str::<Invalidation>(m).ok())
            .is_some_and(|inv| inv.instance == live.instance);
        if from_self {
            continue;
        }
        // A message from another writer, or a fresh (re)subscription after which we may have
        // missed some: reload either way.
        if let Err(e) = live.reload().await {
            tracing::warn!(
                "catalog reload on invalidation failed ({e}); serving the last snapshot"
            );
        }
    }
}
