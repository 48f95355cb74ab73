//! The optional Redis side of the gateway: `Cache { Redis(pool), Disabled }`.
//!
//! Nothing the gateway must do depends on Redis being up. Every call is time-boxed by
//! `redis.timeout` and fails open: a caller gets an error value to log or report, never a
//! hang. The pool is built lazily (`build_unchecked`), so a Redis that is down at start does
//! not stop `serve`; bb8 opens new connections on demand, which is how we reconnect.
//! Later issues add pub/sub catalog invalidation, shared counters and health here.

use std::time::{Duration, Instant};

mod pool;

use pool::RedisManager;

use crate::config::RedisConfig;
use crate::db::url::redact;

#[derive(Clone)]
pub enum Cache {
    Redis(RedisCache),
    Disabled,
}

#[derive(Clone)]
pub struct RedisCache {
    pool: bb8::Pool<RedisManager>,
    timeout: Duration,
    url: String,
}

/// What a ping found, for `/admin/health` and `health --deep`.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheHealth {
    Disabled,
    Up { latency: Duration },
    Down { error: String },
}

impl CacheHealth {
    pub fn as_str(&self) -> &'static str {
        match self {
            CacheHealth::Disabled => "disabled",
            CacheHealth::Up { .. } => "up",
            CacheHealth::Down { .. } => "down",
        }
    }
}

impl Cache {
    /// Builds the pool without connecting; only a malformed URL is an error here.
    pub fn new(cfg: &RedisConfig) -> Result<Cache, String> {
        if !cfg.enabled {
            return Ok(Cache::Disabled);
        }
        let manager = RedisManager::new(&cfg.url, cfg.timeout)
            .map_err(|e| format!("redis.url `{}` is not valid: {e}", redact(&cfg.url)))?;
        let pool = bb8::Pool::builder()
            .max_size(cfg.pool_size)
            .connection_timeout(cfg.timeout)
            // A checkout would otherwise cost a PING round trip; broken connections are
            // dropped by bb8 when a command fails on them.
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Cache::Redis(RedisCache {
            pool,
            timeout: cfg.timeout,
            url: redact(&cfg.url),
        }))
    }

    pub fn is_enabled(&self) -> bool {
        matches!(self, Cache::Redis(_))
    }

    /// Sends PING within the configured timeout.
    pub async fn ping(&self) -> CacheHealth {
        let Cache::Redis(r) = self else {
            return CacheHealth::Disabled;
        };
        let started = Instant::now();
        let attempt = async {
            let mut conn = r.pool.get().await.map_err(|e| e.to_string())?;
            let pong: String = conn
                .query(&redis::cmd("PING"))
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(pong)
        };
        match tokio::time::timeout(r.timeout, attempt).await {
            Ok(Ok(_)) => CacheHealth::Up {
                latency: started.elapsed(),
            },
            Ok(Err(e)) => CacheHealth::Down {
                error: format!("{}: {e}", r.url),
            },
            Err(_) => CacheHealth::Down {
                error: format!("{}: no answer within {:?}", r.url, r.timeout),
            },
        }
    }
}

/// Pings Redis every `every` and logs when it goes away or comes back, so an operator sees
/// the outage and the recovery in the log. bb8 itself reconnects on the next use.
pub async fn watch(cache: Cache, every: Duration) {
    let mut was_up = matches!(cache.ping().await, CacheHealth::Up { .. });
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = cache.ping().await;
        match (&now, was_up) {
            (CacheHealth::Up { .. }, false) => tracing::info!("redis reachable again"),
            (CacheHealth::Down { error }, true) => tracing::warn!("redis lost: {error}"),
            _ => {}
        }
        was_up = matches!(now, CacheHealth::Up { .. });
    }
}
