//! The official Python SDKs against the real gateway and mock upstreams:
//! tests/sdk/openai_compat.py runs chat, streaming, tools, embeddings, models and the SDK's
//! error types; tests/sdk/anthropic_compat.py (`anthropic`) and tests/sdk/genai_compat.py
//! (`google-genai`) run text, streaming, tools with a result round trip (streamed too), token
//! counts and errors against models on an OpenAI, an Anthropic and a Gemini upstream.
//! `.ci/run` installs the SDKs; without one its test fails in CI and is skipped (with a note)
//! elsewhere.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::gateway::{provider, route, start};
use crate::upstream_kinds::native_provider;
use crate::util::mock_upstream::{MockUpstream, Reply};

/// Whether `python3` can import `module` (the SDK's package).
fn sdk_available(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("the Python SDK `{module}` is missing; .ci/run installs it");
    }
    ok
}

#[test]
fn the_openai_python_sdk_works_against_the_gateway() {
    if !sdk_available("openai") {
        eprintln!("skipped: python3 -m pip install openai to run this test");
        return;
    }
    let ok = MockUpstream::start_named("ok", &[]);
    let cut = MockUpstream::start_named("cut", &[]);
    cut.set_default(Reply::text("this stream breaks off early").cut_after(3));
    let busy = MockUpstream::start_named("busy", &[]);
    busy.set_default(Reply::rate_limited(120));
    let gw = start(
        json!({
            "providers": [provider("ok", &ok, &["k"]), provider("cut", &cut, &["k"]),
                          provider("busy", &busy, &["k"])],
            "models": [{"name": "gpt-sdk"}, {"name": "cut-model"}, {"name": "busy-model"}],
            "routes": [route("gpt-sdk", "ok", "up-sdk"), route("cut-model", "cut", "up-cut"),
                       route("busy-model", "busy", "up-busy")],
        }),
        &[],
    );
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sdk/openai_compat.py"
        ))
        .env("LLMO_BASE_URL", gw.srv.url(""))
        .env("LLMO_KEY", &gw.key)
        .env("LLMO_MODEL", "gpt-sdk")
        .env("LLMO_CUT_MODEL", "cut-model")
        .env("LLMO_BUSY_MODEL", "busy-model")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "SDK checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all SDK checks passed"), "{stdout}");
}

/// Runs an SDK script against models `m-openai`, `m-anthropic`, `m-gemini` (one per upstream
/// kind), `cut-model` (its stream breaks off) and `busy-model` (always 429).
fn run_native_sdk(script: &str) {
    let kinds = ["openai", "anthropic", "gemini"];
    let mocks: Vec<MockUpstream> = kinds
        .iter()
        .map(|k| MockUpstream::start_named(k, &[]))
        .collect();
    let cut = MockUpstream::start_named("cut", &[]);
    cut.set_default(Reply::text("this stream breaks off early").cut_after(3));
    let busy = MockUpstream::start_named("busy", &[]);
    busy.set_default(Reply::rate_limited(120));
    // Silences longer than the keep-alive interval: the SDKs must take the keep-alives.
    let slow = MockUpstream::start_named("slow", &[]);
    slow.set_default(Reply::text("slow but steady").gap(Duration::from_millis(400)));
    let mut providers: Vec<_> = kinds
        .iter()
        .zip(&mocks)
        .map(|(k, m)| native_provider(k, k, m, if *k == "openai" { "/v1" } else { "" }, "k"))
        .collect();
    providers.push(provider("cut", &cut, &["k"]));
    providers.push(provider("busy", &busy, &["k"]));
    providers.push(provider("slow", &slow, &["k"]));
    let mut models: Vec<_> = kinds
        .iter()
        .map(|k| json!({"name": format!("m-{k}")}))
        .collect();
    models.extend([
        json!({"name": "cut-model"}),
        json!({"name": "busy-model"}),
        json!({"name": "slow-model"}),
    ]);
    let mut routes: Vec<_> = kinds
        .iter()
        .map(|k| route(&format!("m-{k}"), k, &format!("up-{k}")))
        .collect();
    routes.extend([
        route("cut-model", "cut", "up-cut"),
        route("busy-model", "busy", "up-busy"),
        route("slow-model", "slow", "up-slow"),
    ]);
    let gw = start(
        json!({"providers": providers, "models": models, "routes": routes}),
        &[("LLMO_GATEWAY__STREAM_KEEPALIVE", "100ms")],
    );
    let out = Command::new("python3")
        .arg(format!("{}/tests/sdk/{script}", env!("CARGO_MANIFEST_DIR")))
        .env("LLMO_BASE_URL", gw.srv.url(""))
        .env("LLMO_KEY", &gw.key)
        .env("LLMO_MODELS", "m-openai,m-anthropic,m-gemini")
        .env("LLMO_CUT_MODEL", "cut-model")
        .env("LLMO_BUSY_MODEL", "busy-model")
        .env("LLMO_SLOW_MODEL", "slow-model")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "SDK checks failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all SDK checks passed"), "{stdout}");
}

#[test]
fn the_anthropic_python_sdk_works_against_the_gateway_on_every_upstream_kind() {
    if !sdk_available("anthropic") {
        eprintln!("skipped: python3 -m pip install anthropic to run this test");
        return;
    }
    run_native_sdk("anthropic_compat.py");
}

#[test]
fn the_google_genai_python_sdk_works_against_the_gateway_on_every_upstream_kind() {
    if !sdk_available("google.genai") {
        eprintln!("skipped: python3 -m pip install google-genai to run this test");
        return;
    }
    run_native_sdk("genai_compat.py");
}
