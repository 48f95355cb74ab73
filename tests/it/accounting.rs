//! Accounting through the real binary: one log row per request under concurrent load on every
//! database, stats that equal hand-computed sums, streams abandoned by the client, a full
//! queue that drops without blocking, retention, log filters and pages, client IPs behind
//! trusted proxies, and `/metrics` parsed as Prometheus text with counters matching traffic.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::gateway::{admin, provider, route, start, Gw};
use crate::util::mock_upstream::{MockUpstream, Reply};
use crate::util::proc::{self, http, ADMIN_KEY};
use crate::util::TestDb;

/// Fast flushing so tests see rows within a fraction of a second.
const FAST: (&str, &str) = ("LLMO_REQUEST_LOG__FLUSH_INTERVAL", "100ms");

fn priced_catalog(up: &MockUpstream) -> Value {
    let mut r = route("m", "p", "up-m");
    r["price_input"] = json!(1.5);
    r["price_output"] = json!(6.0);
    json!({"providers": [provider("p", up, &["k"])], "models": [{"name": "m"}], "routes": [r]})
}

/// Every log row, following cursors.
fn all_logs(gw: &Gw, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<i64> = None;
    loop {
        let mut path = format!("/admin/logs?limit=7{query}");
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, page) = admin(&gw.srv, "GET", &path, None);
        assert_eq!(s, 200, "{page}");
        out.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_i64() {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Waits until `n` rows are logged (and checks no more arrive shortly after).
fn wait_rows(gw: &Gw, n: usize) -> Vec<Value> {
    let t = Instant::now();
    loop {
        let rows = all_logs(gw, "");
        if rows.len() >= n {
            std::thread::sleep(Duration::from_millis(300));
            let rows = all_logs(gw, "");
            assert_eq!(rows.len(), n, "exactly one row per request");
            return rows;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "only {} of {n} rows logged",
            rows.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn usage_of(v: &Value) -> (u64, u64) {
    (
        v["usage"]["prompt_tokens"].as_u64().unwrap(),
        v["usage"]["completion_tokens"].as_u64().unwrap(),
    )
}

fn row_parity(db: &TestDb) {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(priced_catalog(&up), &[("DATABASE_URL", db.url()), FAST]);
    let (ok, streams, bad_key, unknown) = (40usize, 10usize, 5usize, 5usize);
    let client = &gw.client;
    let results: Vec<(u64, u64)> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for t in 0..8 {
            handles.push(s.spawn(move || {
                let gw = client;
                let mut tokens = Vec::new();
                for i in (t..ok + streams + bad_key + unknown).step_by(8) {
                    if i < ok {
                        let res = gw.chat("m");
                        assert_eq!(res.status, 200);
                        tokens.push(usage_of(&res.json()));
                    } else if i < ok + streams {
                        let res = gw.post(
                            "/v1/chat/completions",
                            &json!({"model": "m", "stream": true,
                                    "stream_options": {"include_usage": true},
                                    "messages": [{"role": "user", "content": "count me"}]}),
                        );
                        let usage = res
                            .events()
                            .iter()
                            .filter_map(|e| serde_json::from_str::<Value>(e).ok())
                            .find(|v| v["usage"].is_object())
                            .expect("usage chunk");
                        tokens.push(usage_of(&usage));
                    } else if i < ok + streams + bad_key {
                        let res = gw.post_as(
                            "/v1/chat/completions",
                            &json!({"model": "m", "messages": []}),
                            &[("Authorization", "Bearer nope")],
                        );
                        assert_eq!(res.status, 401);
                    } else {
                        assert_eq!(gw.chat("nope").status, 404);
                    }
                }
                tokens
            }));
        }
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let n = ok + streams + bad_key + unknown;
    let gw = &gw;
    let rows = wait_rows(gw, n);
    let errors = rows.iter().filter(|r| r["status_code"] != 200).count();
    assert_eq!(errors, bad_key + unknown);
    assert_eq!(rows.iter().filter(|r| r["stream"] == true).count(), streams);
    let ok_row = rows.iter().find(|r| r["status_code"] == 200).unwrap();
    assert_eq!(ok_row["provider_name"], "p");
    assert_eq!(ok_row["upstream_model"], "up-m");
    assert_eq!(ok_row["attempts"], 1);
    assert!(ok_row["client_key_id"].is_i64());

    // Stats equal the sums computed here from what clients received.
    let prompt: u64 = results.iter().map(|t| t.0).sum();
    let completion: u64 = results.iter().map(|t| t.1).sum();
    let cost = (prompt as f64 * 1.5 + completion as f64 * 6.0) / 1e6;
    let (s, stats) = admin(&gw.srv, "GET", "/admin/stats?since=1h&group_by=model", None);
    assert_eq!(s, 200, "{stats}");
    let t = &stats["totals"];
    assert_eq!(t["requests"], n as u64);
    assert_eq!(t["successes"], (ok + streams) as u64);
    assert_eq!(t["prompt_tokens"], prompt);
    assert_eq!(t["completion_tokens"], completion);
    assert!(
        (t["cost"].as_f64().unwrap() - cost).abs() < 1e-12,
        "{t} vs {cost}"
    );
    let m = stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "m")
        .unwrap();
    assert_eq!(m["requests"], (ok + streams) as u64);

    // The CLI reads the same numbers from the database.
    let out = proc::run(
        proc::cmd(gw.dir.path())
            .args(["stats", "--since", "1h", "--by", "provider", "--json"])
            .env("DATABASE_URL", db.url()),
    );
    assert!(out.status.success(), "{}", proc::stderr(&out));
    let cli: Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert_eq!(cli["totals"]["requests"], n as u64);
    assert_eq!(cli["groups"][0]["name"], "p");
    let table = proc::run(
        proc::cmd(gw.dir.path())
            .args(["stats", "--by", "provider"])
            .env("DATABASE_URL", db.url()),
    );
    let table = proc::stdout(&table);
    assert!(table.lines().any(|l| l.starts_with("p ")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("total")), "{table}");
}

#[test]
fn n_concurrent_requests_make_n_rows_and_stats_match_on_every_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(TestDb::all()) {
        row_parity(&db);
    }
}

#[test]
fn a_stream_the_client_abandons_is_logged_once_as_aborted() {
    use std::io::{Read, Write};
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(priced_catalog(&up), &[FAST]);
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
    let mut buf = [0u8; 4096];
    let mut got = String::new();
    while !got.contains("data: ") {
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0);
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    drop(sock);
    let rows = wait_rows(&gw, 1);
    assert_eq!(rows[0]["error_class"], "client_aborted", "{}", rows[0]);
    assert_eq!(rows[0]["status_code"], 200);
    assert_eq!(rows[0]["stream"], true);
    // A stream cut by the upstream is logged with its class.
    up.push(Reply::text("a b c d").cut_after(2));
    gw.stream("m");
    let rows = wait_rows(&gw, 2);
    assert_eq!(rows[0]["error_class"], "stream_reset", "{}", rows[0]);
}

#[test]
fn a_full_queue_drops_and_counts_without_making_requests_wait() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(
        priced_catalog(&up),
        &[
            ("LLMO_REQUEST_LOG__QUEUE_CAPACITY", "2"),
            ("LLMO_REQUEST_LOG__BATCH_SIZE", "1"),
            ("HEALTH_CHECK_ENABLED", "false"),
        ],
    );
    // Hold SQLite's write lock from outside: the writer's batches wait, its queue fills.
    let db = gw.dir.path().join("data").join("llm_orchestrator.db");
    let mut locker = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys,time\n\
             c=sqlite3.connect(sys.argv[1],isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             print('locked',flush=True)\n\
             time.sleep(float(sys.argv[2]))",
            db.to_str().unwrap(),
            "6",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(locker.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let t = Instant::now();
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(gw.chat("m").status, 200);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "a request waited on the log writer"
        );
    }
    assert!(t.elapsed() < Duration::from_secs(5));
    let metrics = scrape(&gw);
    let dropped = value(&metrics, "llmo_log_dropped_total", &[]);
    assert!(dropped >= 10.0, "dropped {dropped}");
    assert!(gw.srv.proc.output().contains("request log queue full"));
    locker.wait().unwrap();
    // Once the lock is gone the kept records are written: sent = written + dropped.
    let t = Instant::now();
    loop {
        let written = value(&scrape(&gw), "llmo_log_written_total", &[]);
        if written + dropped >= 20.0 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "written {written}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn retention_and_manual_cleanup_delete_only_old_rows() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(priced_catalog(&up), &[FAST]);
    for _ in 0..3 {
        gw.chat("m");
    }
    wait_rows(&gw, 3);
    std::thread::sleep(Duration::from_millis(1100));
    let cut = chrono::Utc::now().to_rfc3339();
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..2 {
        gw.chat("m");
    }
    wait_rows(&gw, 5);
    let (s, body) = admin(&gw.srv, "DELETE", "/admin/logs", None);
    assert_eq!(s, 400, "before is required: {body}");
    assert_eq!(body["error"]["param"], "before");
    let (s, body) = admin(
        &gw.srv,
        "DELETE",
        &format!("/admin/logs?before={}", cut.replace('+', "%2B")),
        None,
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["deleted"], 3);
    assert_eq!(all_logs(&gw, "").len(), 2);
    // Stats keep counting the deleted requests: rollups are not logs.
    let (_, stats) = admin(&gw.srv, "GET", "/admin/stats?since=1h", None);
    assert_eq!(stats["totals"]["requests"], 5);

    // The background job: rows older than LOG_RETENTION_DAYS go, newer stay.
    let dir = gw.dir.path().to_path_buf();
    let mut srv = gw.srv;
    srv.proc.signal("TERM");
    srv.proc.wait_exit(Duration::from_secs(20));
    let db = dir.join("data").join("llm_orchestrator.db");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys\n\
             c=sqlite3.connect(sys.argv[1])\n\
             c.execute(\"UPDATE request_logs SET created_at=datetime('now','-40 days') WHERE id=(SELECT MIN(id) FROM request_logs)\")\n\
             c.commit()",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let srv = crate::util::proc::Server::start(
        &dir,
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("LOG_RETENTION_DAYS", "30"),
            ("LLMO_REQUEST_LOG__CLEANUP_INTERVAL", "200ms"),
        ],
    );
    let t = Instant::now();
    loop {
        let (_, page) = admin(&srv, "GET", "/admin/logs", None);
        if page["data"].as_array().unwrap().len() == 1 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{page}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn logs_filter_and_page_and_client_ips_come_from_trusted_proxies_only() {
    let a = MockUpstream::start_named("a", &[]);
    let b = MockUpstream::start_named("b", &[]);
    let mut fallback = route("m", "b", "up-b");
    fallback["priority"] = json!(1);
    let gw = start(
        json!({"providers": [provider("a", &a, &["ka"]), provider("b", &b, &["kb"])],
               "models": [{"name": "m"}], "routes": [route("m", "a", "up-a"), fallback]}),
        &[FAST, ("TRUSTED_PROXIES", "127.0.0.1/32")],
    );
    a.push_n(3, Reply::error(500, "server_error", "down"));
    for _ in 0..6 {
        gw.post_as(
            "/v1/chat/completions",
            &json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
            &[
                ("Authorization", &format!("Bearer {}", gw.key)),
                ("X-Forwarded-For", "203.0.113.9, 127.0.0.1"),
            ],
        );
    }
    gw.chat("unknown-model");
    let rows = wait_rows(&gw, 7);
    assert_eq!(rows[6]["client_ip"], "203.0.113.9", "{}", rows[6]);
    let via_b = all_logs(&gw, "&provider_id=2");
    assert_eq!(via_b.len(), 3, "failed over to b three times");
    assert_eq!(via_b[0]["attempts"], 2);
    assert_eq!(via_b[0]["attempt_detail"][0]["class"], "upstream_5xx");
    assert_eq!(all_logs(&gw, "&status=error").len(), 1);
    assert_eq!(all_logs(&gw, "&status=error&model=unknown-model").len(), 1);
    assert_eq!(all_logs(&gw, "&status=error&model=m").len(), 0);
    assert_eq!(all_logs(&gw, "&status=404&provider_id=2").len(), 0);
    assert_eq!(all_logs(&gw, "&status=404").len(), 1);
    assert_eq!(all_logs(&gw, "&error_class=model_not_found").len(), 1);
    assert_eq!(all_logs(&gw, "&model=m&status=success").len(), 6);
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|x, y| y.cmp(x));
    sorted.dedup();
    assert_eq!(ids, sorted, "newest first, no row twice across pages");
    let (s, bad) = admin(&gw.srv, "GET", "/admin/logs?since=someday", None);
    assert_eq!((s, bad["error"]["param"].clone()), (400, json!("since")));
    let (s, bad) = admin(&gw.srv, "GET", "/admin/logs?limt=5", None);
    assert_eq!(s, 400, "unknown parameter: {bad}");
    let route_id = via_b[0]["route_id"].as_i64().unwrap();
    let (s, hist) = admin(
        &gw.srv,
        "GET",
        &format!("/admin/routes/{route_id}/history?limit=2"),
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(hist["data"].as_array().unwrap().len(), 2);
    assert_eq!(hist["data"][0]["ok"], true);

    // Without a trusted proxy, a forwarded header is ignored.
    let up = MockUpstream::start_named("up", &[]);
    let gw2 = start(priced_catalog(&up), &[FAST]);
    gw2.post_as(
        "/v1/chat/completions",
        &json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        &[
            ("Authorization", &format!("Bearer {}", gw2.key)),
            ("X-Forwarded-For", "203.0.113.9"),
        ],
    );
    assert_eq!(wait_rows(&gw2, 1)[0]["client_ip"], "127.0.0.1");
}

fn scrape(gw: &Gw) -> String {
    let mut res = http()
        .get(gw.srv.url("/metrics"))
        .header("Authorization", &format!("Bearer {ADMIN_KEY}"))
        .call()
        .unwrap();
    assert_eq!(res.status(), 200);
    res.body_mut().read_to_string().unwrap()
}

/// The sum of a metric's samples whose labels include `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text");
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[test]
fn metrics_parse_as_prometheus_text_and_count_the_traffic() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(priced_catalog(&up), &[]);
    for _ in 0..4 {
        assert_eq!(gw.chat("m").status, 200);
    }
    gw.stream("m");
    up.push(Reply::error(500, "server_error", "down"));
    assert_eq!(gw.chat("m").status, 200, "retried on the same key");
    assert_eq!(gw.chat("missing").status, 404);
    let text = scrape(&gw);
    assert_eq!(
        value(
            &text,
            "llmo_requests_total",
            &[("model", "m"), ("status", "200")]
        ),
        6.0,
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "llmo_requests_total",
            &[("model", "(unknown)"), ("status", "404")]
        ),
        1.0
    );
    assert_eq!(value(&text, "llmo_retries_total", &[("model", "m")]), 1.0);
    assert_eq!(
        value(
            &text,
            "llmo_upstream_attempts_total",
            &[("provider", "p"), ("class", "upstream_5xx")]
        ),
        1.0
    );
    assert!(value(&text, "llmo_tokens_total", &[("type", "completion")]) > 0.0);
    assert_eq!(
        value(
            &text,
            "llmo_request_duration_seconds_count",
            &[("model", "m")]
        ),
        6.0
    );
    assert_eq!(
        value(&text, "llmo_dependency_up", &[("dependency", "database")]),
        1.0
    );
    // One failure in the last minute: degraded, still closed.
    assert_eq!(
        value(
            &text,
            "llmo_circuit_state",
            &[("provider", "p"), ("key", "k0")]
        ),
        1.0
    );
    assert!(text.contains("llmo_gateway_overhead_seconds_bucket"));
    // Behind the admin key on the main port.
    assert_eq!(
        http().get(gw.srv.url("/metrics")).call().unwrap().status(),
        401
    );

    // On its own listener, without auth.
    let port = proc::free_port();
    let listen = format!("127.0.0.1:{port}");
    let gw2 = start(priced_catalog(&up), &[("LLMO_METRICS__LISTEN", &listen)]);
    gw2.chat("m");
    let mut res = http()
        .get(format!("http://{listen}/metrics"))
        .call()
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.body_mut().read_to_string().unwrap();
    assert_eq!(value(&text, "llmo_requests_total", &[("model", "m")]), 1.0);
    assert_eq!(
        http().get(gw2.srv.url("/metrics")).call().unwrap().status(),
        404
    );
}

#[test]
fn the_stats_command_asks_a_running_server_and_refuses_bad_input() {
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(priced_catalog(&up), &[FAST]);
    for _ in 0..3 {
        gw.chat("m");
    }
    wait_rows(&gw, 3);
    let out = proc::run(
        proc::cmd(gw.dir.path())
            .args(["stats", "--url", &gw.srv.url(""), "--by", "key", "--json"])
            .env("ADMIN_KEY", ADMIN_KEY),
    );
    assert!(out.status.success(), "{}", proc::stderr(&out));
    let report: Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert_eq!(report["totals"]["requests"], 3);
    assert_eq!(report["groups"][0]["name"], "tests");

    let out = proc::run(
        proc::cmd(gw.dir.path())
            .args(["stats", "--url", &gw.srv.url("")])
            .env("ADMIN_KEY", "a-wrong-admin-key-123"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(proc::stderr(&out).contains("403"), "{}", proc::stderr(&out));
    let out = proc::run(proc::cmd(gw.dir.path()).args(["stats", "--since", "last week"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(proc::stderr(&out).contains("is not a time"));
    let out = proc::run(proc::cmd(gw.dir.path()).args(["stats", "--by", "color"]));
    assert_eq!(out.status.code(), Some(2));

    for (name, value, key) in [
        (
            "TRUSTED_PROXIES",
            "10.0.0.0/8,not-an-ip",
            "server.trusted_proxies",
        ),
        ("LLMO_METRICS__LISTEN", "localhost", "metrics.listen"),
        ("LOG_RETENTION_DAYS", "-1", "request_log.retention_days"),
    ] {
        let out = proc::run(
            proc::cmd(gw.dir.path())
                .args(["config", "check"])
                .env(name, value),
        );
        assert_eq!(out.status.code(), Some(2), "{name}={value}");
        assert!(proc::stderr(&out).contains(key), "{}", proc::stderr(&out));
    }
}

#[test]
fn a_client_that_leaves_before_a_full_answer_is_logged_once() {
    use std::io::Write;
    let up = MockUpstream::start_named("up", &[]);
    let gw = start(priced_catalog(&up), &[FAST]);
    up.push(Reply::delay(Duration::from_millis(1500), Reply::ok()));
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).to_string();
    let mut sock = std::net::TcpStream::connect(gw.srv.addr).unwrap();
    write!(
        sock,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        gw.key,
        body.len()
    )
    .unwrap();
    // Leave once the request is in flight: the upstream has it and answers in 1.5 s.
    let t = Instant::now();
    while up.seen().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the request never reached the upstream"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(sock);
    // actix finishes the handler (the answer is then written to a closed socket); were the
    // request dropped instead, the pending draft would log it as client_aborted. Once either way.
    let rows = wait_rows(&gw, 1);
    assert!(
        rows[0]["status_code"] == 200 || rows[0]["error_class"] == "client_aborted",
        "{}",
        rows[0]
    );
}
