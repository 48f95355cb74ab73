//! The OpenAI-compatible client API: `POST /v1/chat/completions`, `/v1/completions`,
//! `/v1/embeddings` (streaming where OpenAI streams), `GET /v1/models` and
//! `GET /v1/models/{id}` (ids may contain `/`). Also under `/api/v1`, where the Python version
//! served them.
//!
//! Handlers only check the request (key, size, JSON, the fields routing needs) and shape the
//! answer; the gateway engine picks upstreams and fails over. Bodies travel as JSON objects so
//! fields this gateway does not know survive. Every error is OpenAI's
//! `{"error":{"message","type","param","code"}}` with the matching status.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};
use futures::StreamExt;
use serde_json::{json, Map, Value};

use std::sync::Arc;

use super::client_auth::{authenticate, presented_key};
use super::client_ip::client_ip;
use super::middleware::RequestId;
use super::AppState;
use crate::accounting::record::Draft;
use crate::accounting::Pending;
use crate::catalog::snapshot::ModelEntry;
use crate::gateway::engine::{Answer, Endpoint, Inbound, Job};
use crate::gateway::error::{ErrorKind, GatewayError};
use crate::gateway::relay::{relay, RelayOptions, StreamEnd, StreamSummary};
use crate::gateway::request_body::RequestBody;
use crate::providers::openai::{self, Needs};

pub fn routes(cfg: &mut web::ServiceConfig) {
    post_routes(cfg);
    model_routes(cfg);
}

/// The POST endpoints alone: `/v1` puts them before every other route (see `http::routes`).
pub fn post_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/chat/completions",
        web::post().to(|s, r, p| handle(s, r, p, Endpoint::ChatCompletions)),
    )
    .route(
        "/completions",
        web::post().to(|s, r, p| handle(s, r, p, Endpoint::Completions)),
    )
    .route(
        "/embeddings",
        web::post().to(|s, r, p| handle(s, r, p, Endpoint::Embeddings)),
    );
}

/// `GET /models` and `/models/{id}`; under `/v1` after Anthropic's, which claim requests with
/// an `anthropic-version` header.
pub fn model_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/models", web::get().to(list_models))
        .route("/models/{id:.*}", web::get().to(get_model));
}

/// OpenAI's error shape; `attempts` (ours) lists what was tried when upstreams failed.
pub fn error_response(e: &GatewayError) -> HttpResponse {
    let kind = match e.kind {
        ErrorKind::InvalidRequest | ErrorKind::NotFound => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Upstream => "upstream_error",
        ErrorKind::Unavailable => "service_unavailable_error",
        ErrorKind::Internal => "server_error",
    };
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut res = HttpResponse::build(status);
    if let Some(secs) = e.retry_after {
        res.insert_header(("retry-after", secs.to_string()));
    }
    if e.status == 401 {
        res.insert_header(("www-authenticate", "Bearer"));
    }
    let mut error = json!({
        "message": e.message,
        "type": kind,
        "param": e.param,
        "code": e.code,
    });
    if !e.attempts.is_empty() {
        res.insert_header(("x-llmo-attempts", e.attempts.len().to_string()));
        error["attempts"] = json!(e.attempts);
    }
    res.json(json!({ "error": error }))
}

pub(crate) fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

async fn handle(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    endpoint: Endpoint,
) -> HttpResponse {
    let draft = Draft::start(
        request_id(&req),
        client_ip(&req, &state.config.server.trusted_proxies),
        "openai",
        req.path(),
    );
    // Recorded as aborted if actix drops this future (the client left before the answer).
    let mut pending = Pending::new(draft, state.accounting.clone());
    let result = serve(&state, &req, payload, endpoint, pending.draft()).await;
    let draft = pending.take();
    match result {
        Ok(Reply::Full {
            res,
            usage,
            model,
            route_id,
        }) => {
            let route = model.routes.iter().find(|r| r.route.id == route_id);
            state
                .accounting
                .record(draft.finished(200, usage, route.map(|r| &r.route), None));
            res
        }
        // The relay records the stream when it ends.
        Ok(Reply::Stream(res)) => res,
        Err(e) => {
            state.accounting.record(draft.failed(&e));
            error_response(&e)
        }
    }
}

/// A successful answer; a full one is recorded by the caller, a stream by its relay.
enum Reply {
    Full {
        res: HttpResponse,
        usage: Option<openai::Usage>,
        model: Arc<ModelEntry>,
        route_id: i64,
    },
    Stream(HttpResponse),
}

async fn serve(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
    endpoint: Endpoint,
    draft: &mut Draft,
) -> Result<Reply, GatewayError> {
    let started = draft.started;
    let snapshot = state.catalog.snapshot();
    let caller = authenticate(presented_key(req), &snapshot, &state.gateway)?;
    draft.record.client_key_id = caller.key_id();
    let raw = read_body(req, payload, state.gateway.config().max_body_size).await?;
    // The usual body is passed through as it came; anything else is parsed and checked here.
    let body = match RequestBody::light(raw.clone(), endpoint) {
        Some(body) => body,
        None => RequestBody::from_map(parse_body(&raw, endpoint)?),
    };
    let requested = body.model().to_string();
    draft.record.model = requested.clone();
    draft.record.stream = body.stream() && endpoint != Endpoint::Embeddings;
    let model = visible_model(&snapshot, &requested)?;
    draft.record.model_group = model.model.name.clone();
    caller.check_model(&model.model.name, &requested)?;
    if let Some(id) = caller.key_id() {
        state.key_usage.touch(id);
    }
    let needs = match endpoint {
        Endpoint::ChatCompletions => body.needs(),
        Endpoint::Completions => Needs {
            streaming: body.stream(),
            ..Needs::default()
        },
        Endpoint::Embeddings => Needs::default(),
    };
    let job = Job {
        endpoint,
        inbound: Inbound::OpenAi,
        requested,
        model: model.clone(),
        body,
        needs,
        request_id: draft.record.request_id.clone(),
        started,
    };
    match state.gateway.run(&job).await? {
        Answer::Full {
            served,
            body,
            usage,
        } => {
            draft.served(&served);
            let mut res = HttpResponse::Ok();
            served_headers(&mut res, &served);
            Ok(Reply::Full {
                res: res.content_type("application/json").body(body),
                usage,
                model: job.model.clone(),
                route_id: served.route_id,
            })
        }
        Answer::Stream { served, upstream } => {
            draft.served(&served);
            draft.first_token();
            let mut res = HttpResponse::Ok();
            served_headers(&mut res, &served);
            let opts =
                RelayOptions::for_job(&job, &served, state.gateway.config().stream_keepalive);
            let draft = draft.clone();
            let accounting = state.accounting.clone();
            let model = job.model.clone();
            let on_end = Box::new(move |s: StreamSummary| {
                let end = match &s.end {
                    StreamEnd::Completed => None,
                    StreamEnd::Failed(c) => Some(format!("stream_{}", c.as_str())),
                    StreamEnd::ClientGone => Some("client_aborted".to_string()),
                };
                tracing::debug!(provider = %s.served.provider, events = s.events, end = ?end, "stream ended");
                let route = model
                    .routes
                    .iter()
                    .find(|r| r.route.id == s.served.route_id);
                accounting.record(draft.finished(200, s.usage, route.map(|r| &r.route), end));
            });
            let body = relay(upstream, served, opts, state.gateway.health.clone(), on_end);
            Ok(Reply::Stream(
                res.content_type("text/event-stream")
                    .insert_header(("cache-control", "no-cache"))
                    // nginx and similar proxies must not buffer a stream.
                    .insert_header(("x-accel-buffering", "no"))
                    .streaming(body),
            ))
        }
    }
}

/// Which provider and route served the request, and after how many attempts.
pub(crate) fn served_headers(
    res: &mut HttpResponseBuilder,
    served: &crate::gateway::engine::Served,
) {
    let pairs = [
        ("x-llmo-provider", served.provider.clone()),
        ("x-llmo-route-id", served.route_id.to_string()),
        ("x-llmo-upstream-model", served.upstream_model.clone()),
        ("x-llmo-attempts", served.attempts.len().to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.insert_header((HeaderName::from_static(name), v));
        }
    }
}

/// The body, refusing more than `limit` bytes with 413 before reading it all. A body that
/// arrived in one chunk (the usual case) is that chunk, not a copy.
pub(crate) async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, GatewayError> {
    let too_large = || {
        GatewayError::new(
            413,
            ErrorKind::InvalidRequest,
            "request_too_large",
            format!(
                "the request body is larger than {} MiB (gateway.max_body_size)",
                limit / (1024 * 1024)
            ),
        )
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let (mut first, mut joined, mut len) = (None::<web::Bytes>, None::<web::BytesMut>, 0);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| GatewayError::bad_request(format!("cannot read the request body: {e}")))?;
        len += chunk.len();
        if len > limit {
            return Err(too_large());
        }
        match (&mut joined, first.take()) {
            (Some(buf), _) => buf.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(f)) => {
                let mut buf =
                    web::BytesMut::with_capacity(declared.unwrap_or(len).clamp(len, limit));
                buf.extend_from_slice(&f);
                buf.extend_from_slice(&chunk);
                joined = Some(buf);
            }
        }
    }
    Ok(joined.map_or_else(|| first.unwrap_or_default(), web::BytesMut::freeze))
}

/// The body as a JSON object with the fields routing needs, checked; everything else is the
/// upstream's to judge.
fn parse_body(raw: &[u8], endpoint: Endpoint) -> Result<Map<String, Value>, GatewayError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(GatewayError::bad_request(
            "the request body is empty; send a JSON object",
        ));
    }
    let value: Value = serde_json::from_slice(raw).map_err(|e| {
        GatewayError::bad_request(format!("the request body is not valid JSON: {e}"))
    })?;
    let Value::Object(body) = value else {
        return Err(GatewayError::bad_request(
            "the request body must be a JSON object",
        ));
    };
    match body.get("model") {
        None | Some(Value::Null) => {
            return Err(GatewayError::invalid("model", "`model` is required"))
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(GatewayError::invalid("model", "`model` must not be empty"))
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(GatewayError::invalid("model", "`model` must be a string")),
    }
    if let Some(v) = body.get("stream") {
        if !v.is_boolean() && !v.is_null() {
            return Err(GatewayError::invalid(
                "stream",
                "`stream` must be true or false",
            ));
        }
    }
    let required = match endpoint {
        Endpoint::ChatCompletions => "messages",
        Endpoint::Completions => "prompt",
        Endpoint::Embeddings => "input",
    };
    match body.get(required) {
        None | Some(Value::Null) => {
            return Err(GatewayError::invalid(
                required,
                format!("`{required}` is required"),
            ))
        }
        Some(Value::Array(a)) if a.is_empty() && endpoint == Endpoint::ChatCompletions => {
            return Err(GatewayError::invalid(
                "messages",
                "`messages` must contain at least one message",
            ))
        }
        Some(Value::Array(_)) => {}
        Some(_) if endpoint == Endpoint::ChatCompletions => {
            return Err(GatewayError::invalid(
                "messages",
                "`messages` must be an array of messages",
            ))
        }
        Some(_) => {}
    }
    if endpoint == Endpoint::ChatCompletions {
        let messages = body["messages"].as_array().into_iter().flatten();
        for (i, m) in messages.enumerate() {
            if !m.get("role").is_some_and(Value::is_string) {
                return Err(GatewayError::invalid(
                    &format!("messages[{i}].role"),
                    format!("messages[{i}] needs a `role` string"),
                ));
            }
        }
    }
    Ok(body)
}

/// An enabled model, by name or alias. The allow-list is checked after, so a model outside
/// it is a 403 that says why, not a 404.
pub(crate) fn visible_model<'a>(
    snapshot: &'a crate::catalog::snapshot::Snapshot,
    requested: &str,
) -> Result<&'a std::sync::Arc<ModelEntry>, GatewayError> {
    snapshot
        .model(requested)
        .filter(|m| m.model.enabled)
        .ok_or_else(|| GatewayError::model_not_found(requested))
}

/// Whether a model has somewhere to go: an enabled route to an enabled provider.
pub(crate) fn routable(m: &ModelEntry) -> bool {
    m.model.enabled
        && m.routes
            .iter()
            .any(|r| r.route.enabled && r.provider.provider.enabled)
}

fn model_object(id: &str, m: &ModelEntry) -> Value {
    json!({
        "id": id,
        "object": "model",
        "created": m.model.created_at.timestamp(),
        "owned_by": "llm-orchestrator",
    })
}

async fn list_models(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let snapshot = state.catalog.snapshot();
    let caller = match authenticate(presented_key(&req), &snapshot, &state.gateway) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    let data: Vec<Value> = snapshot
        .models()
        .iter()
        .filter(|m| routable(m) && caller.may_use(&m.model.name, &m.model.name))
        .map(|m| model_object(&m.model.name, m))
        .collect();
    HttpResponse::Ok().json(json!({ "object": "list", "data": data }))
}

async fn get_model(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let snapshot = state.catalog.snapshot();
    let caller = match authenticate(presented_key(&req), &snapshot, &state.gateway) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    match snapshot.model(&id) {
        Some(m) if routable(m) && caller.may_use(&m.model.name, &id) => {
            HttpResponse::Ok().json(model_object(&id, m))
        }
        _ => error_response(&GatewayError::model_not_found(&id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(raw: &str, e: Endpoint) -> (u16, Option<String>, String) {
        let e = parse_body(raw.as_bytes(), e).unwrap_err();
        (e.status, e.param, e.message)
    }

    #[test]
    fn the_light_read_takes_nothing_the_checks_would_refuse() {
        use crate::gateway::request_body::tests::{UNUSUAL, USUAL};
        use crate::gateway::request_body::RequestBody;
        let more = [
            r#"{"model":"m","prompt":"p"}"#,
            r#"{"model":"m","prompt":null}"#,
            r#"{"model":"m","input":["a"]}"#,
            r#"{"model":"m","input":null,"prompt":"p"}"#,
            r#"{"model":"m","messages":"hi"}"#,
        ];
        let endpoints = [
            Endpoint::ChatCompletions,
            Endpoint::Completions,
            Endpoint::Embeddings,
        ];
        let mut taken = 0;
        for raw in USUAL.iter().chain(UNUSUAL).chain(&more) {
            for e in endpoints {
                let bytes = web::Bytes::from_static(raw.as_bytes());
                if RequestBody::light(bytes, e).is_some() {
                    taken += 1;
                    assert!(parse_body(raw.as_bytes(), e).is_ok(), "{raw} {e:?}");
                }
            }
        }
        assert!(taken > USUAL.len(), "the light read took {taken}");
    }

    #[test]
    fn bodies_are_checked_for_what_routing_needs_and_name_the_field() {
        let chat = Endpoint::ChatCompletions;
        assert_eq!(err("", chat).0, 400);
        assert!(err("{nope", chat).2.contains("not valid JSON"));
        assert!(err("[1]", chat).2.contains("JSON object"));
        assert_eq!(err(r#"{"messages":[]}"#, chat).1.as_deref(), Some("model"));
        assert_eq!(err(r#"{"model":5}"#, chat).1.as_deref(), Some("model"));
        assert_eq!(err(r#"{"model":"m"}"#, chat).1.as_deref(), Some("messages"));
        assert_eq!(
            err(r#"{"model":"m","messages":[]}"#, chat).1.as_deref(),
            Some("messages")
        );
        assert_eq!(
            err(r#"{"model":"m","messages":[{"content":"x"}]}"#, chat)
                .1
                .as_deref(),
            Some("messages[0].role")
        );
        assert_eq!(
            err(
                r#"{"model":"m","messages":[{"role":"user"}],"stream":"yes"}"#,
                chat
            )
            .1
            .as_deref(),
            Some("stream")
        );
        assert_eq!(
            err(r#"{"model":"m"}"#, Endpoint::Embeddings).1.as_deref(),
            Some("input")
        );
        let ok = parse_body(
            br#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"x_new":1}"#,
            chat,
        )
        .unwrap();
        assert_eq!(ok["x_new"], 1, "unknown fields survive");
    }
}
