//! Behaviour of the loader as an operator meets it: precedence, the Python names, and errors.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

/// A temp directory holding the config file and `.env`, and options that never read the real
/// environment, `./.env` or `/etc`.
struct Fixture {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    flags: Vec<FlagValue>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
            flags: Vec::new(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn toml(self, text: &str) -> Fixture {
        std::fs::write(self.path("config.toml"), text).unwrap();
        self
    }
    fn dotenv(self, text: &str) -> Fixture {
        std::fs::write(self.path(".env"), text).unwrap();
        self
    }
    fn env(mut self, name: &str, value: &str) -> Fixture {
        self.env.push((name.into(), value.into()));
        self
    }
    fn flag(mut self, key: &'static str, flag: &'static str, value: &str) -> Fixture {
        self.flags.push(FlagValue {
            key,
            value: value.into(),
            flag,
        });
        self
    }
    fn opts(&self) -> LoadOptions {
        LoadOptions {
            config_path: None,
            dotenv_path: Some(self.path(".env")),
            env: Some(self.env.clone()),
            flags: self.flags.clone(),
            search_paths: Some(vec![self.path("config.toml")]),
        }
    }
    fn load(&self) -> Loaded {
        load(&self.opts()).unwrap_or_else(|e| panic!("load failed: {e}"))
    }
    fn error(&self) -> String {
        match load(&self.opts()) {
            Ok(_) => panic!("load succeeded"),
            Err(e) => e.to_string(),
        }
    }
}

fn entry<'a>(loaded: &'a Loaded, key: &str) -> &'a ReportEntry {
    loaded.report.iter().find(|e| e.key == key).unwrap()
}

#[test]
fn with_no_sources_every_key_has_its_default() {
    let f = Fixture::new();
    let l = f.load();
    let c = &l.config;
    assert_eq!(c.app.name, "llm-orchestrator");
    assert_eq!(c.app.env, AppEnv::Development);
    assert_eq!((c.server.host.as_str(), c.server.port), ("0.0.0.0", 8000));
    assert_eq!(c.server.shutdown_grace, Duration::from_secs(30));
    assert_eq!(c.server.cors_origins, vec!["*"]);
    assert_eq!(c.database.url.backend(), Backend::Sqlite);
    assert_eq!(c.redis.timeout, Duration::from_millis(250));
    assert_eq!(c.log.level, "info");
    assert_eq!(c.log.file, None);
    assert!(c.security.admin_key.is_none());
    assert_eq!(c.health_check.retry_after, Duration::from_secs(3600));
    assert_eq!(c.gateway.max_retry_count, 3);
    assert_eq!(l.file, None);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let keys: Vec<&str> = l.report.iter().map(|e| e.key).collect();
    let registry: Vec<&str> = keys::KEYS.iter().map(|k| k.path).collect();
    assert_eq!(keys, registry);
    assert!(l.report.iter().all(|e| e.origin == Origin::Default));
    assert_eq!(entry(&l, "security.admin_key").value, "(unset)");
    assert_eq!(entry(&l, "redis.timeout").value, "250ms");
}

#[test]
fn every_environment_name_belongs_to_exactly_one_key() {
    let mut names: Vec<String> = keys::KEYS.iter().flat_map(|k| k.env_names()).collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total);
    assert_eq!(
        keys::find("server.shutdown_grace").unwrap().1.llmo_env(),
        "LLMO_SERVER__SHUTDOWN_GRACE"
    );
}

#[test]
fn a_file_value_overrides_the_default() {
    let f = Fixture::new().toml("[server]\nport = 8080\n");
    let l = f.load();
    assert_eq!(l.config.server.port, 8080);
    assert_eq!(l.file, Some(f.path("config.toml")));
    let e = entry(&l, "server.port");
    assert_eq!(e.origin, Origin::File(f.path("config.toml")));
    assert_eq!(
        e.origin.to_string(),
        format!("file {}", f.path("config.toml").display())
    );
}

#[test]
fn dotenv_overrides_the_file() {
    let f = Fixture::new()
        .toml("[server]\nport = 8080\n")
        .dotenv("APP_PORT=8081\n");
    let l = f.load();
    assert_eq!(l.config.server.port, 8081);
    let origin = &entry(&l, "server.port").origin;
    assert_eq!(
        origin,
        &Origin::DotEnv {
            path: f.path(".env"),
            name: "APP_PORT".into()
        }
    );
    assert_eq!(
        origin.to_string(),
        format!(".env {} (APP_PORT)", f.path(".env").display())
    );
}

#[test]
fn the_environment_overrides_dotenv() {
    let f = Fixture::new()
        .dotenv("APP_PORT=8081\n")
        .env("APP_PORT", "8082");
    let l = f.load();
    assert_eq!(l.config.server.port, 8082);
    assert_eq!(
        entry(&l, "server.port").origin,
        Origin::Env("APP_PORT".into())
    );
}

#[test]
fn a_flag_overrides_the_environment() {
    let f = Fixture::new()
        .env("APP_PORT", "8082")
        .flag("server.port", "--port", "8083");
    let l = f.load();
    assert_eq!(l.config.server.port, 8083);
    let origin = &entry(&l, "server.port").origin;
    assert_eq!(origin, &Origin::Flag("--port"));
    assert_eq!(origin.to_string(), "flag --port");
}

#[test]
fn the_generic_name_wins_over_the_python_name_in_one_layer() {
    let f = Fixture::new()
        .env("LLMO_SERVER__PORT", "9001")
        .env("APP_PORT", "9002");
    let l = f.load();
    assert_eq!(l.config.server.port, 9001);
    assert_eq!(
        entry(&l, "server.port").origin.to_string(),
        "environment LLMO_SERVER__PORT"
    );
}

#[test]
fn an_explicit_config_file_is_read_instead_of_the_search_paths() {
    let f = Fixture::new().toml("[server]\nport = 1\n");
    let other = f.path("other.toml");
    std::fs::write(&other, "[server]\nport = 2\n").unwrap();
    let mut opts = f.opts();
    opts.config_path = Some(other.clone());
    let l = load(&opts).unwrap();
    assert_eq!((l.config.server.port, l.file), (2, Some(other)));
}

#[test]
fn a_missing_config_file_given_with_dash_dash_config_is_an_error() {
    let mut opts = Fixture::new().opts();
    opts.config_path = Some("/nonexistent/x.toml".into());
    let e = load(&opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--config /nonexistent/x.toml: file not found"
    );
}

#[test]
fn python_database_urls_work_from_database_url() {
    let l = Fixture::new()
        .env(
            "DATABASE_URL",
            "sqlite+aiosqlite:///./data/llm_orchestrator.db",
        )
        .load();
    assert_eq!(
        l.config.database.url,
        crate::db::url::DbUrl::Sqlite {
            path: "./data/llm_orchestrator.db".into()
        }
    );
    let l = Fixture::new()
        .env(
            "DATABASE_URL",
            "mysql+aiomysql://app:hunter2@db:3306/llmo?charset=utf8mb4",
        )
        .env("DATABASE_TYPE", "mariadb")
        .load();
    assert_eq!(l.config.database.url.backend(), Backend::Mysql);
    assert_eq!(entry(&l, "database.type").value, "mysql");
    let shown = &entry(&l, "database.url").value;
    assert!(
        shown.contains("app:***@db") && !shown.contains("hunter2"),
        "{shown}"
    );
    assert!(!format!("{:?}", l.config).contains("hunter2"));
}

#[test]
fn a_database_type_that_disagrees_with_the_url_names_both_keys_and_origins() {
    let e = Fixture::new().env("DATABASE_TYPE", "mysql").error();
    assert_eq!(
        e,
        "database.type = mysql (environment DATABASE_TYPE) does not match database.url (sqlite, from default)"
    );
}

#[test]
fn a_bad_database_url_is_refused_without_its_password() {
    let e = Fixture::new()
        .env("DATABASE_URL", "oracle://u:hunter2@h/x")
        .error();
    assert!(
        e.starts_with("database.url = \"oracle://u:***@h/x\" from environment DATABASE_URL: "),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn an_unknown_toml_key_names_the_full_path_the_file_and_a_suggestion() {
    let f = Fixture::new().toml("[server]\nhost = \"::\"\nportt = 1\n");
    let file = f.path("config.toml");
    assert_eq!(
        f.error(),
        format!(
            "unknown key `server.portt` in {}:3 (did you mean `server.port`?)",
            file.display()
        )
    );
}

#[test]
fn an_unknown_toml_section_or_top_level_key_is_an_error() {
    let f = Fixture::new().toml("[sever]\nport = 1\n");
    let e = f.error();
    assert!(e.starts_with("unknown section `[sever]` in "), "{e}");
    assert!(
        e.ends_with("config.toml:1 (did you mean `[server]`?)"),
        "{e}"
    );
    let e = Fixture::new().toml("port = 1\n").error();
    assert!(
        e.starts_with("unknown key `port` in ") && e.contains("`server.port`"),
        "{e}"
    );
}

#[test]
fn a_toml_syntax_error_names_the_file_line_and_column() {
    let f = Fixture::new().toml("[server]\nport = = 1\n");
    let e = f.error();
    let prefix = format!("{}:2:", f.path("config.toml").display());
    assert!(e.starts_with(&prefix), "{e}");
    assert!(!e.contains('\n'), "{e}");
}

#[test]
fn a_wrong_type_in_toml_names_the_key_and_the_file_line() {
    let f = Fixture::new().toml("[server]\nport = \"abc\"\n");
    assert_eq!(
        f.error(),
        format!(
            "server.port = \"abc\" from {}:2: expected an integer from 0 to 65535",
            f.path("config.toml").display()
        )
    );
    let e = Fixture::new().toml("[app]\ndebug = 3\n").error();
    assert!(
        e.starts_with("app.debug = 3 from ") && e.ends_with("expected true or false"),
        "{e}"
    );
}

#[test]
fn an_out_of_range_toml_value_names_the_range() {
    let f = Fixture::new().toml("[server]\nport = 70000\n");
    assert_eq!(
        f.error(),
        format!(
            "server.port = 70000 from {}:2: out of range 0..=65535",
            f.path("config.toml").display()
        )
    );
}

#[test]
fn a_wrong_environment_value_names_the_key_and_the_variable() {
    let e = Fixture::new().env("APP_PORT", "abc").error();
    assert_eq!(
        e,
        "server.port = \"abc\" from environment APP_PORT: expected an integer from 0 to 65535"
    );
    let e = Fixture::new().env("LLMO_REDIS__POOL_SIZE", "0").error();
    assert_eq!(
        e,
        "redis.pool_size = \"0\" from environment LLMO_REDIS__POOL_SIZE: out of range 1..=1000"
    );
    let e = Fixture::new().dotenv("APP_ENV=staging\n").error();
    assert!(
        e.contains("(APP_ENV): expected one of development, production, testing"),
        "{e}"
    );
}

#[test]
fn an_unknown_dotenv_variable_is_a_warning_not_an_error() {
    let f = Fixture::new().dotenv("APP_PORT=1\n# old settings\nAUTH_TOKEN=x\n");
    let l = f.load();
    assert_eq!(l.config.server.port, 1);
    assert_eq!(
        l.warnings,
        vec![format!(
            "{}:3: unknown variable AUTH_TOKEN ignored",
            f.path(".env").display()
        )]
    );
}

#[test]
fn a_broken_dotenv_line_is_reported_by_number_without_its_text() {
    let f = Fixture::new().dotenv("APP_PORT=1\nADMIN_KEY 'hunter2hunter2hunter2\n");
    let e = f.error();
    assert!(
        e.starts_with(&format!("{}:2: ", f.path(".env").display())),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn only_unknown_names_with_our_prefix_warn_from_the_environment() {
    let l = Fixture::new()
        .env("PATH", "/usr/bin")
        .env("LLMO_CONFIG", "/x.toml")
        .env("LLMO_SERVER__PROT", "1")
        .load();
    assert_eq!(
        l.warnings,
        vec!["environment variable LLMO_SERVER__PROT matches no configuration key, ignored (did you mean LLMO_SERVER__PORT?)"]
    );
}

#[test]
fn max_retry_count_zero_stays_zero() {
    let l = Fixture::new().env("MAX_RETRY_COUNT", "0").load();
    assert_eq!(l.config.gateway.max_retry_count, 0);
}

#[test]
fn health_check_retry_hours_is_read_in_hours() {
    let l = Fixture::new().env("HEALTH_CHECK_RETRY_HOURS", "2").load();
    assert_eq!(
        l.config.health_check.retry_after,
        Duration::from_secs(2 * 3600)
    );
    assert_eq!(entry(&l, "health_check.retry_after").value, "2h");
    let l = Fixture::new().env("HEALTH_CHECK_RETRY_HOURS", "0.5").load();
    assert_eq!(l.config.health_check.retry_after, Duration::from_secs(1800));
    // The generic name takes the usual units: a bare number is seconds.
    let l = Fixture::new()
        .env("LLMO_HEALTH_CHECK__RETRY_AFTER", "2")
        .load();
    assert_eq!(l.config.health_check.retry_after, Duration::from_secs(2));
}

#[test]
fn durations_take_seconds_or_unit_strings_in_every_layer() {
    let l = Fixture::new()
        .toml("[server]\nshutdown_grace = 5\n[database]\nconnect_timeout = \"1m30s\"\n")
        .env("LLMO_REDIS__TIMEOUT", "0.1s")
        .env("HEALTH_CHECK_INTERVAL", "60")
        .load();
    let c = &l.config;
    assert_eq!(c.server.shutdown_grace, Duration::from_secs(5));
    assert_eq!(c.database.connect_timeout, Duration::from_secs(90));
    assert_eq!(c.redis.timeout, Duration::from_millis(100));
    assert_eq!(c.health_check.interval, Duration::from_secs(60));
    assert_eq!(entry(&l, "database.connect_timeout").value, "1m30s");
    let e = Fixture::new().env("LLMO_REDIS__TIMEOUT", "soon").error();
    assert!(e.contains("expected a duration like 250ms"), "{e}");
}

#[test]
fn booleans_take_the_usual_spellings_from_the_environment() {
    let l = Fixture::new()
        .env("REDIS_ENABLED", "YES")
        .env("APP_DEBUG", "on")
        .env("HEALTH_CHECK_ENABLED", "0")
        .load();
    assert!(l.config.redis.enabled && l.config.app.debug && !l.config.health_check.enabled);
}

#[test]
fn cors_origins_take_a_comma_list_a_json_array_or_a_toml_array() {
    let l = Fixture::new()
        .env("CORS_ORIGINS", "https://a, https://b")
        .load();
    assert_eq!(l.config.server.cors_origins, vec!["https://a", "https://b"]);
    let l = Fixture::new()
        .env("CORS_ORIGINS", r#"["https://a","https://b"]"#)
        .load();
    assert_eq!(l.config.server.cors_origins, vec!["https://a", "https://b"]);
    let l = Fixture::new()
        .toml("[server]\ncors_origins = [\"https://c\"]\n")
        .load();
    assert_eq!(l.config.server.cors_origins, vec!["https://c"]);
}

#[test]
fn log_levels_take_any_case_python_names_and_filter_directives() {
    let level = |v: &str| Fixture::new().env("LOG_LEVEL", v).load().config.log.level;
    assert_eq!(level("INFO"), "info");
    assert_eq!(level("WARNING"), "warn");
    assert_eq!(
        level("info,llm_orchestrator=debug"),
        "info,llm_orchestrator=debug"
    );
    let e = Fixture::new().env("LOG_LEVEL", "inof").error();
    assert!(
        e.starts_with("log.level = \"inof\" from environment LOG_LEVEL: expected trace"),
        "{e}"
    );
}

#[test]
fn an_empty_log_file_means_none() {
    let l = Fixture::new().env("LOG_FILE", "").load();
    assert_eq!(l.config.log.file, None);
    let l = Fixture::new().env("LOG_FILE", "./logs/app.log").load();
    assert_eq!(l.config.log.file, Some(PathBuf::from("./logs/app.log")));
    let l = Fixture::new().env("LOG_FORMAT", "JSON").load();
    assert_eq!(l.config.log.format, LogFormat::Json);
}

#[test]
fn redis_urls_need_a_redis_scheme_and_hide_their_password() {
    let e = Fixture::new().env("REDIS_URL", "http://x").error();
    assert!(
        e.ends_with("expected a URL starting with redis://, rediss:// or unix://"),
        "{e}"
    );
    let l = Fixture::new()
        .env("REDIS_URL", "redis://:hunter2@cache:6379/0")
        .load();
    assert!(!format!("{:?}", l.config.redis).contains("hunter2"));
    assert!(!entry(&l, "redis.url").value.contains("hunter2"));
}

#[test]
fn the_admin_key_is_redacted_in_reports_errors_and_debug_output() {
    let key = "0123456789abcdef-secret";
    let l = Fixture::new().env("ADMIN_KEY", key).load();
    assert_eq!(l.config.security.admin_key.as_ref().unwrap().expose(), key);
    assert_eq!(entry(&l, "security.admin_key").value, "***");
    assert!(!format!("{:?}", l.config).contains(key));
    assert_eq!(
        l.config.security.admin_key.as_ref().unwrap().to_string(),
        "***"
    );

    let e = Fixture::new().env("ADMIN_KEY", "short-secret").error();
    assert_eq!(
        e,
        "security.admin_key = *** from environment ADMIN_KEY: must be at least 16 characters long"
    );
    let e = Fixture::new().toml("[security]\nadmin_key = 42\n").error();
    assert!(e.starts_with("security.admin_key = *** from "), "{e}");
}

#[test]
fn a_flag_for_a_key_outside_the_registry_is_an_error() {
    let e = Fixture::new().flag("server.portt", "--port", "1").error();
    assert_eq!(e, "unknown key `server.portt` in flag --port");
}

#[test]
fn cors_origins_must_be_whole_origins() {
    let loaded = Fixture::new()
        .env(
            "CORS_ORIGINS",
            "https://a.example.com, http://localhost:3000",
        )
        .load();
    assert_eq!(
        loaded.config.server.cors_origins,
        vec![
            "https://a.example.com".to_string(),
            "http://localhost:3000".to_string()
        ]
    );
    let err = Fixture::new()
        .env("CORS_ORIGINS", "https://a.example.com/path")
        .error();
    assert!(
        err.contains("server.cors_origins") && err.contains("CORS_ORIGINS"),
        "{err}"
    );
}

#[test]
fn the_master_key_must_be_base64_of_32_bytes_and_is_never_shown() {
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let l = Fixture::new().env("MASTER_KEY", key).load();
    assert_eq!(l.config.security.master_key.as_ref().unwrap().expose(), key);
    assert_eq!(entry(&l, "security.master_key").value, "***");
    assert!(!format!("{:?}", l.config).contains(key));
    assert_eq!(
        l.config.security.master_key_file,
        std::path::PathBuf::from("./data/master.key")
    );

    let e = Fixture::new().env("MASTER_KEY", "c2hvcnQ=").error();
    assert_eq!(
        e,
        "security.master_key = *** from environment MASTER_KEY: decodes to 5 bytes, expected 32"
    );
    let e = Fixture::new().env("MASTER_KEY", "not base64!").error();
    assert!(e.contains("expected base64 of 32 random bytes"), "{e}");
}

#[test]
fn update_url_takes_https_anywhere_but_plain_http_only_to_loopback() {
    for ok in [
        "https://git.example.com/",
        "http://127.0.0.1:3000",
        "http://localhost:8080",
        "http://[::1]:9000",
    ] {
        let loaded = Fixture::new().env("LLMO_UPDATE__URL", ok).load();
        let url = loaded.config.update.url.expect("set");
        assert!(!url.ends_with('/'), "{ok} -> {url}: trailing slash kept");
    }
    for bad in [
        "http://git.example.com",
        "http://10.0.0.1",
        "ftp://127.0.0.1",
        "git.example.com",
    ] {
        let err = Fixture::new().env("LLMO_UPDATE__URL", bad).error();
        assert!(err.contains("update.url"), "{bad}: {err}");
    }
    assert!(Fixture::new().load().config.update.url.is_none());
}

#[test]
fn update_repo_is_owner_slash_name_and_the_token_is_never_shown() {
    let loaded = Fixture::new()
        .toml("[update]\nrepo = \"ops/gateway\"\ntoken = \"s3cret-token\"\n")
        .load();
    assert_eq!(loaded.config.update.owner, "ops");
    assert_eq!(loaded.config.update.repo, "gateway");
    assert_eq!(entry(&loaded, "update.token").value, "***");
    assert!(!format!("{:?}", loaded.config.update).contains("s3cret"));
    let defaults = Fixture::new().load();
    assert_eq!(
        (
            defaults.config.update.owner.as_str(),
            defaults.config.update.repo.as_str()
        ),
        ("llm-orchestrator", "llm-orchestrator")
    );
    for bad in ["gateway", "a/b/c", "/b", "a/"] {
        let err = Fixture::new().env("LLMO_UPDATE__REPO", bad).error();
        assert!(err.contains("owner/name"), "{bad}: {err}");
    }
}
