//! From raw values to typed ones: per-kind parsing, per-key checks, cross-key checks, and the
//! typed `Config`.
//!
//! Where a value came from is `sources.rs`' business; this file only needs the origin to put
//! it into error messages.

use std::path::PathBuf;
use std::time::Duration;

use super::keys::{self, Key, Kind, KEYS};
use super::sources::Resolved;
use super::*;
use crate::db::url::{redact, Backend, DbUrl};

/// A value as a source gave it, before it is checked against its key.
#[derive(Debug, Clone)]
pub(crate) enum Raw {
    /// Environment, .env, flag and default text, and TOML strings: all parsed leniently alike.
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Raw>),
    /// A TOML table, datetime or oversized integer where a plain value belongs.
    Other(&'static str),
}

/// A value that passed its key's checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Unset,
    Str(String),
    Bool(bool),
    Int(i64),
    Duration(Duration),
    List(Vec<String>),
}

/// Parses and checks one value for `key`; the error says what is wrong, the caller says where.
pub(crate) fn parse(key: &Key, raw: &Raw, in_hours: bool) -> Result<Value, String> {
    let value = parse_kind(key, raw, in_hours)?;
    refine(key.path, value)
}

fn parse_kind(key: &Key, raw: &Raw, in_hours: bool) -> Result<Value, String> {
    // `LOG_FILE=` and `ADMIN_KEY=${ADMIN_KEY:-}` are how shells and compose files say "none".
    if let Raw::Text(t) = raw {
        if key.optional() && t.trim().is_empty() {
            return Ok(Value::Unset);
        }
    }
    match (key.kind, raw) {
        (Kind::Str | Kind::Path, Raw::Text(t)) => Ok(Value::Str(t.clone())),
        (Kind::Str | Kind::Path, _) => Err("expected a string".into()),
        (Kind::Bool, Raw::Bool(b)) => Ok(Value::Bool(*b)),
        (Kind::Bool, Raw::Text(t)) => parse_bool(t)
            .map(Value::Bool)
            .ok_or_else(|| "expected true or false (or 1/0, yes/no, on/off)".into()),
        (Kind::Bool, _) => Err("expected true or false".into()),
        (Kind::Int { min, max }, raw) => {
            let n = match raw {
                Raw::Int(n) => Some(*n),
                Raw::Text(t) => t.trim().parse().ok(),
                _ => None,
            };
            match n {
                None => Err(format!("expected an integer from {min} to {max}")),
                Some(n) if n < min || n > max => Err(format!("out of range {min}..={max}")),
                Some(n) => Ok(Value::Int(n)),
            }
        }
        (Kind::Duration, Raw::Int(n)) if *n >= 0 => {
            Ok(Value::Duration(Duration::from_secs(*n as u64)))
        }
        (Kind::Duration, Raw::Text(t)) => in_hours
            .then(|| parse_hours(t))
            .flatten()
            .or_else(|| parse_duration(t))
            .map(Value::Duration)
            .ok_or_else(duration_expected),
        (Kind::Duration, _) => Err(duration_expected()),
        (Kind::List, Raw::Text(t)) => parse_list(t).map(Value::List),
        (Kind::List, Raw::Array(items)) => items
            .iter()
            .map(|item| match item {
                Raw::Text(s) => Ok(s.clone()),
                _ => Err("expected a list of strings".to_string()),
            })
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Kind::List, _) => Err("expected a list of strings".into()),
        (Kind::Enum(allowed), raw) => {
            let word = match raw {
                Raw::Text(t) => t.trim().to_ascii_lowercase(),
                _ => String::new(),
            };
            if allowed.contains(&word.as_str()) {
                Ok(Value::Str(word))
            } else {
                Err(format!("expected one of {}", allowed.join(", ")))
            }
        }
    }
}

fn duration_expected() -> String {
    "expected a duration like 250ms, 30s, 5m, 1h30m or a number of seconds".into()
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `HEALTH_CHECK_RETRY_HOURS=2` or `=0.5`: the Python version's unit.
fn parse_hours(t: &str) -> Option<Duration> {
    let hours: f64 = t.trim().parse().ok()?;
    Duration::try_from_secs_f64(hours * 3600.0).ok()
}

/// A bare integer is seconds; otherwise `<number><unit>` segments, e.g. `1h30m`, `1.5s`.
pub fn parse_duration(t: &str) -> Option<Duration> {
    let t = t.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut rest = t;
    let mut nanos: u64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..end].parse().ok()?;
        rest = rest[end..].trim_start();
        let end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit: u64 = match &rest[..end] {
            "ms" => 1_000_000,
            "s" | "sec" | "secs" => 1_000_000_000,
            "m" | "min" | "mins" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            _ => return None,
        };
        rest = rest[end..].trim_start();
        // Rounding, not truncating, so `0.1s` is 100ms and not 99.999999ms.
        let part = (number * unit as f64).round();
        if !part.is_finite() || part >= u64::MAX as f64 {
            return None;
        }
        nanos = nanos.checked_add(part as u64)?;
    }
    Some(Duration::from_nanos(nanos))
}

/// `a,b` or the JSON array `["a","b"]` the Python version's settings took.
fn parse_list(t: &str) -> Result<Vec<String>, String> {
    let t = t.trim();
    if t.starts_with('[') {
        return serde_json::from_str(t)
            .map_err(|_| "expected a JSON array of strings or a comma-separated list".into());
    }
    Ok(t.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect())
}

/// `*`, or `http(s)://host[:port]` with no path: what a browser sends in `Origin`.
fn is_cors_origin(o: &str) -> bool {
    let o = o.trim().trim_end_matches('/');
    if o == "*" {
        return true;
    }
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', ' ', '?', '#', '*'])
}

/// A trusted proxy entry: a CIDR range or a single address.
pub fn parse_proxy(s: &str) -> Option<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

/// Checks that belong to one key rather than to its kind.
fn refine(path: &str, value: Value) -> Result<Value, String> {
    if let (Value::List(proxies), "server.trusted_proxies") = (&value, path) {
        if let Some(bad) = proxies.iter().find(|p| parse_proxy(p).is_none()) {
            return Err(format!(
                "`{bad}` is not an IP address or CIDR range, e.g. 10.0.0.0/8 or 127.0.0.1"
            ));
        }
    }
    if let (Value::List(origins), "server.cors_origins") = (&value, path) {
        if let Some(bad) = origins.iter().find(|o| !is_cors_origin(o)) {
            return Err(format!(
                "`{bad}` is not an origin: use `*` or scheme://host[:port], e.g. https://app.example.com"
            ));
        }
    }
    let Value::Str(s) = value else {
        return Ok(value);
    };
    match path {
        "database.url" => DbUrl::parse(&s).map(|_| Value::Str(s)).map_err(|e| e.0),
        // Only the aliases the registry allows get here; store the canonical backend name.
        "database.type" => Backend::from_type_name(&s)
            .map(|b| Value::Str(b.as_str().into()))
            .ok_or_else(|| "expected sqlite, mysql or postgres".into()),
        "redis.url" => {
            let lower = s.to_ascii_lowercase();
            if ["redis://", "rediss://", "unix://"]
                .iter()
                .any(|p| lower.starts_with(p))
            {
                Ok(Value::Str(s))
            } else {
                Err("expected a URL starting with redis://, rediss:// or unix://".into())
            }
        }
        "update.url" => update_url(&s).map(|_| Value::Str(s)),
        "metrics.listen" => s
            .parse::<std::net::SocketAddr>()
            .map(|_| Value::Str(s))
            .map_err(|_| "expected host:port with an IP address, e.g. 127.0.0.1:9464".into()),
        "update.repo" => split_repo(&s).map(|_| Value::Str(s)),
        "log.level" => log_level(&s).map(Value::Str),
        "security.admin_key" if s.chars().count() < 16 => {
            Err("must be at least 16 characters long".into())
        }
        "security.master_key_file" if s.trim().is_empty() => {
            Err("must name a file (unset security.master_key_file to use the default)".into())
        }
        "security.master_key" => match crate::security::secrets::decode_master_key(&s) {
            Ok(_) => Ok(Value::Str(s)),
            Err(problem) => Err(problem),
        },
        _ => Ok(Value::Str(s)),
    }
}

/// `https://host[:port][/path]`; `http://` only to a loopback host, because a binary fetched
/// over plain http from anywhere else could be swapped in transit (tests serve on 127.0.0.1).
fn update_url(s: &str) -> Result<(), String> {
    let url = url::Url::parse(s.trim())
        .map_err(|e| format!("not a URL ({e}); expected e.g. https://git.example.com"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("expected a base URL without ?query or #fragment".into());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err("plain http is accepted only for loopback addresses; use https://".into())
            }
        }
        _ => Err("expected an https:// URL".into()),
    }
}

/// `owner/name`, both non-empty, nothing else: it becomes two path segments of the API URL.
pub(crate) fn split_repo(s: &str) -> Result<(String, String), String> {
    let bad = || "expected owner/name, e.g. llm-orchestrator/llm-orchestrator".to_string();
    let (owner, name) = s.trim().split_once('/').ok_or_else(bad)?;
    let ok = |p: &str| !p.is_empty() && !p.contains(['/', ' ', '?', '#', '%']);
    if ok(owner) && ok(name) {
        Ok((owner.to_string(), name.to_string()))
    } else {
        Err(bad())
    }
}

fn log_level(s: &str) -> Result<String, String> {
    let t = s.trim();
    let plain = match t.to_ascii_lowercase().as_str() {
        l @ ("trace" | "debug" | "info" | "warn" | "error" | "off") => Some(l.to_string()),
        // Python logging level names, as old .env files spell them.
        "warning" => Some("warn".into()),
        "critical" | "fatal" => Some("error".into()),
        _ => None,
    };
    if let Some(level) = plain {
        return Ok(level);
    }
    // A bare word would parse as a target directive, silently accepting a typo like `inof`.
    if !t.contains(['=', ',', ':', '[']) {
        return Err(
            "expected trace, debug, info, warn, error or off, or a filter like info,llm_orchestrator=debug"
                .into(),
        );
    }
    tracing_subscriber::EnvFilter::try_new(t)
        .map(|_| t.to_string())
        .map_err(|e| format!("not a valid log filter: {e}"))
}

/// How a value appears in reports: secrets as `***`, URL passwords redacted.
pub(crate) fn render(key: &Key, value: &Value) -> String {
    match value {
        Value::Unset => "(unset)".into(),
        _ if key.secret => "***".into(),
        Value::Str(s) => redact(s),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Duration(d) => format_duration(*d),
        Value::List(items) => serde_json::to_string(items).unwrap_or_default(),
    }
}

/// How a rejected value appears in an error message.
pub(crate) fn render_raw(key: &Key, raw: &Raw) -> String {
    match raw {
        _ if key.secret => "***".into(),
        Raw::Text(t) => format!("{:?}", redact(t)),
        Raw::Int(n) => n.to_string(),
        Raw::Float(f) => f.to_string(),
        Raw::Bool(b) => b.to_string(),
        Raw::Array(items) => {
            let items: Vec<String> = items.iter().map(|i| render_raw(key, i)).collect();
            format!("[{}]", items.join(", "))
        }
        Raw::Other(what) => (*what).into(),
    }
}

/// `1h30m`, `250ms`: the same form `parse_duration` takes, so reports can be pasted back.
pub(crate) fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s"), (milli, "ms")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// Read access to the merged values by key path; a wrong path or kind is a bug in this file,
/// which the defaults-only test catches.
struct Values<'a>(&'a [Resolved]);

impl<'a> Values<'a> {
    fn get(&self, path: &str) -> &'a Resolved {
        let (i, _) = keys::find(path).unwrap_or_else(|| panic!("{path} is not in the registry"));
        &self.0[i]
    }
    fn str(&self, path: &str) -> String {
        match &self.get(path).value {
            Value::Str(s) => s.clone(),
            other => panic!("{path} holds {other:?}, not a string"),
        }
    }
    fn opt_str(&self, path: &str) -> Option<String> {
        match &self.get(path).value {
            Value::Unset => None,
            _ => Some(self.str(path)),
        }
    }
    fn bool(&self, path: &str) -> bool {
        match self.get(path).value {
            Value::Bool(b) => b,
            ref other => panic!("{path} holds {other:?}, not a bool"),
        }
    }
    fn int<T: TryFrom<i64>>(&self, path: &str) -> T {
        match self.get(path).value {
            Value::Int(n) => T::try_from(n)
                .unwrap_or_else(|_| panic!("{path}: the registry range does not fit the field")),
            ref other => panic!("{path} holds {other:?}, not an integer"),
        }
    }
    fn duration(&self, path: &str) -> Duration {
        match self.get(path).value {
            Value::Duration(d) => d,
            ref other => panic!("{path} holds {other:?}, not a duration"),
        }
    }
    fn opt_list(&self, path: &str) -> Option<Vec<String>> {
        match &self.get(path).value {
            Value::Unset => None,
            _ => Some(self.list(path)),
        }
    }
    fn list(&self, path: &str) -> Vec<String> {
        match &self.get(path).value {
            Value::List(l) => l.clone(),
            other => panic!("{path} holds {other:?}, not a list"),
        }
    }
}

/// Builds the typed `Config` from merged values and runs the checks that span several keys.
pub(crate) fn build(resolved: &[Resolved]) -> Result<Config, ConfigError> {
    debug_assert_eq!(resolved.len(), KEYS.len());
    let v = Values(resolved);

    let url = DbUrl::parse(&v.str("database.url")).expect("database.url is checked when parsed");
    if let Some(ty) = v.opt_str("database.type") {
        let ty = Backend::from_type_name(&ty).expect("database.type is normalised when parsed");
        if ty != url.backend() {
            return Err(ConfigError::TypeMismatch {
                ty,
                ty_origin: v.get("database.type").origin.clone(),
                url_backend: url.backend(),
                url_origin: v.get("database.url").origin.clone(),
            });
        }
    }

    Ok(Config {
        app: AppConfig {
            name: v.str("app.name"),
            env: match v.str("app.env").as_str() {
                "production" => AppEnv::Production,
                "testing" => AppEnv::Testing,
                _ => AppEnv::Development,
            },
            debug: v.bool("app.debug"),
        },
        server: ServerConfig {
            host: v.str("server.host"),
            port: v.int("server.port"),
            workers: v.int("server.workers"),
            shutdown_grace: v.duration("server.shutdown_grace"),
            docs: match v.str("server.docs").as_str() {
                "on" => true,
                "off" => false,
                _ => v.str("app.env") != "production",
            },
            cors_origins: v.list("server.cors_origins"),
            trusted_proxies: v
                .opt_list("server.trusted_proxies")
                .into_iter()
                .flatten()
                .filter_map(|p| parse_proxy(&p))
                .collect(),
        },
        database: DatabaseConfig {
            url,
            auto_migrate: v.bool("database.auto_migrate"),
            max_connections: v.int("database.max_connections"),
            connect_timeout: v.duration("database.connect_timeout"),
        },
        backup: BackupConfig {
            dir: PathBuf::from(v.str("backup.dir")),
        },
        update: {
            let (owner, repo) =
                split_repo(&v.str("update.repo")).expect("update.repo is checked when parsed");
            UpdateConfig {
                url: v
                    .opt_str("update.url")
                    .map(|u| u.trim().trim_end_matches('/').to_string()),
                owner,
                repo,
                token: v.opt_str("update.token").map(Secret::new),
            }
        },
        redis: RedisConfig {
            enabled: v.bool("redis.enabled"),
            url: v.str("redis.url"),
            pool_size: v.int("redis.pool_size"),
            timeout: v.duration("redis.timeout"),
            key_prefix: v.str("redis.key_prefix"),
        },
        log: LogConfig {
            level: v.str("log.level"),
            format: match v.str("log.format").as_str() {
                "json" => LogFormat::Json,
                _ => LogFormat::Text,
            },
            file: v.opt_str("log.file").map(PathBuf::from),
            rotation: match v.str("log.rotation").as_str() {
                "never" => LogRotation::Never,
                _ => LogRotation::Daily,
            },
        },
        security: SecurityConfig {
            admin_key: v.opt_str("security.admin_key").map(Secret::new),
            master_key: v.opt_str("security.master_key").map(Secret::new),
            master_key_file: PathBuf::from(v.str("security.master_key_file")),
        },
        request_log: RequestLogConfig {
            enabled: v.bool("request_log.enabled"),
            retention_days: v.int("request_log.retention_days"),
            cleanup_interval: v.duration("request_log.cleanup_interval"),
            queue_capacity: v.int("request_log.queue_capacity"),
            batch_size: v.int("request_log.batch_size"),
            flush_interval: v.duration("request_log.flush_interval"),
        },
        metrics: MetricsConfig {
            enabled: v.bool("metrics.enabled"),
            listen: v.opt_str("metrics.listen").and_then(|s| s.parse().ok()),
        },
        health_check: HealthCheckConfig {
            enabled: v.bool("health_check.enabled"),
            interval: v.duration("health_check.interval"),
            probe: match v.str("health_check.probe").as_str() {
                "completion" => ProbeKind::Completion,
                _ => ProbeKind::Models,
            },
            max_errors: v.int("health_check.max_errors"),
            retry_after: v.duration("health_check.retry_after"),
            timeout: v.duration("health_check.timeout"),
        },
        catalog: CatalogConfig {
            refresh_interval: v.duration("catalog.refresh_interval"),
        },
        gateway: GatewayConfig {
            max_retry_count: v.int("gateway.max_retry_count"),
            api_keys: v
                .opt_list("gateway.api_keys")
                .into_iter()
                .flatten()
                .map(Secret::new)
                .collect(),
            connect_timeout: v.duration("gateway.connect_timeout"),
            first_token_timeout: v.duration("gateway.first_token_timeout"),
            idle_timeout: v.duration("gateway.idle_timeout"),
            request_timeout: v.duration("gateway.request_timeout"),
            total_timeout: v.duration("gateway.total_timeout"),
            stream_keepalive: v.duration("gateway.stream_keepalive"),
            retry_backoff: v.duration("gateway.retry_backoff"),
            max_body_size: v.int::<usize>("gateway.max_body_size") * 1024 * 1024,
        },
    })
}
