//! `GET /admin/health`: the operator's view of this instance — database, Redis, uptime, and
//! a summary of the upstream providers' health. 200 when healthy or degraded (Redis down),
//! 503 when the database does not answer. `GET /admin/providers/{id}/health`: one provider's
//! circuit and each of its keys'. Both read this instance's `HealthRegistry` (which other
//! instances' changes reach through Redis) for the targets in the current catalog snapshot.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::catalog::snapshot::Snapshot;
use crate::error::ApiError;
use crate::gateway::circuit::Health;
use crate::gateway::health::{HealthRegistry, TargetHealth, PROVIDER};
use crate::http::AppState;
use crate::status;

/// The health of a provider as a whole, and of each of its keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderHealth {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub health: CircuitHealth,
    pub keys: Vec<KeyHealth>,
}

/// One key's health; never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyHealth {
    pub id: i64,
    pub label: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub health: CircuitHealth,
}

/// One circuit, as this instance sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CircuitHealth {
    /// healthy: clean; degraded: recent failures, or being tested after a rest;
    /// unhealthy: resting (circuit open), getting no traffic.
    pub state: Health,
    pub consecutive_failures: u32,
    /// While unhealthy: seconds until traffic or a probe may test it again.
    pub retry_in_seconds: Option<f64>,
    /// The class of the last failure: connect, timeout, upstream_5xx, rate_limited,
    /// key_rejected, ...
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    /// The last request or probe outcome.
    pub last_check_at: Option<DateTime<Utc>>,
    /// When the circuit opened, while it is open or being tested.
    pub opened_at: Option<DateTime<Utc>>,
}

impl From<TargetHealth> for CircuitHealth {
    fn from(t: TargetHealth) -> CircuitHealth {
        CircuitHealth {
            state: t.state,
            consecutive_failures: t.consecutive_failures,
            retry_in_seconds: t.retry_in_seconds.map(|s| (s * 1000.0).ceil() / 1000.0),
            last_error: t.last_error,
            last_status: t.last_status,
            last_check_at: t.last_check_at,
            opened_at: t.opened_at,
        }
    }
}

/// `GET /admin/providers/{id}/health`.
pub async fn provider_health(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let snapshot = state.catalog.snapshot();
    let entry = snapshot
        .provider(id)
        .ok_or_else(|| ApiError::NotFound(format!("provider {id} not found")))?;
    let health = &state.gateway.health;
    let keys = entry
        .keys
        .iter()
        .map(|k| KeyHealth {
            id: k.key.id,
            label: k.key.label.clone(),
            enabled: k.key.enabled,
            health: health.target(id, k.key.id).into(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProviderHealth {
        id,
        name: entry.provider.name.clone(),
        enabled: entry.provider.enabled,
        health: health.target(id, PROVIDER).into(),
        keys,
    }))
}

/// Counts by state of the enabled providers and of their enabled keys, and every one of
/// them that is unhealthy.
fn providers_summary(snapshot: &Snapshot, health: &HealthRegistry) -> Value {
    let mut providers = [0usize; 3];
    let mut keys = [0usize; 3];
    let mut unhealthy = Vec::new();
    let slot = |h: Health| match h {
        Health::Healthy => 0,
        Health::Degraded => 1,
        Health::Unhealthy => 2,
    };
    for entry in snapshot.providers() {
        let p = &entry.provider;
        if !p.enabled {
            continue;
        }
        let t = health.target(p.id, PROVIDER);
        providers[slot(t.state)] += 1;
        if t.state == Health::Unhealthy {
            unhealthy.push(json!({
                "provider_id": p.id, "provider": p.name, "key_id": null, "key": null,
                "retry_in_seconds": t.retry_in_seconds.map(f64::ceil),
                "last_error": t.last_error, "last_status": t.last_status,
            }));
        }
        for k in entry.keys.iter().filter(|k| k.key.enabled) {
            let t = health.target(p.id, k.key.id);
            keys[slot(t.state)] += 1;
            if t.state == Health::Unhealthy {
                unhealthy.push(json!({
                    "provider_id": p.id, "provider": p.name, "key_id": k.key.id,
                    "key": k.key.label,
                    "retry_in_seconds": t.retry_in_seconds.map(f64::ceil),
                    "last_error": t.last_error, "last_status": t.last_status,
                }));
            }
        }
    }
    let counts = |c: [usize; 3]| json!({ "healthy": c[0], "degraded": c[1], "unhealthy": c[2] });
    json!({
        "providers": counts(providers),
        "keys": counts(keys),
        "unhealthy": unhealthy,
    })
}

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
    let snapshot = state.catalog.snapshot();
    let mut upstreams = providers_summary(&snapshot, &state.gateway.health);
    let resting = upstreams["unhealthy"].as_array().map_or(0, Vec::len);
    if resting > 0 {
        warnings.push(format!(
            "{resting} upstream provider(s) or key(s) are resting after failures (circuit open): \
             see providers.unhealthy or GET /admin/providers/{{id}}/health"
        ));
    }
    let hc = &state.config.health_check;
    upstreams["probes"] = json!({
        "enabled": hc.enabled,
        "probe": hc.probe.as_str(),
        "interval_seconds": hc.interval.as_secs_f64(),
    });
    let body = json!({
        "status": report.status,
        "service": state.config.app.name,
        "version": env!("CARGO_PKG_VERSION"),
        "environment": state.config.app.env.as_str(),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "database": report.database,
        "redis": report.redis,
        "providers": upstreams,
        "admin_key_source": format!("{:?}", state.admin_key.source).to_lowercase(),
        "warnings": warnings,
    });
    if report.status == "unhealthy" {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}
