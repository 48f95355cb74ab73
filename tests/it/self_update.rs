//! `self-update` against a fake release server on 127.0.0.1: version checks, a verified
//! install into a copy (`--install-path`), and refusals that leave the copy untouched.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use crate::util::proc;
use crate::util::release_server::{ReleaseServer, Sums};

const REPO: &str = "ops/llmo";
const CURRENT: &str = env!("CARGO_PKG_VERSION");
const NEWER: &str = "99.0.0";
const OLD_BINARY: &[u8] = b"#!/bin/sh\necho old binary\n";
const NEW_BINARY: &[u8] = b"#!/bin/sh\necho fake llm-orchestrator 99.0.0\n";

fn self_update(dir: &Path, server: Option<&ReleaseServer>, args: &[&str]) -> Output {
    let mut c = proc::cmd(dir);
    c.arg("self-update").args(args);
    c.env("LLMO_UPDATE__REPO", REPO);
    if let Some(s) = server {
        c.env("LLMO_UPDATE__URL", s.url());
    }
    proc::run(&mut c)
}

fn both(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", proc::stdout(o), proc::stderr(o))
}

/// A stand-in for the installed binary, so the test binary itself is never replaced.
fn installed_copy(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("installed-llm-orchestrator");
    std::fs::write(&path, OLD_BINARY).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn check_exits_1_when_the_server_has_a_newer_release_and_0_when_it_has_the_same() {
    let dir = tempfile::tempdir().unwrap();

    let newer = ReleaseServer::start(REPO, NEWER, NEW_BINARY, Sums::Correct);
    let out = self_update(dir.path(), Some(&newer), &["--check", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["current"], CURRENT);
    assert_eq!(report["latest"], NEWER);
    assert_eq!(report["update_available"], true);
    assert_eq!(
        report["asset"],
        format!("llm-orchestrator-{NEWER}-x86_64-unknown-linux-gnu.tar.gz")
    );

    let same = ReleaseServer::start(REPO, CURRENT, NEW_BINARY, Sums::Correct);
    let out = self_update(dir.path(), Some(&same), &["--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(proc::stdout(&out).contains("up to date"), "{}", both(&out));
}

#[test]
fn update_replaces_the_file_at_install_path_with_the_verified_release() {
    let dir = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start(REPO, NEWER, NEW_BINARY, Sums::Correct);
    let copy = installed_copy(dir.path());

    let out = self_update(
        dir.path(),
        Some(&server),
        &["--yes", "--install-path", copy.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(proc::stdout(&out).contains(NEWER), "{}", both(&out));
    assert_eq!(std::fs::read(&copy).unwrap(), NEW_BINARY);
    // Still executable: the new file runs in place of the old one.
    let ran = std::process::Command::new(&copy).output().unwrap();
    assert_eq!(ran.stdout, b"fake llm-orchestrator 99.0.0\n");
}

#[test]
fn a_tampered_checksum_is_refused_with_exit_2_and_the_copy_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start(REPO, NEWER, NEW_BINARY, Sums::Tampered);
    let copy = installed_copy(dir.path());

    let out = self_update(
        dir.path(),
        Some(&server),
        &["--yes", "--install-path", copy.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let err = proc::stderr(&out);
    assert!(err.contains("SHA256SUMS"), "{}", both(&out));
    assert!(err.contains("not changed"), "{}", both(&out));
    assert_eq!(std::fs::read(&copy).unwrap(), OLD_BINARY);
}

#[test]
fn a_release_without_a_checksum_is_refused_with_exit_2_and_the_copy_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start(REPO, NEWER, NEW_BINARY, Sums::Missing);
    let copy = installed_copy(dir.path());

    let out = self_update(
        dir.path(),
        Some(&server),
        &["--yes", "--install-path", copy.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(proc::stderr(&out).contains("checksum"), "{}", both(&out));
    assert_eq!(std::fs::read(&copy).unwrap(), OLD_BINARY);
}

#[test]
fn without_a_terminal_and_without_yes_the_update_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = ReleaseServer::start(REPO, NEWER, NEW_BINARY, Sums::Correct);
    let copy = installed_copy(dir.path());

    // proc::cmd gives the child /dev/null as stdin: no terminal to ask on.
    let out = self_update(
        dir.path(),
        Some(&server),
        &["--install-path", copy.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(proc::stderr(&out).contains("--yes"), "{}", both(&out));
    assert_eq!(std::fs::read(&copy).unwrap(), OLD_BINARY);
}

#[test]
fn an_unset_update_url_exits_2_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = self_update(dir.path(), None, &["--check"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(proc::stderr(&out).contains("update.url"), "{}", both(&out));
}

#[test]
fn plain_http_to_a_non_loopback_host_is_rejected_as_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = proc::cmd(dir.path());
    c.args(["self-update", "--check"])
        .env("LLMO_UPDATE__URL", "http://releases.example.com");
    let out = proc::run(&mut c);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let err = proc::stderr(&out);
    assert!(
        err.contains("update.url") && err.contains("loopback"),
        "{}",
        both(&out)
    );
}

#[test]
fn an_unreachable_release_server_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = proc::cmd(dir.path());
    // A port that was just free: nothing listens there.
    c.args(["self-update", "--check"]).env(
        "LLMO_UPDATE__URL",
        format!("http://127.0.0.1:{}", proc::free_port()),
    );
    let out = proc::run(&mut c);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
}
