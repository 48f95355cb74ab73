//! System status: are this process's dependencies (database, Redis) answering?
//!
//! Shared by `GET /admin/health` and `health --deep`, so both report the same shape. Provider
//! health (circuits, probes) is the gateway's business, not this module's.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cache::{Cache, CacheHealth};
use crate::db::Db;

/// How long a database check may take before it counts as down.
pub const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `up`, `down` or `disabled`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DependencyReport {
    /// `healthy`, `degraded` (an optional dependency is down) or `unhealthy`.
    pub status: &'static str,
    pub database: Check,
    pub redis: Check,
}

impl DependencyReport {
    pub fn is_healthy(&self) -> bool {
        self.status == "healthy"
    }
}

pub async fn check_database(db: &Db) -> Check {
    let started = Instant::now();
    let backend = Some(db.backend().as_str());
    match tokio::time::timeout(DB_CHECK_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => Check {
            status: "up",
            latency_ms: Some(ms(started.elapsed())),
            error: None,
            backend,
        },
        Ok(Err(e)) => Check {
            status: "down",
            latency_ms: None,
            error: Some(e.to_string()),
            backend,
        },
        Err(_) => Check {
            status: "down",
            latency_ms: None,
            error: Some(format!("no answer within {DB_CHECK_TIMEOUT:?}")),
            backend,
        },
    }
}

pub async fn check_cache(cache: &Cache) -> Check {
    match cache.ping().await {
        CacheHealth::Disabled => Check {
            status: "disabled",
            latency_ms: None,
            error: None,
            backend: None,
        },
        CacheHealth::Up { latency } => Check {
            status: "up",
            latency_ms: Some(ms(latency)),
            error: None,
            backend: None,
        },
        CacheHealth::Down { error } => Check {
            status: "down",
            latency_ms: None,
            error: Some(error),
            backend: None,
        },
    }
}

/// Checks both dependencies concurrently.
pub async fn check_dependencies(db: &Db, cache: &Cache) -> DependencyReport {
    let (database, redis) = tokio::join!(check_database(db), check_cache(cache));
    let status = overall(&database, &redis);
    DependencyReport {
        status,
        database,
        redis,
    }
}

/// The database is required; Redis is optional, so Redis down only degrades.
pub fn overall(database: &Check, redis: &Check) -> &'static str {
    if database.status != "up" {
        "unhealthy"
    } else if redis.status == "down" {
        "degraded"
    } else {
        "healthy"
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}
