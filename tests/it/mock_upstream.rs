//! The mock upstream itself, over real HTTP: that it speaks OpenAI's wire protocol and that
//! every scripted failure really happens on the wire. Gateway behaviour is tested elsewhere.

use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::util::mock_upstream::{MockUpstream, Reply};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().unwrap()
}

fn chat(stream: bool) -> Value {
    json!({"model": "m1", "stream": stream, "stream_options": {"include_usage": stream},
        "messages": [{"role": "user", "content": "say hi please"}]})
}

async fn post(mock: &MockUpstream, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(mock.url(path))
        .bearer_auth("k")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The data of each server-sent event in a complete body.
fn events(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").expect(e).to_string())
        .collect()
}

fn json_of(data: &str) -> Value {
    serde_json::from_str(data).unwrap()
}

#[tokio::test]
async fn a_plain_chat_completion_names_the_model_and_the_upstream() {
    let mock = MockUpstream::start_named("alpha", &[]);
    let res = post(&mock, "/v1/chat/completions", &chat(false)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let b: Value = res.json().await.unwrap();
    assert!(
        b["id"].as_str().unwrap().starts_with("chatcmpl-mock-"),
        "{b}"
    );
    assert_eq!(b["object"], "chat.completion");
    assert_eq!(b["model"], "m1");
    assert!(b["created"].as_u64().unwrap() > 1_700_000_000);
    let choice = &b["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(mock.name(), "alpha");
    assert_eq!(choice["message"]["content"], "hello from alpha");
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(
        b["usage"],
        json!({"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6})
    );
}

#[tokio::test]
async fn a_streamed_chat_completion_sends_role_pieces_finish_usage_and_done() {
    let mock = MockUpstream::start(&[]);
    let res = post(&mock, "/v1/chat/completions", &chat(true)).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let ev = events(&res.text().await.unwrap());
    assert_eq!(ev.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = ev[..ev.len() - 1].iter().map(|d| json_of(d)).collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "hello from mock");
    let n = chunks.len();
    assert_eq!(chunks[n - 2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[n - 1]["choices"], json!([]));
    assert_eq!(chunks[n - 1]["usage"]["total_tokens"], 6);
    // Without include_usage there is no usage chunk.
    let mut body = chat(true);
    body["stream_options"]["include_usage"] = json!(false);
    let ev = events(
        &post(&mock, "/v1/chat/completions", &body)
            .await
            .text()
            .await
            .unwrap(),
    );
    let last = json_of(&ev[ev.len() - 2]);
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert!(last.get("usage").is_none());
}

/// Reads one chunked response from a raw socket: the head and each chunk's payload.
async fn read_chunked(sock: &mut tokio::net::TcpStream) -> (String, Vec<String>) {
    let mut buf = Vec::new();
    while !buf.ends_with(b"\r\n0\r\n\r\n") {
        let mut b = [0u8; 4096];
        let n = sock.read(&mut b).await.unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&b[..n]);
    }
    let text = String::from_utf8(buf).unwrap();
    let (head, mut rest) = text.split_once("\r\n\r\n").unwrap();
    let mut chunks = Vec::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size, 16).unwrap();
        if size == 0 {
            break;
        }
        chunks.push(after[..size].to_string());
        rest = &after[size + 2..];
    }
    (head.to_string(), chunks)
}

#[tokio::test]
async fn each_event_is_its_own_http_chunk_and_the_connection_stays_open() {
    let mock = MockUpstream::start(&["a"]);
    let mut sock = tokio::net::TcpStream::connect(mock.addr).await.unwrap();
    let body = chat(true).to_string();
    let req = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    let (head, chunks) = read_chunked(&mut sock).await;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert_eq!(
        chunks.len(),
        7,
        "role, 3 pieces, finish, usage, [DONE]: {chunks:?}"
    );
    for c in &chunks {
        assert!(c.starts_with("data: ") && c.ends_with("\n\n"), "{c:?}");
        assert_eq!(c.matches("\n\n").count(), 1, "{c:?}");
    }
    // Same connection, next request.
    sock.write_all(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n\r\n")
        .await
        .unwrap();
    let mut b = vec![0u8; 4096];
    let n = sock.read(&mut b).await.unwrap();
    let res = String::from_utf8_lossy(&b[..n]);
    assert!(res.starts_with("HTTP/1.1 200 OK"), "{res}");
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn a_scripted_429_carries_retry_after_then_the_default_answers() {
    let mock = MockUpstream::start(&[]);
    mock.push(Reply::rate_limited(1));
    let res = post(&mock, "/v1/chat/completions", &chat(false)).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "rate_limit_exceeded");
    let res = post(&mock, "/v1/chat/completions", &chat(false)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(mock.remaining(), 0);
}

#[tokio::test]
async fn replies_are_taken_in_order_by_posts_only_then_the_default_applies() {
    let mock = MockUpstream::start(&["a"]);
    mock.push_n(2, Reply::error(500, "server_error", "boom"));
    mock.push(Reply::status_text(502, "bad gateway").with_header("x-why", "proxy"));
    mock.set_default(Reply::text("fallback answer"));
    let models = client()
        .get(mock.url("/v1/models"))
        .bearer_auth("k")
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200, "model lists are never scripted");
    for want in [500, 500, 502, 200, 200] {
        let res = post(&mock, "/v1/chat/completions", &chat(false)).await;
        assert_eq!(res.status(), want);
        if want == 502 {
            assert_eq!(res.headers()["x-why"], "proxy");
            assert_eq!(res.text().await.unwrap(), "bad gateway");
        } else if want == 200 {
            let b: Value = res.json().await.unwrap();
            assert_eq!(b["choices"][0]["message"]["content"], "fallback answer");
        } else {
            let b: Value = res.json().await.unwrap();
            assert_eq!(b["error"]["message"], "boom");
        }
    }
}

#[tokio::test]
async fn a_reset_is_an_error_for_the_client_and_the_next_request_is_answered() {
    let mock = MockUpstream::start(&[]);
    mock.push(Reply::Reset);
    let c = client();
    let err = c
        .post(mock.url("/v1/chat/completions"))
        .json(&chat(false))
        .send()
        .await
        .unwrap_err();
    // A real RST, not a clean close.
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    let mut reset = false;
    while let Some(e) = source {
        reset |= e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionReset);
        source = e.source();
    }
    assert!(reset, "{err:?}");
    assert_eq!(
        mock.seen().len(),
        1,
        "the request was read before the reset"
    );
    let res = c
        .post(mock.url("/v1/chat/completions"))
        .json(&chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_cut_stream_ends_in_a_body_error_after_n_events() {
    let mock = MockUpstream::start(&[]);
    mock.push(Reply::ok().cut_after(2));
    let res = post(&mock, "/v1/chat/completions", &chat(true)).await;
    assert_eq!(res.status(), 200);
    let mut body = Vec::new();
    let mut stream = res.bytes_stream();
    let err = loop {
        match stream.next().await {
            Some(Ok(b)) => body.extend_from_slice(&b),
            Some(Err(e)) => break e,
            None => panic!("the stream ended cleanly"),
        }
    };
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    let body = String::from_utf8(body).unwrap();
    assert_eq!(events(&body).len(), 2, "{body}");
    assert!(!body.contains("[DONE]"));
}

#[tokio::test]
async fn a_hanging_reply_holds_up_no_other_request_and_ends_with_the_mock() {
    let mock = MockUpstream::start(&[]);
    mock.push(Reply::Hang);
    let c = client();
    let hung = tokio::spawn(
        c.post(mock.url("/v1/chat/completions"))
            .json(&chat(false))
            .send(),
    );
    mock.wait_seen(1).await;
    let res = tokio::time::timeout(
        Duration::from_secs(1),
        c.post(mock.url("/v1/chat/completions"))
            .json(&chat(false))
            .send(),
    )
    .await
    .expect("answered while the other hangs")
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!hung.is_finished());
    drop(mock);
    let res = tokio::time::timeout(Duration::from_secs(1), hung)
        .await
        .expect("dropping the mock ends the hang")
        .unwrap();
    assert!(res.is_err());
}

#[tokio::test]
async fn requests_are_recorded_with_body_headers_and_arrival_time() {
    let mock = MockUpstream::start(&[]);
    let first = chat(false);
    post(&mock, "/v1/chat/completions?x=1", &first).await;
    post(
        &mock,
        "/v1/embeddings",
        &json!({"model": "e", "input": "hi"}),
    )
    .await;
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].uri, "/v1/chat/completions?x=1");
    assert_eq!(seen[0].path(), "/v1/chat/completions");
    assert_eq!(seen[0].header("Authorization"), Some("Bearer k"));
    assert_eq!(seen[0].body, serde_json::to_vec(&first).unwrap());
    assert_eq!(seen[0].json(), first);
    assert_eq!(seen[1].json()["input"], "hi");
    assert!(seen[0].at <= seen[1].at);
}

#[tokio::test]
async fn malformed_replies_are_not_json_in_either_mode() {
    let mock = MockUpstream::start(&[]);
    mock.push_n(2, Reply::Malformed);
    let res = post(&mock, "/v1/chat/completions", &chat(false)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let text = res.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    let ev = events(
        &post(&mock, "/v1/chat/completions", &chat(true))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(serde_json::from_str::<Value>(&ev[0]).is_err(), "{ev:?}");
    assert_eq!(ev.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn stream_controls_splice_raw_events_stall_and_leave_out_the_end() {
    let mock = MockUpstream::start(&[]);
    let silence = Duration::from_millis(250);
    mock.push(
        Reply::pieces(["a", "b"])
            .raw_at(1, "oops")
            .no_finish()
            .no_done()
            .silence_after(2, silence),
    );
    let start = Instant::now();
    let res = post(&mock, "/v1/chat/completions", &chat(true)).await;
    let mut stream = res.bytes_stream();
    let mut body = String::new();
    let mut first_event_at = None;
    while let Some(b) = stream.next().await {
        body.push_str(std::str::from_utf8(&b.unwrap()).unwrap());
        first_event_at.get_or_insert_with(|| start.elapsed());
    }
    assert!(start.elapsed() >= silence);
    assert!(
        first_event_at.unwrap() < silence,
        "the stall comes after 2 events"
    );
    let ev = events(&body);
    assert_eq!(ev.len(), 5, "role, oops, a, b, usage: {ev:?}");
    assert_eq!(ev[1], "oops");
    assert_eq!(json_of(&ev[2])["choices"][0]["delta"]["content"], "a");
    assert!(!body.contains("finish_reason\":\"stop") && !body.contains("[DONE]"));

    // A delay holds back even the headers; a first delay only the events.
    let d = Duration::from_millis(250);
    mock.push(Reply::delay(d, Reply::ok()));
    mock.push(Reply::ok().first_delay(d).gap(Duration::from_millis(10)));
    let start = Instant::now();
    post(&mock, "/v1/chat/completions", &chat(true)).await;
    assert!(start.elapsed() >= d);
    let start = Instant::now();
    let res = post(&mock, "/v1/chat/completions", &chat(true)).await;
    assert!(start.elapsed() < d);
    res.text().await.unwrap();
    assert!(start.elapsed() >= d + Duration::from_millis(50));
}

#[tokio::test]
async fn requests_with_tools_get_a_tool_call_plain_and_streamed() {
    let mock = MockUpstream::start(&[]);
    let tools = json!([{"type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object"}}}]);
    let mut req = chat(false);
    req["tools"] = tools;
    let b: Value = post(&mock, "/v1/chat/completions", &req)
        .await
        .json()
        .await
        .unwrap();
    let choice = &b["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let args = json_of(call["function"]["arguments"].as_str().unwrap());
    assert_eq!(args["from"], "hello from mock");

    req["stream"] = json!(true);
    let ev = events(
        &post(&mock, "/v1/chat/completions", &req)
            .await
            .text()
            .await
            .unwrap(),
    );
    let chunks: Vec<Value> = ev[..ev.len() - 1].iter().map(|d| json_of(d)).collect();
    let first = &chunks[0]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(first["function"]["name"], "get_weather");
    assert!(first["id"].as_str().unwrap().starts_with("call_"));
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(json_of(&args), json!({"from": "hello from mock"}));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn completions_and_embeddings_answer_in_openai_shapes() {
    let mock = MockUpstream::start(&[]);
    let b: Value = post(
        &mock,
        "/v1/completions",
        &json!({"model": "c", "prompt": "hi"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(b["object"], "text_completion");
    assert_eq!(b["choices"][0]["text"], "hello from mock");
    assert_eq!(b["usage"]["total_tokens"], 4);
    let req = json!({"model": "c", "prompt": "hi", "stream": true,
        "stream_options": {"include_usage": true}});
    let ev = events(
        &post(&mock, "/v1/completions", &req)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(ev.last().unwrap(), "[DONE]");
    let text: String = ev
        .iter()
        .filter(|d| d.starts_with('{'))
        .filter_map(|d| json_of(d)["choices"][0]["text"].as_str().map(String::from))
        .collect();
    assert_eq!(text, "hello from mock");
    assert_eq!(json_of(&ev[ev.len() - 2])["usage"]["prompt_tokens"], 1);

    let one: Value = post(
        &mock,
        "/v1/embeddings",
        &json!({"model": "e", "input": "x"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(one["object"], "list");
    assert_eq!(one["model"], "e");
    assert_eq!(one["data"][0]["object"], "embedding");
    assert_eq!(one["data"][0]["embedding"].as_array().unwrap().len(), 8);
    let two: Value = post(
        &mock,
        "/v1/embeddings",
        &json!({"model": "e", "input": ["y", "x"], "dimensions": 4}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(two["data"][1]["index"], 1);
    assert_eq!(two["data"][1]["embedding"].as_array().unwrap().len(), 4);
    let b64: Value = post(
        &mock,
        "/v1/embeddings",
        &json!({"model": "e", "input": "x", "encoding_format": "base64"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let floats: Vec<f32> = bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let plain: Vec<f32> = serde_json::from_value(one["data"][0]["embedding"].clone()).unwrap();
    assert_eq!(
        floats, plain,
        "the same input gives the same vector in both encodings"
    );

    let res = post(&mock, "/v1/embeddings", &json!({"input": "x"})).await;
    assert_eq!(res.status(), 400, "no model");
}

#[tokio::test]
async fn model_lists_keep_answering_per_protocol() {
    let mock = MockUpstream::start(&["a", "b"]);
    let c = client();
    let get = |path: &str| c.get(mock.url(path));
    let openai: Value = get("/v1/models")
        .bearer_auth("k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(openai["data"][1]["id"], "b");
    let anthropic: Value = get("/v1/models")
        .header("x-api-key", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anthropic["has_more"], false);
    assert_eq!(anthropic["last_id"], "b");
    let none = get("/v1/models").send().await.unwrap();
    assert_eq!(none.status(), 401);
    let gemini: Value = get("/v1beta/models")
        .header("x-goog-api-key", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gemini["models"][0]["name"], "models/a");
    assert_eq!(get("/nowhere").send().await.unwrap().status(), 404);
}
