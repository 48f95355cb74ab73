//! One client request as it is logged: who asked for what, who served it (or was tried last),
//! how it ended, how long it took, what it used and cost. Built by the inbound handlers with
//! a [`Draft`] started when the request arrives, finished exactly once however the request
//! ends (answered, refused, failed upstream, stream cut or abandoned by the client).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::time::Instant;

use crate::catalog::model::Route;
use crate::gateway::engine::Served;
use crate::gateway::error::{AttemptRecord, GatewayError};
use crate::providers::openai::Usage;

/// Where a request record's model goes when the asked name is not a known model: labels and
/// rollups must not grow with whatever clients send.
pub const UNKNOWN_MODEL: &str = "(unknown)";

#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub request_id: String,
    pub created_at: DateTime<Utc>,
    pub client_key_id: Option<i64>,
    pub client_ip: String,
    /// `openai`, later `anthropic` / `gemini`.
    pub protocol: &'static str,
    pub endpoint: String,
    /// The model name as asked.
    pub model: String,
    /// The catalog's name for it (aliases resolved), or [`UNKNOWN_MODEL`].
    pub model_group: String,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
    pub upstream_model: Option<String>,
    pub route_id: Option<i64>,
    pub attempts: Vec<AttemptRecord>,
    pub status_code: u16,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    pub latency_ms: u64,
    pub ttft_ms: Option<u64>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub tokens_estimated: bool,
    pub cost: Option<f64>,
    pub stream: bool,
    /// Time spent waiting on upstreams until the answer started (not stored; for metrics).
    #[serde(skip)]
    pub upstream_us: Option<u64>,
    /// The gateway's own share of the time to the answer's start (not stored; for metrics).
    #[serde(skip)]
    pub overhead_us: Option<u64>,
}

impl RequestRecord {
    /// Answered in full: no error status and no broken stream.
    pub fn succeeded(&self) -> bool {
        self.status_code < 400 && self.error_class.is_none()
    }
}

/// A request being served; becomes a [`RequestRecord`] when it ends.
#[derive(Debug, Clone)]
pub struct Draft {
    pub started: Instant,
    pub record: RequestRecord,
}

impl Draft {
    pub fn start(
        request_id: String,
        client_ip: String,
        protocol: &'static str,
        endpoint: &str,
    ) -> Draft {
        Draft {
            started: Instant::now(),
            record: RequestRecord {
                request_id,
                created_at: Utc::now(),
                client_key_id: None,
                client_ip,
                protocol,
                endpoint: endpoint.to_string(),
                model: String::new(),
                model_group: UNKNOWN_MODEL.to_string(),
                provider_id: None,
                provider_name: None,
                upstream_model: None,
                route_id: None,
                attempts: Vec::new(),
                status_code: 0,
                error_class: None,
                error_message: None,
                latency_ms: 0,
                ttft_ms: None,
                prompt_tokens: None,
                completion_tokens: None,
                cached_tokens: None,
                tokens_estimated: false,
                cost: None,
                stream: false,
                upstream_us: None,
                overhead_us: None,
            },
        }
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Who served (or the answer started): provider, route, attempts, upstream and gateway time.
    pub fn served(&mut self, served: &Served) {
        let r = &mut self.record;
        r.provider_id = Some(served.provider_id);
        r.provider_name = Some(served.provider.clone());
        r.upstream_model = Some(served.upstream_model.clone());
        r.route_id = Some(served.route_id);
        r.attempts = served.attempts.clone();
        let to_answer = self.started.elapsed();
        let upstream = served.upstream_time + served.waited;
        r.upstream_us = Some(served.upstream_time.as_micros() as u64);
        r.overhead_us = Some(to_answer.saturating_sub(upstream).as_micros() as u64);
    }

    /// The request failed before or at the upstream: status, class and message from the error;
    /// the last attempt names the provider.
    pub fn failed(mut self, e: &GatewayError) -> RequestRecord {
        let r = &mut self.record;
        r.status_code = e.status;
        r.error_class = e.code.clone().or_else(|| Some("error".into()));
        r.error_message = Some(match prefix(&e.message, 2000) {
            p if p.len() < e.message.len() => format!("{p}…"),
            _ => e.message.clone(),
        });
        if let Some(last) = e.attempts.last() {
            r.provider_id = Some(last.provider_id);
            r.provider_name = Some(last.provider.clone());
            r.route_id = Some(last.route_id);
        }
        r.attempts = e.attempts.clone();
        self.record.latency_ms = self.elapsed_ms();
        self.record
    }

    /// Answered (a full body, or a stream that ended); `end_class` names a stream that did
    /// not complete (`stream_reset`, `client_aborted`, ...).
    pub fn finished(
        mut self,
        status: u16,
        usage: Option<Usage>,
        route: Option<&Route>,
        end_class: Option<String>,
    ) -> RequestRecord {
        self.record.status_code = status;
        self.record.latency_ms = self.elapsed_ms();
        if let Some(u) = usage {
            self.record.prompt_tokens = Some(u.prompt_tokens);
            self.record.completion_tokens = Some(u.completion_tokens);
            self.record.cached_tokens = Some(u.cached_tokens);
            self.record.tokens_estimated = u.estimated;
            self.record.cost = route.map(|r| cost(r, &u));
        }
        self.record.error_class = end_class;
        self.record
    }

    /// The first byte of a streamed answer went out now.
    pub fn first_token(&mut self) {
        self.record.ttft_ms = Some(self.elapsed_ms());
    }
}

/// Cost from the route's prices (per million tokens); cached input at its own price when the
/// route has one, else at the input price.
pub fn cost(route: &Route, u: &Usage) -> f64 {
    let cached = u.cached_tokens.min(u.prompt_tokens);
    let fresh = u.prompt_tokens - cached;
    let cached_price = route.price_cached_input.unwrap_or(route.price_input);
    (fresh as f64 * route.price_input
        + cached as f64 * cached_price
        + u.completion_tokens as f64 * route.price_output)
        / 1_000_000.0
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary (what
/// fits a VARCHAR column without splitting a character).
pub(super) fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
