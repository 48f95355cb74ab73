//! Circuit changes shared between instances through Redis, and logged.
//!
//! Every circuit that opens or closes through this instance's own traffic or probes (the
//! registry's [`Change`]s) is logged and published on `<redis.key_prefix>:health` with this
//! instance's id; every instance applies what the others publish
//! ([`HealthRegistry::apply_remote`]): a key that opened elsewhere rests here too for what is
//! left of its rest, one that closed elsewhere closes here. An instance ignores its own
//! messages. Redis is a courtesy here: when it is down or disabled, each instance learns from
//! its own traffic and probes, and serving does not change.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::health::{Change, ChangeState, HealthRegistry, PROVIDER};
use crate::cache::Cache;
use crate::catalog::LiveCatalog;

/// The channel, under `redis.key_prefix`.
pub const CHANNEL: &str = "health";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Message {
    /// Who sent it, so the sender ignores it.
    instance: String,
    provider_id: i64,
    /// 0 for the provider as a whole.
    key_id: i64,
    state: WireState,
    /// Open: how long the circuit rests from now.
    #[serde(default)]
    retry_in_ms: u64,
    #[serde(default)]
    last_error: Option<String>,
    #[serde(default)]
    last_status: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WireState {
    Open,
    Closed,
}

impl Message {
    fn of(change: &Change, instance: &str) -> Message {
        let (state, rest) = match change.state {
            ChangeState::Opened { rest } => (WireState::Open, rest),
            ChangeState::Closed => (WireState::Closed, Duration::ZERO),
        };
        Message {
            instance: instance.to_string(),
            provider_id: change.provider_id,
            key_id: change.key_id,
            state,
            retry_in_ms: u64::try_from(rest.as_millis()).unwrap_or(u64::MAX),
            last_error: change.last_error.clone(),
            last_status: change.last_status,
        }
    }

    fn change(&self) -> Change {
        Change {
            provider_id: self.provider_id,
            key_id: self.key_id,
            state: match self.state {
                WireState::Open => ChangeState::Opened {
                    rest: Duration::from_millis(self.retry_in_ms),
                },
                WireState::Closed => ChangeState::Closed,
            },
            last_error: self.last_error.clone(),
            last_status: self.last_status,
        }
    }
}

/// Starts logging and publishing this instance's changes and, with Redis, applying the
/// others'. Call once, before traffic.
pub fn start(health: Arc<HealthRegistry>, cache: Cache, catalog: Arc<LiveCatalog>) {
    let instance = uuid::Uuid::new_v4().simple().to_string();
    if let Some(rx) = health.changes() {
        tokio::spawn(announce(rx, cache.clone(), catalog, instance.clone()));
    }
    if let Some(rx) = cache.subscribe(CHANNEL) {
        tokio::spawn(follow(rx, health, instance));
    }
}

async fn announce(
    mut rx: mpsc::Receiver<Change>,
    cache: Cache,
    catalog: Arc<LiveCatalog>,
    instance: String,
) {
    while let Some(change) = rx.recv().await {
        log(&catalog, &change);
        if !cache.is_enabled() {
            continue;
        }
        let msg = serde_json::to_string(&Message::of(&change, &instance))
            .expect("a struct of numbers and strings serializes");
        if let Err(e) = cache.publish(CHANNEL, &msg).await {
            tracing::debug!("cannot share a circuit change through redis ({e})");
        }
    }
}

fn log(catalog: &LiveCatalog, change: &Change) {
    let snapshot = catalog.snapshot();
    let entry = snapshot.provider(change.provider_id);
    let provider = entry.map_or_else(
        || change.provider_id.to_string(),
        |p| p.provider.name.clone(),
    );
    let key = (change.key_id != PROVIDER).then(|| {
        entry
            .and_then(|p| p.keys.iter().find(|k| k.key.id == change.key_id))
            .map_or_else(|| change.key_id.to_string(), |k| k.key.label.clone())
    });
    let target = match &key {
        Some(k) => format!("provider `{provider}` key `{k}`"),
        None => format!("provider `{provider}`"),
    };
    let error = change.last_error.as_deref().unwrap_or("-");
    match change.state {
        ChangeState::Opened { rest } if change.last_status == Some(429) => tracing::info!(
            error,
            status = change.last_status,
            "circuit opened: {target} rests {rest:.0?} (rate limited)"
        ),
        ChangeState::Opened { rest } => tracing::warn!(
            error,
            status = change.last_status,
            "circuit opened: {target} rests {rest:.0?}"
        ),
        ChangeState::Closed => tracing::info!("circuit closed: {target} is back in service"),
    }
}

async fn follow(
    mut rx: mpsc::Receiver<Option<String>>,
    health: Arc<HealthRegistry>,
    instance: String,
) {
    while let Some(msg) = rx.recv().await {
        // `None`: (re)subscribed. What was missed meanwhile is not replayed; each instance
        // still has its own traffic and probes.
        let Some(msg) = msg else { continue };
        let msg: Message = match serde_json::from_str(&msg) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!("ignoring a malformed health message ({e})");
                continue;
            }
        };
        if msg.instance == instance {
            continue;
        }
        tracing::debug!(
            provider_id = msg.provider_id,
            key_id = msg.key_id,
            state = ?msg.state,
            from = %msg.instance,
            "circuit change from another instance"
        );
        health.apply_remote(&msg.change());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_survives_the_wire() {
        let change = Change {
            provider_id: 3,
            key_id: 7,
            state: ChangeState::Opened {
                rest: Duration::from_millis(1500),
            },
            last_error: Some("key_rejected".into()),
            last_status: Some(401),
        };
        let text = serde_json::to_string(&Message::of(&change, "me")).unwrap();
        assert!(text.contains(r#""state":"open""#), "{text}");
        let back: Message = serde_json::from_str(&text).unwrap();
        assert_eq!(back.instance, "me");
        assert_eq!(back.change(), change);
        let closed: Message =
            serde_json::from_str(r#"{"instance":"x","provider_id":1,"key_id":0,"state":"closed"}"#)
                .unwrap();
        assert_eq!(closed.change().state, ChangeState::Closed);
    }
}
