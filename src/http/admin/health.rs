//! `GET /admin/health`: the operator's view of this instance — database, Redis, uptime.
//! 200 when healthy or degraded (Redis down), 503 when the database does not answer.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::http::AppState;
use crate::status;

pub async fn system_health(state: web::Data<AppState>) -> HttpResponse {
    let report = status::check_dependencies(&state.db, &state.cache).await;
    let mut warnings: Vec<String> = Vec::new();
    if report.redis.status == "down" {
        warnings.push("redis is down: instances do not share state until it is back".into());
    }
    if state.catalog.snapshot().client_key_count() == 0 && state.gateway.config_key_count() == 0 {
        warnings.push(
            "no client keys: every /v1 request is refused with 401 until one is created \
             (POST /admin/client-keys or `llm-orchestrator keys create`)"
                .into(),
        );
    }
    let body = json!({
        "status": report.status,
        "service": state.config.app.name,
        "version": env!("CARGO_PKG_VERSION"),
        "environment": state.config.app.env.as_str(),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "database": report.database,
        "redis": report.redis,
        "admin_key_source": format!("{:?}", state.admin_key.source).to_lowercase(),
        "warnings": warnings,
    });
    if report.status == "unhealthy" {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}
