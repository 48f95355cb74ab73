//! Upstream health through the real binary: active probes (the model list, with each key's own
//! auth, every interval), a key the upstream rejects shown unhealthy and brought back by a
//! probe once fixed, states saved to `provider_health` and read back by a restarted instance,
//! two instances sharing an opened circuit through Redis; and the store's `provider_health`
//! queries on every backend.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::Utc;
use llm_orchestrator::catalog::model::{NewProvider, NewProviderKey};
use llm_orchestrator::catalog::store::HealthRecord;
use llm_orchestrator::catalog::Store;
use llm_orchestrator::security::secrets::Secrets;
use serde_json::{json, Value};

use crate::util::backends::backend_tests;
use crate::util::mock_upstream::MockUpstream;
use crate::util::proc::{http, OwnRedis, Server, ADMIN_KEY};
use crate::util::{TestDb, TestResult};

const GOOD: &str = "sk-health-good-0123456789";
const BAD: &str = "sk-health-bad-0123456789";
const FIXED: &str = "sk-health-fixed-0123456789";
const MASTER: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// An OpenAI-style upstream that lists one model for any key but [`BAD`], which it answers
/// with 401 as OpenAI does.
struct Rejecting {
    addr: std::net::SocketAddr,
    handle: actix_web::dev::ServerHandle,
}

impl Rejecting {
    fn start() -> Rejecting {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server =
                    HttpServer::new(|| App::new().route("/v1/models", web::get().to(models)))
                        .workers(1)
                        .disable_signals()
                        .listen(listener)
                        .unwrap()
                        .run();
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            })
        });
        Rejecting {
            addr,
            handle: rx.recv().unwrap(),
        }
    }

    fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for Rejecting {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn models(req: HttpRequest) -> HttpResponse {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth == format!("Bearer {BAD}") || auth.is_empty() {
        return HttpResponse::Unauthorized().json(json!({"error": {
            "message": "Incorrect API key provided", "type": "invalid_request_error",
            "code": "invalid_api_key"
        }}));
    }
    HttpResponse::Ok().json(json!({"object": "list", "data": [{"id": "m1", "object": "model"}]}))
}

fn call(srv: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let req = ureq::http::Request::builder()
        .method(method)
        .uri(srv.url(path))
        .header("X-Admin-Key", ADMIN_KEY)
        .header("content-type", "application/json");
    let mut res = http()
        .run(
            req.body(body.map(|b| b.to_string()).unwrap_or_default())
                .unwrap(),
        )
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Polls `f` every 20 ms until it gives `Some`, or panics after `limit` with `what`.
fn eventually<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        // Polling a condition with a deadline, not waiting for readiness.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Creates an OpenAI provider at `base` with keys `good` and `bad`; returns (provider id,
/// good key id, bad key id).
fn provider(srv: &Server, name: &str, base: &str) -> (i64, i64, i64) {
    let (s, p) = call(
        srv,
        "POST",
        "/admin/providers",
        Some(json!({"name": name, "kind": "openai", "base_url": base,
            "keys": [{"label": "good", "key": GOOD}, {"label": "bad", "key": BAD}]})),
    );
    assert_eq!(s, 201, "{p}");
    let id = |i: usize| p["keys"][i]["id"].as_i64().unwrap();
    (p["id"].as_i64().unwrap(), id(0), id(1))
}

/// The health of key `key_id` in a `GET /admin/providers/{id}/health` answer.
fn key_health(report: &Value, key_id: i64) -> Value {
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == key_id)
        .cloned()
        .unwrap_or_else(|| panic!("key {key_id} in {report}"))
}

fn health_of(srv: &Server, provider: i64) -> Value {
    let (s, report) = call(
        srv,
        "GET",
        &format!("/admin/providers/{provider}/health"),
        None,
    );
    assert_eq!(s, 200, "{report}");
    report
}

fn fast_probes(db: &TestDb) -> Vec<(&str, &str)> {
    vec![
        ("ADMIN_KEY", ADMIN_KEY),
        ("DATABASE_URL", db.url()),
        ("MASTER_KEY", MASTER),
        ("LLMO_HEALTH_CHECK__INTERVAL", "200ms"),
    ]
}

#[test]
fn probes_list_the_models_with_each_keys_own_auth_at_the_configured_interval() {
    let upstream = MockUpstream::start(&["m1"]);
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &fast_probes(&db));
    let (s, oa) = call(
        &srv,
        "POST",
        "/admin/providers",
        Some(
            json!({"name": "oa", "kind": "openai", "base_url": upstream.url("/v1"),
            "keys": [{"label": "k", "key": GOOD}]}),
        ),
    );
    assert_eq!(s, 201, "{oa}");
    let (s, an) = call(
        &srv,
        "POST",
        "/admin/providers",
        Some(
            json!({"name": "an", "kind": "anthropic", "base_url": upstream.url(""),
            "keys": [{"label": "k", "key": FIXED}, {"label": "off", "key": BAD, "enabled": false}]}),
        ),
    );
    assert_eq!(s, 201, "{an}");

    let bearer = format!("Bearer {GOOD}");
    let openai_probes = || {
        upstream
            .seen()
            .iter()
            .filter(|r| r.uri == "/v1/models" && r.header("authorization") == Some(&bearer))
            .count()
    };
    let first = eventually(Duration::from_secs(10), "a first probe", || {
        (openai_probes() >= 1).then(Instant::now)
    });
    let fourth = eventually(Duration::from_secs(10), "three more probes", || {
        (openai_probes() >= 4).then(Instant::now)
    });
    assert!(
        fourth - first >= Duration::from_millis(400),
        "three 200ms intervals, not a busy loop: {:?}",
        fourth - first
    );
    let seen = upstream.seen();
    let anthropic: Vec<_> = seen
        .iter()
        .filter(|r| r.header("x-api-key").is_some())
        .collect();
    assert!(!anthropic.is_empty(), "the anthropic key is probed too");
    assert!(anthropic.iter().all(|r| r.uri.starts_with("/v1/models")
        && r.header("x-api-key") == Some(FIXED)
        && r.header("anthropic-version").is_some()));
    assert!(
        seen.iter().all(|r| r.header("x-api-key") != Some(BAD)),
        "a disabled key is not probed"
    );
    assert!(
        seen.iter().all(|r| r.method == "GET"),
        "list models: nothing billable"
    );

    let report = health_of(&srv, oa["id"].as_i64().unwrap());
    assert_eq!(report["state"], "healthy", "{report}");
    assert_eq!(report["keys"][0]["state"], "healthy", "{report}");
    assert!(report["keys"][0]["last_check_at"].is_string(), "{report}");
}

#[test]
fn a_key_the_upstream_rejects_shows_unhealthy_until_a_probe_sees_it_fixed() {
    let upstream = Rejecting::start();
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &fast_probes(&db));
    let (id, good, bad) = provider(&srv, "rejecting", &upstream.base());

    let report = eventually(Duration::from_secs(10), "the bad key unhealthy", || {
        let r = health_of(&srv, id);
        (key_health(&r, bad)["state"] == "unhealthy").then_some(r)
    });
    let k = key_health(&report, bad);
    assert_eq!(k["label"], "bad");
    assert_eq!(k["last_status"], 401, "{k}");
    assert_eq!(k["last_error"], "key_rejected", "{k}");
    assert!(
        k["retry_in_seconds"].as_f64().unwrap() > 3000.0,
        "rests an hour: {k}"
    );
    assert!(k["opened_at"].is_string(), "{k}");
    assert_eq!(key_health(&report, good)["state"], "healthy", "{report}");
    assert_eq!(
        report["state"], "healthy",
        "a bad key is not a bad provider: {report}"
    );
    assert_eq!(report["name"], "rejecting");
    let text = report.to_string();
    assert!(
        !text.contains(BAD) && !text.contains(GOOD),
        "no secrets: {text}"
    );

    let (s, system) = call(&srv, "GET", "/admin/health", None);
    assert_eq!(s, 200, "{system}");
    let summary = &system["providers"];
    assert_eq!(
        summary["providers"],
        json!({"healthy": 1, "degraded": 0, "unhealthy": 0})
    );
    assert_eq!(summary["keys"]["unhealthy"], 1, "{summary}");
    assert_eq!(summary["keys"]["healthy"], 1, "{summary}");
    assert_eq!(summary["unhealthy"][0]["key"], "bad", "{summary}");
    assert_eq!(summary["unhealthy"][0]["last_status"], 401, "{summary}");
    assert_eq!(summary["probes"]["probe"], "models", "{summary}");
    assert!(
        system["warnings"].to_string().contains("resting"),
        "{}",
        system["warnings"]
    );

    let (s, e) = call(&srv, "GET", "/admin/providers/999/health", None);
    assert_eq!(s, 404, "{e}");
    assert_eq!(e["error"]["message"], "provider 999 not found", "{e}");
    assert_eq!(e["error"]["code"], "not_found", "{e}");

    // The operator replaces the key: the next probe brings it back, no waiting the hour out.
    let (s, p) = call(
        &srv,
        "PATCH",
        &format!("/admin/provider-keys/{bad}"),
        Some(json!({"key": FIXED})),
    );
    assert_eq!(s, 200, "{p}");
    eventually(Duration::from_secs(10), "the fixed key healthy", || {
        (key_health(&health_of(&srv, id), bad)["state"] == "healthy").then_some(())
    });
    srv.proc.wait_for(
        "circuit opened: provider `rejecting` key `bad`",
        Duration::from_secs(5),
    );
    srv.proc.wait_for(
        "circuit closed: provider `rejecting` key `bad`",
        Duration::from_secs(5),
    );
}

#[test]
fn states_are_saved_and_a_restarted_instance_starts_with_the_rejected_key_resting() {
    let upstream = Rejecting::start();
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut srv = Server::start(dir.path(), &fast_probes(&db));
    let (id, good, bad) = provider(&srv, "saved", &upstream.base());
    eventually(Duration::from_secs(10), "the bad key unhealthy", || {
        (key_health(&health_of(&srv, id), bad)["state"] == "unhealthy").then_some(())
    });
    srv.proc.signal("TERM");
    assert_eq!(srv.proc.wait_exit(Duration::from_secs(30)).code(), Some(0));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = || {
        rt.block_on(async {
            let store = Store::new(db.connect().await, Secrets::random());
            store.load_provider_health().await.unwrap()
        })
    };
    let saved = rows();
    let row = |key_id: i64| {
        saved
            .iter()
            .find(|r| r.provider_id == id && r.key_id == key_id)
            .unwrap_or_else(|| panic!("a row for key {key_id}: {saved:?}"))
    };
    assert_eq!(row(0).state, "healthy", "{saved:?}");
    assert_eq!(row(good).state, "healthy");
    let b = row(bad);
    assert_eq!(b.state, "unhealthy");
    assert_eq!(b.last_status, Some(401));
    assert_eq!(b.last_error.as_deref(), Some("key_rejected"));
    let opened = b.opened_at.expect("opened_at");
    assert!(Utc::now() - opened < chrono::Duration::minutes(1));
    assert!(b.last_check_at.is_some());

    // Restarted without probes: the rejected key still rests, as saved.
    let mut env = fast_probes(&db);
    env.push(("LLMO_HEALTH_CHECK__ENABLED", "false"));
    let mut srv = Server::start(dir.path(), &env);
    srv.proc
        .wait_for("1 circuits still resting", Duration::from_secs(5));
    let report = health_of(&srv, id);
    let k = key_health(&report, bad);
    assert_eq!(k["state"], "unhealthy", "{report}");
    assert_eq!(k["last_status"], 401, "{report}");
    assert!(k["retry_in_seconds"].as_f64().unwrap() > 3000.0, "{k}");
    assert_eq!(key_health(&report, good)["state"], "healthy", "{report}");

    // A deleted key's row goes at the next save.
    let (s, _) = call(&srv, "DELETE", &format!("/admin/provider-keys/{bad}"), None);
    assert_eq!(s, 204);
    srv.proc.signal("TERM");
    assert_eq!(srv.proc.wait_exit(Duration::from_secs(30)).code(), Some(0));
    let saved = rows();
    assert!(saved.iter().all(|r| r.key_id != bad), "{saved:?}");
    assert!(saved.iter().any(|r| r.key_id == good), "{saved:?}");
}

#[test]
fn an_opened_circuit_reaches_the_other_instance_through_redis_and_so_does_its_closing() {
    let dir = tempfile::tempdir().unwrap();
    let redis = OwnRedis::start(dir.path());
    let redis_url = redis.url();
    let upstream = Rejecting::start();
    let db = TestDb::sqlite();
    let shared = [
        ("REDIS_ENABLED", "true"),
        ("REDIS_URL", redis_url.as_str()),
        ("LOG_LEVEL", "info,llm_orchestrator::cache=debug"),
    ];
    let mut env_a = fast_probes(&db);
    env_a.extend_from_slice(&shared);
    // Only `a` probes: whatever `b` learns, it learns from `a`.
    let mut env_b = env_a.clone();
    env_b.push(("LLMO_HEALTH_CHECK__ENABLED", "false"));
    let a = Server::start(dir.path(), &env_a);
    let b = Server::start(dir.path(), &env_b);
    b.proc
        .wait_for("subscribed to llmo:health", Duration::from_secs(10));

    let (id, good, bad) = provider(&a, "shared", &upstream.base());
    let report = eventually(
        Duration::from_secs(10),
        "b sees the bad key resting",
        || {
            let (s, r) = call(&b, "GET", &format!("/admin/providers/{id}/health"), None);
            (s == 200 && key_health(&r, bad)["state"] == "unhealthy").then_some(r)
        },
    );
    let k = key_health(&report, bad);
    assert_eq!(k["last_status"], 401, "{k}");
    assert!(k["retry_in_seconds"].as_f64().unwrap() > 3000.0, "{k}");
    assert_eq!(key_health(&report, good)["state"], "healthy", "{report}");

    let (s, _) = call(
        &a,
        "PATCH",
        &format!("/admin/provider-keys/{bad}"),
        Some(json!({"key": FIXED})),
    );
    assert_eq!(s, 200);
    eventually(Duration::from_secs(10), "b sees the key back", || {
        (key_health(&health_of(&b, id), bad)["state"] == "healthy").then_some(())
    });

    // Without Redis each instance goes on with what it sees itself.
    redis.stop();
    let (s, _) = call(
        &a,
        "PATCH",
        &format!("/admin/provider-keys/{bad}"),
        Some(json!({"key": BAD})),
    );
    assert_eq!(s, 200);
    eventually(Duration::from_secs(10), "a rests the key again", || {
        (key_health(&health_of(&a, id), bad)["state"] == "unhealthy").then_some(())
    });
    let (s, _) = call(&b, "GET", "/admin/health", None);
    assert_eq!(s, 200);
}

backend_tests!(provider_health_rows_are_upserted_pruned_and_read_back);

async fn provider_health_rows_are_upserted_pruned_and_read_back(t: TestDb) -> TestResult {
    let store = Store::new(t.migrated().await, Secrets::random());
    let new: NewProvider = serde_json::from_value(json!({"name": "p", "kind": "openai"}))?;
    let p = store.create_provider(new).await?;
    let key = |label: &str| -> NewProviderKey {
        serde_json::from_value(json!({"label": label, "key": GOOD})).unwrap()
    };
    let k1 = store.create_provider_key(p.id, key("k1")).await?;
    let k2 = store.create_provider_key(p.id, key("k2")).await?;
    let now = Utc::now();
    let rec = |key_id: i64, state: &str| {
        HealthRecord {
            provider_id: p.id,
            key_id,
            state: state.into(),
            consecutive_failures: 0,
            consecutive_successes: 3,
            last_error: None,
            last_status: None,
            last_check_at: Some(now),
            opened_at: None,
        }
        .normalized()
    };
    let mut rejected = rec(k1.id, "unhealthy");
    rejected.consecutive_failures = 1;
    rejected.last_error = Some("key_rejected".into());
    rejected.last_status = Some(401);
    rejected.opened_at = Some(now);
    let rejected = rejected.normalized();
    let mut gone = rec(0, "healthy");
    gone.provider_id = p.id + 1000;
    let first = vec![
        rec(0, "healthy"),
        rejected.clone(),
        rec(k2.id, "degraded"),
        gone,
    ];
    assert_eq!(
        store.save_provider_health(&first).await?,
        3,
        "an unknown provider is skipped"
    );
    assert_eq!(store.load_provider_health().await?, first[..3].to_vec());

    // Writing again updates in place; the fixed key's error and opening are cleared.
    let fixed = rec(k1.id, "healthy");
    assert_eq!(
        store
            .save_provider_health(std::slice::from_ref(&fixed))
            .await?,
        1
    );
    let rows = store.load_provider_health().await?;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1], fixed);

    assert_eq!(store.prune_provider_health().await?, 0);
    store.delete_provider_key(k2.id).await?;
    assert_eq!(
        store.prune_provider_health().await?,
        1,
        "the deleted key's row"
    );
    assert_eq!(store.load_provider_health().await?.len(), 2);
    store.delete_provider(p.id).await?;
    assert!(store.load_provider_health().await?.is_empty(), "cascade");
    Ok(())
}
