//! Canonical (OpenAI chat) request → Anthropic Messages request.
//!
//! - System and developer messages, wherever they stand, become `system` text blocks in
//!   order; consecutive turns of one role merge (tool results join the next user turn).
//! - Content parts: text, images (data URLs as base64, web URLs as `url` sources), PDF files
//!   as documents; `cache_control` on parts and tools is kept.
//! - `tool_calls` ↔ `tool_use` blocks (ids kept), tool messages → `tool_result` blocks;
//!   `tools`, `tool_choice`, `parallel_tool_calls: false` → `disable_parallel_tool_use`.
//! - `response_format` (JSON mode, JSON schema) → one forced tool whose input is the answer.
//! - `reasoning_effort` → `thinking` with a budget; `reasoning_content` with its
//!   `reasoning_signature` → a thinking block (unsigned thinking cannot be sent back).
//! - `max_tokens` / `max_completion_tokens`, else the route's default, else 4096.
//!
//! What Anthropic cannot express and would change the answer (`n` > 1, logprobs, penalties,
//! `logit_bias`, audio) is an [`Unsupported`] error. Hints without an equivalent (`seed`,
//! `store`, `service_tier`, OpenAI `metadata`, `stream_options`) are dropped. Fields this
//! module does not know pass through, so Anthropic-native fields (`top_k`, `thinking`,
//! `container`, ...) reach the upstream, which judges them.

use serde_json::{json, Map, Value};

use super::{Ctx, DEFAULT_MAX_TOKENS, JSON_TOOL};
use crate::providers::chat::{data_url, is_unset, is_web_url, push_turn, Unsupported};

/// Reasoning effort → thinking budget (tokens).
fn thinking_budget(effort: &str) -> Option<Option<u64>> {
    match effort {
        "none" | "minimal" => Some(None),
        "low" => Some(Some(2048)),
        "medium" => Some(Some(8192)),
        "high" => Some(Some(24576)),
        _ => None,
    }
}

/// Translates a chat request for model `model`; `max_tokens_default` is the route's.
pub fn to_anthropic(
    body: &Map<String, Value>,
    model: &str,
    max_tokens_default: Option<i32>,
) -> Result<(Map<String, Value>, Ctx), Unsupported> {
    let mut out = Map::new();
    out.insert("model".into(), model.into());
    for (k, v) in body {
        match k.as_str() {
            // Translated below.
            "model"
            | "messages"
            | "tools"
            | "tool_choice"
            | "parallel_tool_calls"
            | "response_format"
            | "max_tokens"
            | "max_completion_tokens"
            | "reasoning_effort"
            | "user" => {}
            // Hints Anthropic has no use for.
            "stream_options" | "store" | "service_tier" | "metadata" | "seed"
            | "prompt_cache_key" | "safety_identifier" => {}
            // Becomes the `anthropic-beta` header (gateway::upstream).
            "anthropic_beta" => {}
            "stream" => {
                if v.as_bool() == Some(true) {
                    out.insert("stream".into(), true.into());
                }
            }
            "stop" => {
                let stops = match v {
                    Value::Null => continue,
                    Value::String(s) => vec![Value::String(s.clone())],
                    Value::Array(a) if a.iter().all(Value::is_string) => a.clone(),
                    _ => return Err(Unsupported::new("stop", "must be a string or strings")),
                };
                if !stops.is_empty() {
                    out.insert("stop_sequences".into(), stops.into());
                }
            }
            "n" => {
                if !(v.is_null() || v.as_u64() == Some(1)) {
                    return Err(Unsupported::new(
                        "n",
                        "Anthropic returns one choice per request; n must be 1",
                    ));
                }
            }
            "modalities" => {
                let text_only = v.as_array().is_none_or(|m| m.iter().all(|x| x == "text"));
                if !text_only {
                    return Err(Unsupported::new(
                        "modalities",
                        "Anthropic answers in text only",
                    ));
                }
            }
            "logprobs" | "top_logprobs" | "presence_penalty" | "frequency_penalty"
            | "logit_bias" | "audio" | "prediction" | "web_search_options" | "functions"
            | "function_call" => {
                if !is_unset(v) {
                    return Err(Unsupported::new(
                        k.as_str(),
                        format!("Anthropic has no equivalent of `{k}`"),
                    ));
                }
            }
            "temperature" | "top_p" => {
                if !v.is_null() {
                    out.insert(k.clone(), v.clone());
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(user) = body.get("user").and_then(Value::as_str) {
        out.insert("metadata".into(), json!({ "user_id": user }));
    }

    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| Unsupported::new("messages", "must be an array"))?;
    let (system, turns) = messages_of(messages)?;
    if !system.is_empty() {
        out.insert("system".into(), system.into());
    }
    out.insert("messages".into(), turns.into());

    let max = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| body.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)));
    let mut max_tokens = match max {
        Some((k, v)) => v
            .as_u64()
            .filter(|n| *n > 0)
            .ok_or_else(|| Unsupported::new(k, "must be a positive integer"))?,
        None => max_tokens_default
            .filter(|n| *n > 0)
            .map_or(DEFAULT_MAX_TOKENS, |n| n as u64),
    };
    if let (Some(effort), false) = (body.get("reasoning_effort"), out.contains_key("thinking")) {
        let budget = effort.as_str().and_then(thinking_budget).ok_or_else(|| {
            Unsupported::new(
                "reasoning_effort",
                "must be none, minimal, low, medium or high",
            )
        })?;
        if let Some(budget) = budget {
            // OpenAI counts reasoning inside max tokens; Anthropic needs room beyond it.
            if max_tokens <= budget {
                max_tokens += budget;
            }
            out.insert(
                "thinking".into(),
                json!({"type": "enabled", "budget_tokens": budget}),
            );
        }
    }
    out.insert("max_tokens".into(), max_tokens.into());

    let ctx = tools_of(body, &mut out)?;
    Ok((out, ctx))
}

/// `tools`, `tool_choice`, `parallel_tool_calls` and `response_format`.
fn tools_of(body: &Map<String, Value>, out: &mut Map<String, Value>) -> Result<Ctx, Unsupported> {
    let mut tools = Vec::new();
    for (i, t) in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let kind = t.get("type").and_then(Value::as_str);
        if kind != Some("function") && t.get("name").is_some() && t.get("function").is_none() {
            // Anthropic's own tools (`web_search_...`, `bash_...`) travel as they are.
            tools.push(t.clone());
            continue;
        }
        if kind != Some("function") {
            return Err(Unsupported::new(
                format!("tools[{i}].type"),
                "only function tools can be sent to Anthropic",
            ));
        }
        let f = &t["function"];
        let name = f["name"]
            .as_str()
            .ok_or_else(|| Unsupported::new(format!("tools[{i}].function.name"), "is required"))?;
        let mut tool = json!({
            "name": name,
            "input_schema": f.get("parameters").filter(|p| p.is_object()).cloned()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
        });
        if let Some(d) = f.get("description").filter(|d| d.is_string()) {
            tool["description"] = d.clone();
        }
        if let Some(c) = t.get("cache_control").filter(|c| !c.is_null()) {
            tool["cache_control"] = c.clone();
        }
        tools.push(tool);
    }
    let mut choice = match body.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "auto" => json!({"type": "auto"}),
            "required" => json!({"type": "any"}),
            "none" => json!({"type": "none"}),
            _ => {
                return Err(Unsupported::new(
                    "tool_choice",
                    "must be auto, required, none or a function",
                ))
            }
        }),
        Some(Value::Object(o)) => match o.get("function").and_then(|f| f.get("name")) {
            Some(Value::String(name)) => Some(json!({"type": "tool", "name": name})),
            _ => {
                return Err(Unsupported::new(
                    "tool_choice",
                    "only {\"type\":\"function\",\"function\":{\"name\":...}} names a tool",
                ))
            }
        },
        Some(_) => {
            return Err(Unsupported::new(
                "tool_choice",
                "must be a string or object",
            ))
        }
    };
    if body.get("parallel_tool_calls") == Some(&Value::Bool(false)) && !tools.is_empty() {
        let c = choice.get_or_insert_with(|| json!({"type": "auto"}));
        if c["type"] != "none" {
            c["disable_parallel_tool_use"] = true.into();
        }
    }

    let mut ctx = Ctx::default();
    let format = body.get("response_format").filter(|f| !f.is_null());
    let schema = match format.map(|f| (f.get("type").and_then(Value::as_str), f)) {
        None | Some((Some("text"), _)) => None,
        Some((Some("json_object"), _)) => {
            Some((JSON_TOOL.to_string(), json!({"type": "object"}), None))
        }
        Some((Some("json_schema"), f)) => {
            let s = &f["json_schema"];
            let name = s["name"].as_str().unwrap_or(JSON_TOOL).to_string();
            let schema = s
                .get("schema")
                .filter(|v| v.is_object())
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}));
            Some((name, schema, s.get("description").cloned()))
        }
        _ => {
            return Err(Unsupported::new(
                "response_format.type",
                "must be text, json_object or json_schema",
            ))
        }
    };
    if let Some((name, schema, description)) = schema {
        if !tools.is_empty() {
            return Err(Unsupported::new(
                "response_format",
                "Anthropic answers in JSON through a forced tool, which cannot be combined with `tools`",
            ));
        }
        let description = description.unwrap_or_else(|| {
            "Respond with the answer as this tool's input, which follows the schema.".into()
        });
        tools.push(json!({"name": name, "description": description, "input_schema": schema}));
        choice = Some(json!({"type": "tool", "name": name}));
        ctx.json_tool = Some(name);
    }
    if !tools.is_empty() {
        out.insert("tools".into(), tools.into());
    }
    if let Some(c) = choice {
        out.insert("tool_choice".into(), c);
    }
    Ok(ctx)
}

/// The system blocks and the alternating turns.
fn messages_of(messages: &[Value]) -> Result<(Vec<Value>, Vec<Value>), Unsupported> {
    let mut system = Vec::new();
    let mut turns: Vec<Value> = Vec::new();
    let mut push = |role: &str, blocks: Vec<Value>| push_turn(&mut turns, role, "content", blocks);
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("");
        let at = |rest: &str| format!("messages[{i}]{rest}");
        match role {
            "system" | "developer" => {
                for block in blocks_of(&m["content"], &at(".content"))? {
                    if block["type"] != "text" {
                        return Err(Unsupported::new(
                            at(".content"),
                            "Anthropic system prompts hold text only",
                        ));
                    }
                    system.push(block);
                }
            }
            "user" => push("user", blocks_of(&m["content"], &at(".content"))?),
            "assistant" => {
                let mut blocks = Vec::new();
                if let (Some(thinking), Some(signature)) = (
                    m.get("reasoning_content").and_then(Value::as_str),
                    m.get("reasoning_signature").and_then(Value::as_str),
                ) {
                    blocks.push(json!({"type": "thinking", "thinking": thinking,
                                       "signature": signature}));
                }
                blocks.extend(blocks_of(&m["content"], &at(".content"))?);
                for (j, call) in m
                    .get("tool_calls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    blocks.push(tool_use(call, &at(&format!(".tool_calls[{j}]")))?);
                }
                push("assistant", blocks);
            }
            "tool" => {
                let id = m["tool_call_id"]
                    .as_str()
                    .ok_or_else(|| Unsupported::new(at(".tool_call_id"), "is required"))?;
                let content = match &m["content"] {
                    Value::String(s) => Value::String(s.clone()),
                    Value::Null => Value::String(String::new()),
                    c => blocks_of(c, &at(".content"))?.into(),
                };
                let mut block =
                    json!({"type": "tool_result", "tool_use_id": id, "content": content});
                if m.get("is_error") == Some(&Value::Bool(true)) {
                    block["is_error"] = true.into();
                }
                push("user", vec![block]);
            }
            _ => {
                return Err(Unsupported::new(
                    at(".role"),
                    format!("role `{role}` cannot be sent to Anthropic"),
                ))
            }
        }
    }
    Ok((system, turns))
}

fn tool_use(call: &Value, at: &str) -> Result<Value, Unsupported> {
    if call
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("function")
        != "function"
    {
        return Err(Unsupported::new(
            format!("{at}.type"),
            "only function calls",
        ));
    }
    let f = &call["function"];
    let args = f["arguments"].as_str().unwrap_or("");
    let input: Value = if args.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(args).map_err(|_| {
            Unsupported::new(format!("{at}.function.arguments"), "is not valid JSON")
        })?
    };
    if !input.is_object() {
        return Err(Unsupported::new(
            format!("{at}.function.arguments"),
            "must be a JSON object",
        ));
    }
    Ok(json!({"type": "tool_use", "id": call["id"], "name": f["name"], "input": input}))
}

/// Content (a string or parts) as Anthropic content blocks; empty text is left out.
fn blocks_of(content: &Value, at: &str) -> Result<Vec<Value>, Unsupported> {
    let parts = match content {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.is_empty() => return Ok(Vec::new()),
        Value::String(s) => return Ok(vec![json!({"type": "text", "text": s})]),
        Value::Array(parts) => parts,
        _ => {
            return Err(Unsupported::new(
                at,
                "must be a string or an array of parts",
            ))
        }
    };
    let mut blocks = Vec::new();
    for (j, p) in parts.iter().enumerate() {
        let at = format!("{at}[{j}]");
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
        let mut block = match kind {
            "text" | "refusal" => {
                let text = p.get(kind).and_then(Value::as_str).unwrap_or("");
                if text.is_empty() {
                    continue;
                }
                json!({"type": "text", "text": text})
            }
            "image_url" => {
                let url = p["image_url"]
                    .get("url")
                    .or(Some(&p["image_url"]))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if let Some((mime, data)) = data_url(url) {
                    json!({"type": "image", "source":
                        {"type": "base64", "media_type": mime, "data": data}})
                } else if is_web_url(url) {
                    json!({"type": "image", "source": {"type": "url", "url": url}})
                } else {
                    return Err(Unsupported::new(
                        format!("{at}.image_url.url"),
                        "must be a data: URL or an http(s) URL",
                    ));
                }
            }
            "file" => {
                let data = p["file"]["file_data"].as_str().and_then(data_url);
                match data {
                    Some(("application/pdf", data)) => json!({"type": "document", "source":
                        {"type": "base64", "media_type": "application/pdf", "data": data}}),
                    _ => {
                        return Err(Unsupported::new(
                            format!("{at}.file"),
                            "Anthropic takes files as PDF data (file_data: data:application/pdf;base64,...)",
                        ))
                    }
                }
            }
            "input_audio" => {
                return Err(Unsupported::new(at, "Anthropic does not take audio input"))
            }
            // Anthropic's own blocks (image, document, ...) travel as they are.
            _ => p.clone(),
        };
        if let Some(c) = p.get("cache_control").filter(|c| !c.is_null()) {
            block["cache_control"] = c.clone();
        }
        blocks.push(block);
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(v: Value) -> Result<(Value, Ctx), Unsupported> {
        to_anthropic(v.as_object().unwrap(), "claude-x", None).map(|(b, c)| (Value::Object(b), c))
    }

    #[test]
    fn system_prompts_all_go_to_system_in_order_and_roles_alternate() {
        let (b, _) = tr(json!({"model": "m", "messages": [
            {"role": "system", "content": "one"},
            {"role": "user", "content": "hi"},
            {"role": "developer", "content": [{"type": "text", "text": "two",
                "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": "again"},
        ]}))
        .unwrap();
        assert_eq!(
            b["system"],
            json!([{"type": "text", "text": "one"},
                   {"type": "text", "text": "two", "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!(
            b["messages"],
            json!([{"role": "user", "content": [{"type": "text", "text": "hi"},
                                                {"type": "text", "text": "again"}]}])
        );
        assert_eq!(b["max_tokens"], 4096);
        assert_eq!(b["model"], "claude-x");
    }

    #[test]
    fn tool_calls_and_results_become_tool_use_and_tool_result_with_ids() {
        let (b, ctx) = tr(json!({"model": "m", "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "toolu_1", "type": "function",
                 "function": {"name": "get", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "toolu_2", "type": "function", "function": {"name": "get", "arguments": ""}}]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": "rain", "is_error": true},
            {"role": "user", "content": "thanks"},
        ], "tools": [{"type": "function", "function": {"name": "get", "description": "d",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
           "tool_choice": "required", "parallel_tool_calls": false}))
        .unwrap();
        assert_eq!(ctx, Ctx::default());
        let m = &b["messages"];
        assert_eq!(m.as_array().unwrap().len(), 3);
        assert_eq!(
            m[1]["content"],
            json!([{"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"city": "Paris"}},
                   {"type": "tool_use", "id": "toolu_2", "name": "get", "input": {}}])
        );
        assert_eq!(
            m[2]["content"],
            json!([{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                   {"type": "tool_result", "tool_use_id": "toolu_2", "content": "rain", "is_error": true},
                   {"type": "text", "text": "thanks"}])
        );
        assert_eq!(
            b["tools"][0]["input_schema"]["properties"]["city"]["type"],
            "string"
        );
        assert_eq!(b["tools"][0]["description"], "d");
        assert_eq!(
            b["tool_choice"],
            json!({"type": "any", "disable_parallel_tool_use": true})
        );
    }

    #[test]
    fn images_stops_users_and_unknown_native_fields_are_carried() {
        let (b, _) = tr(
            json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "image_url", "image_url": {"url": "https://x/y.jpg", "detail": "high"}},
        ]}], "stop": "END", "user": "u1", "top_k": 5, "temperature": 0.5, "seed": 3,
            "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 100}),
        )
        .unwrap();
        assert_eq!(
            b["messages"][0]["content"][1]["source"],
            json!({"type": "base64", "media_type": "image/png", "data": "AAAA"})
        );
        assert_eq!(
            b["messages"][0]["content"][2]["source"],
            json!({"type": "url", "url": "https://x/y.jpg"})
        );
        assert_eq!(b["stop_sequences"], json!(["END"]));
        assert_eq!(b["metadata"], json!({"user_id": "u1"}));
        assert_eq!(b["top_k"], 5);
        assert_eq!(b["temperature"], 0.5);
        assert_eq!(b["stream"], true);
        assert_eq!(b["max_tokens"], 100);
        assert!(b.get("seed").is_none() && b.get("stream_options").is_none());
    }

    #[test]
    fn json_schema_becomes_a_forced_tool() {
        let (b, ctx) = tr(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "person",
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}),
        )
        .unwrap();
        assert_eq!(ctx.json_tool.as_deref(), Some("person"));
        assert_eq!(b["tool_choice"], json!({"type": "tool", "name": "person"}));
        assert_eq!(
            b["tools"][0]["input_schema"]["properties"]["name"]["type"],
            "string"
        );
        let (_, ctx) = tr(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_object"}}),
        )
        .unwrap();
        assert_eq!(ctx.json_tool.as_deref(), Some(JSON_TOOL));
    }

    #[test]
    fn reasoning_maps_to_thinking_and_signed_thinking_goes_back() {
        let (b, _) = tr(
            json!({"model": "m", "reasoning_effort": "low", "max_tokens": 1000,
            "messages": [{"role": "user", "content": "x"},
                {"role": "assistant", "content": "a", "reasoning_content": "hmm",
                 "reasoning_signature": "sig"},
                {"role": "assistant", "content": "b", "reasoning_content": "unsigned"},
                {"role": "user", "content": "y"}]}),
        )
        .unwrap();
        assert_eq!(
            b["thinking"],
            json!({"type": "enabled", "budget_tokens": 2048})
        );
        assert_eq!(b["max_tokens"], 3048);
        assert_eq!(
            b["messages"][1]["content"],
            json!([{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                   {"type": "text", "text": "a"}, {"type": "text", "text": "b"}])
        );
    }

    #[test]
    fn what_anthropic_cannot_express_is_refused_naming_the_field() {
        let base = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        for (field, value, param) in [
            ("n", json!(2), "n"),
            ("logprobs", json!(true), "logprobs"),
            ("presence_penalty", json!(0.5), "presence_penalty"),
            ("logit_bias", json!({"1": 2}), "logit_bias"),
            ("tools", json!([{"type": "web_search"}]), "tools[0].type"),
            ("max_tokens", json!(0), "max_tokens"),
        ] {
            let mut b = base.clone();
            b[field] = value;
            assert_eq!(tr(b).unwrap_err().param, param, "{field}");
        }
        let mut b = base.clone();
        b["messages"][0]["content"] = json!([{"type": "input_audio", "input_audio": {}}]);
        assert_eq!(tr(b).unwrap_err().param, "messages[0].content[0]");
        // Defaults that ask for nothing are fine.
        let mut b = base;
        b["n"] = json!(1);
        b["presence_penalty"] = json!(0);
        b["logprobs"] = json!(false);
        assert!(tr(b).is_ok());
    }

    #[test]
    fn the_routes_max_tokens_default_applies_when_the_client_sent_none() {
        let b = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        let (out, _) = to_anthropic(b.as_object().unwrap(), "c", Some(777)).unwrap();
        assert_eq!(out["max_tokens"], 777);
    }
}
