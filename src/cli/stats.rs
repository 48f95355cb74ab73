//! `stats`: usage for a time range from the hourly rollups — totals and one line per
//! provider, model, client key or route — as a table, or JSON for scripts. Reads the database
//! named by the config (the same loader as `serve`), or with `--url` asks a running server's
//! `/admin/stats` with the configured admin key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use super::{database, init_logging, load_config, runtime, Cli};
use crate::accounting::stats::{self, parse_time, Bucket, GroupBy, StatsReport, Summary};
use crate::accounting::store;
use crate::error::AppError;
use crate::telemetry::LogTarget;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum By {
    Provider,
    Model,
    Key,
    Route,
}

impl By {
    fn group(self) -> GroupBy {
        match self {
            By::Provider => GroupBy::Provider,
            By::Model => GroupBy::Model,
            By::Key => GroupBy::Key,
            By::Route => GroupBy::Route,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            By::Provider => "provider",
            By::Model => "model",
            By::Key => "key",
            By::Route => "route",
        }
    }
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Start: a duration ago (24h, 7d), a date (2026-11-01) or an RFC 3339 time
    #[arg(long, value_name = "TIME", default_value = "24h", value_parser = time_arg)]
    pub since: DateTime<Utc>,
    /// End (default: now), same forms as --since
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub until: Option<DateTime<Utc>>,
    /// One line per provider, model, client key or route
    #[arg(long, value_enum, default_value = "model")]
    pub by: By,
    /// Print the whole report (totals, groups, hourly series) as JSON
    #[arg(long)]
    pub json: bool,
    /// Ask a running server's /admin/stats instead of reading the database
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

fn time_arg(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s, Utc::now())
}

pub fn run(cli: &Cli, args: &StatsArgs) -> Result<(), AppError> {
    let loaded = load_config(cli, Vec::new())?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config;
    let until = args.until.unwrap_or_else(Utc::now);
    if until <= args.since {
        return Err(AppError::Runtime("--until must be after --since".into()));
    }
    let report = match &args.url {
        Some(url) => fetch(url, &config, args, until)?,
        None => runtime()?.block_on(async {
            let db = database::open(&config, 2).await?;
            let names = store::id_names(&db).await.map_err(database::store_error)?;
            stats::report(
                &db,
                args.since,
                until,
                Some(args.by.group()),
                Bucket::Hour,
                &names,
            )
            .await
            .map_err(database::store_error)
        })?,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", table(&report, args.by));
    }
    Ok(())
}

fn fetch(
    url: &str,
    config: &crate::config::Config,
    args: &StatsArgs,
    until: DateTime<Utc>,
) -> Result<StatsReport, AppError> {
    let key = config.security.admin_key.as_ref().ok_or_else(|| {
        AppError::Runtime("--url needs the admin key: set ADMIN_KEY (or security.admin_key)".into())
    })?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let base = url.trim_end_matches('/');
    let mut res = agent
        .get(format!("{base}/admin/stats"))
        .query("since", args.since.to_rfc3339())
        .query("until", until.to_rfc3339())
        .query("group_by", args.by.as_str())
        .header("Authorization", &format!("Bearer {}", key.expose()))
        .call()
        .map_err(|e| AppError::Runtime(format!("{base}: {e}")))?;
    let status = res.status().as_u16();
    let text = res
        .body_mut()
        .read_to_string()
        .map_err(|e| AppError::Runtime(format!("{base}: {e}")))?;
    if status != 200 {
        let msg = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .and_then(|m| m.as_str())
                    .map(String::from)
            })
            .unwrap_or(text);
        return Err(AppError::Runtime(format!(
            "{base}/admin/stats answered {status}: {msg}"
        )));
    }
    serde_json::from_str(&text)
        .map_err(|e| AppError::Runtime(format!("{base}/admin/stats: unexpected answer: {e}")))
}

fn ms(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v}"))
}

fn line(name: &str, s: &Summary) -> String {
    let rate = s
        .success_rate
        .map_or_else(|| "-".into(), |r| format!("{:.1}%", r * 100.0));
    format!(
        "{name:<32} {:>9} {:>8} {:>8} {:>8} {:>9} {:>12} {:>12} {:>12.4}\n",
        s.requests,
        rate,
        ms(s.latency_p50_ms),
        ms(s.latency_p95_ms),
        ms(s.ttft_p50_ms),
        s.prompt_tokens,
        s.completion_tokens,
        s.cost
    )
}

/// The readable table: one line per group, then the totals.
pub fn table(r: &StatsReport, by: By) -> String {
    let mut out = format!(
        "{} to {} (whole hours, UTC)\n\n",
        r.since.format("%Y-%m-%d %H:%M"),
        r.until.format("%Y-%m-%d %H:%M")
    );
    out.push_str(&format!(
        "{:<32} {:>9} {:>8} {:>8} {:>8} {:>9} {:>12} {:>12} {:>12}\n",
        by.as_str(),
        "requests",
        "success",
        "p50 ms",
        "p95 ms",
        "ttft p50",
        "tokens in",
        "tokens out",
        "cost"
    ));
    for g in &r.groups {
        let name: String = g.name.chars().take(32).collect();
        out.push_str(&line(&name, &g.summary));
    }
    out.push_str(&line("total", &r.totals));
    out
}
