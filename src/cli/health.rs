//! `health`: for shell checks and cron.
//!
//! By default it asks a running server's `/health` (address from the same config, or
//! `--url`). `--deep` also checks the database and Redis named by the config directly and,
//! when an admin key is configured, the server's `/admin/health`. Exit 0 healthy,
//! 1 unhealthy or unreachable, 2 configuration error.

use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use serde_json::{json, Value};

use super::{init_logging, load_config, runtime, Cli};
use crate::cache::Cache;
use crate::config::Config;
use crate::db::{Db, DbSettings};
use crate::error::AppError;
use crate::status::{self, Check};
use crate::telemetry::LogTarget;

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Base URL of the server (default: from server.host and server.port)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Also check the database, Redis and the server's /admin/health
    #[arg(long)]
    pub deep: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    /// How long each check may take, e.g. 5s, 500ms
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::config::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration (use e.g. 5s, 500ms, 1m)"))
}

#[derive(Debug, Serialize)]
struct Named {
    name: &'static str,
    #[serde(flatten)]
    check: Check,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
}

pub fn run(cli: &Cli, args: &HealthArgs) -> Result<(), AppError> {
    let loaded = load_config(cli, Vec::new())?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config;
    let base = match &args.url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => server_base_url(&config)?,
    };

    let mut checks = vec![http_check(
        "server",
        &format!("{base}/health"),
        None,
        args.timeout,
    )];
    if args.deep {
        let rt = runtime()?;
        let (db_check, cache_check) = rt.block_on(deep_checks(&config, args.timeout));
        checks.push(Named {
            name: "database",
            check: db_check,
            target: None,
        });
        checks.push(Named {
            name: "redis",
            check: cache_check,
            target: None,
        });
        match &config.security.admin_key {
            Some(key) => checks.push(http_check(
                "admin",
                &format!("{base}/admin/health"),
                Some(key.expose()),
                args.timeout,
            )),
            None => checks.push(Named {
                name: "admin",
                check: Check {
                    status: "skipped",
                    latency_ms: None,
                    error: Some("no admin key configured (ADMIN_KEY)".into()),
                    backend: None,
                },
                target: None,
            }),
        }
    }

    let healthy = checks
        .iter()
        .all(|c| matches!(c.check.status, "up" | "disabled" | "skipped"));
    let overall = if healthy { "healthy" } else { "unhealthy" };
    if args.json {
        println!("{}", json!({ "status": overall, "checks": checks }));
    } else {
        for c in &checks {
            let mut line = format!("{:<9} {:<8}", c.name, c.check.status);
            if let Some(t) = &c.target {
                line.push_str(&format!(" {t}"));
            }
            if let Some(ms) = c.check.latency_ms {
                line.push_str(&format!(" ({ms} ms)"));
            }
            if let Some(e) = &c.check.error {
                line.push_str(&format!(" - {e}"));
            }
            println!("{line}");
        }
        println!("{overall}");
    }
    if healthy {
        Ok(())
    } else {
        Err(AppError::CheckFailed(format!(
            "{overall}: see the checks above"
        )))
    }
}

/// `http://HOST:PORT` from the server config; a wildcard bind address is reached on loopback.
pub(super) fn server_base_url(config: &Config) -> Result<String, AppError> {
    if config.server.port == 0 {
        return Err(AppError::Runtime(
            "server.port is 0 (a random port), so the server cannot be found: pass --url".into(),
        ));
    }
    let host = match config.server.host.as_str() {
        "0.0.0.0" | "" => "127.0.0.1".to_string(),
        "::" | "[::]" => "[::1]".to_string(),
        h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
        h => h.to_string(),
    };
    Ok(format!("http://{host}:{}", config.server.port))
}

async fn deep_checks(config: &Config, timeout: Duration) -> (Check, Check) {
    let settings = DbSettings {
        url: config.database.url.clone(),
        max_connections: 1,
        connect_timeout: timeout.min(config.database.connect_timeout),
    };
    let db_check = async {
        match tokio::time::timeout(timeout, Db::connect(&settings)).await {
            Ok(Ok(db)) => status::check_database(&db).await,
            Ok(Err(e)) => down(e.to_string(), Some(config.database.url.backend().as_str())),
            Err(_) => down(
                format!("no connection within {timeout:?}"),
                Some(config.database.url.backend().as_str()),
            ),
        }
    };
    let cache_check = async {
        match Cache::new(&config.redis) {
            Ok(cache) => status::check_cache(&cache).await,
            Err(e) => down(e, None),
        }
    };
    tokio::join!(db_check, cache_check)
}

fn down(error: String, backend: Option<&'static str>) -> Check {
    Check {
        status: "down",
        latency_ms: None,
        error: Some(error),
        backend,
    }
}

/// GETs `url` (blocking; ureq) and expects 200 with `"status":"healthy"` (or `degraded`
/// for `/admin/health`, which still means the server works).
fn http_check(name: &'static str, url: &str, admin_key: Option<&str>, timeout: Duration) -> Named {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let started = Instant::now();
    let mut req = agent.get(url);
    if let Some(key) = admin_key {
        req = req.header("Authorization", &format!("Bearer {key}"));
    }
    let target = Some(url.to_string());
    let result = req.call();
    let latency = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
    let check = match result {
        Err(e) => down(format!("unreachable: {e}"), None),
        Ok(mut res) => {
            let code = res.status().as_u16();
            let body: Value = res.body_mut().read_json().unwrap_or(Value::Null);
            let reported = body.get("status").and_then(Value::as_str).unwrap_or("");
            if code == 200 && matches!(reported, "healthy" | "degraded") {
                Check {
                    status: "up",
                    latency_ms: Some(latency),
                    error: None,
                    backend: None,
                }
            } else {
                let detail = body
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("status `{reported}`"));
                down(format!("HTTP {code}: {detail}"), None)
            }
        }
    };
    Named {
        name,
        check,
        target,
    }
}
