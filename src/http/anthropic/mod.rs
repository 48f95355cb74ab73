//! The Anthropic-compatible client API: `POST /v1/messages` (streaming with Anthropic's event
//! sequence, or not), `POST /v1/messages/count_tokens`, and `GET /v1/models` in Anthropic's
//! shape for requests that carry `anthropic-version`; routed to any upstream kind. The
//! client key comes as `x-api-key` (or `Authorization: Bearer`); `anthropic-version` is
//! accepted and not required; `anthropic-beta` goes on to Anthropic upstreams. Errors are Anthropic's
//! `{"type":"error","error":{"type","message"}}` with the matching status.
//!
//! Translation lives in `providers::anthropic::inbound`; the run itself in `http::native`.

use actix_web::http::StatusCode;
use actix_web::{guard, web, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use serde_json::{json, Map, Value};

use super::client_auth::{authenticate, presented_key, Caller};
use super::native::{self, Client};
use super::openai::{read_body, routable};
use super::AppState;
use crate::accounting::record::Draft;
use crate::accounting::Pending;
use crate::catalog::snapshot::ModelEntry;
use crate::gateway::error::{ErrorKind, GatewayError};
use crate::providers::anthropic::inbound;
use crate::providers::chat::Unsupported;
use crate::providers::tokens;

/// Registered before the OpenAI routes: `GET /models` answers in Anthropic's shape when the
/// request carries `anthropic-version` (the Anthropic SDK always does).
pub fn routes(cfg: &mut web::ServiceConfig) {
    let anthropic =
        || guard::fn_guard(|ctx| ctx.head().headers().contains_key("anthropic-version"));
    cfg.route("/messages", web::post().to(messages))
        .route("/messages/count_tokens", web::post().to(count_tokens))
        .route("/models", web::get().guard(anthropic()).to(list_models))
        .route(
            "/models/{id:.*}",
            web::get().guard(anthropic()).to(get_model),
        );
}

fn model_object(id: &str, m: &ModelEntry) -> Value {
    json!({"type": "model", "id": id, "display_name": id,
           "created_at": m.model.created_at.to_rfc3339_opts(SecondsFormat::Secs, true)})
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
    let (first, last) = (
        data.first().map(|m| m["id"].clone()),
        data.last().map(|m| m["id"].clone()),
    );
    HttpResponse::Ok()
        .json(json!({"data": data, "has_more": false, "first_id": first, "last_id": last}))
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

/// Anthropic's error shape.
pub fn error_response(e: &GatewayError) -> HttpResponse {
    let kind = match e.kind {
        ErrorKind::InvalidRequest if e.status == 413 => "request_too_large",
        ErrorKind::InvalidRequest => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Unavailable => "overloaded_error",
        ErrorKind::Upstream | ErrorKind::Internal => "api_error",
    };
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut res = HttpResponse::build(status);
    if let Some(secs) = e.retry_after {
        res.insert_header(("retry-after", secs.to_string()));
    }
    if !e.attempts.is_empty() {
        res.insert_header(("x-llmo-attempts", e.attempts.len().to_string()));
    }
    res.json(json!({"type": "error", "error": {"type": kind, "message": e.message}}))
}

fn invalid(e: Unsupported) -> GatewayError {
    GatewayError::invalid(&e.param, format!("{}: {}", e.param, e.message))
}

async fn messages(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    // Recorded as aborted if actix drops this future (the client left before the answer).
    let draft = native::draft(&state, &req, Client::Anthropic);
    let mut pending = Pending::new(draft, state.accounting.clone());
    let result = serve(&state, &req, payload, pending.draft()).await;
    let draft = pending.take();
    result.unwrap_or_else(|e| {
        state.accounting.record(draft.failed(&e));
        error_response(&e)
    })
}

async fn serve(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
    draft: &mut Draft,
) -> Result<HttpResponse, GatewayError> {
    let (caller, body) = read(state, req, payload).await?;
    draft.record.client_key_id = caller.key_id();
    let mut canonical = inbound::to_canonical(&body).map_err(invalid)?;
    let betas: Vec<Value> = req
        .headers()
        .get_all("anthropic-beta")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|b| Value::String(b.trim().to_string()))
        .filter(|b| b.as_str().is_some_and(|b| !b.is_empty()))
        .collect();
    if !betas.is_empty() {
        canonical.insert("anthropic_beta".into(), betas.into());
    }
    native::run(state, Client::Anthropic, &caller, canonical, draft).await
}

/// `{"input_tokens": N}`, counted by the gateway's tokenizer (no upstream call).
async fn count_tokens(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let result = async {
        let (_, body) = read(&state, &req, payload).await?;
        let canonical = inbound::to_canonical(&body).map_err(invalid)?;
        Ok::<_, GatewayError>(tokens::prompt_tokens(&canonical))
    }
    .await;
    match result {
        Ok(n) => HttpResponse::Ok().json(json!({ "input_tokens": n })),
        Err(e) => error_response(&e),
    }
}

/// The caller and the request body, checked for what routing needs.
async fn read(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(Caller, Map<String, Value>), GatewayError> {
    let snapshot = state.catalog.snapshot();
    let caller = authenticate(presented_key(req), &snapshot, &state.gateway)?;
    let raw = read_body(req, payload, state.gateway.config().max_body_size).await?;
    Ok((caller, parse_body(&raw)?))
}

fn parse_body(raw: &[u8]) -> Result<Map<String, Value>, GatewayError> {
    let value: Value = serde_json::from_slice(raw).map_err(|e| {
        GatewayError::bad_request(format!("the request body is not valid JSON: {e}"))
    })?;
    let Value::Object(body) = value else {
        return Err(GatewayError::bad_request(
            "the request body must be a JSON object",
        ));
    };
    if !matches!(body.get("model"), Some(Value::String(s)) if !s.trim().is_empty()) {
        return Err(GatewayError::invalid("model", "model: Field required"));
    }
    match body.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => {}
        Some(Value::Array(_)) => {
            return Err(GatewayError::invalid(
                "messages",
                "messages: at least one message is required",
            ))
        }
        _ => {
            return Err(GatewayError::invalid(
                "messages",
                "messages: Field required",
            ))
        }
    }
    if let Some(v) = body
        .get("stream")
        .filter(|v| !v.is_boolean() && !v.is_null())
    {
        return Err(GatewayError::invalid(
            "stream",
            format!("stream: must be a boolean, not {v}"),
        ));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_for_model_and_messages() {
        assert_eq!(parse_body(b"[1]").unwrap_err().status, 400);
        assert_eq!(
            parse_body(br#"{"messages":[{"role":"user","content":"x"}]}"#)
                .unwrap_err()
                .param
                .as_deref(),
            Some("model")
        );
        assert_eq!(
            parse_body(br#"{"model":"m","messages":[]}"#)
                .unwrap_err()
                .param
                .as_deref(),
            Some("messages")
        );
        assert!(parse_body(
            br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#
        )
        .is_ok());
    }
}
