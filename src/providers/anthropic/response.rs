//! Anthropic Messages answers → the canonical `chat.completion` and its chunks.
//!
//! Text blocks become `content`, thinking blocks `reasoning_content` (+ `reasoning_signature`),
//! `tool_use` blocks `tool_calls` (ids kept; arguments are the input as JSON text); in JSON
//! mode the forced tool's input is the content. `stop_reason` maps to `finish_reason`
//! (`tool_use` → `tool_calls`; the matched stop sequence rides along as the choice's
//! `stop_sequence`); usage counts cache reads and writes into the prompt.
//!
//! [`Stream`] follows the event sequence: `message_start` (id, model, input usage) → a role
//! chunk; `content_block_start/delta` → content, reasoning or tool-call deltas, each tool
//! call at a stable index in order of appearance; `message_delta` (stop reason, output
//! usage) → the finish chunk; `message_stop` → the usage chunk and `[DONE]`; `ping` and
//! unknown events → nothing; `error` → the error event that ends the relay.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{finish_reason, Ctx};
use crate::providers::chat::{self, ChunkMeta, NotJson};
use crate::providers::openai::Usage;
use crate::providers::sse::SseEvent;

/// Anthropic's usage fields, as reported so far.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
}

impl Counts {
    /// Overwrites with every field present in `u` (a `message_delta` repeats the totals).
    fn update(&mut self, u: &Value) {
        let set = |slot: &mut u64, k: &str| {
            if let Some(n) = u.get(k).and_then(Value::as_u64) {
                *slot = n;
            }
        };
        set(&mut self.input, "input_tokens");
        set(&mut self.output, "output_tokens");
        set(&mut self.cache_read, "cache_read_input_tokens");
        set(&mut self.cache_write, "cache_creation_input_tokens");
    }

    fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.input + self.cache_read + self.cache_write,
            completion_tokens: self.output,
            cached_tokens: self.cache_read,
            cache_write_tokens: self.cache_write,
            ..Usage::default()
        }
    }
}

/// The canonical usage of an Anthropic `usage` object.
pub fn usage(u: &Value) -> Usage {
    let mut c = Counts::default();
    c.update(u);
    c.usage()
}

/// A Messages answer as a `chat.completion`; `None` when it is not a message.
pub fn to_openai(v: &Value, ctx: &Ctx) -> Option<Value> {
    if v.get("type").and_then(Value::as_str) != Some("message") {
        return None;
    }
    let blocks = v.get("content")?.as_array()?;
    let (mut text, mut reasoning, mut signature) = (String::new(), String::new(), None);
    let mut calls = Vec::new();
    for b in blocks {
        match b["type"].as_str().unwrap_or("") {
            "text" => text.push_str(b["text"].as_str().unwrap_or("")),
            "thinking" => {
                reasoning.push_str(b["thinking"].as_str().unwrap_or(""));
                signature = b.get("signature").cloned().or(signature);
            }
            "tool_use"
                if ctx.json_tool.is_some() && b["name"].as_str() == ctx.json_tool.as_deref() =>
            {
                text.push_str(&b["input"].to_string());
            }
            "tool_use" => calls.push(json!({
                "id": b["id"], "type": "function",
                "function": {"name": b["name"], "arguments": b["input"].to_string()},
            })),
            _ => {} // redacted thinking, server tool blocks: nothing OpenAI can hold
        }
    }
    let stop = v["stop_reason"].as_str().unwrap_or("end_turn");
    let finish = if ctx.json_tool.is_some() && stop == "tool_use" {
        "stop"
    } else {
        finish_reason(stop)
    };
    let mut message = json!({
        "role": "assistant",
        "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { text.into() },
        "refusal": null,
    });
    if !reasoning.is_empty() {
        message["reasoning_content"] = reasoning.into();
        if let Some(s) = signature {
            message["reasoning_signature"] = s;
        }
    }
    if !calls.is_empty() {
        message["tool_calls"] = calls.into();
    }
    let mut choice = json!({"index": 0, "message": message, "logprobs": null,
                            "finish_reason": finish});
    if let Some(seq) = v["stop_sequence"].as_str() {
        choice["stop_sequence"] = seq.into();
    }
    Some(json!({
        "id": v["id"], "object": "chat.completion", "created": chat::now(),
        "model": v["model"], "choices": [choice], "usage": usage(&v["usage"]).to_json(),
    }))
}

/// What one content block of the stream is.
#[derive(Debug, Clone, Copy)]
enum Block {
    Text,
    Thinking,
    /// A tool call at this index of `tool_calls`.
    Tool(u64),
    /// JSON mode's forced tool: its input streams as content.
    Json,
    Other,
}

/// Translates one Messages event stream into chunks.
#[derive(Debug)]
pub struct Stream {
    ctx: Ctx,
    meta: ChunkMeta,
    counts: Counts,
    blocks: HashMap<u64, Block>,
    tools: u64,
    finished: bool,
    done: bool,
}

impl Stream {
    pub fn new(ctx: Ctx) -> Stream {
        Stream {
            ctx,
            meta: ChunkMeta {
                created: chat::now(),
                ..ChunkMeta::default()
            },
            counts: Counts::default(),
            blocks: HashMap::new(),
            tools: 0,
            finished: false,
            done: false,
        }
    }

    /// The chunks one event becomes; `Err` when its data is not JSON.
    pub fn event(&mut self, ev: &SseEvent) -> Result<Vec<SseEvent>, NotJson> {
        let v: Value = serde_json::from_str(&ev.data).map_err(|_| NotJson)?;
        let kind = v["type"].as_str().or(ev.event.as_deref()).unwrap_or("");
        let delta = |meta: &ChunkMeta, d: Value| vec![chat::event(&meta.chunk(0, d, None))];
        Ok(match kind {
            "message_start" => {
                let m = &v["message"];
                self.meta.id = m["id"].as_str().unwrap_or("msg").to_string();
                self.meta.model = m["model"].as_str().unwrap_or("").to_string();
                self.counts.update(&m["usage"]);
                delta(&self.meta, json!({"role": "assistant", "content": ""}))
            }
            "content_block_start" => {
                let index = v["index"].as_u64().unwrap_or(0);
                let b = &v["content_block"];
                let (block, out) = match b["type"].as_str().unwrap_or("") {
                    "text" => (Block::Text, text_delta("content", &b["text"])),
                    "thinking" => (
                        Block::Thinking,
                        text_delta("reasoning_content", &b["thinking"]),
                    ),
                    "tool_use"
                        if self.ctx.json_tool.is_some()
                            && b["name"].as_str() == self.ctx.json_tool.as_deref() =>
                    {
                        (Block::Json, None)
                    }
                    "tool_use" => {
                        let i = self.tools;
                        self.tools += 1;
                        let call = json!({"index": i, "id": b["id"], "type": "function",
                            "function": {"name": b["name"], "arguments": ""}});
                        (Block::Tool(i), Some(json!({"tool_calls": [call]})))
                    }
                    _ => (Block::Other, None),
                };
                self.blocks.insert(index, block);
                out.map(|d| delta(&self.meta, d)).unwrap_or_default()
            }
            "content_block_delta" => {
                let index = v["index"].as_u64().unwrap_or(0);
                let d = &v["delta"];
                let block = self.blocks.get(&index).copied().unwrap_or(Block::Other);
                let out = match (d["type"].as_str().unwrap_or(""), block) {
                    ("text_delta", _) => text_delta("content", &d["text"]),
                    ("thinking_delta", _) => text_delta("reasoning_content", &d["thinking"]),
                    ("signature_delta", _) => text_delta("reasoning_signature", &d["signature"]),
                    ("input_json_delta", Block::Json) => text_delta("content", &d["partial_json"]),
                    ("input_json_delta", Block::Tool(i)) => {
                        let part = d["partial_json"].as_str().unwrap_or("");
                        (!part.is_empty()).then(|| {
                            json!({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
                        })
                    }
                    _ => None, // citations and what comes next
                };
                out.map(|d| delta(&self.meta, d)).unwrap_or_default()
            }
            "message_delta" => {
                self.counts.update(&v["usage"]);
                match v["delta"]["stop_reason"].as_str() {
                    Some(stop) => {
                        self.finished = true;
                        let finish = if self.ctx.json_tool.is_some() && stop == "tool_use" {
                            "stop"
                        } else {
                            finish_reason(stop)
                        };
                        let mut chunk = self.meta.chunk(0, json!({}), Some(finish));
                        if let Some(seq) = v["delta"]["stop_sequence"].as_str() {
                            chunk["choices"][0]["stop_sequence"] = seq.into();
                        }
                        vec![chat::event(&chunk)]
                    }
                    None => Vec::new(),
                }
            }
            "message_stop" => {
                self.finished = true;
                self.tail()
            }
            "error" => {
                let e = &v["error"];
                let kind = e["type"].as_str().unwrap_or("api_error");
                let message = e["message"]
                    .as_str()
                    .unwrap_or("the upstream reported an error");
                vec![chat::error_event(message, kind, kind)]
            }
            _ => Vec::new(), // ping, content_block_stop, new event types
        })
    }

    /// At the end of the body: the usage chunk and `[DONE]` if the message finished but
    /// `message_stop` never came; nothing otherwise (a cut stays a cut).
    pub fn finish(&mut self) -> Vec<SseEvent> {
        if self.finished {
            self.tail()
        } else {
            Vec::new()
        }
    }

    fn tail(&mut self) -> Vec<SseEvent> {
        if std::mem::replace(&mut self.done, true) {
            return Vec::new();
        }
        vec![
            chat::event(&self.meta.usage_chunk(&self.counts.usage())),
            chat::done(),
        ]
    }
}

/// `{field: text}` unless the text is empty.
fn text_delta(field: &str, text: &Value) -> Option<Value> {
    let t = text.as_str().filter(|t| !t.is_empty())?;
    Some(json!({ field: t }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(events: &[SseEvent]) -> Vec<Value> {
        events
            .iter()
            .map(|e| serde_json::from_str(&e.data).unwrap_or(Value::String(e.data.clone())))
            .collect()
    }

    /// A recorded-shape stream: text, then a tool call whose arguments arrive in pieces.
    const TOOL_STREAM: &str = include_str!("../../../tests/fixtures/anthropic/stream_tool_use.sse");

    fn run(transcript: &str, ctx: Ctx) -> Vec<Value> {
        let mut dec = crate::providers::sse::SseDecoder::new();
        let mut s = Stream::new(ctx);
        let mut out = Vec::new();
        for ev in dec.push(transcript.as_bytes()).unwrap() {
            out.extend(s.event(&ev).unwrap());
        }
        out.extend(s.finish());
        parse(&out)
    }

    #[test]
    fn a_message_becomes_a_chat_completion() {
        let v: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/anthropic/message_tool_use.json"
        ))
        .unwrap();
        let c = to_openai(&v, &Ctx::default()).unwrap();
        let m = &c["choices"][0]["message"];
        assert_eq!(m["content"], "Let me check the weather.");
        assert_eq!(m["reasoning_content"], "The user wants weather.");
        assert_eq!(m["reasoning_signature"], "EqQBCgIYAhIM");
        assert_eq!(m["tool_calls"][0]["id"], "toolu_01A09q90qw90lq917835lq9");
        assert_eq!(
            m["tool_calls"][0]["function"]["arguments"],
            r#"{"location":"San Francisco, CA","unit":"celsius"}"#
        );
        assert_eq!(c["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(c["model"], "claude-sonnet-4-5-20250929");
        let u = &c["usage"];
        assert_eq!(u["prompt_tokens"], 2095 + 1500 + 100);
        assert_eq!(u["completion_tokens"], 503);
        assert_eq!(u["prompt_tokens_details"]["cached_tokens"], 1500);
        assert_eq!(u["prompt_tokens_details"]["cache_write_tokens"], 100);
    }

    #[test]
    fn json_mode_answers_with_the_forced_tools_input_as_content() {
        let v = json!({"type": "message", "id": "msg_1", "model": "c", "role": "assistant",
            "content": [{"type": "tool_use", "id": "t", "name": "person", "input": {"name": "Ada"}}],
            "stop_reason": "tool_use", "usage": {"input_tokens": 5, "output_tokens": 3}});
        let ctx = Ctx {
            json_tool: Some("person".into()),
        };
        let c = to_openai(&v, &ctx).unwrap();
        assert_eq!(c["choices"][0]["message"]["content"], r#"{"name":"Ada"}"#);
        assert_eq!(c["choices"][0]["finish_reason"], "stop");
        assert!(c["choices"][0]["message"].get("tool_calls").is_none());
    }

    #[test]
    fn streamed_tool_arguments_are_reassembled_at_a_stable_index() {
        let chunks = run(TOOL_STREAM, Ctx::default());
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(chunks[0]["id"], "msg_014p7gG3wDgGV9EUtLvnow3U");
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(text, "Okay, let me check.");
        let calls: Vec<&Value> = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
            .collect();
        assert_eq!(calls[0]["id"], "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assert_eq!(calls[0]["function"]["name"], "get_weather");
        assert!(calls.iter().all(|c| c["index"] == 0), "{calls:?}");
        let args: String = calls
            .iter()
            .filter_map(|c| c["function"]["arguments"].as_str())
            .collect();
        assert_eq!(
            serde_json::from_str::<Value>(&args).unwrap(),
            json!({"location": "San Francisco, CA", "unit": "fahrenheit"})
        );
        let finish: Vec<&Value> = chunks
            .iter()
            .filter_map(|c| c["choices"][0].get("finish_reason"))
            .filter(|f| !f.is_null())
            .collect();
        assert_eq!(finish, vec!["tool_calls"]);
        let n = chunks.len();
        assert_eq!(chunks[n - 1], "[DONE]");
        let usage = &chunks[n - 2]["usage"];
        assert_eq!(usage["prompt_tokens"], 472 + 10);
        assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 10);
        assert_eq!(usage["completion_tokens"], 89);
    }

    #[test]
    fn thinking_streams_as_reasoning_and_errors_end_the_stream() {
        let t = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n\
                 event: ping\ndata: {\"type\":\"ping\"}\n\n\
                 event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n\
                 event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me think\"}}\n\n\
                 event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig\"}}\n\n\
                 event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let chunks = run(t, Ctx::default());
        assert_eq!(chunks.len(), 4, "{chunks:?}");
        assert_eq!(
            chunks[1]["choices"][0]["delta"]["reasoning_content"],
            "Let me think"
        );
        assert_eq!(
            chunks[2]["choices"][0]["delta"]["reasoning_signature"],
            "sig"
        );
        assert_eq!(chunks[3]["error"]["code"], "overloaded_error");
        assert_eq!(chunks[3]["error"]["message"], "Overloaded");
    }

    #[test]
    fn a_stream_without_message_stop_still_ends_after_its_stop_reason_but_a_cut_does_not() {
        let start = "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":3}}}\n\n";
        let delta = "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":7}}\n\n";
        let chunks = run(&format!("{start}{delta}"), Ctx::default());
        assert_eq!(chunks[1]["choices"][0]["finish_reason"], "length");
        assert_eq!(chunks[2]["usage"]["completion_tokens"], 7);
        assert_eq!(chunks[3], "[DONE]");
        let chunks = run(start, Ctx::default());
        assert_eq!(chunks.len(), 1, "no finish, no [DONE]: {chunks:?}");
    }
}
