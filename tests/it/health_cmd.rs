//! `health` exit codes as shell scripts and cron see them.

use std::time::Duration;

use crate::util::proc::{self, OwnRedis, Server, ADMIN_KEY};

fn health(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = proc::cmd(dir);
    c.arg("health").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    proc::run(&mut c)
}

#[test]
fn health_exits_0_when_the_server_is_up_and_1_when_it_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[("ADMIN_KEY", ADMIN_KEY)]);
    let base = format!("http://{}", srv.addr);

    let out = health(dir.path(), &["--url", &base], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        proc::stdout(&out),
        proc::stderr(&out)
    );
    assert!(proc::stdout(&out).contains("healthy"));

    // The address also comes from the same config as serve's.
    let port = srv.addr.port().to_string();
    let out = health(
        dir.path(),
        &[],
        &[("APP_HOST", "0.0.0.0"), ("APP_PORT", &port)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", proc::stdout(&out));

    let out = health(
        dir.path(),
        &["--url", &base, "--deep", "--json"],
        &[("ADMIN_KEY", ADMIN_KEY)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", proc::stdout(&out));
    let v: serde_json::Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert_eq!(v["status"], "healthy");
    let names: Vec<_> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, ["server", "database", "redis", "admin"]);
    assert_eq!(v["checks"][3]["status"], "up");

    // A wrong admin key makes the deep check fail.
    let out = health(
        dir.path(),
        &["--url", &base, "--deep"],
        &[("ADMIN_KEY", "not-the-right-key-000")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", proc::stdout(&out));
    assert!(
        proc::stdout(&out).contains("HTTP 403"),
        "{}",
        proc::stdout(&out)
    );

    let mut srv = srv;
    srv.proc.signal("TERM");
    srv.proc.wait_exit(Duration::from_secs(30));
    let out = health(dir.path(), &["--url", &base, "--timeout", "2s"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", proc::stdout(&out));
    assert!(
        proc::stdout(&out).contains("unreachable"),
        "{}",
        proc::stdout(&out)
    );
}

#[test]
fn health_exits_2_on_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = health(dir.path(), &[], &[("APP_PORT", "eighty")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        proc::stderr(&out).contains("APP_PORT"),
        "{}",
        proc::stderr(&out)
    );
    let out = health(dir.path(), &["--timeout", "soon"], &[]);
    assert_eq!(out.status.code(), Some(2), "a usage error is 2 too");
}

#[test]
fn deep_health_fails_when_redis_stops_while_plain_health_still_passes() {
    let dir = tempfile::tempdir().unwrap();
    let redis = OwnRedis::start(dir.path());
    let redis_url = redis.url();
    let env = [
        ("ADMIN_KEY", ADMIN_KEY),
        ("REDIS_ENABLED", "true"),
        ("REDIS_URL", redis_url.as_str()),
    ];
    let srv = Server::start(dir.path(), &env);
    let base = format!("http://{}", srv.addr);

    let out = health(dir.path(), &["--url", &base, "--deep"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stdout(&out));

    let port = redis.port;
    redis.stop();
    let out = health(dir.path(), &["--url", &base, "--deep", "--json"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", proc::stdout(&out));
    let v: serde_json::Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert_eq!(v["checks"][2]["name"], "redis");
    assert_eq!(v["checks"][2]["status"], "down");
    // The server itself keeps answering, and reports itself degraded.
    let out = health(dir.path(), &["--url", &base], &env);
    assert_eq!(out.status.code(), Some(0));
    let (status, body, _) =
        proc::get_json(&srv.url("/admin/health"), &[("X-Admin-Key", ADMIN_KEY)]);
    assert_eq!(status, 200);
    assert_eq!(body["status"], "degraded");

    // Redis comes back on the same address: the server reconnects by itself.
    let _redis = OwnRedis::start_on(dir.path(), port);
    let out = health(dir.path(), &["--url", &base, "--deep"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stdout(&out));
    let (_, body, _) = proc::get_json(&srv.url("/admin/health"), &[("X-Admin-Key", ADMIN_KEY)]);
    assert_eq!(body["status"], "healthy", "{body}");
}
