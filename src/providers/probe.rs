//! The cheapest requests that show whether a key works, for the gateway's active health
//! probes: the first page of the model list (free on every provider), or a completion of one
//! token (billed, but it shows the model itself serves). Only building them lives here;
//! sending them and judging the answer is `gateway::probe`'s job.

use serde_json::json;

use super::discovery::{self, ANTHROPIC_VERSION};
use crate::catalog::model::{Provider, ProviderKind};

/// What a probe asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeRequest<'a> {
    /// The first page of the model list.
    Models,
    /// One token from this upstream model.
    Completion { model: &'a str },
}

/// The probe request for `key` of `provider`, with the provider's extra headers; `None` when
/// the provider has no address to call (Azure without a base URL). The timeout is the
/// caller's.
pub fn request(
    client: &reqwest::Client,
    provider: &Provider,
    key: &str,
    what: ProbeRequest<'_>,
) -> Option<(String, reqwest::RequestBuilder)> {
    let base = discovery::base_url(provider);
    if base.is_empty() {
        return None;
    }
    let (url, mut req) = match what {
        ProbeRequest::Models => discovery::page_request(client, provider, &base, key, None),
        ProbeRequest::Completion { model } => completion(client, provider.kind, &base, key, model),
    };
    for (k, v) in &provider.extra_headers {
        req = req.header(k, v);
    }
    Some((url, req))
}

const PROMPT: &str = "ping";

fn completion(
    client: &reqwest::Client,
    kind: ProviderKind,
    base: &str,
    key: &str,
    model: &str,
) -> (String, reqwest::RequestBuilder) {
    let messages = json!([{ "role": "user", "content": PROMPT }]);
    match kind {
        ProviderKind::OpenAi => {
            let url = format!("{base}/chat/completions");
            let body = json!({ "model": model, "messages": messages, "max_tokens": 1 });
            (url.clone(), client.post(url).bearer_auth(key).json(&body))
        }
        ProviderKind::AzureOpenAi => {
            // The same URL rules as live traffic: `?api-version=` in the base URL, deployment
            // URLs and the v1 API all count.
            let url = super::azure::url(base, model, "/chat/completions");
            let body = json!({ "messages": messages, "max_tokens": 1 });
            (
                url.clone(),
                client.post(url).header("api-key", key).json(&body),
            )
        }
        ProviderKind::Anthropic => {
            let root = base.strip_suffix("/v1").unwrap_or(base);
            let url = format!("{root}/v1/messages");
            let body = json!({ "model": model, "messages": messages, "max_tokens": 1 });
            let req = client
                .post(url.clone())
                .header("x-api-key", key)
                .header("anthropic-version", ANTHROPIC_VERSION)
                .json(&body);
            (url, req)
        }
        ProviderKind::Gemini => {
            let model = model.strip_prefix("models/").unwrap_or(model);
            let url = format!("{base}/v1beta/models/{model}:generateContent");
            let body = json!({
                "contents": [{ "role": "user", "parts": [{ "text": PROMPT }] }],
                "generationConfig": { "maxOutputTokens": 1 },
            });
            (
                url.clone(),
                client.post(url).header("x-goog-api-key", key).json(&body),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(kind: ProviderKind, base: &str) -> Provider {
        serde_json::from_value(json!({
            "id": 1, "name": "p", "kind": kind, "base_url": base, "enabled": true,
            "weight": 1, "priority": 0, "connect_timeout_ms": null,
            "first_token_timeout_ms": null, "idle_timeout_ms": null, "total_timeout_ms": null,
            "extra_headers": {"x-extra": "1"}, "param_overrides": {},
            "stream_include_usage": false, "keys": [],
            "created_at": "2026-11-26T00:00:00Z", "updated_at": "2026-11-26T00:00:00Z"
        }))
        .expect("a provider")
    }

    fn built(kind: ProviderKind, base: &str, what: ProbeRequest<'_>) -> reqwest::Request {
        let client = crate::providers::client::build(std::time::Duration::from_secs(1)).unwrap();
        let (url, req) = request(&client, &provider(kind, base), "sk-x", what).expect("built");
        let req = req.build().unwrap();
        assert_eq!(req.url().as_str(), url);
        assert_eq!(req.headers()["x-extra"], "1");
        req
    }

    #[test]
    fn completion_probes_ask_one_token_in_each_protocol_with_the_key_in_a_header() {
        let model = ProbeRequest::Completion { model: "m" };
        let r = built(ProviderKind::OpenAi, "http://u/v1", model);
        assert_eq!(r.url().as_str(), "http://u/v1/chat/completions");
        assert_eq!(r.headers()["authorization"], "Bearer sk-x");
        let body: serde_json::Value =
            serde_json::from_slice(r.body().unwrap().as_bytes().unwrap()).unwrap();
        assert_eq!(body["max_tokens"], 1);
        assert_eq!(body["model"], "m");

        let r = built(ProviderKind::AzureOpenAi, "http://az", model);
        assert!(r
            .url()
            .as_str()
            .starts_with("http://az/openai/deployments/m/chat/completions?"));
        let r = built(
            ProviderKind::AzureOpenAi,
            "http://az?api-version=2025-01-01",
            model,
        );
        assert_eq!(
            r.url().as_str(),
            "http://az/openai/deployments/m/chat/completions?api-version=2025-01-01",
            "the base URL's api-version is the one probes use too"
        );
        assert_eq!(r.headers()["api-key"], "sk-x");

        let r = built(ProviderKind::Anthropic, "http://an/v1", model);
        assert_eq!(r.url().as_str(), "http://an/v1/messages");
        assert_eq!(r.headers()["x-api-key"], "sk-x");

        let r = built(
            ProviderKind::Gemini,
            "http://ge",
            ProbeRequest::Completion { model: "models/g" },
        );
        assert_eq!(
            r.url().as_str(),
            "http://ge/v1beta/models/g:generateContent"
        );
        assert_eq!(r.headers()["x-goog-api-key"], "sk-x");
        assert!(!r.url().as_str().contains("sk-x"));
    }

    #[test]
    fn model_probes_are_the_first_page_and_azure_without_an_address_is_skipped() {
        let r = built(ProviderKind::OpenAi, "http://u/v1/", ProbeRequest::Models);
        assert_eq!(r.method(), "GET");
        assert_eq!(r.url().as_str(), "http://u/v1/models");
        let client = crate::providers::client::build(std::time::Duration::from_secs(1)).unwrap();
        let azure = provider(ProviderKind::AzureOpenAi, "");
        assert!(request(&client, &azure, "k", ProbeRequest::Models).is_none());
    }
}
