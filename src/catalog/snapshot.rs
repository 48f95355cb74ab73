//! The gateway's view of the catalog: an immutable snapshot built from the database in one
//! go and swapped atomically, so the request path reads it with no database round trip and
//! no lock. Lookups here are what the hot path needs: a model by name or alias, a client key
//! by hash, a provider by id.
//!
//! Building it is the only work; deciding routes (weights, circuits) is the gateway's.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{ClientKey, Model, Provider, ProviderKey, Route};
use super::store::SnapshotData;
use crate::security::sha256;

/// A provider key with its decrypted secret. The secret never leaves through Debug.
pub struct KeyEntry {
    pub key: ProviderKey,
    secret: String,
}

impl KeyEntry {
    /// The decrypted key, for building an upstream request.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("key", &self.key)
            .field("secret", &"***")
            .finish()
    }
}

#[derive(Debug)]
pub struct ProviderEntry {
    pub provider: Provider,
    pub keys: Vec<KeyEntry>,
}

#[derive(Debug)]
pub struct RouteEntry {
    pub route: Route,
    pub provider: Arc<ProviderEntry>,
}

#[derive(Debug)]
pub struct ModelEntry {
    pub model: Model,
    /// Ordered by priority tier, then id.
    pub routes: Vec<RouteEntry>,
}

#[derive(Debug)]
pub struct Snapshot {
    /// Increases with every rebuild in this process.
    pub version: u64,
    pub loaded_at: DateTime<Utc>,
    providers: HashMap<i64, Arc<ProviderEntry>>,
    /// Every model name and alias -> its model.
    models: HashMap<String, Arc<ModelEntry>>,
    /// Distinct models, by name.
    model_list: Vec<Arc<ModelEntry>>,
    client_keys: HashMap<[u8; 32], Arc<ClientKey>>,
}

/// What `GET /admin/catalog/snapshot` shows: enough to see that an instance is current.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotSummary {
    pub version: u64,
    pub loaded_at: DateTime<Utc>,
    pub providers: usize,
    pub provider_keys: usize,
    pub models: Vec<String>,
    pub routes: usize,
    pub client_keys: usize,
}

impl Snapshot {
    pub fn empty() -> Snapshot {
        Snapshot {
            version: 0,
            loaded_at: Utc::now(),
            providers: HashMap::new(),
            models: HashMap::new(),
            model_list: Vec::new(),
            client_keys: HashMap::new(),
        }
    }

    pub fn build(data: SnapshotData, version: u64) -> Snapshot {
        let mut keys_by_provider: HashMap<i64, Vec<KeyEntry>> = HashMap::new();
        for (key, secret) in data.keys {
            keys_by_provider
                .entry(key.provider_id)
                .or_default()
                .push(KeyEntry { key, secret });
        }
        let providers: HashMap<i64, Arc<ProviderEntry>> = data
            .providers
            .into_iter()
            .map(|p| {
                let keys = keys_by_provider.remove(&p.id).unwrap_or_default();
                (p.id, Arc::new(ProviderEntry { provider: p, keys }))
            })
            .collect();

        let mut routes_by_model: HashMap<i64, Vec<RouteEntry>> = HashMap::new();
        for route in data.routes {
            // A route whose provider vanished between reads cannot serve; leave it out.
            if let Some(provider) = providers.get(&route.provider_id) {
                routes_by_model
                    .entry(route.model_id)
                    .or_default()
                    .push(RouteEntry {
                        route,
                        provider: provider.clone(),
                    });
            }
        }

        let mut models = HashMap::new();
        let mut model_list = Vec::new();
        for model in data.models {
            let mut routes = routes_by_model.remove(&model.id).unwrap_or_default();
            routes.sort_by_key(|r| (r.route.priority, r.route.id));
            let names: Vec<String> = std::iter::once(model.name.clone())
                .chain(model.aliases.iter().cloned())
                .collect();
            let entry = Arc::new(ModelEntry { model, routes });
            for n in names {
                models.insert(n, entry.clone());
            }
            model_list.push(entry);
        }
        model_list.sort_by(|a, b| a.model.name.cmp(&b.model.name));

        let client_keys = data
            .client_keys
            .into_iter()
            .filter_map(|(key, hash_hex)| {
                let hash = hex::decode(hash_hex).ok()?.try_into().ok()?;
                Some((hash, Arc::new(key)))
            })
            .collect();

        Snapshot {
            version,
            loaded_at: Utc::now(),
            providers,
            models,
            model_list,
            client_keys,
        }
    }

    /// A model by its name or one of its aliases.
    pub fn model(&self, name: &str) -> Option<&Arc<ModelEntry>> {
        self.models.get(name)
    }

    pub fn models(&self) -> &[Arc<ModelEntry>] {
        &self.model_list
    }

    pub fn provider(&self, id: i64) -> Option<&Arc<ProviderEntry>> {
        self.providers.get(&id)
    }

    /// Every provider (enabled or not), by id.
    pub fn providers(&self) -> Vec<&Arc<ProviderEntry>> {
        let mut out: Vec<_> = self.providers.values().collect();
        out.sort_by_key(|p| p.provider.id);
        out
    }

    /// The client key a presented secret belongs to (one hash, one map lookup).
    pub fn client_key(&self, presented: &str) -> Option<&Arc<ClientKey>> {
        self.client_keys.get(&sha256(presented))
    }

    pub fn client_key_count(&self) -> usize {
        self.client_keys.len()
    }

    pub fn summary(&self) -> SnapshotSummary {
        SnapshotSummary {
            version: self.version,
            loaded_at: self.loaded_at,
            providers: self.providers.len(),
            provider_keys: self.providers.values().map(|p| p.keys.len()).sum(),
            models: self
                .model_list
                .iter()
                .map(|m| m.model.name.clone())
                .collect(),
            routes: self.model_list.iter().map(|m| m.routes.len()).sum(),
            client_keys: self.client_keys.len(),
        }
    }
}
