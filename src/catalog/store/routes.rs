//! Routes: rows (joined with their model's and provider's names) <-> `Route`, resolving a
//! model or provider given by id or name, capabilities as four columns, and the rule that
//! (model, provider, upstream model) is unique (the schema enforces it too).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::conn::{
    from_db_time, from_json, insert_returning_id, load_page, now, on, to_json, tx, Conn, Table,
    TxMode,
};
use super::{apply_patch, page, resource_api, Create, Resource, Store, StoreError};
use crate::catalog::model::{
    Capability, NewRoute, Page, Paging, Ref, Route, RouteFilter, RoutePatch,
};
use crate::db::rows::{RouteRow, RouteWrite};
use crate::db::schema::{models, providers, routes};

type JoinedRow = (RouteRow, String, String);

/// Selects every route column and the two names it points at.
macro_rules! joined {
    () => {
        routes::table
            .inner_join(models::table)
            .inner_join(providers::table)
    };
}
macro_rules! joined_select {
    () => {
        (RouteRow::as_select(), models::name, providers::name)
    };
}

fn route_from_row((row, model, provider): JoinedRow) -> Result<Route, StoreError> {
    let flags = [
        (row.cap_tools, Capability::Tools),
        (row.cap_vision, Capability::Vision),
        (row.cap_json_schema, Capability::JsonSchema),
        (row.cap_streaming, Capability::Streaming),
    ];
    Ok(Route {
        id: row.id,
        model_id: row.model_id,
        model,
        provider_id: row.provider_id,
        provider,
        upstream_model: row.upstream_model,
        weight: row.weight,
        priority: row.priority,
        capabilities: flags
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect(),
        param_overrides: from_json(&row.param_overrides, "routes.param_overrides")?,
        price_input: row.price_input,
        price_output: row.price_output,
        price_cached_input: row.price_cached_input,
        max_tokens_default: row.max_tokens_default,
        enabled: row.enabled,
        created_at: from_db_time(row.created_at),
        updated_at: from_db_time(row.updated_at),
    })
}

/// The route as an input, naming its model and provider by id: what a patch applies to.
fn route_as_new(r: &Route) -> NewRoute {
    NewRoute {
        model: Ref::Id(r.model_id),
        provider: Ref::Id(r.provider_id),
        upstream_model: Some(r.upstream_model.clone()),
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

/// A route's target: ids, the names (for messages) and the upstream model.
pub(super) struct Target {
    pub model_id: i64,
    pub model: String,
    pub provider_id: i64,
    pub provider: String,
    pub upstream_model: String,
}

/// `gpt-4o -> openai-main:gpt-4o-2024-08-06`: how import reports and messages name a route.
pub(super) fn route_name(model: &str, provider: &str, upstream_model: &str) -> String {
    format!("{model} -> {provider}:{upstream_model}")
}

impl Target {
    pub(super) fn describe(&self) -> String {
        route_name(&self.model, &self.provider, &self.upstream_model)
    }
}

fn route_write(n: &NewRoute, t: &Target) -> RouteWrite {
    let has = |c| n.capabilities.contains(&c);
    RouteWrite {
        model_id: t.model_id,
        provider_id: t.provider_id,
        upstream_model: t.upstream_model.clone(),
        weight: n.weight,
        priority: n.priority,
        cap_tools: has(Capability::Tools),
        cap_vision: has(Capability::Vision),
        cap_json_schema: has(Capability::JsonSchema),
        cap_streaming: has(Capability::Streaming),
        param_overrides: to_json(&n.param_overrides),
        price_input: n.price_input,
        price_output: n.price_output,
        price_cached_input: n.price_cached_input,
        max_tokens_default: n.max_tokens_default,
        enabled: n.enabled,
        updated_at: now(),
    }
}

/// `(id, name)` of the row of `$tb` that `$r` (a `&Ref`) names, if any.
macro_rules! find_ref {
    ($c:expr, $tb:ident, $r:expr) => {
        on!($c, c => match $r {
            Ref::Id(id) => $tb::table
                .find(*id)
                .select(($tb::id, $tb::name))
                .first::<(i64, String)>(c)
                .await
                .optional()?,
            Ref::Name(n) => $tb::table
                .filter($tb::name.eq(n))
                .select(($tb::id, $tb::name))
                .first::<(i64, String)>(c)
                .await
                .optional()?,
        })
    };
}

fn ref_not_found(noun: &str, r: &Ref) -> StoreError {
    StoreError::NotFound(match r {
        Ref::Id(id) => format!("{noun} {id} not found"),
        Ref::Name(n) => format!("{noun} `{n}` not found"),
    })
}

/// Resolves the route's model and provider; the upstream model defaults to the model's name.
async fn resolve(c: &mut Conn<'_>, n: &NewRoute) -> Result<Target, StoreError> {
    let (model_id, model) =
        find_ref!(c, models, &n.model).ok_or_else(|| ref_not_found("model", &n.model))?;
    let (provider_id, provider) = find_ref!(c, providers, &n.provider)
        .ok_or_else(|| ref_not_found("provider", &n.provider))?;
    let upstream_model = n.upstream_model.clone().unwrap_or_else(|| model.clone());
    Ok(Target {
        model_id,
        model,
        provider_id,
        provider,
        upstream_model,
    })
}

async fn check_route_free(
    c: &mut Conn<'_>,
    t: &Target,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let ids: Vec<i64> = on!(c, c => {
        routes::table
            .filter(routes::model_id.eq(t.model_id))
            .filter(routes::provider_id.eq(t.provider_id))
            .filter(routes::upstream_model.eq(&t.upstream_model))
            .select(routes::id)
            .load(c)
            .await?
    });
    if ids.iter().any(|id| Some(*id) != except) {
        return Err(StoreError::Conflict(format!(
            "a route `{}` already exists",
            t.describe()
        )));
    }
    Ok(())
}

/// Inserts a valid route to a resolved target (checking the unique triple).
pub(super) async fn insert_route_row(
    c: &mut Conn<'_>,
    n: &NewRoute,
    t: &Target,
) -> Result<i64, StoreError> {
    check_route_free(c, t, None).await?;
    let write = route_write(n, t);
    let created_at = write.updated_at;
    Ok(insert_returning_id!(
        c,
        routes,
        (&write, routes::created_at.eq(created_at))
    )?)
}

/// Rewrites every column of route `id` (checking the unique triple).
pub(super) async fn write_route_row(
    c: &mut Conn<'_>,
    id: i64,
    n: &NewRoute,
    t: &Target,
) -> Result<(), StoreError> {
    check_route_free(c, t, Some(id)).await?;
    let write = route_write(n, t);
    on!(c, c => {
        diesel::update(routes::table.find(id)).set(&write).execute(c).await?
    });
    Ok(())
}

/// Every route, by model name, provider name, upstream model.
pub(super) async fn all_routes(c: &mut Conn<'_>) -> Result<Vec<Route>, StoreError> {
    let rows: Vec<JoinedRow> = on!(c, c => {
        joined!()
            .select(joined_select!())
            .order((models::name.asc(), providers::name.asc(), routes::upstream_model.asc()))
            .load(c)
            .await?
    });
    rows.into_iter().map(route_from_row).collect()
}

impl Resource for Route {
    const TABLE: Table = Table::Routes;
    type Patch = RoutePatch;

    async fn get(c: &mut Conn<'_>, id: i64) -> Result<Route, StoreError> {
        let row: Option<JoinedRow> = on!(c, c => {
            joined!()
                .filter(routes::id.eq(id))
                .select(joined_select!())
                .first(c)
                .await
                .optional()?
        });
        route_from_row(row.ok_or_else(|| super::conn::not_found(Table::Routes, id))?)
    }

    async fn update(
        c: &mut Conn<'_>,
        _store: &Store,
        id: i64,
        patch: RoutePatch,
    ) -> Result<(), StoreError> {
        patch.validate()?;
        let mut next = route_as_new(&Route::get(c, id).await?);
        let upstream_model = patch.upstream_model.map(Some);
        apply_patch!(patch => next;
            weight, priority, capabilities, param_overrides, price_input, price_output,
            price_cached_input, max_tokens_default, enabled);
        if let Some(u) = upstream_model {
            next.upstream_model = u;
        }
        next.validate()?;
        let target = resolve(c, &next).await?;
        write_route_row(c, id, &next, &target).await
    }
}

impl Create for Route {
    type New = NewRoute;

    async fn insert(c: &mut Conn<'_>, _store: &Store, new: NewRoute) -> Result<i64, StoreError> {
        new.validate()?;
        let target = resolve(c, &new).await?;
        insert_route_row(c, &new, &target).await
    }
}

impl Store {
    pub async fn list_routes(&self, f: &RouteFilter, p: Paging) -> Result<Page<Route>, StoreError> {
        tx!(&self.db, TxMode::Read, c => {
            let (total, rows) = load_page!(
                c, p, joined!(), joined_select!(), JoinedRow, routes::id.asc(),
                |q| {
                    let mut q = q;
                    if let Some(id) = f.model_id {
                        q = q.filter(routes::model_id.eq(id));
                    }
                    if let Some(id) = f.provider_id {
                        q = q.filter(routes::provider_id.eq(id));
                    }
                    if let Some(e) = f.enabled {
                        q = q.filter(routes::enabled.eq(e));
                    }
                    q
                }
            );
            let data = rows.into_iter().map(route_from_row).collect::<Result<_, _>>()?;
            Ok::<_, StoreError>(page(data, total, p))
        })
    }
}

resource_api!(Route, RoutePatch, "route" {
    get: get_route,
    update: update_route,
    delete: delete_route,
    delete_many: delete_routes,
    set_enabled: set_routes_enabled,
    create: create_route(NewRoute),
    create_many: create_routes,
});
