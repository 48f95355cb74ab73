//! Upstream model discovery: ask a provider which models it serves, live, in its own
//! protocol (OpenAI / Azure `GET /models`, Anthropic `GET /v1/models`, Gemini
//! `GET /v1beta/models`), following pagination. Used by the admin API to list and import.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::catalog::model::{Provider, ProviderKind};

pub(crate) const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Guards against an upstream that paginates forever.
const MAX_PAGES: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpstreamModel {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("cannot reach {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("{url} answered HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("{url} answered something that is not a model list: {message}")]
    Malformed { url: String, message: String },
}

/// The base URL without a trailing slash, or the kind's default.
pub fn base_url(p: &Provider) -> String {
    let base = if p.base_url.is_empty() {
        p.kind.default_base_url()
    } else {
        &p.base_url
    };
    base.trim_end_matches('/').to_string()
}

/// Lists the models `provider` serves, using `key`.
pub async fn list_models(
    client: &reqwest::Client,
    provider: &Provider,
    key: &str,
    timeout: Duration,
) -> Result<Vec<UpstreamModel>, DiscoveryError> {
    let base = base_url(provider);
    let mut models = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let (url, req) = page_request(client, provider, &base, key, cursor.as_deref());
        let mut req = req.timeout(timeout);
        for (k, v) in &provider.extra_headers {
            req = req.header(k, v);
        }
        let body = fetch_json(req, &url).await?;
        let (page, next) =
            parse_page(provider.kind, &body).ok_or_else(|| DiscoveryError::Malformed {
                url: url.clone(),
                message: snippet(&body),
            })?;
        models.extend(page);
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    models.sort_by(|a, b| a.id.cmp(&b.id));
    models.dedup_by(|a, b| a.id == b.id);
    Ok(models)
}

/// The request for one page of `provider`'s model list (the first when `cursor` is `None`),
/// authenticated with `key` in the provider's way; `base` is [`base_url`]. Extra headers and
/// the timeout are the caller's.
pub fn page_request(
    client: &reqwest::Client,
    provider: &Provider,
    base: &str,
    key: &str,
    cursor: Option<&str>,
) -> (String, reqwest::RequestBuilder) {
    match provider.kind {
        ProviderKind::OpenAi => {
            let url = format!("{base}/models");
            (url.clone(), client.get(url).bearer_auth(key))
        }
        ProviderKind::AzureOpenAi => {
            let url = super::azure::models_url(base);
            (url.clone(), client.get(url).header("api-key", key))
        }
        ProviderKind::Anthropic => {
            // Works whether the operator's base URL ends in /v1 or not.
            let root = base.strip_suffix("/v1").unwrap_or(base);
            let mut url = format!("{root}/v1/models?limit=1000");
            if let Some(after) = cursor {
                url.push_str(&format!("&after_id={after}"));
            }
            let req = client
                .get(url.clone())
                .header("x-api-key", key)
                .header("anthropic-version", ANTHROPIC_VERSION);
            (url, req)
        }
        ProviderKind::Gemini => {
            let mut url = format!("{base}/v1beta/models?pageSize=1000");
            if let Some(token) = cursor {
                url.push_str(&format!("&pageToken={token}"));
            }
            // The key goes in a header, never in the URL (URLs end up in logs).
            (url.clone(), client.get(url).header("x-goog-api-key", key))
        }
    }
}

/// Whether `body` is a page of a model list in `kind`'s shape.
pub fn is_model_list(kind: ProviderKind, body: &Value) -> bool {
    parse_page(kind, body).is_some()
}

async fn fetch_json(req: reqwest::RequestBuilder, url: &str) -> Result<Value, DiscoveryError> {
    let res = req.send().await.map_err(|e| DiscoveryError::Unreachable {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    let status = res.status();
    let text = res.text().await.map_err(|e| DiscoveryError::Unreachable {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    if !status.is_success() {
        // The upstream's own error message, without echoing anything we sent.
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let message = v
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| text.chars().take(200).collect());
        return Err(DiscoveryError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            message,
        });
    }
    serde_json::from_str(&text).map_err(|e| DiscoveryError::Malformed {
        url: url.to_string(),
        message: e.to_string(),
    })
}

/// One page of models and the cursor of the next page, if any.
fn parse_page(kind: ProviderKind, body: &Value) -> Option<(Vec<UpstreamModel>, Option<String>)> {
    match kind {
        ProviderKind::OpenAi | ProviderKind::AzureOpenAi => {
            let data = body.get("data")?.as_array()?;
            let models = data
                .iter()
                .filter_map(|m| m.get("id")?.as_str())
                .map(|id| UpstreamModel {
                    id: id.to_string(),
                    display_name: None,
                })
                .collect();
            Some((models, None))
        }
        ProviderKind::Anthropic => {
            let data = body.get("data")?.as_array()?;
            let models: Vec<UpstreamModel> = data
                .iter()
                .filter_map(|m| {
                    Some(UpstreamModel {
                        id: m.get("id")?.as_str()?.to_string(),
                        display_name: m
                            .get("display_name")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    })
                })
                .collect();
            let more = body
                .get("has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let next = more
                .then(|| {
                    body.get("last_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .flatten();
            Some((models, next))
        }
        ProviderKind::Gemini => {
            let data = body.get("models").and_then(Value::as_array);
            let models = data
                .into_iter()
                .flatten()
                .filter_map(|m| {
                    let name = m.get("name")?.as_str()?;
                    Some(UpstreamModel {
                        id: name.strip_prefix("models/").unwrap_or(name).to_string(),
                        display_name: m
                            .get("displayName")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    })
                })
                .collect();
            let next = body
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            Some((models, next))
        }
    }
}

fn snippet(v: &Value) -> String {
    v.to_string().chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_protocol_page_shape_is_read_with_its_cursor() {
        let (m, next) = parse_page(
            ProviderKind::OpenAi,
            &json!({"data":[{"id":"gpt-4o"},{"id":"o3"}]}),
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        assert!(next.is_none());
        let (m, next) = parse_page(
            ProviderKind::Anthropic,
            &json!({"data":[{"id":"claude-x","display_name":"Claude X"}],"has_more":true,"last_id":"claude-x"}),
        )
        .unwrap();
        assert_eq!(m[0].display_name.as_deref(), Some("Claude X"));
        assert_eq!(next.as_deref(), Some("claude-x"));
        let (m, next) = parse_page(
            ProviderKind::Gemini,
            &json!({"models":[{"name":"models/gemini-2.0-flash"}],"nextPageToken":""}),
        )
        .unwrap();
        assert_eq!(m[0].id, "gemini-2.0-flash");
        assert!(next.is_none());
        assert!(parse_page(ProviderKind::OpenAi, &json!({"object":"error"})).is_none());
    }
}
