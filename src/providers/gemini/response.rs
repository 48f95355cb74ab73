//! Gemini answers → the canonical `chat.completion` and its chunks.
//!
//! Each candidate is a choice: text parts are `content`, thought parts `reasoning_content`,
//! `functionCall` parts `tool_calls` (Gemini sends them whole; ids are Gemini's when it
//! gives them, else made up, with the part's thought signature attached so it can go back)
//! and then the finish reason is `tool_calls`. Safety stops and a
//! blocked prompt (`promptFeedback.blockReason`) are `content_filter`. `usageMetadata` counts
//! thinking tokens as completion (and reasoning) tokens.
//!
//! [`Stream`] reads `alt=sse` events, each a partial answer: the first chunk of a candidate
//! carries the role; the finish reason comes with the last; the usage chunk and `[DONE]` are
//! sent when the body ends after a finish reason (Gemini has no end marker). An `error` object
//! in the stream becomes the error event that ends the relay.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{finish_reason, usage};
use crate::providers::chat::{self, ChunkMeta, NotJson};
use crate::providers::openai::Usage;
use crate::providers::sse::SseEvent;

fn call_id() -> String {
    format!("call_{}", &uuid::Uuid::new_v4().simple().to_string()[..24])
}

/// What one candidate holds.
#[derive(Default)]
struct Parts {
    text: String,
    reasoning: String,
    calls: Vec<Value>,
}

fn parts_of(candidate: &Value) -> Parts {
    let mut p = Parts::default();
    for part in candidate["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(f) = part.get("functionCall") {
            let id = super::call_id(part, call_id);
            let args = f
                .get("args")
                .filter(|a| !a.is_null())
                .cloned()
                .unwrap_or(json!({}));
            p.calls.push(json!({"id": id, "type": "function",
                "function": {"name": f["name"], "arguments": args.to_string()}}));
        } else if let Some(t) = part.get("text").and_then(Value::as_str) {
            if part.get("thought") == Some(&Value::Bool(true)) {
                p.reasoning.push_str(t);
            } else {
                p.text.push_str(t);
            }
        }
    }
    p
}

fn blocked(v: &Value) -> bool {
    v["promptFeedback"]["blockReason"].is_string()
        && v["candidates"].as_array().is_none_or(|c| c.is_empty())
}

/// A `generateContent` answer as a `chat.completion`; `None` when it is not one.
pub fn to_openai(v: &Value) -> Option<Value> {
    if !v.is_object() || (v.get("candidates").is_none() && !blocked(v)) {
        return None;
    }
    let mut choices = Vec::new();
    for (i, c) in v["candidates"].as_array().into_iter().flatten().enumerate() {
        let p = parts_of(c);
        let finish = if !p.calls.is_empty() {
            "tool_calls"
        } else {
            finish_reason(c["finishReason"].as_str().unwrap_or("STOP"))
        };
        let mut message = json!({
            "role": "assistant",
            "content": if p.text.is_empty() && !p.calls.is_empty() { Value::Null } else { p.text.into() },
            "refusal": null,
        });
        if !p.reasoning.is_empty() {
            message["reasoning_content"] = p.reasoning.into();
        }
        if !p.calls.is_empty() {
            message["tool_calls"] = p.calls.into();
        }
        let index = c["index"].as_u64().unwrap_or(i as u64);
        choices.push(json!({"index": index, "message": message, "logprobs": null,
                            "finish_reason": finish}));
    }
    if blocked(v) {
        choices.push(
            json!({"index": 0, "message": {"role": "assistant", "content": null,
            "refusal": null}, "logprobs": null, "finish_reason": "content_filter"}),
        );
    }
    let id = v["responseId"]
        .as_str()
        .map_or_else(|| format!("gen-{}", chat::now()), str::to_string);
    Some(json!({
        "id": id, "object": "chat.completion", "created": chat::now(),
        "model": v["modelVersion"], "choices": choices,
        "usage": usage(&v["usageMetadata"]).to_json(),
    }))
}

/// Translates one `alt=sse` stream into chunks.
pub struct Stream {
    meta: ChunkMeta,
    started: bool,
    /// Per candidate: tool calls sent so far (their next index).
    calls: HashMap<u64, u64>,
    usage: Usage,
    finished: bool,
    done: bool,
}

impl Default for Stream {
    fn default() -> Self {
        Stream::new()
    }
}

impl Stream {
    pub fn new() -> Stream {
        Stream {
            meta: ChunkMeta {
                created: chat::now(),
                ..ChunkMeta::default()
            },
            started: false,
            calls: HashMap::new(),
            usage: Usage::default(),
            finished: false,
            done: false,
        }
    }

    /// The chunks one event becomes; `Err` when its data is not JSON.
    pub fn event(&mut self, ev: &SseEvent) -> Result<Vec<SseEvent>, NotJson> {
        let v: Value = serde_json::from_str(&ev.data).map_err(|_| NotJson)?;
        if let Some(e) = v.get("error").filter(|e| e.is_object()) {
            let status = e["status"].as_str().unwrap_or("UNKNOWN");
            let code = if status == "RESOURCE_EXHAUSTED" {
                "rate_limit_exceeded"
            } else {
                status
            };
            let message = e["message"]
                .as_str()
                .unwrap_or("the upstream reported an error");
            return Ok(vec![chat::error_event(message, "upstream_error", code)]);
        }
        if !self.started {
            self.meta.id = v["responseId"]
                .as_str()
                .map_or_else(|| format!("gen-{}", self.meta.created), str::to_string);
        }
        if let Some(m) = v["modelVersion"].as_str() {
            self.meta.model = m.to_string();
        }
        if let Some(u) = v.get("usageMetadata").filter(|u| u.is_object()) {
            self.usage = usage(u);
        }
        let mut out = Vec::new();
        for (i, c) in v["candidates"].as_array().into_iter().flatten().enumerate() {
            let index = c["index"].as_u64().unwrap_or(i as u64);
            let p = parts_of(c);
            let mut delta = json!({});
            let first = !self.calls.contains_key(&index);
            let next = self.calls.entry(index).or_insert(0);
            if first {
                delta["role"] = "assistant".into();
                delta["content"] = "".into();
            }
            if !p.text.is_empty() {
                delta["content"] = p.text.into();
            }
            if !p.reasoning.is_empty() {
                delta["reasoning_content"] = p.reasoning.into();
            }
            if !p.calls.is_empty() {
                let calls: Vec<Value> = p
                    .calls
                    .into_iter()
                    .map(|mut call| {
                        call["index"] = (*next).into();
                        *next += 1;
                        call
                    })
                    .collect();
                delta["tool_calls"] = calls.into();
            }
            let finish = c["finishReason"].as_str().map(|r| {
                self.finished = true;
                if *next > 0 {
                    "tool_calls"
                } else {
                    finish_reason(r)
                }
            });
            if delta.as_object().is_some_and(|d| !d.is_empty()) || finish.is_some() {
                out.push(chat::event(&self.meta.chunk(index, delta, finish)));
            }
        }
        if blocked(&v) {
            self.finished = true;
            out.push(chat::event(&self.meta.chunk(
                0,
                json!({"role": "assistant", "content": ""}),
                Some("content_filter"),
            )));
        }
        if !out.is_empty() {
            self.started = true;
        }
        Ok(out)
    }

    /// At the end of the body: the usage chunk and `[DONE]` after a finish reason; nothing
    /// after a cut.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        if !self.finished || std::mem::replace(&mut self.done, true) {
            return Vec::new();
        }
        vec![
            chat::event(&self.meta.usage_chunk(&self.usage)),
            chat::done(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::sse::SseDecoder;

    fn run(transcript: &str) -> Vec<Value> {
        let mut dec = SseDecoder::new();
        let mut s = Stream::new();
        let mut out = Vec::new();
        for ev in dec.push(transcript.as_bytes()).unwrap() {
            out.extend(s.event(&ev).unwrap());
        }
        out.extend(s.finish());
        out.iter()
            .map(|e| serde_json::from_str(&e.data).unwrap_or(Value::String(e.data.clone())))
            .collect()
    }

    #[test]
    fn an_answer_with_a_function_call_becomes_tool_calls() {
        let v: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/gemini/generate_function_call.json"
        ))
        .unwrap();
        let c = to_openai(&v).unwrap();
        let m = &c["choices"][0]["message"];
        assert_eq!(m["content"], "I'll look that up.");
        assert_eq!(m["reasoning_content"], "Need the weather tool.");
        assert_eq!(m["tool_calls"][0]["function"]["name"], "get_weather");
        assert_eq!(
            serde_json::from_str::<Value>(
                m["tool_calls"][0]["function"]["arguments"]
                    .as_str()
                    .unwrap()
            )
            .unwrap(),
            json!({"location": "Boston, MA"})
        );
        let id = m["tool_calls"][0]["id"].as_str().unwrap();
        assert!(id.starts_with("call_"));
        assert!(
            id.ends_with("__thought__CiQB0e2Kb1"),
            "the signature rides on the id: {id}"
        );
        // ...and goes back to Gemini with the call.
        let back = json!({"model": "g", "messages": [{"role": "user", "content": "x"},
            m.clone(), {"role": "tool", "tool_call_id": id, "content": "{}"}]});
        let req = super::super::request::to_gemini(back.as_object().unwrap(), None).unwrap();
        assert_eq!(
            req["contents"][1]["parts"][1]["thoughtSignature"],
            "CiQB0e2Kb1"
        );
        assert_eq!(c["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(c["model"], "gemini-2.5-flash");
        assert_eq!(c["usage"]["prompt_tokens"], 70);
        assert_eq!(c["usage"]["completion_tokens"], 20 + 40);
        assert_eq!(
            c["usage"]["completion_tokens_details"]["reasoning_tokens"],
            40
        );
    }

    #[test]
    fn a_blocked_prompt_and_a_safety_stop_are_content_filter() {
        let c = to_openai(&json!({"promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": 4}}))
        .unwrap();
        assert_eq!(c["choices"][0]["finish_reason"], "content_filter");
        let c = to_openai(
            &json!({"candidates": [{"content": {"parts": [{"text": "a"}],
            "role": "model"}, "finishReason": "SAFETY"}]}),
        )
        .unwrap();
        assert_eq!(c["choices"][0]["finish_reason"], "content_filter");
        assert_eq!(to_openai(&json!({"foo": 1})), None);
    }

    #[test]
    fn a_stream_becomes_chunks_with_usage_and_done_at_the_end() {
        let chunks = run(include_str!(
            "../../../tests/fixtures/gemini/stream_text.sse"
        ));
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(text, "Hello there, how can I help?");
        let n = chunks.len();
        assert_eq!(chunks[n - 3]["choices"][0]["finish_reason"], "stop");
        assert_eq!(chunks[n - 2]["usage"]["prompt_tokens"], 8);
        assert_eq!(chunks[n - 2]["usage"]["completion_tokens"], 9);
        assert_eq!(chunks[n - 1], "[DONE]");
        assert_eq!(chunks[0]["model"], "gemini-2.5-flash");
        assert_eq!(chunks[0]["id"], "resp-stream-1");
    }

    #[test]
    fn streamed_function_calls_get_stable_indices_and_a_tool_calls_finish() {
        let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"a\",\"args\":{\"x\":1}}}],\"role\":\"model\"},\"index\":0}]}\n\n\
                 data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"b\",\"args\":{}}}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}\n\n";
        let chunks = run(t);
        assert_eq!(
            chunks[0]["choices"][0]["delta"]["tool_calls"][0]["index"],
            0
        );
        assert_eq!(
            chunks[1]["choices"][0]["delta"]["tool_calls"][0]["index"],
            1
        );
        assert_eq!(chunks[1]["choices"][0]["finish_reason"], "tool_calls");
    }

    #[test]
    fn a_cut_stream_gets_no_done_and_an_error_object_is_an_error_event() {
        let t = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}],\"role\":\"model\"}}]}\n\n";
        let chunks = run(t);
        assert_eq!(chunks.len(), 1);
        let t = "data: {\"error\":{\"code\":429,\"message\":\"Quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n";
        let chunks = run(t);
        assert_eq!(chunks[0]["error"]["code"], "rate_limit_exceeded");
    }
}
