//! The Gemini-compatible client API under `/v1beta`: `POST models/{model}:generateContent`,
//! `:streamGenerateContent` (answered as `alt=sse` events) and `:countTokens`, and
//! `GET models` / `GET models/{model}` listing what the key may use — routed to any upstream
//! kind. The client key comes as `x-goog-api-key`, `?key=`, `Authorization: Bearer` or
//! `x-api-key`. Errors are Gemini's `{"error":{"code","message","status"}}`.
//!
//! Translation lives in `providers::gemini::inbound`; the run itself in `http::native`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::client_auth::{authenticate, presented_key, Caller};
use super::native::{self, Client};
use super::openai::{read_body, routable};
use super::AppState;
use crate::accounting::record::Draft;
use crate::accounting::Pending;
use crate::gateway::error::{ErrorKind, GatewayError};
use crate::providers::gemini::inbound;
use crate::providers::tokens;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/models", web::get().to(list_models))
        .route("/models/{tail:.*}", web::post().to(action))
        .route("/models/{tail:.*}", web::get().to(get_model));
}

/// Gemini's error shape (Google's status names).
pub fn error_response(e: &GatewayError) -> HttpResponse {
    let state = match (e.kind, e.status) {
        (_, 504) => "DEADLINE_EXCEEDED",
        (ErrorKind::InvalidRequest, _) => "INVALID_ARGUMENT",
        (ErrorKind::Authentication, _) => "UNAUTHENTICATED",
        (ErrorKind::Permission, _) => "PERMISSION_DENIED",
        (ErrorKind::NotFound, _) => "NOT_FOUND",
        (ErrorKind::RateLimit, _) => "RESOURCE_EXHAUSTED",
        (ErrorKind::Upstream | ErrorKind::Unavailable, _) => "UNAVAILABLE",
        (ErrorKind::Internal, _) => "INTERNAL",
    };
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut res = HttpResponse::build(status);
    if let Some(secs) = e.retry_after {
        res.insert_header(("retry-after", secs.to_string()));
    }
    if !e.attempts.is_empty() {
        res.insert_header(("x-llmo-attempts", e.attempts.len().to_string()));
    }
    res.json(json!({"error": {"code": e.status, "message": e.message, "status": state}}))
}

/// The client key: `x-goog-api-key`, `?key=`, then the OpenAI-style headers.
fn key(req: &HttpRequest) -> Option<String> {
    if let Some(k) = req
        .headers()
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
    {
        return Some(k.trim().to_string()).filter(|k| !k.is_empty());
    }
    let from_query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.into_owned());
    from_query.or_else(|| presented_key(req).map(str::to_string))
}

fn caller(state: &web::Data<AppState>, req: &HttpRequest) -> Result<Caller, GatewayError> {
    let snapshot = state.catalog.snapshot();
    authenticate(key(req).as_deref(), &snapshot, &state.gateway)
}

fn not_found(what: &str) -> GatewayError {
    GatewayError::new(
        404,
        ErrorKind::NotFound,
        "not_found",
        format!("{what} is not found"),
    )
}

/// `{model}:{method}` → the model (without `models/`) and the method.
fn split(tail: &str) -> Option<(&str, &str)> {
    let (model, method) = tail.rsplit_once(':')?;
    Some((model.strip_prefix("models/").unwrap_or(model), method))
}

async fn action(
    state: web::Data<AppState>,
    req: HttpRequest,
    tail: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    // Recorded as aborted if actix drops this future (the client left before the answer).
    let draft = native::draft(&state, &req, Client::Gemini);
    let mut pending = Pending::new(draft, state.accounting.clone());
    let result = serve(&state, &req, &tail, payload, pending.draft()).await;
    let draft = pending.take();
    result.unwrap_or_else(|e| {
        state.accounting.record(draft.failed(&e));
        error_response(&e)
    })
}

async fn serve(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    tail: &str,
    payload: web::Payload,
    draft: &mut Draft,
) -> Result<HttpResponse, GatewayError> {
    let caller = caller(state, req)?;
    draft.record.client_key_id = caller.key_id();
    let (model, method) = split(tail).ok_or_else(|| not_found(&format!("models/{tail}")))?;
    let stream = match method {
        "generateContent" => false,
        "streamGenerateContent" => true,
        "countTokens" => {
            let body = read(state, req, payload).await?;
            let body = body
                .get("generateContentRequest")
                .and_then(Value::as_object)
                .unwrap_or(&body);
            let canonical = inbound::to_canonical(body, model, false).map_err(invalid)?;
            let n = tokens::prompt_tokens(&canonical);
            return Ok(HttpResponse::Ok().json(json!({ "totalTokens": n })));
        }
        other => return Err(not_found(&format!("method `{other}`"))),
    };
    let body = read(state, req, payload).await?;
    let canonical = inbound::to_canonical(&body, model, stream).map_err(invalid)?;
    native::run(state, Client::Gemini, &caller, canonical, draft).await
}

fn invalid(e: crate::providers::chat::Unsupported) -> GatewayError {
    GatewayError::invalid(&e.param, format!("{}: {}", e.param, e.message))
}

async fn read(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Map<String, Value>, GatewayError> {
    let raw = read_body(req, payload, state.gateway.config().max_body_size).await?;
    let value: Value = serde_json::from_slice(&raw)
        .map_err(|e| GatewayError::bad_request(format!("Invalid JSON payload received: {e}")))?;
    match value {
        Value::Object(body) => Ok(body),
        _ => Err(GatewayError::bad_request(
            "the request body must be a JSON object",
        )),
    }
}

fn model_object(name: &str) -> Value {
    json!({"name": format!("models/{name}"), "baseModelId": name, "displayName": name,
           "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"]})
}

async fn list_models(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let caller = match caller(&state, &req) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    let snapshot = state.catalog.snapshot();
    let models: Vec<Value> = snapshot
        .models()
        .iter()
        .filter(|m| routable(m) && caller.may_use(&m.model.name, &m.model.name))
        .map(|m| model_object(&m.model.name))
        .collect();
    HttpResponse::Ok().json(json!({ "models": models }))
}

async fn get_model(
    state: web::Data<AppState>,
    req: HttpRequest,
    tail: web::Path<String>,
) -> HttpResponse {
    let caller = match caller(&state, &req) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    let name = tail.strip_prefix("models/").unwrap_or(&tail).to_string();
    let snapshot = state.catalog.snapshot();
    match snapshot.model(&name) {
        Some(m) if routable(m) && caller.may_use(&m.model.name, &name) => {
            HttpResponse::Ok().json(model_object(&name))
        }
        _ => error_response(&not_found(&format!("models/{name}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_and_method_split_at_the_last_colon() {
        assert_eq!(
            split("gemini-2.5-flash:generateContent"),
            Some(("gemini-2.5-flash", "generateContent"))
        );
        assert_eq!(
            split("models/a:b:streamGenerateContent"),
            Some(("a:b", "streamGenerateContent"))
        );
        assert_eq!(split("nomethod"), None);
    }
}
