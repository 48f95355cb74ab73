//! Catalog endpoints that are not plain CRUD: a provider's keys (nested under the provider),
//! client key rotation and revocation, and the snapshot this instance is serving.
//! Plain CRUD for every resource is in `resources`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::resources::{affected, Batch};
use super::table::{doc, RouteTable};
use actix_web::http::Method;

use crate::catalog::formats::{self, Format};
use crate::catalog::model::{
    Capability, CatalogDoc, ClientKey, ImportOptions, ImportReport, IssuedClientKey, ModelDoc,
    NewProviderKey, ProviderKey, ProviderKeyPatch, RouteDoc,
};
use crate::catalog::snapshot::ProviderEntry;
use crate::error::ApiError;
use crate::http::middleware::RequestId;
use crate::http::AppState;
use crate::providers::discovery::{self, UpstreamModel};

pub fn register(t: &mut RouteTable<'_>) {
    let keys = "provider keys";
    t.add(Method::GET, "/providers/{id}/keys", doc(keys, "List a provider's keys (masked)").returns_items::<ProviderKey>(200), list_keys)
        .add(
            Method::POST,
            "/providers/{id}/keys",
            doc(keys, "Add a key to a provider (stored encrypted)").body::<NewProviderKey>().returns::<ProviderKey>(201),
            create_key,
        )
        .add(
            Method::POST,
            "/providers/{id}/keys/batch",
            doc(keys, "Batch create, delete, enable or disable this provider's keys")
                .body_object(r#"{"action":"create","items":[...]} or {"action":"delete"|"enable"|"disable","ids":[...]}"#)
                .returns_object(200, r#"{"data":[...]} for create (201), {"affected":n} otherwise"#),
            batch_keys,
        )
        .add(Method::GET, "/provider-keys/{id}", doc(keys, "Get a provider key (masked)").returns::<ProviderKey>(200), get_key)
        .add(
            Method::PATCH,
            "/provider-keys/{id}",
            doc(keys, "Change a provider key (label, secret, enabled, weight)").body::<ProviderKeyPatch>().returns::<ProviderKey>(200),
            update_key,
        )
        .add(Method::DELETE, "/provider-keys/{id}", doc(keys, "Delete a provider key").no_content(), delete_key)
        .add(
            Method::POST,
            "/client-keys/{id}/rotate",
            doc("client-keys", "Issue a new secret for a client key (shown once)").returns::<IssuedClientKey>(200),
            rotate_client_key,
        )
        .add(
            Method::POST,
            "/client-keys/{id}/revoke",
            doc("client-keys", "Disable a client key").returns::<ClientKey>(200),
            revoke_client_key,
        )
        .add(
            Method::GET,
            "/catalog/export",
            doc("catalog", "The whole catalog as a file (?format=toml|json|xlsx; ?include_secrets=true writes provider keys in clear and is logged)")
                .returns_object(200, "the file, as an attachment"),
            export_catalog,
        )
        .add(
            Method::POST,
            "/catalog/import",
            doc("catalog", "Apply a catalog file in one transaction (?format=toml|json|xlsx, default from Content-Type; ?dry_run=true; ?prune=true)")
                .body_object("the file's bytes: TOML, JSON or an xlsx workbook")
                .returns::<ImportReport>(200),
            import_catalog,
        )
        .add(
            Method::GET,
            "/catalog/snapshot",
            doc("catalog", "The snapshot this instance routes by")
                .returns_object(200, "version, loaded_at, providers, provider_keys, models, routes, client_keys"),
            snapshot,
        )
        .add(
            Method::GET,
            "/providers/{id}/models",
            doc("providers", "List the upstream's models live, marking those already routed")
                .returns_object(200, r#"{"provider":name,"data":[{"id","display_name","routed"}]}"#),
            discover_models,
        )
        .add(
            Method::POST,
            "/providers/{id}/models/import",
            doc("providers", "Create models and routes for chosen upstream models, in one transaction")
                .body_object(r#"{"models":[ids] (absent = all), "weight":1, "priority":0, "capabilities":[...]}"#)
                .returns::<ImportReport>(200),
            import_models,
        );
}

async fn list_keys(
    state: web::Data<AppState>,
    provider: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let keys = state
        .store()
        .list_provider_keys(provider.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "data": keys })))
}

async fn create_key(
    state: web::Data<AppState>,
    provider: web::Path<i64>,
    body: web::Json<NewProviderKey>,
) -> Result<HttpResponse, ApiError> {
    let key = state
        .store()
        .create_provider_key(provider.into_inner(), body.into_inner())
        .await?;
    state.catalog.changed().await;
    Ok(HttpResponse::Created().json(key))
}

async fn batch_keys(
    state: web::Data<AppState>,
    provider: web::Path<i64>,
    body: web::Json<Batch<NewProviderKey>>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store();
    let provider = provider.into_inner();
    let response = match body.into_inner() {
        Batch::Create { items } => {
            let created = store.create_provider_keys(provider, items).await?;
            HttpResponse::Created().json(json!({ "data": created }))
        }
        // Ids must belong to this provider: a batch under one provider never touches another's.
        Batch::Delete { ids } => {
            check_keys_belong(&state, provider, &ids).await?;
            affected(store.delete_provider_keys(&ids).await?)
        }
        Batch::Enable { ids } => {
            check_keys_belong(&state, provider, &ids).await?;
            affected(store.set_provider_keys_enabled(&ids, true).await?)
        }
        Batch::Disable { ids } => {
            check_keys_belong(&state, provider, &ids).await?;
            affected(store.set_provider_keys_enabled(&ids, false).await?)
        }
    };
    state.catalog.changed().await;
    Ok(response)
}

async fn check_keys_belong(state: &AppState, provider: i64, ids: &[i64]) -> Result<(), ApiError> {
    let keys = state.store().list_provider_keys(provider).await?;
    match ids.iter().find(|id| !keys.iter().any(|k| k.id == **id)) {
        Some(id) => Err(ApiError::NotFound(format!(
            "provider {provider} has no key {id}"
        ))),
        None => Ok(()),
    }
}

async fn get_key(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store().get_provider_key(id.into_inner()).await?))
}

async fn update_key(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ProviderKeyPatch>,
) -> Result<HttpResponse, ApiError> {
    let key = state
        .store()
        .update_provider_key(id.into_inner(), body.into_inner())
        .await?;
    state.catalog.changed().await;
    Ok(HttpResponse::Ok().json(key))
}

async fn delete_key(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state.store().delete_provider_key(id.into_inner()).await?;
    state.catalog.changed().await;
    Ok(HttpResponse::NoContent().finish())
}

async fn rotate_client_key(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let issued = state.store().rotate_client_key(id.into_inner()).await?;
    state.catalog.changed().await;
    Ok(HttpResponse::Ok().json(issued))
}

async fn revoke_client_key(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let key = state.store().revoke_client_key(id.into_inner()).await?;
    state.catalog.changed().await;
    Ok(HttpResponse::Ok().json(key))
}

/// The snapshot this instance routes by: version, load time, counts and model names.
async fn snapshot(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.catalog.snapshot().summary())
}

/// Discovery waits at most this long unless the provider sets a total timeout.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The provider as the snapshot has it (with decrypted keys), or 404.
fn provider_entry(state: &AppState, id: i64) -> Result<Arc<ProviderEntry>, ApiError> {
    state
        .catalog
        .snapshot()
        .provider(id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("provider {id} not found")))
}

async fn upstream_models(
    state: &AppState,
    entry: &ProviderEntry,
) -> Result<Vec<UpstreamModel>, ApiError> {
    let p = &entry.provider;
    let key = entry
        .keys
        .iter()
        .find(|k| k.key.enabled)
        .ok_or_else(|| ApiError::Invalid {
            param: "keys".into(),
            message: format!("provider `{}` has no enabled key to ask with", p.name),
        })?;
    let timeout = p
        .total_timeout_ms
        .map(|ms| Duration::from_millis(ms.max(1) as u64))
        .unwrap_or(DISCOVERY_TIMEOUT);
    discovery::list_models(&state.upstream, p, key.secret(), timeout)
        .await
        .map_err(|e| ApiError::BadGateway(e.to_string()))
}

/// `GET /admin/providers/{id}/models`: what the upstream serves, live, and which of those
/// models already have a route to this provider.
async fn discover_models(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let entry = provider_entry(&state, id.into_inner())?;
    let models = upstream_models(&state, &entry).await?;
    let snapshot = state.catalog.snapshot();
    let routed = |upstream: &str| {
        snapshot.models().iter().any(|m| {
            m.routes.iter().any(|r| {
                r.route.provider_id == entry.provider.id && r.route.upstream_model == upstream
            })
        })
    };
    let data: Vec<_> = models
        .iter()
        .map(|m| json!({ "id": m.id, "display_name": m.display_name, "routed": routed(&m.id) }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "provider": entry.provider.name, "data": data })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportModels {
    /// Upstream model ids to import; absent = every model the upstream lists.
    #[serde(default)]
    models: Option<Vec<String>>,
    #[serde(default = "one")]
    weight: i32,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    capabilities: Option<Vec<Capability>>,
}

fn one() -> i32 {
    1
}

/// `POST /admin/providers/{id}/models/import`: creates a model (named as upstream) and a
/// route to this provider for each chosen upstream model, in one transaction. Models and
/// routes that already exist are left as they are.
async fn import_models(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ImportModels>,
) -> Result<HttpResponse, ApiError> {
    let entry = provider_entry(&state, id.into_inner())?;
    let body = body.into_inner();
    let upstream = upstream_models(&state, &entry).await?;
    let chosen: Vec<String> = match body.models {
        Some(names) => {
            if let Some(missing) = names.iter().find(|n| !upstream.iter().any(|m| &m.id == *n)) {
                return Err(ApiError::Invalid {
                    param: "models".into(),
                    message: format!("the upstream does not list `{missing}`"),
                });
            }
            names
        }
        None => upstream.iter().map(|m| m.id.clone()).collect(),
    };
    let snapshot = state.catalog.snapshot();
    let provider = &entry.provider;
    let mut doc = CatalogDoc::default();
    for name in &chosen {
        let existing = snapshot.model(name);
        if existing.is_none() {
            doc.models.push(ModelDoc {
                name: name.clone(),
                aliases: Vec::new(),
                description: format!("imported from {}", provider.name),
                enabled: true,
                present_requested_name: false,
            });
        }
        let routed = existing.is_some_and(|m| {
            m.routes
                .iter()
                .any(|r| r.route.provider_id == provider.id && r.route.upstream_model == *name)
        });
        if !routed {
            doc.routes.push(RouteDoc {
                model: existing
                    .map(|m| m.model.name.clone())
                    .unwrap_or_else(|| name.clone()),
                provider: provider.name.clone(),
                upstream_model: Some(name.clone()),
                weight: body.weight,
                priority: body.priority,
                capabilities: body
                    .capabilities
                    .clone()
                    .unwrap_or_else(|| Capability::DEFAULT.to_vec()),
                param_overrides: Default::default(),
                price_input: 0.0,
                price_output: 0.0,
                price_cached_input: None,
                max_tokens_default: None,
                enabled: true,
            });
        }
    }
    let report = state
        .store()
        .import_catalog(&doc, ImportOptions::default())
        .await?;
    state.catalog.changed().await;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    include_secrets: bool,
}

fn parse_format(param: Option<&str>, content_type: Option<&str>) -> Result<Format, ApiError> {
    if let Some(f) = param {
        return f.parse().map_err(|e: String| ApiError::Invalid {
            param: "format".into(),
            message: e,
        });
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    Ok(if ct.contains("json") {
        Format::Json
    } else if ct.contains("spreadsheetml") || ct.contains("excel") {
        Format::Xlsx
    } else {
        Format::Toml
    })
}

/// `GET /admin/catalog/export`: the declarative file an operator keeps in git. Secrets stay
/// masked unless `include_secrets=true`, which is logged as a warning with the request id.
async fn export_catalog(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = parse_format(q.format.as_deref(), None)?;
    if q.include_secrets {
        let id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        tracing::warn!(request_id = %id, "catalog exported WITH provider keys in clear");
    }
    let doc = state.store().export_catalog(q.include_secrets).await?;
    let bytes = formats::render(format, &doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let content_type = match format {
        Format::Toml => "application/toml",
        Format::Json => "application/json",
        Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"llm-orchestrator-catalog.{}\"",
                format.as_str()
            ),
        ))
        .body(bytes))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    prune: bool,
}

/// `POST /admin/catalog/import`: the body is the file. A file that does not parse or apply
/// changes nothing and answers 400 with every problem found.
async fn import_catalog(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    let format = parse_format(q.format.as_deref(), content_type)?;
    let parsed = formats::parse(format, &body)
        .map_err(|e| ApiError::BadRequest(format!("catalog file: {}", e.lines().join("; "))))?;
    let opts = ImportOptions {
        dry_run: q.dry_run,
        prune: q.prune,
    };
    let report = state.store().import_catalog(&parsed.doc, opts).await?;
    if !report.dry_run && !report.changes.is_empty() {
        state.catalog.changed().await;
    }
    let mut value = serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    value["warnings"] = json!(parsed.warnings);
    Ok(HttpResponse::Ok().json(value))
}
