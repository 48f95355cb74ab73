//! A real HTTP server standing in for upstream providers, on 127.0.0.1 and a free port, that
//! each test scripts to behave well or badly.
//!
//! It owns the upstream's side of the wire: OpenAI's `POST /v1/chat/completions` (plain,
//! streamed, tool calls), `/v1/completions` and `/v1/embeddings`; Anthropic's
//! `POST /v1/messages` and Gemini's `:generateContent` / `:streamGenerateContent?alt=sse`
//! (plain, streamed, tool calls, JSON mode, thinking, usage; `anthropic` and `gemini`
//! submodules); stop sequences on every chat protocol; the model lists of OpenAI
//! `GET /v1/models`, Anthropic `GET /v1/models` (`x-api-key`) and Gemini `GET /v1beta/models`;
//! and the failures a gateway must survive (status codes with headers, delays, hangs, resets,
//! malformed JSON, streams cut or stalled mid-way). It records every request (method, path,
//! headers, body, arrival time) so a test can check what went over the wire. Assertions about
//! the gateway belong in the tests, not here.
//!
//! It is a small hand-written HTTP/1.1 server (keep-alive, `Content-Length` or chunked request
//! bodies, chunked streamed responses) on its own thread and tokio runtime, because resetting a
//! connection or dropping it mid-stream needs the raw socket. Every connection is its own task:
//! a hanging or slow reply never holds up another connection. Its delays are wall-clock even
//! when a test pauses tokio's clock. Dropping the [`MockUpstream`] stops the server and closes
//! every connection, hanging ones included.
//!
//! POST requests take scripted replies from a queue ([`MockUpstream::push`]) in arrival order,
//! then the default ([`MockUpstream::set_default`], initially [`Reply::ok`]). Model-list GETs are
//! never scripted.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

mod anthropic;
mod gemini;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: Vec<(String, String)>,
    /// The body as sent (chunked bodies decoded).
    pub body: Vec<u8>,
    /// When the request had been read in full.
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        origin_form(&self.uri).split('?').next().unwrap_or("")
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: body is not JSON ({e}): {}",
                self.method,
                self.uri,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// What the mock does with one POST request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The protocol's normal answer for the path, streamed when the request says
    /// `"stream": true`. Built with [`Reply::ok`], [`Reply::text`] or [`Reply::pieces`].
    Ok(Answer),
    /// This status, body and headers (constructors set `content-type`).
    Status {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// Nothing at all (not even headers) for this long, then the inner reply.
    Delay(Duration, Box<Reply>),
    /// Read the request, never answer; the connection stays open until the mock is dropped.
    Hang,
    /// Read the request, then reset the connection (RST) without a byte of answer.
    Reset,
    /// 200 with a body that is not JSON: `application/json` for a plain request; for a
    /// streaming request an event stream whose first event's data is not JSON, then `[DONE]`.
    Malformed,
}

/// The normal answer and, for streaming requests, how the stream goes. A stream is a list of
/// events: for chat the role chunk, one chunk per piece, the `finish_reason` chunk, the usage
/// chunk (only when the request sets `stream_options.include_usage`), then `[DONE]`; for
/// completions the same without the role chunk. Stream controls do not affect plain answers.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Content pieces, one chunk each; joined for a plain answer. `None`: "hello from {name}"
    /// in three pieces. A chat request with `tools` (and no `tool_choice: "none"`) gets a call
    /// of the named or first tool instead, with arguments `{"from": <the joined pieces>}`.
    pub pieces: Option<Vec<String>>,
    pub headers: Vec<(String, String)>,
    /// After the response headers, before the first event.
    pub first_delay: Duration,
    /// Between events.
    pub gap: Duration,
    /// Send this many events, then drop the connection without the end of the chunked body.
    pub cut_after: Option<usize>,
    /// After this many events, send nothing for this long, then go on.
    pub silence_after: Option<(usize, Duration)>,
    /// Send the chunk carrying `finish_reason`.
    pub finish: bool,
    /// Send `data: [DONE]`.
    pub done: bool,
    /// Raw event data put at an event index (0 = first event), e.g. something that is not JSON.
    pub raw: Vec<(usize, String)>,
    /// Prompt tokens reported as read from the upstream's cache.
    pub cached: usize,
    /// OpenAI chat answers carry no usage at all (as some compatible servers do).
    pub no_usage: bool,
}

impl Default for Answer {
    fn default() -> Self {
        Answer {
            pieces: None,
            headers: Vec::new(),
            first_delay: Duration::ZERO,
            gap: Duration::ZERO,
            cut_after: None,
            silence_after: None,
            finish: true,
            done: true,
            raw: Vec::new(),
            cached: 0,
            no_usage: false,
        }
    }
}

impl Answer {
    /// Content in pieces split before each space ("a b" streams as "a", " b").
    pub fn text(mut self, text: &str) -> Self {
        let mut pieces = Vec::new();
        let mut cur = String::new();
        for c in text.chars() {
            if c == ' ' && !cur.is_empty() {
                pieces.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
        pieces.push(cur);
        self.pieces = Some(pieces);
        self
    }
    pub fn pieces<S: Into<String>>(mut self, pieces: impl IntoIterator<Item = S>) -> Self {
        self.pieces = Some(pieces.into_iter().map(Into::into).collect());
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn first_delay(mut self, d: Duration) -> Self {
        self.first_delay = d;
        self
    }
    pub fn gap(mut self, d: Duration) -> Self {
        self.gap = d;
        self
    }
    pub fn cut_after(mut self, events: usize) -> Self {
        self.cut_after = Some(events);
        self
    }
    pub fn silence_after(mut self, events: usize, d: Duration) -> Self {
        self.silence_after = Some((events, d));
        self
    }
    pub fn no_finish(mut self) -> Self {
        self.finish = false;
        self
    }
    pub fn no_done(mut self) -> Self {
        self.done = false;
        self
    }
    pub fn raw_at(mut self, index: usize, data: &str) -> Self {
        self.raw.push((index, data.into()));
        self
    }
    pub fn cached(mut self, tokens: usize) -> Self {
        self.cached = tokens;
        self
    }
    pub fn no_usage(mut self) -> Self {
        self.no_usage = true;
        self
    }
}

impl From<Answer> for Reply {
    fn from(a: Answer) -> Reply {
        Reply::Ok(a)
    }
}

impl Reply {
    /// The default answer (see [`Answer`] for the stream controls).
    pub fn ok() -> Answer {
        Answer::default()
    }
    /// The normal answer with this content.
    pub fn text(text: &str) -> Answer {
        Answer::default().text(text)
    }
    /// The normal answer with content streamed in exactly these pieces.
    pub fn pieces<S: Into<String>>(pieces: impl IntoIterator<Item = S>) -> Answer {
        Answer::default().pieces(pieces)
    }
    /// `status` with a JSON body.
    pub fn status(status: u16, body: Value) -> Reply {
        Reply::Status {
            status,
            body: body.to_string(),
            headers: vec![("content-type".into(), "application/json".into())],
        }
    }
    /// `status` with a plain-text body (what a proxy in front of a provider might send).
    pub fn status_text(status: u16, body: &str) -> Reply {
        Reply::Status {
            status,
            body: body.into(),
            headers: vec![("content-type".into(), "text/plain".into())],
        }
    }
    /// `status` with OpenAI's error body.
    pub fn error(status: u16, kind: &str, message: &str) -> Reply {
        Reply::status(status, openai_error(kind, message, None))
    }
    /// `status` with Anthropic's error body (`kind`: `invalid_request_error`,
    /// `overloaded_error`, ...).
    pub fn anthropic_error(status: u16, kind: &str, message: &str) -> Reply {
        Reply::status(status, anthropic::error(kind, message))
    }
    /// `status` with Gemini's error body (`state`: `INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`, ...).
    pub fn gemini_error(status: u16, state: &str, message: &str) -> Reply {
        Reply::status(status, gemini::error(status, state, message))
    }
    /// 429 with `Retry-After: {secs}` and OpenAI's rate-limit error body.
    pub fn rate_limited(retry_after_secs: u64) -> Reply {
        let message = "Rate limit reached (mock)";
        Reply::status(
            429,
            openai_error("requests", message, Some("rate_limit_exceeded")),
        )
        .with_header("retry-after", &retry_after_secs.to_string())
    }
    pub fn delay(d: Duration, then: impl Into<Reply>) -> Reply {
        Reply::Delay(d, Box::new(then.into()))
    }
    /// Adds a response header to a status or normal answer (through delays).
    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Ok(a) => Reply::Ok(a.header(name, value)),
            Reply::Status {
                status,
                body,
                mut headers,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Status {
                    status,
                    body,
                    headers,
                }
            }
            Reply::Delay(d, r) => Reply::Delay(d, Box::new(r.with_header(name, value))),
            other => panic!("no headers on {other:?}"),
        }
    }
}

pub struct MockUpstream {
    pub addr: SocketAddr,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct State {
    name: String,
    models: Vec<String>,
    seen: Mutex<Vec<Seen>>,
    /// How many requests `seen` holds, for [`MockUpstream::wait_seen`].
    count: tokio::sync::watch::Sender<usize>,
    queue: Mutex<VecDeque<Reply>>,
    default: Mutex<Reply>,
    /// Numbers response ids.
    next_id: AtomicU64,
    /// Answers that broke off because the client (the gateway) closed the connection.
    broken: AtomicU64,
}

impl MockUpstream {
    /// Serves `models` on every protocol's model list; answers say "hello from mock".
    pub fn start(models: &[&str]) -> MockUpstream {
        MockUpstream::start_named("mock", models)
    }

    /// Like [`MockUpstream::start`], but answers say "hello from {name}", so a test can tell
    /// which upstream answered.
    pub fn start_named(name: &str, models: &[&str]) -> MockUpstream {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let state = Arc::new(State {
            name: name.into(),
            models: models.iter().map(|s| s.to_string()).collect(),
            seen: Mutex::new(Vec::new()),
            count: tokio::sync::watch::channel(0).0,
            queue: Mutex::new(VecDeque::new()),
            default: Mutex::new(Reply::ok().into()),
            next_id: AtomicU64::new(1),
            broken: AtomicU64::new(0),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("mock-upstream-{name}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let accept = async {
                        loop {
                            let Ok((sock, _)) = listener.accept().await else {
                                continue;
                            };
                            tokio::spawn(serve_conn(st.clone(), sock));
                        }
                    };
                    tokio::select! {
                        _ = stopped => {}
                        _ = accept => {}
                    }
                });
                // Dropping the runtime drops every connection task and so its socket.
                drop(rt);
            })
            .unwrap();
        MockUpstream {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn name(&self) -> &str {
        &self.state.name
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived (in full).
    pub async fn wait_seen(&self, n: usize) {
        let mut rx = self.state.count.subscribe();
        rx.wait_for(|c| *c >= n).await.unwrap();
    }

    /// Queues a reply for the next POST request that finds the queue non-empty.
    pub fn push(&self, reply: impl Into<Reply>) {
        self.state.queue.lock().unwrap().push_back(reply.into());
    }

    pub fn push_n(&self, n: usize, reply: impl Into<Reply>) {
        let reply = reply.into();
        let mut q = self.state.queue.lock().unwrap();
        q.extend(std::iter::repeat_n(reply, n));
    }

    /// The reply when the queue is empty (initially [`Reply::ok`]).
    pub fn set_default(&self, reply: impl Into<Reply>) {
        *self.state.default.lock().unwrap() = reply.into();
    }

    /// How many answers broke off because the other side closed the connection mid-way.
    pub fn broken(&self) -> u64 {
        self.state.broken.load(Ordering::SeqCst)
    }

    /// Scripted replies not yet taken.
    pub fn remaining(&self) -> usize {
        self.state.queue.lock().unwrap().len()
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---- the HTTP/1.1 server ----

type Conn = BufReader<TcpStream>;

struct Request {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        origin_form(&self.uri).split('?').next().unwrap_or("")
    }
}

/// The path and query of a request target; a proxy is sent the absolute form
/// (`http://host/path`), which servers must accept too.
fn origin_form(uri: &str) -> &str {
    match uri.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => uri,
    }
}

/// Whether the connection can carry another request.
enum After {
    KeepAlive,
    Close,
}

async fn serve_conn(state: Arc<State>, sock: TcpStream) {
    let _ = sock.set_nodelay(true);
    let mut conn = BufReader::new(sock);
    loop {
        let req = match read_request(&mut conn).await {
            Ok(Some(req)) => req,
            _ => return,
        };
        {
            let mut seen = state.seen.lock().unwrap();
            seen.push(Seen {
                method: req.method.clone(),
                uri: req.uri.clone(),
                headers: req.headers.clone(),
                body: req.body.clone(),
                at: Instant::now(),
            });
            state.count.send_replace(seen.len());
        }
        let reply = if req.method == "POST" {
            let scripted = state.queue.lock().unwrap().pop_front();
            scripted.unwrap_or_else(|| state.default.lock().unwrap().clone())
        } else {
            Reply::ok().into()
        };
        match respond(&state, &req, reply, &mut conn).await {
            Ok(After::KeepAlive) if req.keep_alive => {}
            Ok(_) => return,
            Err(_) => {
                state.broken.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
    }
}

async fn read_request(conn: &mut Conn) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(uri), version) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (method, uri) = (method.to_string(), uri.to_string());
    let http10 = version == Some("HTTP/1.0");
    let mut headers = Vec::new();
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut req = Request {
        method,
        uri,
        headers,
        body: Vec::new(),
        keep_alive: !http10,
    };
    if let Some(c) = req.header("connection") {
        req.keep_alive = !c.eq_ignore_ascii_case("close");
    }
    if req
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        conn.get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await?;
    }
    if req
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        loop {
            line.clear();
            conn.read_line(&mut line).await?;
            let size = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size, 16).map_err(std::io::Error::other)?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    line.clear();
                    if conn.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = req.body.len();
            req.body.resize(start + size, 0);
            conn.read_exact(&mut req.body[start..]).await?;
            line.clear();
            conn.read_line(&mut line).await?;
        }
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().map_err(std::io::Error::other)?;
        req.body.resize(len, 0);
        conn.read_exact(&mut req.body).await?;
    }
    Ok(Some(req))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

async fn write_full(
    conn: &mut Conn,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    keep_alive: bool,
) -> std::io::Result<After> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n", body.len()));
    if !keep_alive {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    conn.get_mut().write_all(&bytes).await?;
    Ok(After::KeepAlive)
}

fn json_headers(extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut h = vec![("content-type".to_string(), "application/json".to_string())];
    h.extend_from_slice(extra);
    h
}

async fn respond(
    state: &State,
    req: &Request,
    mut reply: Reply,
    conn: &mut Conn,
) -> std::io::Result<After> {
    while let Reply::Delay(d, inner) = reply {
        tokio::time::sleep(d).await;
        reply = *inner;
    }
    let ka = req.keep_alive;
    match reply {
        Reply::Delay(..) => unreachable!(),
        Reply::Hang => std::future::pending().await,
        Reply::Reset => {
            conn.get_ref().set_zero_linger()?;
            Ok(After::Close)
        }
        Reply::Status {
            status,
            body,
            headers,
        } => write_full(conn, status, &headers, body.as_bytes(), ka).await,
        Reply::Malformed if wants_stream(req) => {
            let events = vec![Event::Raw("{\"id\": \"chatcmpl-mock\", not json".into())];
            write_stream(conn, &[], events, &Answer::default(), true).await
        }
        Reply::Malformed => {
            let body = b"{\"id\": \"chatcmpl-mock\", \"object\": \"chat.compl";
            write_full(conn, 200, &json_headers(&[]), body, ka).await
        }
        Reply::Ok(answer) => match normal_answer(state, req, &answer) {
            Out::Json(status, body) => {
                let headers = json_headers(&answer.headers);
                write_full(conn, status, &headers, body.to_string().as_bytes(), ka).await
            }
            Out::Events(events) => write_stream(conn, &answer.headers, events, &answer, true).await,
            Out::Native(events) => {
                write_stream(conn, &answer.headers, events, &answer, false).await
            }
        },
    }
}

fn wants_stream(req: &Request) -> bool {
    req.path().ends_with(":streamGenerateContent")
        || serde_json::from_slice::<Value>(&req.body).is_ok_and(|b| b["stream"] == true)
}

// ---- the protocols' normal answers ----

/// A normal answer before it goes on the wire.
enum Out {
    Json(u16, Value),
    /// Server-sent events, before `answer.raw` and `[DONE]` are added.
    Events(Vec<Event>),
    /// Server-sent events of a protocol without `[DONE]` (its own ending is in the list).
    Native(Vec<Event>),
}

fn openai_error(kind: &str, message: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

fn bad_request(message: &str) -> Out {
    Out::Json(400, openai_error("invalid_request_error", message, None))
}

fn normal_answer(state: &State, req: &Request, answer: &Answer) -> Out {
    let path = req.path();
    let not_found = || {
        let message = format!("Unknown request URL: {} {path}", req.method);
        Out::Json(
            404,
            openai_error("invalid_request_error", &message, Some("unknown_url")),
        )
    };
    if req.method != "POST" {
        return if path.ends_with("/v1beta/models") {
            Out::Json(200, gemini_models(state))
        } else if path.ends_with("/models") {
            v1_models(state, req)
        } else {
            not_found()
        };
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(e) => {
            return bad_request(&format!(
                "We could not parse the JSON body of your request: {e}"
            ))
        }
    };
    if path.ends_with("/v1/messages") {
        return anthropic::answer(state, req, &body, answer);
    }
    if path.contains(":generateContent") || path.contains(":streamGenerateContent") {
        return gemini::answer(state, req, &body, answer);
    }
    let Some(model) = body["model"].as_str() else {
        return bad_request("you must provide a model parameter");
    };
    let n = state.next_id.fetch_add(1, Ordering::Relaxed);
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (pieces, _) = stopped(pieces(state, answer), &stops(&body["stop"]));
    let limit = body["max_completion_tokens"]
        .as_u64()
        .or(body["max_tokens"].as_u64());
    let (mut pieces, cut_short) = limited(pieces, limit);
    if matches!(
        body["response_format"]["type"].as_str(),
        Some("json_object" | "json_schema")
    ) {
        pieces = vec![json!({ "from": pieces.concat() }).to_string()];
    }
    let completion_tokens = pieces.concat().split_whitespace().count();
    let include_usage = body["stream_options"]["include_usage"] == true;
    let stream = body["stream"] == true;

    if path.ends_with("/chat/completions") {
        let Some(messages) = body["messages"].as_array() else {
            return bad_request("'messages' is a required property");
        };
        let prompt_tokens = messages.iter().map(|m| words_in(&m["content"])).sum();
        let chat = Chat {
            id: format!("chatcmpl-mock-{n}"),
            created,
            model,
            tool: tool_call(&body, n),
            cut_short,
            pieces: &pieces,
            usage: cached_usage(usage(prompt_tokens, completion_tokens), answer.cached),
        };
        if stream {
            Out::Events(chat.events(answer, include_usage && !answer.no_usage))
        } else if answer.no_usage {
            let mut plain = chat.plain();
            plain.as_object_mut().unwrap().remove("usage");
            Out::Json(200, plain)
        } else {
            Out::Json(200, chat.plain())
        }
    } else if path.ends_with("/completions") {
        if body.get("prompt").is_none() {
            return bad_request("'prompt' is a required property");
        }
        let id = format!("cmpl-mock-{n}");
        let usage = usage(words_in(&body["prompt"]), completion_tokens);
        let chunk = |text: &str, finish: Value| {
            json!({"id": id, "object": "text_completion", "created": created, "model": model,
                "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": finish}]})
        };
        if !stream {
            let mut c = chunk(&pieces.concat(), json!("stop"));
            c["usage"] = usage;
            return Out::Json(200, c);
        }
        let mut events: Vec<Event> = pieces
            .iter()
            .map(|p| Event::Json(chunk(p, Value::Null)))
            .collect();
        if answer.finish {
            events.push(Event::Json(chunk("", json!("stop"))));
        }
        if include_usage {
            events.push(Event::Json(json!({"id": id, "object": "text_completion",
                "created": created, "model": model, "choices": [], "usage": usage})));
        }
        Out::Events(events)
    } else if path.ends_with("/embeddings") {
        match embeddings(&body, model) {
            Ok(b) => Out::Json(200, b),
            Err(msg) => bad_request(&msg),
        }
    } else {
        not_found()
    }
}

/// The answer's content pieces: scripted, else "hello from {name}" in three.
fn pieces(state: &State, answer: &Answer) -> Vec<String> {
    answer.pieces.clone().unwrap_or_else(|| {
        Answer::default()
            .text(&format!("hello from {}", state.name))
            .pieces
            .unwrap()
    })
}

/// Stop sequences as a request gives them: a string, strings, or nothing.
fn stops(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// The pieces cut before the first stop sequence in their text, and the sequence that
/// stopped them.
fn stopped(pieces: Vec<String>, stops: &[String]) -> (Vec<String>, Option<String>) {
    let text = pieces.concat();
    let Some((at, stop)) = stops
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|at| (at, s.clone())))
        .min()
    else {
        return (pieces, None);
    };
    let mut out = Vec::new();
    let mut len = 0;
    for p in pieces {
        if len >= at {
            break;
        }
        let keep = (at - len).min(p.len());
        len += p.len();
        if keep > 0 {
            out.push(p[..keep].to_string());
        }
    }
    (out, Some(stop))
}

/// At most `limit` pieces (each stands for a token), and whether that cut the answer short.
fn limited(pieces: Vec<String>, limit: Option<u64>) -> (Vec<String>, bool) {
    match limit {
        Some(n) if (n as usize) < pieces.len() => (pieces[..n as usize].to_vec(), true),
        _ => (pieces, false),
    }
}

fn cached_usage(mut usage: Value, cached: usize) -> Value {
    if cached > 0 {
        usage["prompt_tokens_details"] = json!({ "cached_tokens": cached });
    }
    usage
}

/// Token counts stand in as word counts; a prompt counts at least one.
fn usage(prompt: usize, completion: usize) -> Value {
    let prompt = prompt.max(1);
    json!({"prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": prompt + completion})
}

/// A stand-in token count: words in a string, an array of strings or of content parts.
fn words_in(v: &Value) -> usize {
    match v {
        Value::String(s) => s.split_whitespace().count(),
        Value::Array(a) => a
            .iter()
            .map(|p| match p {
                Value::Object(o) => o.get("text").map_or(0, words_in),
                Value::Number(_) => 1,
                other => words_in(other),
            })
            .sum(),
        _ => 0,
    }
}

struct ToolCall {
    id: String,
    name: String,
}

/// The function to call when the request offers tools and does not say `tool_choice: "none"`:
/// the one `tool_choice` names, else the first.
fn tool_call(body: &Value, n: u64) -> Option<ToolCall> {
    let tools = body["tools"].as_array().filter(|t| !t.is_empty())?;
    if body["tool_choice"] == "none" {
        return None;
    }
    let name = body["tool_choice"]["function"]["name"]
        .as_str()
        .or_else(|| tools[0]["function"]["name"].as_str())
        .unwrap_or("tool");
    Some(ToolCall {
        id: format!("call_mock_{n}"),
        name: name.to_string(),
    })
}

struct Chat<'a> {
    id: String,
    created: u64,
    model: &'a str,
    tool: Option<ToolCall>,
    /// `max_tokens` ended the answer.
    cut_short: bool,
    pieces: &'a [String],
    usage: Value,
}

impl Chat<'_> {
    /// A tool call's arguments, in two pieces when streamed.
    fn arguments(&self) -> [String; 2] {
        [
            "{\"from\":".to_string(),
            serde_json::to_string(&self.pieces.concat()).unwrap() + "}",
        ]
    }

    fn finish_reason(&self) -> &'static str {
        if self.tool.is_some() {
            "tool_calls"
        } else if self.cut_short {
            "length"
        } else {
            "stop"
        }
    }

    fn plain(&self) -> Value {
        let message = match &self.tool {
            Some(t) => json!({"role": "assistant", "content": null, "refusal": null,
                "tool_calls": [{"id": t.id, "type": "function",
                    "function": {"name": t.name, "arguments": self.arguments().concat()}}]}),
            None => json!({"role": "assistant", "content": self.pieces.concat(), "refusal": null}),
        };
        json!({"id": self.id, "object": "chat.completion", "created": self.created,
            "model": self.model, "system_fingerprint": null,
            "choices": [{"index": 0, "message": message, "logprobs": null,
                "finish_reason": self.finish_reason()}],
            "usage": self.usage})
    }

    fn events(&self, answer: &Answer, include_usage: bool) -> Vec<Event> {
        let chunk = |delta: Value, finish: Value| {
            let mut c = json!({"id": self.id, "object": "chat.completion.chunk",
                "created": self.created, "model": self.model, "system_fingerprint": null,
                "choices": [{"index": 0, "delta": delta, "logprobs": null,
                    "finish_reason": finish}]});
            if include_usage {
                c["usage"] = Value::Null;
            }
            Event::Json(c)
        };
        let mut events = Vec::new();
        match &self.tool {
            Some(t) => {
                events.push(chunk(
                    json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0,
                        "id": t.id, "type": "function",
                        "function": {"name": t.name, "arguments": ""}}]}),
                    Value::Null,
                ));
                for a in self.arguments() {
                    events.push(chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": a}}]}),
                        Value::Null,
                    ));
                }
            }
            None => {
                events.push(chunk(
                    json!({"role": "assistant", "content": "", "refusal": null}),
                    Value::Null,
                ));
                for p in self.pieces {
                    events.push(chunk(json!({"content": p}), Value::Null));
                }
            }
        }
        if answer.finish {
            events.push(chunk(json!({}), json!(self.finish_reason())));
        }
        if include_usage {
            events.push(Event::Json(
                json!({"id": self.id, "object": "chat.completion.chunk",
                "created": self.created, "model": self.model, "system_fingerprint": null,
                "choices": [], "usage": self.usage}),
            ));
        }
        events
    }
}

fn embeddings(body: &Value, model: &str) -> Result<Value, String> {
    let texts: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) if a.iter().all(Value::is_number) && !a.is_empty() => {
            vec![Value::Array(a.clone()).to_string()]
        }
        Value::Array(a) if !a.is_empty() => a.iter().map(|v| v.to_string()).collect(),
        _ => return Err("'input' must be a non-empty string or array".into()),
    };
    let dims = body["dimensions"].as_u64().unwrap_or(8) as usize;
    let base64 = body["encoding_format"] == "base64";
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let v = vector(t, dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    let tokens = words_in(&body["input"]).max(1);
    Ok(json!({"object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
}

/// A deterministic vector in [-1, 1) for a text.
fn vector(text: &str, dims: usize) -> Vec<f32> {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    (0..dims)
        .map(|_| {
            h = h
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((h >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// OpenAI (`Authorization: Bearer`) and Anthropic (`x-api-key`) share this path.
fn v1_models(state: &State, req: &Request) -> Out {
    if req.header("x-api-key").is_some() {
        let data: Vec<_> = state
            .models
            .iter()
            .map(|m| json!({ "type": "model", "id": m, "display_name": m.to_uppercase() }))
            .collect();
        return Out::Json(
            200,
            json!({ "data": data, "has_more": false, "last_id": state.models.last() }),
        );
    }
    if req.header("authorization").is_none() {
        return Out::Json(401, openai_error("invalid_request_error", "no key", None));
    }
    let data: Vec<_> = state
        .models
        .iter()
        .map(|m| json!({ "id": m, "object": "model", "owned_by": "mock" }))
        .collect();
    Out::Json(200, json!({ "object": "list", "data": data }))
}

fn gemini_models(state: &State) -> Value {
    let data: Vec<_> = state
        .models
        .iter()
        .map(|m| json!({ "name": format!("models/{m}"), "displayName": m }))
        .collect();
    json!({ "models": data })
}

// ---- server-sent events ----

enum Event {
    Json(Value),
    /// An event with an `event:` name (Anthropic names every event).
    Named(&'static str, Value),
    Raw(String),
}

/// Writes `events` (with `answer.raw` spliced in and `[DONE]` when `answer.done`), one HTTP
/// chunk each, under the stream controls of `answer`.
async fn write_stream(
    conn: &mut Conn,
    headers: &[(String, String)],
    events: Vec<Event>,
    answer: &Answer,
    done_marker: bool,
) -> std::io::Result<After> {
    let mut data: Vec<String> = events
        .into_iter()
        .map(|e| match e {
            Event::Json(v) => format!("data: {v}"),
            Event::Named(name, v) => format!("event: {name}\ndata: {v}"),
            Event::Raw(s) => format!("data: {s}"),
        })
        .collect();
    for (i, raw) in &answer.raw {
        data.insert((*i).min(data.len()), format!("data: {raw}"));
    }
    if answer.done && done_marker {
        data.push("data: [DONE]".into());
    }
    let mut head = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n\
         cache-control: no-cache\r\ntransfer-encoding: chunked\r\n",
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let sock = conn.get_mut();
    sock.write_all(head.as_bytes()).await?;
    tokio::time::sleep(answer.first_delay).await;
    // Index `data.len()` is the end of the body.
    for i in 0..=data.len() {
        if answer.cut_after == Some(i) {
            return Ok(After::Close);
        }
        if let Some((after, d)) = answer.silence_after {
            if after == i {
                tokio::time::sleep(d).await;
            }
        }
        if i > 0 && i < data.len() {
            tokio::time::sleep(answer.gap).await;
        }
        let Some(d) = data.get(i) else { break };
        let event = format!("{d}\n\n");
        sock.write_all(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes())
            .await?;
        sock.flush().await?;
    }
    // A cut after more events than there are still leaves the body unfinished.
    if answer.cut_after.is_some() {
        return Ok(After::Close);
    }
    sock.write_all(b"0\r\n\r\n").await?;
    Ok(After::KeepAlive)
}
