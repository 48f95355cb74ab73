//! Whole-catalog reads: the snapshot the gateway routes by (the one place provider keys are
//! decrypted for use) and the export to the declarative document. Each is one consistent
//! read. Building the in-memory routing view from `SnapshotData` is `catalog::snapshot`'s job.

use std::collections::HashMap;

use super::client_keys::all_client_keys;
use super::conn::{tx, Conn, TxMode};
use super::models::all_models;
use super::provider_keys::{key_from_row, key_rows};
use super::providers::all_providers;
use super::routes::all_routes;
use super::{SnapshotData, Store, StoreError};
use crate::catalog::model::{
    CatalogDoc, KeyDoc, Model, ModelDoc, Provider, ProviderDoc, ProviderKey, Route, RouteDoc,
};

/// Decrypted secrets by key id. Errors name the provider and the key, never the value.
pub(super) async fn secrets_by_key(
    c: &mut Conn<'_>,
    store: &Store,
    providers: &[Provider],
) -> Result<HashMap<i64, String>, StoreError> {
    let names: HashMap<i64, &str> = providers.iter().map(|p| (p.id, p.name.as_str())).collect();
    let mut out = HashMap::new();
    for row in key_rows(c, None).await? {
        let secret = store.secrets.decrypt(&row.key_ciphertext).map_err(|e| {
            let provider = names.get(&row.provider_id).copied().unwrap_or("?");
            StoreError::Secret(format!("provider `{provider}` key `{}`: {e}", row.label))
        })?;
        out.insert(row.id, secret);
    }
    Ok(out)
}

pub(super) fn provider_doc(p: &Provider, keys: Vec<KeyDoc>) -> ProviderDoc {
    ProviderDoc {
        name: p.name.clone(),
        kind: p.kind,
        base_url: p.base_url.clone(),
        enabled: p.enabled,
        weight: p.weight,
        priority: p.priority,
        connect_timeout_ms: p.connect_timeout_ms,
        first_token_timeout_ms: p.first_token_timeout_ms,
        idle_timeout_ms: p.idle_timeout_ms,
        total_timeout_ms: p.total_timeout_ms,
        extra_headers: p.extra_headers.clone(),
        param_overrides: p.param_overrides.clone(),
        stream_include_usage: p.stream_include_usage,
        keys,
    }
}

pub(super) fn key_doc(k: &ProviderKey, secret: Option<String>) -> KeyDoc {
    KeyDoc {
        label: k.label.clone(),
        key: secret,
        key_env: None,
        key_hint: Some(k.key_hint.clone()),
        enabled: k.enabled,
        weight: k.weight,
    }
}

pub(super) fn model_doc(m: &Model) -> ModelDoc {
    ModelDoc {
        name: m.name.clone(),
        aliases: m.aliases.clone(),
        description: m.description.clone(),
        enabled: m.enabled,
        present_requested_name: m.present_requested_name,
    }
}

/// `upstream_model` is left out when it is the model's own name (the import default).
pub(super) fn route_doc(r: &Route) -> RouteDoc {
    RouteDoc {
        model: r.model.clone(),
        provider: r.provider.clone(),
        upstream_model: (r.upstream_model != r.model).then(|| r.upstream_model.clone()),
        weight: r.weight,
        priority: r.priority,
        capabilities: r.capabilities.clone(),
        param_overrides: r.param_overrides.clone(),
        price_input: r.price_input,
        price_output: r.price_output,
        price_cached_input: r.price_cached_input,
        max_tokens_default: r.max_tokens_default,
        enabled: r.enabled,
    }
}

impl Store {
    /// Everything the gateway needs, from one consistent read: providers (keys masked),
    /// every key with its decrypted secret, models, routes, client keys with their hashes.
    /// A key that does not decrypt fails the whole load (a wrong master key must be loud).
    pub async fn load_snapshot(&self) -> Result<SnapshotData, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            let providers = all_providers(c).await?;
            let mut secrets = secrets_by_key(c, self, &providers).await?;
            let keys = key_rows(c, None)
                .await?
                .iter()
                .map(|row| {
                    let secret = secrets.remove(&row.id).unwrap_or_default();
                    (key_from_row(row), secret)
                })
                .collect();
            Ok::<_, StoreError>(SnapshotData {
                providers,
                keys,
                models: all_models(c).await?,
                routes: all_routes(c).await?,
                client_keys: all_client_keys(c).await?,
            })
        })
    }

    /// The catalog as a document: names, never ids; providers and models by name, keys by
    /// label, routes by (model, provider, upstream model). Keys carry `key_hint`, and their
    /// secret only with `include_secrets`.
    pub async fn export_catalog(&self, include_secrets: bool) -> Result<CatalogDoc, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            let providers = all_providers(c).await?;
            let mut secrets = if include_secrets {
                secrets_by_key(c, self, &providers).await?
            } else {
                HashMap::new()
            };
            let providers = providers
                .iter()
                .map(|p| {
                    let mut keys: Vec<&ProviderKey> = p.keys.iter().collect();
                    keys.sort_by(|a, b| a.label.cmp(&b.label));
                    let keys = keys
                        .into_iter()
                        .map(|k| key_doc(k, secrets.remove(&k.id)))
                        .collect();
                    provider_doc(p, keys)
                })
                .collect();
            Ok::<_, StoreError>(CatalogDoc {
                providers,
                models: all_models(c).await?.iter().map(model_doc).collect(),
                routes: all_routes(c).await?.iter().map(route_doc).collect(),
            })
        })
    }
}
