//! Configuration: the one loader every subcommand uses, and the typed `Config` it produces.
//!
//! Layers, lowest precedence first: built-in defaults < TOML file < `./.env` < process
//! environment < command-line flags. The key registry (`keys`) is the single list of what can
//! be configured; `sources` reads the layers, `validate` turns values into `Config`.
//! Acting on the configuration (binding, connecting, logging) belongs to other modules.

// ConfigError is large because it carries origins; it is built at most once per start, and a
// boxed error would make callers' matching clumsier for no measurable gain.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::url::{redact, Backend, DbUrl};

mod example;
pub mod keys;
mod sources;
mod validate;

pub use example::example_toml;
pub use validate::parse_duration;

#[cfg(test)]
mod tests;

/// What `load` reads. `Default` gives the production behaviour.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config`: must exist when given.
    pub config_path: Option<PathBuf>,
    /// `None` = `./.env`; a missing file is fine.
    pub dotenv_path: Option<PathBuf>,
    /// `None` = the process environment.
    pub env: Option<Vec<(String, String)>>,
    pub flags: Vec<FlagValue>,
    /// Where to look for a TOML file when `config_path` is `None`; `None` = `./config.toml`,
    /// then `/etc/llm-orchestrator/config.toml`.
    pub search_paths: Option<Vec<PathBuf>>,
}

/// A command-line flag that sets a key, e.g. `--port 8080` -> `server.port`.
#[derive(Debug, Clone)]
pub struct FlagValue {
    pub key: &'static str,
    pub value: String,
    pub flag: &'static str,
}

/// The result of loading: the config plus what `config check` shows.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// Ignored names in `.env` and the environment; the caller logs them.
    pub warnings: Vec<String>,
    /// The TOML file that was read, if any.
    pub file: Option<PathBuf>,
    /// Every registry key, in registry order, with its effective value and origin.
    pub report: Vec<ReportEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEntry {
    pub key: &'static str,
    /// Rendered value: `***` for a set secret, `(unset)` for none, URL passwords redacted.
    pub value: String,
    pub origin: Origin,
}

/// Which layer a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    DotEnv { path: PathBuf, name: String },
    Env(String),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(p) => write!(f, "file {}", p.display()),
            Origin::DotEnv { path, name } => write!(f, ".env {} ({name})", path.display()),
            Origin::Env(name) => write!(f, "environment {name}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// Why loading failed. Each message is one line naming the key, where its value came from and
/// what is wrong; secrets are shown as `***`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--config {}: file not found", .0.display())]
    ConfigNotFound(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}{}: {problem}", path.display(), line.map_or(String::new(), |l| format!(":{l}")))]
    DotEnv {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
    /// `what` is "key" or "section"; `place` is `path:line` or `flag --x`.
    #[error("unknown {what} `{name}` in {place}{}", suggestion.as_ref().map_or(String::new(), |s| format!(" (did you mean `{s}`?)")))]
    Unknown {
        what: &'static str,
        name: String,
        place: String,
        suggestion: Option<String>,
    },
    #[error("{key} = {value} from {}: {problem}", place(origin, *line))]
    Invalid {
        key: &'static str,
        /// Rendered as given, `***` for secrets.
        value: String,
        origin: Origin,
        /// Line in the TOML file.
        line: Option<usize>,
        problem: String,
    },
    #[error("database.type = {ty} ({ty_origin}) does not match database.url ({url_backend}, from {url_origin})")]
    TypeMismatch {
        ty: Backend,
        ty_origin: Origin,
        url_backend: Backend,
        url_origin: Origin,
    },
}

/// `path:line` for the TOML file, the origin's own words otherwise.
fn place(origin: &Origin, line: Option<usize>) -> String {
    match (origin, line) {
        (Origin::File(p), Some(l)) => format!("{}:{l}", p.display()),
        _ => origin.to_string(),
    }
}

fn default_search_paths() -> Vec<PathBuf> {
    vec![
        PathBuf::from("./config.toml"),
        PathBuf::from("/etc/llm-orchestrator/config.toml"),
    ]
}

/// Reads every layer, checks every value and builds the `Config`.
pub fn load(opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    let mut warnings = Vec::new();
    let file = sources::find_file(opts)?;
    let mut layers = vec![sources::defaults()];
    if let Some(path) = &file {
        layers.push(sources::file(path)?);
    }
    let dotenv_path = opts
        .dotenv_path
        .clone()
        .unwrap_or_else(|| PathBuf::from("./.env"));
    layers.push(sources::dotenv(&dotenv_path, &mut warnings)?);
    layers.push(match &opts.env {
        Some(vars) => sources::environment(vars.iter().cloned(), &mut warnings),
        // vars_os: a non-UTF-8 variable of some other program must not abort startup.
        None => sources::environment(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
            &mut warnings,
        ),
    });
    layers.push(sources::flags(&opts.flags)?);

    let resolved = sources::merge(layers)?;
    let config = validate::build(&resolved)?;
    let report = keys::KEYS
        .iter()
        .zip(&resolved)
        .map(|(key, r)| ReportEntry {
            key: key.path,
            value: validate::render(key, &r.value),
            origin: r.origin.clone(),
        })
        .collect();
    Ok(Loaded {
        config,
        warnings,
        file,
        report,
    })
}

/// A value that must not be logged: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub app: AppConfig,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub backup: BackupConfig,
    pub update: UpdateConfig,
    pub redis: RedisConfig,
    pub log: LogConfig,
    pub security: SecurityConfig,
    pub request_log: RequestLogConfig,
    pub metrics: MetricsConfig,
    pub health_check: HealthCheckConfig,
    pub catalog: CatalogConfig,
    pub gateway: GatewayConfig,
}

#[derive(Clone, Debug)]
pub struct AppConfig {
    pub name: String,
    pub env: AppEnv,
    pub debug: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
    Testing,
}

impl AppEnv {
    pub fn as_str(self) -> &'static str {
        match self {
            AppEnv::Development => "development",
            AppEnv::Production => "production",
            AppEnv::Testing => "testing",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub host: String,
    /// 0 = pick a free port.
    pub port: u16,
    /// 0 = one per CPU.
    pub workers: usize,
    pub shutdown_grace: Duration,
    /// `/openapi.json` and `/docs` are served.
    pub docs: bool,
    pub cors_origins: Vec<String>,
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Clone, Debug)]
pub struct RequestLogConfig {
    pub enabled: bool,
    /// 0 = keep forever.
    pub retention_days: u32,
    pub cleanup_interval: Duration,
    pub queue_capacity: usize,
    pub batch_size: usize,
    pub flush_interval: Duration,
}

#[derive(Clone, Debug)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// A separate, unauthenticated listener; `None`: on the main port behind the admin key.
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    pub url: DbUrl,
    pub auto_migrate: bool,
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct BackupConfig {
    pub dir: PathBuf,
}

/// Where `self-update` looks for releases.
#[derive(Clone, Debug)]
pub struct UpdateConfig {
    /// Base URL of the release server, without a trailing slash; `None`: `self-update` refuses.
    pub url: Option<String>,
    pub owner: String,
    pub repo: String,
    pub token: Option<Secret>,
}

#[derive(Clone)]
pub struct RedisConfig {
    pub enabled: bool,
    pub url: String,
    pub pool_size: u32,
    /// Every Redis call is time-boxed by this.
    pub timeout: Duration,
    /// Prefix of every key and channel.
    pub key_prefix: String,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("enabled", &self.enabled)
            .field("url", &redact(&self.url))
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct LogConfig {
    /// A plain level, lowercased, or a tracing `EnvFilter` directive string.
    pub level: String,
    pub format: LogFormat,
    pub file: Option<PathBuf>,
    pub rotation: LogRotation,
}

/// What an active health probe asks an upstream (`health_check.probe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    /// List the models: free on every provider.
    Models,
    /// A completion of one token: proves the model serves, and is billed.
    Completion,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Models => "models",
            ProbeKind::Completion => "completion",
        }
    }
}

/// How `log.file` is rotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogRotation {
    /// A new dated file (`app.log.2026-11-26`) every day, written by the process itself.
    Daily,
    /// One file, opened in append mode, so logrotate's `copytruncate` can rotate it.
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SecurityConfig {
    /// `None` when no admin key is configured.
    pub admin_key: Option<Secret>,
    /// Base64 of the 32-byte key that encrypts provider keys; `None`: use `master_key_file`.
    pub master_key: Option<Secret>,
    /// Read, or created with mode 0600, when `master_key` is unset.
    pub master_key_file: PathBuf,
}

#[derive(Clone, Debug)]
pub struct HealthCheckConfig {
    pub enabled: bool,
    pub interval: Duration,
    pub probe: ProbeKind,
    pub max_errors: u32,
    pub retry_after: Duration,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct CatalogConfig {
    /// Periodic reload, the backstop to Redis invalidation.
    pub refresh_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// 0 means no retries.
    pub max_retry_count: u32,
    /// `API_KEYS`: client keys from the configuration, allowed every model.
    pub api_keys: Vec<Secret>,
    pub connect_timeout: Duration,
    pub first_token_timeout: Duration,
    pub idle_timeout: Duration,
    /// One non-streaming attempt, in all.
    pub request_timeout: Duration,
    /// The whole request until its answer starts.
    pub total_timeout: Duration,
    /// Zero: no keep-alive comments.
    pub stream_keepalive: Duration,
    pub retry_backoff: Duration,
    /// Bytes.
    pub max_body_size: usize,
}
