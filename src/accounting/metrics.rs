//! Prometheus metrics: counters and histograms fed by every finished request (the same
//! records the log writer gets), gauges set at scrape time (circuit states, log queue,
//! database and Redis health), rendered by `GET /metrics`.
//!
//! Label values are bounded: models are catalog names (unknown ones are `(unknown)`),
//! providers are catalog names, statuses are HTTP codes, classes are the failure classes.
//! The recorder is process-global (the `metrics` crate's design) and installed by `serve`;
//! without it every call here is a no-op.

use metrics::{counter, gauge, histogram};
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

    pub fn observe(&self, r: &RequestRecord) {
        if self.handle.is_none() {
            return;
        }
        let protocol = r.protocol;
        let model = r.model_group.clone();
        let provider = r.provider_name.clone().unwrap_or_else(|| "none".into());
        counter!("llmo_requests_total", "protocol" => protocol, "model" => model.clone(),
                 "provider" => provider.clone(), "status" => r.status_code.to_string())
        .increment(1);
        if let Some(class) = &r.error_class {
            counter!("llmo_request_errors_total", "protocol" => protocol, "model" => model.clone(),
                     "class" => class.clone())
            .increment(1);
        }
        histogram!("llmo_request_duration_seconds", "protocol" => protocol, "model" => model.clone())
            .record(r.latency_ms as f64 / 1000.0);
        if let Some(us) = r.overhead_us {
            histogram!("llmo_gateway_overhead_seconds", "protocol" => protocol)
                .record(us as f64 / 1_000_000.0);
        }
        if let Some(us) = r.upstream_us {
            histogram!("llmo_upstream_duration_seconds", "provider" => provider.clone())
                .record(us as f64 / 1_000_000.0);
        }
        if let Some(ms) = r.ttft_ms {
            histogram!("llmo_time_to_first_token_seconds", "model" => model.clone())
                .record(ms as f64 / 1000.0);
        }
        for (kind, n) in [
            ("prompt", r.prompt_tokens),
            ("completion", r.completion_tokens),
            ("cached", r.cached_tokens),
        ] {
            if let Some(n) = n.filter(|n| *n > 0) {
                counter!("llmo_tokens_total", "model" => model.clone(),
                         "provider" => provider.clone(), "type" => kind)
                .increment(n);
            }
        }
        if let Some(c) = r.cost.filter(|c| *c > 0.0) {
            // Counters are integers: cost is counted in micro-units of the price currency.
            counter!("llmo_cost_micros_total", "model" => model.clone(), "provider" => provider.clone())
                .increment((c * 1_000_000.0).round() as u64);
        }
        for a in &r.attempts {
            counter!("llmo_upstream_attempts_total", "provider" => a.provider.clone(),
                     "class" => a.class.unwrap_or("ok"))
            .increment(1);
        }
        if r.attempts.len() > 1 {
            counter!("llmo_retries_total", "model" => model.clone())
                .increment(r.attempts.len() as u64 - 1);
            let providers: std::collections::HashSet<i64> =
                r.attempts.iter().map(|a| a.provider_id).collect();
            if providers.len() > 1 {
                counter!("llmo_failovers_total", "model" => model).increment(1);
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
