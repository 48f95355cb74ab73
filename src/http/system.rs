//! Unauthenticated system endpoints: liveness and version. They never touch the database,
//! so a load balancer's probe stays cheap and says only "this process answers".

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "healthy", "service": state.config.app.name }))
}

pub async fn version(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "api_version": "v1",
        "environment": state.config.app.env.as_str(),
    }))
}
