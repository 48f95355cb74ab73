//! The shared path of the translated client APIs (Anthropic `/v1/messages`, Gemini
//! `/v1beta/models/...`): the canonical request through the engine, the answer back in the
//! client's protocol (full or streamed through the relay with the client's encoder), the
//! `X-LLMO-*` headers and the request record. The protocol modules only authenticate, parse,
//! translate the request and render errors.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::client_auth::Caller;
use super::client_ip::client_ip;
use super::openai::{request_id, served_headers, visible_model};
use super::AppState;
use crate::accounting::record::Draft;
use crate::gateway::engine::{Answer, Endpoint, Inbound, Job};
use crate::gateway::error::GatewayError;
use crate::gateway::relay::{relay_as, RelayOptions, StreamEnd, StreamSummary};
use crate::gateway::request_body::RequestBody;
use crate::providers::encode::ClientEncoder;
use crate::providers::{anthropic, gemini, openai};

/// A client protocol other than OpenAI's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Anthropic,
    Gemini,
}

impl Client {
    /// The name request records carry.
    pub fn name(self) -> &'static str {
        match self {
            Client::Anthropic => "anthropic",
            Client::Gemini => "gemini",
        }
    }

    fn inbound(self) -> Inbound {
        match self {
            Client::Anthropic => Inbound::Anthropic,
            Client::Gemini => Inbound::Gemini,
        }
    }

    fn full(self, completion: &Value) -> Value {
        match self {
            Client::Anthropic => anthropic::inbound::from_completion(completion),
            Client::Gemini => gemini::inbound::from_completion(completion),
        }
    }

    fn encoder(self) -> ClientEncoder {
        match self {
            Client::Anthropic => ClientEncoder::anthropic(),
            Client::Gemini => ClientEncoder::gemini(),
        }
    }
}

/// A request record for `client` at this request's path.
pub fn draft(state: &AppState, req: &HttpRequest, client: Client) -> Draft {
    Draft::start(
        request_id(req),
        client_ip(req, &state.config.server.trusted_proxies),
        client.name(),
        req.path(),
    )
}

/// Runs a translated chat request (`body` canonical) and answers in `client`'s protocol. A
/// full answer is recorded here, a stream when it ends; the caller records errors.
pub async fn run(
    state: &web::Data<AppState>,
    client: Client,
    caller: &Caller,
    body: Map<String, Value>,
    draft: &mut Draft,
) -> Result<HttpResponse, GatewayError> {
    let snapshot = state.catalog.snapshot();
    let requested = body["model"].as_str().unwrap_or_default().to_string();
    draft.record.model = requested.clone();
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    draft.record.stream = stream;
    let model = visible_model(&snapshot, &requested)?.clone();
    draft.record.model_group = model.model.name.clone();
    caller.check_model(&model.model.name, &requested)?;
    if let Some(id) = caller.key_id() {
        state.key_usage.touch(id);
    }
    let job = Job {
        endpoint: Endpoint::ChatCompletions,
        inbound: client.inbound(),
        requested,
        needs: openai::needs(&body),
        model: model.clone(),
        body: RequestBody::from_map(body),
        request_id: draft.record.request_id.clone(),
        started: draft.started,
    };
    match state.gateway.run(&job).await? {
        Answer::Full {
            served,
            body,
            usage,
        } => {
            draft.served(&served);
            let completion: Value = serde_json::from_slice(&body).unwrap_or_default();
            let route = model.routes.iter().find(|r| r.route.id == served.route_id);
            state.accounting.record(draft.clone().finished(
                200,
                usage,
                route.map(|r| &r.route),
                None,
            ));
            let mut res = HttpResponse::Ok();
            served_headers(&mut res, &served);
            Ok(res.json(client.full(&completion)))
        }
        Answer::Stream { served, upstream } => {
            draft.served(&served);
            draft.first_token();
            let mut res = HttpResponse::Ok();
            served_headers(&mut res, &served);
            let opts =
                RelayOptions::for_job(&job, &served, state.gateway.config().stream_keepalive);
            let on_end = record_stream(state, draft.clone(), model);
            let body = relay_as(
                upstream,
                served,
                opts,
                client.encoder(),
                state.gateway.health.clone(),
                on_end,
            );
            Ok(res
                .content_type("text/event-stream")
                .insert_header(("cache-control", "no-cache"))
                .insert_header(("x-accel-buffering", "no"))
                .streaming(body))
        }
    }
}

/// Records a stream when it ends, as the OpenAI API does.
fn record_stream(
    state: &web::Data<AppState>,
    draft: Draft,
    model: Arc<crate::catalog::snapshot::ModelEntry>,
) -> Box<dyn FnOnce(StreamSummary) + Send> {
    let accounting = state.accounting.clone();
    Box::new(move |s: StreamSummary| {
        let end = match &s.end {
            StreamEnd::Completed => None,
            StreamEnd::Failed(c) => Some(format!("stream_{}", c.as_str())),
            StreamEnd::ClientGone => Some("client_aborted".to_string()),
        };
        let route = model
            .routes
            .iter()
            .find(|r| r.route.id == s.served.route_id);
        accounting.record(draft.finished(200, s.usage, route.map(|r| &r.route), end));
    })
}
