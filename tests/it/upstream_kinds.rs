//! OpenAI clients in front of every upstream kind, through the real binary against the mock
//! speaking each protocol: what goes over the wire (URL, auth headers, translated body) and
//! what comes back (answers, streams, tool calls, usage, errors) in OpenAI's shape.

use serde_json::{json, Value};

use crate::gateway::{route, start, Gw, Res};
use crate::util::mock_upstream::{MockUpstream, Reply};

/// A provider of `kind` on `mock` (base URL `mock` + `base_path`) with one key.
pub fn native_provider(
    name: &str,
    kind: &str,
    mock: &MockUpstream,
    base_path: &str,
    key: &str,
) -> Value {
    json!({"name": name, "kind": kind, "base_url": mock.url(base_path),
           "keys": [{"label": "k0", "key": key}]})
}

/// One model `m` served by one provider of `kind`.
fn single(kind: &str, mock: &MockUpstream, base_path: &str) -> Gw {
    let mut r = route("m", "p", "up-m");
    r["max_tokens_default"] = json!(321);
    start(
        json!({"providers": [native_provider("p", kind, mock, base_path, "sk-native")],
               "models": [{"name": "m"}], "routes": [r]}),
        &[],
    )
}

fn chat_body(extra: Value) -> Value {
    let mut b = json!({"model": "m", "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "say hi"}]});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

/// The chunks of a stream (without `[DONE]`), parsed.
pub fn chunks(res: &Res) -> Vec<Value> {
    res.events()
        .iter()
        .filter(|e| *e != "[DONE]")
        .map(|e| serde_json::from_str(e).unwrap_or_else(|_| panic!("not JSON: {e}")))
        .collect()
}

fn streamed_text(res: &Res) -> String {
    chunks(res)
        .iter()
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

const WEATHER: &str = r#"[{"type": "function", "function": {"name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]"#;

fn weather() -> Value {
    serde_json::from_str(WEATHER).unwrap()
}

/// Reassembles streamed tool calls: (id, name, arguments) per index.
pub fn streamed_calls(res: &Res) -> Vec<(String, String, String)> {
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for c in chunks(res) {
        for tc in c["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = tc["index"].as_u64().unwrap() as usize;
            if calls.len() <= i {
                calls.resize(i + 1, Default::default());
            }
            if let Some(id) = tc["id"].as_str() {
                calls[i].0 = id.into();
            }
            if let Some(n) = tc["function"]["name"].as_str() {
                calls[i].1 = n.into();
            }
            if let Some(a) = tc["function"]["arguments"].as_str() {
                calls[i].2.push_str(a);
            }
        }
    }
    calls
}

#[test]
fn an_anthropic_upstream_gets_a_messages_request_and_answers_in_openais_shape() {
    let up = MockUpstream::start_named("claude", &[]);
    let gw = single("anthropic", &up, "/v1");
    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"stop": ["zzz"], "top_k": 3})),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let seen = &up.seen()[0];
    assert_eq!(seen.path(), "/v1/messages");
    assert_eq!(seen.header("x-api-key"), Some("sk-native"));
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(seen.header("authorization"), None);
    let sent = seen.json();
    assert_eq!(sent["model"], "up-m");
    assert_eq!(
        sent["system"],
        json!([{"type": "text", "text": "be brief"}])
    );
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "say hi"}]}])
    );
    assert_eq!(sent["max_tokens"], 321, "the route's default");
    assert_eq!(sent["stop_sequences"], json!(["zzz"]));
    assert_eq!(sent["top_k"], 3);

    let v = res.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "up-m");
    assert_eq!(v["choices"][0]["message"]["content"], "hello from claude");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["prompt_tokens"], 4);
    assert_eq!(v["usage"]["completion_tokens"], 3);

    // Streamed: a role chunk, the text, the finish reason, usage only when asked, [DONE].
    let res = gw.post("/v1/chat/completions", &chat_body(json!({"stream": true})));
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(streamed_text(&res), "hello from claude");
    assert_eq!(res.events().last().map(String::as_str), Some("[DONE]"));
    assert!(!res.text.contains("\"usage\""), "{}", res.text);
    assert_eq!(chunks(&res)[0]["choices"][0]["delta"]["role"], "assistant");
    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"stream": true, "stream_options": {"include_usage": true}})),
    );
    let last = chunks(&res).pop().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["completion_tokens"], 3);
    assert!(up.seen()[2].json().get("stream_options").is_none());
}

#[test]
fn anthropic_tool_calls_round_trip_plain_and_streamed_with_cache_usage() {
    let up = MockUpstream::start_named("claude", &[]);
    // A base URL without /v1 works too.
    let gw = single("anthropic", &up, "");
    up.push(Reply::text("Paris").cached(2));
    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"tools": weather()})),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(up.seen()[0].path(), "/v1/messages");
    let v = res.json();
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], r#"{"from":"Paris"}"#);
    assert!(call["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 2);
    assert_eq!(
        up.seen()[0].json()["tools"][0]["input_schema"]["properties"]["city"]["type"],
        "string"
    );

    // The tool result goes back as a tool_result block in a user turn.
    let id = call["id"].as_str().unwrap();
    let msg = v["choices"][0]["message"].clone();
    let res = gw.post(
        "/v1/chat/completions",
        &json!({"model": "m", "tools": weather(),
        "tool_choice": "none", "messages": [
        {"role": "user", "content": "weather in Paris?"}, msg,
        {"role": "tool", "tool_call_id": id, "content": "sunny"}]}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let sent = up.seen()[1].json();
    assert_eq!(sent["messages"][1]["content"][1]["type"], "tool_use");
    assert_eq!(sent["messages"][1]["content"][1]["id"], id);
    assert_eq!(
        sent["messages"][1]["content"][1]["input"],
        json!({"from": "Paris"})
    );
    assert_eq!(
        sent["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": id, "content": "sunny"})
    );
    assert_eq!(sent["tool_choice"], json!({"type": "none"}));

    // Streamed: the call at index 0 although it is Anthropic's second block, arguments whole.
    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"tools": weather(), "stream": true})),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let calls = streamed_calls(&res);
    assert_eq!(calls.len(), 1, "{}", res.text);
    assert_eq!(calls[0].1, "get_weather");
    assert!(calls[0].0.starts_with("toolu_"));
    assert_eq!(
        serde_json::from_str::<Value>(&calls[0].2).unwrap(),
        json!({"from": "hello from claude"})
    );
    let finishes: Vec<Value> = chunks(&res)
        .iter()
        .map(|c| c["choices"][0]["finish_reason"].clone())
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finishes, vec![json!("tool_calls")]);
}

#[test]
fn anthropic_errors_come_back_with_their_status_and_reason_and_overload_fails_over() {
    let a = MockUpstream::start_named("claude", &[]);
    let b = MockUpstream::start_named("backup", &[]);
    let mut fallback = route("m", "b", "up-b");
    fallback["priority"] = json!(1);
    let gw = start(
        json!({"providers": [native_provider("a", "anthropic", &a, "", "ka"),
                             native_provider("b", "openai", &b, "/v1", "kb")],
               "models": [{"name": "m"}], "routes": [route("m", "a", "up-a"), fallback]}),
        &[],
    );
    a.push(Reply::anthropic_error(
        400,
        "invalid_request_error",
        "messages: roles must alternate",
    ));
    let res = gw.post("/v1/chat/completions", &chat_body(json!({})));
    assert_eq!(res.status, 400, "{}", res.text);
    let err = &res.json()["error"];
    assert_eq!(err["message"], "messages: roles must alternate");
    assert_eq!(err["code"], "invalid_request_error");
    assert!(b.seen().is_empty());

    a.push(Reply::anthropic_error(
        529,
        "overloaded_error",
        "Overloaded",
    ));
    let res = gw.post("/v1/chat/completions", &chat_body(json!({})));
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("x-llmo-provider"), Some("b"));

    // An error event mid-stream ends the client's stream with an error event, no [DONE].
    a.push(Reply::ok().raw_at(
        4,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    ));
    let res = gw.post("/v1/chat/completions", &chat_body(json!({"stream": true})));
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(!res.text.contains("[DONE]"), "{}", res.text);
    let last = chunks(&res).pop().unwrap();
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Overloaded"),
        "{last}"
    );

    // A cut before the stop reason is an error too.
    a.push(Reply::ok().no_finish().no_done());
    let res = gw.post("/v1/chat/completions", &chat_body(json!({"stream": true})));
    assert!(!res.text.contains("[DONE]"), "{}", res.text);
    assert_eq!(chunks(&res).pop().unwrap()["error"]["code"], "stream_reset");

    // What Anthropic cannot express is a 400 naming the field when no route can take it...
    let only_a = start(
        json!({"providers": [native_provider("a", "anthropic", &a, "", "ka")],
               "models": [{"name": "m"}], "routes": [route("m", "a", "up-a")]}),
        &[],
    );
    let before = a.seen().len();
    let res = only_a.post("/v1/chat/completions", &chat_body(json!({"n": 2})));
    assert_eq!(res.status, 400, "{}", res.text);
    assert_eq!(res.json()["error"]["param"], "n");
    assert_eq!(res.json()["error"]["code"], "unsupported_by_upstream");
    assert_eq!(a.seen().len(), before, "nothing was sent");
    // ...and goes to a route that can when there is one.
    let res = gw.post("/v1/chat/completions", &chat_body(json!({"n": 2})));
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("x-llmo-provider"), Some("b"));
}

#[test]
fn a_gemini_upstream_gets_generate_content_with_the_key_in_a_header() {
    let up = MockUpstream::start_named("gemini", &[]);
    let gw = single("gemini", &up, "");
    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"temperature": 0.5, "max_tokens": 40, "stop": "zzz"})),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let seen = &up.seen()[0];
    assert_eq!(
        seen.uri, "/v1beta/models/up-m:generateContent",
        "no key in the URL"
    );
    assert_eq!(seen.header("x-goog-api-key"), Some("sk-native"));
    let sent = seen.json();
    assert_eq!(
        sent["systemInstruction"],
        json!({"parts": [{"text": "be brief"}]})
    );
    assert_eq!(
        sent["contents"],
        json!([{"role": "user", "parts": [{"text": "say hi"}]}])
    );
    assert_eq!(
        sent["generationConfig"],
        json!({"temperature": 0.5, "maxOutputTokens": 40, "stopSequences": ["zzz"]})
    );
    let v = res.json();
    assert_eq!(v["choices"][0]["message"]["content"], "hello from gemini");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["model"], "up-m");
    assert_eq!(v["usage"]["prompt_tokens"], 4);
    assert_eq!(v["usage"]["completion_tokens"], 3);
    // The route's max_tokens_default when the client sends none.
    gw.post("/v1/chat/completions", &chat_body(json!({})));
    assert_eq!(
        up.seen()[1].json()["generationConfig"]["maxOutputTokens"],
        321
    );

    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"stream": true, "stream_options": {"include_usage": true}})),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        up.seen()[2].uri,
        "/v1beta/models/up-m:streamGenerateContent?alt=sse"
    );
    assert_eq!(streamed_text(&res), "hello from gemini");
    assert_eq!(res.events().last().map(String::as_str), Some("[DONE]"));
    let last = chunks(&res).pop().unwrap();
    assert_eq!(last["usage"]["completion_tokens"], 3);
}

#[test]
fn gemini_function_calls_round_trip_and_errors_map_to_openais_statuses() {
    let up = MockUpstream::start_named("gemini", &[]);
    let gw = single("gemini", &up, "/v1beta");
    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"tools": weather()})),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(up.seen()[0].path(), "/v1beta/models/up-m:generateContent");
    let v = res.json();
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    let id = call["id"].as_str().unwrap();
    let res = gw.post(
        "/v1/chat/completions",
        &json!({"model": "m", "tools": weather(),
        "messages": [{"role": "user", "content": "weather?"}, v["choices"][0]["message"].clone(),
                     {"role": "tool", "tool_call_id": id, "content": "{\"temp\": 21}"}]}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let sent = up.seen()[1].json();
    assert_eq!(
        sent["contents"][1]["parts"][0]["functionCall"]["name"],
        "get_weather"
    );
    assert_eq!(
        sent["contents"][2],
        json!({"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
               "response": {"temp": 21}}}]})
    );

    let res = gw.post(
        "/v1/chat/completions",
        &chat_body(json!({"tools": weather(), "stream": true})),
    );
    let calls = streamed_calls(&res);
    assert_eq!(calls.len(), 1, "{}", res.text);
    assert_eq!(
        serde_json::from_str::<Value>(&calls[0].2).unwrap(),
        json!({"from": "hello from gemini"})
    );

    up.push(Reply::gemini_error(
        400,
        "INVALID_ARGUMENT",
        "Invalid value at contents",
    ));
    let res = gw.post("/v1/chat/completions", &chat_body(json!({})));
    assert_eq!(res.status, 400, "{}", res.text);
    assert_eq!(res.json()["error"]["message"], "Invalid value at contents");
    assert_eq!(res.json()["error"]["code"], "INVALID_ARGUMENT");
    up.push(Reply::gemini_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded",
    ));
    up.push(Reply::gemini_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded",
    ));
    up.push(Reply::gemini_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded",
    ));
    up.push(Reply::gemini_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded",
    ));
    let res = gw.post("/v1/chat/completions", &chat_body(json!({})));
    assert_eq!(res.status, 429, "{}", res.text);
}

#[test]
fn an_azure_upstream_gets_deployment_urls_and_an_api_key_header() {
    let up = MockUpstream::start_named("azure", &[]);
    let gw = start(
        json!({"providers": [native_provider("p", "azure_openai", &up,
                   "?api-version=2025-01-01-preview", "az-key")],
               "models": [{"name": "m"}], "routes": [route("m", "p", "gpt4o-deploy")]}),
        &[],
    );
    let res = gw.post("/v1/chat/completions", &chat_body(json!({})));
    assert_eq!(res.status, 200, "{}", res.text);
    let res = gw.post("/v1/embeddings", &json!({"model": "m", "input": "x"}));
    assert_eq!(res.status, 200, "{}", res.text);
    let seen = up.seen();
    assert_eq!(
        seen[0].uri,
        "/openai/deployments/gpt4o-deploy/chat/completions?api-version=2025-01-01-preview"
    );
    assert_eq!(seen[0].header("api-key"), Some("az-key"));
    assert_eq!(seen[0].header("authorization"), None);
    assert_eq!(
        seen[1].uri,
        "/openai/deployments/gpt4o-deploy/embeddings?api-version=2025-01-01-preview"
    );
    assert_eq!(res.json()["data"].as_array().unwrap().len(), 1);
}

#[test]
fn embeddings_and_completions_never_go_to_chat_only_protocols() {
    let claude = MockUpstream::start_named("claude", &[]);
    let oai = MockUpstream::start_named("oai", &[]);
    let gw = start(
        json!({"providers": [native_provider("a", "anthropic", &claude, "", "k"),
                             native_provider("o", "openai", &oai, "/v1", "k")],
               "models": [{"name": "m"}, {"name": "claude-only"}],
               "routes": [route("m", "a", "up-a"), route("m", "o", "up-o"),
                          route("claude-only", "a", "up-a")]}),
        &[],
    );
    for _ in 0..4 {
        let res = gw.post("/v1/embeddings", &json!({"model": "m", "input": "x"}));
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.header("x-llmo-provider"), Some("o"));
    }
    let res = gw.post(
        "/v1/completions",
        &json!({"model": "claude-only", "prompt": "x"}),
    );
    assert_eq!(res.status, 503, "{}", res.text);
    assert!(claude.seen().is_empty());
}
