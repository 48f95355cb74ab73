//! The catalog's admin API through the real binary: the auth matrix over every admin route,
//! CRUD / batch / filter round trips with their error statuses, secrets that never come
//! back, live model discovery against a mock upstream, and two instances kept in step.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::mock_upstream::MockUpstream;
use crate::util::proc::{self, http, Server, ADMIN_KEY};
use crate::util::TestDb;

const LEAK: &str = "sk-LEAKCHECK-0123456789abcdefXYZ";

/// Sends `method path` with the admin key and an optional JSON body; returns status + body.
fn call(srv: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    call_with(srv, method, path, body, &[("X-Admin-Key", ADMIN_KEY)])
}

fn call_with(
    srv: &Server,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let url = srv.url(path);
    let agent = http();
    let mut res = match body {
        Some(b) => {
            let mut req = ureq::http::Request::builder().method(method).uri(&url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let req = req
                .header("content-type", "application/json")
                .body(b.to_string())
                .unwrap();
            agent.run(req)
        }
        None => {
            let mut req = ureq::http::Request::builder().method(method).uri(&url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            agent.run(req.body(()).unwrap())
        }
    }
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn start(dir: &std::path::Path, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![("ADMIN_KEY", ADMIN_KEY)];
    env.extend_from_slice(extra);
    Server::start(dir, &env)
}

#[test]
fn every_admin_route_answers_401_without_a_key_and_403_with_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), &[]);
    let table = llm_orchestrator::http::admin::route_table();
    assert!(
        table.len() >= 30,
        "the table lists the routes: {}",
        table.len()
    );
    for entry in table {
        let method = entry.method;
        let path = entry.path.replace("{id}", "1");
        let body = (method != "GET" && method != "DELETE").then(|| json!({}));
        let (status, _) = call_with(&srv, method.as_str(), &path, body.clone(), &[]);
        assert_eq!(status, 401, "{method} {path} without a key");
        let (status, _) = call_with(
            &srv,
            method.as_str(),
            &path,
            body,
            &[("Authorization", "Bearer wrong-key-123")],
        );
        assert_eq!(status, 403, "{method} {path} with a wrong key");
    }
}

#[test]
fn providers_models_routes_and_keys_round_trip_with_specific_errors() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), &[]);

    let (s, p) = call(
        &srv,
        "POST",
        "/admin/providers",
        Some(
            json!({"name":"openai-main","kind":"openai","base_url":"https://api.openai.com/v1",
                     "keys":[{"label":"k1","key":LEAK}]}),
        ),
    );
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_i64().unwrap();
    assert_eq!(p["keys"][0]["label"], "k1");
    assert!(p["keys"][0]["key_hint"].as_str().unwrap().contains('…'));

    let (s, e) = call(
        &srv,
        "POST",
        "/admin/providers",
        Some(json!({"name":"openai-main","kind":"openai"})),
    );
    assert_eq!(s, 409, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("openai-main"),
        "{e}"
    );

    let (s, e) = call(
        &srv,
        "PATCH",
        &format!("/admin/providers/{pid}"),
        Some(json!({"wieght": 3})),
    );
    assert_eq!(s, 400);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("wieght"),
        "{e}"
    );

    let (s, e) = call(
        &srv,
        "PATCH",
        &format!("/admin/providers/{pid}"),
        Some(json!({"weight": -5})),
    );
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["param"], "weight");

    let (s, p2) = call(
        &srv,
        "PATCH",
        &format!("/admin/providers/{pid}"),
        Some(json!({"weight": 7})),
    );
    assert_eq!(s, 200);
    assert_eq!(p2["weight"], 7);
    assert_eq!(p2["name"], "openai-main", "PATCH leaves other fields alone");

    let (s, e) = call(&srv, "GET", "/admin/providers/999999", None);
    assert_eq!(s, 404);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("999999"),
        "{e}"
    );

    let (s, m) = call(
        &srv,
        "POST",
        "/admin/models",
        Some(json!({"name":"gpt-4o","aliases":["gpt4o"]})),
    );
    assert_eq!(s, 201, "{m}");
    let (s, r) = call(
        &srv,
        "POST",
        "/admin/routes",
        Some(
            json!({"model":"gpt-4o","provider":"openai-main","upstream_model":"gpt-4o-2024-08-06",
                     "capabilities":["tools","vision"]}),
        ),
    );
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["model"], "gpt-4o");
    assert_eq!(r["provider"], "openai-main");

    // Filters and paging.
    for name in ["a-1", "a-2", "b-1"] {
        let (s, _) = call(
            &srv,
            "POST",
            "/admin/providers",
            Some(json!({"name":name,"kind":"gemini","enabled":name!="a-2"})),
        );
        assert_eq!(s, 201);
    }
    let (_, page) = call(&srv, "GET", "/admin/providers?kind=gemini&limit=2", None);
    assert_eq!(page["total"], 3);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let (_, page) = call(&srv, "GET", "/admin/providers?q=a-&enabled=true", None);
    assert_eq!(page["total"], 1, "{page}");
    let (s, e) = call(&srv, "GET", "/admin/providers?enabeld=true", None);
    assert_eq!(
        s, 400,
        "a misspelt filter is an error, not a silent match-all: {e}"
    );

    // Batch: disable two, then an all-or-nothing delete with one unknown id.
    let (_, page) = call(&srv, "GET", "/admin/providers?kind=gemini", None);
    let ids: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    let (s, b) = call(
        &srv,
        "POST",
        "/admin/providers/batch",
        Some(json!({"action":"disable","ids":ids})),
    );
    assert_eq!((s, b["affected"].as_i64()), (200, Some(3)), "{b}");
    let mut with_unknown = ids.clone();
    with_unknown.push(424242);
    let (s, _) = call(
        &srv,
        "POST",
        "/admin/providers/batch",
        Some(json!({"action":"delete","ids":with_unknown})),
    );
    assert_eq!(s, 404);
    let (_, page) = call(&srv, "GET", "/admin/providers?kind=gemini", None);
    assert_eq!(page["total"], 3, "nothing was deleted");
    let (s, b) = call(
        &srv,
        "POST",
        "/admin/models/batch",
        Some(json!({"action":"create","items":[{"name":"m-ok"},{"name":"bad name"}]})),
    );
    assert_eq!(s, 400, "{b}");
    let (_, page) = call(&srv, "GET", "/admin/models?q=m-ok", None);
    assert_eq!(page["total"], 0, "a bad item writes nothing");

    // Deleting the provider removes its keys and routes.
    let (s, _) = call(&srv, "DELETE", &format!("/admin/providers/{pid}"), None);
    assert_eq!(s, 204);
    let (_, routes) = call(&srv, "GET", "/admin/routes", None);
    assert_eq!(routes["total"], 0);

    // The provider key was never shown, in any response or log line.
    assert!(!srv.proc.output().contains(LEAK));
}

#[test]
fn client_keys_are_shown_once_and_rotate_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), &[]);
    let (s, k) = call(
        &srv,
        "POST",
        "/admin/client-keys",
        Some(json!({"name":"team-a","allowed_models":["gpt-4o"]})),
    );
    assert_eq!(s, 201, "{k}");
    let key = k["key"].as_str().unwrap().to_string();
    let id = k["id"].as_i64().unwrap();
    assert!(key.starts_with("sk-llmo-"));
    assert!(key.starts_with(k["key_prefix"].as_str().unwrap()));
    let (_, got) = call(&srv, "GET", &format!("/admin/client-keys/{id}"), None);
    assert!(
        got.get("key").is_none(),
        "a read never returns the key: {got}"
    );

    let (s, rotated) = call(
        &srv,
        "POST",
        &format!("/admin/client-keys/{id}/rotate"),
        None,
    );
    assert_eq!(s, 200);
    assert_ne!(rotated["key"], key);
    let (s, revoked) = call(
        &srv,
        "POST",
        &format!("/admin/client-keys/{id}/revoke"),
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(revoked["enabled"], false);
    let (_, snap) = call(&srv, "GET", "/admin/catalog/snapshot", None);
    assert_eq!(snap["client_keys"], 1);
}

#[test]
fn models_are_discovered_live_in_each_protocol_and_imported_with_routes() {
    let upstream = MockUpstream::start(&["model-a", "model-b"]);
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), &[]);
    let providers = [
        ("oa", "openai", upstream.url("/v1")),
        ("an", "anthropic", upstream.url("")),
        ("ge", "gemini", upstream.url("")),
    ];
    for (name, kind, base) in &providers {
        let (s, p) = call(
            &srv,
            "POST",
            "/admin/providers",
            Some(
                json!({"name":name,"kind":kind,"base_url":base,"keys":[{"label":"k","key":LEAK}]}),
            ),
        );
        assert_eq!(s, 201, "{p}");
        let id = p["id"].as_i64().unwrap();
        let (s, found) = call(&srv, "GET", &format!("/admin/providers/{id}/models"), None);
        assert_eq!(s, 200, "{kind}: {found}");
        let ids: Vec<_> = found["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect();
        assert_eq!(ids, [json!("model-a"), json!("model-b")], "{kind}");
    }
    // Gemini's key travels in a header, never in the URL.
    for seen in upstream.seen() {
        assert!(!seen.uri.contains(LEAK), "key in a URL: {}", seen.uri);
    }
    let gemini = upstream
        .seen()
        .into_iter()
        .find(|s| s.uri.starts_with("/v1beta"))
        .unwrap();
    assert_eq!(gemini.method, "GET");
    assert_eq!(gemini.header("x-goog-api-key"), Some(LEAK));

    let (_, p) = call(&srv, "GET", "/admin/providers?q=oa", None);
    let oa = p["data"][0]["id"].as_i64().unwrap();
    let (s, report) = call(
        &srv,
        "POST",
        &format!("/admin/providers/{oa}/models/import"),
        Some(json!({"models":["model-a"]})),
    );
    assert_eq!(s, 200, "{report}");
    let (_, routes) = call(&srv, "GET", "/admin/routes", None);
    assert_eq!(routes["total"], 1);
    assert_eq!(routes["data"][0]["upstream_model"], "model-a");
    // Importing again changes nothing.
    let (_, report) = call(
        &srv,
        "POST",
        &format!("/admin/providers/{oa}/models/import"),
        Some(json!({"models":["model-a"]})),
    );
    assert_eq!(report["changes"], json!([]), "{report}");
    let (s, e) = call(
        &srv,
        "POST",
        &format!("/admin/providers/{oa}/models/import"),
        Some(json!({"models":["nope"]})),
    );
    assert_eq!(s, 400, "{e}");
    assert!(!srv.proc.output().contains(LEAK));
}

#[test]
fn a_write_on_one_instance_reaches_the_other_within_a_second_through_redis() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(db) = rt.block_on(TestDb::mysql()) else {
        return;
    };
    let Some(redis) = proc::shared_redis_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Both instances share the database, Redis and the master key; a long periodic refresh
    // proves the update came through Redis, not the backstop.
    let master = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let prefix = format!("llmo-test-{}", std::process::id());
    let env = [
        ("DATABASE_URL", db.url()),
        ("REDIS_ENABLED", "true"),
        ("REDIS_URL", redis.as_str()),
        ("LLMO_REDIS__KEY_PREFIX", prefix.as_str()),
        ("MASTER_KEY", master),
        ("LLMO_CATALOG__REFRESH_INTERVAL", "1h"),
    ];
    let a = start(dir.path(), &env);
    let b = start(dir.path(), &env);
    let (s, _) = call(
        &a,
        "POST",
        "/admin/models",
        Some(json!({"name":"shared-model"})),
    );
    assert_eq!(s, 201);
    let written = Instant::now();
    loop {
        let (_, snap) = call(&b, "GET", "/admin/catalog/snapshot", None);
        if snap["models"]
            .as_array()
            .unwrap()
            .contains(&json!("shared-model"))
        {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "instance b did not see the write: {snap}"
        );
        // Polling a condition with a deadline, not waiting for readiness.
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_openapi_document_lists_every_admin_route_and_docs_follow_the_switch() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), &[]);
    let (s, spec) = call_with(&srv, "GET", "/openapi.json", None, &[]);
    assert_eq!(s, 200);
    let paths = spec["paths"].as_object().unwrap();
    for entry in llm_orchestrator::http::admin::route_table() {
        let item = paths
            .get(&entry.path)
            .unwrap_or_else(|| panic!("{} missing", entry.path));
        assert!(
            item.get(entry.method.as_str().to_lowercase()).is_some(),
            "{} {}",
            entry.method,
            entry.path
        );
    }
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for name in [
        "NewProvider",
        "ProviderPatch",
        "Route",
        "IssuedClientKey",
        "Error",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    let mut res = http().get(srv.url("/docs/")).call().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res
        .body_mut()
        .read_to_string()
        .unwrap()
        .to_lowercase()
        .contains("swagger"));

    let prod = start(dir.path(), &[("APP_ENV", "production")]);
    let (s, _) = call_with(&prod, "GET", "/openapi.json", None, &[]);
    assert_eq!(s, 404, "docs are off in production unless switched on");
}

#[test]
fn the_catalog_exports_and_imports_over_http_with_dry_run_and_masked_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), &[]);
    let toml = format!(
        r#"
[[providers]]
name = "openai-main"
kind = "openai"
base_url = "https://api.openai.com/v1"
keys = [{{ label = "k1", key = "{LEAK}" }}]

[[models]]
name = "gpt-4o"
aliases = ["gpt4o"]

[[routes]]
model = "gpt-4o"
provider = "openai-main"
upstream_model = "gpt-4o-2024-08-06"
capabilities = ["tools", "streaming"]
"#
    );
    let post = |query: &str, body: &str, ct: &str| -> (u16, Value) {
        let mut res = http()
            .post(srv.url(&format!("/admin/catalog/import{query}")))
            .header("X-Admin-Key", ADMIN_KEY)
            .header("Content-Type", ct)
            .send(body)
            .unwrap();
        let status = res.status().as_u16();
        (status, res.body_mut().read_json().unwrap_or(Value::Null))
    };

    let (s, dry) = post("?dry_run=true", &toml, "application/toml");
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert!(dry["changes"].as_array().unwrap().len() >= 3, "{dry}");
    let (_, providers) = call(&srv, "GET", "/admin/providers", None);
    assert_eq!(providers["total"], 0, "a dry run writes nothing");

    let (s, real) = post("", &toml, "application/toml");
    assert_eq!(s, 200, "{real}");
    let (_, snap) = call(&srv, "GET", "/admin/catalog/snapshot", None);
    assert_eq!(
        snap["models"],
        json!(["gpt-4o"]),
        "the snapshot follows the import"
    );

    // Export (masked) and import it back: no changes.
    let mut res = http()
        .get(srv.url("/admin/catalog/export?format=json"))
        .header("X-Admin-Key", ADMIN_KEY)
        .call()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let exported = res.body_mut().read_to_string().unwrap();
    assert!(
        !exported.contains(LEAK),
        "export without include_secrets is masked"
    );
    let (s, again) = post("", &exported, "application/json");
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["changes"], json!([]), "{again}");

    // With include_secrets the key is there, and the export is logged.
    let mut res = http()
        .get(srv.url("/admin/catalog/export?format=toml&include_secrets=true"))
        .header("X-Admin-Key", ADMIN_KEY)
        .call()
        .unwrap();
    assert!(res.body_mut().read_to_string().unwrap().contains(LEAK));
    srv.proc
        .wait_for("WITH provider keys in clear", Duration::from_secs(5));

    // A bad file: 400 naming the entry, nothing changed.
    let (s, e) = post(
        "",
        "[[providers]]\nname = \"x\"\nkind = \"cohere\"\n",
        "application/toml",
    );
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("providers[0].kind"),
        "{e}"
    );
    let (_, providers) = call(&srv, "GET", "/admin/providers", None);
    assert_eq!(providers["total"], 1);
    assert!(!srv.proc.output().contains(LEAK), "no key in any log line");
}

#[test]
fn with_the_database_gone_the_last_snapshot_keeps_serving() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(db) = rt.block_on(TestDb::mysql()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let srv = start(
        dir.path(),
        &[
            ("DATABASE_URL", db.url()),
            ("LLMO_CATALOG__REFRESH_INTERVAL", "200ms"),
        ],
    );
    let (s, _) = call(
        &srv,
        "POST",
        "/admin/models",
        Some(json!({"name":"survivor"})),
    );
    assert_eq!(s, 201);
    // The database disappears under the running server.
    drop(db);
    srv.proc
        .wait_for("catalog refresh failed", Duration::from_secs(30));
    let (s, snap) = call(&srv, "GET", "/admin/catalog/snapshot", None);
    assert_eq!(s, 200);
    assert_eq!(snap["models"], json!(["survivor"]));
    let (s, _) = call(&srv, "GET", "/health", None);
    assert_eq!(s, 200);
}
