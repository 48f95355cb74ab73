//! Inbound Gemini (`POST /v1beta/models/{model}:generateContent` and
//! `:streamGenerateContent`): the client's request → the canonical (OpenAI chat) request, and
//! the canonical answer → a `GenerateContentResponse` or its `alt=sse` stream.
//!
//! Request: `systemInstruction` → a system message; `contents` → turns (`model` →
//! assistant); text, `inlineData` (images, audio, files) and `fileData` parts → content
//! parts; thought parts → `reasoning_content`; `functionCall` → `tool_calls` (ids kept or
//! made up) and `functionResponse` → tool messages answering the earliest open call of that
//! name; `functionDeclarations` (`parametersJsonSchema`, or `parameters` in Gemini's OpenAPI
//! dialect, converted) → function tools; `toolConfig` → `tool_choice`; `generationConfig` →
//! temperature, top_p, top_k, max_tokens, stop, n, penalties, seed, logprobs,
//! `response_format` (JSON mode / schema), `reasoning_effort` (from the thinking budget);
//! what is left of it, and unknown fields (`safetySettings`, `cachedContent`, ...) travel
//! as they are for a Gemini upstream.
//!
//! Answer: [`from_completion`] and [`StreamEncoder`]: text and thought parts as they come,
//! function calls whole (streamed arguments are gathered) in the last chunk with the finish
//! reason and `usageMetadata`.

use std::collections::{BTreeMap, VecDeque};

use bytes::{BufMut, BytesMut};
use serde_json::{json, Map, Value};

use crate::providers::chat::{text_of, Unsupported};
use crate::providers::openai::{self, Usage};

/// A `generateContent` request for `model` as a canonical chat request.
pub fn to_canonical(
    body: &Map<String, Value>,
    model: &str,
    stream: bool,
) -> Result<Map<String, Value>, Unsupported> {
    let mut out = Map::new();
    out.insert("model".into(), model.into());
    if stream {
        out.insert("stream".into(), true.into());
        out.insert("stream_options".into(), json!({"include_usage": true}));
    }
    for (k, v) in body {
        match k.as_str() {
            "contents" | "systemInstruction" | "tools" | "toolConfig" | "generationConfig"
            | "model" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let mut messages = Vec::new();
    if let Some(system) = body.get("systemInstruction").filter(|s| !s.is_null()) {
        let parts: Vec<Value> = system["parts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["text"].as_str())
            .map(|t| json!({"type": "text", "text": t}))
            .collect();
        messages.push(json!({"role": "system", "content": parts}));
    }
    let contents = body
        .get("contents")
        .and_then(Value::as_array)
        .ok_or_else(|| Unsupported::new("contents", "must be an array"))?;
    // Calls not answered yet, by function name: their ids, oldest first.
    let mut open: BTreeMap<String, VecDeque<String>> = BTreeMap::new();
    for (i, c) in contents.iter().enumerate() {
        let at = format!("contents[{i}]");
        let parts = c["parts"].as_array().map(Vec::as_slice).unwrap_or_default();
        if c["role"] == "model" {
            messages.push(model_turn(parts, i, &mut open));
            continue;
        }
        let mut user = Vec::new();
        for (j, p) in parts.iter().enumerate() {
            if let Some(r) = p.get("functionResponse") {
                let name = r["name"].as_str().unwrap_or("");
                let id = r["id"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| open.get_mut(name).and_then(VecDeque::pop_front))
                    .unwrap_or_else(|| format!("call_{name}"));
                messages.push(json!({"role": "tool", "tool_call_id": id,
                                     "content": r["response"].to_string()}));
            } else {
                user.push(part(p, &format!("{at}.parts[{j}]"))?);
            }
        }
        if !user.is_empty() {
            messages.push(json!({"role": "user", "content": user}));
        }
    }
    out.insert("messages".into(), messages.into());
    if let Some(config) = body.get("generationConfig").and_then(Value::as_object) {
        generation_config(config, &mut out)?;
    }
    tools(body, &mut out);
    Ok(out)
}

fn model_turn(parts: &[Value], i: usize, open: &mut BTreeMap<String, VecDeque<String>>) -> Value {
    let (mut text, mut reasoning, mut calls) = (String::new(), String::new(), Vec::new());
    for (j, p) in parts.iter().enumerate() {
        if let Some(f) = p.get("functionCall") {
            let name = f["name"].as_str().unwrap_or("").to_string();
            let id = super::call_id(p, || format!("call_{i}_{j}"));
            open.entry(name.clone()).or_default().push_back(id.clone());
            let args = f
                .get("args")
                .filter(|a| !a.is_null())
                .cloned()
                .unwrap_or(json!({}));
            calls.push(json!({"id": id, "type": "function",
                "function": {"name": name, "arguments": args.to_string()}}));
        } else if let Some(t) = p["text"].as_str() {
            if p["thought"] == true {
                reasoning.push_str(t);
            } else {
                text.push_str(t);
            }
        }
    }
    let mut m = json!({"role": "assistant",
        "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { text.into() }});
    if !reasoning.is_empty() {
        m["reasoning_content"] = reasoning.into();
    }
    if !calls.is_empty() {
        m["tool_calls"] = calls.into();
    }
    m
}

/// A user part as a canonical content part.
fn part(p: &Value, at: &str) -> Result<Value, Unsupported> {
    if let Some(t) = p["text"].as_str() {
        return Ok(json!({"type": "text", "text": t}));
    }
    if let Some(d) = p.get("inlineData") {
        let mime = d["mimeType"].as_str().unwrap_or("application/octet-stream");
        let data = d["data"].as_str().unwrap_or("");
        let url = format!("data:{mime};base64,{data}");
        return Ok(if mime.starts_with("image/") {
            json!({"type": "image_url", "image_url": {"url": url}})
        } else if let Some(format) = mime.strip_prefix("audio/") {
            json!({"type": "input_audio", "input_audio": {"data": data, "format": format}})
        } else {
            json!({"type": "file", "file": {"file_data": url}})
        });
    }
    if let Some(f) = p.get("fileData") {
        let uri = f["fileUri"].as_str().unwrap_or("");
        return Ok(json!({"type": "image_url", "image_url": {"url": uri}}));
    }
    Err(Unsupported::new(at, "this part cannot be translated"))
}

fn generation_config(
    config: &Map<String, Value>,
    out: &mut Map<String, Value>,
) -> Result<(), Unsupported> {
    let mut rest = Map::new();
    let mut schema = None;
    let mut json_mode = false;
    for (k, v) in config {
        let name = match k.as_str() {
            "temperature" => "temperature",
            "topP" => "top_p",
            "topK" => "top_k",
            "maxOutputTokens" => "max_tokens",
            "stopSequences" => "stop",
            "candidateCount" => "n",
            "presencePenalty" => "presence_penalty",
            "frequencyPenalty" => "frequency_penalty",
            "seed" => "seed",
            "responseLogprobs" => "logprobs",
            "logprobs" => "top_logprobs",
            "responseMimeType" => {
                json_mode = v == "application/json";
                if !json_mode && v != "text/plain" {
                    rest.insert(k.clone(), v.clone());
                }
                continue;
            }
            "responseJsonSchema" | "response_json_schema" => {
                schema = Some(v.clone());
                continue;
            }
            "responseSchema" => {
                schema = Some(openapi_to_json_schema(v));
                continue;
            }
            "thinkingConfig" => {
                let effort =
                    match v["thinkingBudget"].as_i64() {
                        Some(0) => Some("none"),
                        Some(b) if b > 0 && b <= 2048 => Some("low"),
                        Some(b) if b > 2048 && b <= 12288 => Some("medium"),
                        Some(_) => Some("high"),
                        None => v["thinkingLevel"].as_str().map(|l| {
                            match l.to_ascii_lowercase().as_str() {
                                "low" | "minimal" => "low",
                                "medium" => "medium",
                                _ => "high",
                            }
                        }),
                    };
                if let Some(e) = effort {
                    out.insert("reasoning_effort".into(), e.into());
                }
                continue;
            }
            _ => {
                rest.insert(k.clone(), v.clone());
                continue;
            }
        };
        if !v.is_null() {
            out.insert(name.into(), v.clone());
        }
    }
    if let Some(schema) = schema {
        out.insert(
            "response_format".into(),
            json!({"type": "json_schema",
            "json_schema": {"name": "response", "schema": schema}}),
        );
    } else if json_mode {
        out.insert("response_format".into(), json!({"type": "json_object"}));
    }
    if !rest.is_empty() {
        out.insert("generationConfig".into(), rest.into());
    }
    Ok(())
}

fn tools(body: &Map<String, Value>, out: &mut Map<String, Value>) {
    let mut tools = Vec::new();
    for t in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(decls) = t.get("functionDeclarations").and_then(Value::as_array) else {
            tools.push(t.clone()); // googleSearch, codeExecution, ...: Gemini's own
            continue;
        };
        for d in decls {
            let mut f = json!({"name": d["name"]});
            if let Some(desc) = d.get("description").filter(|x| x.is_string()) {
                f["description"] = desc.clone();
            }
            if let Some(p) = d.get("parametersJsonSchema").filter(|p| p.is_object()) {
                f["parameters"] = p.clone();
            } else if let Some(p) = d.get("parameters").filter(|p| p.is_object()) {
                f["parameters"] = openapi_to_json_schema(p);
            }
            tools.push(json!({"type": "function", "function": f}));
        }
    }
    if !tools.is_empty() {
        out.insert("tools".into(), tools.into());
    }
    let c = &body.get("toolConfig").cloned().unwrap_or(Value::Null)["functionCallingConfig"];
    let choice = match c["mode"].as_str() {
        Some("AUTO") => Some(json!("auto")),
        Some("NONE") => Some(json!("none")),
        Some("ANY") => match c["allowedFunctionNames"].as_array() {
            Some(names) if names.len() == 1 => {
                Some(json!({"type": "function", "function": {"name": names[0]}}))
            }
            _ => Some(json!("required")),
        },
        _ => None,
    };
    if let Some(c) = choice {
        out.insert("tool_choice".into(), c);
    }
}

/// Gemini's OpenAPI schema dialect (`"type": "OBJECT"`, `nullable`) as JSON Schema.
pub fn openapi_to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                match k.as_str() {
                    "type" => {
                        out.insert(
                            k.clone(),
                            v.as_str()
                                .map_or(v.clone(), |t| t.to_ascii_lowercase().into()),
                        );
                    }
                    "nullable" | "propertyOrdering" => {}
                    "properties" => {
                        let props = v.as_object().map(|p| {
                            p.iter()
                                .map(|(n, s)| (n.clone(), openapi_to_json_schema(s)))
                                .collect::<Map<_, _>>()
                        });
                        out.insert(k.clone(), props.map_or(v.clone(), Value::Object));
                    }
                    "items" | "anyOf" => {
                        out.insert(k.clone(), openapi_to_json_schema(v));
                    }
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            if o.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(t) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(openapi_to_json_schema).collect()),
        other => other.clone(),
    }
}

fn finish_reason(f: &str) -> &'static str {
    match f {
        "length" => "MAX_TOKENS",
        "content_filter" => "SAFETY",
        _ => "STOP",
    }
}

fn usage_metadata(u: &Usage) -> Value {
    let mut m = json!({
        "promptTokenCount": u.prompt_tokens,
        "candidatesTokenCount": u.completion_tokens.saturating_sub(u.reasoning_tokens),
        "totalTokenCount": u.prompt_tokens + u.completion_tokens,
    });
    if u.reasoning_tokens > 0 {
        m["thoughtsTokenCount"] = u.reasoning_tokens.into();
    }
    if u.cached_tokens > 0 {
        m["cachedContentTokenCount"] = u.cached_tokens.into();
    }
    m
}

fn call_part(id: &Value, name: &Value, arguments: &str) -> Value {
    let args = serde_json::from_str::<Value>(arguments).unwrap_or_else(|_| json!({}));
    let mut f = json!({"name": name, "args": args});
    let mut part = json!({});
    if let Some(id) = id.as_str() {
        // A signature attached to the id goes back where Gemini clients keep it.
        match id.split_once(super::SIGNATURE_SEP) {
            Some((id, sig)) => {
                f["id"] = id.into();
                part["thoughtSignature"] = sig.into();
            }
            None => f["id"] = id.into(),
        }
    }
    part["functionCall"] = f;
    part
}

/// A `chat.completion` as a `GenerateContentResponse`.
pub fn from_completion(v: &Value) -> Value {
    let mut candidates = Vec::new();
    for (i, c) in v["choices"].as_array().into_iter().flatten().enumerate() {
        let m = &c["message"];
        let mut parts = Vec::new();
        if let Some(r) = m["reasoning_content"].as_str().filter(|r| !r.is_empty()) {
            parts.push(json!({"text": r, "thought": true}));
        }
        let text = text_of(&m["content"]);
        if !text.is_empty() {
            parts.push(json!({ "text": text }));
        }
        for call in m["tool_calls"].as_array().into_iter().flatten() {
            let f = &call["function"];
            parts.push(call_part(
                &call["id"],
                &f["name"],
                f["arguments"].as_str().unwrap_or(""),
            ));
        }
        candidates.push(json!({"content": {"role": "model", "parts": parts},
            "finishReason": finish_reason(c["finish_reason"].as_str().unwrap_or("stop")),
            "index": c["index"].as_u64().unwrap_or(i as u64)}));
    }
    json!({"candidates": candidates,
        "usageMetadata": usage_metadata(&openai::usage(v).unwrap_or_default()),
        "modelVersion": v["model"], "responseId": v["id"]})
}

/// One streamed tool call being gathered.
#[derive(Debug, Default, Clone)]
struct Call {
    id: Value,
    name: Value,
    arguments: String,
}

/// Writes the canonical chunks of one answer as Gemini's `alt=sse` stream.
#[derive(Debug, Default)]
pub struct StreamEncoder {
    model: Value,
    id: Value,
    /// Per candidate: tool calls by index, and the finish reason once known.
    calls: BTreeMap<u64, BTreeMap<u64, Call>>,
    finish: BTreeMap<u64, &'static str>,
    usage: Usage,
}

fn put(out: &mut BytesMut, v: &Value) {
    out.put_slice(format!("data: {v}\r\n\r\n").as_bytes());
}

impl StreamEncoder {
    pub fn new() -> StreamEncoder {
        StreamEncoder::default()
    }

    /// One canonical chunk.
    pub fn chunk(&mut self, v: &Value, out: &mut BytesMut) {
        if self.id.is_null() {
            self.id = v["id"].clone();
        }
        if v["model"].is_string() {
            self.model = v["model"].clone();
        }
        if let Some(u) = openai::usage(v) {
            self.usage = u;
        }
        let mut candidates = Vec::new();
        for c in v["choices"].as_array().into_iter().flatten() {
            let index = c["index"].as_u64().unwrap_or(0);
            let d = &c["delta"];
            let mut parts = Vec::new();
            if let Some(r) = d["reasoning_content"].as_str().filter(|r| !r.is_empty()) {
                parts.push(json!({"text": r, "thought": true}));
            }
            if let Some(t) = d["content"].as_str().filter(|t| !t.is_empty()) {
                parts.push(json!({ "text": t }));
            }
            for tc in d["tool_calls"].as_array().into_iter().flatten() {
                let call = self
                    .calls
                    .entry(index)
                    .or_default()
                    .entry(tc["index"].as_u64().unwrap_or(0))
                    .or_default();
                if tc["id"].is_string() {
                    call.id = tc["id"].clone();
                }
                if tc["function"]["name"].is_string() {
                    call.name = tc["function"]["name"].clone();
                }
                call.arguments
                    .push_str(tc["function"]["arguments"].as_str().unwrap_or(""));
            }
            if let Some(f) = c["finish_reason"].as_str() {
                self.finish.insert(index, finish_reason(f));
            }
            if !parts.is_empty() {
                candidates
                    .push(json!({"content": {"role": "model", "parts": parts}, "index": index}));
            }
        }
        if !candidates.is_empty() {
            put(
                out,
                &json!({"candidates": candidates, "modelVersion": self.model,
                             "responseId": self.id}),
            );
        }
    }

    /// The answer completed: the gathered function calls, finish reasons and usage.
    pub fn done(&mut self, out: &mut BytesMut) {
        let mut indices: Vec<u64> = self
            .finish
            .keys()
            .chain(self.calls.keys())
            .copied()
            .collect();
        indices.sort_unstable();
        indices.dedup();
        if indices.is_empty() {
            indices.push(0);
        }
        let candidates: Vec<Value> = indices
            .iter()
            .map(|i| {
                let mut parts: Vec<Value> = self
                    .calls
                    .get(i)
                    .into_iter()
                    .flat_map(|c| c.values())
                    .map(|c| call_part(&c.id, &c.name, &c.arguments))
                    .collect();
                if parts.is_empty() {
                    parts.push(json!({"text": ""}));
                }
                json!({"content": {"role": "model", "parts": parts},
                       "finishReason": self.finish.get(i).copied().unwrap_or("STOP"), "index": i})
            })
            .collect();
        put(
            out,
            &json!({"candidates": candidates, "usageMetadata": usage_metadata(&self.usage),
                         "modelVersion": self.model, "responseId": self.id}),
        );
    }

    /// The upstream failed mid-way: Gemini's error object as the last event.
    pub fn error(&mut self, message: &str, out: &mut BytesMut) {
        put(
            out,
            &json!({"error": {"code": 502, "message": message, "status": "UNAVAILABLE"}}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generate_content_request_becomes_canonical() {
        let b = json!({
            "systemInstruction": {"parts": [{"text": "be brief"}]},
            "contents": [
                {"role": "user", "parts": [{"text": "weather?"},
                    {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]},
                {"role": "model", "parts": [{"functionCall": {"name": "get", "args": {"city": "Paris"}}}]},
                {"role": "user", "parts": [{"functionResponse": {"name": "get", "response": {"t": 20}}}]}],
            "tools": [{"functionDeclarations": [{"name": "get", "parameters":
                {"type": "OBJECT", "properties": {"city": {"type": "STRING", "nullable": true}}}}]},
                {"googleSearch": {}}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get"]}},
            "generationConfig": {"temperature": 0.3, "maxOutputTokens": 50, "stopSequences": ["X"],
                "responseMimeType": "application/json", "thinkingConfig": {"thinkingBudget": 1024},
                "responseModalities": ["TEXT"]},
            "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}]});
        let c = Value::Object(to_canonical(b.as_object().unwrap(), "gem", true).unwrap());
        let m = &c["messages"];
        assert_eq!(
            m[0],
            json!({"role": "system", "content": [{"type": "text", "text": "be brief"}]})
        );
        assert_eq!(
            m[1]["content"][1]["image_url"]["url"],
            "data:image/png;base64,AAAA"
        );
        let id = m[2]["tool_calls"][0]["id"].clone();
        assert_eq!(
            m[2]["tool_calls"][0]["function"]["arguments"],
            r#"{"city":"Paris"}"#
        );
        assert_eq!(
            m[3],
            json!({"role": "tool", "tool_call_id": id, "content": "{\"t\":20}"})
        );
        assert_eq!(
            c["tools"][0]["function"]["parameters"]["properties"]["city"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(c["tools"][1], json!({"googleSearch": {}}));
        assert_eq!(
            c["tool_choice"],
            json!({"type": "function", "function": {"name": "get"}})
        );
        assert_eq!(
            (c["temperature"].clone(), c["max_tokens"].clone()),
            (json!(0.3), json!(50))
        );
        assert_eq!(c["stop"], json!(["X"]));
        assert_eq!(c["response_format"], json!({"type": "json_object"}));
        assert_eq!(c["reasoning_effort"], "low");
        assert_eq!(
            c["generationConfig"],
            json!({"responseModalities": ["TEXT"]})
        );
        assert_eq!(c["safetySettings"][0]["threshold"], "BLOCK_NONE");
        assert_eq!(
            (c["model"].clone(), c["stream"].clone()),
            (json!("gem"), json!(true))
        );
    }

    #[test]
    fn a_completion_becomes_a_generate_content_response() {
        let v = json!({"id": "c1", "model": "gpt", "choices": [{"index": 0, "message":
            {"role": "assistant", "content": "hi", "reasoning_content": "think",
             "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7,
                      "completion_tokens_details": {"reasoning_tokens": 2}}});
        let g = from_completion(&v);
        assert_eq!(
            g["candidates"][0]["content"]["parts"],
            json!([{"text": "think", "thought": true},
            {"text": "hi"}, {"functionCall": {"name": "f", "args": {}, "id": "call_1"}}])
        );
        assert_eq!(g["candidates"][0]["finishReason"], "STOP");
        assert_eq!(
            g["usageMetadata"],
            json!({"promptTokenCount": 5, "candidatesTokenCount": 5,
            "totalTokenCount": 12, "thoughtsTokenCount": 2})
        );
    }

    #[test]
    fn streamed_calls_are_gathered_into_the_last_chunk_with_usage() {
        let mut e = StreamEncoder::new();
        let mut out = BytesMut::new();
        let chunk = |delta: Value, finish: Value| {
            json!({"id": "c1", "model": "gpt",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        };
        e.chunk(
            &chunk(json!({"role": "assistant", "content": "Hi"}), Value::Null),
            &mut out,
        );
        e.chunk(&chunk(json!({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "f", "arguments": "{\"a\""}}]}), Value::Null), &mut out);
        e.chunk(
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}),
                json!("tool_calls"),
            ),
            &mut out,
        );
        e.chunk(&json!({"id": "c1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}), &mut out);
        e.done(&mut out);
        let events: Vec<Value> = String::from_utf8_lossy(&out)
            .split("\r\n\r\n")
            .filter(|e| !e.is_empty())
            .map(|e| serde_json::from_str(e.trim_start_matches("data: ")).unwrap())
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[0]["candidates"][0]["content"]["parts"],
            json!([{"text": "Hi"}])
        );
        assert_eq!(
            events[1]["candidates"][0]["content"]["parts"][0]["functionCall"],
            json!({"name": "f", "args": {"a": 1}, "id": "call_1"})
        );
        assert_eq!(events[1]["candidates"][0]["finishReason"], "STOP");
        assert_eq!(events[1]["usageMetadata"]["promptTokenCount"], 3);
    }
}
