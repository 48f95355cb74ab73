//! The command line: clap definitions shared by every subcommand, and dispatch.
//!
//! Each subcommand lives in its own file and gets the same config loader through
//! [`load_config`]; flags here are the highest-precedence config layer.

pub mod backup;
pub mod catalog;
pub mod completions;
pub mod config_cmd;
pub mod database;
pub mod health;
pub mod keys;
pub mod man;
pub mod migrate;
pub mod self_update;
pub mod serve;
pub mod stats;

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};

use crate::config::{self, FlagValue, LoadOptions, Loaded};
use crate::error::AppError;
use crate::telemetry::{self, LogTarget, TelemetryGuard};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a check ran and said no (unhealthy, migrations pending, corrupt backup,
     self-update --check found a newer release)
  2  usage, configuration or runtime error";

#[derive(Debug, Parser)]
#[command(
    name = "llm-orchestrator",
    version,
    about = "An LLM API gateway (OpenAI-, Anthropic- and Gemini-compatible) and its operator tools",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    /// Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml
    #[arg(long, global = true, value_name = "PATH", env = "LLMO_CONFIG")]
    pub config: Option<PathBuf>,

    /// More log output (-v debug, -vv trace); overrides log.level
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Less log output (-q warn, -qq error); overrides log.level
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Log format; overrides log.format
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormatArg>,

    /// Database URL; overrides database.url / DATABASE_URL
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (HTTP server)
    Serve(serve::ServeArgs),
    /// Apply or inspect database migrations
    Migrate(migrate::MigrateArgs),
    /// Check a running server (and with --deep, its database and Redis)
    Health(health::HealthArgs),
    /// Inspect the configuration
    Config(config_cmd::ConfigArgs),
    /// Create, verify or restore database backups
    Backup(backup::BackupArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell)
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write every page into a directory
    Man(man::ManArgs),
    /// Export or import the catalog (providers, keys, models, routes) as TOML, JSON or xlsx
    Catalog(catalog::CatalogArgs),
    /// Create, list, revoke and rotate client keys
    Keys(keys::KeysArgs),
    /// Usage statistics (requests, success rate, latency, tokens, cost) from the database
    Stats(stats::StatsArgs),
    /// Check for a newer release and replace this binary with it (sha256-verified)
    SelfUpdate(self::self_update::SelfUpdateArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), AppError> {
    match &cli.command {
        Command::Serve(args) => serve::run(&cli, args),
        Command::Migrate(args) => migrate::run(&cli, args),
        Command::Health(args) => health::run(&cli, args),
        Command::Config(args) => config_cmd::run(&cli, args),
        Command::Backup(args) => backup::run(&cli, args),
        Command::Completions(args) => completions::run(&cli, args),
        Command::Man(args) => man::run(&cli, args),
        Command::Catalog(args) => catalog::run(&cli, args),
        Command::Keys(args) => keys::run(&cli, args),
        Command::Stats(args) => stats::run(&cli, args),
        Command::SelfUpdate(args) => self::self_update::run(&cli, args),
    }
}

impl Cli {
    /// The global flags as config-layer values; subcommands add their own.
    fn global_flags(&self) -> Vec<FlagValue> {
        let mut flags = Vec::new();
        let level = match (self.verbose, self.quiet) {
            (0, 0) => None,
            (1, _) => Some(("debug", "--verbose")),
            (v, _) if v >= 2 => Some(("trace", "--verbose")),
            (_, 1) => Some(("warn", "--quiet")),
            _ => Some(("error", "--quiet")),
        };
        if let Some((value, flag)) = level {
            flags.push(FlagValue {
                key: "log.level",
                value: value.into(),
                flag,
            });
        }
        if let Some(f) = self.log_format {
            let value = match f {
                LogFormatArg::Text => "text",
                LogFormatArg::Json => "json",
            };
            flags.push(FlagValue {
                key: "log.format",
                value: value.into(),
                flag: "--log-format",
            });
        }
        if let Some(url) = &self.database_url {
            flags.push(FlagValue {
                key: "database.url",
                value: url.clone(),
                flag: "--database-url",
            });
        }
        flags
    }
}

/// Loads the configuration for a subcommand: global flags plus `extra` flags on top.
pub fn load_config(cli: &Cli, extra: Vec<FlagValue>) -> Result<Loaded, AppError> {
    let mut flags = cli.global_flags();
    flags.extend(extra);
    let opts = LoadOptions {
        config_path: cli.config.clone(),
        flags,
        ..LoadOptions::default()
    };
    Ok(config::load(&opts)?)
}

/// Installs logging for a subcommand and reports the loader's warnings through it.
pub fn init_logging(loaded: &Loaded, target: LogTarget) -> Result<TelemetryGuard, AppError> {
    let guard = telemetry::init(&loaded.config.log, target)?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(guard)
}

/// The multi-thread runtime every subcommand runs on. Multi-thread because diesel-async's
/// migration harness uses `block_in_place`.
pub fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::io("cannot start the async runtime", e))
}
