//! The HTTP edge: shared state, the route table and the middleware order.
//!
//! Middleware, outermost first: request context (request id + access log), then per scope
//! the admin-key check for everything under `/admin/`. Handlers live in submodules named
//! for the API they serve. Errors leave handlers as `ApiError` only.

pub mod admin;
pub mod anthropic;
pub mod client_auth;
pub mod client_ip;
pub mod gemini;
pub mod metrics;
pub mod middleware;
pub mod native;
pub mod openai;
pub mod openapi;
pub mod system;

use std::sync::Arc;
use std::time::Instant;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::accounting::Accounting;
use crate::cache::Cache;
use crate::catalog::store::Store;
use crate::catalog::LiveCatalog;
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::gateway::engine::Gateway;
use crate::gateway::key_usage::KeyUsage;
use crate::security::admin_key::AdminKey;

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub cache: Cache,
    pub catalog: Arc<LiveCatalog>,
    pub admin_key: AdminKey,
    /// The one pooled client for upstream calls.
    pub upstream: reqwest::Client,
    /// The request engine: routing, failover, health.
    pub gateway: Arc<Gateway>,
    /// Client keys' `last_used_at`, flushed in the background.
    pub key_usage: Arc<KeyUsage>,
    /// Request logs and metrics.
    pub accounting: Arc<Accounting>,
    pub started: Instant,
}

impl AppState {
    pub fn store(&self) -> &Store {
        self.catalog.store()
    }
}

/// Request body and query errors become 400s in our error shape, naming what is wrong
/// (serde's message names the field: "unknown field `wieght`", "missing field `name`").
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(4 * 1024 * 1024)
            .error_handler(|e, _| {
                let msg = match &e {
                    actix_web::error::JsonPayloadError::Deserialize(d) => {
                        format!("request body: {d}")
                    }
                    other => format!("request body: {other}"),
                };
                ApiError::BadRequest(msg).into()
            }),
    )
    // Catalog imports (xlsx workbooks included) arrive as raw bodies.
    .app_data(web::PayloadConfig::default().limit(16 * 1024 * 1024))
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| ApiError::BadRequest(format!("query string: {e}")).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|e, req| {
        ApiError::NotFound(format!(
            "no route for {} {} ({e})",
            req.method(),
            req.path()
        ))
        .into()
    }));
}

/// What `routes` serves besides the fixed table.
#[derive(Clone, Copy, Default)]
pub struct RouteOptions {
    /// `/openapi.json` and the `/docs` page are served.
    pub docs: bool,
    /// `/metrics` on this app, behind the admin key.
    pub metrics: bool,
}

impl RouteOptions {
    pub fn new(docs: bool, metrics: bool) -> RouteOptions {
        RouteOptions { docs, metrics }
    }
}

/// The OpenAPI document, serialized on its first request and then kept: most servers never
/// serve it, and building it touches much code and memory (~2 MiB of idle RSS when it was
/// built at start-up).
fn openapi_json() -> web::Bytes {
    static DOC: std::sync::OnceLock<web::Bytes> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        web::Bytes::from(serde_json::to_vec(&openapi::document()).unwrap_or_default())
    })
    .clone()
}

/// The route table. `serve` wraps it with [`middleware::request_context`].
pub fn routes(cfg: &mut web::ServiceConfig, opts: &RouteOptions) {
    extractor_config(cfg);
    // The client APIs first, OpenAI's POST endpoints first of all: actix tries routes in
    // order, and each pattern with a regex on the way (`/docs/{_:.*}`, `/models/{id:.*}`)
    // cost every chat request a regex match (~1% of the gateway's CPU at c=64).
    cfg.service(
        web::scope("/v1")
            .configure(openai::post_routes)
            .configure(anthropic::routes)
            .configure(openai::model_routes),
    )
    .service(web::scope("/v1beta").configure(gemini::routes))
    .service(web::scope("/api/v1").configure(openai::routes));
    if opts.metrics {
        cfg.service(
            web::resource("/metrics")
                .wrap(from_fn(middleware::require_admin))
                .route(web::get().to(metrics::metrics)),
        );
    }
    if opts.docs {
        cfg.route(
            "/openapi.json",
            web::get().to(|| async {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(openapi_json())
            }),
        )
        .route(
            "/docs",
            web::get().to(|| async {
                actix_web::HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        )
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::new(["/openapi.json"])),
        );
    }
    cfg.route("/health", web::get().to(system::health))
        .route("/healthz", web::get().to(system::health))
        .route("/version", web::get().to(system::version))
        .service(
            web::scope("/admin")
                .wrap(from_fn(middleware::require_admin))
                .configure(admin::routes),
        )
        .default_service(web::to(not_found));
}

async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}
