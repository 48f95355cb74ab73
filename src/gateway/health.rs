//! Health of every upstream target, from live traffic: one circuit breaker per provider key
//! and one per provider (`key_id` [`PROVIDER`]).
//!
//! The attempt loop asks [`HealthRegistry::permit`] before each attempt and reports the
//! outcome through the returned [`Pass`]. What a failure means depends on its class: a
//! connection, timeout, 5xx or unreadable answer counts against the key and its provider; a
//! 429 against the key only (rate limits are per key) and rests it for `Retry-After`; a
//! 401/403 rests the key for `health_check.retry_after` (it is bad, not the provider); a
//! client error (400/404/413/422) proves the upstream alive.
//!
//! One mutex over a small map: each call holds it for a few hundred nanoseconds, far below
//! an upstream round trip. Persisting and sharing states is not this module's job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::time::Instant;

use super::circuit::{Breaker, BreakerConfig, Health, Permit};
use super::classify::FailureClass;
use crate::config::HealthCheckConfig;

/// `key_id` of a provider-level entry (as in the `provider_health` table).
pub const PROVIDER: i64 = 0;

/// The breaker settings the `health_check.*` keys give: `max_errors` consecutive failures
/// open a circuit; it rests 30 s at first, doubling up to `retry_after`.
pub fn breaker_config(hc: &HealthCheckConfig) -> BreakerConfig {
    let max_cooldown = hc.retry_after.max(Duration::from_secs(1));
    BreakerConfig {
        failure_threshold: hc.max_errors.max(1),
        cooldown: Duration::from_secs(30).min(max_cooldown),
        max_cooldown,
        ..BreakerConfig::default()
    }
}

#[derive(Debug)]
struct Entry {
    breaker: Breaker,
    last_error: Option<String>,
    last_status: Option<u16>,
    last_check_at: Option<DateTime<Utc>>,
    successes: u64,
    failures: u64,
}

/// What operators see of one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetHealth {
    pub provider_id: i64,
    /// `None` for the provider as a whole.
    pub key_id: Option<i64>,
    pub state: Health,
    pub consecutive_failures: u32,
    /// Seconds until an open circuit lets a probe through.
    pub retry_in_seconds: Option<f64>,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub last_check_at: Option<DateTime<Utc>>,
    /// Since this process started.
    pub successes: u64,
    pub failures: u64,
}

#[derive(Debug)]
pub struct HealthRegistry {
    config: BreakerConfig,
    /// How long a key the upstream rejected (401/403) rests.
    key_rest: Duration,
    entries: Mutex<HashMap<(i64, i64), Entry>>,
}

impl HealthRegistry {
    pub fn new(config: BreakerConfig, key_rest: Duration) -> HealthRegistry {
        HealthRegistry {
            config,
            key_rest,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn with<R>(&self, provider_id: i64, key_id: i64, f: impl FnOnce(&mut Entry) -> R) -> R {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry((provider_id, key_id)).or_insert_with(|| Entry {
            breaker: Breaker::new(self.config.clone()),
            last_error: None,
            last_status: None,
            last_check_at: None,
            successes: 0,
            failures: 0,
        });
        f(entry)
    }

    fn peek<R>(&self, provider_id: i64, key_id: i64, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(provider_id, key_id)).map(f)
    }

    /// Whether the provider and this key of it may take traffic (no probe slot is taken).
    pub fn available(&self, provider_id: i64, key_id: i64) -> bool {
        let now = Instant::now();
        let ok = |id| {
            self.peek(provider_id, id, |e| e.breaker.is_available(now))
                .unwrap_or(true)
        };
        ok(PROVIDER) && ok(key_id)
    }

    /// Asks to send one request to this key of this provider. `None`: a circuit is open (or
    /// being probed by another request).
    pub fn permit(self: &Arc<Self>, provider_id: i64, key_id: i64) -> Option<Pass> {
        let now = Instant::now();
        let provider = self.with(provider_id, PROVIDER, |e| e.breaker.permit(now));
        if provider == Permit::Denied {
            return None;
        }
        let key = self.with(provider_id, key_id, |e| e.breaker.permit(now));
        if key == Permit::Denied {
            if provider == Permit::Probe {
                self.with(provider_id, PROVIDER, |e| e.breaker.release_probe());
            }
            return None;
        }
        Some(Pass {
            registry: self.clone(),
            provider_id,
            key_id,
            probes: (provider == Permit::Probe, key == Permit::Probe),
            done: false,
        })
    }

    /// Records an outcome outside a permit (a stream that broke after its first chunk, an
    /// active probe). `None` is a success.
    pub fn record(&self, provider_id: i64, key_id: i64, failure: Option<&FailureClass>) {
        let now = Instant::now();
        let at = Utc::now();
        let (key_ok, provider_ok) = match failure {
            None => (Some(true), Some(true)),
            Some(class) => match class {
                FailureClass::Connect
                | FailureClass::Timeout
                | FailureClass::Reset
                | FailureClass::Server(_)
                | FailureClass::Malformed => (Some(false), Some(false)),
                FailureClass::RateLimited { .. } | FailureClass::KeyRejected(_) => {
                    (Some(false), None)
                }
                // The upstream answered sensibly: it is alive.
                FailureClass::Client(_)
                | FailureClass::ContentFilter(_)
                | FailureClass::ContextLength(_) => (Some(true), Some(true)),
            },
        };
        let note = |e: &mut Entry, ok: bool| {
            e.breaker.record(now, ok);
            e.last_check_at = Some(at);
            if ok {
                e.successes += 1;
            } else {
                e.failures += 1;
                if let Some(class) = failure {
                    e.last_error = Some(class.as_str().to_string());
                    e.last_status = class.status();
                }
            }
        };
        if let Some(ok) = key_ok {
            self.with(provider_id, key_id, |e| {
                note(e, ok);
                match failure {
                    Some(FailureClass::RateLimited {
                        retry_after: Some(rest),
                    }) => e.breaker.force_open(now, *rest),
                    Some(FailureClass::KeyRejected(_)) => e.breaker.force_open(now, self.key_rest),
                    _ => {}
                }
            });
        }
        if let Some(ok) = provider_ok {
            self.with(provider_id, PROVIDER, |e| note(e, ok));
        }
    }

    /// Every target seen so far, providers first then keys, by id.
    pub fn report(&self) -> Vec<TargetHealth> {
        let now = Instant::now();
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<TargetHealth> = map
            .iter()
            .map(|(&(provider_id, key_id), e)| TargetHealth {
                provider_id,
                key_id: (key_id != PROVIDER).then_some(key_id),
                state: e.breaker.health(now),
                consecutive_failures: e.breaker.consecutive_failures(),
                retry_in_seconds: e
                    .breaker
                    .open_until()
                    .filter(|u| *u > now)
                    .map(|u| (u - now).as_secs_f64()),
                last_error: e.last_error.clone(),
                last_status: e.last_status,
                last_check_at: e.last_check_at,
                successes: e.successes,
                failures: e.failures,
            })
            .collect();
        out.sort_by_key(|t| (t.provider_id, t.key_id));
        out
    }
}

/// Leave to send one attempt. Report its outcome with [`Pass::success`] or [`Pass::failure`];
/// dropped without either (the client went away), it frees any half-open probe slot it held.
pub struct Pass {
    registry: Arc<HealthRegistry>,
    provider_id: i64,
    key_id: i64,
    probes: (bool, bool),
    done: bool,
}

impl Pass {
    pub fn success(mut self) {
        self.done = true;
        self.registry.record(self.provider_id, self.key_id, None);
    }

    pub fn failure(mut self, class: &FailureClass) {
        self.done = true;
        self.registry
            .record(self.provider_id, self.key_id, Some(class));
        // A 429/401 is not recorded on the provider; a probe slot it held must not stay taken.
        if self.probes.0 {
            self.registry
                .with(self.provider_id, PROVIDER, |e| e.breaker.release_probe());
        }
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.probes.0 {
            self.registry
                .with(self.provider_id, PROVIDER, |e| e.breaker.release_probe());
        }
        if self.probes.1 {
            self.registry
                .with(self.provider_id, self.key_id, |e| e.breaker.release_probe());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Arc<HealthRegistry> {
        Arc::new(HealthRegistry::new(
            BreakerConfig {
                failure_threshold: 2,
                cooldown: Duration::from_secs(10),
                max_cooldown: Duration::from_secs(60),
                ..BreakerConfig::default()
            },
            Duration::from_secs(3600),
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_open_key_and_provider_rate_limits_only_the_key() {
        let r = registry();
        for _ in 0..2 {
            r.permit(1, 11).unwrap().failure(&FailureClass::Server(500));
        }
        assert!(!r.available(1, 12), "the provider is open: every key waits");

        let r = registry();
        for _ in 0..2 {
            r.permit(1, 11)
                .unwrap()
                .failure(&FailureClass::RateLimited { retry_after: None });
        }
        assert!(!r.available(1, 11));
        assert!(
            r.available(1, 12),
            "another key of the provider still serves"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_key_rests_and_a_rate_limited_key_comes_back_after_retry_after() {
        let r = registry();
        r.permit(1, 11)
            .unwrap()
            .failure(&FailureClass::KeyRejected(401));
        r.permit(1, 12)
            .unwrap()
            .failure(&FailureClass::RateLimited {
                retry_after: Some(Duration::from_secs(3)),
            });
        assert!(r.permit(1, 11).is_none());
        assert!(r.permit(1, 12).is_none());
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(r.permit(1, 12).is_some(), "Retry-After has passed");
        assert!(r.permit(1, 11).is_none(), "a rejected key rests longer");
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_pass_frees_the_probe_slot() {
        let r = registry();
        for _ in 0..2 {
            r.permit(1, 11).unwrap().failure(&FailureClass::Timeout);
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        let probe = r.permit(1, 11).expect("half-open probe");
        assert!(r.permit(1, 11).is_none(), "one probe at a time");
        drop(probe);
        let probe = r.permit(1, 11).expect("the slot is free again");
        probe.success();
        let report = r.report();
        assert_eq!(report[0].key_id, None);
        assert_eq!(report[0].failures, 2);
        assert_eq!(report[1].key_id, Some(11));
    }

    #[tokio::test(start_paused = true)]
    async fn client_errors_count_as_the_upstream_being_alive() {
        let r = registry();
        for _ in 0..5 {
            r.permit(1, 11).unwrap().failure(&FailureClass::Client(400));
        }
        assert!(r.available(1, 11));
        assert_eq!(r.report()[1].state, Health::Healthy);
    }
}
