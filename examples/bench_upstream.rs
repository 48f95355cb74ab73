//! A deliberately cheap OpenAI-compatible upstream for `scripts/bench.sh`: a hand-written
//! HTTP/1.1 server on tokio (keep-alive; content-length or chunked request bodies; no
//! framework) so that the proxy in front of it, not the mock, is what the benchmark measures.
//!
//! - `POST /v1/chat/completions`: a fixed small `chat.completion`; with `"stream": true` an
//!   SSE stream (chunked encoding) of a role chunk, `--chunks` content chunks, a finish chunk,
//!   a usage chunk when `stream_options.include_usage` is set, and `data: [DONE]`. Every
//!   event is its own write, optionally `--chunk-delay-ms` apart.
//! - `GET /v1/models`: one model, `bench-upstream`.
//! - A request without an `Authorization` header gets 401, like a real provider, so a proxy
//!   that forgets the key is noticed.
//!
//! ```text
//! cargo run --release --example bench_upstream -- [--port 0] [--threads 2] [--chunks 20] [--chunk-delay-ms 0]
//! ```
//!
//! Prints `listening on 127.0.0.1:PORT` once it accepts connections.

use std::io;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy)]
struct Opts {
    chunks: usize,
    chunk_delay: Duration,
}

fn main() -> io::Result<()> {
    let mut port = 0u16;
    let mut threads = 2usize;
    let mut opts = Opts {
        chunks: 20,
        chunk_delay: Duration::ZERO,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match a.as_str() {
            "--port" => port = parse(&val("--port")),
            "--threads" => threads = parse(&val("--threads")),
            "--chunks" => opts.chunks = parse(&val("--chunks")),
            "--chunk-delay-ms" => {
                opts.chunk_delay =
                    Duration::from_micros((parse::<f64>(&val("--chunk-delay-ms")) * 1000.0) as u64);
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (sock, _) = listener.accept().await?;
            let _ = sock.set_nodelay(true);
            tokio::spawn(async move {
                let _ = serve(sock, opts).await;
            });
        }
    })
}

fn parse<T: std::str::FromStr>(s: &str) -> T {
    s.parse()
        .unwrap_or_else(|_| usage(&format!("bad number {s:?}")))
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("bench_upstream: {msg}");
    }
    eprintln!("usage: bench_upstream [--port 0] [--threads 2] [--chunks 20] [--chunk-delay-ms 0]");
    std::process::exit(2)
}

/// One request head, as much as the mock needs.
struct Head {
    post: bool,
    path: String,
    content_length: usize,
    chunked: bool,
    authorized: bool,
    close: bool,
    head_len: usize,
}

/// Parses a complete request head (`buf` holds at least up to the blank line).
fn parse_head(buf: &[u8], head_len: usize) -> Option<Head> {
    let text = std::str::from_utf8(&buf[..head_len]).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?;
    let path = first.next()?.to_owned();
    let version = first.next()?;
    let mut head = Head {
        post: method == "POST",
        path,
        content_length: 0,
        chunked: false,
        authorized: false,
        close: version == "HTTP/1.0",
        head_len,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("authorization") {
            head.authorized = !value.is_empty();
        } else if name.eq_ignore_ascii_case("connection") {
            head.close = value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    Some(head)
}

fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

async fn serve(mut sock: TcpStream, opts: Opts) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        // Read until a full head is buffered.
        let head_len = loop {
            if let Some(n) = find_blank_line(&buf) {
                break n;
            }
            if buf.len() > 64 * 1024 {
                return Ok(());
            }
            if read_more(&mut sock, &mut buf).await? == 0 {
                return Ok(());
            }
        };
        let Some(head) = parse_head(&buf, head_len) else {
            sock.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await?;
            return Ok(());
        };
        let (decoded, total) = if head.chunked {
            match read_chunked(&mut sock, &mut buf, head.head_len).await? {
                Some((body, end)) => (Some(body), end),
                None => return Ok(()),
            }
        } else {
            let total = head.head_len + head.content_length;
            while buf.len() < total {
                if read_more(&mut sock, &mut buf).await? == 0 {
                    return Ok(());
                }
            }
            (None, total)
        };
        let body = decoded.as_deref().unwrap_or(&buf[head.head_len..total]);
        out.clear();
        let mut stream_request = None;
        if !head.authorized {
            json_response(
                &mut out,
                "401 Unauthorized",
                br#"{"error":{"message":"missing Authorization header","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
            );
        } else if head.post && head.path == "/v1/chat/completions" {
            match serde_json::from_slice::<ChatRequest>(body) {
                Ok(req) if req.stream => stream_request = Some(req),
                Ok(req) => json_response(&mut out, "200 OK", completion(&req.model).as_bytes()),
                Err(e) => json_response(
                    &mut out,
                    "400 Bad Request",
                    serde_json::json!({"error":{"message":format!("bad body: {e}"),"type":"invalid_request_error","param":null,"code":null}})
                        .to_string()
                        .as_bytes(),
                ),
            }
        } else if !head.post && head.path == "/v1/models" {
            json_response(
                &mut out,
                "200 OK",
                br#"{"object":"list","data":[{"id":"bench-upstream","object":"model","created":1700000000,"owned_by":"bench"}]}"#,
            );
        } else {
            json_response(
                &mut out,
                "404 Not Found",
                br#"{"error":{"message":"no such route","type":"invalid_request_error","param":null,"code":null}}"#,
            );
        }
        let close = head.close;
        buf.drain(..total);
        match stream_request {
            Some(req) => stream(&mut sock, &mut out, &req, opts).await?,
            None => sock.write_all(&out).await?,
        }
        if close {
            return Ok(());
        }
    }
}

/// Decodes a chunked request body that starts at `start`; returns it and where the request
/// ends. `None`: the peer closed or sent garbage.
async fn read_chunked(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    start: usize,
) -> io::Result<Option<(Vec<u8>, usize)>> {
    let mut body = Vec::new();
    let mut pos = start;
    loop {
        let line_end = loop {
            if let Some(i) = buf[pos..].windows(2).position(|w| w == b"\r\n") {
                break pos + i;
            }
            if read_more(sock, buf).await? == 0 {
                return Ok(None);
            }
        };
        let line = std::str::from_utf8(&buf[pos..line_end]).unwrap_or("");
        let Ok(size) = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
        else {
            return Ok(None);
        };
        pos = line_end + 2;
        if size == 0 {
            // Trailers (none expected), then the blank line.
            loop {
                while !buf[pos..].windows(2).any(|w| w == b"\r\n") {
                    if read_more(sock, buf).await? == 0 {
                        return Ok(None);
                    }
                }
                let i = buf[pos..]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .unwrap_or(0);
                pos += i + 2;
                if i == 0 {
                    return Ok(Some((body, pos)));
                }
            }
        }
        while buf.len() < pos + size + 2 {
            if read_more(sock, buf).await? == 0 {
                return Ok(None);
            }
        }
        body.extend_from_slice(&buf[pos..pos + size]);
        pos += size + 2;
    }
}

async fn read_more(sock: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(8192);
    }
    sock.read_buf(buf).await
}

fn json_response(out: &mut Vec<u8>, status: &str, body: &[u8]) {
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
}

#[derive(Deserialize)]
struct ChatRequest {
    #[serde(default)]
    model: String,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

const CREATED: u64 = 1_700_000_000;

/// The model name as a JSON string literal (quoted and escaped).
fn quoted(model: &str) -> String {
    serde_json::to_string(model).unwrap_or_else(|_| "\"\"".into())
}

fn completion(model: &str) -> String {
    format!(
        r#"{{"id":"chatcmpl-bench","object":"chat.completion","created":{CREATED},"model":{},"choices":[{{"index":0,"message":{{"role":"assistant","content":"Hello! This is a fixed benchmark answer."}},"logprobs":null,"finish_reason":"stop"}}],"usage":{{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}}}"#,
        quoted(model)
    )
}

/// One `chat.completion.chunk`; `model` is already quoted, `delta` and `finish` are JSON.
fn chunk(model: &str, delta: &str, finish: &str) -> String {
    format!(
        r#"{{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":{CREATED},"model":{model},"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]}}"#
    )
}

/// Appends one SSE event as one HTTP chunk.
fn push_event(out: &mut Vec<u8>, data: &str) {
    let len = data.len() + "data: \n\n".len();
    out.extend_from_slice(format!("{len:x}\r\ndata: {data}\n\n\r\n").as_bytes());
}

async fn stream(
    sock: &mut TcpStream,
    out: &mut Vec<u8>,
    req: &ChatRequest,
    opts: Opts,
) -> io::Result<()> {
    let m = quoted(&req.model);
    out.extend_from_slice(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    push_event(
        out,
        &chunk(&m, r#"{"role":"assistant","content":""}"#, "null"),
    );
    let mut events = Vec::with_capacity(opts.chunks + 3);
    for i in 0..opts.chunks {
        events.push(chunk(&m, &format!(r#"{{"content":"tok{i} "}}"#), "null"));
    }
    events.push(chunk(&m, "{}", r#""stop""#));
    if req.stream_options.as_ref().is_some_and(|o| o.include_usage) {
        let n = opts.chunks;
        events.push(format!(
            r#"{{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":{CREATED},"model":{m},"choices":[],"usage":{{"prompt_tokens":12,"completion_tokens":{n},"total_tokens":{}}}}}"#,
            12 + n
        ));
    }
    events.push("[DONE]".to_owned());
    // The head and the first event go out together; every later event is its own write.
    sock.write_all(out).await?;
    let last = events.len() - 1;
    for (i, e) in events.iter().enumerate() {
        if !opts.chunk_delay.is_zero() {
            tokio::time::sleep(opts.chunk_delay).await;
        }
        out.clear();
        push_event(out, e);
        if i == last {
            out.extend_from_slice(b"0\r\n\r\n");
        }
        sock.write_all(out).await?;
    }
    Ok(())
}
