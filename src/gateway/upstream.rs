//! One attempt's upstream request, in the provider's own protocol: URL, authentication and
//! body per provider kind. Pure — nothing is sent here.
//!
//! - OpenAI: the client's body passed through (`RequestBody::openai_bytes`), `Authorization:
//!   Bearer`, `{base}{path}`.
//! - Azure OpenAI: the same body, `api-key`, the deployment URL (`providers::azure`).
//! - Anthropic: the body translated to Messages, `x-api-key` + `anthropic-version`,
//!   `{base}/v1/messages`.
//! - Gemini: the body translated to `generateContent`, `x-goog-api-key` (never a `key=` in
//!   the URL), `{base}/v1beta/models/{model}:generateContent` or
//!   `:streamGenerateContent?alt=sse`.
//!
//! A body translated from another client protocol loses the canonical shape's extensions
//! before it goes to an OpenAI upstream (`cache_control`, `reasoning_signature`, `is_error`,
//! `top_k`; Anthropic's `thinking` becomes `reasoning_effort`).
//!
//! Configured overrides apply to the body in the upstream's protocol, after translation.
//! A request the upstream's protocol cannot express is [`Unsupported`]: the engine skips
//! that route, and answers 400 naming the field when no route can take the request.

use serde_json::{Map, Value};

use super::engine::{Endpoint, Inbound, Job};
use super::request_body::RequestBody;
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
    pub headers: Vec<(&'static str, String)>,
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
            let max_tokens = match job.endpoint {
                Endpoint::ChatCompletions | Endpoint::Completions => route.max_tokens_default,
                Endpoint::Embeddings => None,
            };
            let stripped;
            let body = if job.inbound == Inbound::OpenAi {
                &job.body
            } else {
                // Translated from another protocol: without the canonical extensions.
                stripped = RequestBody::from_map(strip_extensions(job.body.map().clone()));
                &stripped
            };
            let bytes = body.openai_bytes(&openai::Reshape {
                upstream_model: &route.upstream_model,
                provider_overrides: &provider.param_overrides,
                route_overrides: &route.param_overrides,
                include_usage,
                max_tokens_default: max_tokens,
            });
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
                job.body.map(),
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
            gemini::request::to_gemini(job.body.map(), route.max_tokens_default)?,
            gemini::url(&base, &route.upstream_model, job.stream()),
            ("x-goog-api-key", key.to_string()),
            Wire::Gemini,
        ),
    };
    openai::apply_overrides(&mut body, &provider.param_overrides, &route.param_overrides);
    let mut headers = Vec::new();
    if let Wire::Anthropic(_) = wire {
        headers.push(("anthropic-version", anthropic::VERSION.to_string()));
        // The betas an Anthropic client asked for.
        let betas: Vec<&str> = job
            .body
            .map()
            .get("anthropic_beta")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !betas.is_empty() {
            headers.push(("anthropic-beta", betas.join(",")));
        }
    }
    Ok(Call {
        url,
        auth,
        headers,
        body: serde_json::to_vec(&body).unwrap_or_default(),
        wire,
        usage_added: true,
    })
}

/// The canonical body without the gateway's extensions (Anthropic's `thinking` becomes
/// `reasoning_effort`).
fn strip_extensions(mut body: Map<String, Value>) -> Map<String, Value> {
    body.remove("top_k");
    body.remove("anthropic_beta");
    if let Some(thinking) = body.remove("thinking") {
        let budget = thinking["budget_tokens"].as_u64();
        if thinking["type"] == "enabled" && !body.contains_key("reasoning_effort") {
            let effort = match budget.unwrap_or(0) {
                0..=4095 => "low",
                4096..=16383 => "medium",
                _ => "high",
            };
            body.insert("reasoning_effort".into(), effort.into());
        }
    }
    let strip = |v: &mut Value, keys: &[&str]| {
        if let Some(o) = v.as_object_mut() {
            for k in keys {
                o.remove(*k);
            }
        }
    };
    for t in body
        .get_mut("tools")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        strip(t, &["cache_control"]);
    }
    for m in body
        .get_mut("messages")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        strip(m, &["reasoning_signature", "reasoning_content", "is_error"]);
        for p in m
            .get_mut("content")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            strip(p, &["cache_control"]);
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_translated_body_loses_the_canonical_extensions_before_an_openai_upstream() {
        let body = json!({"model": "m", "top_k": 3, "anthropic_beta": ["x"],
            "thinking": {"type": "enabled", "budget_tokens": 5000},
            "tools": [{"type": "function", "function": {"name": "f"}, "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]},
                {"role": "assistant", "content": "a", "reasoning_content": "r", "reasoning_signature": "s"},
                {"role": "tool", "tool_call_id": "c", "content": "x", "is_error": true}]});
        let stripped = strip_extensions(body.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(stripped),
            json!({"model": "m", "reasoning_effort": "medium",
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                    {"role": "assistant", "content": "a"},
                    {"role": "tool", "tool_call_id": "c", "content": "x"}]})
        );
    }
}
