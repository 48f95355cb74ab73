//! Provider keys: encryption on the way in, masking on the way out, labels unique per
//! provider (checked inside the write transaction; the schema has no such constraint).
//! Decrypting for the gateway is `snapshot.rs`; nothing here returns a key in clear.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::conn::{
    from_db_time, insert_returning_id, not_found, now, on, require_ids, tx, Conn, Table, TxMode,
};
use super::{apply_patch, resource_api, Create, Resource, Store, StoreError};
use crate::catalog::model::{mask_secret, NewProviderKey, ProviderKey, ProviderKeyPatch};
use crate::db::rows::{ProviderKeyRow, ProviderKeyWrite};
use crate::db::schema::{provider_keys, providers};

pub(super) fn key_from_row(row: &ProviderKeyRow) -> ProviderKey {
    ProviderKey {
        id: row.id,
        provider_id: row.provider_id,
        label: row.label.clone(),
        key_hint: row.key_hint.clone(),
        enabled: row.enabled,
        weight: row.weight,
        created_at: from_db_time(row.created_at),
        updated_at: from_db_time(row.updated_at),
    }
}

/// Key rows of `provider_ids` (all keys for `None`), by provider then id.
pub(super) async fn key_rows(
    c: &mut Conn<'_>,
    provider_ids: Option<&[i64]>,
) -> Result<Vec<ProviderKeyRow>, StoreError> {
    Ok(on!(c, c => {
        let mut q = provider_keys::table
            .select(ProviderKeyRow::as_select())
            .order((provider_keys::provider_id.asc(), provider_keys::id.asc()))
            .into_boxed();
        if let Some(ids) = provider_ids {
            q = q.filter(provider_keys::provider_id.eq_any(ids));
        }
        q.load(c).await?
    }))
}

async fn labels_of(
    c: &mut Conn<'_>,
    provider_id: i64,
    except: Option<i64>,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(i64, String)> = on!(c, c => {
        provider_keys::table
            .filter(provider_keys::provider_id.eq(provider_id))
            .select((provider_keys::id, provider_keys::label))
            .load(c)
            .await?
    });
    Ok(rows
        .into_iter()
        .filter(|(id, _)| Some(*id) != except)
        .map(|(_, l)| l)
        .collect())
}

async fn label_conflict(
    c: &mut Conn<'_>,
    provider_id: i64,
    label: &str,
) -> Result<StoreError, StoreError> {
    let name: String = on!(c, c => {
        providers::table.find(provider_id).select(providers::name).first(c).await?
    });
    Ok(StoreError::Conflict(format!(
        "provider `{name}` already has a key labelled `{label}`"
    )))
}

/// `key-<n>`: n starts after the keys the provider has and skips labels in use.
fn default_label(taken: &[String]) -> String {
    (taken.len() + 1..)
        .map(|n| format!("key-{n}"))
        .find(|l| !taken.contains(l))
        .expect("an unbounded range has a free label")
}

/// Sets a key's secret (encrypted) and hint.
pub(super) async fn write_secret(
    c: &mut Conn<'_>,
    store: &Store,
    id: i64,
    secret: &str,
) -> Result<(), StoreError> {
    let (cipher, hint) = (store.secrets.encrypt(secret), mask_secret(secret));
    on!(c, c => {
        diesel::update(provider_keys::table.find(id))
            .set((provider_keys::key_ciphertext.eq(&cipher), provider_keys::key_hint.eq(&hint)))
            .execute(c)
            .await?
    });
    Ok(())
}

/// Validates and inserts a key of `provider_id` (which must exist).
pub(super) async fn insert_key(
    c: &mut Conn<'_>,
    store: &Store,
    provider_id: i64,
    new: NewProviderKey,
) -> Result<i64, StoreError> {
    new.validate()?;
    let taken = labels_of(c, provider_id, None).await?;
    let label = match new.label {
        Some(l) if taken.contains(&l) => return Err(label_conflict(c, provider_id, &l).await?),
        Some(l) => l,
        None => default_label(&taken),
    };
    let write = ProviderKeyWrite {
        label,
        enabled: new.enabled,
        weight: new.weight,
        updated_at: now(),
    };
    let values = (
        &write,
        provider_keys::provider_id.eq(provider_id),
        provider_keys::key_ciphertext.eq(store.secrets.encrypt(&new.key)),
        provider_keys::key_hint.eq(mask_secret(&new.key)),
        provider_keys::created_at.eq(write.updated_at),
    );
    Ok(insert_returning_id!(c, provider_keys, values)?)
}

/// Rewrites label, enabled and weight of key `id` (the secret is `write_secret`'s).
pub(super) async fn write_key_row(
    c: &mut Conn<'_>,
    id: i64,
    provider_id: i64,
    write: &ProviderKeyWrite,
) -> Result<(), StoreError> {
    if labels_of(c, provider_id, Some(id))
        .await?
        .contains(&write.label)
    {
        return Err(label_conflict(c, provider_id, &write.label).await?);
    }
    on!(c, c => {
        diesel::update(provider_keys::table.find(id)).set(write).execute(c).await?
    });
    Ok(())
}

impl Resource for ProviderKey {
    const TABLE: Table = Table::ProviderKeys;
    type Patch = ProviderKeyPatch;

    async fn get(c: &mut Conn<'_>, id: i64) -> Result<ProviderKey, StoreError> {
        let row: Option<ProviderKeyRow> = on!(c, c => {
            provider_keys::table
                .find(id)
                .select(ProviderKeyRow::as_select())
                .first(c)
                .await
                .optional()?
        });
        row.as_ref()
            .map(key_from_row)
            .ok_or_else(|| not_found(Table::ProviderKeys, id))
    }

    async fn update(
        c: &mut Conn<'_>,
        store: &Store,
        id: i64,
        patch: ProviderKeyPatch,
    ) -> Result<(), StoreError> {
        patch.validate()?;
        let current = ProviderKey::get(c, id).await?;
        let mut write = ProviderKeyWrite {
            label: current.label,
            enabled: current.enabled,
            weight: current.weight,
            updated_at: now(),
        };
        apply_patch!(patch => write; label, enabled, weight);
        write_key_row(c, id, current.provider_id, &write).await?;
        if let Some(secret) = &patch.key {
            write_secret(c, store, id, secret).await?;
        }
        Ok(())
    }
}

impl Create for ProviderKey {
    /// The provider's id and the key.
    type New = (i64, NewProviderKey);

    async fn insert(
        c: &mut Conn<'_>,
        store: &Store,
        (provider_id, new): (i64, NewProviderKey),
    ) -> Result<i64, StoreError> {
        require_ids(c, Table::Providers, &[provider_id]).await?;
        insert_key(c, store, provider_id, new).await
    }
}

impl Store {
    /// The keys of a provider (masked), by id; NotFound when the provider does not exist.
    pub async fn list_provider_keys(
        &self,
        provider_id: i64,
    ) -> Result<Vec<ProviderKey>, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            require_ids(c, Table::Providers, &[provider_id]).await?;
            let rows = key_rows(c, Some(&[provider_id])).await?;
            Ok::<_, StoreError>(rows.iter().map(key_from_row).collect())
        })
    }

    /// Label defaults to `key-<n>`; a label the provider already uses is a Conflict.
    pub async fn create_provider_key(
        &self,
        provider_id: i64,
        new: NewProviderKey,
    ) -> Result<ProviderKey, StoreError> {
        self.create_one((provider_id, new)).await
    }

    pub async fn create_provider_keys(
        &self,
        provider_id: i64,
        items: Vec<NewProviderKey>,
    ) -> Result<Vec<ProviderKey>, StoreError> {
        self.create_batch(items.into_iter().map(|k| (provider_id, k)).collect())
            .await
    }
}

resource_api!(ProviderKey, ProviderKeyPatch, "provider key" {
    get: get_provider_key,
    update: update_provider_key,
    delete: delete_provider_key,
    delete_many: delete_provider_keys,
    set_enabled: set_provider_keys_enabled,
});
