//! One attempt's upstream request, in the provider's own protocol: URL, authentication and
//! body per provider kind. Pure — nothing is sent here.
//!
//! - OpenAI: the client's body passed through (`openai::prepare_body`), `Authorization:
//!   Bearer`, `{base}{path}`.
//! - Azure OpenAI: the same body, `api-key`, the deployment URL (`providers::azure`).
//! - Anthropic: the body translated to Messages, `x-api-key` + `anthropic-version`,
//!   `{base}/v1/messages`.
//! - Gemini: the body translated to `generateContent`, `x-goog-api-key` (never a `key=` in
//!   the URL), `{base}/v1beta/models/{model}:generateContent` or
//!   `:streamGenerateContent?alt=sse`.
//!
//! Configured overrides apply to the body in the upstream's protocol, after translation.
//! A request the upstream's protocol cannot express is [`Unsupported`]: the engine skips
//! that route, and answers 400 naming the field when no route can take the request.

use serde_json::Value;

use super::engine::{Endpoint, Job};
use crate::catalog::model::ProviderKind;
use crate::catalog::snapshot::RouteEntry;
use crate::providers::chat::Unsupported;
use crate::providers::translate::Wire;
use crate::providers::{anthropic, azure, discovery, gemini, openai};

/// An upstream request, ready to send.
pub struct Call {
    pub url: String,
    /// The authentication header (sent marked sensitive).
    pub auth: (&'static str, String),
    /// Other protocol headers.
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Vec<u8>,
    /// What the answer will be in.
    pub wire: Wire,
    /// The upstream will report usage in the stream whether the client asked or not.
    pub usage_added: bool,
}

/// Whether a provider kind can serve an endpoint: chat everywhere, the legacy completions
/// and embeddings only where the protocol has them.
pub fn serves(kind: ProviderKind, endpoint: Endpoint) -> bool {
    match endpoint {
        Endpoint::ChatCompletions => true,
        Endpoint::Completions | Endpoint::Embeddings => {
            matches!(kind, ProviderKind::OpenAi | ProviderKind::AzureOpenAi)
        }
    }
}

/// Builds the request of one attempt at `entry` with the provider key `key`.
pub fn build(job: &Job, entry: &RouteEntry, key: &str) -> Result<Call, Unsupported> {
    let provider = &entry.provider.provider;
    let route = &entry.route;
    let base = discovery::base_url(provider);
    let (mut body, url, auth, wire) = match provider.kind {
        ProviderKind::OpenAi | ProviderKind::AzureOpenAi => {
            let include_usage =
                provider.stream_include_usage && job.endpoint != Endpoint::Embeddings;
            let mut body = openai::prepare_body(
                &job.body,
                &route.upstream_model,
                &provider.param_overrides,
                &route.param_overrides,
                include_usage,
            );
            if let (Some(max), Endpoint::ChatCompletions | Endpoint::Completions) =
                (route.max_tokens_default, job.endpoint)
            {
                if !body.contains_key("max_tokens") && !body.contains_key("max_completion_tokens") {
                    body.insert("max_tokens".into(), Value::from(max));
                }
            }
            let (url, auth) = if provider.kind == ProviderKind::OpenAi {
                (
                    format!("{base}{}", job.endpoint.path()),
                    ("authorization", format!("Bearer {key}")),
                )
            } else {
                (
                    azure::url(&base, &route.upstream_model, job.endpoint.path()),
                    ("api-key", key.to_string()),
                )
            };
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            return Ok(Call {
                url,
                auth,
                headers: Vec::new(),
                body: bytes,
                wire: Wire::OpenAi,
                usage_added: include_usage,
            });
        }
        ProviderKind::Anthropic => {
            let (body, ctx) = anthropic::request::to_anthropic(
                &job.body,
                &route.upstream_model,
                route.max_tokens_default,
            )?;
            (
                body,
                anthropic::messages_url(&base),
                ("x-api-key", key.to_string()),
                Wire::Anthropic(ctx),
            )
        }
        ProviderKind::Gemini => (
            gemini::request::to_gemini(&job.body, route.max_tokens_default)?,
            gemini::url(&base, &route.upstream_model, job.stream()),
            ("x-goog-api-key", key.to_string()),
            Wire::Gemini,
        ),
    };
    openai::apply_overrides(&mut body, &provider.param_overrides, &route.param_overrides);
    let headers = match wire {
        Wire::Anthropic(_) => vec![("anthropic-version", anthropic::VERSION)],
        _ => Vec::new(),
    };
    Ok(Call {
        url,
        auth,
        headers,
        body: serde_json::to_vec(&body).unwrap_or_default(),
        wire,
        usage_added: true,
    })
}
