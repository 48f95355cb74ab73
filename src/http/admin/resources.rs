//! The catalog's CRUD endpoints, written once.
//!
//! Providers, models, routes and client keys all offer the same operations — list (filters,
//! paging), get, create, PATCH, delete, and batch create / delete / enable / disable — so
//! each is a [`Resource`] implementation of a few one-line store calls, and the handlers
//! below are generic over it. Every write rebuilds this instance's snapshot and tells the
//! other instances (`LiveCatalog::changed`).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::model::*;
use crate::catalog::store::{Store, StoreError};
use actix_web::http::Method;
use utoipa::ToSchema;

use super::table::{doc, RouteTable};
use crate::error::ApiError;
use crate::http::AppState;

/// One catalog resource as the admin API sees it.
// actix runs handlers on single-threaded workers, so these futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Resource: 'static {
    /// Path segment, e.g. `providers`.
    const PATH: &'static str;
    /// The singular, for documentation: `provider`.
    const NOUN: &'static str;
    /// Query parameters `list` accepts besides `limit` and `offset`.
    const FILTERS: &'static [&'static str];
    type Item: Serialize + ToSchema;
    type Created: Serialize + ToSchema;
    type New: DeserializeOwned + ToSchema;
    type Patch: DeserializeOwned + ToSchema;
    type Filter: DeserializeOwned;

    async fn list(s: &Store, f: &Self::Filter, p: Paging) -> Result<Page<Self::Item>, StoreError>;
    async fn get(s: &Store, id: i64) -> Result<Self::Item, StoreError>;
    async fn create(s: &Store, new: Self::New) -> Result<Self::Created, StoreError>;
    async fn update(s: &Store, id: i64, patch: Self::Patch) -> Result<Self::Item, StoreError>;
    async fn delete(s: &Store, id: i64) -> Result<(), StoreError>;
    async fn create_many(
        s: &Store,
        items: Vec<Self::New>,
    ) -> Result<Vec<Self::Created>, StoreError>;
    async fn delete_many(s: &Store, ids: &[i64]) -> Result<u64, StoreError>;
    async fn set_enabled(s: &Store, ids: &[i64], enabled: bool) -> Result<u64, StoreError>;
}

/// Registers the routes of `R` under `/<R::PATH>` (inside the `/admin` scope).
pub fn register<R: Resource>(t: &mut RouteTable<'_>) {
    let base = format!("/{}", R::PATH);
    let one = format!("{base}/{{id}}");
    let (tag, noun) = (R::PATH, R::NOUN);
    let filters = R::FILTERS.join(", ");
    t.add(
        Method::GET,
        &base,
        doc(tag, format!("List {noun}s (filters: {filters}; limit, offset)")).returns_page::<R::Item>(),
        list::<R>,
    )
    .add(Method::POST, &base, doc(tag, format!("Create a {noun}")).body::<R::New>().returns::<R::Created>(201), create::<R>)
    .add(
        Method::POST,
        &format!("{base}/batch"),
        doc(tag, format!("Batch create, delete, enable or disable {noun}s, all or nothing"))
            .body_object(r#"{"action":"create","items":[...]} or {"action":"delete"|"enable"|"disable","ids":[...]}"#)
            .returns_object(200, r#"{"data":[...]} for create (201), {"affected":n} otherwise"#),
        batch::<R>,
    )
    .add(Method::GET, &one, doc(tag, format!("Get a {noun}")).returns::<R::Item>(200), get::<R>)
    .add(
        Method::PATCH,
        &one,
        doc(tag, format!("Change a {noun}: only the fields sent; unknown fields are a 400"))
            .body::<R::Patch>()
            .returns::<R::Item>(200),
        update::<R>,
    )
    .add(Method::DELETE, &one, doc(tag, format!("Delete a {noun}")).no_content(), delete::<R>);
}

/// Parses `?limit=&offset=&<filters>`; an unknown parameter is a 400 naming it, so a typo
/// never silently widens a listing.
pub fn list_query<F: DeserializeOwned>(
    req: &HttpRequest,
    allowed: &[&str],
) -> Result<(F, Paging), ApiError> {
    let raw: HashMap<String, String> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::BadRequest(format!("query string: {e}")))?;
    if let Some(bad) = raw
        .keys()
        .find(|k| !allowed.contains(&k.as_str()) && *k != "limit" && *k != "offset")
    {
        return Err(ApiError::Invalid {
            param: bad.clone(),
            message: format!(
                "unknown query parameter; known: limit, offset, {}",
                allowed.join(", ")
            ),
        });
    }
    let number = |name: &str| -> Result<Option<i64>, ApiError> {
        raw.get(name)
            .map(|v| {
                v.parse().map_err(|_| ApiError::Invalid {
                    param: name.into(),
                    message: format!("`{v}` is not a whole number"),
                })
            })
            .transpose()
    };
    let paging = Paging::new(number("limit")?, number("offset")?).map_err(ApiError::from)?;
    let filter = serde_urlencoded::from_str::<F>(req.query_string())
        .map_err(|e| ApiError::BadRequest(format!("query string: {e}")))?;
    Ok((filter, paging))
}

async fn list<R: Resource>(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (filter, paging) = list_query::<R::Filter>(&req, R::FILTERS)?;
    Ok(HttpResponse::Ok().json(R::list(state.store(), &filter, paging).await?))
}

async fn get<R: Resource>(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(R::get(state.store(), id.into_inner()).await?))
}

async fn create<R: Resource>(
    state: web::Data<AppState>,
    body: web::Json<R::New>,
) -> Result<HttpResponse, ApiError> {
    let created = R::create(state.store(), body.into_inner()).await?;
    state.catalog.changed().await;
    Ok(HttpResponse::Created().json(created))
}

async fn update<R: Resource>(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<R::Patch>,
) -> Result<HttpResponse, ApiError> {
    let item = R::update(state.store(), id.into_inner(), body.into_inner()).await?;
    state.catalog.changed().await;
    Ok(HttpResponse::Ok().json(item))
}

async fn delete<R: Resource>(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    R::delete(state.store(), id.into_inner()).await?;
    state.catalog.changed().await;
    Ok(HttpResponse::NoContent().finish())
}

/// `{"action":"create","items":[...]}` or `{"action":"delete"|"enable"|"disable","ids":[...]}`.
/// All or nothing: one bad item or unknown id and nothing is written.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Batch<N> {
    Create { items: Vec<N> },
    Delete { ids: Vec<i64> },
    Enable { ids: Vec<i64> },
    Disable { ids: Vec<i64> },
}

async fn batch<R: Resource>(
    state: web::Data<AppState>,
    body: web::Json<Batch<R::New>>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store();
    let response = match body.into_inner() {
        Batch::Create { items } => {
            let created = R::create_many(store, items).await?;
            HttpResponse::Created().json(json!({ "data": created }))
        }
        Batch::Delete { ids } => affected(R::delete_many(store, &ids).await?),
        Batch::Enable { ids } => affected(R::set_enabled(store, &ids, true).await?),
        Batch::Disable { ids } => affected(R::set_enabled(store, &ids, false).await?),
    };
    state.catalog.changed().await;
    Ok(response)
}

pub fn affected(n: u64) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "affected": n }))
}

pub struct Providers;
pub struct Models;
pub struct Routes;
pub struct ClientKeys;

impl Resource for Providers {
    const PATH: &'static str = "providers";
    const NOUN: &'static str = "provider";
    const FILTERS: &'static [&'static str] = &["enabled", "kind", "q"];
    type Item = Provider;
    type Created = Provider;
    type New = NewProvider;
    type Patch = ProviderPatch;
    type Filter = ProviderFilter;

    async fn list(s: &Store, f: &ProviderFilter, p: Paging) -> Result<Page<Provider>, StoreError> {
        s.list_providers(f, p).await
    }
    async fn get(s: &Store, id: i64) -> Result<Provider, StoreError> {
        s.get_provider(id).await
    }
    async fn create(s: &Store, new: NewProvider) -> Result<Provider, StoreError> {
        s.create_provider(new).await
    }
    async fn update(s: &Store, id: i64, patch: ProviderPatch) -> Result<Provider, StoreError> {
        s.update_provider(id, patch).await
    }
    async fn delete(s: &Store, id: i64) -> Result<(), StoreError> {
        s.delete_provider(id).await
    }
    async fn create_many(s: &Store, items: Vec<NewProvider>) -> Result<Vec<Provider>, StoreError> {
        s.create_providers(items).await
    }
    async fn delete_many(s: &Store, ids: &[i64]) -> Result<u64, StoreError> {
        s.delete_providers(ids).await
    }
    async fn set_enabled(s: &Store, ids: &[i64], on: bool) -> Result<u64, StoreError> {
        s.set_providers_enabled(ids, on).await
    }
}

impl Resource for Models {
    const PATH: &'static str = "models";
    const NOUN: &'static str = "model";
    const FILTERS: &'static [&'static str] = &["enabled", "q"];
    type Item = Model;
    type Created = Model;
    type New = NewModel;
    type Patch = ModelPatch;
    type Filter = ModelFilter;

    async fn list(s: &Store, f: &ModelFilter, p: Paging) -> Result<Page<Model>, StoreError> {
        s.list_models(f, p).await
    }
    async fn get(s: &Store, id: i64) -> Result<Model, StoreError> {
        s.get_model(id).await
    }
    async fn create(s: &Store, new: NewModel) -> Result<Model, StoreError> {
        s.create_model(new).await
    }
    async fn update(s: &Store, id: i64, patch: ModelPatch) -> Result<Model, StoreError> {
        s.update_model(id, patch).await
    }
    async fn delete(s: &Store, id: i64) -> Result<(), StoreError> {
        s.delete_model(id).await
    }
    async fn create_many(s: &Store, items: Vec<NewModel>) -> Result<Vec<Model>, StoreError> {
        s.create_models(items).await
    }
    async fn delete_many(s: &Store, ids: &[i64]) -> Result<u64, StoreError> {
        s.delete_models(ids).await
    }
    async fn set_enabled(s: &Store, ids: &[i64], on: bool) -> Result<u64, StoreError> {
        s.set_models_enabled(ids, on).await
    }
}

impl Resource for Routes {
    const PATH: &'static str = "routes";
    const NOUN: &'static str = "route";
    const FILTERS: &'static [&'static str] = &["model_id", "provider_id", "enabled"];
    type Item = Route;
    type Created = Route;
    type New = NewRoute;
    type Patch = RoutePatch;
    type Filter = RouteFilter;

    async fn list(s: &Store, f: &RouteFilter, p: Paging) -> Result<Page<Route>, StoreError> {
        s.list_routes(f, p).await
    }
    async fn get(s: &Store, id: i64) -> Result<Route, StoreError> {
        s.get_route(id).await
    }
    async fn create(s: &Store, new: NewRoute) -> Result<Route, StoreError> {
        s.create_route(new).await
    }
    async fn update(s: &Store, id: i64, patch: RoutePatch) -> Result<Route, StoreError> {
        s.update_route(id, patch).await
    }
    async fn delete(s: &Store, id: i64) -> Result<(), StoreError> {
        s.delete_route(id).await
    }
    async fn create_many(s: &Store, items: Vec<NewRoute>) -> Result<Vec<Route>, StoreError> {
        s.create_routes(items).await
    }
    async fn delete_many(s: &Store, ids: &[i64]) -> Result<u64, StoreError> {
        s.delete_routes(ids).await
    }
    async fn set_enabled(s: &Store, ids: &[i64], on: bool) -> Result<u64, StoreError> {
        s.set_routes_enabled(ids, on).await
    }
}

impl Resource for ClientKeys {
    const PATH: &'static str = "client-keys";
    const NOUN: &'static str = "client key";
    const FILTERS: &'static [&'static str] = &["enabled", "q"];
    type Item = ClientKey;
    type Created = IssuedClientKey;
    type New = NewClientKey;
    type Patch = ClientKeyPatch;
    type Filter = ClientKeyFilter;

    async fn list(
        s: &Store,
        f: &ClientKeyFilter,
        p: Paging,
    ) -> Result<Page<ClientKey>, StoreError> {
        s.list_client_keys(f, p).await
    }
    async fn get(s: &Store, id: i64) -> Result<ClientKey, StoreError> {
        s.get_client_key(id).await
    }
    async fn create(s: &Store, new: NewClientKey) -> Result<IssuedClientKey, StoreError> {
        s.create_client_key(new).await
    }
    async fn update(s: &Store, id: i64, patch: ClientKeyPatch) -> Result<ClientKey, StoreError> {
        s.update_client_key(id, patch).await
    }
    async fn delete(s: &Store, id: i64) -> Result<(), StoreError> {
        s.delete_client_key(id).await
    }
    async fn create_many(
        s: &Store,
        items: Vec<NewClientKey>,
    ) -> Result<Vec<IssuedClientKey>, StoreError> {
        s.create_client_keys(items).await
    }
    async fn delete_many(s: &Store, ids: &[i64]) -> Result<u64, StoreError> {
        s.delete_client_keys(ids).await
    }
    async fn set_enabled(s: &Store, ids: &[i64], on: bool) -> Result<u64, StoreError> {
        s.set_client_keys_enabled(ids, on).await
    }
}
