//! `serve` as an operator sees it: the real binary on port 0 and plain HTTP.

use std::net::TcpStream;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use crate::util::proc::{self, get_json, OwnRedis, Server, ADMIN_KEY};

fn admin_env() -> Vec<(&'static str, &'static str)> {
    vec![("ADMIN_KEY", ADMIN_KEY)]
}

#[test]
fn health_and_version_answer_without_auth_and_carry_a_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(
        dir.path(),
        &[("ADMIN_KEY", ADMIN_KEY), ("APP_NAME", "gw-test")],
    );

    let (status, body, headers) = get_json(&srv.url("/health"), &[]);
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], "gw-test");
    let generated = headers
        .get("x-request-id")
        .expect("a request id")
        .to_str()
        .unwrap();
    assert!(generated.len() >= 16, "{generated}");

    let (_, _, headers) = get_json(&srv.url("/health"), &[("X-Request-ID", "client-id-42")]);
    assert_eq!(headers.get("x-request-id").unwrap(), "client-id-42");

    let (status, body, _) = get_json(&srv.url("/version"), &[]);
    assert_eq!(status, 200);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["environment"], "development");

    let (status, body, _) = get_json(&srv.url("/nope"), &[]);
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("/nope"),
        "{body}"
    );
    // One access-log line per request, with the request id.
    srv.proc.wait_for("client-id-42", Duration::from_secs(10));
}

#[test]
fn admin_health_needs_the_admin_key_401_without_403_wrong_200_right() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &admin_env());
    let url = srv.url("/admin/health");

    let (status, body, headers) = get_json(&url, &[]);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "missing_admin_key");
    assert!(headers.get("www-authenticate").is_some());

    let (status, body, _) = get_json(&url, &[("Authorization", "Bearer wrong-key-0123456789")]);
    assert_eq!(status, 403, "{body}");
    let (status, _, _) = get_json(&url, &[("X-Admin-Key", "wrong")]);
    assert_eq!(status, 403);

    let bearer = format!("Bearer {ADMIN_KEY}");
    let (status, body, _) = get_json(&url, &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["database"]["status"], "up");
    assert_eq!(body["database"]["backend"], "sqlite");
    assert_eq!(body["redis"]["status"], "disabled");
    assert!(body["uptime_seconds"].is_u64());

    let (status, _, _) = get_json(&url, &[("X-Admin-Key", ADMIN_KEY)]);
    assert_eq!(status, 200);
    // The key never shows up in the log.
    assert!(!srv.proc.output().contains(ADMIN_KEY));
}

#[test]
fn without_an_admin_key_one_is_generated_printed_once_and_kept_as_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[]);
    let line = srv.proc.wait_for("llmo-admin-", Duration::from_secs(5));
    let key = line.trim().to_string();
    assert!(key.starts_with("llmo-admin-") && key.len() == 51, "{key:?}");
    let (status, _, _) = get_json(&srv.url("/admin/health"), &[("X-Admin-Key", &key)]);
    assert_eq!(status, 200);
    drop(srv);

    // A restart reuses the stored hash: no new key is printed and the old one still works.
    let srv = Server::start(dir.path(), &[]);
    let (status, body, _) = get_json(&srv.url("/admin/health"), &[("X-Admin-Key", &key)]);
    assert_eq!(status, 200);
    assert_eq!(body["admin_key_source"], "stored");
    assert!(
        !srv.proc.output().contains("llmo-admin-"),
        "{}",
        srv.proc.output()
    );
    // The database (and its WAL) holds a digest, not the key.
    for f in std::fs::read_dir(dir.path().join("data")).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_bytes()));
    }
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    // A Redis of our own, paused, makes /admin/health wait inside its handler: a request
    // that is really in flight when the signal arrives.
    let redis = OwnRedis::start(dir.path());
    let redis_url = redis.url();
    let mut srv = Server::start(
        dir.path(),
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("REDIS_ENABLED", "true"),
            ("REDIS_URL", &redis_url),
            ("LLMO_REDIS__TIMEOUT", "20s"),
            ("LOG_LEVEL", "info,access=debug"),
        ],
    );
    redis.cli(&["CLIENT", "PAUSE", "3000", "ALL"]);
    let url = srv.url("/admin/health");
    let in_flight = std::thread::spawn(move || get_json(&url, &[("X-Admin-Key", ADMIN_KEY)]));
    srv.proc
        .wait_for("request received", Duration::from_secs(10));

    srv.proc.signal("TERM");
    srv.proc
        .wait_for("SIGTERM received", Duration::from_secs(10));
    let (status, body, _) = in_flight.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["redis"]["status"], "up", "{body}");

    let status = srv.proc.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{}", srv.proc.output());
    // New connections are refused once it has stopped.
    assert!(TcpStream::connect(srv.addr).is_err());
}

#[test]
fn sigint_also_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &admin_env());
    srv.proc.signal("INT");
    let status = srv.proc.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{}", srv.proc.output());
    assert!(srv.proc.output().contains("stopped"));
}

#[test]
fn systemd_is_told_ready_and_stopping_when_notify_socket_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut srv = Server::start(
        dir.path(),
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
        ],
    );
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(std::str::from_utf8(&buf[..n]).unwrap().trim(), "READY=1");
    srv.proc.signal("TERM");
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(std::str::from_utf8(&buf[..n]).unwrap().trim(), "STOPPING=1");
    assert_eq!(srv.proc.wait_exit(Duration::from_secs(30)).code(), Some(0));
}

#[test]
fn serve_starts_with_redis_unreachable_and_reports_it_degraded() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{}/0", proc::free_port());
    let srv = Server::start(
        dir.path(),
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("REDIS_ENABLED", "true"),
            ("REDIS_URL", &url),
        ],
    );
    srv.proc
        .wait_for("redis unreachable", Duration::from_secs(5));
    let (status, body, _) = get_json(&srv.url("/admin/health"), &[("X-Admin-Key", ADMIN_KEY)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["redis"]["status"], "down");
    let (status, _, _) = get_json(&srv.url("/health"), &[]);
    assert_eq!(status, 200);
}

#[test]
fn log_file_receives_the_same_lines_as_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(
        dir.path(),
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("LOG_FILE", "logs/app.log"),
            ("LOG_FORMAT", "json"),
        ],
    );
    let (status, _, _) = get_json(&srv.url("/health"), &[("X-Request-ID", "in-the-file")]);
    assert_eq!(status, 200);
    srv.proc.wait_for("in-the-file", Duration::from_secs(10));
    // A clean stop flushes the background file writer.
    let mut srv = srv;
    srv.proc.signal("TERM");
    assert_eq!(srv.proc.wait_exit(Duration::from_secs(30)).code(), Some(0));
    let logs: Vec<_> = std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .collect();
    assert_eq!(logs.len(), 1, "one file, named with the date");
    let path = logs[0].as_ref().unwrap().path();
    assert!(path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("app.log."));
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("in-the-file"))
        .expect("access line in the file");
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(v["status"], 200);
}

#[test]
fn serve_refuses_to_start_with_pending_migrations_when_auto_migrate_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let out = proc::run(
        proc::cmd(dir.path())
            .args(["serve", "--port", "0", "--no-migrate"])
            .env("ADMIN_KEY", ADMIN_KEY),
    );
    assert_eq!(out.status.code(), Some(2), "{}", proc::stderr(&out));
    assert!(
        proc::stderr(&out).contains("migrate run"),
        "{}",
        proc::stderr(&out)
    );
}

#[test]
fn a_port_in_use_is_a_clear_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = proc::run(
        proc::cmd(dir.path())
            .args(["serve", "--host", "127.0.0.1", "--port", &port])
            .env("ADMIN_KEY", ADMIN_KEY),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        proc::stderr(&out).contains(&format!("cannot bind 127.0.0.1:{port}")),
        "{}",
        proc::stderr(&out)
    );
}

#[test]
fn admin_health_reports_redis_up_when_it_answers() {
    let Some(redis_url) = proc::shared_redis_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(
        dir.path(),
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("REDIS_ENABLED", "1"),
            ("REDIS_URL", &redis_url),
        ],
    );
    srv.proc.wait_for("redis connected", Duration::from_secs(5));
    let (status, body, _) = get_json(&srv.url("/admin/health"), &[("X-Admin-Key", ADMIN_KEY)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["redis"]["status"], "up");
    assert!(body["redis"]["latency_ms"].is_number());
}

#[test]
fn cors_allows_only_the_configured_origins() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(
        dir.path(),
        &[
            ("ADMIN_KEY", ADMIN_KEY),
            ("CORS_ORIGINS", "https://console.example.com"),
        ],
    );
    let (_, _, h) = get_json(
        &srv.url("/health"),
        &[("Origin", "https://console.example.com")],
    );
    assert_eq!(
        h.get("access-control-allow-origin").unwrap(),
        "https://console.example.com"
    );
    // Not a substring match: the Python version's bug.
    let (status, _, h) = get_json(
        &srv.url("/health"),
        &[("Origin", "https://console.example.com.evil.io")],
    );
    assert!(h.get("access-control-allow-origin").is_none(), "{status}");
}
