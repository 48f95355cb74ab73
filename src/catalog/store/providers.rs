//! Providers: rows <-> `Provider`, the unique-name rule, and the provider half of the API
//! (each provider is returned with its keys, masked). Key rows themselves are
//! `provider_keys.rs`; what cascades on delete is the schema's foreign keys. A new provider's
//! inline keys are created in the same transaction, so a bad key leaves no provider behind.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::conn::{
    contains_pattern, from_db_time, from_json, insert_returning_id, load_page, lower, not_found,
    now, on, to_json, tx, Conn, Table, TxMode, LIKE_ESCAPE,
};
use super::provider_keys::{insert_key, key_from_row, key_rows};
use super::{apply_patch, at_index, page, resource_api, Create, Resource, Store, StoreError};
use crate::catalog::model::{
    NewProvider, Page, Paging, Provider, ProviderFilter, ProviderKey, ProviderKind, ProviderPatch,
};
use crate::db::rows::{ProviderRow, ProviderWrite};
use crate::db::schema::providers;

pub(super) fn provider_from_row(
    row: ProviderRow,
    keys: Vec<ProviderKey>,
) -> Result<Provider, StoreError> {
    let kind = ProviderKind::parse(&row.kind).ok_or_else(|| {
        StoreError::Db(crate::db::DbError::Query(
            diesel::result::Error::DeserializationError(
                format!("provider {}: unknown kind `{}`", row.id, row.kind).into(),
            ),
        ))
    })?;
    Ok(Provider {
        id: row.id,
        name: row.name,
        kind,
        base_url: row.base_url,
        enabled: row.enabled,
        weight: row.weight,
        priority: row.priority,
        connect_timeout_ms: row.connect_timeout_ms,
        first_token_timeout_ms: row.first_token_timeout_ms,
        idle_timeout_ms: row.idle_timeout_ms,
        total_timeout_ms: row.total_timeout_ms,
        extra_headers: from_json(&row.extra_headers, "providers.extra_headers")?,
        param_overrides: from_json(&row.param_overrides, "providers.param_overrides")?,
        stream_include_usage: row.stream_include_usage,
        keys,
        created_at: from_db_time(row.created_at),
        updated_at: from_db_time(row.updated_at),
    })
}

/// The provider as an input (without keys): what a patch applies to.
pub(super) fn provider_as_new(p: &Provider) -> NewProvider {
    NewProvider {
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
        keys: Vec::new(),
    }
}

fn provider_write(n: &NewProvider) -> ProviderWrite {
    ProviderWrite {
        name: n.name.clone(),
        kind: n.kind.as_str().to_string(),
        base_url: n.base_url.clone(),
        enabled: n.enabled,
        weight: n.weight,
        priority: n.priority,
        connect_timeout_ms: n.connect_timeout_ms,
        first_token_timeout_ms: n.first_token_timeout_ms,
        idle_timeout_ms: n.idle_timeout_ms,
        total_timeout_ms: n.total_timeout_ms,
        extra_headers: to_json(&n.extra_headers),
        param_overrides: to_json(&n.param_overrides),
        stream_include_usage: n.stream_include_usage,
        updated_at: now(),
    }
}

/// Attaches each provider's keys (masked), in key id order.
async fn with_keys(c: &mut Conn<'_>, rows: Vec<ProviderRow>) -> Result<Vec<Provider>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let keys = key_rows(c, Some(&ids)).await?;
    rows.into_iter()
        .map(|row| {
            let mine = keys
                .iter()
                .filter(|k| k.provider_id == row.id)
                .map(key_from_row)
                .collect();
            provider_from_row(row, mine)
        })
        .collect()
}

/// Every provider with its keys, by name (the snapshot and export).
pub(super) async fn all_providers(c: &mut Conn<'_>) -> Result<Vec<Provider>, StoreError> {
    let rows: Vec<ProviderRow> = on!(c, c => {
        providers::table
            .select(ProviderRow::as_select())
            .order(providers::name.asc())
            .load(c)
            .await?
    });
    with_keys(c, rows).await
}

async fn check_name_free(
    c: &mut Conn<'_>,
    name: &str,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let holders: Vec<i64> = on!(c, c => {
        providers::table
            .filter(providers::name.eq(name))
            .select(providers::id)
            .load(c)
            .await?
    });
    if holders.iter().any(|id| Some(*id) != except) {
        return Err(StoreError::Conflict(format!(
            "a provider named `{name}` already exists"
        )));
    }
    Ok(())
}

/// Inserts the provider row only (no keys); `new` must be valid.
pub(super) async fn insert_provider_row(
    c: &mut Conn<'_>,
    new: &NewProvider,
) -> Result<i64, StoreError> {
    check_name_free(c, &new.name, None).await?;
    let write = provider_write(new);
    let created_at = write.updated_at;
    Ok(insert_returning_id!(
        c,
        providers,
        (&write, providers::created_at.eq(created_at))
    )?)
}

/// Rewrites every column of provider `id` from `new` (keys untouched); `new` must be valid.
pub(super) async fn write_provider_row(
    c: &mut Conn<'_>,
    id: i64,
    new: &NewProvider,
) -> Result<(), StoreError> {
    check_name_free(c, &new.name, Some(id)).await?;
    let write = provider_write(new);
    on!(c, c => {
        diesel::update(providers::table.find(id))
            .set(&write)
            .execute(c)
            .await?
    });
    Ok(())
}

impl Resource for Provider {
    const TABLE: Table = Table::Providers;
    type Patch = ProviderPatch;

    async fn get(c: &mut Conn<'_>, id: i64) -> Result<Provider, StoreError> {
        let row: Option<ProviderRow> = on!(c, c => {
            providers::table
                .find(id)
                .select(ProviderRow::as_select())
                .first(c)
                .await
                .optional()?
        });
        let row = row.ok_or_else(|| not_found(Table::Providers, id))?;
        with_keys(c, vec![row])
            .await
            .map(|mut v| v.pop().expect("one row in, one provider out"))
    }

    async fn update(
        c: &mut Conn<'_>,
        _store: &Store,
        id: i64,
        patch: ProviderPatch,
    ) -> Result<(), StoreError> {
        patch.validate()?;
        let mut next = provider_as_new(&Provider::get(c, id).await?);
        apply_patch!(patch => next;
            name, kind, base_url, enabled, weight, priority, connect_timeout_ms,
            first_token_timeout_ms, idle_timeout_ms, total_timeout_ms, extra_headers,
            param_overrides, stream_include_usage);
        // The combination must hold too (e.g. a switch to azure_openai needs a base_url).
        next.validate()?;
        write_provider_row(c, id, &next).await
    }
}

impl Create for Provider {
    type New = NewProvider;

    async fn insert(
        c: &mut Conn<'_>,
        store: &Store,
        mut new: NewProvider,
    ) -> Result<i64, StoreError> {
        new.validate()?;
        let keys = std::mem::take(&mut new.keys);
        let id = insert_provider_row(c, &new).await?;
        for (i, key) in keys.into_iter().enumerate() {
            insert_key(c, store, id, key)
                .await
                .map_err(at_index("keys", i))?;
        }
        Ok(id)
    }
}

impl Store {
    pub async fn list_providers(
        &self,
        f: &ProviderFilter,
        p: Paging,
    ) -> Result<Page<Provider>, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            let (total, rows) = load_page!(
                c, p, providers::table, ProviderRow::as_select(), ProviderRow,
                providers::id.asc(),
                |q| {
                    let mut q = q;
                    if let Some(e) = f.enabled {
                        q = q.filter(providers::enabled.eq(e));
                    }
                    if let Some(k) = f.kind {
                        q = q.filter(providers::kind.eq(k.as_str()));
                    }
                    if let Some(s) = &f.q {
                        q = q.filter(
                            lower(providers::name).like(contains_pattern(s)).escape(LIKE_ESCAPE),
                        );
                    }
                    q
                }
            );
            let data = with_keys(c, rows).await?;
            Ok::<_, StoreError>(page(data, total, p))
        })
    }
}

resource_api!(Provider, ProviderPatch, "provider" {
    get: get_provider,
    update: update_provider,
    delete: delete_provider,
    delete_many: delete_providers,
    set_enabled: set_providers_enabled,
    create: create_provider(NewProvider),
    create_many: create_providers,
});
