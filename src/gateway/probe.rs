//! Active health probes: every `health_check.interval`, one cheap request for each enabled key
//! of each enabled provider in the current catalog snapshot, a few at a time, each within
//! `health_check.timeout`. By default the request lists the models (free); with
//! `health_check.probe = completion` it asks the provider's first routed model for one token.
//!
//! Outcomes go to the [`HealthRegistry`] classified as live traffic's are: a key the upstream
//! rejects opens its circuit without a client paying for the discovery, and a key (or a
//! provider) that works again comes back without waiting for traffic
//! ([`HealthRegistry::record_probe`]). Building the requests is `providers::probe`'s job.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use super::classify::{classify_status, classify_transport, FailureClass};
use super::health::HealthRegistry;
use crate::catalog::model::ProviderKind;
use crate::catalog::snapshot::{ProviderEntry, Snapshot};
use crate::catalog::LiveCatalog;
use crate::config::{HealthCheckConfig, ProbeKind};
use crate::providers::discovery;
use crate::providers::probe::{self, ProbeRequest};

/// Probes in flight at once: enough to finish a round of dozens of keys quickly, few enough
/// not to look like a burst to any one upstream.
const AT_ONCE: usize = 4;
/// The shortest interval and timeout honoured; less would probe in a busy loop or fail every
/// probe at once.
const FLOOR: Duration = Duration::from_millis(100);
/// How much of an error body is read to classify it.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub struct Prober {
    catalog: Arc<LiveCatalog>,
    health: Arc<HealthRegistry>,
    client: reqwest::Client,
    interval: Duration,
    timeout: Duration,
    kind: ProbeKind,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub probed: usize,
    pub failed: usize,
}

/// One key to probe, and the model to ask when probing with a completion.
struct Target {
    provider: Arc<ProviderEntry>,
    key: usize,
    model: Option<String>,
}

impl Prober {
    pub fn new(
        catalog: Arc<LiveCatalog>,
        health: Arc<HealthRegistry>,
        client: reqwest::Client,
        config: &HealthCheckConfig,
    ) -> Prober {
        Prober {
            catalog,
            health,
            client,
            interval: config.interval.max(FLOOR),
            timeout: config.timeout.max(FLOOR),
            kind: config.probe,
        }
    }

    /// Probes now, then every interval, until the runtime stops. A round never overlaps the
    /// next: a slow one delays it.
    pub async fn run(self) {
        tracing::info!(
            interval = ?self.interval,
            probe = self.kind.as_str(),
            "health probes started"
        );
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let round = self.round().await;
            tracing::debug!(
                probed = round.probed,
                failed = round.failed,
                "health probe round"
            );
        }
    }

    /// Probes every enabled key of every enabled provider once.
    pub async fn round(&self) -> Round {
        let snapshot = self.catalog.snapshot();
        let targets = targets(&snapshot, self.kind);
        futures::stream::iter(targets)
            .map(|t| async move {
                let outcome = self.probe(&t).await;
                let p = &t.provider.provider;
                let key = &t.provider.keys[t.key].key;
                match &outcome {
                    Ok(()) => {
                        tracing::debug!(provider = %p.name, key = %key.label, "health probe ok")
                    }
                    Err(class) => tracing::debug!(
                        provider = %p.name,
                        key = %key.label,
                        class = class.as_str(),
                        status = class.status(),
                        "health probe failed"
                    ),
                }
                self.health
                    .record_probe(p.id, key.id, outcome.as_ref().err());
                outcome.is_err()
            })
            .buffer_unordered(AT_ONCE)
            .fold(Round::default(), |mut r, failed| async move {
                r.probed += 1;
                r.failed += usize::from(failed);
                r
            })
            .await
    }

    async fn probe(&self, t: &Target) -> Result<(), FailureClass> {
        let provider = &t.provider.provider;
        let what = match &t.model {
            Some(model) => ProbeRequest::Completion { model },
            None => ProbeRequest::Models,
        };
        let secret = t.provider.keys[t.key].secret();
        let Some((_, req)) = probe::request(&self.client, provider, secret, what) else {
            // `targets` leaves these out; a snapshot cannot change under us.
            return Ok(());
        };
        let send = send(req.timeout(self.timeout), provider.kind, what);
        match tokio::time::timeout(self.timeout, send).await {
            Err(_) => Err(FailureClass::Timeout),
            Ok(outcome) => outcome,
        }
    }
}

/// Sends a probe and judges the answer: a 2xx that reads as what was asked for is a success;
/// an HTTP error is classified as live traffic's are.
async fn send(
    req: reqwest::RequestBuilder,
    kind: ProviderKind,
    what: ProbeRequest<'_>,
) -> Result<(), FailureClass> {
    let resp = req.send().await.map_err(|e| classify_transport(&e))?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.bytes().await.map_err(|e| classify_transport(&e))?;
    if !resp_ok(status) {
        let excerpt = String::from_utf8_lossy(&body[..body.len().min(MAX_ERROR_BODY)]);
        return Err(classify_status(status, retry_after.as_deref(), &excerpt));
    }
    let value: Value = serde_json::from_slice(&body).map_err(|_| FailureClass::Malformed)?;
    let readable = match what {
        ProbeRequest::Models => discovery::is_model_list(kind, &value),
        ProbeRequest::Completion { .. } => {
            value.is_object() && value.get("error").is_none_or(Value::is_null)
        }
    };
    if readable {
        Ok(())
    } else {
        Err(FailureClass::Malformed)
    }
}

fn resp_ok(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The keys a round probes: each enabled key of each enabled provider that has an address.
/// With completion probes, the model is the upstream model of the provider's first (lowest
/// id) enabled route of an enabled model; a provider without one is probed by its model list.
fn targets(snapshot: &Snapshot, kind: ProbeKind) -> Vec<Target> {
    let mut out = Vec::new();
    for entry in snapshot.providers() {
        let p = &entry.provider;
        if !p.enabled {
            continue;
        }
        if discovery::base_url(p).is_empty() {
            tracing::debug!(provider = %p.name, "not probed: the provider has no base URL");
            continue;
        }
        let model = match kind {
            ProbeKind::Models => None,
            ProbeKind::Completion => {
                let first = snapshot
                    .models()
                    .iter()
                    .filter(|m| m.model.enabled)
                    .flat_map(|m| m.routes.iter())
                    .filter(|r| r.route.enabled && r.route.provider_id == p.id)
                    .min_by_key(|r| r.route.id);
                if first.is_none() {
                    tracing::debug!(
                        provider = %p.name,
                        "no enabled route to ask for a completion: probing the model list instead"
                    );
                }
                first.map(|r| r.route.upstream_model.clone())
            }
        };
        for (i, k) in entry.keys.iter().enumerate() {
            if k.key.enabled {
                out.push(Target {
                    provider: Arc::clone(entry),
                    key: i,
                    model: model.clone(),
                });
            }
        }
    }
    out
}
