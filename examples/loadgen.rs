//! The load generator and report builder of `scripts/bench.sh`.
//!
//! ```text
//! loadgen run --url http://HOST:PORT/PATH [--key KEY] [--model M] [--stream] [--history BYTES] [-c 1]
//!             (-n N | --duration SECS) [--warmup N] [--threads 2] [--label L] [--case C]
//!             [--timeout SECS] [--watch NAME=PID[,PID..]]...
//! loadgen report FILE.jsonl     markdown table of every label (medians over rounds), targets
//! loadgen free-port             print a port that was free a moment ago
//! ```
//!
//! `run` is a closed loop: `-c` workers, each on its own HTTP/1.1 keep-alive connection
//! (opened during the warm-up), send `POST` with an OpenAI chat body and the key as
//! `Authorization: Bearer`, read the whole answer (with `--stream`, the whole SSE stream up
//! to `data: [DONE]` and the last chunk), and send the next, until `-n` requests are done or
//! `--duration` has passed. Latency runs from just before the request is written to the last
//! body byte; time to first token (streams) to the first body bytes, i.e. the first SSE
//! event. A non-200 answer, a cut or malformed answer, or a stream without `[DONE]` counts as
//! an error, never as a sample.
//!
//! The HTTP/1.1 client is hand-written on tokio (content-length and chunked bodies, no TLS):
//! a general-purpose client costs a few times more CPU per request than a proxy hop, and on a
//! small machine the load generator would then be the bottleneck, hiding what the proxy
//! costs. `--watch` reports CPU time per request of other processes (and of the load
//! generator itself) over the measured phase, from /proc/PID/stat.
//!
//! Output: one JSON line with counts, errors by kind, requests/s, latency and TTFT
//! percentiles in microseconds, and CPU microseconds per request.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("report") => report(&args[1..]),
        Some("free-port") => {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| die(&e));
            println!("{}", l.local_addr().unwrap_or_else(|e| die(&e)).port());
        }
        _ => usage("missing or unknown command"),
    }
}

fn usage(msg: &str) -> ! {
    eprintln!("loadgen: {msg}");
    eprintln!(
        "usage: loadgen run --url http://HOST:PORT/PATH [--key K] [--model M] [--stream] \
         [--history BYTES] [-c C] \
         (-n N | --duration S) [--warmup N] [--threads T] [--label L] [--case C] [--timeout S] \
         [--watch NAME=PID[,PID..]]...\n       \
         loadgen report FILE.jsonl\n       loadgen free-port"
    );
    std::process::exit(2)
}

fn die(e: &dyn std::fmt::Display) -> ! {
    eprintln!("loadgen: {e}");
    std::process::exit(1)
}

struct RunOpts {
    url: String,
    key: String,
    model: String,
    stream: bool,
    /// Earlier turns of a conversation, about this many bytes of JSON in all (`--history`).
    history: usize,
    concurrency: usize,
    requests: Option<u64>,
    duration: Option<Duration>,
    warmup: u64,
    threads: usize,
    label: String,
    case: String,
    timeout: Duration,
    watch: Vec<(String, Vec<u32>)>,
}

fn parse_run(args: &[String]) -> RunOpts {
    let mut o = RunOpts {
        url: String::new(),
        key: "sk-bench".into(),
        model: "bench-upstream".into(),
        stream: false,
        history: 0,
        concurrency: 1,
        requests: None,
        duration: None,
        warmup: 0,
        threads: 2,
        label: String::new(),
        case: String::new(),
        timeout: Duration::from_secs(30),
        watch: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        fn num<T: std::str::FromStr>(s: &str) -> T {
            s.parse()
                .unwrap_or_else(|_| usage(&format!("bad number {s:?}")))
        }
        match a.as_str() {
            "--url" => o.url = val(),
            "--key" => o.key = val(),
            "--model" => o.model = val(),
            "--stream" => o.stream = true,
            "--history" => o.history = num(&val()),
            "-c" | "--concurrency" => o.concurrency = num::<usize>(&val()).max(1),
            "-n" | "--requests" => o.requests = Some(num(&val())),
            "--duration" => o.duration = Some(Duration::from_secs_f64(num(&val()))),
            "--warmup" => o.warmup = num(&val()),
            "--threads" => o.threads = num::<usize>(&val()).max(1),
            "--label" => o.label = val(),
            "--case" => o.case = val(),
            "--timeout" => o.timeout = Duration::from_secs_f64(num(&val())),
            "--watch" => {
                let v = val();
                let (name, pids) = v
                    .split_once('=')
                    .unwrap_or_else(|| usage("--watch takes NAME=PID[,PID..]"));
                let pids = pids.split(',').filter(|p| !p.is_empty()).map(num).collect();
                o.watch.push((name.to_owned(), pids));
            }
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if o.url.is_empty() {
        usage("--url is required");
    }
    if o.requests.is_none() && o.duration.is_none() {
        usage("give -n or --duration");
    }
    o
}

/// `http://host:port/path` -> (`host:port`, `/path`).
fn split_url(url: &str) -> (String, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| usage("--url must be http://HOST:PORT/PATH (no TLS)"));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    (authority, path.to_owned())
}

/// What one worker saw.
#[derive(Default)]
struct Samples {
    latency_us: Vec<u64>,
    ttft_us: Vec<u64>,
    errors: BTreeMap<String, u64>,
    first_error: Option<String>,
}

impl Samples {
    fn error(&mut self, kind: &str, detail: String) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
        self.first_error.get_or_insert(detail);
    }

    fn merge(&mut self, other: Samples) {
        self.latency_us.extend(other.latency_us);
        self.ttft_us.extend(other.ttft_us);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

struct Shared {
    addr: String,
    /// The whole request, head and body, written with one call.
    request: Vec<u8>,
    stream: bool,
    timeout: Duration,
}

fn run(args: &[String]) {
    let o = parse_run(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.threads)
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(&e));
    let line = rt.block_on(run_async(&o));
    println!("{line}");
}

async fn run_async(o: &RunOpts) -> Value {
    let (addr, path) = split_url(&o.url);
    let mut body = json!({
        "model": o.model,
        "messages": [
            {"role": "system", "content": "You are a benchmark."},
            {"role": "user", "content": "Say hello in one short sentence."}
        ],
        "max_tokens": 32,
        "temperature": 0
    });
    if o.stream {
        body["stream"] = json!(true);
    }
    // A realistic body: earlier user/assistant turns of prose (with the escapes real text
    // has) before the question, until the body is about `--history` bytes.
    let mut turn = 0;
    while body.to_string().len() < o.history {
        let role = if turn % 2 == 0 { "user" } else { "assistant" };
        let text = "Here is a \"quoted\" line of an earlier turn, with a newline.\n".repeat(8);
        let messages = body["messages"].as_array_mut().expect("messages");
        let at = messages.len() - 1;
        messages.insert(at, json!({"role": role, "content": text}));
        turn += 1;
    }
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {key}\r\n\
         content-type: application/json\r\naccept: {accept}\r\ncontent-length: {len}\r\n\r\n{body}",
        key = o.key,
        accept = if o.stream {
            "text/event-stream"
        } else {
            "application/json"
        },
        len = body.len(),
    );
    let shared = Arc::new(Shared {
        addr,
        request: request.into_bytes(),
        stream: o.stream,
        timeout: o.timeout,
    });

    // One connection per worker, kept across the warm-up and the measured phase.
    let mut conns: Vec<Option<Conn>> = (0..o.concurrency).map(|_| None).collect();
    if o.warmup > 0 {
        conns = phase(&shared, conns, Some(o.warmup), None).await.1;
    }
    // The kernel threads that finish network work the interrupts could not: on loopback at
    // high rates that is our traffic, not somebody else's.
    let mut watch = o.watch.clone();
    watch.push(("ksoftirqd".to_owned(), kernel_threads("ksoftirqd/")));
    let cpu_before = cpu_ticks(&watch);
    let machine_before = machine_ticks();
    let started = Instant::now();
    let (samples, _) = phase(&shared, conns, o.requests, o.duration).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = cpu_ticks(&watch);
    let machine_after = machine_ticks();

    let ok = samples.latency_us.len() as u64;
    let errors: u64 = samples.errors.values().sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let ours: u64 = cpu_before
        .iter()
        .zip(&cpu_after)
        .map(|((_, a), (_, b))| b.saturating_sub(*a))
        .sum();
    // How busy the whole machine was, and how much of that was not us: other work on a
    // shared machine makes every number here worse, so the report says how much there was.
    // Interrupt time (on loopback, mostly the network stack working for us) is not charged
    // to any process, so it is its own share; ksoftirqd counts as ours.
    let d = |i: usize| machine_after[i].saturating_sub(machine_before[i]);
    let (busy, irq, total) = (d(0), d(1), d(2));
    let pct = |x: u64| (1000.0 * x as f64 / total.max(1) as f64).round() / 10.0;
    let machine = json!({
        "busy_pct": pct(busy + irq),
        "irq_pct": pct(irq),
        "others_pct": pct(busy.saturating_sub(ours)),
    });
    let cpu: serde_json::Map<String, Value> = cpu_before
        .iter()
        .zip(&cpu_after)
        .map(|((name, a), (_, b))| {
            let us = (b.saturating_sub(*a)) as f64 / hz * 1e6;
            (
                name.clone(),
                json!((us / ok.max(1) as f64 * 10.0).round() / 10.0),
            )
        })
        .collect();
    json!({
        "label": o.label,
        "case": o.case,
        "url": o.url,
        "stream": o.stream,
        "concurrency": o.concurrency,
        "threads": o.threads,
        "requests": ok + errors,
        "ok": ok,
        "errors": errors,
        "error_kinds": samples.errors,
        "first_error": samples.first_error,
        "elapsed_s": round3(elapsed),
        "rps": round3(ok as f64 / elapsed),
        "latency_us": percentiles(samples.latency_us),
        "ttft_us": if o.stream { percentiles(samples.ttft_us) } else { Value::Null },
        "cpu_us_per_req": cpu,
        "machine_cpu": machine,
    })
}

/// [busy outside interrupts, interrupts, total] clock ticks of all CPUs, from /proc/stat.
fn machine_ticks() -> [u64; 3] {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let at = |i: usize| f.get(i).copied().unwrap_or(0);
    let total: u64 = (0..8).map(at).sum();
    let irq = at(5) + at(6);
    [total - at(3) - at(4) - irq, irq, total]
}

/// Pids of the processes whose name starts with `prefix`.
fn kernel_threads(prefix: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.starts_with(prefix))
        })
        .collect()
}

/// utime + stime in clock ticks of each watched group, and of this process as `loadgen`.
fn cpu_ticks(watch: &[(String, Vec<u32>)]) -> Vec<(String, u64)> {
    let read = |pid: &str| -> u64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return 0;
        };
        // Fields after the parenthesised command name: state is the first, utime the 12th.
        let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = after.split_whitespace().collect();
        let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        n(11) + n(12)
    };
    let mut v = vec![("loadgen".to_owned(), read("self"))];
    for (name, pids) in watch {
        v.push((
            name.clone(),
            pids.iter().map(|p| read(&p.to_string())).sum(),
        ));
    }
    v
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank percentiles of `v`, in microseconds.
fn percentiles(mut v: Vec<u64>) -> Value {
    if v.is_empty() {
        return Value::Null;
    }
    v.sort_unstable();
    let pick = |p: f64| v[(((p / 100.0) * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
    json!({
        "p50": pick(50.0), "p90": pick(90.0), "p99": pick(99.0), "p999": pick(99.9),
        "max": v[v.len() - 1], "mean": mean.round(), "n": v.len()
    })
}

/// Runs one worker per connection slot until `requests` were started or `duration` passed;
/// hands the connections back for the next phase.
async fn phase(
    shared: &Arc<Shared>,
    conns: Vec<Option<Conn>>,
    requests: Option<u64>,
    duration: Option<Duration>,
) -> (Samples, Vec<Option<Conn>>) {
    let next = Arc::new(AtomicU64::new(0));
    let deadline = duration.map(|d| Instant::now() + d);
    let limit = requests.unwrap_or(u64::MAX);
    let mut tasks = Vec::with_capacity(conns.len());
    for mut conn in conns {
        let shared = shared.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Samples::default();
            loop {
                if next.fetch_add(1, Ordering::Relaxed) >= limit {
                    break;
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                one(&shared, &mut conn, &mut s).await;
            }
            (s, conn)
        }));
    }
    let mut all = Samples::default();
    let mut conns = Vec::with_capacity(tasks.len());
    for t in tasks {
        match t.await {
            Ok((s, c)) => {
                all.merge(s);
                conns.push(c);
            }
            Err(e) => {
                all.error("panic", e.to_string());
                conns.push(None);
            }
        }
    }
    (all, conns)
}

enum Failure {
    Transport(io::Error),
    Status(u16, String),
    Bad(&'static str, String),
}

async fn one(shared: &Shared, conn: &mut Option<Conn>, s: &mut Samples) {
    let started = Instant::now();
    let res = tokio::time::timeout(shared.timeout, exchange(shared, conn, started)).await;
    let failure = match res {
        Ok(Ok(ttft)) => {
            s.latency_us.push(started.elapsed().as_micros() as u64);
            if let Some(t) = ttft {
                s.ttft_us.push(t.as_micros() as u64);
            }
            return;
        }
        Ok(Err(f)) => f,
        Err(_) => Failure::Bad(
            "timeout",
            format!("no complete answer within {:?}", shared.timeout),
        ),
    };
    // After any failure the connection's state is unknown: start afresh.
    *conn = None;
    match failure {
        Failure::Transport(e) => s.error("transport", e.to_string()),
        Failure::Status(code, body) => s.error(&format!("status {code}"), body),
        Failure::Bad(kind, detail) => s.error(kind, detail),
    }
}

/// A client connection with its read buffer; `pos` is where unread bytes start.
struct Conn {
    sock: TcpStream,
    buf: Vec<u8>,
    pos: usize,
}

impl Conn {
    async fn open(addr: &str) -> io::Result<Conn> {
        let sock = TcpStream::connect(addr).await?;
        sock.set_nodelay(true)?;
        Ok(Conn {
            sock,
            buf: Vec::with_capacity(16 * 1024),
            pos: 0,
        })
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Reads more bytes; EOF is an error (every caller still expects bytes).
    async fn fill(&mut self) -> io::Result<()> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 8 * 1024 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        if self.sock.read_buf(&mut self.buf).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    /// The offset of `needle` in the unread bytes, reading until it shows up.
    async fn find(&mut self, needle: &[u8]) -> io::Result<usize> {
        let mut from = 0;
        loop {
            if let Some(i) = find(&self.avail()[from..], needle) {
                return Ok(from + i);
            }
            from = self.avail().len().saturating_sub(needle.len() - 1);
            self.fill().await?;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One request and its whole answer; the time to the first body bytes for streams.
async fn exchange(
    shared: &Shared,
    slot: &mut Option<Conn>,
    started: Instant,
) -> Result<Option<Duration>, Failure> {
    use Failure::{Bad, Status, Transport};
    if slot.is_none() {
        *slot = Some(Conn::open(&shared.addr).await.map_err(Transport)?);
    }
    let Some(conn) = slot.as_mut() else {
        unreachable!("just opened")
    };
    conn.sock
        .write_all(&shared.request)
        .await
        .map_err(Transport)?;

    // Head.
    let head_end = conn.find(b"\r\n\r\n").await.map_err(Transport)?;
    let head = std::str::from_utf8(&conn.avail()[..head_end])
        .map_err(|_| Bad("bad head", "response head is not UTF-8".into()))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Bad("bad head", head.chars().take(200).collect()))?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("content-length") {
            length = v.parse::<usize>().ok();
        } else if k.eq_ignore_ascii_case("transfer-encoding") {
            chunked = v.eq_ignore_ascii_case("chunked");
        } else if k.eq_ignore_ascii_case("connection") {
            close = v.eq_ignore_ascii_case("close");
        }
    }
    conn.pos += head_end + 4;

    // Body.
    let mut ttft = None;
    let mut sniff = Sniff::default();
    if chunked {
        loop {
            let line_end = conn.find(b"\r\n").await.map_err(Transport)?;
            let size_text = std::str::from_utf8(&conn.avail()[..line_end]).unwrap_or("?");
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| Bad("bad chunk", format!("chunk size line {size_text:?}")))?;
            conn.pos += line_end + 2;
            if size == 0 {
                // Trailers, then the blank line.
                loop {
                    let end = conn.find(b"\r\n").await.map_err(Transport)?;
                    conn.pos += end + 2;
                    if end == 0 {
                        break;
                    }
                }
                break;
            }
            let mut left = size;
            while left > 0 {
                if conn.avail().is_empty() {
                    conn.fill().await.map_err(Transport)?;
                }
                let take = left.min(conn.avail().len());
                ttft.get_or_insert_with(|| started.elapsed());
                sniff.feed(&conn.avail()[..take]);
                conn.pos += take;
                left -= take;
            }
            while conn.avail().len() < 2 {
                conn.fill().await.map_err(Transport)?;
            }
            if &conn.avail()[..2] != b"\r\n" {
                return Err(Bad("bad chunk", "chunk data not followed by CRLF".into()));
            }
            conn.pos += 2;
        }
    } else if let Some(n) = length {
        while conn.avail().len() < n {
            conn.fill().await.map_err(Transport)?;
        }
        if n > 0 {
            ttft = Some(started.elapsed());
        }
        sniff.feed(&conn.avail()[..n]);
        conn.pos += n;
    } else {
        // Delimited by close.
        loop {
            match conn.fill().await {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(Transport(e)),
            }
        }
        sniff.feed(conn.avail());
        close = true;
    }
    if close {
        *slot = None;
    }

    if status != 200 {
        return Err(Status(status, sniff.text()));
    }
    if shared.stream {
        if !sniff.done {
            return Err(Bad("stream without [DONE]", sniff.text()));
        }
        Ok(ttft)
    } else if sniff.choices {
        Ok(None)
    } else {
        Err(Bad("no choices in body", sniff.text()))
    }
}

/// Looks at body bytes as they pass: the first 300 (for error messages), whether
/// `"choices"` and `data: [DONE]` occurred (across read boundaries too).
#[derive(Default)]
struct Sniff {
    start: Vec<u8>,
    tail: Vec<u8>,
    choices: bool,
    done: bool,
}

impl Sniff {
    fn feed(&mut self, data: &[u8]) {
        if self.start.len() < 300 {
            let n = (300 - self.start.len()).min(data.len());
            self.start.extend_from_slice(&data[..n]);
        }
        // Needles are short: look at the previous tail plus this piece.
        self.tail.extend_from_slice(data);
        if !self.choices && find(&self.tail, b"\"choices\"").is_some() {
            self.choices = true;
        }
        if !self.done && find(&self.tail, b"data: [DONE]").is_some() {
            self.done = true;
        }
        let keep = self.tail.len().saturating_sub(16);
        self.tail.drain(..keep);
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.start).into_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// report
// ---------------------------------------------------------------------------------------------

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Every record of one label, by case, in file order: the k-th record of a case is round k.
struct Row<'a> {
    label: String,
    by_case: BTreeMap<String, Vec<&'a Value>>,
}

type Metric = fn(&Value) -> Option<f64>;

fn p50(r: &Value) -> Option<f64> {
    r["latency_us"]["p50"].as_f64()
}
fn p99(r: &Value) -> Option<f64> {
    r["latency_us"]["p99"].as_f64()
}
fn ttft50(r: &Value) -> Option<f64> {
    r["ttft_us"]["p50"].as_f64()
}
fn ttft99(r: &Value) -> Option<f64> {
    r["ttft_us"]["p99"].as_f64()
}
fn rps(r: &Value) -> Option<f64> {
    r["rps"].as_f64()
}
fn proxy_cpu(r: &Value) -> Option<f64> {
    r["cpu_us_per_req"]["proxy"].as_f64()
}
fn idle_kib(r: &Value) -> Option<f64> {
    r["idle_kib"].as_f64()
}
fn peak_kib(r: &Value) -> Option<f64> {
    r["peak_kib"].as_f64()
}

impl Row<'_> {
    fn runs(&self, case: &str) -> &[&Value] {
        self.by_case.get(case).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The median over rounds.
    fn get(&self, case: &str, f: Metric) -> Option<f64> {
        median(self.runs(case).iter().filter_map(|r| f(r)).collect())
    }

    /// The median over rounds of `cmp(this row, other row)` within the same round, so a
    /// round disturbed by other work on the machine moves both sides of the comparison.
    fn paired(
        &self,
        other: Option<&Row>,
        case: &str,
        f: Metric,
        cmp: fn(f64, f64) -> f64,
    ) -> Option<f64> {
        let other = other?;
        median(
            self.runs(case)
                .iter()
                .zip(other.runs(case))
                .filter_map(|(a, b)| Some(cmp(f(a)?, f(b)?)))
                .collect(),
        )
    }

    fn errors(&self) -> u64 {
        self.by_case
            .iter()
            .filter(|(c, _)| !matches!(c.as_str(), "rss" | "skip"))
            .flat_map(|(_, v)| v.iter())
            .filter_map(|r| r["errors"].as_u64())
            .sum()
    }

    fn skip(&self) -> Option<String> {
        self.runs("skip")
            .first()
            .and_then(|r| r["reason"].as_str())
            .map(str::to_owned)
    }
}

fn us(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.0} µs"))
}

fn num(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.0}"))
}

fn share(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.0}%", v * 100.0))
}

fn mib(kib: Option<f64>) -> String {
    kib.map_or("–".into(), |v| format!("{:.1}", v / 1024.0))
}

fn diff(a: f64, b: f64) -> f64 {
    a - b
}

fn ratio(a: f64, b: f64) -> f64 {
    a / b
}

fn report(args: &[String]) {
    let path = args.first().unwrap_or_else(|| usage("report needs a file"));
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| die(&format!("{path}: {e}")));
    let records: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| die(&format!("{path}: {e}: {l}"))))
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    for r in &records {
        let label = r["label"].as_str().unwrap_or("?").to_owned();
        let case = r["case"].as_str().unwrap_or("?").to_owned();
        let idx = match rows.iter().position(|row| row.label == label) {
            Some(i) => i,
            None => {
                rows.push(Row {
                    label,
                    by_case: BTreeMap::new(),
                });
                rows.len() - 1
            }
        };
        rows[idx].by_case.entry(case).or_default().push(r);
    }
    let direct = rows.iter().find(|r| r.label == "direct");

    println!(
        "| | p50 c=1 | p99 c=1 | added p99 vs direct | req/s c=64 | % of direct | stream TTFT p50 / p99 c=1 | stream req/s c=64 | % of direct | proxy CPU µs/req c=64 (stream) | RSS idle / peak MiB | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut notes = Vec::new();
    for row in &rows {
        let rss = match (row.get("rss", idle_kib), row.get("rss", peak_kib)) {
            (None, None) => "–".into(),
            (i, p) => format!("{} / {}", mib(i), mib(p)),
        };
        if let Some(reason) = row.skip() {
            println!(
                "| {} | not measured¹ | | | | | | | | | {rss} | |",
                row.label
            );
            notes.push(format!("¹ {}: {reason}", row.label));
            continue;
        }
        let is_direct = row.label == "direct";
        let added = if is_direct {
            "–".into()
        } else {
            row.paired(direct, "c1", p99, diff)
                .map_or("–".into(), |v| format!("{v:+.0} µs"))
        };
        let (share_rps, share_srps) = if is_direct {
            ("100%".into(), "100%".into())
        } else {
            (
                share(row.paired(direct, "c64", rps, ratio)),
                share(row.paired(direct, "stream_c64", rps, ratio)),
            )
        };
        let cpu = match (row.get("c64", proxy_cpu), row.get("stream_c64", proxy_cpu)) {
            (None, None) => "–".into(),
            (a, b) => format!("{} ({})", num(a), num(b)),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} |",
            row.label,
            us(row.get("c1", p50)),
            us(row.get("c1", p99)),
            added,
            num(row.get("c64", rps)),
            share_rps,
            us(row.get("stream_c1", ttft50)),
            us(row.get("stream_c1", ttft99)),
            num(row.get("stream_c64", rps)),
            share_srps,
            cpu,
            rss,
            row.errors(),
        );
    }
    for n in notes {
        println!("\n{n}");
    }
    if let Some(d) = direct {
        let cpu = |case: &str, who: &str| {
            num(median(
                d.runs(case)
                    .iter()
                    .filter_map(|r| r["cpu_us_per_req"][who].as_f64())
                    .collect(),
            ))
        };
        println!(
            "\nCPU per request at c=64, direct: load generator {} µs, mock {} µs (streams: {} µs, {} µs).",
            cpu("c64", "loadgen"),
            cpu("c64", "mock"),
            cpu("stream_c64", "loadgen"),
            cpu("stream_c64", "mock"),
        );
    }
    // Runs shorter than a second are too short for clock-tick accounting.
    let others: Vec<f64> = records
        .iter()
        .filter(|r| r["elapsed_s"].as_f64().is_some_and(|e| e >= 1.0))
        .filter_map(|r| r["machine_cpu"]["others_pct"].as_f64())
        .collect();
    if let Some(med) = median(others.clone()) {
        let disturbed = others.iter().filter(|&&o| o > 10.0).count();
        println!(
            "Other processes used {med:.0}% of the machine's CPU time during the median run (of those ≥ 1 s); {disturbed} of {} runs had more than 10%{}.",
            others.len(),
            if disturbed * 3 > others.len() {
                " — too many: rerun on a quiet machine"
            } else {
                ""
            }
        );
    }

    // The issue's targets, for the gateway rows that were measured.
    if let Some(g) = rows.iter().find(|r| r.label == "gateway") {
        let measured = g.skip().is_none();
        let m = |v: Option<f64>| v.filter(|_| measured);
        let mut checks: Vec<(&str, Option<bool>, String)> = Vec::new();
        let added = m(g.paired(direct, "c1", p99, diff));
        checks.push((
            "added p99 at c=1 ≤ 150 µs",
            added.map(|a| a <= 150.0),
            added.map_or("not measured".into(), |a| format!("{a:+.0} µs")),
        ));
        for (name, case) in [
            ("throughput at c=64 ≥ 40% of direct", "c64"),
            ("stream throughput at c=64 ≥ 40% of direct", "stream_c64"),
        ] {
            let s = m(g.paired(direct, case, rps, ratio));
            checks.push((
                name,
                s.map(|s| s >= 0.4),
                s.map_or("not measured".into(), |s| share(Some(s))),
            ));
        }
        let idle = g.get("rss", idle_kib);
        checks.push((
            "RSS idle ≤ 20 MiB",
            idle.map(|k| k <= 20.0 * 1024.0),
            idle.map_or("not measured".into(), |k| format!("{} MiB", mib(Some(k)))),
        ));
        let peak = m(g.get("rss", peak_kib));
        checks.push((
            "RSS under load ≤ 50 MiB",
            peak.map(|k| k <= 50.0 * 1024.0),
            peak.map_or("not measured".into(), |k| format!("{} MiB", mib(Some(k)))),
        ));
        for l in rows
            .iter()
            .filter(|r| r.label.starts_with("gateway+logging"))
        {
            let drop = l
                .paired(Some(g), "c64", rps, |l, g| 1.0 - l / g)
                .filter(|_| measured && l.skip().is_none());
            let on = l.label.strip_prefix("gateway+logging").unwrap_or("").trim();
            checks.push((
                match on {
                    "" => "logging (access log + request logs, SQLite) costs ≤ 10% throughput",
                    "mariadb" => "logging with request logs on MariaDB costs ≤ 10% throughput",
                    "postgres" => "logging with request logs on PostgreSQL costs ≤ 10% throughput",
                    _ => "logging costs ≤ 10% throughput",
                },
                drop.map(|d| d <= 0.10),
                drop.map_or("not measured".into(), |d| format!("{:.1}% less", d * 100.0)),
            ));
        }
        println!("\n| target (gateway) | measured | |\n|---|---|---|");
        for (name, ok, val) in checks {
            let verdict = match ok {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "–",
            };
            println!("| {name} | {val} | {verdict} |");
        }
    }
    let rounds = rows
        .iter()
        .flat_map(|r| r.by_case.values())
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    if rounds > 1 {
        println!(
            "\nEach cell is the median of {rounds} rounds; comparisons with direct are taken within a round, then the median."
        );
    }
}
