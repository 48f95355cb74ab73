//! Prometheus metrics: counters and histograms fed by every finished request (the same
//! records the log writer gets), gauges set at scrape time (circuit states, log queue,
//! database and Redis health), rendered by `GET /metrics`.
//!
//! Label values are bounded: models are catalog names (unknown ones are `(unknown)`),
//! providers are catalog names, statuses are HTTP codes, classes are the failure classes.
//! The recorder is process-global (the `metrics` crate's design) and installed by `serve`;
//! without it every call here is a no-op.

use std::cell::RefCell;
use std::collections::HashMap;

use metrics::{counter, gauge, histogram, Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::record::RequestRecord;

/// Bucket bounds (seconds) of the latency histograms.
const SECONDS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    120.0,
];

pub struct Metrics {
    handle: Option<PrometheusHandle>,
}

impl Metrics {
    /// Installs the global recorder. A second install in one process (tests) keeps the first.
    pub fn install() -> Metrics {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
            .and_then(|b| b.install_recorder())
            .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
            .ok();
        Metrics { handle }
    }

    /// Metrics that record nothing (tools and tests).
    pub fn disabled() -> Metrics {
        Metrics { handle: None }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        match &self.handle {
            Some(h) => {
                h.run_upkeep();
                h.render()
            }
            None => String::new(),
        }
    }

    /// Drains histogram samples into their buckets every `every`, for as long as the
    /// process runs. The exporter keeps each observation until a render or an upkeep: without
    /// this, a server that is not scraped grows by every request's samples (measured: tens of
    /// MiB per minute under load).
    pub fn spawn_upkeep(self: &std::sync::Arc<Self>, every: std::time::Duration) {
        if let Some(h) = self.handle.clone() {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    h.run_upkeep();
                }
            });
        }
    }

    pub fn observe(&self, r: &RequestRecord) {
        if self.handle.is_none() {
            return;
        }
        let provider = r.provider_name.as_deref().unwrap_or("none");
        let ok_attempt = matches!(r.attempts.as_slice(), [a] if a.class.is_none());
        with_handles(r.protocol, &r.model_group, provider, r.status_code, |h| {
            h.requests.increment(1);
            h.duration.record(r.latency_ms as f64 / 1000.0);
            if let Some(us) = r.overhead_us {
                h.overhead.record(us as f64 / 1_000_000.0);
            }
            if let Some(us) = r.upstream_us {
                h.upstream.record(us as f64 / 1_000_000.0);
            }
            if let Some(ms) = r.ttft_ms {
                h.ttft.record(ms as f64 / 1000.0);
            }
            for (c, n) in [
                (&h.prompt_tokens, r.prompt_tokens),
                (&h.completion_tokens, r.completion_tokens),
                (&h.cached_tokens, r.cached_tokens),
            ] {
                if let Some(n) = n.filter(|n| *n > 0) {
                    c.increment(n);
                }
            }
            if let Some(c) = r.cost.filter(|c| *c > 0.0) {
                // Counters are integers: cost is counted in micro-units of the price currency.
                h.cost_micros.increment((c * 1_000_000.0).round() as u64);
            }
            if ok_attempt {
                h.ok_attempts.increment(1);
            }
        });
        // The rest is rare (errors, failovers): labelled on the spot.
        let model = || r.model_group.clone();
        if let Some(class) = &r.error_class {
            counter!("llmo_request_errors_total", "protocol" => r.protocol, "model" => model(),
                     "class" => class.clone())
            .increment(1);
        }
        if !ok_attempt {
            for a in &r.attempts {
                counter!("llmo_upstream_attempts_total", "provider" => a.provider.clone(),
                         "class" => a.class.unwrap_or("ok"))
                .increment(1);
            }
        }
        if r.attempts.len() > 1 {
            counter!("llmo_retries_total", "model" => model())
                .increment(r.attempts.len() as u64 - 1);
            let providers: std::collections::HashSet<i64> =
                r.attempts.iter().map(|a| a.provider_id).collect();
            if providers.len() > 1 {
                counter!("llmo_failovers_total", "model" => model()).increment(1);
            }
        }
    }

    pub fn log_written(&self, n: usize) {
        counter!("llmo_log_written_total").increment(n as u64);
    }

    pub fn log_dropped(&self) {
        self.log_dropped_n(1);
    }

    pub fn log_dropped_n(&self, n: usize) {
        counter!("llmo_log_dropped_total").increment(n as u64);
    }

    pub fn set_queue_depth(&self, n: usize) {
        gauge!("llmo_log_queue_depth").set(n as f64);
    }

    /// A provider's or key's circuit: 0 healthy, 1 degraded, 2 unhealthy.
    pub fn set_circuit(&self, provider: &str, key: &str, state: f64) {
        gauge!("llmo_circuit_state", "provider" => provider.to_string(), "key" => key.to_string())
            .set(state);
    }

    pub fn set_up(&self, what: &'static str, up: bool) {
        gauge!("llmo_dependency_up", "dependency" => what).set(if up { 1.0 } else { 0.0 });
    }
}

/// The metric handles one (protocol, model, provider, status) combination touches on the
/// usual path, registered once: looking a labelled metric up costs label allocations and a
/// registry lookup per call, and a request makes a dozen of them.
struct Handles {
    requests: Counter,
    duration: Histogram,
    overhead: Histogram,
    upstream: Histogram,
    ttft: Histogram,
    prompt_tokens: Counter,
    completion_tokens: Counter,
    cached_tokens: Counter,
    cost_micros: Counter,
    /// `llmo_upstream_attempts_total{provider, class="ok"}`: one successful attempt.
    ok_attempts: Counter,
}

impl Handles {
    fn register(protocol: &'static str, model: &str, provider: &str, status: u16) -> Handles {
        let (m, p) = (model.to_string(), provider.to_string());
        let tokens = |kind: &'static str| counter!("llmo_tokens_total", "model" => m.clone(), "provider" => p.clone(), "type" => kind);
        Handles {
            requests: counter!("llmo_requests_total", "protocol" => protocol, "model" => m.clone(),
                               "provider" => p.clone(), "status" => status.to_string()),
            duration: histogram!("llmo_request_duration_seconds", "protocol" => protocol, "model" => m.clone()),
            overhead: histogram!("llmo_gateway_overhead_seconds", "protocol" => protocol),
            upstream: histogram!("llmo_upstream_duration_seconds", "provider" => p.clone()),
            ttft: histogram!("llmo_time_to_first_token_seconds", "model" => m.clone()),
            prompt_tokens: tokens("prompt"),
            completion_tokens: tokens("completion"),
            cached_tokens: tokens("cached"),
            cost_micros: counter!("llmo_cost_micros_total", "model" => m.clone(), "provider" => p.clone()),
            ok_attempts: counter!("llmo_upstream_attempts_total", "provider" => p, "class" => "ok"),
        }
    }
}

/// Per-thread cache of [`Handles`] by a `protocol\0model\0provider\0status` key. Models and
/// providers are catalog names (bounded); a cache that somehow outgrows `MAX_CACHED` is
/// cleared rather than grown.
const MAX_CACHED: usize = 4096;

thread_local! {
    static HANDLES: RefCell<(String, HashMap<String, Handles>)> = RefCell::new((String::new(), HashMap::new()));
}

fn with_handles(
    protocol: &'static str,
    model: &str,
    provider: &str,
    status: u16,
    f: impl FnOnce(&Handles),
) {
    HANDLES.with(|cell| {
        let (buf, map) = &mut *cell.borrow_mut();
        buf.clear();
        for part in [protocol, model, provider] {
            buf.push_str(part);
            buf.push('\0');
        }
        let _ = std::fmt::Write::write_fmt(buf, format_args!("{status}"));
        if let Some(h) = map.get(buf.as_str()) {
            return f(h);
        }
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        let h = map
            .entry(buf.clone())
            .or_insert_with(|| Handles::register(protocol, model, provider, status));
        f(h)
    })
}
