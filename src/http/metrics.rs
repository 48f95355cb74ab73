//! `GET /metrics`: Prometheus text. Counters and histograms come from finished requests;
//! gauges that describe "now" (circuit states, log queue, database and Redis) are set here,
//! at scrape time, so the request path never pays for them. On the main port it needs the
//! admin key; `metrics.listen` serves it alone on another address without auth.

use actix_web::{web, HttpResponse};

use super::AppState;
use crate::gateway::circuit::Health;

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.accounting.metrics;
    let snapshot = state.catalog.snapshot();
    for t in state.gateway.health.report() {
        let Some(p) = snapshot.provider(t.provider_id) else {
            continue; // deleted since: not a label worth keeping
        };
        let key = match t.key_id {
            None => "(provider)".to_string(),
            Some(id) => match p.keys.iter().find(|k| k.key.id == id) {
                Some(k) => k.key.label.clone(),
                None => continue,
            },
        };
        let v = match t.state {
            Health::Healthy => 0.0,
            Health::Degraded => 1.0,
            Health::Unhealthy => 2.0,
        };
        m.set_circuit(&p.provider.name, &key, v);
    }
    if let Some(w) = &state.accounting.writer {
        m.set_queue_depth(w.depth());
    }
    let deps = crate::status::check_dependencies(&state.db, &state.cache).await;
    m.set_up("database", deps.database.status == "up");
    if deps.redis.status != "disabled" {
        m.set_up("redis", deps.redis.status == "up");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m.render())
}
