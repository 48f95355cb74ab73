//! The OpenAI-compatible client API through the real binary, against real mock upstreams
//! scripted per test: faithful forwarding, weights and tiers, every failure class and what
//! it leads to, streaming (first-chunk gating, cuts, malformed chunks, missing `[DONE]`,
//! keep-alives, idle timeout), circuits, capability filtering, auth and allow-lists, models.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::mock_upstream::{MockUpstream, Reply};
use crate::util::proc::{http, Server, ADMIN_KEY};

const ALL_CAPS: [&str; 4] = ["tools", "vision", "json_schema", "streaming"];

pub struct Gw {
    pub srv: Server,
    pub dir: tempfile::TempDir,
    /// Requests as a client with a key allowed every model (`gw.chat(..)` etc. deref to it).
    pub client: Client,
}

impl std::ops::Deref for Gw {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// What a client needs to call the gateway; `Send + Sync`, so test threads can share it.
#[derive(Clone)]
pub struct Client {
    base: String,
    /// A client key allowed every model.
    pub key: String,
}

/// An OpenAI provider on `mock` with one key per entry of `keys` (labels k0, k1, ...).
pub fn provider(name: &str, mock: &MockUpstream, keys: &[&str]) -> Value {
    let keys: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| json!({"label": format!("k{i}"), "key": k}))
        .collect();
    json!({"name": name, "kind": "openai", "base_url": mock.url("/v1"), "keys": keys})
}

pub fn route(model: &str, provider: &str, upstream_model: &str) -> Value {
    json!({"model": model, "provider": provider, "upstream_model": upstream_model,
           "capabilities": ALL_CAPS})
}

/// Starts `serve` with the catalog imported and one client key.
pub fn start(catalog: Value, env: &[(&str, &str)]) -> Gw {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        ("ADMIN_KEY", ADMIN_KEY),
        ("HEALTH_CHECK_ENABLED", "false"),
        ("LLMO_GATEWAY__RETRY_BACKOFF", "10ms"),
    ];
    all.extend_from_slice(env);
    let srv = Server::start(dir.path(), &all);
    let (s, body) = admin(&srv, "POST", "/admin/catalog/import", Some(catalog));
    assert_eq!(s, 200, "import: {body}");
    let (s, body) = admin(
        &srv,
        "POST",
        "/admin/client-keys",
        Some(json!({"name": "tests"})),
    );
    assert_eq!(s, 201, "{body}");
    let key = body["key"].as_str().unwrap().to_string();
    let client = Client {
        base: srv.url(""),
        key,
    };
    Gw { srv, dir, client }
}

pub fn admin(srv: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let req = ureq::http::Request::builder()
        .method(method)
        .uri(srv.url(path))
        .header("X-Admin-Key", ADMIN_KEY)
        .header("content-type", "application/json");
    let mut res = match body {
        Some(b) => http().run(req.body(b.to_string()).unwrap()),
        None => http().run(req.body(String::new()).unwrap()),
    }
    .unwrap();
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub struct Res {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub text: String,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The `data:` payloads of an SSE body.
    pub fn events(&self) -> Vec<String> {
        self.text
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .map(str::to_string)
            .collect()
    }
    pub fn attempts(&self) -> Option<usize> {
        self.header("x-llmo-attempts").map(|v| v.parse().unwrap())
    }
}

impl Client {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn post(&self, path: &str, body: &Value) -> Res {
        self.post_as(
            path,
            body,
            &[("Authorization", &format!("Bearer {}", self.key))],
        )
    }

    pub fn post_as(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Res {
        self.send_raw(path, body.to_string().into_bytes(), headers)
    }

    pub fn send_raw(&self, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Res {
        let mut req = http()
            .post(self.url(path))
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut res = req.send(&body[..]).unwrap();
        Res {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            text: res.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> Res {
        let mut req = http().get(self.url(path));
        if let Some(k) = key {
            req = req.header("Authorization", &format!("Bearer {k}"));
        }
        let mut res = req.call().unwrap();
        Res {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            text: res.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    pub fn chat(&self, model: &str) -> Res {
        self.post(
            "/v1/chat/completions",
            &json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}),
        )
    }

    pub fn stream(&self, model: &str) -> Res {
        self.post(
            "/v1/chat/completions",
            &json!({"model": model, "stream": true,
                    "messages": [{"role": "user", "content": "hi"}]}),
        )
    }
}

fn content(res: &Res) -> String {
    res.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The text a stream delivered, joined.
fn streamed_text(res: &Res) -> String {
    res.events()
        .iter()
        .filter(|e| *e != "[DONE]")
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

fn one_provider(mock: &MockUpstream, keys: &[&str]) -> Value {
    json!({
        "providers": [provider("p", mock, keys)],
        "models": [{"name": "m"}],
        "routes": [route("m", "p", "up-m")],
    })
}

/// a first (tier 0), b the fallback (tier 1): the failover order is deterministic.
fn two_providers(a: &MockUpstream, b: &MockUpstream) -> Value {
    let mut fallback = route("m", "b", "up-b");
    fallback["priority"] = json!(1);
    json!({
        "providers": [provider("a", a, &["ka"]), provider("b", b, &["kb"])],
        "models": [{"name": "m"}],
        "routes": [route("m", "a", "up-a"), fallback],
    })
}

#[test]
fn the_body_reaches_the_upstream_as_sent_with_only_model_and_overrides_changed() {
    let up = MockUpstream::start_named("up", &[]);
    let mut p = provider("p", &up, &["sk-up-1"]);
    p["param_overrides"] = json!({"temperature": 0.1, "seed": 7});
    let mut r = route("gpt-x", "p", "gpt-x-2025-01-01");
    r["param_overrides"] = json!({"temperature": 0.3});
    let gw = start(
        json!({"providers": [p], "models": [{"name": "gpt-x", "aliases": ["x"]}], "routes": [r]}),
        &[],
    );
    let body = json!({
        "model": "x",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
            ]}
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}},
        "reasoning_effort": "high",
        "x_vendor_field": {"keep": [1, 2, 3]}
    });
    let res = gw.post("/v1/chat/completions", &body);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("x-llmo-provider"), Some("p"));
    assert_eq!(res.attempts(), Some(1));
    assert!(res.header("x-llmo-route-id").is_some());

    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path(), "/v1/chat/completions");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-up-1"));
    let sent = seen[0].json();
    let mut expected = body.clone();
    expected["model"] = json!("gpt-x-2025-01-01");
    expected["temperature"] = json!(0.3); // the route's override beats the provider's
    expected["seed"] = json!(7);
    assert_eq!(sent, expected, "nothing else added, nothing lost");
    // The answer names the upstream model that answered, not the alias asked for.
    assert_eq!(res.json()["model"], "gpt-x-2025-01-01");
}

#[test]
fn a_model_can_present_the_requested_name_in_answers_and_chunks() {
    let up = MockUpstream::start_named("up", &[]);
    let mut cat = one_provider(&up, &["k"]);
    cat["models"] = json!([{"name": "m", "aliases": ["alias-m"], "present_requested_name": true}]);
    let gw = start(cat, &[]);
    assert_eq!(gw.chat("alias-m").json()["model"], "alias-m");
    let res = gw.stream("alias-m");
    for e in res.events().iter().filter(|e| *e != "[DONE]") {
        let v: Value = serde_json::from_str(e).unwrap();
        assert_eq!(v["model"], "alias-m", "{e}");
    }
}

#[test]
fn completions_and_embeddings_are_forwarded_to_their_paths() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(one_provider(&up, &["k"]), &[]);
    let res = gw.post(
        "/v1/embeddings",
        &json!({"model": "m", "input": ["a", "b"], "encoding_format": "float"}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["data"].as_array().unwrap().len(), 2);
    let res = gw.post("/v1/completions", &json!({"model": "m", "prompt": "once"}));
    assert_eq!(res.status, 200, "{}", res.text);
    let res = gw.post(
        "/v1/completions",
        &json!({"model": "m", "prompt": "once", "stream": true}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.events().last().map(String::as_str), Some("[DONE]"));
    let paths: Vec<String> = up.seen().iter().map(|s| s.path().to_string()).collect();
    assert_eq!(
        paths,
        ["/v1/embeddings", "/v1/completions", "/v1/completions"]
    );
    assert_eq!(up.seen()[0].json()["model"], "up-m");
    // The Python version's prefix works too.
    let res = gw.post(
        "/api/v1/chat/completions",
        &json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
    );
    assert_eq!(res.status, 200);
}

#[test]
fn traffic_splits_by_route_weight_times_provider_weight() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let mut pa = provider("a", &a, &["ka"]);
    pa["weight"] = json!(300);
    let mut pb = provider("b", &b, &["kb"]);
    pb["weight"] = json!(100);
    let mut ra = route("m", "a", "up");
    ra["weight"] = json!(1);
    let mut rb = route("m", "b", "up");
    rb["weight"] = json!(1);
    let gw = start(
        json!({"providers": [pa, pb], "models": [{"name": "m"}], "routes": [ra, rb]}),
        &[],
    );
    let n = 400;
    let mut to_a = 0;
    for _ in 0..n {
        let res = gw.chat("m");
        assert_eq!(res.status, 200);
        if res.header("x-llmo-provider") == Some("a") {
            to_a += 1;
        }
    }
    // Expected 75%; 400 draws put 3.7 standard deviations inside ±8 points.
    let share = to_a as f64 / n as f64;
    assert!((share - 0.75).abs() < 0.08, "share to a: {share}");
}

#[test]
fn a_later_tier_serves_only_when_the_first_fails() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let gw = start(two_providers(&a, &b), &[]);
    for _ in 0..10 {
        assert_eq!(content(&gw.chat("m")), "hello from a");
    }
    assert!(b.seen().is_empty());
    a.push(Reply::error(503, "server_error", "overloaded"));
    let res = gw.chat("m");
    assert_eq!(content(&res), "hello from b");
    assert_eq!(res.attempts(), Some(2));
    assert_eq!(res.header("x-llmo-provider"), Some("b"));
}

#[test]
fn failures_move_to_the_next_key_then_the_next_provider() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let mut cat = two_providers(&a, &b);
    cat["providers"][0] = provider("a", &a, &["ka-1", "ka-2"]);
    let gw = start(cat, &[]);
    a.push(Reply::error(500, "server_error", "boom"));
    a.push(Reply::Reset);
    let res = gw.chat("m");
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(content(&res), "hello from b");
    assert_eq!(res.attempts(), Some(3));
    let keys: std::collections::BTreeSet<String> = a
        .seen()
        .iter()
        .map(|s| s.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(
        keys,
        ["Bearer ka-1", "Bearer ka-2"].map(String::from).into(),
        "both keys of a were tried before b"
    );
}

#[test]
fn every_retryable_class_fails_over() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let gw = start(
        two_providers(&a, &b),
        // Six failures in a row would open a's circuit; this test is about each class.
        &[
            ("LLMO_GATEWAY__REQUEST_TIMEOUT", "700ms"),
            ("HEALTH_CHECK_MAX_ERRORS", "100"),
        ],
    );
    let cases: Vec<(&str, Reply)> = vec![
        ("500", Reply::error(500, "server_error", "boom")),
        (
            "502 text",
            Reply::status_text(502, "<html>bad gateway</html>"),
        ),
        ("429", Reply::rate_limited(0)),
        ("reset", Reply::Reset),
        ("malformed", Reply::Malformed),
        ("hang", Reply::Hang),
        // Not followed (it would reach b in one attempt): a redirect is a failed attempt.
        (
            "307 redirect",
            Reply::status_text(307, "").with_header("location", &b.url("/v1/chat/completions")),
        ),
    ];
    for (what, reply) in cases {
        a.push(reply);
        let res = gw.chat("m");
        assert_eq!(res.status, 200, "{what}: {}", res.text);
        assert_eq!(content(&res), "hello from b", "{what}");
        assert_eq!(res.attempts(), Some(2), "{what}");
    }
}

/// With `HTTP_PROXY` set, upstream requests go through that proxy (NO_PROXY honoured), as
/// the earlier versions' HTTP clients did: here the mock plays the proxy and sees the
/// absolute-form request for an upstream address where nothing listens.
#[test]
fn upstream_requests_honour_the_proxy_named_in_the_environment() {
    let proxy = MockUpstream::start_named("proxy", &[]);
    let nothing = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let catalog = json!({
        "providers": [{"name": "p", "kind": "openai", "base_url": format!("http://{nothing}/v1"),
                       "keys": [{"label": "k0", "key": "sk-via-proxy"}]}],
        "models": [{"name": "m"}],
        "routes": [route("m", "p", "up-m")],
    });
    let gw = start(catalog.clone(), &[("HTTP_PROXY", &proxy.url(""))]);
    for res in [gw.chat("m"), gw.stream("m")] {
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.uri, format!("http://{nothing}/v1/chat/completions"));
        assert_eq!(s.header("authorization"), Some("Bearer sk-via-proxy"));
        assert_eq!(s.json()["model"], "up-m");
    }
    drop(gw);
    // NO_PROXY names the host: straight there, where nothing listens.
    let gw = start(
        catalog,
        &[("HTTP_PROXY", &proxy.url("")), ("NO_PROXY", "127.0.0.1")],
    );
    let res = gw.chat("m");
    assert_eq!(res.status, 502, "{}", res.text);
    assert_eq!(proxy.seen().len(), 2, "the proxy was bypassed");
}

/// An HTTPS upstream that offers HTTP/2 by ALPN gets HTTP/2, its certificate checked against
/// the trusted roots (here the test CA through `SSL_CERT_FILE`); with the roots not trusting
/// it, the attempt fails as a connection failure.
#[test]
fn https_upstreams_are_verified_and_spoken_to_in_http2_when_offered() {
    use crate::util::tls_upstream::{TlsUpstream, CA};
    let up = TlsUpstream::start();
    let catalog = json!({
        "providers": [{"name": "p", "kind": "openai",
                       "base_url": format!("https://localhost:{}/v1", up.port),
                       "keys": [{"label": "k0", "key": "sk-tls"}]}],
        "models": [{"name": "m"}],
        "routes": [route("m", "p", "up-m")],
    });
    let gw = start(catalog.clone(), &[("SSL_CERT_FILE", CA)]);
    let res = gw.chat("m");
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(content(&res), "over tls");
    assert_eq!(up.seen(), ["HTTP/2.0 /v1/chat/completions"]);
    drop(gw);
    let gw = start(catalog, &[]);
    let res = gw.chat("m");
    assert_eq!(res.status, 502, "{}", res.text);
    assert_eq!(res.json()["error"]["attempts"][0]["class"], "connect");
    assert_eq!(
        up.seen().len(),
        1,
        "no request over an untrusted connection"
    );
}

#[test]
fn client_errors_are_not_retried_and_carry_the_upstreams_reason_and_status() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let gw = start(two_providers(&a, &b), &[]);
    for status in [400, 404, 413, 422] {
        a.push(Reply::error(
            status,
            "invalid_request_error",
            &format!("upstream says {status}"),
        ));
        let res = gw.chat("m");
        assert_eq!(res.status, status, "{}", res.text);
        let err = &res.json()["error"];
        assert_eq!(err["message"], format!("upstream says {status}"));
        assert_eq!(err["type"], "invalid_request_error");
        assert_eq!(res.attempts(), Some(1));
    }
    a.push(Reply::status(
        400,
        json!({"error": {"message": "This model's maximum context length is 8192 tokens",
                         "type": "invalid_request_error", "param": "messages",
                         "code": "context_length_exceeded"}}),
    ));
    let res = gw.chat("m");
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["code"], "context_length_exceeded");
    assert_eq!(res.json()["error"]["param"], "messages");
    assert!(b.seen().is_empty(), "no failover on the caller's mistakes");
}

#[test]
fn a_rejected_key_is_set_aside_and_the_next_key_serves() {
    let up2 = MockUpstream::start_named("up2", &[]);
    let gw2 = start(one_provider(&up2, &["key-1", "key-2"]), &[]);
    // Whichever key is drawn first is rejected.
    up2.push(Reply::error(
        401,
        "invalid_request_error",
        "Incorrect API key",
    ));
    let res = gw2.chat("m");
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.attempts(), Some(2));
    let seen = up2.seen();
    let rejected = seen[0].header("authorization").unwrap().to_string();
    let other = seen[1].header("authorization").unwrap().to_string();
    assert_ne!(rejected, other);
    for _ in 0..10 {
        assert_eq!(gw2.chat("m").status, 200);
    }
    let later: Vec<_> = up2.seen()[2..]
        .iter()
        .map(|s| s.header("authorization").unwrap().to_string())
        .collect();
    assert!(
        later.iter().all(|k| *k == other),
        "the rejected key rests: {later:?}"
    );
}

#[test]
fn retry_after_is_waited_out_on_the_only_target_and_rests_a_key_otherwise() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(one_provider(&up, &["only"]), &[]);
    up.push(Reply::rate_limited(1));
    let t = Instant::now();
    let res = gw.chat("m");
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.attempts(), Some(2));
    let seen = up.seen();
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert!(t.elapsed() < Duration::from_secs(5));

    // A Retry-After longer than the gateway waits goes back to the client.
    up.push_n(4, Reply::rate_limited(60));
    let res = gw.chat("m");
    assert_eq!(res.status, 429, "{}", res.text);
    assert_eq!(res.header("retry-after"), Some("60"));
    assert_eq!(res.json()["error"]["type"], "rate_limit_error");
}

#[test]
fn when_every_attempt_fails_the_error_lists_them_without_secrets() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let mut cat = two_providers(&a, &b);
    cat["providers"][0] = provider("a", &a, &["sk-SECRET-a1", "sk-SECRET-a2"]);
    cat["providers"][1] = provider("b", &b, &["sk-SECRET-b"]);
    let gw = start(cat, &[("MAX_RETRY_COUNT", "2")]);
    a.set_default(Reply::error(500, "server_error", "down"));
    b.set_default(Reply::error(503, "server_error", "down"));
    let res = gw.chat("m");
    assert_eq!(res.status, 502, "{}", res.text);
    let err = &res.json()["error"];
    assert_eq!(err["type"], "upstream_error");
    let attempts = err["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "MAX_RETRY_COUNT=2: three attempts");
    assert_eq!(attempts[2]["provider"], "b");
    assert_eq!(attempts[2]["status"], 503);
    assert_eq!(attempts[2]["class"], "upstream_5xx");
    assert!(!res.text.contains("SECRET"), "{}", res.text);
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("all 3 upstream attempts failed"));
    assert!(!gw.srv.proc.output().contains("SECRET"));
}

#[test]
fn max_retry_count_zero_means_one_attempt() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let gw = start(two_providers(&a, &b), &[("MAX_RETRY_COUNT", "0")]);
    a.push(Reply::error(500, "server_error", "boom"));
    let res = gw.chat("m");
    assert_eq!(res.status, 502);
    assert!(b.seen().is_empty());
}

#[test]
fn a_slow_first_token_fails_over_before_the_client_sees_anything() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let gw = start(
        two_providers(&a, &b),
        &[("LLMO_GATEWAY__FIRST_TOKEN_TIMEOUT", "500ms")],
    );
    a.push(Reply::ok().first_delay(Duration::from_secs(3)));
    let t = Instant::now();
    let res = gw.stream("m");
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(streamed_text(&res), "hello from b");
    assert_eq!(res.attempts(), Some(2));
    assert!(t.elapsed() < Duration::from_secs(3));
    // A stream whose first event is an error or not JSON fails over too.
    a.push(Reply::Malformed);
    let res = gw.stream("m");
    assert_eq!(streamed_text(&res), "hello from b");
    a.push(Reply::ok().raw_at(
        0,
        r#"{"error":{"message":"overloaded","type":"server_error"}}"#,
    ));
    let res = gw.stream("m");
    assert_eq!(streamed_text(&res), "hello from b");
}

#[test]
fn a_stream_cut_after_it_started_ends_with_an_error_event_not_done() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(one_provider(&up, &["k"]), &[]);
    up.push(Reply::text("one two three four five").cut_after(3));
    let res = gw.stream("m");
    assert_eq!(res.status, 200, "the stream had started");
    let events = res.events();
    assert!(!events.iter().any(|e| e == "[DONE]"), "{events:?}");
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "stream_reset", "{last}");
    assert_eq!(
        events.len(),
        4,
        "three relayed events, then the error: {events:?}"
    );
}

#[test]
fn a_malformed_chunk_mid_stream_ends_it_with_an_error_event() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(one_provider(&up, &["k"]), &[]);
    up.push(Reply::text("a b c").raw_at(2, "{this is not json"));
    let res = gw.stream("m");
    let events = res.events();
    assert!(!events.iter().any(|e| e == "[DONE]"), "{events:?}");
    assert!(
        events.last().unwrap().contains("stream_malformed"),
        "{events:?}"
    );
}

#[test]
fn a_stream_closed_after_its_finish_reason_but_without_done_completes() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(one_provider(&up, &["k"]), &[]);
    up.push(Reply::text("all of it").no_done());
    let res = gw.stream("m");
    assert_eq!(streamed_text(&res), "all of it");
    assert_eq!(res.events().last().map(String::as_str), Some("[DONE]"));
    // Without a finish reason either, it was cut.
    up.push(Reply::text("half").no_done().no_finish());
    let res = gw.stream("m");
    assert!(
        res.events().last().unwrap().contains("stream_reset"),
        "{}",
        res.text
    );
}

#[test]
fn silence_below_the_idle_timeout_gets_keepalives_and_beyond_it_an_error() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(
        one_provider(&up, &["k"]),
        &[
            ("LLMO_GATEWAY__STREAM_KEEPALIVE", "200ms"),
            ("LLMO_GATEWAY__IDLE_TIMEOUT", "2s"),
        ],
    );
    up.push(Reply::text("slow but fine").silence_after(2, Duration::from_millis(900)));
    let res = gw.stream("m");
    assert!(res.text.contains(": keep-alive"), "{}", res.text);
    assert_eq!(streamed_text(&res), "slow but fine");
    assert_eq!(res.events().last().map(String::as_str), Some("[DONE]"));

    up.push(Reply::text("stalls").silence_after(2, Duration::from_secs(4)));
    let t = Instant::now();
    let res = gw.stream("m");
    assert!(
        res.events().last().unwrap().contains("stream_timeout"),
        "{}",
        res.text
    );
    assert!(t.elapsed() < Duration::from_millis(3500));
}

#[test]
fn a_steady_stream_outlasting_the_idle_timeout_completes_without_keepalives() {
    // Both deadlines count from the latest chunk, not from the start of the stream: events
    // every 100 ms for ~1.2 s pass an idle timeout of 700 ms and a keep-alive period of 500 ms
    // without either firing.
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(
        one_provider(&up, &["k"]),
        &[
            ("LLMO_GATEWAY__STREAM_KEEPALIVE", "500ms"),
            ("LLMO_GATEWAY__IDLE_TIMEOUT", "700ms"),
        ],
    );
    let pieces: Vec<String> = (0..12).map(|i| format!("p{i} ")).collect();
    up.push(Reply::pieces(pieces.clone()).gap(Duration::from_millis(100)));
    let t = Instant::now();
    let res = gw.stream("m");
    assert!(
        t.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
    assert!(!res.text.contains(": keep-alive"), "{}", res.text);
    assert_eq!(streamed_text(&res), pieces.concat());
    assert_eq!(res.events().last().map(String::as_str), Some("[DONE]"));
}

#[test]
fn usage_is_asked_of_the_upstream_but_only_sent_to_clients_that_asked() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(one_provider(&up, &["k"]), &[]);
    let res = gw.stream("m");
    assert_eq!(
        up.seen()[0].json()["stream_options"],
        json!({"include_usage": true})
    );
    assert!(!res.text.contains("\"usage\""), "{}", res.text);
    let res = gw.post(
        "/v1/chat/completions",
        &json!({"model": "m", "stream": true, "stream_options": {"include_usage": true},
                "messages": [{"role": "user", "content": "hi"}]}),
    );
    let usage_chunk = res
        .events()
        .iter()
        .filter(|e| *e != "[DONE]")
        .map(|e| serde_json::from_str::<Value>(e).unwrap())
        .find(|v| v["usage"].is_object());
    assert!(usage_chunk.is_some(), "{}", res.text);
}

#[test]
fn routes_without_a_needed_capability_are_skipped() {
    let plain = MockUpstream::start_named("plain", &[]);
    let tooled = MockUpstream::start_named("tooled", &[]);
    let mut r_plain = route("m", "plain", "up");
    r_plain["capabilities"] = json!(["streaming"]);
    r_plain["weight"] = json!(1000);
    let mut r_tools = route("m", "tooled", "up");
    r_tools["capabilities"] = json!(["tools", "streaming"]);
    r_tools["weight"] = json!(1);
    let gw = start(
        json!({"providers": [provider("plain", &plain, &["k"]), provider("tooled", &tooled, &["k"])],
               "models": [{"name": "m"}], "routes": [r_plain, r_tools]}),
        &[],
    );
    let tools =
        json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]);
    for _ in 0..5 {
        let res = gw.post(
            "/v1/chat/completions",
            &json!({"model": "m", "tools": tools, "messages": [{"role": "user", "content": "hi"}]}),
        );
        assert_eq!(
            res.header("x-llmo-provider"),
            Some("tooled"),
            "{}",
            res.text
        );
    }
    let res = gw.post(
        "/v1/chat/completions",
        &json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}]}),
    );
    assert_eq!(res.status, 400, "{}", res.text);
    assert_eq!(res.json()["error"]["code"], "unsupported_capability");
}

#[test]
fn a_failing_provider_rests_then_gets_a_probe_and_comes_back() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let gw = start(
        two_providers(&a, &b),
        &[
            ("HEALTH_CHECK_MAX_ERRORS", "2"),
            ("LLMO_HEALTH_CHECK__RETRY_AFTER", "1s"),
        ],
    );
    a.push_n(2, Reply::error(500, "server_error", "down"));
    for _ in 0..2 {
        assert_eq!(content(&gw.chat("m")), "hello from b");
    }
    // Open: a gets nothing, b serves at once.
    for _ in 0..3 {
        let res = gw.chat("m");
        assert_eq!(res.attempts(), Some(1));
        assert_eq!(content(&res), "hello from b");
    }
    assert_eq!(a.seen().len(), 2);
    std::thread::sleep(Duration::from_millis(1100));
    // Half-open: one probe goes to a; its success (twice) closes the circuit.
    for _ in 0..3 {
        assert_eq!(content(&gw.chat("m")), "hello from a");
    }
}

#[test]
fn client_keys_are_checked_and_allow_lists_enforced() {
    let up = MockUpstream::start_named("up", &[]);
    let mut cat = one_provider(&up, &["k"]);
    cat["models"] = json!([{"name": "m"}, {"name": "other"}, {"name": "org/with-slash"}]);
    cat["routes"] = json!([
        route("m", "p", "u"),
        route("other", "p", "u"),
        route("org/with-slash", "p", "u")
    ]);
    let gw = start(cat, &[("API_KEYS", r#"["cfg-key-123456"]"#)]);
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});

    let res = gw.post_as("/v1/chat/completions", &body, &[]);
    assert_eq!(res.status, 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    assert_eq!(res.json()["error"]["type"], "authentication_error");
    let res = gw.post_as(
        "/v1/chat/completions",
        &body,
        &[("Authorization", "Bearer sk-llmo-wrong")],
    );
    assert_eq!(res.json()["error"]["code"], "invalid_api_key");
    let res = gw.post_as("/v1/chat/completions", &body, &[("X-API-Key", &gw.key)]);
    assert_eq!(res.status, 200, "X-API-Key works");
    let res = gw.post_as(
        "/v1/chat/completions",
        &body,
        &[("Authorization", "bearer cfg-key-123456")],
    );
    assert_eq!(res.status, 200, "API_KEYS works: {}", res.text);

    let (_, limited) = admin(
        &gw.srv,
        "POST",
        "/admin/client-keys",
        Some(json!({"name": "limited", "allowed_models": ["m"]})),
    );
    let lkey = limited["key"].as_str().unwrap();
    let auth = format!("Bearer {lkey}");
    assert_eq!(
        gw.post_as("/v1/chat/completions", &body, &[("Authorization", &auth)])
            .status,
        200
    );
    let res = gw.post_as(
        "/v1/chat/completions",
        &json!({"model": "other", "messages": [{"role": "user", "content": "hi"}]}),
        &[("Authorization", &auth)],
    );
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(res.json()["error"]["code"], "model_not_allowed");
    let ids: Vec<Value> = gw.get("/v1/models", Some(lkey)).json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!("m")]);

    let id = limited["id"].as_i64().unwrap();
    admin(
        &gw.srv,
        "POST",
        &format!("/admin/client-keys/{id}/revoke"),
        None,
    );
    let res = gw.post_as("/v1/chat/completions", &body, &[("Authorization", &auth)]);
    assert_eq!(res.json()["error"]["code"], "api_key_disabled");

    let (_, expired) = admin(
        &gw.srv,
        "POST",
        "/admin/client-keys",
        Some(json!({"name": "old", "expires_at": "2020-01-01T00:00:00Z"})),
    );
    let res = gw.post_as(
        "/v1/chat/completions",
        &body,
        &[(
            "Authorization",
            &format!("Bearer {}", expired["key"].as_str().unwrap()),
        )],
    );
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["error"]["code"], "api_key_expired");
}

#[test]
fn without_any_client_key_requests_are_refused_and_the_operator_warned() {
    let up = MockUpstream::start_named("up", &[]);
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[("ADMIN_KEY", ADMIN_KEY)]);
    assert!(srv.proc.output().contains("NO CLIENT KEYS"));
    let (_, health) = admin(&srv, "GET", "/admin/health", None);
    assert!(
        health["warnings"].to_string().contains("no client keys"),
        "{health}"
    );
    admin(
        &srv,
        "POST",
        "/admin/catalog/import",
        Some(one_provider(&up, &["k"])),
    );
    let mut res = http()
        .post(srv.url("/v1/chat/completions"))
        .header("Authorization", "Bearer anything")
        .send_json(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}))
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.body_mut().read_json().unwrap();
    assert_eq!(body["error"]["code"], "no_client_keys");
    assert!(up.seen().is_empty());
}

#[test]
fn models_are_listed_from_routes_and_ids_may_contain_slashes() {
    let up = MockUpstream::start_named("up", &[]);
    let mut cat = one_provider(&up, &["k"]);
    cat["models"] = json!([
        {"name": "m"}, {"name": "org/model-v1", "aliases": ["short"]},
        {"name": "no-routes"}, {"name": "off", "enabled": false}
    ]);
    cat["routes"] = json!([
        route("m", "p", "u"),
        route("org/model-v1", "p", "u"),
        route("off", "p", "u")
    ]);
    let gw = start(cat, &[]);
    let list = gw.get("/v1/models", Some(&gw.key));
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["object"], "list");
    let ids: Vec<Value> = list.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!("m"), json!("org/model-v1")]);
    let one = gw.get("/v1/models/org/model-v1", Some(&gw.key));
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json()["id"], "org/model-v1");
    assert_eq!(
        gw.get("/v1/models/short", Some(&gw.key)).json()["id"],
        "short"
    );
    let missing = gw.get("/v1/models/no-routes", Some(&gw.key));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "model_not_found");
    assert_eq!(gw.get("/v1/models", None).status, 401);
}

#[test]
fn bad_requests_get_openai_errors_naming_what_is_wrong() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(
        one_provider(&up, &["k"]),
        &[("LLMO_GATEWAY__MAX_BODY_SIZE", "1")],
    );
    let auth = format!("Bearer {}", gw.key);
    let h = [("Authorization", auth.as_str())];
    let res = gw.send_raw("/v1/chat/completions", b"{\"model\": ".to_vec(), &h);
    assert_eq!(res.status, 400);
    assert!(res.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    let res = gw.post("/v1/chat/completions", &json!({"messages": []}));
    assert_eq!(
        (res.status, res.json()["error"]["param"].clone()),
        (400, json!("model"))
    );
    let res = gw.post("/v1/chat/completions", &json!({"model": "m"}));
    assert_eq!(res.json()["error"]["param"], "messages");
    let res = gw.chat("no-such-model");
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["error"]["code"], "model_not_found");
    let big = json!({"model": "m", "messages": [{"role": "user", "content": "x".repeat(2 * 1024 * 1024)}]});
    let res = gw.post("/v1/chat/completions", &big);
    assert_eq!(res.status, 413, "{}", res.text);
    assert_eq!(res.json()["error"]["code"], "request_too_large");
    assert!(up.seen().is_empty(), "nothing reached the upstream");
}

#[test]
fn a_client_keys_last_use_is_recorded_off_the_request_path() {
    let up = MockUpstream::start_named("up", &[]);
    let mut gw = start(one_provider(&up, &["k"]), &[]);
    let (_, keys) = admin(&gw.srv, "GET", "/admin/client-keys", None);
    let id = keys["data"][0]["id"].as_i64().unwrap();
    assert!(keys["data"][0]["last_used_at"].is_null());
    assert_eq!(gw.chat("m").status, 200);
    // Written in the background; a graceful stop writes what is pending.
    gw.srv.proc.signal("TERM");
    assert!(gw.srv.proc.wait_exit(Duration::from_secs(20)).success());
    let srv = Server::start(gw.dir.path(), &[("ADMIN_KEY", ADMIN_KEY)]);
    let (_, key) = admin(&srv, "GET", &format!("/admin/client-keys/{id}"), None);
    assert!(key["last_used_at"].is_string(), "{key}");
}

#[test]
fn a_client_that_goes_away_mid_stream_cancels_the_upstream_request() {
    use std::io::{Read, Write};
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(one_provider(&up, &["k"]), &[]);
    let pieces: Vec<String> = (0..100).map(|i| format!("w{i} ")).collect();
    up.push(Reply::pieces(pieces).gap(Duration::from_millis(50)));
    let body = json!({"model": "m", "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]})
    .to_string();
    let mut sock = std::net::TcpStream::connect(gw.srv.addr).unwrap();
    write!(
        sock,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        gw.key,
        body.len()
    )
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("data: ") {
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    drop(sock);
    // The full answer would take 5 s; the upstream sees its connection closed long before.
    let t = Instant::now();
    while up.broken() == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "the upstream request was not cancelled"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `body` as a chunked request in `pieces`, pausing between them so each arrives on
/// its own; the raw HTTP answer.
fn post_in_pieces(gw: &Gw, body: &[u8], pieces: usize) -> String {
    use std::io::{Read, Write};
    let mut sock = std::net::TcpStream::connect(gw.srv.addr).unwrap();
    write!(
        sock,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        gw.key
    )
    .unwrap();
    for piece in body.chunks(body.len().div_ceil(pieces)) {
        write!(sock, "{:x}\r\n", piece.len()).unwrap();
        sock.write_all(piece).unwrap();
        sock.write_all(b"\r\n").unwrap();
        sock.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
    // The gateway may answer (413) and close before the last piece; that is its right.
    let _ = sock.write_all(b"0\r\n\r\n");
    let mut got = String::new();
    let _ = sock.read_to_string(&mut got);
    got
}

#[test]
fn a_body_sent_in_pieces_arrives_whole_and_the_limit_holds_without_a_length() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(
        one_provider(&up, &["k"]),
        &[("LLMO_GATEWAY__MAX_BODY_SIZE", "1")],
    );
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "é".repeat(20_000)}],
                      "x_field": [1, 2, 3]});
    let got = post_in_pieces(&gw, body.to_string().as_bytes(), 4);
    assert!(
        got.starts_with("HTTP/1.1 200"),
        "{}",
        &got[..got.len().min(300)]
    );
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    let mut want = body.clone();
    want["model"] = json!("up-m");
    assert_eq!(
        serde_json::from_slice::<Value>(&seen[0].body).unwrap(),
        want
    );

    let big =
        json!({"model": "m", "messages": [{"role": "user", "content": "x".repeat(1_100_000)}]});
    let got = post_in_pieces(&gw, big.to_string().as_bytes(), 8);
    assert!(
        got.starts_with("HTTP/1.1 413"),
        "{}",
        &got[..got.len().min(300)]
    );
    assert!(got.contains("request_too_large"), "{got}");
    assert_eq!(up.seen().len(), 1, "nothing more reached the upstream");
}
