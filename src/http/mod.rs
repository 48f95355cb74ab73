//! The HTTP edge: shared state, the route table and the middleware order.
//!
//! Middleware, outermost first: request context (request id + access log), then per scope
//! the admin-key check for everything under `/admin/`. Handlers live in submodules named
//! for the API they serve. Errors leave handlers as `ApiError` only.

pub mod admin;
pub mod middleware;
pub mod system;

use std::sync::Arc;
use std::time::Instant;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::cache::Cache;
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::security::admin_key::AdminKey;

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub cache: Cache,
    pub admin_key: AdminKey,
    pub started: Instant,
}

/// The route table. `serve` wraps it with [`middleware::request_context`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(system::health))
        .route("/healthz", web::get().to(system::health))
        .route("/version", web::get().to(system::version))
        .service(
            web::scope("/admin")
                .wrap(from_fn(middleware::require_admin))
                .route("/health", web::get().to(admin::health::system_health)),
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
