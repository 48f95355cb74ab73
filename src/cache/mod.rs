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
    /// Boxed: the client and pool are large, and `Disabled` is the common case.
    Redis(Box<RedisCache>),
    Disabled,
}

#[derive(Clone)]
pub struct RedisCache {
    pool: bb8::Pool<RedisManager>,
    /// For pub/sub, which needs a connection of its own.
    client: redis::Client,
    timeout: Duration,
    url: String,
    prefix: String,
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
        let invalid =
            |e: redis::RedisError| format!("redis.url `{}` is not valid: {e}", redact(&cfg.url));
        let manager = RedisManager::new(&cfg.url, cfg.timeout).map_err(invalid)?;
        let client = redis::Client::open(cfg.url.as_str()).map_err(invalid)?;
        let pool = bb8::Pool::builder()
            .max_size(cfg.pool_size)
            .connection_timeout(cfg.timeout)
            // A checkout would otherwise cost a PING round trip; broken connections are
            // dropped by bb8 when a command fails on them.
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Cache::Redis(Box::new(RedisCache {
            pool,
            client,
            timeout: cfg.timeout,
            url: redact(&cfg.url),
            prefix: cfg.key_prefix.clone(),
        })))
    }

    pub fn is_enabled(&self) -> bool {
        matches!(self, Cache::Redis(_))
    }

    /// `<prefix>:<name>`: every key and channel goes through here.
    pub fn key(&self, name: &str) -> Option<String> {
        match self {
            Cache::Redis(r) => Some(format!("{}:{name}", r.prefix)),
            Cache::Disabled => None,
        }
    }

    /// Publishes `message` on `<prefix>:<channel>` within the time box. Disabled: a no-op.
    pub async fn publish(&self, channel: &str, message: &str) -> Result<(), String> {
        let Cache::Redis(r) = self else {
            return Ok(());
        };
        let channel = format!("{}:{channel}", r.prefix);
        let attempt = async {
            let mut conn = r.pool.get().await.map_err(|e| e.to_string())?;
            conn.query::<i64>(redis::cmd("PUBLISH").arg(&channel).arg(message))
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(r.timeout, attempt).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("{}: {e}", r.url)),
            Err(_) => Err(format!("{}: no answer within {:?}", r.url, r.timeout)),
        }
    }

    /// Subscribes to `<prefix>:<channel>` on a dedicated connection that reconnects by itself.
    /// Each message arrives on the returned receiver as `Some(payload)`; `None` arrives each
    /// time the subscription is (re)established, because messages sent while it was down are
    /// lost and the receiver should resynchronise. Disabled: `None`.
    pub fn subscribe(&self, channel: &str) -> Option<tokio::sync::mpsc::Receiver<Option<String>>> {
        let Cache::Redis(r) = self else {
            return None;
        };
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let channel = format!("{}:{channel}", r.prefix);
        let (client, url) = (r.client.clone(), r.url.clone());
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match subscribe_once(&client, &channel, &tx).await {
                    Ok(()) => return, // the receiver is gone
                    Err(e) => tracing::debug!("redis subscription to {channel} at {url}: {e}"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        });
        Some(rx)
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

/// One subscription session: returns Ok when the receiver is gone, Err when Redis is.
async fn subscribe_once(
    client: &redis::Client,
    channel: &str,
    tx: &tokio::sync::mpsc::Sender<Option<String>>,
) -> Result<(), String> {
    use futures::StreamExt;
    let mut pubsub = client.get_async_pubsub().await.map_err(|e| e.to_string())?;
    pubsub.subscribe(channel).await.map_err(|e| e.to_string())?;
    tracing::debug!("subscribed to {channel}");
    if tx.send(None).await.is_err() {
        return Ok(());
    }
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let payload: String = msg.get_payload().unwrap_or_default();
        if tx.send(Some(payload)).await.is_err() {
            return Ok(());
        }
    }
    Err("subscription closed".into())
}
