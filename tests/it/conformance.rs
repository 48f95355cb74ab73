//! The protocol conformance suite: every inbound protocol (OpenAI, Anthropic, Gemini) against
//! every upstream kind (OpenAI, Azure OpenAI, Anthropic, Gemini) of the mock, the same cases
//! for each pair — plain text, streaming, tools with a tool-result round trip (plain and
//! streamed), image input, JSON schema, stop sequences, finish reasons, usage, and upstream
//! errors mapped to the client's protocol and status.
//!
//! Each client protocol is driven through a small adapter ([`Client`]) that builds its
//! requests and reads its answers (full or streamed) into one neutral [`Got`], so the cases
//! are written once.

use serde_json::{json, Value};

use crate::gateway::{route, start, Gw, Res};
use crate::inbound::{anthropic_events, gemini_chunks};
use crate::upstream_kinds::{chunks, native_provider};
use crate::util::mock_upstream::{MockUpstream, Reply};

const UPSTREAMS: [&str; 4] = ["openai", "azure_openai", "anthropic", "gemini"];
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Client {
    OpenAi,
    Anthropic,
    Gemini,
}

/// What a case asks.
#[derive(Default, Clone)]
struct Ask {
    stream: bool,
    tools: bool,
    image: bool,
    json_schema: bool,
    stop: Option<&'static str>,
    max_tokens: Option<u64>,
    /// Continue after a tool call: (the assistant turn as the client got it, call id, name).
    tool_result: Option<(Value, String, String)>,
}

/// An answer, read the same way whatever the protocol.
#[derive(Debug, Default)]
struct Got {
    status: u16,
    text: String,
    /// OpenAI's names: stop, length, tool_calls, content_filter.
    finish: String,
    /// (id, name, arguments)
    calls: Vec<(String, String, Value)>,
    prompt_tokens: u64,
    completion_tokens: u64,
    /// The assistant turn as the client would send it back.
    turn: Value,
    /// An error's message.
    error: String,
    raw: String,
}

fn weather_tool(c: Client) -> Value {
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}});
    match c {
        Client::OpenAi => json!([{"type": "function", "function": {"name": "get_weather",
            "description": "Weather in a city", "parameters": schema}}]),
        Client::Anthropic => json!([{"name": "get_weather", "description": "Weather in a city",
            "input_schema": schema}]),
        Client::Gemini => json!([{"functionDeclarations": [{"name": "get_weather",
            "description": "Weather in a city", "parametersJsonSchema": schema}]}]),
    }
}

/// The request body and path for `ask` in the client's protocol.
fn request(c: Client, model: &str, ask: &Ask) -> (String, Value) {
    let schema = json!({"type": "object", "properties": {"from": {"type": "string"}}});
    match c {
        Client::OpenAi => {
            let mut user = json!([{"type": "text", "text": "say hi"}]);
            if ask.image {
                user.as_array_mut()
                    .unwrap()
                    .push(json!({"type": "image_url",
                    "image_url": {"url": format!("data:image/png;base64,{PNG}")}}));
            }
            let mut messages = vec![
                json!({"role": "system", "content": "be brief"}),
                json!({"role": "user", "content": user}),
            ];
            let mut b = json!({"model": model, "stream": ask.stream});
            if ask.stream {
                b["stream_options"] = json!({"include_usage": true});
            }
            if ask.tools || ask.tool_result.is_some() {
                b["tools"] = weather_tool(c);
            }
            if let Some((turn, id, _)) = &ask.tool_result {
                messages.push(turn.clone());
                messages.push(json!({"role": "tool", "tool_call_id": id, "content": "sunny"}));
                b["tool_choice"] = json!("none");
            }
            b["messages"] = messages.into();
            if ask.json_schema {
                b["response_format"] = json!({"type": "json_schema",
                    "json_schema": {"name": "answer", "schema": schema}});
            }
            if let Some(s) = ask.stop {
                b["stop"] = json!([s]);
            }
            if let Some(n) = ask.max_tokens {
                b["max_tokens"] = n.into();
            }
            ("/v1/chat/completions".into(), b)
        }
        Client::Anthropic => {
            let mut user = json!([{"type": "text", "text": "say hi"}]);
            if ask.image {
                user.as_array_mut()
                    .unwrap()
                    .push(json!({"type": "image", "source":
                    {"type": "base64", "media_type": "image/png", "data": PNG}}));
            }
            let mut messages = vec![json!({"role": "user", "content": user})];
            let mut b = json!({"model": model, "system": "be brief", "stream": ask.stream,
                               "max_tokens": ask.max_tokens.unwrap_or(64)});
            if ask.tools || ask.tool_result.is_some() {
                b["tools"] = weather_tool(c);
            }
            if let Some((turn, id, _)) = &ask.tool_result {
                messages.push(turn.clone());
                messages.push(json!({"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": id, "content": "sunny"}]}));
                b["tool_choice"] = json!({"type": "none"});
            }
            b["messages"] = messages.into();
            if let Some(s) = ask.stop {
                b["stop_sequences"] = json!([s]);
            }
            ("/v1/messages".into(), b)
        }
        Client::Gemini => {
            let mut parts = vec![json!({"text": "say hi"})];
            if ask.image {
                parts.push(json!({"inlineData": {"mimeType": "image/png", "data": PNG}}));
            }
            let mut contents = vec![json!({"role": "user", "parts": parts})];
            let mut b = json!({"systemInstruction": {"parts": [{"text": "be brief"}]}});
            if ask.tools || ask.tool_result.is_some() {
                b["tools"] = weather_tool(c);
            }
            if let Some((turn, _, name)) = &ask.tool_result {
                contents.push(turn.clone());
                contents.push(json!({"role": "user", "parts": [{"functionResponse":
                    {"name": name, "response": {"result": "sunny"}}}]}));
                b["toolConfig"] = json!({"functionCallingConfig": {"mode": "NONE"}});
            }
            b["contents"] = contents.into();
            let mut config = json!({});
            if ask.json_schema {
                config["responseMimeType"] = json!("application/json");
                config["responseJsonSchema"] = schema;
            }
            if let Some(s) = ask.stop {
                config["stopSequences"] = json!([s]);
            }
            if let Some(n) = ask.max_tokens {
                config["maxOutputTokens"] = n.into();
            }
            b["generationConfig"] = config;
            let path = if ask.stream {
                format!("/v1beta/models/{model}:streamGenerateContent?alt=sse")
            } else {
                format!("/v1beta/models/{model}:generateContent")
            };
            (path, b)
        }
    }
}

fn send(gw: &Gw, c: Client, model: &str, ask: &Ask) -> Got {
    let (path, body) = request(c, model, ask);
    let res = match c {
        Client::OpenAi => gw.post(&path, &body),
        Client::Anthropic => gw.post_as(&path, &body, &[("x-api-key", &gw.key)]),
        Client::Gemini => gw.post_as(&path, &body, &[("x-goog-api-key", &gw.key)]),
    };
    read(c, &res, ask.stream)
}

fn read(c: Client, res: &Res, stream: bool) -> Got {
    let mut g = Got {
        status: res.status,
        raw: res.text.clone(),
        ..Got::default()
    };
    if res.status != 200 {
        let v = res.json();
        g.error = match c {
            Client::Anthropic => {
                assert_eq!(v["type"], "error", "{v}");
                v["error"]["message"].as_str().unwrap_or("").into()
            }
            Client::Gemini => {
                assert_eq!(v["error"]["code"], res.status, "{v}");
                v["error"]["message"].as_str().unwrap_or("").into()
            }
            Client::OpenAi => v["error"]["message"].as_str().unwrap_or("").into(),
        };
        return g;
    }
    match (c, stream) {
        (Client::OpenAi, false) => {
            let v = res.json();
            let m = &v["choices"][0]["message"];
            g.text = m["content"].as_str().unwrap_or("").into();
            g.finish = v["choices"][0]["finish_reason"]
                .as_str()
                .unwrap_or("")
                .into();
            for call in m["tool_calls"].as_array().into_iter().flatten() {
                let args =
                    serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
                g.calls.push((
                    call["id"].as_str().unwrap().into(),
                    call["function"]["name"].as_str().unwrap().into(),
                    args,
                ));
            }
            g.prompt_tokens = v["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
            g.completion_tokens = v["usage"]["completion_tokens"].as_u64().unwrap_or(0);
            g.turn = m.clone();
        }
        (Client::OpenAi, true) => {
            assert_eq!(
                res.events().last().map(String::as_str),
                Some("[DONE]"),
                "{}",
                res.text
            );
            let calls = crate::upstream_kinds::streamed_calls(res);
            for ch in chunks(res) {
                let choice = &ch["choices"][0];
                g.text
                    .push_str(choice["delta"]["content"].as_str().unwrap_or(""));
                if let Some(f) = choice["finish_reason"].as_str() {
                    g.finish = f.into();
                }
                if ch["usage"].is_object() {
                    g.prompt_tokens = ch["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
                    g.completion_tokens = ch["usage"]["completion_tokens"].as_u64().unwrap_or(0);
                }
            }
            let mut tool_calls = Vec::new();
            for (id, name, args) in calls {
                tool_calls.push(json!({"id": id, "type": "function",
                    "function": {"name": name, "arguments": args}}));
                g.calls
                    .push((id, name, serde_json::from_str(&args).unwrap()));
            }
            g.turn = json!({"role": "assistant", "content": g.text, "tool_calls": tool_calls});
        }
        (Client::Anthropic, false) => {
            let v = res.json();
            read_anthropic_message(&v, &mut g);
        }
        (Client::Anthropic, true) => {
            // Rebuild the message from the event sequence, as the SDK does.
            let ev = anthropic_events(res);
            assert_eq!(
                ev.last().map(|(n, _)| n.as_str()),
                Some("message_stop"),
                "{}",
                res.text
            );
            let mut content: Vec<Value> = Vec::new();
            let mut message = Value::Null;
            let mut partial: Vec<String> = Vec::new();
            for (name, d) in &ev {
                match name.as_str() {
                    "message_start" => message = d["message"].clone(),
                    "content_block_start" => {
                        content.push(d["content_block"].clone());
                        partial.push(String::new());
                    }
                    "content_block_delta" => {
                        let i = d["index"].as_u64().unwrap() as usize;
                        match d["delta"]["type"].as_str().unwrap() {
                            "text_delta" => {
                                let t = content[i]["text"].as_str().unwrap_or("").to_string();
                                content[i]["text"] =
                                    json!(t + d["delta"]["text"].as_str().unwrap());
                            }
                            "input_json_delta" => {
                                partial[i].push_str(d["delta"]["partial_json"].as_str().unwrap())
                            }
                            _ => {}
                        }
                    }
                    "message_delta" => {
                        message["stop_reason"] = d["delta"]["stop_reason"].clone();
                        message["usage"] = d["usage"].clone();
                    }
                    _ => {}
                }
            }
            for (i, p) in partial.iter().enumerate() {
                if content[i]["type"] == "tool_use" && !p.is_empty() {
                    content[i]["input"] = serde_json::from_str(p).unwrap();
                }
            }
            message["content"] = content.into();
            read_anthropic_message(&message, &mut g);
        }
        (Client::Gemini, false) => {
            let v = res.json();
            read_gemini(&[v], &mut g);
        }
        (Client::Gemini, true) => {
            let chunks = gemini_chunks(res);
            read_gemini(&chunks, &mut g);
        }
    }
    g
}

fn read_anthropic_message(v: &Value, g: &mut Got) {
    assert_eq!(v["type"], "message", "{v}");
    for b in v["content"].as_array().into_iter().flatten() {
        match b["type"].as_str().unwrap() {
            "text" => g.text.push_str(b["text"].as_str().unwrap()),
            "tool_use" => g.calls.push((
                b["id"].as_str().unwrap().into(),
                b["name"].as_str().unwrap().into(),
                b["input"].clone(),
            )),
            _ => {}
        }
    }
    g.finish = match v["stop_reason"].as_str().unwrap() {
        "end_turn" | "stop_sequence" => "stop",
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        other => other,
    }
    .into();
    let u = &v["usage"];
    g.prompt_tokens = [
        "input_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ]
    .iter()
    .map(|k| u[*k].as_u64().unwrap_or(0))
    .sum();
    g.completion_tokens = u["output_tokens"].as_u64().unwrap_or(0);
    g.turn = json!({"role": "assistant", "content": v["content"]});
}

fn read_gemini(chunks: &[Value], g: &mut Got) {
    let mut parts = Vec::new();
    for ch in chunks {
        assert!(ch.get("error").is_none(), "{ch}");
        let c = &ch["candidates"][0];
        for p in c["content"]["parts"].as_array().into_iter().flatten() {
            if let Some(f) = p.get("functionCall") {
                g.calls.push((
                    f["id"].as_str().unwrap_or("").into(),
                    f["name"].as_str().unwrap().into(),
                    f["args"].clone(),
                ));
            } else if p["thought"] != true {
                g.text.push_str(p["text"].as_str().unwrap_or(""));
            }
            parts.push(p.clone());
        }
        if let Some(f) = c["finishReason"].as_str() {
            g.finish = f.into();
        }
        if let Some(u) = ch
            .get("usageMetadata")
            .filter(|u| u["candidatesTokenCount"].is_u64())
        {
            g.prompt_tokens = u["promptTokenCount"].as_u64().unwrap_or(0);
            g.completion_tokens = u["candidatesTokenCount"].as_u64().unwrap_or(0);
        }
    }
    g.finish = match g.finish.as_str() {
        "STOP" if !g.calls.is_empty() => "tool_calls",
        "STOP" => "stop",
        "MAX_TOKENS" => "length",
        "SAFETY" => "content_filter",
        other => other,
    }
    .into();
    g.turn = json!({"role": "model", "parts": parts});
}

/// An upstream's 400 in its own shape.
fn upstream_400(kind: &str, message: &str) -> Reply {
    match kind {
        "anthropic" => Reply::anthropic_error(400, "invalid_request_error", message),
        "gemini" => Reply::gemini_error(400, "INVALID_ARGUMENT", message),
        _ => Reply::error(400, "invalid_request_error", message),
    }
}

/// What the upstream received last, serialized.
fn last_sent(mock: &MockUpstream) -> String {
    String::from_utf8_lossy(&mock.seen().last().unwrap().body).into_owned()
}

fn run_suite(client: Client) {
    let mocks: Vec<MockUpstream> = UPSTREAMS
        .iter()
        .map(|k| MockUpstream::start_named(k, &[]))
        .collect();
    let providers: Vec<Value> = UPSTREAMS
        .iter()
        .zip(&mocks)
        .map(|(k, m)| native_provider(k, k, m, if *k == "openai" { "/v1" } else { "" }, "k"))
        .collect();
    let models: Vec<Value> = UPSTREAMS
        .iter()
        .map(|k| json!({"name": format!("m-{k}")}))
        .collect();
    let routes: Vec<Value> = UPSTREAMS
        .iter()
        .map(|k| route(&format!("m-{k}"), k, &format!("up-{k}")))
        .collect();
    let gw = start(
        json!({"providers": providers, "models": models, "routes": routes}),
        &[],
    );

    for (kind, mock) in UPSTREAMS.iter().zip(&mocks) {
        let model = format!("m-{kind}");
        let who = format!("{client:?} -> {kind}");
        let hello = format!("hello from {kind}");
        for stream in [false, true] {
            let who = format!("{who} (stream: {stream})");
            let base = Ask {
                stream,
                ..Ask::default()
            };

            // Plain text, finish reason and usage.
            let g = send(&gw, client, &model, &base);
            assert_eq!(g.status, 200, "{who}: {}", g.raw);
            assert_eq!(g.text, hello, "{who}");
            assert_eq!(g.finish, "stop", "{who}");
            assert!(
                g.prompt_tokens > 0 && g.completion_tokens == 3,
                "{who}: {g:?}"
            );

            // Image input reaches the upstream in its own form.
            let g = send(
                &gw,
                client,
                &model,
                &Ask {
                    image: true,
                    ..base.clone()
                },
            );
            assert_eq!(g.status, 200, "{who}: {}", g.raw);
            assert!(
                last_sent(mock).contains(PNG),
                "{who}: the image was not forwarded"
            );

            // Stop sequences cut the text; max tokens ends it with `length`.
            let g = send(
                &gw,
                client,
                &model,
                &Ask {
                    stop: Some(" from"),
                    ..base.clone()
                },
            );
            assert_eq!(
                (g.text.as_str(), g.finish.as_str()),
                ("hello", "stop"),
                "{who}: {}",
                g.raw
            );
            let g = send(
                &gw,
                client,
                &model,
                &Ask {
                    max_tokens: Some(1),
                    ..base.clone()
                },
            );
            assert_eq!(
                (g.text.as_str(), g.finish.as_str()),
                ("hello", "length"),
                "{who}: {}",
                g.raw
            );

            // JSON schema (Anthropic's Messages API has no JSON mode to ask with).
            if client != Client::Anthropic {
                let g = send(
                    &gw,
                    client,
                    &model,
                    &Ask {
                        json_schema: true,
                        ..base.clone()
                    },
                );
                assert_eq!(g.status, 200, "{who}: {}", g.raw);
                let v: Value = serde_json::from_str(&g.text)
                    .unwrap_or_else(|_| panic!("{who}: not JSON: {}", g.text));
                assert!(v.is_object(), "{who}: {v}");
                assert_eq!(g.finish, "stop", "{who}");
            }

            // Tools, then the tool result round trip.
            let g = send(
                &gw,
                client,
                &model,
                &Ask {
                    tools: true,
                    ..base.clone()
                },
            );
            assert_eq!(g.status, 200, "{who}: {}", g.raw);
            assert_eq!(g.finish, "tool_calls", "{who}: {}", g.raw);
            assert_eq!(g.calls.len(), 1, "{who}: {}", g.raw);
            let (id, name, args) = g.calls[0].clone();
            assert_eq!(name, "get_weather");
            assert_eq!(args, json!({"from": hello}), "{who}");
            let round = Ask {
                tool_result: Some((g.turn.clone(), id, name)),
                ..base.clone()
            };
            let g = send(&gw, client, &model, &round);
            assert_eq!(g.status, 200, "{who}: {}", g.raw);
            assert_eq!(
                (g.text.as_str(), g.finish.as_str()),
                (hello.as_str(), "stop"),
                "{who}"
            );
            let sent = last_sent(mock);
            assert!(
                sent.contains("sunny") && sent.contains("get_weather"),
                "{who}: {sent}"
            );
        }

        // Upstream errors come back in the client's shape with the upstream's status and reason.
        mock.push(upstream_400(kind, "the upstream refuses this"));
        let g = send(&gw, client, &model, &Ask::default());
        assert_eq!(
            (g.status, g.error.as_str()),
            (400, "the upstream refuses this"),
            "{who}: {}",
            g.raw
        );
        mock.push_n(4, Reply::status(500, json!({"error": {"message": "boom"}})));
        let g = send(&gw, client, &model, &Ask::default());
        assert_eq!(g.status, 502, "{who}: {}", g.raw);
        assert!(g.error.contains("upstream attempt"), "{who}: {}", g.raw);
        let cases = if client == Client::Anthropic { 7 } else { 8 };
        assert!(
            mock.seen().len() >= 2 * cases + 2,
            "{who}: every case reached the upstream"
        );
    }
}

#[test]
fn openai_clients_conform_against_every_upstream_kind() {
    run_suite(Client::OpenAi);
}

#[test]
fn anthropic_clients_conform_against_every_upstream_kind() {
    run_suite(Client::Anthropic);
}

#[test]
fn gemini_clients_conform_against_every_upstream_kind() {
    run_suite(Client::Gemini);
}
