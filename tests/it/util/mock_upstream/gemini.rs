//! The mock's Gemini side: `POST .../models/{model}:generateContent` and
//! `:streamGenerateContent` — with `alt=sse` one event per piece, the last carrying the
//! finish reason and full usage; without it a JSON array, as the real API does. It wants the
//! key in `x-goog-api-key`.
//!
//! Function declarations (unless `toolConfig` says `NONE`) get a `functionCall` of the
//! allowed or first function with args `{"from": <the joined pieces>}`; JSON mode answers
//! `{"from": ...}` as text; `includeThoughts` adds a thought part; `stopSequences` and
//! `maxOutputTokens` (in pieces) cut the text. Usage counts words; `Answer::cached` reports cached content tokens.

use serde_json::{json, Value};

use super::{limited, pieces, stopped, stops, words_in, Answer, Event, Out, Request, State};

pub(super) fn error(status: u16, state: &str, message: &str) -> Value {
    json!({"error": {"code": status, "message": message, "status": state}})
}

pub(super) fn answer(state: &State, req: &Request, body: &Value, answer: &Answer) -> Out {
    if req.header("x-goog-api-key").is_none() {
        return Out::Json(
            403,
            error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers",
            ),
        );
    }
    let path = req.path();
    let model = path
        .rsplit_once("models/")
        .and_then(|(_, rest)| rest.split(':').next())
        .unwrap_or("gemini-mock");
    let Some(contents) = body["contents"].as_array() else {
        return Out::Json(
            400,
            error(
                400,
                "INVALID_ARGUMENT",
                "* contents: contents is not specified",
            ),
        );
    };
    let config = &body["generationConfig"];
    let (pieces, _) = stopped(pieces(state, answer), &stops(&config["stopSequences"]));
    let (pieces, cut_short) = limited(pieces, config["maxOutputTokens"].as_u64());
    let reason = if cut_short { "MAX_TOKENS" } else { "STOP" };
    let text = pieces.concat();
    let prompt = (words_in(&body["systemInstruction"]["parts"])
        + contents
            .iter()
            .map(|c| words_in(&c["parts"]))
            .sum::<usize>())
    .max(1);
    let output = text.split_whitespace().count();
    let mut usage = json!({"promptTokenCount": prompt, "candidatesTokenCount": output,
        "totalTokenCount": prompt + output});
    if answer.cached > 0 {
        usage["cachedContentTokenCount"] = json!(answer.cached.min(prompt));
    }
    let declarations: Vec<&Value> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["functionDeclarations"].as_array())
        .flatten()
        .collect();
    let calling = &body["toolConfig"]["functionCallingConfig"];
    let call = (!declarations.is_empty() && calling["mode"] != "NONE").then(|| {
        let name = calling["allowedFunctionNames"][0]
            .as_str()
            .or_else(|| declarations[0]["name"].as_str())
            .unwrap_or("tool");
        json!({"functionCall": {"name": name, "args": {"from": text}}})
    });
    let json_mode = config["responseMimeType"] == "application/json";
    let thoughts = config["thinkingConfig"]["includeThoughts"] == true;
    let thought = json!({"text": "mock thoughts", "thought": true});
    let n = state
        .next_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let chunk = |parts: Vec<Value>, finish: bool, usage: &Value| {
        let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
        if finish {
            candidate["finishReason"] = json!(reason);
        }
        json!({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model,
               "responseId": format!("mock-resp-{n}")})
    };

    let full_parts = || {
        let mut parts = Vec::new();
        if thoughts {
            parts.push(thought.clone());
        }
        match &call {
            Some(c) => parts.push(c.clone()),
            None if json_mode => parts.push(json!({"text": json!({"from": text}).to_string()})),
            None => parts.push(json!({ "text": text })),
        }
        parts
    };
    if !path.ends_with(":streamGenerateContent") {
        return Out::Json(200, chunk(full_parts(), true, &usage));
    }
    let partial_usage = json!({"promptTokenCount": prompt, "totalTokenCount": prompt});
    let mut chunks: Vec<Value> = Vec::new();
    if thoughts {
        chunks.push(chunk(vec![thought.clone()], false, &partial_usage));
    }
    match &call {
        Some(c) => chunks.push(chunk(vec![c.clone()], answer.finish, &usage)),
        None => {
            let pieces: Vec<String> = if json_mode {
                vec![json!({"from": text}).to_string()]
            } else {
                pieces
            };
            let last = pieces.len().saturating_sub(1);
            for (i, p) in pieces.iter().enumerate() {
                let done = i == last && answer.finish;
                let u = if done { &usage } else { &partial_usage };
                chunks.push(chunk(vec![json!({ "text": p })], done, u));
            }
        }
    }
    if !req.uri.contains("alt=sse") {
        return Out::Json(200, Value::Array(chunks));
    }
    Out::Native(chunks.into_iter().map(Event::Json).collect())
}
