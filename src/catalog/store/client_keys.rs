//! Client keys: issuing (`sk-llmo-` + 40 base62, shown once), storing only the hex SHA-256
//! and a 12-character prefix, rotating and revoking. Checking a presented key is the
//! gateway's job, against the snapshot's hashes; `last_used_at` is written by the gateway.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::conn::{
    all_rows, contains_pattern, from_db_time, from_json, insert_returning_id, load_page, lower,
    not_found, now, on, row_by_id, to_db_time, to_json, tx, Conn, Table, TxMode, LIKE_ESCAPE,
};
use super::{apply_patch, page, resource_api, Resource, Store, StoreError};
use crate::catalog::model::{
    ClientKey, ClientKeyFilter, ClientKeyPatch, IssuedClientKey, NewClientKey, Page, Paging,
};
use crate::db::rows::{ClientKeyRow, ClientKeyWrite};
use crate::db::schema::client_keys;
use crate::security::{random_key, sha256};

/// What every issued key starts with (so scanners and people recognise it).
pub const CLIENT_KEY_PREFIX: &str = "sk-llmo-";

/// How much of a key is kept to recognise it: the prefix and 4 random characters.
const VISIBLE_CHARS: usize = 12;

pub(super) fn client_key_from_row(row: ClientKeyRow) -> Result<(ClientKey, String), StoreError> {
    let key = ClientKey {
        id: row.id,
        name: row.name,
        key_prefix: row.key_prefix,
        enabled: row.enabled,
        expires_at: row.expires_at.map(from_db_time),
        allowed_models: from_json(&row.allowed_models, "client_keys.allowed_models")?,
        note: row.note,
        last_used_at: row.last_used_at.map(from_db_time),
        created_at: from_db_time(row.created_at),
        updated_at: from_db_time(row.updated_at),
    };
    Ok((key, row.key_hash))
}

fn client_key_write(n: &NewClientKey) -> ClientKeyWrite {
    ClientKeyWrite {
        name: n.name.clone(),
        enabled: n.enabled,
        expires_at: n.expires_at.map(to_db_time),
        allowed_models: to_json(&n.allowed_models),
        note: n.note.clone(),
        updated_at: now(),
    }
}

/// A new key with its stored forms: (key, hex sha256, visible prefix).
fn issue() -> (String, String, String) {
    let key = random_key(CLIENT_KEY_PREFIX);
    let hash = hex::encode(sha256(&key));
    let prefix = key.chars().take(VISIBLE_CHARS).collect();
    (key, hash, prefix)
}

/// Every client key with its hash, by id.
pub(super) async fn all_client_keys(
    c: &mut Conn<'_>,
) -> Result<Vec<(ClientKey, String)>, StoreError> {
    all_rows!(c, client_keys, ClientKeyRow, client_keys::id.asc())
        .into_iter()
        .map(client_key_from_row)
        .collect()
}

impl Resource for ClientKey {
    const TABLE: Table = Table::ClientKeys;
    type Patch = ClientKeyPatch;

    async fn get(c: &mut Conn<'_>, id: i64) -> Result<ClientKey, StoreError> {
        let row = row_by_id!(c, client_keys, ClientKeyRow, id, Self::TABLE)?;
        Ok(client_key_from_row(row)?.0)
    }

    async fn update(
        c: &mut Conn<'_>,
        _store: &Store,
        id: i64,
        patch: ClientKeyPatch,
    ) -> Result<(), StoreError> {
        patch.validate()?;
        let current = ClientKey::get(c, id).await?;
        let mut next = NewClientKey {
            name: current.name,
            enabled: current.enabled,
            expires_at: current.expires_at,
            allowed_models: current.allowed_models,
            note: current.note,
        };
        apply_patch!(patch => next; name, enabled, expires_at, allowed_models, note);
        next.validate()?;
        let write = client_key_write(&next);
        on!(c, c => {
            diesel::update(client_keys::table.find(id)).set(&write).execute(c).await?
        });
        Ok(())
    }
}

impl Store {
    /// `q` matches a substring of the name or the visible prefix, ignoring ASCII case.
    pub async fn list_client_keys(
        &self,
        f: &ClientKeyFilter,
        p: Paging,
    ) -> Result<Page<ClientKey>, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            let (total, rows) = load_page!(
                c, p, client_keys::table, ClientKeyRow::as_select(), ClientKeyRow,
                client_keys::id.asc(),
                |q| {
                    let mut q = q;
                    if let Some(e) = f.enabled {
                        q = q.filter(client_keys::enabled.eq(e));
                    }
                    if let Some(s) = &f.q {
                        let pattern = contains_pattern(s);
                        q = q.filter(
                            lower(client_keys::name)
                                .like(pattern.clone())
                                .escape(LIKE_ESCAPE)
                                .or(lower(client_keys::key_prefix).like(pattern).escape(LIKE_ESCAPE)),
                        );
                    }
                    q
                }
            );
            let data = rows
                .into_iter()
                .map(|r| client_key_from_row(r).map(|(k, _)| k))
                .collect::<Result<_, _>>()?;
            Ok::<_, StoreError>(page(data, total, p))
        })
    }

    /// Issues a key. The returned `key` is the only copy: only its hash is stored.
    pub async fn create_client_key(
        &self,
        new: NewClientKey,
    ) -> Result<IssuedClientKey, StoreError> {
        new.validate()?;
        let (key, hash, prefix) = issue();
        tx!(&self.db, TxMode::Write, c => {
            let write = client_key_write(&new);
            let values = (
                &write,
                client_keys::key_hash.eq(&hash),
                client_keys::key_prefix.eq(&prefix),
                client_keys::created_at.eq(write.updated_at),
            );
            let id = insert_returning_id!(c, client_keys, values)?;
            let client_key = ClientKey::get(c, id).await?;
            Ok::<_, StoreError>(IssuedClientKey { key, client_key })
        })
    }

    /// Issues several keys in one transaction: all or nothing. Each key is shown once, here.
    pub async fn create_client_keys(
        &self,
        items: Vec<NewClientKey>,
    ) -> Result<Vec<IssuedClientKey>, StoreError> {
        for (i, item) in items.iter().enumerate() {
            item.validate().map_err(|e| {
                StoreError::Invalid(crate::catalog::model::Invalid::new(
                    format!("items[{i}].{}", e.field),
                    e.message,
                ))
            })?;
        }
        let issued: Vec<_> = items.iter().map(|_| issue()).collect();
        tx!(&self.db, TxMode::Write, c => {
            let mut out = Vec::with_capacity(items.len());
            for (new, (key, hash, prefix)) in items.iter().zip(&issued) {
                let write = client_key_write(new);
                let values = (
                    &write,
                    client_keys::key_hash.eq(hash),
                    client_keys::key_prefix.eq(prefix),
                    client_keys::created_at.eq(write.updated_at),
                );
                let id = insert_returning_id!(c, client_keys, values)?;
                let client_key = ClientKey::get(c, id).await?;
                out.push(IssuedClientKey { key: key.clone(), client_key });
            }
            Ok::<_, StoreError>(out)
        })
    }

    /// Disables the key; the row stays, so request logs keep naming it.
    pub async fn revoke_client_key(&self, id: i64) -> Result<ClientKey, StoreError> {
        self.set_enabled_many::<ClientKey>(&[id], false).await?;
        self.get_client_key(id).await
    }

    /// A new secret for the same id, name and settings; the old key stops working.
    pub async fn rotate_client_key(&self, id: i64) -> Result<IssuedClientKey, StoreError> {
        let (key, hash, prefix) = issue();
        tx!(&self.db, TxMode::Write, c => {
            let updated = on!(c, c => {
                diesel::update(client_keys::table.find(id))
                    .set((
                        client_keys::key_hash.eq(&hash),
                        client_keys::key_prefix.eq(&prefix),
                        client_keys::updated_at.eq(now()),
                    ))
                    .execute(c)
                    .await?
            });
            if updated == 0 {
                return Err(not_found(Table::ClientKeys, id));
            }
            let client_key = ClientKey::get(c, id).await?;
            Ok(IssuedClientKey { key, client_key })
        })
    }
}

impl Store {
    /// Every client key's id and name (revoked ones too), for naming keys in statistics.
    pub async fn client_key_names(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let mut pooled = super::conn::PooledConn::get(&self.db).await?;
        let c = &mut pooled.conn();
        let rows: Vec<(i64, String)> = on!(c, c => {
            client_keys::table
                .select((client_keys::id, client_keys::name))
                .load(c)
                .await?
        });
        Ok(rows)
    }

    /// Writes when each key was last used (the gateway batches these off the request path).
    /// Keys deleted meanwhile are skipped; `updated_at` stays: use is not an edit.
    pub async fn touch_client_keys(
        &self,
        used: &[(i64, chrono::DateTime<chrono::Utc>)],
    ) -> Result<(), StoreError> {
        if used.is_empty() {
            return Ok(());
        }
        tx!(&self.db, TxMode::Write, c => {
            for (id, at) in used {
                let at = to_db_time(*at);
                on!(c, c => {
                    diesel::update(client_keys::table.find(*id))
                        .set(client_keys::last_used_at.eq(Some(at)))
                        .execute(c)
                        .await?
                });
            }
            Ok::<_, StoreError>(())
        })
    }
}

resource_api!(ClientKey, ClientKeyPatch, "client key" {
    get: get_client_key,
    update: update_client_key,
    delete: delete_client_key,
    delete_many: delete_client_keys,
    set_enabled: set_client_keys_enabled,
});
