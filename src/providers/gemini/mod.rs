//! The Gemini `generateContent` protocol as an upstream: `request` turns the canonical
//! (OpenAI chat) request into a `generateContent` request, `response` turns answers and
//! `alt=sse` streams back into `chat.completion` and chunks. Inbound Gemini (the reverse
//! direction) lives in `inbound`.
//!
//! The API key travels in `x-goog-api-key`, never in the URL (URLs end up in logs). The base
//! URL may end in `/v1beta` (or `/v1`) or not; the model may be given with or without its
//! `models/` prefix.

pub mod inbound;
pub mod request;
pub mod response;

use serde_json::Value;

use super::openai::Usage;

/// Joins a made-up tool-call id and Gemini's `thoughtSignature` of that call: clients send
/// tool-call ids back verbatim, and Gemini wants the signature back with the call.
pub const SIGNATURE_SEP: &str = "__thought__";

/// A tool-call id for a Gemini `functionCall` part: Gemini's id (or a made-up one), with the
/// part's thought signature attached when it has one.
pub fn call_id(part: &Value, made_up: impl FnOnce() -> String) -> String {
    let f = &part["functionCall"];
    let id = f["id"].as_str().map_or_else(made_up, str::to_string);
    match part["thoughtSignature"].as_str() {
        Some(sig) => format!("{id}{SIGNATURE_SEP}{sig}"),
        None => id,
    }
}

/// The `generateContent` (or streaming, `alt=sse`) URL of `model` under `base`.
pub fn url(base: &str, model: &str, stream: bool) -> String {
    let base = base.trim_end_matches('/');
    let versioned = ["/v1beta", "/v1", "/v1alpha"]
        .iter()
        .any(|v| base.ends_with(v));
    let root = if versioned {
        base.to_string()
    } else {
        format!("{base}/v1beta")
    };
    let model = if model.starts_with("models/") || model.starts_with("tunedModels/") {
        model.to_string()
    } else {
        format!("models/{model}")
    };
    if stream {
        format!("{root}/{model}:streamGenerateContent?alt=sse")
    } else {
        format!("{root}/{model}:generateContent")
    }
}

/// Gemini's `finishReason` as an OpenAI `finish_reason` (function calls are decided by the
/// caller: Gemini says `STOP` for them).
pub fn finish_reason(reason: &str) -> &'static str {
    match reason {
        "MAX_TOKENS" => "length",
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => "content_filter",
        _ => "stop",
    }
}

/// The canonical usage of a `usageMetadata` object.
pub fn usage(u: &Value) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    let thoughts = n("thoughtsTokenCount");
    Usage {
        prompt_tokens: n("promptTokenCount") + n("toolUsePromptTokenCount"),
        completion_tokens: n("candidatesTokenCount") + thoughts,
        cached_tokens: n("cachedContentTokenCount"),
        reasoning_tokens: thoughts,
        ..Usage::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_add_the_version_and_model_prefix_only_when_missing_and_never_the_key() {
        let g = "https://generativelanguage.googleapis.com";
        assert_eq!(
            url(g, "gemini-2.5-flash", false),
            format!("{g}/v1beta/models/gemini-2.5-flash:generateContent")
        );
        assert_eq!(
            url(&format!("{g}/v1beta/"), "models/gemini-2.5-flash", true),
            format!("{g}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        );
    }

    #[test]
    fn usage_counts_thoughts_as_completion_and_reasoning() {
        let u = usage(
            &serde_json::json!({"promptTokenCount": 10, "candidatesTokenCount": 5,
            "thoughtsTokenCount": 7, "cachedContentTokenCount": 4, "totalTokenCount": 22}),
        );
        assert_eq!(
            (
                u.prompt_tokens,
                u.completion_tokens,
                u.cached_tokens,
                u.reasoning_tokens
            ),
            (10, 12, 4, 7)
        );
    }
}
