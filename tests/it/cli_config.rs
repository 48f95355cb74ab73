//! The one config loader, through the real binary: layer precedence, origins, errors.

use crate::util::proc;

fn check_json(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut c = proc::cmd(dir);
    c.args(args).args(["config", "check", "--json"]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = proc::run(&mut c);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    serde_json::from_str(&proc::stdout(&out)).unwrap()
}

fn entry(v: &serde_json::Value, key: &str) -> (String, String) {
    let e = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap();
    (
        e["value"].as_str().unwrap().to_string(),
        e["origin"].as_str().unwrap().to_string(),
    )
}

#[test]
fn each_layer_overrides_the_one_below_and_config_check_names_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v = check_json(d, &[], &[]);
    assert_eq!(entry(&v, "server.port"), ("8000".into(), "default".into()));

    std::fs::write(
        d.join("config.toml"),
        "[server]\nport = 8101\n[app]\nname = \"from-file\"\n",
    )
    .unwrap();
    let v = check_json(d, &[], &[]);
    let (val, origin) = entry(&v, "server.port");
    assert_eq!(val, "8101");
    assert!(origin.contains("config.toml"), "{origin}");

    std::fs::write(d.join(".env"), "APP_PORT=8102\n").unwrap();
    let v = check_json(d, &[], &[]);
    let (val, origin) = entry(&v, "server.port");
    assert_eq!(val, "8102");
    assert!(origin.contains(".env"), "{origin}");
    assert_eq!(entry(&v, "app.name").0, "from-file");

    let v = check_json(d, &[], &[("APP_PORT", "8103")]);
    let (val, origin) = entry(&v, "server.port");
    assert_eq!(val, "8103");
    assert!(
        origin.contains("environment") && origin.contains("APP_PORT"),
        "{origin}"
    );

    // Flags beat everything: `serve --port` is checked through serve itself elsewhere; here
    // the global flags.
    let v = check_json(
        d,
        &["--database-url", "sqlite://./other.db", "-q"],
        &[("DATABASE_URL", "sqlite://./env.db")],
    );
    let (val, origin) = entry(&v, "database.url");
    assert!(val.contains("other.db"), "{val}");
    assert!(origin.contains("--database-url"), "{origin}");
    assert_eq!(entry(&v, "log.level").0, "warn");
}

#[test]
fn secrets_are_redacted_in_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = proc::cmd(dir.path());
    c.args(["config", "check"])
        .env("ADMIN_KEY", "super-secret-admin-key-123");
    let out = proc::run(&mut c);
    assert_eq!(out.status.code(), Some(0));
    let text = proc::stdout(&out);
    assert!(text.contains("security.admin_key"), "{text}");
    assert!(!text.contains("super-secret-admin-key-123"), "{text}");
    assert!(text.contains("***"));
}

#[test]
fn bad_config_values_exit_2_naming_the_key_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = proc::cmd(d);
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = proc::run(&mut c);
        (out.status.code(), proc::stderr(&out))
    };

    std::fs::write(d.join("bad.toml"), "[server]\nportt = 1\n").unwrap();
    let (code, err) = run(&["--config", "bad.toml", "config", "check"], &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("server.portt") && err.contains("bad.toml"),
        "{err}"
    );

    std::fs::write(d.join("bad.toml"), "[server]\nport = \"x\"\n").unwrap();
    let (code, err) = run(&["--config", "bad.toml", "serve"], &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("server.port") && err.contains("bad.toml"),
        "{err}"
    );

    std::fs::write(d.join("bad.toml"), "[server\nport = 1\n").unwrap();
    let (code, err) = run(&["--config", "bad.toml", "config", "check"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("bad.toml"), "{err}");

    let (code, err) = run(&["migrate", "status"], &[("APP_PORT", "99999")]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("server.port") && err.contains("APP_PORT"),
        "{err}"
    );

    let (code, err) = run(&["config", "check"], &[("DATABASE_TYPE", "mysql")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("DATABASE_TYPE"), "{err}");

    let (code, err) = run(&["--config", "missing.toml", "config", "check"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.toml"), "{err}");

    let (code, _) = run(&["serve", "--bogus-flag"], &[]);
    assert_eq!(code, Some(2), "usage errors are 2");
}

#[test]
fn unknown_dotenv_variables_are_warnings_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "APP_PORT=8200\nSOMETHING_ELSE=1\n").unwrap();
    let v = check_json(dir.path(), &[], &[]);
    assert_eq!(entry(&v, "server.port").0, "8200");
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("SOMETHING_ELSE"), "{warnings}");
}

#[test]
fn python_era_database_urls_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = proc::cmd(dir.path());
    c.args(["migrate", "run"]).env(
        "DATABASE_URL",
        "sqlite+aiosqlite:///./data/llm_orchestrator.db",
    );
    let out = proc::run(&mut c);
    assert_eq!(out.status.code(), Some(0), "{}", proc::stderr(&out));
    assert!(dir.path().join("data/llm_orchestrator.db").exists());
}
