//! `migrate run|status|list` by running the binary against a fresh database of each backend,
//! and two `migrate run` processes racing on one MySQL / PostgreSQL database.

use std::process::{Command, Output};

use llm_orchestrator::db::Backend;

use crate::util::proc::{self, Proc, Server, ADMIN_KEY};
use crate::util::TestDb;

fn fresh(backend: Backend) -> Option<TestDb> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(TestDb::new(backend))
}

fn migrate(dir: &std::path::Path, db: &TestDb, args: &[&str]) -> Output {
    let mut c = proc::cmd(dir);
    c.arg("migrate").args(args).env("DATABASE_URL", db.url());
    proc::run(&mut c)
}

fn migrate_cycle(backend: Backend) {
    let Some(db) = fresh(backend) else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let out = migrate(d, &db, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "pending on an empty database: {}",
        proc::stdout(&out)
    );
    assert!(proc::stdout(&out).contains("pending"));

    let out = migrate(d, &db, &["list", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    let total = list["migrations"].as_array().unwrap().len();
    assert!(total >= 1);
    assert!(list["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["applied"] == false));

    let out = migrate(d, &db, &["run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    let run: serde_json::Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert_eq!(run["applied"].as_array().unwrap().len(), total);
    assert_eq!(run["backend"], backend.as_str());

    let out = migrate(d, &db, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stdout(&out));
    let st: serde_json::Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    assert_eq!(st["pending"], 0);

    let out = migrate(d, &db, &["run"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        proc::stdout(&out).contains("up to date"),
        "{}",
        proc::stdout(&out)
    );

    // serve runs on the migrated database and reports the backend.
    let srv = Server::start(d, &[("ADMIN_KEY", ADMIN_KEY), ("DATABASE_URL", db.url())]);
    let (status, body, _) =
        proc::get_json(&srv.url("/admin/health"), &[("X-Admin-Key", ADMIN_KEY)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["database"]["backend"], backend.as_str());
}

#[test]
fn migrate_run_from_empty_then_status_and_serve_on_sqlite() {
    migrate_cycle(Backend::Sqlite);
}

#[test]
fn migrate_run_from_empty_then_status_and_serve_on_mysql() {
    migrate_cycle(Backend::Mysql);
}

#[test]
fn migrate_run_from_empty_then_status_and_serve_on_postgres() {
    migrate_cycle(Backend::Postgres);
}

fn concurrent_migrate(backend: Backend) {
    let Some(db) = fresh(backend) else { return };
    let dir = tempfile::tempdir().unwrap();
    let spawn = || {
        let mut c: Command = proc::cmd(dir.path());
        c.args(["migrate", "run", "--json"])
            .env("DATABASE_URL", db.url());
        Proc::spawn(c)
    };
    let mut a = spawn();
    let mut b = spawn();
    let sa = a.wait_exit(std::time::Duration::from_secs(120));
    let sb = b.wait_exit(std::time::Duration::from_secs(120));
    assert_eq!(sa.code(), Some(0), "{}", a.output());
    assert_eq!(sb.code(), Some(0), "{}", b.output());
    // Between them every migration was applied exactly once.
    let applied = |p: &Proc| -> usize {
        let out = p.output();
        let line = out
            .lines()
            .find(|l| l.starts_with('{'))
            .expect("JSON result");
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["applied"].as_array().unwrap().len()
    };
    let out = migrate(dir.path(), &db, &["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&proc::stdout(&out)).unwrap();
    let total = list["migrations"].as_array().unwrap().len();
    assert_eq!(
        applied(&a) + applied(&b),
        total,
        "a: {}\nb: {}",
        a.output(),
        b.output()
    );
    let out = migrate(dir.path(), &db, &["status"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn two_concurrent_migrate_runs_on_mysql_apply_each_migration_once() {
    concurrent_migrate(Backend::Mysql);
}

#[test]
fn two_concurrent_migrate_runs_on_postgres_apply_each_migration_once() {
    concurrent_migrate(Backend::Postgres);
}

#[test]
fn two_concurrent_migrate_runs_on_sqlite_apply_each_migration_once() {
    concurrent_migrate(Backend::Sqlite);
}
