//! Generated documentation must not drift from the binary that generates it.

use crate::util::proc;

#[test]
fn readme_configuration_reference_matches_config_keys_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = proc::run(proc::cmd(dir.path()).args(["config", "keys", "--markdown"]));
    assert_eq!(out.status.code(), Some(0));
    let generated = proc::stdout(&out);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- config-keys:begin").expect("begin marker");
    let start = start + readme[start..].find("-->\n").unwrap() + 4;
    let end = readme.find("<!-- config-keys:end -->").expect("end marker");
    assert_eq!(
        readme[start..end],
        generated,
        "README's configuration table is stale: paste `llm-orchestrator config keys --markdown`"
    );
}
