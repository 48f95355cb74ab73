//! Canonical (OpenAI chat) request → Gemini `generateContent` request.
//!
//! - System and developer messages → `systemInstruction` parts, in order; turns → `contents`
//!   with roles `user` / `model`, consecutive turns of one role merged.
//! - Parts: text; images, audio and files as `inlineData` (data URLs) or `fileData` (web URLs).
//! - `tool_calls` → `functionCall` parts (with the thought signature a Gemini answer attached
//!   to the call's id); tool messages → `functionResponse` parts, named
//!   after the call they answer (a JSON-object result is the response, anything else goes
//!   in `{"result": ...}`); `tools` → `functionDeclarations` (JSON Schema in
//!   `parametersJsonSchema`); `tool_choice` → `toolConfig.functionCallingConfig`.
//! - `generationConfig`: temperature, topP, topK, maxOutputTokens (client, else the route's
//!   default), stopSequences, candidateCount (`n`), penalties, seed, logprobs,
//!   `responseMimeType` + `responseJsonSchema` for JSON mode / JSON schema,
//!   `thinkingConfig` from `reasoning_effort`. A native `generationConfig` object sent by
//!   the client is merged over ours.
//!
//! `logit_bias`, audio output and predicted outputs cannot be expressed: [`Unsupported`].
//! Hints (`user`, `store`, `service_tier`, `metadata`, `stream_options`,
//! `parallel_tool_calls`) are dropped; unknown fields (`safetySettings`, `cachedContent`, ...)
//! pass through for the upstream to judge.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::providers::chat::{data_url, is_unset, is_web_url, push_turn, text_of, Unsupported};

/// Translates a chat request; `max_tokens_default` is the route's.
pub fn to_gemini(
    body: &Map<String, Value>,
    max_tokens_default: Option<i32>,
) -> Result<Map<String, Value>, Unsupported> {
    let mut out = Map::new();
    let mut config = Map::new();
    let mut native_config = None;
    for (k, v) in body {
        let set = |config: &mut Map<String, Value>, name: &str| {
            if !v.is_null() {
                config.insert(name.into(), v.clone());
            }
        };
        match k.as_str() {
            "model"
            | "stream"
            | "messages"
            | "tools"
            | "tool_choice"
            | "response_format"
            | "reasoning_effort"
            | "max_tokens"
            | "max_completion_tokens"
            | "stop" => {}
            "user"
            | "store"
            | "service_tier"
            | "metadata"
            | "stream_options"
            | "parallel_tool_calls"
            | "prompt_cache_key"
            | "safety_identifier"
            | "anthropic_beta" => {}
            "temperature" => set(&mut config, "temperature"),
            "top_p" => set(&mut config, "topP"),
            "top_k" => set(&mut config, "topK"),
            "n" => set(&mut config, "candidateCount"),
            "presence_penalty" => set(&mut config, "presencePenalty"),
            "frequency_penalty" => set(&mut config, "frequencyPenalty"),
            "seed" => set(&mut config, "seed"),
            "logprobs" => set(&mut config, "responseLogprobs"),
            "top_logprobs" => set(&mut config, "logprobs"),
            "generationConfig" => native_config = v.as_object().cloned(),
            // Anthropic's thinking switch, from an Anthropic client.
            "thinking" => {
                if v["type"] == "enabled" && !body.contains_key("reasoning_effort") {
                    let budget = v["budget_tokens"].as_u64().unwrap_or(8192);
                    config.insert(
                        "thinkingConfig".into(),
                        json!({"thinkingBudget": budget, "includeThoughts": true}),
                    );
                }
            }
            "modalities" => {
                let text_only = v.as_array().is_none_or(|m| m.iter().all(|x| x == "text"));
                if !text_only {
                    return Err(Unsupported::new(
                        "modalities",
                        "only text output is translated",
                    ));
                }
            }
            "logit_bias" | "audio" | "prediction" | "web_search_options" | "functions"
            | "function_call" => {
                if !is_unset(v) {
                    return Err(Unsupported::new(
                        k.as_str(),
                        format!("Gemini has no equivalent of `{k}`"),
                    ));
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }

    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| Unsupported::new("messages", "must be an array"))?;
    let (system, contents) = contents_of(messages)?;
    if !system.is_empty() {
        out.insert("systemInstruction".into(), json!({ "parts": system }));
    }
    out.insert("contents".into(), contents.into());

    match body.get("stop") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            config.insert("stopSequences".into(), json!([s]));
        }
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            config.insert("stopSequences".into(), a.clone().into());
        }
        Some(_) => return Err(Unsupported::new("stop", "must be a string or strings")),
    }
    let max = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| body.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)));
    match max {
        Some((k, v)) => {
            let n = v
                .as_u64()
                .filter(|n| *n > 0)
                .ok_or_else(|| Unsupported::new(k, "must be a positive integer"))?;
            config.insert("maxOutputTokens".into(), n.into());
        }
        None => {
            if let Some(n) = max_tokens_default.filter(|n| *n > 0) {
                config.insert("maxOutputTokens".into(), n.into());
            }
        }
    }
    match body.get("response_format").filter(|f| !f.is_null()) {
        None => {}
        Some(f) => match f.get("type").and_then(Value::as_str) {
            Some("text") => {}
            Some("json_object") => {
                config.insert("responseMimeType".into(), "application/json".into());
            }
            Some("json_schema") => {
                config.insert("responseMimeType".into(), "application/json".into());
                if let Some(s) = f["json_schema"].get("schema").filter(|s| s.is_object()) {
                    config.insert("responseJsonSchema".into(), s.clone());
                }
            }
            _ => {
                return Err(Unsupported::new(
                    "response_format.type",
                    "must be text, json_object or json_schema",
                ))
            }
        },
    }
    if let Some(effort) = body.get("reasoning_effort").filter(|v| !v.is_null()) {
        let budget = match effort.as_str() {
            Some("none" | "minimal") => 0,
            Some("low") => 1024,
            Some("medium") => 8192,
            Some("high") => 24576,
            _ => {
                return Err(Unsupported::new(
                    "reasoning_effort",
                    "must be none, minimal, low, medium or high",
                ))
            }
        };
        config.insert(
            "thinkingConfig".into(),
            json!({"thinkingBudget": budget, "includeThoughts": budget > 0}),
        );
    }
    if let Some(native) = native_config {
        config.extend(native);
    }
    if !config.is_empty() {
        out.insert("generationConfig".into(), config.into());
    }
    tools_of(body, &mut out)?;
    Ok(out)
}

fn tools_of(body: &Map<String, Value>, out: &mut Map<String, Value>) -> Result<(), Unsupported> {
    let mut declarations = Vec::new();
    let mut native = Vec::new();
    for (i, t) in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match t.get("type").and_then(Value::as_str) {
            Some("function") => {
                let f = &t["function"];
                let name = f["name"].as_str().ok_or_else(|| {
                    Unsupported::new(format!("tools[{i}].function.name"), "is required")
                })?;
                let mut d = json!({ "name": name });
                if let Some(desc) = f.get("description").filter(|d| d.is_string()) {
                    d["description"] = desc.clone();
                }
                if let Some(p) = f.get("parameters").filter(|p| p.is_object()) {
                    d["parametersJsonSchema"] = p.clone();
                }
                declarations.push(d);
            }
            // Gemini's own tools (`googleSearch`, `codeExecution`, ...) travel as they are.
            None if t.is_object() => native.push(t.clone()),
            _ => {
                return Err(Unsupported::new(
                    format!("tools[{i}].type"),
                    "only function tools can be sent to Gemini",
                ))
            }
        }
    }
    if !declarations.is_empty() {
        native.insert(0, json!({ "functionDeclarations": declarations }));
    }
    if !native.is_empty() {
        out.insert("tools".into(), native.into());
    }
    let config = match body.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "auto" => json!({"mode": "AUTO"}),
            "required" => json!({"mode": "ANY"}),
            "none" => json!({"mode": "NONE"}),
            _ => {
                return Err(Unsupported::new(
                    "tool_choice",
                    "must be auto, required, none or a function",
                ))
            }
        }),
        Some(c) => match c.get("function").and_then(|f| f.get("name")) {
            Some(Value::String(name)) => {
                Some(json!({"mode": "ANY", "allowedFunctionNames": [name]}))
            }
            _ => return Err(Unsupported::new("tool_choice", "names no function")),
        },
    };
    if let Some(c) = config {
        out.insert("toolConfig".into(), json!({ "functionCallingConfig": c }));
    }
    Ok(())
}

/// The system parts and the contents.
fn contents_of(messages: &[Value]) -> Result<(Vec<Value>, Vec<Value>), Unsupported> {
    let mut system = Vec::new();
    let mut contents: Vec<Value> = Vec::new();
    // Tool call id → function name, for the responses that answer them.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut push = |role: &str, parts: Vec<Value>| push_turn(&mut contents, role, "parts", parts);
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("");
        let at = |rest: &str| format!("messages[{i}]{rest}");
        match role {
            "system" | "developer" => {
                for p in parts_of(&m["content"], &at(".content"))? {
                    if p.get("text").is_none() {
                        return Err(Unsupported::new(
                            at(".content"),
                            "Gemini system instructions hold text only",
                        ));
                    }
                    system.push(p);
                }
            }
            "user" => push("user", parts_of(&m["content"], &at(".content"))?),
            "assistant" => {
                let mut parts = parts_of(&m["content"], &at(".content"))?;
                for (j, call) in m
                    .get("tool_calls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let f = &call["function"];
                    let name = f["name"].as_str().unwrap_or("");
                    let args_at = || at(&format!(".tool_calls[{j}].function.arguments"));
                    let raw = f["arguments"].as_str().unwrap_or("");
                    let args: Value = if raw.trim().is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(raw)
                            .map_err(|_| Unsupported::new(args_at(), "is not valid JSON"))?
                    };
                    let mut part = json!({"functionCall": {"name": name, "args": args}});
                    if let Some(id) = call["id"].as_str() {
                        names.insert(id.to_string(), name.to_string());
                        if let Some((_, sig)) = id.split_once(super::SIGNATURE_SEP) {
                            part["thoughtSignature"] = sig.into();
                        }
                    }
                    parts.push(part);
                }
                push("model", parts);
            }
            "tool" => {
                let id = m["tool_call_id"].as_str().unwrap_or("");
                let name = names.get(id).ok_or_else(|| {
                    Unsupported::new(
                        at(".tool_call_id"),
                        "answers no earlier tool call; Gemini needs the function's name",
                    )
                })?;
                let text = text_of(&m["content"]);
                let response = match serde_json::from_str::<Value>(&text) {
                    Ok(v @ Value::Object(_)) => v,
                    _ => json!({ "result": text }),
                };
                push(
                    "user",
                    vec![json!({"functionResponse": {"name": name, "response": response}})],
                );
            }
            _ => {
                return Err(Unsupported::new(
                    at(".role"),
                    format!("role `{role}` cannot be sent to Gemini"),
                ))
            }
        }
    }
    Ok((system, contents))
}

/// Content (a string or parts) as Gemini parts; empty text is left out.
fn parts_of(content: &Value, at: &str) -> Result<Vec<Value>, Unsupported> {
    let parts = match content {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.is_empty() => return Ok(Vec::new()),
        Value::String(s) => return Ok(vec![json!({ "text": s })]),
        Value::Array(parts) => parts,
        _ => {
            return Err(Unsupported::new(
                at,
                "must be a string or an array of parts",
            ))
        }
    };
    let mut out = Vec::new();
    for (j, p) in parts.iter().enumerate() {
        let at = format!("{at}[{j}]");
        let part = match p.get("type").and_then(Value::as_str) {
            Some(kind @ ("text" | "refusal")) => match p.get(kind).and_then(Value::as_str) {
                Some(t) if !t.is_empty() => json!({ "text": t }),
                _ => continue,
            },
            Some("image_url") => {
                let url = p["image_url"]
                    .get("url")
                    .or(Some(&p["image_url"]))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                media(
                    url,
                    guess_mime(url, "image/jpeg"),
                    &format!("{at}.image_url.url"),
                )?
            }
            Some("input_audio") => {
                let a = &p["input_audio"];
                let format = a["format"].as_str().unwrap_or("wav");
                json!({"inlineData": {"mimeType": format!("audio/{format}"), "data": a["data"]}})
            }
            Some("file") => {
                let f = &p["file"];
                match f["file_data"].as_str() {
                    Some(url) => media(url, "application/octet-stream", &format!("{at}.file"))?,
                    None => {
                        return Err(Unsupported::new(
                            format!("{at}.file"),
                            "Gemini takes files as data (file_data), not file ids",
                        ))
                    }
                }
            }
            // Gemini's own parts (`inlineData`, `fileData`, ...) travel as they are.
            None if p.is_object() => p.clone(),
            _ => {
                return Err(Unsupported::new(at, "this part cannot be sent to Gemini"));
            }
        };
        out.push(part);
    }
    Ok(out)
}

/// A data URL as `inlineData`, a web URL as `fileData`.
fn media(url: &str, fallback_mime: &str, at: &str) -> Result<Value, Unsupported> {
    if let Some((mime, data)) = data_url(url) {
        Ok(json!({"inlineData": {"mimeType": mime, "data": data}}))
    } else if is_web_url(url) {
        Ok(json!({"fileData": {"mimeType": fallback_mime, "fileUri": url}}))
    } else {
        Err(Unsupported::new(
            at,
            "must be a data: URL or an http(s) URL",
        ))
    }
}

/// A media type from a URL's extension.
fn guess_mime<'a>(url: &str, fallback: &'a str) -> &'a str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match path.rsplit('.').next().unwrap_or("") {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(v: Value) -> Result<Value, Unsupported> {
        to_gemini(v.as_object().unwrap(), None).map(Value::Object)
    }

    #[test]
    fn system_contents_and_generation_config_are_translated() {
        let b = tr(json!({"model": "m", "messages": [
            {"role": "system", "content": "one"},
            {"role": "developer", "content": "two"},
            {"role": "user", "content": [{"type": "text", "text": "see"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "image_url", "image_url": {"url": "https://x/y.webp"}}]},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "more"},
        ], "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stop": ["X"], "n": 2,
           "seed": 1, "stream": true, "user": "u", "safetySettings": [{"category": "c"}]}))
        .unwrap();
        assert_eq!(
            b["systemInstruction"],
            json!({"parts": [{"text": "one"}, {"text": "two"}]})
        );
        assert_eq!(
            b["contents"][0]["parts"][1],
            json!({"inlineData": {"mimeType": "image/png", "data": "AAAA"}})
        );
        assert_eq!(
            b["contents"][0]["parts"][2],
            json!({"fileData": {"mimeType": "image/webp", "fileUri": "https://x/y.webp"}})
        );
        assert_eq!(
            b["contents"][1],
            json!({"role": "model", "parts": [{"text": "ok"}]})
        );
        assert_eq!(
            b["generationConfig"],
            json!({"temperature": 0.2, "topP": 0.9, "maxOutputTokens": 50,
                   "stopSequences": ["X"], "candidateCount": 2, "seed": 1})
        );
        assert_eq!(b["safetySettings"], json!([{"category": "c"}]));
        for k in ["model", "stream", "user", "messages"] {
            assert!(b.get(k).is_none(), "{k}");
        }
    }

    #[test]
    fn tools_calls_and_results_become_function_parts_named_by_their_call() {
        let b = tr(json!({"model": "m", "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "get", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "{\"temp\":20}"},
            {"role": "tool", "tool_call_id": "c1", "content": "plain"},
        ], "tools": [{"type": "function", "function": {"name": "get", "description": "d",
            "parameters": {"type": "object"}}}], "tool_choice": {"type": "function",
            "function": {"name": "get"}}}))
        .unwrap();
        assert_eq!(
            b["contents"][1]["parts"][0],
            json!({"functionCall": {"name": "get", "args": {"city": "Paris"}}})
        );
        assert_eq!(
            b["contents"][2]["parts"],
            json!([
            {"functionResponse": {"name": "get", "response": {"temp": 20}}},
            {"functionResponse": {"name": "get", "response": {"result": "plain"}}}])
        );
        assert_eq!(
            b["tools"],
            json!([{"functionDeclarations": [{"name": "get",
            "description": "d", "parametersJsonSchema": {"type": "object"}}]}])
        );
        assert_eq!(
            b["toolConfig"],
            json!({"functionCallingConfig":
            {"mode": "ANY", "allowedFunctionNames": ["get"]}})
        );
    }

    #[test]
    fn json_schema_sets_the_mime_type_and_schema_and_native_config_wins() {
        let b = tr(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "p",
                "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}},
            "reasoning_effort": "low", "temperature": 1,
            "generationConfig": {"temperature": 0.1, "responseModalities": ["TEXT"]}}),
        )
        .unwrap();
        let c = &b["generationConfig"];
        assert_eq!(c["responseMimeType"], "application/json");
        assert_eq!(c["responseJsonSchema"]["properties"]["a"]["type"], "string");
        assert_eq!(
            c["thinkingConfig"],
            json!({"thinkingBudget": 1024, "includeThoughts": true})
        );
        assert_eq!(c["temperature"], 0.1);
        assert_eq!(c["responseModalities"], json!(["TEXT"]));
    }

    #[test]
    fn what_gemini_cannot_express_is_refused_naming_the_field() {
        let base = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        let mut b = base.clone();
        b["logit_bias"] = json!({"5": 1});
        assert_eq!(tr(b).unwrap_err().param, "logit_bias");
        let mut b = base.clone();
        b["messages"] = json!([{"role": "tool", "tool_call_id": "nope", "content": "x"}]);
        assert_eq!(tr(b).unwrap_err().param, "messages[0].tool_call_id");
        let mut b = base;
        b["max_tokens_default_is_not_a_field"] = json!(1);
        let out = to_gemini(b.as_object().unwrap(), Some(99)).unwrap();
        assert_eq!(out["generationConfig"]["maxOutputTokens"], 99);
    }
}
