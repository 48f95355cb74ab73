//! packaging/: the systemd units, logrotate and nginx configs, the Dockerfile and the .deb
//! metadata say what operators rely on, and the tools that read them accept them. Tool checks
//! (systemd-analyze, logrotate, nginx) run where the tool is installed and skip with a message
//! otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::proc;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `Key=value` lines of a unit file (every occurrence, in order).
fn unit_values<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim())
        .collect()
}

fn one<'a>(unit: &'a str, key: &str) -> &'a str {
    match unit_values(unit, key).as_slice() {
        [v] => v,
        other => panic!("{key}: expected one value, found {other:?}"),
    }
}

fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipping: {name} is not installed");
    }
    found
}

#[test]
fn the_systemd_unit_runs_serve_as_notify_service_under_a_hardened_non_root_user() {
    let unit = read("packaging/llm-orchestrator.service");
    assert_eq!(one(&unit, "Type"), "notify");
    assert_eq!(
        one(&unit, "ExecStart"),
        "/usr/bin/llm-orchestrator serve --config /etc/llm-orchestrator/config.toml"
    );
    assert_eq!(one(&unit, "User"), "llm-orchestrator");
    assert_eq!(one(&unit, "Restart"), "on-failure");
    assert_eq!(one(&unit, "KillSignal"), "SIGTERM");
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        (
            "ReadWritePaths",
            "/var/lib/llm-orchestrator /var/log/llm-orchestrator",
        ),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(one(&unit, key), value, "{key}");
    }

    // systemd must wait longer than serve's own graceful stop, or it SIGKILLs streams that were
    // about to finish.
    let dir = tempfile::tempdir().unwrap();
    let out = proc::run(proc::cmd(dir.path()).args(["config", "check", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    let grace = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "server.shutdown_grace")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let grace = llm_orchestrator::config::parse_duration(&grace).unwrap();
    let stop = llm_orchestrator::config::parse_duration(one(&unit, "TimeoutStopSec")).unwrap();
    assert!(
        stop > grace,
        "TimeoutStopSec {stop:?} must exceed server.shutdown_grace {grace:?}"
    );
}

#[test]
fn systemd_analyze_verify_accepts_the_units() {
    if !tool("systemd-analyze") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = proc::bin();
    let mut files = Vec::new();
    for name in [
        "llm-orchestrator.service",
        "llm-orchestrator-backup.service",
        "llm-orchestrator-backup.timer",
    ] {
        // verify checks that ExecStart names an executable: point it at the binary under test.
        let text = read(&format!("packaging/{name}"))
            .replace("/usr/bin/llm-orchestrator", bin.to_str().unwrap());
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    // --man=no: the man pages are not installed on a build machine.
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Unknown keys are only warnings (exit 0): any output at all is a finding.
    assert!(stderr.trim().is_empty(), "systemd-analyze: {stderr}");
}

#[test]
fn logrotate_rotates_the_log_file_in_place_with_copytruncate() {
    if !tool("logrotate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = logs.join("llm-orchestrator.log");
    std::fs::write(&log, "line one\nline two\n").unwrap();
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let conf = read("packaging/llm-orchestrator.logrotate")
        .replace("/var/log/llm-orchestrator", logs.to_str().unwrap())
        .replace(
            "su llm-orchestrator llm-orchestrator",
            &format!("su {} {}", user.trim(), user.trim()),
        );
    let conf_path = dir.path().join("logrotate.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let out = Command::new("logrotate")
        .arg("-f")
        .arg("-s")
        .arg(dir.path().join("state"))
        .arg(&conf_path)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Same file (the process keeps its descriptor), now empty; the old lines in `.1`.
    assert_eq!(std::fs::read(&log).unwrap().len(), 0);
    assert_eq!(
        std::fs::read_to_string(logs.join("llm-orchestrator.log.1")).unwrap(),
        "line one\nline two\n"
    );
}

#[test]
fn the_nginx_site_streams_without_buffering_and_nginx_accepts_it() {
    let site = read("packaging/nginx/llm-orchestrator.conf");
    for directive in [
        "proxy_buffering off;",
        "proxy_request_buffering off;",
        "proxy_read_timeout 600s;",
        "proxy_http_version 1.1;",
    ] {
        assert!(site.contains(directive), "missing `{directive}`");
    }
    if !tool("nginx") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let site_path = dir.path().join("site.conf");
    std::fs::write(&site_path, &site).unwrap();
    let main = format!(
        "error_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{}}\nhttp {{\n  access_log {d}/access.log;\n  include {s};\n}}\n",
        d = dir.path().display(),
        s = site_path.display()
    );
    let main_path = dir.path().join("nginx.conf");
    std::fs::write(&main_path, main).unwrap();
    let out = Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&main_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dockerfile_runs_the_static_binary_as_non_root_with_a_health_check() {
    let df = read("packaging/Dockerfile");
    let last_from = df.lines().rfind(|l| l.starts_with("FROM ")).unwrap();
    assert!(last_from.contains("distroless/static"), "{last_from}");
    assert!(df.contains("+crt-static") && df.contains("--target x86_64-unknown-linux-gnu"));
    let user = df.lines().find(|l| l.starts_with("USER ")).unwrap();
    assert!(!user.contains("root") && !user.contains(" 0"), "{user}");
    let hc = df
        .lines()
        .skip_while(|l| !l.starts_with("HEALTHCHECK"))
        .nth(1)
        .unwrap();
    assert!(hc.contains("\"health\""), "{hc}");
}

#[test]
fn the_deb_installs_binary_units_completions_man_pages_and_config_from_files_that_exist() {
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    let assets: Vec<(String, String)> = deb["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_array().unwrap();
            (
                a[0].as_str().unwrap().to_string(),
                a[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let dest = |src: &str| -> &str {
        &assets
            .iter()
            .find(|(s, _)| s == src)
            .unwrap_or_else(|| panic!("{src} is not packaged"))
            .1
    };
    assert_eq!(
        dest("target/x86_64-unknown-linux-gnu/release/llm-orchestrator"),
        "usr/bin/"
    );
    assert_eq!(
        dest("packaging/llm-orchestrator.service"),
        "lib/systemd/system/"
    );
    assert_eq!(
        dest("packaging/config.example.toml"),
        "etc/llm-orchestrator/config.toml"
    );
    assert_eq!(dest("man/*.1"), "usr/share/man/man1/");
    for f in [
        "llm-orchestrator.bash",
        "_llm-orchestrator",
        "llm-orchestrator.fish",
    ] {
        dest(&format!("completions/{f}"));
    }
    // Every source except the build output exists in the repository.
    for (src, _) in &assets {
        if src.starts_with("target/") {
            continue;
        }
        if let Some(dir) = src.strip_suffix("/*.1") {
            let pages = std::fs::read_dir(repo(dir)).unwrap().count();
            assert!(pages > 0, "{src} matches nothing");
        } else {
            assert!(repo(src).is_file(), "{src} does not exist");
        }
    }
    let scripts = repo(deb["maintainer-scripts"].as_str().unwrap());
    let postinst = std::fs::read_to_string(scripts.join("postinst")).unwrap();
    assert!(
        postinst.contains("adduser --system"),
        "postinst creates the user"
    );
}
