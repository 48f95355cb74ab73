//! Health of every upstream target: one circuit breaker per provider key and one per provider
//! (`key_id` [`PROVIDER`]), fed by live traffic and by the active probes (`probe`).
//!
//! The attempt loop asks [`HealthRegistry::permit`] before each attempt and reports the
//! outcome through the returned [`Pass`]. What a failure means depends on its class: a
//! connection, timeout, 5xx or unreadable answer counts against the key and its provider; a
//! 429 against the key only (rate limits are per key) and rests it for `Retry-After`; a
//! 401/403 rests the key for `health_check.retry_after` (it is bad, not the provider); a
//! client error (400/404/413/422) proves the upstream alive. A probe that succeeds ends an
//! open circuit's rest early, except a rest the upstream asked for with `Retry-After`.
//!
//! Every time a circuit opens or closes here, a [`Change`] goes to whoever called
//! [`HealthRegistry::changes`] (`health_sync` logs it and shares it through Redis); changes
//! heard from other instances come back in through [`HealthRegistry::apply_remote`] and are
//! not passed on again. States saved by an earlier run come back through
//! [`HealthRegistry::restore`].
//!
//! One mutex over a small map: each call holds it for a few hundred nanoseconds, far below
//! an upstream round trip. Writing states to the database and Redis is not this module's job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::circuit::{Breaker, BreakerConfig, Health, Permit, Phase};
use super::classify::FailureClass;
use crate::config::HealthCheckConfig;

/// `key_id` of a provider-level entry (as in the `provider_health` table).
pub const PROVIDER: i64 = 0;

/// How many changes may wait for the `changes` receiver before new ones are dropped.
const CHANGES_QUEUE: usize = 1024;

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
    /// When the circuit last opened; cleared when it closes.
    opened_at: Option<DateTime<Utc>>,
    /// The circuit is open because the upstream asked this key to back off (429): a probe
    /// success does not cut that short.
    rate_limited: bool,
    consecutive_successes: u32,
    successes: u64,
    failures: u64,
}

impl Entry {
    fn new(config: &BreakerConfig) -> Entry {
        Entry {
            breaker: Breaker::new(config.clone()),
            last_error: None,
            last_status: None,
            last_check_at: None,
            opened_at: None,
            rate_limited: false,
            consecutive_successes: 0,
            successes: 0,
            failures: 0,
        }
    }

    /// Counts one outcome (the breaker is the caller's business).
    fn note(&mut self, at: DateTime<Utc>, failure: Option<&FailureClass>) {
        self.last_check_at = Some(at);
        match failure {
            None => {
                self.successes += 1;
                self.consecutive_successes = self.consecutive_successes.saturating_add(1);
            }
            Some(class) => {
                self.failures += 1;
                self.consecutive_successes = 0;
                self.last_error = Some(class.as_str().to_string());
                self.last_status = class.status();
            }
        }
    }
}

/// What operators see of one target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetHealth {
    pub provider_id: i64,
    /// `None` for the provider as a whole.
    pub key_id: Option<i64>,
    pub state: Health,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    /// Seconds until an open circuit lets a probe through.
    pub retry_in_seconds: Option<f64>,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub last_check_at: Option<DateTime<Utc>>,
    /// When the circuit opened, while it is open or being probed.
    pub opened_at: Option<DateTime<Utc>>,
    /// Since this process started.
    pub successes: u64,
    pub failures: u64,
}

/// A circuit that opened or closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub provider_id: i64,
    /// [`PROVIDER`] for the provider as a whole.
    pub key_id: i64,
    pub state: ChangeState,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChangeState {
    /// Open, letting nothing through for `rest` from now.
    Opened {
        rest: Duration,
    },
    Closed,
}

/// What an earlier run saved of one target (a `provider_health` row).
#[derive(Debug, Clone, PartialEq)]
pub struct SavedHealth {
    pub provider_id: i64,
    pub key_id: i64,
    pub state: Health,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub last_check_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct HealthRegistry {
    config: BreakerConfig,
    /// How long a key the upstream rejected (401/403) rests.
    key_rest: Duration,
    entries: Mutex<HashMap<(i64, i64), Entry>>,
    changes: OnceLock<mpsc::Sender<Change>>,
}

impl HealthRegistry {
    pub fn new(config: BreakerConfig, key_rest: Duration) -> HealthRegistry {
        HealthRegistry {
            config,
            key_rest,
            entries: Mutex::new(HashMap::new()),
            changes: OnceLock::new(),
        }
    }

    /// The receiver of every circuit that opens or closes through this instance's own
    /// traffic and probes. Once only: a second call gets `None`. Changes that find the queue
    /// full are dropped (they are a courtesy to other instances, not a duty).
    pub fn changes(&self) -> Option<mpsc::Receiver<Change>> {
        let (tx, rx) = mpsc::channel(CHANGES_QUEUE);
        self.changes.set(tx).ok().map(|()| rx)
    }

    fn with<R>(&self, provider_id: i64, key_id: i64, f: impl FnOnce(&mut Entry) -> R) -> R {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map
            .entry((provider_id, key_id))
            .or_insert_with(|| Entry::new(&self.config));
        f(entry)
    }

    /// Runs `f` on an entry and notes whether its circuit opened or closed: keeps `opened_at`
    /// and, when `announce`, sends the change.
    fn update<R>(
        &self,
        provider_id: i64,
        key_id: i64,
        announce: bool,
        f: impl FnOnce(&mut Entry, Instant) -> R,
    ) -> R {
        let now = Instant::now();
        let (result, change) = self.with(provider_id, key_id, |e| {
            let before = e.breaker.phase();
            let result = f(e, now);
            let after = e.breaker.phase();
            let state = match (before, after) {
                (b, Phase::Open) if b != Phase::Open => {
                    e.opened_at = Some(Utc::now());
                    let until = e.breaker.open_until().unwrap_or(now);
                    Some(ChangeState::Opened {
                        rest: until.saturating_duration_since(now),
                    })
                }
                (b, Phase::Closed) if b != Phase::Closed => {
                    e.opened_at = None;
                    e.rate_limited = false;
                    Some(ChangeState::Closed)
                }
                _ => None,
            };
            let change = state.map(|state| Change {
                provider_id,
                key_id,
                state,
                last_error: e.last_error.clone(),
                last_status: e.last_status,
            });
            (result, change)
        });
        if let (Some(change), true) = (change, announce) {
            if let Some(tx) = self.changes.get() {
                if tx.try_send(change).is_err() {
                    tracing::debug!("health change queue full; a change was not shared");
                }
            }
        }
        result
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

    /// Records an outcome outside a permit (a stream that broke after its first chunk).
    /// `None` is a success.
    pub fn record(&self, provider_id: i64, key_id: i64, failure: Option<&FailureClass>) {
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
        let note = |e: &mut Entry, now: Instant, ok: bool| {
            e.breaker.record(now, ok);
            e.note(at, if ok { None } else { failure });
        };
        if let Some(ok) = key_ok {
            self.update(provider_id, key_id, true, |e, now| {
                let was_open = e.breaker.phase() == Phase::Open;
                note(e, now, ok);
                let forced = match failure {
                    Some(FailureClass::RateLimited {
                        retry_after: Some(rest),
                    }) => {
                        e.breaker.force_open(now, *rest);
                        true
                    }
                    Some(FailureClass::KeyRejected(_)) => {
                        e.breaker.force_open(now, self.key_rest);
                        true
                    }
                    _ => false,
                };
                if e.breaker.phase() == Phase::Open && (forced || !was_open) {
                    e.rate_limited = matches!(failure, Some(FailureClass::RateLimited { .. }));
                }
            });
        }
        if let Some(ok) = provider_ok {
            self.update(provider_id, PROVIDER, true, |e, now| note(e, now, ok));
        }
    }

    /// Records the outcome of an active probe of this key. A failure counts as live traffic's
    /// would. A success — or an answer that proves the upstream alive and the key accepted (a
    /// 4xx other than 401/403/429) — ends an open circuit's rest early, on the key and on the
    /// provider: a fixed key or a recovered upstream comes back without waiting for traffic.
    /// A rest the upstream asked for with 429 runs its course.
    pub fn record_probe(&self, provider_id: i64, key_id: i64, failure: Option<&FailureClass>) {
        let alive = match failure {
            None => true,
            Some(c) => matches!(
                c,
                FailureClass::Client(_)
                    | FailureClass::ContentFilter(_)
                    | FailureClass::ContextLength(_)
            ),
        };
        if !alive {
            return self.record(provider_id, key_id, failure);
        }
        let at = Utc::now();
        for id in [key_id, PROVIDER] {
            self.update(provider_id, id, true, |e, now| {
                e.note(at, None);
                if e.rate_limited && e.breaker.phase() == Phase::Open {
                    return;
                }
                e.breaker.probe_succeeded(now);
            });
        }
    }

    /// Applies a change another instance announced: a circuit opened there opens here for the
    /// rest of its rest; one that closed there closes here. Not announced again.
    pub fn apply_remote(&self, change: &Change) {
        self.update(change.provider_id, change.key_id, false, |e, now| {
            match change.state {
                ChangeState::Opened { rest } => {
                    e.breaker.force_open(now, rest);
                    e.rate_limited = change.last_status == Some(429);
                }
                ChangeState::Closed => {
                    if e.breaker.phase() != Phase::Closed {
                        e.breaker.close();
                    }
                }
            }
            if change.last_error.is_some() {
                e.last_error = change.last_error.clone();
                e.last_status = change.last_status;
            }
        });
    }

    /// Takes back what an earlier run saved, before any traffic: the last error and check,
    /// and an open circuit whose rest has not run out. The table keeps when a circuit opened,
    /// not until when, so the rest is assumed to be `health_check.retry_after` for a key the
    /// upstream rejected (401/403) and the base cooldown for anything else; a circuit that
    /// opens again after a short guess backs off as it would have.
    pub fn restore(&self, saved: &[SavedHealth]) -> usize {
        let wall = Utc::now();
        let mut open = 0;
        for s in saved {
            self.update(s.provider_id, s.key_id, false, |e, now| {
                e.last_error = s.last_error.clone();
                e.last_status = s.last_status;
                e.last_check_at = s.last_check_at;
                e.consecutive_successes = s.consecutive_successes;
                let (Health::Unhealthy, Some(opened_at)) = (s.state, s.opened_at) else {
                    return;
                };
                let rest = match s.last_status {
                    Some(401 | 403) => self.key_rest,
                    _ => self.config.cooldown,
                };
                let until = opened_at + chrono::Duration::from_std(rest).unwrap_or_default();
                let Ok(left) = (until - wall).to_std() else {
                    return; // ran out while this instance was down
                };
                if left.is_zero() {
                    return;
                }
                e.breaker.restore_open(now + left, s.consecutive_failures);
                e.rate_limited = s.last_status == Some(429);
                open += 1;
            });
            // `update` stamps the restore time; the circuit opened when it did.
            if s.state == Health::Unhealthy {
                self.with(s.provider_id, s.key_id, |e| {
                    if e.breaker.phase() == Phase::Open {
                        e.opened_at = s.opened_at;
                    }
                });
            }
        }
        open
    }

    fn view(provider_id: i64, key_id: i64, e: &Entry, now: Instant) -> TargetHealth {
        TargetHealth {
            provider_id,
            key_id: (key_id != PROVIDER).then_some(key_id),
            state: e.breaker.health(now),
            consecutive_failures: e.breaker.consecutive_failures(),
            consecutive_successes: e.consecutive_successes,
            retry_in_seconds: e
                .breaker
                .open_until()
                .filter(|u| *u > now)
                .map(|u| (u - now).as_secs_f64()),
            last_error: e.last_error.clone(),
            last_status: e.last_status,
            last_check_at: e.last_check_at,
            opened_at: e.opened_at,
            successes: e.successes,
            failures: e.failures,
        }
    }

    /// One target; a target nothing was heard of yet is healthy.
    pub fn target(&self, provider_id: i64, key_id: i64) -> TargetHealth {
        let now = Instant::now();
        self.peek(provider_id, key_id, |e| {
            Self::view(provider_id, key_id, e, now)
        })
        .unwrap_or_else(|| Self::view(provider_id, key_id, &Entry::new(&self.config), now))
    }

    /// Every target seen so far, providers first then keys, by id.
    pub fn report(&self) -> Vec<TargetHealth> {
        let now = Instant::now();
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<TargetHealth> = map
            .iter()
            .map(|(&(provider_id, key_id), e)| Self::view(provider_id, key_id, e, now))
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

    #[tokio::test(start_paused = true)]
    async fn a_probe_success_brings_a_rejected_key_and_an_open_provider_back_early() {
        let r = registry();
        r.record_probe(1, 11, Some(&FailureClass::KeyRejected(401)));
        assert!(!r.available(1, 11), "rejected: rests for an hour");
        let t = r.target(1, 11);
        assert_eq!(t.state, Health::Unhealthy);
        assert_eq!(t.last_status, Some(401));
        assert!(t.opened_at.is_some());
        assert!(t.retry_in_seconds.unwrap() > 3000.0);

        tokio::time::advance(Duration::from_secs(60)).await;
        r.record_probe(1, 11, None);
        assert!(
            r.available(1, 11),
            "the operator fixed the key: no waiting the hour out"
        );
        assert_eq!(r.target(1, 11).state, Health::Degraded, "half-open");
        r.record_probe(1, 11, None);
        let t = r.target(1, 11);
        assert_eq!(t.state, Health::Healthy);
        assert_eq!(t.opened_at, None);

        for _ in 0..2 {
            r.record(2, 21, Some(&FailureClass::Connect));
        }
        assert!(!r.available(2, 22), "the provider is open");
        r.record_probe(2, 22, None);
        assert!(
            r.available(2, 22),
            "the provider is back through its other key"
        );
        assert!(
            !r.available(2, 21),
            "the failing key rests until its own probe passes"
        );
        r.record_probe(2, 21, None);
        assert!(r.available(2, 21));
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_answered_with_a_client_error_proves_the_key_but_a_429_rest_runs_its_course() {
        let r = registry();
        r.record_probe(1, 11, Some(&FailureClass::KeyRejected(403)));
        r.record_probe(1, 11, Some(&FailureClass::Client(400)));
        assert!(r.available(1, 11), "a 400 means the key was accepted");

        r.record(
            1,
            12,
            Some(&FailureClass::RateLimited {
                retry_after: Some(Duration::from_secs(30)),
            }),
        );
        r.record_probe(1, 12, None);
        r.record_probe(1, 12, None);
        assert!(!r.available(1, 12), "Retry-After is the upstream's word");
        assert_eq!(r.target(1, 12).successes, 2, "the probes still count");
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(r.available(1, 12));
    }

    #[tokio::test(start_paused = true)]
    async fn probe_failures_count_like_traffic() {
        let r = registry();
        r.record_probe(1, 11, Some(&FailureClass::Timeout));
        assert!(r.available(1, 11));
        assert_eq!(r.target(1, PROVIDER).state, Health::Degraded);
        r.record_probe(1, 11, Some(&FailureClass::Server(503)));
        assert!(!r.available(1, 12), "two in a row open the provider");
        assert_eq!(r.target(1, PROVIDER).last_status, Some(503));
        assert_eq!(
            r.target(1, PROVIDER).last_error.as_deref(),
            Some("upstream_5xx")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn openings_and_closings_are_announced_but_changes_from_elsewhere_are_not() {
        let r = registry();
        let mut rx = r.changes().expect("first subscriber");
        assert!(r.changes().is_none(), "one receiver only");

        r.record(1, 11, Some(&FailureClass::KeyRejected(401)));
        let c = rx.try_recv().unwrap();
        assert_eq!((c.provider_id, c.key_id), (1, 11));
        assert_eq!(
            c.state,
            ChangeState::Opened {
                rest: Duration::from_secs(3600)
            }
        );
        assert_eq!(c.last_status, Some(401));
        r.record(1, 11, Some(&FailureClass::KeyRejected(401)));
        assert!(rx.try_recv().is_err(), "already open: nothing new");

        r.apply_remote(&Change {
            provider_id: 1,
            key_id: 12,
            state: ChangeState::Opened {
                rest: Duration::from_secs(5),
            },
            last_error: Some("upstream_5xx".into()),
            last_status: Some(502),
        });
        assert!(
            rx.try_recv().is_err(),
            "heard from another instance: not passed on"
        );

        r.record_probe(1, 11, None);
        assert!(rx.try_recv().is_err(), "half-open is neither");
        r.record_probe(1, 11, None);
        assert_eq!(rx.try_recv().unwrap().state, ChangeState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_from_another_instance_opens_for_the_rest_of_its_rest_and_closes() {
        let r = registry();
        r.apply_remote(&Change {
            provider_id: 1,
            key_id: 11,
            state: ChangeState::Opened {
                rest: Duration::from_secs(5),
            },
            last_error: Some("key_rejected".into()),
            last_status: Some(401),
        });
        assert!(!r.available(1, 11));
        assert!(r.available(1, 12), "only that key");
        let t = r.target(1, 11);
        assert_eq!(t.state, Health::Unhealthy);
        assert_eq!(t.last_error.as_deref(), Some("key_rejected"));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(r.available(1, 11), "its rest ran out");

        r.apply_remote(&Change {
            provider_id: 1,
            key_id: PROVIDER,
            state: ChangeState::Opened {
                rest: Duration::from_secs(600),
            },
            last_error: None,
            last_status: None,
        });
        assert!(!r.available(1, 12));
        r.apply_remote(&Change {
            provider_id: 1,
            key_id: PROVIDER,
            state: ChangeState::Closed,
            last_error: None,
            last_status: None,
        });
        assert!(r.available(1, 12));
        assert_eq!(r.target(1, PROVIDER).state, Health::Healthy);
    }

    #[tokio::test(start_paused = true)]
    async fn saved_states_come_back_open_only_while_their_rest_lasts() {
        let r = registry();
        let minutes_ago = |m: i64| Some(Utc::now() - chrono::Duration::minutes(m));
        let saved = |key_id, status, opened_at| SavedHealth {
            provider_id: 1,
            key_id,
            state: Health::Unhealthy,
            consecutive_failures: 3,
            consecutive_successes: 0,
            last_error: Some("key_rejected".into()),
            last_status: Some(status),
            last_check_at: opened_at,
            opened_at,
        };
        let restored = r.restore(&[
            // Rejected ten minutes ago: fifty minutes of the hour are left.
            saved(11, 401, minutes_ago(10)),
            // Rejected two hours ago: over.
            saved(12, 401, minutes_ago(120)),
            // A 5xx streak a minute ago: longer ago than the 10 s base cooldown.
            saved(PROVIDER, 503, minutes_ago(1)),
        ]);
        assert_eq!(restored, 1);
        assert!(!r.available(1, 11));
        let t = r.target(1, 11);
        assert_eq!(t.state, Health::Unhealthy);
        assert_eq!(t.consecutive_failures, 3);
        let left = t.retry_in_seconds.unwrap();
        assert!((2990.0..=3000.0).contains(&left), "{left}");
        let since = Utc::now() - t.opened_at.expect("kept from the saved row");
        assert!((since - chrono::Duration::minutes(10)).num_seconds().abs() <= 1);
        assert!(r.available(1, 12));
        assert_eq!(
            r.target(1, 12).last_status,
            Some(401),
            "the last error is kept"
        );
        assert!(r.available(1, 13));
        assert_eq!(r.target(1, PROVIDER).state, Health::Healthy);

        tokio::time::advance(Duration::from_secs(3000)).await;
        assert!(r.available(1, 11), "the rest ends when it would have");
    }
}
