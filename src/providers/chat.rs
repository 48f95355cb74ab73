//! The canonical chat shape the translators build: OpenAI's `chat.completion` and
//! `chat.completion.chunk`, which the engine and the relay speak whatever the upstream or the
//! client. Here: chunk and error-event builders, finish reasons, data URLs, and
//! [`Unsupported`], the error of a request one protocol cannot express in another.
//!
//! Extensions of OpenAI's shape that carry what other protocols need (documented in
//! ARCHITECTURE.md): `reasoning_content` (thinking text, as DeepSeek names it),
//! `reasoning_signature` (Anthropic's thinking signature), `cache_control` on content parts
//! and tools, `is_error` on tool messages, `prompt_tokens_details.cache_write_tokens`, and
//! `anthropic_beta` (an Anthropic client's `anthropic-beta` header, for an Anthropic
//! upstream). Translators to OpenAI upstreams strip them.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::openai::Usage;
use super::sse::SseEvent;

/// A request field one protocol cannot express in another: a 400 naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {message}")]
pub struct Unsupported {
    /// The field at fault, as a path into the request (`messages[2].content[0]`).
    pub param: String,
    pub message: String,
}

impl Unsupported {
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> Unsupported {
        Unsupported {
            param: param.into(),
            message: message.into(),
        }
    }
}

/// An upstream stream event whose data is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an upstream event is not JSON")]
pub struct NotJson;

/// Seconds since the epoch, for `created`.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What every chunk of one answer shares.
#[derive(Debug, Clone, Default)]
pub struct ChunkMeta {
    pub id: String,
    pub model: String,
    pub created: u64,
}

impl ChunkMeta {
    /// A `chat.completion.chunk` with one choice.
    pub fn chunk(&self, index: u64, delta: Value, finish: Option<&str>) -> Value {
        json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model,
            "choices": [{"index": index, "delta": delta, "logprobs": null,
                         "finish_reason": finish}],
        })
    }

    /// The final usage chunk (no choices), as OpenAI sends it for `include_usage`.
    pub fn usage_chunk(&self, usage: &Usage) -> Value {
        json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "choices": [], "usage": usage.to_json(),
        })
    }
}

/// One SSE event carrying `v` as its data.
pub fn event(v: &Value) -> SseEvent {
    SseEvent {
        event: None,
        data: v.to_string(),
    }
}

/// OpenAI's end-of-stream marker.
pub fn done() -> SseEvent {
    SseEvent {
        event: None,
        data: "[DONE]".into(),
    }
}

/// An upstream error met mid-stream, as the OpenAI-shaped error event the engine and the
/// relay understand (`code` says what kind: a `rate_limit` code fails over at the start).
pub fn error_event(message: &str, kind: &str, code: &str) -> SseEvent {
    event(&json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

/// `data:{mime};base64,{data}` split into its media type and payload.
/// Appends `items` as a turn of `role` under `key` (`content` for Anthropic, `parts` for
/// Gemini), merged into the last turn when it has the same role: both protocols want turns
/// that alternate, OpenAI does not. Nothing to append, nothing added.
pub fn push_turn(turns: &mut Vec<Value>, role: &str, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        return;
    }
    if let Some(last) = turns.last_mut().filter(|t| t["role"] == role) {
        if let Some(list) = last[key].as_array_mut() {
            list.extend(items);
        }
        return;
    }
    let mut turn = serde_json::Map::new();
    turn.insert("role".into(), Value::String(role.into()));
    turn.insert(key.into(), Value::Array(items));
    turns.push(Value::Object(turn));
}

pub fn data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((if mime.is_empty() { "text/plain" } else { mime }, data))
}

/// `http(s)://`: a URL an upstream can fetch.
pub fn is_web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// The text of OpenAI message content: a string, or the `text` of its text parts joined.
pub fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// A field that is absent, `null`, `false`, zero, or an empty string/array/object: the
/// value that asks for nothing.
pub fn is_unset(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_split_into_media_type_and_payload() {
        assert_eq!(
            data_url("data:image/png;base64,iVBOR"),
            Some(("image/png", "iVBOR"))
        );
        assert_eq!(data_url("data:image/png,raw"), None, "not base64");
        assert_eq!(data_url("https://x/y.png"), None);
    }

    #[test]
    fn chunks_have_openais_shape() {
        let m = ChunkMeta {
            id: "id".into(),
            model: "m".into(),
            created: 1,
        };
        let c = m.chunk(0, json!({"content": "a"}), Some("stop"));
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["choices"][0]["finish_reason"], "stop");
        let u = m.usage_chunk(&Usage {
            prompt_tokens: 3,
            completion_tokens: 2,
            cached_tokens: 1,
            ..Usage::default()
        });
        assert_eq!(u["choices"], json!([]));
        assert_eq!(u["usage"]["total_tokens"], 5);
        assert_eq!(u["usage"]["prompt_tokens_details"]["cached_tokens"], 1);
    }
}
