//! The key registry: every configuration key, its kind, default, environment names and doc line.
//!
//! This table is the single source of truth: the loader, `config check`, the README tables and
//! the example config are all driven by it, so a key that is not here does not exist. Parsing
//! values and building the typed `Config` live in `validate.rs`, not here.

/// What values a key takes. Whether a key is optional is decided by `Key::default` being `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Path,
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// An integer (seconds) or a string like `250ms`, `30s`, `1h30m`.
    Duration,
    /// A TOML array; from the environment a comma-separated list or a JSON array.
    List,
    /// One of the listed words, compared case-insensitively and stored lowercased.
    Enum(&'static [&'static str]),
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Dotted path; the part before the dot is the TOML section.
    pub path: &'static str,
    pub kind: Kind,
    /// The built-in default in the textual form the environment uses; `None` = unset.
    pub default: Option<&'static str>,
    /// Environment names kept from the Python version; `LLMO_*` is always accepted as well.
    pub env: &'static [&'static str],
    /// Never shown: reports and errors print `***` instead.
    pub secret: bool,
    pub doc: &'static str,
}

impl Key {
    /// The generic environment name, `server.shutdown_grace` -> `LLMO_SERVER__SHUTDOWN_GRACE`.
    pub fn llmo_env(&self) -> String {
        format!("LLMO_{}", self.path.replace('.', "__").to_ascii_uppercase())
    }

    /// Every environment name that sets this key, the generic one first.
    pub fn env_names(&self) -> Vec<String> {
        let mut names = vec![self.llmo_env()];
        names.extend(self.env.iter().map(|s| s.to_string()));
        names
    }

    pub fn optional(&self) -> bool {
        self.default.is_none()
    }
}

/// Environment names whose bare numbers are hours, not seconds (the Python version's unit).
pub const HOURS_ENV: &[&str] = &["HEALTH_CHECK_RETRY_HOURS"];

/// `LLMO_*` names the command line reads itself; the loader must not warn about them.
pub const RESERVED_ENV: &[&str] = &["LLMO_CONFIG"];

/// The generic environment prefix; unknown names with it are reported as likely typos.
pub const ENV_PREFIX: &str = "LLMO_";

const fn key(
    path: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    env: &'static [&'static str],
    doc: &'static str,
) -> Key {
    Key {
        path,
        kind,
        default,
        env,
        secret: false,
        doc,
    }
}

const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}

use Kind::{Bool, Duration, Enum, List, Path, Str};

/// Every key, in the order reports and generated docs list them.
#[rustfmt::skip]
pub static KEYS: &[Key] = &[
    key("app.name", Str, Some("llm-orchestrator"), &["APP_NAME"], "Service name shown in /health and in logs."),
    key("app.env", Enum(&["development", "production", "testing"]), Some("development"), &["APP_ENV"], "Deployment environment: development, production or testing."),
    key("app.debug", Bool, Some("false"), &["APP_DEBUG"], "Extra diagnostics; never enable in production."),
    key("server.host", Str, Some("0.0.0.0"), &["APP_HOST"], "Address the HTTP server binds to."),
    key("server.port", int(0, 65535), Some("8000"), &["APP_PORT"], "TCP port; 0 picks a free port."),
    key("server.workers", int(0, 256), Some("0"), &[], "HTTP worker threads; 0 means one per CPU."),
    key("server.shutdown_grace", Duration, Some("30s"), &[], "How long in-flight requests may finish after a shutdown signal."),
    key("server.docs", Enum(&["auto", "on", "off"]), Some("auto"), &[], "Serve /openapi.json and the /docs page; auto = on unless app.env is production."),
    key("server.cors_origins", List, Some("*"), &["CORS_ORIGINS"], "Allowed CORS origins; `*` allows any."),
    key("server.trusted_proxies", List, None, &["TRUSTED_PROXIES"], "Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For / X-Real-IP name the client; from anyone else those headers are ignored."),
    key("database.url", Str, Some("sqlite://./data/llm_orchestrator.db"), &["DATABASE_URL"], "sqlite://PATH, mysql://user:pass@host/db or postgres://user:pass@host/db."),
    key("database.type", Enum(&["sqlite", "mysql", "postgres", "mariadb", "postgresql"]), None, &["DATABASE_TYPE"], "Optional; when set it must agree with database.url."),
    key("database.auto_migrate", Bool, Some("true"), &[], "Apply pending migrations when `serve` starts."),
    key("database.max_connections", int(1, 1000), Some("10"), &[], "Connection pool size."),
    key("database.connect_timeout", Duration, Some("10s"), &[], "How long to wait for a database connection."),
    key("backup.dir", Path, Some("./backups"), &[], "Where `backup create` writes (and prunes) backups; relative paths are from the working directory."),
    key("update.url", Str, None, &[], "Release server for `self-update` (Gitea/Forgejo API), e.g. https://git.example.com. https only; plain http is accepted only for loopback (tests). Unset: `self-update` refuses."),
    key("update.repo", Str, Some("llm-orchestrator/llm-orchestrator"), &[], "owner/name of the repository on update.url whose releases `self-update` installs."),
    Key {
        secret: true,
        ..key("update.token", Str, None, &[], "API token for a private release repository; sent only over https (or to loopback).")
    },
    key("redis.enabled", Bool, Some("false"), &["REDIS_ENABLED"], "Use Redis for shared counters, health and catalog invalidation."),
    key("redis.url", Str, Some("redis://127.0.0.1:6379/0"), &["REDIS_URL"], "redis://, rediss:// or unix:// URL."),
    key("redis.pool_size", int(1, 1000), Some("8"), &[], "Redis connection pool size."),
    key("redis.timeout", Duration, Some("250ms"), &[], "Time box for every Redis call; on expiry the caller fails open."),
    key("redis.key_prefix", Str, Some("llmo"), &[], "Prefix of every Redis key and channel, so deployments can share one Redis."),
    key("log.level", Str, Some("info"), &["LOG_LEVEL"], "A level (trace..error, off) or a filter like `info,llm_orchestrator=debug`."),
    key("log.format", Enum(&["text", "json"]), Some("text"), &["LOG_FORMAT"], "Log line format: text or json."),
    key("log.file", Path, None, &["LOG_FILE"], "Also write logs to this file (rotated daily); empty = stdout only."),
    key("log.rotation", Enum(&["daily", "never"]), Some("daily"), &[], "daily: log.file gets a dated file per day; never: one file, for logrotate (copytruncate)."),
    Key {
        secret: true,
        ..key("security.admin_key", Str, None, &["ADMIN_KEY"], "Key for the admin API and console; at least 16 characters.")
    },
    Key {
        secret: true,
        ..key("security.master_key", Str, None, &["MASTER_KEY"], "Encrypts provider keys at rest: base64 of 32 random bytes. Unset: read (or create) security.master_key_file.")
    },
    key("security.master_key_file", Path, Some("./data/master.key"), &[], "Master key file (base64 of 32 bytes, mode 0600), created on first start when security.master_key is unset."),
    key("request_log.enabled", Bool, Some("true"), &[], "Write one request log record per client request (and hourly rollups for stats)."),
    key("request_log.retention_days", int(0, 36500), Some("30"), &["LOG_RETENTION_DAYS"], "Delete request logs older than this many days; 0 keeps them forever. Rollups are kept."),
    key("request_log.cleanup_interval", Duration, Some("1h"), &[], "How often the retention job runs."),
    key("request_log.queue_capacity", int(1, 1_000_000), Some("10000"), &[], "Records waiting for the writer; when full, new records are dropped and counted (requests never wait)."),
    key("request_log.batch_size", int(1, 10_000), Some("500"), &[], "Records per database write."),
    key("request_log.flush_interval", Duration, Some("1s"), &[], "Longest a record waits in the queue before its batch is written."),
    key("metrics.enabled", Bool, Some("true"), &[], "Serve Prometheus metrics at /metrics."),
    key("metrics.listen", Str, None, &[], "host:port of a separate listener for /metrics, without auth (bind it to a private address). Unset: /metrics is on the main port and needs the admin key."),
    key("health_check.enabled", Bool, Some("true"), &["HEALTH_CHECK_ENABLED"], "Probe every enabled key of every enabled provider in the background, so failed and fixed keys are noticed without traffic."),
    key("health_check.interval", Duration, Some("300s"), &["HEALTH_CHECK_INTERVAL"], "Time between probe rounds (at least 100ms)."),
    key("health_check.probe", Enum(&["models", "completion"]), Some("models"), &[], "What a probe asks: models = list the models (free); completion = a one-token completion of the provider's first routed model (billed)."),
    key("health_check.max_errors", int(1, 1000), Some("5"), &["HEALTH_CHECK_MAX_ERRORS"], "Consecutive failures (requests or probes) that open a circuit: the key, or the whole provider, then rests."),
    key("health_check.retry_after", Duration, Some("1h"), &["HEALTH_CHECK_RETRY_HOURS"], "Longest rest of an open circuit, and the rest of a key the upstream rejected (401/403) until a probe shows it works (HEALTH_CHECK_RETRY_HOURS is in hours)."),
    key("health_check.timeout", Duration, Some("10s"), &["HEALTH_CHECK_TIMEOUT"], "Timeout of one probe request (at least 100ms)."),
    key("catalog.refresh_interval", Duration, Some("30s"), &[], "Reload the catalog from the database this often, a backstop to Redis invalidation."),
    key("gateway.max_retry_count", int(0, 10), Some("3"), &["MAX_RETRY_COUNT"], "Retries after a failed upstream attempt (next key, then next provider); 0 = one attempt only."),
    Key {
        secret: true,
        ..key("gateway.api_keys", List, None, &["API_KEYS"], "Extra client keys accepted for every model, besides the client keys in the catalog (the Python version's API_KEYS). Prefer `keys create`: these are not shown in logs or stats by name.")
    },
    key("gateway.connect_timeout", Duration, Some("10s"), &[], "Connecting to an upstream (TCP + TLS); a provider's connect_timeout_ms overrides it."),
    key("gateway.first_token_timeout", Duration, Some("60s"), &[], "Streaming: how long an attempt may wait for the first chunk before failing over; a provider's first_token_timeout_ms overrides it."),
    key("gateway.idle_timeout", Duration, Some("60s"), &[], "Streaming: the longest silence between two upstream chunks; the stream then ends with an error event. A provider's idle_timeout_ms overrides it."),
    key("gateway.request_timeout", Duration, Some("300s"), &[], "Non-streaming: how long one attempt may take in all; a provider's total_timeout_ms overrides it."),
    key("gateway.total_timeout", Duration, Some("600s"), &[], "Deadline for a whole request, every attempt and backoff included (until the first streamed chunk)."),
    key("gateway.stream_keepalive", Duration, Some("15s"), &[], "Streaming: after this much upstream silence send a keep-alive so proxies keep the connection (an SSE comment to OpenAI clients, `ping` to Anthropic clients, a blank line to Gemini clients); 0 = never."),
    key("gateway.retry_backoff", Duration, Some("250ms"), &[], "Base of the exponential backoff (with jitter) before retrying a target that already failed in the same request."),
    key("gateway.max_body_size", int(1, 1024), Some("32"), &[], "Largest accepted request body, in MiB (images travel inline as base64); larger bodies get 413."),
];

/// The key at `path` and its position in `KEYS`.
pub fn find(path: &str) -> Option<(usize, &'static Key)> {
    KEYS.iter().enumerate().find(|(_, k)| k.path == path)
}

/// Whether any key lives in TOML section `name`.
pub fn is_section(name: &str) -> bool {
    KEYS.iter()
        .any(|k| k.path.split_once('.').is_some_and(|(s, _)| s == name))
}

/// The closest known key path to a mistyped one, if any is close enough to be a likely typo.
pub fn suggest(path: &str) -> Option<&'static str> {
    let close = KEYS
        .iter()
        .map(|k| (strsim::levenshtein(k.path, path), k.path))
        .filter(|(d, _)| *d <= 2.max(path.len() / 5))
        .min()
        .map(|(_, p)| p);
    // A right name in the wrong section (`port` at top level, `[sever] port`) is the other
    // common slip; only suggest it when the name is unambiguous.
    let last = path.rsplit('.').next().unwrap_or(path);
    let mut same_name = KEYS
        .iter()
        .filter(|k| k.path.rsplit('.').next() == Some(last));
    let by_name = match (same_name.next(), same_name.next()) {
        (Some(k), None) => Some(k.path),
        _ => None,
    };
    close.or(by_name).filter(|p| *p != path)
}
