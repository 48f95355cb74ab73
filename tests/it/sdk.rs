//! The official `openai` Python SDK against the real gateway and mock upstreams:
//! tests/sdk/openai_compat.py runs chat, streaming, tools, embeddings, models and the SDK's
//! error types. `.ci/run` installs the SDK; without it the test fails in CI and is skipped
//! (with a note) elsewhere.

use std::process::Command;

use serde_json::json;

use crate::gateway::{provider, route, start};
use crate::util::mock_upstream::{MockUpstream, Reply};

fn sdk_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import openai"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("the openai Python SDK is missing; .ci/run installs it");
    }
    ok
}

#[test]
fn the_openai_python_sdk_works_against_the_gateway() {
    if !sdk_available() {
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
