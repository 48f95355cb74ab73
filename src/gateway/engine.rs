//! The attempt loop: from a parsed client request to an upstream answer, with failover.
//!
//! 1. [`Gateway::plan`] lists the targets — (route, key) pairs of the requested model — that
//!    can serve this request: enabled route, provider and key; the capabilities the request
//!    needs; circuits not open. Routes come in priority tiers (route priority + provider
//!    priority), weighted within a tier (route weight × provider weight); each route's keys
//!    follow by key weight. So failures move to the next key of the same provider, then on.
//! 2. [`Gateway::run`] tries targets in that order, at most `max_retry_count + 1` times, under
//!    a per-attempt timeout and the request's total deadline. Failure classes decide the next
//!    step (`classify`). Wrapping around to a target that already failed waits first: the
//!    larger of its `Retry-After` and an exponential backoff with jitter.
//! 3. A streaming attempt succeeds once its first event has arrived; until then nothing has
//!    been sent to the client, so failover still works. What follows is `relay`'s job.
//!
//! Each attempt's request is built in the provider's protocol by `upstream` (a route whose
//! protocol cannot express the request is skipped; when none can, the answer is a 400 naming
//! the field); answers come back translated to the canonical OpenAI chat shape, full or as a
//! stream (`providers::translate`). Wire details live in `providers`; rendering errors in
//! `http`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::header::{self, HeaderValue};
use http_body_util::{BodyDataStream, BodyExt};
use rand::RngExt;
use serde_json::Value;
use tokio::time::Instant;

use super::classify::{classify_status, classify_transport, FailureClass, Next};
use super::error::{AttemptRecord, ErrorKind, GatewayError};
use super::health::HealthRegistry;
use super::request_body::RequestBody;
use super::routing::{self, Candidate};
use super::upstream::{self, Call};
use crate::catalog::model::Capability;
use crate::catalog::snapshot::{ModelEntry, RouteEntry};
use crate::config::GatewayConfig;
use crate::providers::chat::Unsupported;
use crate::providers::client::{self, PerThread, UpstreamBody};
use crate::providers::openai::{self, Needs, Usage};
use crate::providers::sse::SseEvent;
use crate::providers::tokens;
use crate::providers::translate::{self, EventReader};
use crate::security::sha256;

/// A `Retry-After` longer than this goes back to the client instead of being waited out.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// How much of an upstream error body is read to classify it and pass its reason back.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The OpenAI-shaped endpoints the gateway serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ChatCompletions,
    Completions,
    Embeddings,
}

impl Endpoint {
    /// The path under an OpenAI-compatible base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "/chat/completions",
            Endpoint::Completions => "/completions",
            Endpoint::Embeddings => "/embeddings",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "chat_completions",
            Endpoint::Completions => "completions",
            Endpoint::Embeddings => "embeddings",
        }
    }
}

/// The protocol a client spoke; its request reaches the engine in the canonical (OpenAI)
/// shape either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    OpenAi,
    Anthropic,
    Gemini,
}

/// One client request, parsed and resolved to a model.
pub struct Job {
    pub endpoint: Endpoint,
    /// Who translated the body: an OpenAI client's body is forwarded to OpenAI upstreams as
    /// it came; a translated one loses the gateway's extensions on the way.
    pub inbound: Inbound,
    /// The name the client asked for (a model name or an alias).
    pub requested: String,
    pub model: Arc<ModelEntry>,
    pub body: RequestBody,
    pub needs: Needs,
    pub request_id: String,
    /// When the request arrived; the total deadline counts from here.
    pub started: Instant,
}

impl Job {
    pub fn stream(&self) -> bool {
        self.needs.streaming
    }

    /// The client asked for the final usage chunk itself.
    pub fn client_wants_usage(&self) -> bool {
        self.body.client_wants_usage()
    }
}

/// Who served a request, and how it got there.
#[derive(Debug, Clone)]
pub struct Served {
    pub provider: String,
    pub provider_id: i64,
    pub route_id: i64,
    pub key_id: i64,
    /// The model name the upstream was sent.
    pub upstream_model: String,
    /// Every attempt, the successful one last.
    pub attempts: Vec<AttemptRecord>,
    /// The route may have added `stream_options.include_usage` the client did not ask for.
    pub usage_injected: bool,
    /// A stream whose upstream was not asked for usage: the prompt's estimated tokens, for
    /// the relay to complete an estimate when the stream ends.
    pub prompt_estimate: Option<u64>,
    pub idle_timeout: Duration,
    /// Time spent in attempts (to the first event for streams).
    pub upstream_time: Duration,
    /// Time spent waiting between attempts (Retry-After, backoff).
    pub waited: Duration,
}

/// A successful upstream answer.
pub enum Answer {
    Full {
        served: Served,
        /// The upstream's body, rewritten only where the model setting asks.
        body: Bytes,
        usage: Option<Usage>,
    },
    Stream {
        served: Served,
        upstream: UpstreamStream,
    },
}

/// A started upstream stream: the events read so far (at least one) and the rest. Events
/// are OpenAI chunks whatever the upstream speaks (the reader translates).
pub struct UpstreamStream {
    pub pending: Vec<SseEvent>,
    pub reader: EventReader,
    /// The rest of the body; errors already classified (reset, timeout).
    pub body: futures::stream::BoxStream<'static, Result<Bytes, FailureClass>>,
}

/// One (route, key) pair to try.
#[derive(Debug, Clone, Copy)]
struct Target {
    route: usize,
    key: usize,
    provider_id: i64,
    key_id: i64,
}

/// A failed attempt: its class and, for an HTTP error, what the upstream said.
struct Failure {
    class: FailureClass,
    upstream: Option<(u16, Bytes)>,
}

impl Failure {
    fn of(class: FailureClass) -> Failure {
        Failure {
            class,
            upstream: None,
        }
    }
}

enum Success {
    Full {
        body: Bytes,
        usage: Option<Usage>,
    },
    Stream {
        upstream: Box<UpstreamStream>,
        /// The upstream reports usage whether the client asked for it or not.
        usage_added: bool,
    },
}

/// The request engine, shared by all workers.
pub struct Gateway {
    pub health: Arc<HealthRegistry>,
    clients: PerThread,
    config: GatewayConfig,
    /// SHA-256 of each `gateway.api_keys` entry.
    api_keys: HashSet<[u8; 32]>,
}

impl Gateway {
    pub fn new(config: &GatewayConfig, health: Arc<HealthRegistry>, clients: PerThread) -> Gateway {
        Gateway {
            health,
            clients,
            api_keys: config.api_keys.iter().map(|k| sha256(k.expose())).collect(),
            config: config.clone(),
        }
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// Whether a presented key is one of `gateway.api_keys`.
    pub fn is_config_key(&self, presented: &str) -> bool {
        !self.api_keys.is_empty() && self.api_keys.contains(&sha256(presented))
    }

    pub fn config_key_count(&self) -> usize {
        self.api_keys.len()
    }

    /// The targets for a job, in the order they are tried.
    fn plan(&self, job: &Job) -> Result<Vec<Target>, GatewayError> {
        let model = &job.model;
        let name = &model.model.name;
        let needed = needed_capabilities(job);
        let mut rng = rand::rng();
        let (mut enabled, mut capable, mut keyed) = (0, 0, 0);
        let mut candidates = Vec::new();
        for (i, r) in model.routes.iter().enumerate() {
            let p = &r.provider.provider;
            if !r.route.enabled || !p.enabled || !upstream::serves(p.kind, job.endpoint) {
                continue;
            }
            enabled += 1;
            if !needed.iter().all(|c| r.route.capabilities.contains(c)) {
                continue;
            }
            capable += 1;
            if !r.provider.keys.iter().any(|k| k.key.enabled) {
                continue;
            }
            keyed += 1;
            candidates.push(Candidate {
                item: i,
                priority: r.route.priority.saturating_add(p.priority),
                weight: weight(r.route.weight) * weight(p.weight),
            });
        }
        let mut targets = Vec::new();
        for route in routing::order(candidates, &mut rng) {
            let entry = &model.routes[route];
            let provider_id = entry.provider.provider.id;
            let keys: Vec<Candidate<usize>> = entry
                .provider
                .keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.key.enabled && self.health.available(provider_id, k.key.id))
                .map(|(i, k)| Candidate {
                    item: i,
                    priority: 0,
                    weight: weight(k.key.weight),
                })
                .collect();
            for key in routing::order(keys, &mut rng) {
                targets.push(Target {
                    route,
                    key,
                    provider_id,
                    key_id: entry.provider.keys[key].key.id,
                });
            }
        }
        if !targets.is_empty() {
            return Ok(targets);
        }
        Err(if enabled == 0 {
            GatewayError::new(
                503,
                ErrorKind::Unavailable,
                "no_route",
                format!("model `{name}` has no enabled route to a provider this gateway can call"),
            )
        } else if capable == 0 {
            let what: Vec<&str> = needed.iter().map(|c| c.as_str()).collect();
            GatewayError {
                param: Some(first_param(&needed).into()),
                ..GatewayError::new(
                    400,
                    ErrorKind::InvalidRequest,
                    "unsupported_capability",
                    format!(
                        "no route of model `{name}` supports what this request needs: {}",
                        what.join(", ")
                    ),
                )
            }
        } else if keyed == 0 {
            GatewayError::new(
                503,
                ErrorKind::Unavailable,
                "no_provider_key",
                format!("no provider of model `{name}` has an enabled API key"),
            )
        } else {
            GatewayError::all_resting(name)
        })
    }

    /// Runs the attempt loop for one request.
    pub async fn run(&self, job: &Job) -> Result<Answer, GatewayError> {
        let targets = self.plan(job)?;
        let deadline = job.started + self.config.total_timeout;
        let max_attempts = self.config.max_retry_count as usize + 1;
        let mut attempts: Vec<AttemptRecord> = Vec::new();
        let mut dropped = vec![false; targets.len()];
        let mut hints: Vec<Option<Duration>> = vec![None; targets.len()];
        let mut retry_after_hint: Option<Duration> = None;
        let mut unsupported: Option<(String, Unsupported)> = None;
        let mut round = 0u32;
        let (mut upstream_time, mut waited) = (Duration::ZERO, Duration::ZERO);
        'rounds: loop {
            let mut tried_any = false;
            let mut skip_providers: HashSet<i64> = HashSet::new();
            for (i, t) in targets.iter().enumerate() {
                if dropped[i] || skip_providers.contains(&t.provider_id) {
                    continue;
                }
                if attempts.len() >= max_attempts {
                    break 'rounds;
                }
                if round > 0 {
                    // This target already failed in this request: wait before trying again.
                    let hint = hints[i].unwrap_or_default();
                    if hint > MAX_RETRY_WAIT {
                        continue;
                    }
                    let wait = hint.max(self.backoff(round));
                    if Instant::now() + wait >= deadline {
                        break 'rounds;
                    }
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
                let entry = &job.model.routes[t.route];
                let call = match upstream::build(job, entry, entry.provider.keys[t.key].secret()) {
                    Ok(call) => call,
                    Err(e) => {
                        // This route's protocol cannot carry the request; others may.
                        dropped[i] = true;
                        unsupported.get_or_insert((entry.provider.provider.name.clone(), e));
                        continue;
                    }
                };
                let Some(pass) = self.health.permit(t.provider_id, t.key_id) else {
                    continue;
                };
                tried_any = true;
                let started = Instant::now();
                let result = self.attempt(job, entry, call, deadline).await;
                upstream_time += started.elapsed();
                let mut record = AttemptRecord {
                    provider: entry.provider.provider.name.clone(),
                    provider_id: t.provider_id,
                    route_id: entry.route.id,
                    key: entry.provider.keys[t.key].key.label.clone(),
                    key_id: t.key_id,
                    class: None,
                    status: None,
                    latency_ms: started.elapsed().as_millis() as u64,
                };
                match result {
                    Ok(success) => {
                        pass.success();
                        record.status = Some(200);
                        attempts.push(record);
                        let timing = (upstream_time, waited);
                        return Ok(self.answer(job, entry, t, attempts, timing, success));
                    }
                    Err(failure) => {
                        pass.failure(&failure.class);
                        record.class = Some(failure.class.as_str());
                        record.status = failure.class.status();
                        tracing::info!(
                            request_id = %job.request_id,
                            provider = %record.provider,
                            key = %record.key,
                            class = record.class,
                            status = record.status,
                            "upstream attempt failed"
                        );
                        attempts.push(record);
                        match failure.class.next() {
                            Next::Stop => {
                                return Err(upstream_refusal(&failure).with_attempts(attempts))
                            }
                            Next::DropKey => {
                                for (j, other) in targets.iter().enumerate() {
                                    if other.key_id == t.key_id {
                                        dropped[j] = true;
                                    }
                                }
                            }
                            Next::TryElsewhere => {
                                if let FailureClass::RateLimited { retry_after } = failure.class {
                                    hints[i] = retry_after;
                                    retry_after_hint = retry_after_hint.max(retry_after);
                                }
                                // The host is unreachable: its other keys would be too.
                                if failure.class == FailureClass::Connect {
                                    skip_providers.insert(t.provider_id);
                                }
                            }
                        }
                    }
                }
                if Instant::now() >= deadline {
                    break 'rounds;
                }
            }
            if !tried_any {
                break;
            }
            round += 1;
        }
        if attempts.is_empty() {
            if let Some((provider, e)) = unsupported {
                return Err(unsupported_error(&job.model.model.name, &provider, e));
            }
            // Every target's circuit opened between planning and asking for a permit.
            return Err(GatewayError::all_resting(&job.model.model.name));
        }
        let retry_after = retry_after_hint.map(|d| d.as_secs().max(1));
        Err(GatewayError::exhausted(attempts, retry_after))
    }

    /// `retry_backoff × 2^(round-1)`, ±50% jitter, capped at 10 s.
    fn backoff(&self, round: u32) -> Duration {
        let base = self
            .config
            .retry_backoff
            .saturating_mul(1 << (round - 1).min(10));
        let jitter: f64 = 0.5 + rand::rng().random::<f64>();
        base.mul_f64(jitter).min(Duration::from_secs(10))
    }

    /// One attempt against one target.
    async fn attempt(
        &self,
        job: &Job,
        entry: &RouteEntry,
        call: Call,
        deadline: Instant,
    ) -> Result<Success, Failure> {
        let provider = &entry.provider.provider;
        let mut auth = HeaderValue::from_str(&call.auth.1)
            .map_err(|_| Failure::of(FailureClass::KeyRejected(401)))?;
        auth.set_sensitive(true);
        // A URL or header the catalog let through but HTTP cannot carry: no answer can come,
        // as when the connection breaks.
        let unsendable = || Failure::of(FailureClass::Reset);
        let uri = upstream_uri(&call.url).ok_or_else(unsendable)?;
        let mut req = http::Request::post(uri)
            .header(call.auth.0, auth)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .header(
                header::USER_AGENT,
                HeaderValue::from_static(client::USER_AGENT),
            )
            .header("x-request-id", &job.request_id);
        for (k, v) in &call.headers {
            req = req.header(*k, v.as_str());
        }
        for (k, v) in &provider.extra_headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let accept = if job.stream() {
            "text/event-stream"
        } else {
            "*/*"
        };
        let req = req
            .header(header::ACCEPT, HeaderValue::from_static(accept))
            .body(Bytes::from(call.body))
            .map_err(|_| unsendable())?;

        let ms = |v: Option<i32>, d: Duration| {
            v.filter(|v| *v > 0)
                .map_or(d, |v| Duration::from_millis(v as u64))
        };
        let now = Instant::now();
        let attempt_deadline = if job.stream() {
            now + ms(
                provider.first_token_timeout_ms,
                self.config.first_token_timeout,
            )
        } else {
            now + ms(provider.total_timeout_ms, self.config.request_timeout)
        }
        .min(deadline);

        let client = self.clients.get();
        let resp = match tokio::time::timeout_at(attempt_deadline, client.send(req)).await {
            Err(_) => return Err(Failure::of(FailureClass::Timeout)),
            Ok(Err(e)) => return Err(Failure::of(classify_transport(&*e))),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            let retry_after = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = read_capped(resp, MAX_ERROR_BODY, attempt_deadline)
                .await
                .unwrap_or_default();
            let class = classify_status(
                status,
                retry_after.as_deref(),
                &String::from_utf8_lossy(&body),
            );
            return Err(Failure {
                class,
                upstream: Some((status, body)),
            });
        }

        if !job.stream() {
            let collected = tokio::time::timeout_at(attempt_deadline, resp.into_body().collect());
            let body = match collected.await {
                Err(_) => return Err(Failure::of(FailureClass::Timeout)),
                Ok(Err(e)) => return Err(Failure::of(classify_transport(&*e))),
                Ok(Ok(b)) => b.to_bytes(),
            };
            if let Some(light) = light_answer(job, &call.wire, &body) {
                return light.map(|usage| Success::Full {
                    body,
                    usage: Some(usage),
                });
            }
            let value: Value =
                serde_json::from_slice(&body).map_err(|_| Failure::of(FailureClass::Malformed))?;
            if !value.is_object() || value.get("error").is_some_and(|e| !e.is_null()) {
                return Err(Failure::of(FailureClass::Malformed));
            }
            let translated = call.wire.translated();
            let mut value = translate::to_openai(&call.wire, value)
                .ok_or_else(|| Failure::of(FailureClass::Malformed))?;
            let mut usage = openai::usage(&value);
            let mut changed = translated;
            if usage.is_none() && job.endpoint == Endpoint::ChatCompletions {
                // No usage from the upstream: count it, and say so.
                let estimate = tokens::estimated(
                    tokens::prompt_tokens(job.body.map()),
                    tokens::completion_tokens(&value),
                );
                if job.inbound != Inbound::OpenAi {
                    value["usage"] = estimate.to_json();
                    changed = true;
                }
                usage = Some(estimate);
            }
            let present = job.model.model.present_requested_name && value.get("model").is_some();
            if present {
                value["model"] = Value::String(job.requested.clone());
            }
            let body = if present || changed {
                Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
            } else {
                body
            };
            return Ok(Success::Full { body, usage });
        }

        // Streaming: success only once the first event has arrived.
        let mut stream = BodyDataStream::new(resp.into_body())
            .map(|r| r.map_err(|e| classify_transport(&*e)))
            .fuse()
            .boxed();
        let mut reader = EventReader::new(&call.wire);
        loop {
            let chunk = match tokio::time::timeout_at(attempt_deadline, stream.next()).await {
                Err(_) => return Err(Failure::of(FailureClass::Timeout)),
                Ok(None) => return Err(Failure::of(FailureClass::Reset)),
                Ok(Some(Err(class))) => return Err(Failure::of(class)),
                Ok(Some(Ok(c))) => c,
            };
            let events = reader
                .push(&chunk)
                .map_err(|_| Failure::of(FailureClass::Malformed))?;
            let Some(first) = events.first() else {
                continue;
            };
            if first.is_done() {
                // `[DONE]` before any chunk: the upstream produced nothing.
                return Err(Failure::of(FailureClass::Malformed));
            }
            let value: Value = serde_json::from_str(&first.data)
                .map_err(|_| Failure::of(FailureClass::Malformed))?;
            if let Some(err) = value.get("error").filter(|e| !e.is_null()) {
                // An error as the first event is still failover territory.
                let code = err.get("code").and_then(Value::as_str).unwrap_or("");
                let class = if code.contains("rate_limit") {
                    FailureClass::RateLimited { retry_after: None }
                } else {
                    FailureClass::Server(502)
                };
                return Err(Failure::of(class));
            }
            return Ok(Success::Stream {
                upstream: Box::new(UpstreamStream {
                    pending: events,
                    reader,
                    body: stream,
                }),
                usage_added: call.usage_added,
            });
        }
    }

    fn answer(
        &self,
        job: &Job,
        entry: &RouteEntry,
        t: &Target,
        attempts: Vec<AttemptRecord>,
        (upstream_time, waited): (Duration, Duration),
        success: Success,
    ) -> Answer {
        let provider = &entry.provider.provider;
        let served = Served {
            provider: provider.name.clone(),
            provider_id: t.provider_id,
            route_id: entry.route.id,
            key_id: t.key_id,
            upstream_model: entry.route.upstream_model.clone(),
            attempts,
            usage_injected: matches!(
                success,
                Success::Stream {
                    usage_added: true,
                    ..
                }
            ) && !job.client_wants_usage(),
            prompt_estimate: match success {
                Success::Stream {
                    usage_added: false, ..
                } if !job.client_wants_usage() && job.endpoint == Endpoint::ChatCompletions => {
                    Some(tokens::prompt_tokens(job.body.map()))
                }
                _ => None,
            },
            idle_timeout: provider
                .idle_timeout_ms
                .filter(|v| *v > 0)
                .map_or(self.config.idle_timeout, |v| {
                    Duration::from_millis(v as u64)
                }),
            upstream_time,
            waited,
        };
        match success {
            Success::Full { body, usage } => Answer::Full {
                served,
                body,
                usage,
            },
            Success::Stream { upstream, .. } => Answer::Stream {
                served,
                upstream: *upstream,
            },
        }
    }
}

/// The usual OpenAI answer passed through as it came: only `error` and `usage` are read,
/// not the whole body. `None` when the full path is needed (a translated wire, a model name
/// to rewrite, no usage to read); `Some(Err)` for an answer that is not a response object.
fn light_answer(job: &Job, wire: &translate::Wire, body: &[u8]) -> Option<Result<Usage, Failure>> {
    #[derive(serde::Deserialize)]
    struct Light {
        #[serde(default)]
        error: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        usage: Option<Value>,
    }
    if !matches!(wire, translate::Wire::OpenAi) || job.model.model.present_requested_name {
        return None;
    }
    // serde would also read a struct from a JSON array.
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let Ok(light) = serde_json::from_slice::<Light>(body)
        .map_err(drop)
        .and_then(|l| if is_object { Ok(l) } else { Err(()) })
    else {
        return Some(Err(Failure::of(FailureClass::Malformed)));
    };
    if light.error.is_some() {
        return Some(Err(Failure::of(FailureClass::Malformed)));
    }
    light.usage.as_ref().and_then(openai::usage_object).map(Ok)
}

/// Parsed upstream URIs by their text, per thread: a route's URL rarely changes, and an
/// `http::Uri` is cheap to clone (its parts are shared bytes).
fn upstream_uri(url: &str) -> Option<http::Uri> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static URIS: RefCell<HashMap<String, http::Uri>> = RefCell::new(HashMap::new());
    }
    URIS.with(|cell| {
        let mut uris = cell.borrow_mut();
        if let Some(u) = uris.get(url) {
            return Some(u.clone());
        }
        // `http::Uri` takes ASCII only; a URL with a Unicode host or unescaped characters in
        // its path (a deployment name with a space) goes through the `url` crate first, which
        // writes it as it must travel (IDNA host, percent-encoded path), as reqwest did.
        let parsed: http::Uri = match url.parse() {
            Ok(uri) => uri,
            Err(_) => url::Url::parse(url).ok()?.as_str().parse().ok()?,
        };
        // Only absolute http(s) URIs can be sent.
        if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none() {
            return None;
        }
        if uris.len() >= 1024 {
            uris.clear(); // bounded: URLs come from the catalog, but it can change
        }
        uris.insert(url.to_string(), parsed.clone());
        Some(parsed)
    })
}

/// Route and key weights are validated non-negative; a negative one would never be drawn.
fn weight(w: i32) -> u64 {
    w.max(0) as u64
}

fn needed_capabilities(job: &Job) -> Vec<Capability> {
    let n = &job.needs;
    [
        (n.tools, Capability::Tools),
        (n.vision, Capability::Vision),
        (n.json_schema, Capability::JsonSchema),
        (n.streaming, Capability::Streaming),
    ]
    .into_iter()
    .filter_map(|(needed, c)| needed.then_some(c))
    .collect()
}

fn first_param(needed: &[Capability]) -> &'static str {
    match needed.first() {
        Some(Capability::Tools) => "tools",
        Some(Capability::Vision) => "messages",
        Some(Capability::JsonSchema) => "response_format",
        _ => "stream",
    }
}

async fn read_capped(
    resp: http::Response<UpstreamBody>,
    cap: usize,
    deadline: Instant,
) -> Option<Bytes> {
    let mut out = Vec::new();
    let mut stream = BodyDataStream::new(resp.into_body());
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, stream.next()).await {
        out.extend_from_slice(&chunk);
        if out.len() >= cap {
            out.truncate(cap);
            break;
        }
    }
    Some(Bytes::from(out))
}

/// The upstream refused the request itself (400/404/413/422, content filter, context
/// length): its reason goes back with its status, in our shape.
fn upstream_refusal(failure: &Failure) -> GatewayError {
    let status = failure.class.status().unwrap_or(400);
    let parsed: Option<Value> = failure
        .upstream
        .as_ref()
        .and_then(|(_, b)| serde_json::from_slice(b).ok());
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let text = |k: &str| err.and_then(|e| e.get(k)).and_then(Value::as_str);
    let message = text("message")
        .map(str::to_string)
        .or_else(|| {
            // A bare string error or a non-JSON body: pass a bounded excerpt.
            err.and_then(Value::as_str).map(str::to_string).or_else(|| {
                failure.upstream.as_ref().map(|(_, b)| {
                    let s = String::from_utf8_lossy(b);
                    s.chars().take(500).collect()
                })
            })
        })
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("the upstream refused the request with status {status}"));
    // OpenAI says `code`; Anthropic's `{"type":"error","error":{"type"}}` and Gemini's
    // `status` name the same thing.
    let anthropic = parsed.as_ref().and_then(|v| v.get("type")) == Some(&Value::from("error"));
    let code = text("code")
        .or_else(|| if anthropic { text("type") } else { None })
        .or_else(|| text("status"))
        .map(str::to_string)
        .unwrap_or_else(|| failure.class.as_str().to_string());
    let (status, kind) = match status {
        404 => (404, ErrorKind::NotFound),
        413 => (413, ErrorKind::InvalidRequest),
        s @ 400..=499 => (s, ErrorKind::InvalidRequest),
        _ => (400, ErrorKind::InvalidRequest),
    };
    GatewayError {
        status,
        kind,
        code: Some(code),
        message,
        param: text("param").map(str::to_string),
        retry_after: None,
        attempts: Vec::new(),
    }
}

/// No route's protocol can express the request: 400 naming the field.
fn unsupported_error(model: &str, provider: &str, e: Unsupported) -> GatewayError {
    GatewayError {
        param: Some(e.param.clone()),
        ..GatewayError::new(
            400,
            ErrorKind::InvalidRequest,
            "unsupported_by_upstream",
            format!(
                "no route of model `{model}` can carry this request: `{}` {} (provider `{provider}`)",
                e.param, e.message
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::upstream_uri;

    #[test]
    fn upstream_urls_travel_as_ascii_uris() {
        let plain = "http://127.0.0.1:8080/v1/chat/completions";
        assert_eq!(upstream_uri(plain).unwrap().to_string(), plain);
        let u = upstream_uri(
            "https://bücher.example/openai/deployments/my deployment/chat/completions?api-version=2024-10-21",
        )
        .unwrap();
        assert_eq!(
            u.to_string(),
            "https://xn--bcher-kva.example/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21"
        );
        assert!(upstream_uri("ftp://example.com/").is_none());
        assert!(upstream_uri("not a url").is_none());
    }
}
