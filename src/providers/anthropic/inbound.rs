//! Inbound Anthropic Messages (`POST /v1/messages`): the client's request → the canonical
//! (OpenAI chat) request, and the canonical answer → a Messages answer or event stream.
//!
//! Request: `system` (string or blocks, `cache_control` kept) → one system message; text,
//! image (base64 / URL) and PDF document blocks → content parts; `tool_use` → `tool_calls`;
//! `tool_result` → tool messages (before the rest of their user turn; `is_error` kept);
//! thinking blocks → `reasoning_content` + `reasoning_signature`; `tools` / `tool_choice`
//! (`disable_parallel_tool_use` → `parallel_tool_calls: false`); `stop_sequences` → `stop`;
//! `metadata.user_id` → `user`. `thinking`, `top_k` and fields this module does not know
//! travel as they are (an Anthropic upstream takes them; others judge them).
//!
//! Answer: [`from_completion`] builds the message; [`StreamEncoder`] writes Anthropic's event
//! sequence — `message_start`, `content_block_start` / `_delta` / `_stop` per text, thinking
//! or tool block, `message_delta` with the stop reason and usage, `message_stop` — and an
//! `error` event when the upstream fails mid-way.

use std::collections::HashMap;

use bytes::{BufMut, BytesMut};
use serde_json::{json, Map, Value};

use crate::providers::chat::{text_of, Unsupported};
use crate::providers::openai::{self, Usage};

/// A Messages request as a canonical chat request.
pub fn to_canonical(body: &Map<String, Value>) -> Result<Map<String, Value>, Unsupported> {
    let mut out = Map::new();
    let mut messages = Vec::new();
    for (k, v) in body {
        match k.as_str() {
            "messages" | "system" | "tools" | "tool_choice" | "metadata" | "service_tier" => {}
            "stop_sequences" => {
                if !v.is_null() {
                    out.insert("stop".into(), v.clone());
                }
            }
            "stream" => {
                out.insert("stream".into(), v.clone());
                if v.as_bool() == Some(true) {
                    out.insert("stream_options".into(), json!({"include_usage": true}));
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(user) = body.get("metadata").and_then(|m| m.get("user_id")) {
        if user.is_string() {
            out.insert("user".into(), user.clone());
        }
    }
    match body.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => messages.push(json!({"role": "system", "content": s})),
        Some(Value::Array(blocks)) => {
            let parts: Vec<Value> = blocks.iter().map(text_part).collect();
            messages.push(json!({"role": "system", "content": parts}));
        }
        Some(_) => {
            return Err(Unsupported::new(
                "system",
                "must be a string or text blocks",
            ))
        }
    }
    let turns = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| Unsupported::new("messages", "must be an array"))?;
    for (i, m) in turns.iter().enumerate() {
        let at = format!("messages[{i}]");
        match m["role"].as_str() {
            Some("user") => user_turn(&m["content"], &at, &mut messages)?,
            Some("assistant") => messages.push(assistant_turn(&m["content"], &at)?),
            _ => {
                return Err(Unsupported::new(
                    format!("{at}.role"),
                    "must be user or assistant",
                ))
            }
        }
    }
    out.insert("messages".into(), messages.into());
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        let tools: Vec<Value> = tools.iter().map(tool).collect();
        out.insert("tools".into(), tools.into());
    }
    if let Some(choice) = body.get("tool_choice").filter(|c| !c.is_null()) {
        let c = match choice["type"].as_str() {
            Some("auto") => json!("auto"),
            Some("any") => json!("required"),
            Some("none") => json!("none"),
            Some("tool") => json!({"type": "function", "function": {"name": choice["name"]}}),
            _ => {
                return Err(Unsupported::new(
                    "tool_choice.type",
                    "must be auto, any, tool or none",
                ))
            }
        };
        out.insert("tool_choice".into(), c);
        if choice["disable_parallel_tool_use"] == true {
            out.insert("parallel_tool_calls".into(), false.into());
        }
    }
    Ok(out)
}

/// A text block as a text part (`cache_control` kept).
fn text_part(b: &Value) -> Value {
    let mut p = json!({"type": "text", "text": b["text"]});
    if let Some(c) = b.get("cache_control").filter(|c| !c.is_null()) {
        p["cache_control"] = c.clone();
    }
    p
}

/// An Anthropic tool as an OpenAI function tool; server tools (`web_search_...`,
/// `bash_...`) travel as they are.
fn tool(t: &Value) -> Value {
    let kind = t["type"].as_str().unwrap_or("custom");
    if kind != "custom" {
        return t.clone();
    }
    let mut f = json!({"name": t["name"], "parameters": t["input_schema"]});
    if let Some(d) = t.get("description").filter(|d| d.is_string()) {
        f["description"] = d.clone();
    }
    let mut out = json!({"type": "function", "function": f});
    if let Some(c) = t.get("cache_control").filter(|c| !c.is_null()) {
        out["cache_control"] = c.clone();
    }
    out
}

/// A content block a user turn may hold, as a canonical part.
fn user_part(b: &Value, at: &str) -> Result<Value, Unsupported> {
    let mut part = match b["type"].as_str().unwrap_or("") {
        "text" => return Ok(text_part(b)),
        "image" => {
            let s = &b["source"];
            let url = match s["type"].as_str() {
                Some("base64") => format!(
                    "data:{};base64,{}",
                    s["media_type"].as_str().unwrap_or("image/png"),
                    s["data"].as_str().unwrap_or("")
                ),
                Some("url") => s["url"].as_str().unwrap_or("").to_string(),
                _ => {
                    return Err(Unsupported::new(
                        format!("{at}.source"),
                        "must be base64 or url",
                    ))
                }
            };
            json!({"type": "image_url", "image_url": {"url": url}})
        }
        "document" if b["source"]["type"] == "base64" => {
            let s = &b["source"];
            let mut file = json!({"file_data": format!("data:{};base64,{}",
                s["media_type"].as_str().unwrap_or("application/pdf"),
                s["data"].as_str().unwrap_or(""))});
            if let Some(t) = b.get("title").filter(|t| t.is_string()) {
                file["filename"] = t.clone();
            }
            json!({"type": "file", "file": file})
        }
        // Other documents, search results, ...: Anthropic's own, for an Anthropic upstream.
        _ => return Ok(b.clone()),
    };
    if let Some(c) = b.get("cache_control").filter(|c| !c.is_null()) {
        part["cache_control"] = c.clone();
    }
    Ok(part)
}

fn user_turn(content: &Value, at: &str, messages: &mut Vec<Value>) -> Result<(), Unsupported> {
    let blocks = match content {
        Value::String(s) => {
            messages.push(json!({"role": "user", "content": s}));
            return Ok(());
        }
        Value::Array(b) => b,
        _ => {
            return Err(Unsupported::new(
                format!("{at}.content"),
                "must be a string or blocks",
            ))
        }
    };
    let mut parts = Vec::new();
    for (j, b) in blocks.iter().enumerate() {
        let at = format!("{at}.content[{j}]");
        if b["type"] == "tool_result" {
            let content = match &b["content"] {
                Value::Array(inner) => {
                    let parts: Result<Vec<Value>, _> = inner
                        .iter()
                        .enumerate()
                        .map(|(k, p)| user_part(p, &format!("{at}.content[{k}]")))
                        .collect();
                    Value::Array(parts?)
                }
                Value::Null => Value::String(String::new()),
                other => other.clone(),
            };
            let mut m =
                json!({"role": "tool", "tool_call_id": b["tool_use_id"], "content": content});
            if b["is_error"] == true {
                m["is_error"] = true.into();
            }
            messages.push(m);
        } else {
            parts.push(user_part(b, &at)?);
        }
    }
    if !parts.is_empty() {
        messages.push(json!({"role": "user", "content": parts}));
    }
    Ok(())
}

fn assistant_turn(content: &Value, at: &str) -> Result<Value, Unsupported> {
    let blocks = match content {
        Value::String(s) => return Ok(json!({"role": "assistant", "content": s})),
        Value::Array(b) => b,
        _ => {
            return Err(Unsupported::new(
                format!("{at}.content"),
                "must be a string or blocks",
            ))
        }
    };
    let mut m = json!({"role": "assistant", "content": null});
    let (mut text, mut reasoning, mut calls) = (String::new(), String::new(), Vec::new());
    for (j, b) in blocks.iter().enumerate() {
        match b["type"].as_str().unwrap_or("") {
            "text" => text.push_str(b["text"].as_str().unwrap_or("")),
            "thinking" => {
                reasoning.push_str(b["thinking"].as_str().unwrap_or(""));
                if let Some(s) = b.get("signature").filter(|s| s.is_string()) {
                    m["reasoning_signature"] = s.clone();
                }
            }
            "redacted_thinking" => {}
            "tool_use" => calls.push(json!({"id": b["id"], "type": "function",
                "function": {"name": b["name"], "arguments": b["input"].to_string()}})),
            other => {
                return Err(Unsupported::new(
                    format!("{at}.content[{j}]"),
                    format!("`{other}` blocks cannot be translated"),
                ))
            }
        }
    }
    if !text.is_empty() {
        m["content"] = text.into();
    }
    if !reasoning.is_empty() {
        m["reasoning_content"] = reasoning.into();
    }
    if !calls.is_empty() {
        m["tool_calls"] = calls.into();
    }
    Ok(m)
}

/// OpenAI's finish reason as Anthropic's stop reason.
fn stop_reason(finish: &str) -> &'static str {
    match finish {
        "length" => "max_tokens",
        "tool_calls" | "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    }
}

fn usage_json(u: &Usage) -> Value {
    json!({
        "input_tokens": u.prompt_tokens.saturating_sub(u.cached_tokens + u.cache_write_tokens),
        "output_tokens": u.completion_tokens,
        "cache_read_input_tokens": u.cached_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
    })
}

fn message_id(id: &Value) -> String {
    match id.as_str() {
        Some(id) if id.starts_with("msg_") => id.to_string(),
        Some(id) => format!("msg_{id}"),
        None => "msg_llmo".into(),
    }
}

/// A `chat.completion` as a Messages answer.
pub fn from_completion(v: &Value) -> Value {
    let choice = &v["choices"][0];
    let m = &choice["message"];
    let mut content = Vec::new();
    if let Some(r) = m["reasoning_content"].as_str().filter(|r| !r.is_empty()) {
        content.push(json!({"type": "thinking", "thinking": r,
            "signature": m["reasoning_signature"].as_str().unwrap_or("")}));
    }
    let text = text_of(&m["content"]);
    if !text.is_empty() {
        content.push(json!({"type": "text", "text": text}));
    }
    for call in m["tool_calls"].as_array().into_iter().flatten() {
        let args = call["function"]["arguments"].as_str().unwrap_or("");
        let input = serde_json::from_str::<Value>(args).unwrap_or_else(|_| json!({}));
        content.push(json!({"type": "tool_use", "id": call["id"],
            "name": call["function"]["name"], "input": input}));
    }
    let (reason, sequence) = match choice["stop_sequence"].as_str() {
        Some(s) => ("stop_sequence", json!(s)),
        None => (
            stop_reason(choice["finish_reason"].as_str().unwrap_or("stop")),
            Value::Null,
        ),
    };
    json!({
        "id": message_id(&v["id"]), "type": "message", "role": "assistant", "model": v["model"],
        "content": content, "stop_reason": reason, "stop_sequence": sequence,
        "usage": usage_json(&openai::usage(v).unwrap_or_default()),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    Tool,
}

/// Writes the canonical chunks of one answer as Anthropic's event stream.
#[derive(Debug, Default)]
pub struct StreamEncoder {
    started: bool,
    /// The open block: its index and kind.
    open: Option<(u64, Open)>,
    next_block: u64,
    /// OpenAI tool-call index → block index.
    tools: HashMap<u64, u64>,
    stop_reason: Option<&'static str>,
    stop_sequence: Value,
    usage: Usage,
}

fn put(out: &mut BytesMut, name: &str, data: &Value) {
    out.put_slice(format!("event: {name}\ndata: {data}\n\n").as_bytes());
}

impl StreamEncoder {
    pub fn new() -> StreamEncoder {
        StreamEncoder::default()
    }

    fn start(&mut self, v: &Value, out: &mut BytesMut) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        put(
            out,
            "message_start",
            &json!({"type": "message_start", "message": {
            "id": message_id(&v["id"]), "type": "message", "role": "assistant",
            "model": v["model"], "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 0, "output_tokens": 0}}}),
        );
    }

    fn close(&mut self, out: &mut BytesMut) {
        if let Some((index, _)) = self.open.take() {
            put(
                out,
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            );
        }
    }

    /// The open block of `kind`, opening one (with `start`) when another kind is open.
    fn block(&mut self, kind: Open, start: Value, out: &mut BytesMut) -> u64 {
        if let Some((index, k)) = self.open {
            if k == kind && kind != Open::Tool {
                return index;
            }
        }
        self.close(out);
        let index = self.next_block;
        self.next_block += 1;
        put(
            out,
            "content_block_start",
            &json!({"type": "content_block_start",
            "index": index, "content_block": start}),
        );
        self.open = Some((index, kind));
        index
    }

    fn delta(out: &mut BytesMut, index: u64, delta: Value) {
        put(
            out,
            "content_block_delta",
            &json!({"type": "content_block_delta",
            "index": index, "delta": delta}),
        );
    }

    /// One canonical chunk.
    pub fn chunk(&mut self, v: &Value, out: &mut BytesMut) {
        self.start(v, out);
        if let Some(u) = openai::usage(v) {
            self.usage = u;
        }
        let Some(choice) = v["choices"].as_array().and_then(|c| c.first()) else {
            return;
        };
        let d = &choice["delta"];
        if let Some(t) = d["reasoning_content"].as_str().filter(|t| !t.is_empty()) {
            let i = self.block(
                Open::Thinking,
                json!({"type": "thinking", "thinking": ""}),
                out,
            );
            Self::delta(out, i, json!({"type": "thinking_delta", "thinking": t}));
        }
        if let Some(s) = d["reasoning_signature"].as_str().filter(|s| !s.is_empty()) {
            let i = self.block(
                Open::Thinking,
                json!({"type": "thinking", "thinking": ""}),
                out,
            );
            Self::delta(out, i, json!({"type": "signature_delta", "signature": s}));
        }
        if let Some(t) = d["content"].as_str().filter(|t| !t.is_empty()) {
            let i = self.block(Open::Text, json!({"type": "text", "text": ""}), out);
            Self::delta(out, i, json!({"type": "text_delta", "text": t}));
        }
        for tc in d["tool_calls"].as_array().into_iter().flatten() {
            let k = tc["index"].as_u64().unwrap_or(0);
            let index = match self.tools.get(&k) {
                Some(i) => *i,
                None => {
                    let id = tc["id"]
                        .as_str()
                        .map_or_else(|| format!("toolu_{k}"), str::to_string);
                    let i = self.block(
                        Open::Tool,
                        json!({"type": "tool_use", "id": id,
                        "name": tc["function"]["name"], "input": {}}),
                        out,
                    );
                    self.tools.insert(k, i);
                    i
                }
            };
            if let Some(a) = tc["function"]["arguments"]
                .as_str()
                .filter(|a| !a.is_empty())
            {
                Self::delta(
                    out,
                    index,
                    json!({"type": "input_json_delta", "partial_json": a}),
                );
            }
        }
        if let Some(f) = choice["finish_reason"].as_str() {
            self.stop_reason = Some(stop_reason(f));
            if let Some(s) = choice["stop_sequence"].as_str() {
                self.stop_reason = Some("stop_sequence");
                self.stop_sequence = json!(s);
            }
        }
    }

    /// The answer completed: close the open block, then the stop reason with usage.
    pub fn done(&mut self, out: &mut BytesMut) {
        self.start(&json!({}), out);
        self.close(out);
        put(
            out,
            "message_delta",
            &json!({"type": "message_delta",
            "delta": {"stop_reason": self.stop_reason.unwrap_or("end_turn"),
                      "stop_sequence": self.stop_sequence},
            "usage": usage_json(&self.usage)}),
        );
        put(out, "message_stop", &json!({"type": "message_stop"}));
    }

    /// The upstream failed mid-way: Anthropic's `error` event.
    pub fn error(&mut self, message: &str, overloaded: bool, out: &mut BytesMut) {
        let kind = if overloaded {
            "overloaded_error"
        } else {
            "api_error"
        };
        put(
            out,
            "error",
            &json!({"type": "error", "error": {"type": kind, "message": message}}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messages_request_becomes_canonical_with_tool_results_first() {
        let b = json!({"model": "claude", "max_tokens": 100, "system": [
                {"type": "text", "text": "one", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "two"}],
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"city": "Paris"}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny", "is_error": false},
                    {"type": "text", "text": "and tomorrow?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]}],
            "tools": [{"name": "get", "description": "d", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
            "stop_sequences": ["END"], "top_k": 4, "metadata": {"user_id": "u"}, "stream": true,
            "thinking": {"type": "enabled", "budget_tokens": 2000}});
        let c = Value::Object(to_canonical(b.as_object().unwrap()).unwrap());
        let m = &c["messages"];
        assert_eq!(m[0]["role"], "system");
        assert_eq!(m[0]["content"][0]["cache_control"]["type"], "ephemeral");
        assert_eq!(m[0]["content"][1]["text"], "two");
        assert_eq!(m[2]["content"], "Checking.");
        assert_eq!(m[2]["reasoning_content"], "hmm");
        assert_eq!(m[2]["reasoning_signature"], "sig");
        assert_eq!(
            m[2]["tool_calls"][0]["function"]["arguments"],
            r#"{"city":"Paris"}"#
        );
        assert_eq!(
            m[3],
            json!({"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"})
        );
        assert_eq!(
            m[4]["content"][1]["image_url"]["url"],
            "data:image/png;base64,AAAA"
        );
        assert_eq!(
            c["tools"][0]["function"]["parameters"],
            json!({"type": "object"})
        );
        assert_eq!(c["tool_choice"], "required");
        assert_eq!(c["parallel_tool_calls"], false);
        assert_eq!(c["stop"], json!(["END"]));
        assert_eq!(c["user"], "u");
        assert_eq!(c["top_k"], 4);
        assert_eq!(c["max_tokens"], 100);
        assert_eq!(c["stream_options"], json!({"include_usage": true}));
        assert_eq!(c["thinking"]["budget_tokens"], 2000);
    }

    #[test]
    fn a_completion_becomes_a_message() {
        let v = json!({"id": "chatcmpl-1", "model": "gpt", "choices": [{"index": 0,
            "message": {"role": "assistant", "content": "Sure.", "tool_calls": [{"id": "call_1",
                "type": "function", "function": {"name": "get", "arguments": "{\"a\":1}"}}]},
            "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 4,
                      "prompt_tokens_details": {"cached_tokens": 3}}});
        let m = from_completion(&v);
        assert_eq!(m["id"], "msg_chatcmpl-1");
        assert_eq!(m["content"][0], json!({"type": "text", "text": "Sure."}));
        assert_eq!(
            m["content"][1],
            json!({"type": "tool_use", "id": "call_1", "name": "get", "input": {"a": 1}})
        );
        assert_eq!(m["stop_reason"], "tool_use");
        assert_eq!(
            m["usage"],
            json!({"input_tokens": 7, "output_tokens": 4,
            "cache_read_input_tokens": 3, "cache_creation_input_tokens": 0})
        );
    }

    fn events(out: &BytesMut) -> Vec<(String, Value)> {
        String::from_utf8_lossy(out)
            .split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| {
                let (name, data) = e.split_once('\n').unwrap();
                (
                    name.trim_start_matches("event: ").to_string(),
                    serde_json::from_str(data.trim_start_matches("data: ")).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn chunks_become_anthropics_event_sequence() {
        let mut e = StreamEncoder::new();
        let mut out = BytesMut::new();
        let chunk = |delta: Value, finish: Value| {
            json!({"id": "c1", "model": "gpt",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        };
        e.chunk(
            &chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            &mut out,
        );
        e.chunk(&chunk(json!({"content": "Hi"}), Value::Null), &mut out);
        e.chunk(
            &chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
            "function": {"name": "get", "arguments": ""}}]}),
                Value::Null,
            ),
            &mut out,
        );
        e.chunk(
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\""}}]}),
                Value::Null,
            ),
            &mut out,
        );
        e.chunk(
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}),
                Value::Null,
            ),
            &mut out,
        );
        e.chunk(&chunk(json!({}), json!("tool_calls")), &mut out);
        e.chunk(
            &json!({"id": "c1", "model": "gpt", "choices": [],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2}}),
            &mut out,
        );
        e.done(&mut out);
        let ev = events(&out);
        let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(
            ev[4].1["content_block"],
            json!({"type": "tool_use", "id": "call_1",
            "name": "get", "input": {}})
        );
        assert_eq!(ev[4].1["index"], 1);
        assert_eq!(ev[8].1["delta"]["stop_reason"], "tool_use");
        assert_eq!(ev[8].1["usage"]["output_tokens"], 2);
        assert_eq!(ev[8].1["usage"]["input_tokens"], 5);
    }
}
