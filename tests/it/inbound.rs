//! Anthropic (`/v1/messages`) and Gemini (`/v1beta/models/...`) clients through the real
//! binary, each against every upstream kind of the mock: answers, event streams, tool round
//! trips, usage (estimated when the upstream reports none), errors in the client's shape.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::gateway::{admin, route, start, Gw, Res};
use crate::upstream_kinds::native_provider;
use crate::util::mock_upstream::{MockUpstream, Reply};

pub const KINDS: [&str; 3] = ["openai", "anthropic", "gemini"];

/// One mock per upstream kind; model `m-{kind}` routes to it.
pub struct Upstreams {
    pub mocks: Vec<MockUpstream>,
    pub gw: Gw,
}

pub fn every_kind(env: &[(&str, &str)]) -> Upstreams {
    let mocks: Vec<MockUpstream> = KINDS
        .iter()
        .map(|k| MockUpstream::start_named(k, &[]))
        .collect();
    let providers: Vec<Value> = KINDS
        .iter()
        .zip(&mocks)
        .map(|(k, m)| {
            let base = if *k == "openai" { "/v1" } else { "" };
            native_provider(k, k, m, base, &format!("key-{k}"))
        })
        .collect();
    let models: Vec<Value> = KINDS
        .iter()
        .map(|k| json!({"name": format!("m-{k}")}))
        .collect();
    let routes: Vec<Value> = KINDS
        .iter()
        .map(|k| route(&format!("m-{k}"), k, &format!("up-{k}")))
        .collect();
    let gw = start(
        json!({"providers": providers, "models": models, "routes": routes}),
        env,
    );
    Upstreams { mocks, gw }
}

impl Upstreams {
    pub fn mock(&self, kind: &str) -> &MockUpstream {
        &self.mocks[KINDS.iter().position(|k| *k == kind).unwrap()]
    }
}

impl Gw {
    pub fn messages(&self, body: &Value) -> Res {
        self.post_as(
            "/v1/messages",
            body,
            &[
                ("x-api-key", &self.key),
                ("anthropic-version", "2023-06-01"),
            ],
        )
    }

    pub fn gemini(&self, model: &str, method: &str, body: &Value) -> Res {
        let path = match method {
            "streamGenerateContent" => format!("/v1beta/models/{model}:{method}?alt=sse"),
            _ => format!("/v1beta/models/{model}:{method}"),
        };
        self.post_as(&path, body, &[("x-goog-api-key", &self.key)])
    }
}

/// `(event name, data)` of an Anthropic event stream.
pub fn anthropic_events(res: &Res) -> Vec<(String, Value)> {
    res.text
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = String::new();
            let mut data = Value::Null;
            for line in e.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).unwrap_or_else(|_| panic!("not JSON: {d}"));
                }
            }
            (name, data)
        })
        .collect()
}

/// The text of an Anthropic event stream, joined.
pub fn anthropic_text(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter_map(|(_, d)| d["delta"]["text"].as_str())
        .collect()
}

/// The data of a Gemini `alt=sse` stream.
pub fn gemini_chunks(res: &Res) -> Vec<Value> {
    res.text
        .split("\r\n\r\n")
        .filter_map(|e| e.trim().strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap_or_else(|_| panic!("not JSON: {d}")))
        .collect()
}

pub fn gemini_text(chunks: &[Value]) -> String {
    chunks
        .iter()
        .flat_map(|c| {
            c["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|p| p["thought"] != true)
        .filter_map(|p| p["text"].as_str().map(String::from))
        .collect()
}

fn messages_body(model: &str, extra: Value) -> Value {
    let mut b = json!({"model": model, "max_tokens": 64, "system": "be brief",
                       "messages": [{"role": "user", "content": "say hi"}]});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

fn gemini_body(extra: Value) -> Value {
    let mut b = json!({"systemInstruction": {"parts": [{"text": "be brief"}]},
                       "contents": [{"role": "user", "parts": [{"text": "say hi"}]}]});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[test]
fn anthropic_clients_get_messages_and_event_streams_from_every_upstream_kind() {
    let u = every_kind(&[]);
    for kind in KINDS {
        let model = format!("m-{kind}");
        let res = u.gw.messages(&messages_body(&model, json!({})));
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        let m = res.json();
        assert_eq!(m["type"], "message", "{kind}");
        assert_eq!(m["role"], "assistant");
        assert_eq!(
            m["content"][0],
            json!({"type": "text", "text": format!("hello from {kind}")}),
            "{kind}"
        );
        assert_eq!(m["stop_reason"], "end_turn", "{kind}");
        assert_eq!(m["usage"]["output_tokens"], 3, "{kind}");
        assert_eq!(
            m["usage"]["input_tokens"], 4,
            "{kind}: the mock counts words"
        );
        assert!(m["id"].as_str().unwrap().starts_with("msg_"));

        let res =
            u.gw.messages(&messages_body(&model, json!({"stream": true})));
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        assert!(res
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream"));
        let ev = anthropic_events(&res);
        let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.first(), Some(&"message_start"), "{kind}: {names:?}");
        assert_eq!(
            &names[names.len() - 2..],
            ["message_delta", "message_stop"],
            "{kind}"
        );
        assert!(names.contains(&"content_block_start") && names.contains(&"content_block_stop"));
        assert_eq!(anthropic_text(&ev), format!("hello from {kind}"), "{kind}");
        let delta = &ev[ev.len() - 2].1;
        assert_eq!(delta["delta"]["stop_reason"], "end_turn", "{kind}");
        assert_eq!(delta["usage"]["output_tokens"], 3, "{kind}: {delta}");
        assert_eq!(delta["usage"]["input_tokens"], 4, "{kind}: {delta}");
    }
    // `anthropic-beta` goes on to an Anthropic upstream, and nowhere else.
    for model in ["m-anthropic", "m-openai"] {
        let res = u.gw.post_as(
            "/v1/messages",
            &messages_body(model, json!({})),
            &[
                ("x-api-key", &u.gw.key),
                ("anthropic-beta", "context-1m-2025-08-07"),
            ],
        );
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let claude = u.mock("anthropic").seen();
    assert_eq!(
        claude.last().unwrap().header("anthropic-beta"),
        Some("context-1m-2025-08-07")
    );
    let oai = u.mock("openai").seen();
    assert!(oai.last().unwrap().json().get("anthropic_beta").is_none());
    assert_eq!(oai.last().unwrap().header("anthropic-beta"), None);
    // What each upstream received.
    let sent = u.mock("openai").seen()[0].json();
    assert_eq!(
        sent["messages"],
        json!([{"role": "system", "content": "be brief"},
                                        {"role": "user", "content": "say hi"}])
    );
    assert_eq!(sent["max_tokens"], 64);
    let sent = u.mock("anthropic").seen()[0].json();
    assert_eq!(
        sent["system"],
        json!([{"type": "text", "text": "be brief"}])
    );
    assert_eq!(sent["max_tokens"], 64);
    let sent = u.mock("gemini").seen()[0].json();
    assert_eq!(
        sent["systemInstruction"],
        json!({"parts": [{"text": "be brief"}]})
    );
}

#[test]
fn anthropic_tool_use_round_trips_through_every_upstream_kind_plain_and_streamed() {
    let u = every_kind(&[]);
    let tools = json!([{"name": "get_weather", "description": "Weather in a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]);
    for kind in KINDS {
        let model = format!("m-{kind}");
        let res =
            u.gw.messages(&messages_body(&model, json!({"tools": tools})));
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        let m = res.json();
        assert_eq!(m["stop_reason"], "tool_use", "{kind}: {m}");
        let call = m["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "tool_use")
            .unwrap()
            .clone();
        assert_eq!(call["name"], "get_weather");
        assert_eq!(
            call["input"],
            json!({"from": format!("hello from {kind}")}),
            "{kind}"
        );
        let id = call["id"].as_str().unwrap().to_string();

        let before = u.mock(kind).seen().len();
        let res = u.gw.messages(&json!({"model": model, "max_tokens": 64, "tools": tools,
            "tool_choice": {"type": "none"}, "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": m["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": "sunny"}]}]}));
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        assert_eq!(res.json()["stop_reason"], "end_turn", "{kind}");
        let sent = u.mock(kind).seen()[before].json();
        match kind {
            "openai" => assert_eq!(
                sent["messages"][2],
                json!({"role": "tool", "tool_call_id": id, "content": "sunny"})
            ),
            "anthropic" => assert_eq!(
                sent["messages"][2]["content"][0],
                json!({"type": "tool_result", "tool_use_id": id, "content": "sunny"})
            ),
            _ => assert_eq!(
                sent["contents"][2]["parts"][0]["functionResponse"],
                json!({"name": "get_weather", "response": {"result": "sunny"}})
            ),
        }

        let res = u.gw.messages(&messages_body(
            &model,
            json!({"tools": tools, "stream": true}),
        ));
        let ev = anthropic_events(&res);
        let start = ev
            .iter()
            .find(|(_, d)| d["content_block"]["type"] == "tool_use")
            .unwrap_or_else(|| panic!("{kind}: {}", res.text));
        let index = &start.1["index"];
        let args: String = ev
            .iter()
            .filter(|(_, d)| &d["index"] == index)
            .filter_map(|(_, d)| d["delta"]["partial_json"].as_str())
            .collect();
        assert_eq!(
            serde_json::from_str::<Value>(&args).unwrap(),
            json!({"from": format!("hello from {kind}")}),
            "{kind}"
        );
        assert_eq!(
            ev[ev.len() - 2].1["delta"]["stop_reason"],
            "tool_use",
            "{kind}"
        );
    }
}

#[test]
fn anthropic_errors_come_in_anthropics_shape_and_status() {
    let u = every_kind(&[]);
    let res = u.gw.post_as(
        "/v1/messages",
        &messages_body("m-openai", json!({})),
        &[("x-api-key", "sk-wrong")],
    );
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["type"], "error");
    assert_eq!(res.json()["error"]["type"], "authentication_error");
    let res = u.gw.messages(&messages_body("nope", json!({})));
    assert_eq!(
        (res.status, res.json()["error"]["type"].clone()),
        (404, json!("not_found_error"))
    );
    let res =
        u.gw.messages(&json!({"model": "m-openai", "max_tokens": 5}));
    assert_eq!(
        (res.status, res.json()["error"]["type"].clone()),
        (400, json!("invalid_request_error"))
    );

    u.mock("gemini")
        .push(Reply::gemini_error(400, "INVALID_ARGUMENT", "bad contents"));
    let res = u.gw.messages(&messages_body("m-gemini", json!({})));
    assert_eq!(res.status, 400, "{}", res.text);
    assert_eq!(
        res.json()["error"],
        json!({"type": "invalid_request_error", "message": "bad contents"})
    );

    // Mid-stream failure: Anthropic's error event, no message_stop.
    u.mock("openai")
        .push(Reply::text("one two three four").cut_after(3));
    let res =
        u.gw.messages(&messages_body("m-openai", json!({"stream": true})));
    assert_eq!(res.status, 200);
    let ev = anthropic_events(&res);
    let (name, data) = ev.last().unwrap();
    assert_eq!(name, "error", "{}", res.text);
    assert_eq!(data["type"], "error");
    assert!(!res.text.contains("message_stop"));
    // Last: the key rests after this.
    u.mock("openai").push_n(4, Reply::rate_limited(1));
    let res = u.gw.messages(&messages_body("m-openai", json!({})));
    assert_eq!(
        (res.status, res.json()["error"]["type"].clone()),
        (429, json!("rate_limit_error"))
    );
}

#[test]
fn gemini_clients_get_answers_and_sse_streams_from_every_upstream_kind() {
    let u = every_kind(&[]);
    for kind in KINDS {
        let model = format!("m-{kind}");
        let res =
            u.gw.gemini(&model, "generateContent", &gemini_body(json!({})));
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        let v = res.json();
        let c = &v["candidates"][0];
        assert_eq!(c["content"]["role"], "model");
        assert_eq!(
            c["content"]["parts"][0]["text"],
            format!("hello from {kind}"),
            "{kind}"
        );
        assert_eq!(c["finishReason"], "STOP");
        assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 3, "{kind}");
        assert_eq!(v["usageMetadata"]["promptTokenCount"], 4, "{kind}");

        let res =
            u.gw.gemini(&model, "streamGenerateContent", &gemini_body(json!({})));
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        let chunks = gemini_chunks(&res);
        assert_eq!(
            gemini_text(&chunks),
            format!("hello from {kind}"),
            "{kind}: {}",
            res.text
        );
        let last = chunks.last().unwrap();
        assert_eq!(last["candidates"][0]["finishReason"], "STOP", "{kind}");
        assert_eq!(last["usageMetadata"]["candidatesTokenCount"], 3, "{kind}");
    }
    // `?key=` works as the client key too; the upstream key never appears in a URL.
    let res = u.gw.send_raw(
        &format!("/v1beta/models/m-gemini:generateContent?key={}", u.gw.key),
        gemini_body(json!({})).to_string().into_bytes(),
        &[],
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(u
        .mock("gemini")
        .seen()
        .iter()
        .all(|s| !s.uri.contains("key=")));
    let sent = u.mock("openai").seen()[0].json();
    assert_eq!(
        sent["messages"][1],
        json!({"role": "user", "content": [{"type": "text", "text": "say hi"}]})
    );
}

#[test]
fn gemini_function_calls_round_trip_and_errors_come_in_geminis_shape() {
    let u = every_kind(&[]);
    let tools = json!([{"functionDeclarations": [{"name": "get_weather",
        "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}]);
    for kind in KINDS {
        let model = format!("m-{kind}");
        let res = u.gw.gemini(
            &model,
            "generateContent",
            &gemini_body(json!({"tools": tools})),
        );
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        let parts = res.json()["candidates"][0]["content"]["parts"].clone();
        let call = parts
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p.get("functionCall").is_some())
            .unwrap_or_else(|| panic!("{kind}: {parts}"))
            .clone();
        assert_eq!(call["functionCall"]["name"], "get_weather");
        assert_eq!(
            call["functionCall"]["args"],
            json!({"from": format!("hello from {kind}")})
        );
        let before = u.mock(kind).seen().len();
        let res = u.gw.gemini(
            &model,
            "generateContent",
            &json!({"tools": tools,
            "toolConfig": {"functionCallingConfig": {"mode": "NONE"}},
            "contents": [{"role": "user", "parts": [{"text": "weather?"}]},
                         {"role": "model", "parts": [call]},
                         {"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
                             "response": {"temp": 20}}}]}]}),
        );
        assert_eq!(res.status, 200, "{kind}: {}", res.text);
        let sent = u.mock(kind).seen()[before].json();
        match kind {
            "openai" => assert_eq!(sent["messages"][2]["content"], "{\"temp\":20}"),
            "anthropic" => assert_eq!(
                sent["messages"][2]["content"][0]["content"],
                "{\"temp\":20}"
            ),
            _ => assert_eq!(
                sent["contents"][2]["parts"][0]["functionResponse"]["response"],
                json!({"temp": 20})
            ),
        }
        let res = u.gw.gemini(
            &model,
            "streamGenerateContent",
            &gemini_body(json!({"tools": tools})),
        );
        let chunks = gemini_chunks(&res);
        let last = chunks.last().unwrap();
        assert_eq!(
            last["candidates"][0]["content"]["parts"][0]["functionCall"]["args"],
            json!({"from": format!("hello from {kind}")}),
            "{kind}: {}",
            res.text
        );
    }
    let res = u.gw.post_as(
        "/v1beta/models/m-openai:generateContent",
        &gemini_body(json!({})),
        &[("x-goog-api-key", "wrong")],
    );
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["error"]["status"], "UNAUTHENTICATED");
    let res =
        u.gw.gemini("nope", "generateContent", &gemini_body(json!({})));
    assert_eq!(
        (res.status, res.json()["error"]["status"].clone()),
        (404, json!("NOT_FOUND"))
    );
    u.mock("anthropic").push(Reply::anthropic_error(
        400,
        "invalid_request_error",
        "bad thing",
    ));
    let res =
        u.gw.gemini("m-anthropic", "generateContent", &gemini_body(json!({})));
    assert_eq!(res.status, 400);
    assert_eq!(
        res.json()["error"],
        json!({"code": 400, "message": "bad thing", "status": "INVALID_ARGUMENT"})
    );
    u.mock("anthropic").push(Reply::ok().no_finish().no_done());
    let res = u.gw.gemini(
        "m-anthropic",
        "streamGenerateContent",
        &gemini_body(json!({})),
    );
    assert_eq!(
        gemini_chunks(&res).last().unwrap()["error"]["status"],
        "UNAVAILABLE",
        "{}",
        res.text
    );
    let models = u.gw.get("/v1beta/models", Some(&u.gw.key)).json();
    assert_eq!(models["models"].as_array().unwrap().len(), 3, "{models}");
}

#[test]
fn token_counts_and_missing_usage_are_estimated_with_a_real_tokenizer() {
    let u = every_kind(&[("LLMO_REQUEST_LOG__FLUSH_INTERVAL", "100ms")]);
    let res = u.gw.post_as(
        "/v1/messages/count_tokens",
        &json!({"model": "m-openai", "messages": [{"role": "user", "content": "hello world"}]}),
        &[("x-api-key", &u.gw.key)],
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["input_tokens"], 2 + 3 + 3);
    let res = u.gw.gemini(
        "m-gemini",
        "countTokens",
        &json!({"contents": [{"role": "user", "parts": [{"text": "hello world"}]}]}),
    );
    assert_eq!(res.json()["totalTokens"], 8, "{}", res.text);

    // An OpenAI upstream that reports no usage: an Anthropic client still gets counts.
    u.mock("openai").push(Reply::text("hello world").no_usage());
    let res = u.gw.messages(&json!({"model": "m-openai", "max_tokens": 9,
        "messages": [{"role": "user", "content": "hello world"}]}));
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["usage"]["input_tokens"], 8);
    assert_eq!(res.json()["usage"]["output_tokens"], 2);
    // ...and the request record says the counts are estimated.
    let t = Instant::now();
    loop {
        let (_, page) = admin(&u.gw.srv, "GET", "/admin/logs?limit=50", None);
        let rows = page["data"].as_array().cloned().unwrap_or_default();
        if let Some(r) = rows
            .iter()
            .find(|r| r["protocol"] == "anthropic" && r["endpoint"] == "/v1/messages")
        {
            assert_eq!(r["tokens_estimated"], true, "{r}");
            assert_eq!(r["completion_tokens"], 2, "{r}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no record: {page}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
