//! Logging: the tracing subscriber every subcommand installs.
//!
//! Text or JSON, to stdout and optionally to `log.file`: with `log.rotation = daily` the file
//! name gets a date suffix (`app.log.2026-11-26`) and logrotate is not needed; with `never` it
//! is one file in append mode that packaging/llm-orchestrator.logrotate rotates with
//! copytruncate (the process never reopens it, so a renamed file would keep growing). The level accepts
//! plain levels and `tracing` filter directives. Nothing here knows about HTTP; the access
//! log line is written by `http::middleware`.
//!
//! `serve` logs a line per request at info (the access log), so its console and file writers
//! are buffered (`line_buffer`): a request formats its line and appends it to a shared buffer;
//! a background thread writes the buffer out within 20 ms — one write(2) per batch, no
//! wake-up per line, and a slow terminal or journald never stalls a request until 4 MiB are
//! waiting. Nothing is dropped; the rest is written when the guard drops at exit.

use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogConfig, LogFormat};
use crate::error::AppError;
use line_buffer::{Flusher, LineBuffer};

mod line_buffer;

/// Keeps the background log writers (console of `serve`, log file) alive; dropping it flushes
/// them.
pub struct TelemetryGuard {
    _file: Option<Flusher>,
    _console: Option<Flusher>,
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Where console log lines go: `serve` logs to stdout; the CLI tools log to stderr so their
/// own output (tables, JSON) stays clean on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    Stdout,
    Stderr,
}

/// Installs the global subscriber. Call once, early, after the config is loaded.
pub fn init(cfg: &LogConfig, target: LogTarget) -> Result<TelemetryGuard, AppError> {
    let filter = EnvFilter::builder()
        .parse(&cfg.level)
        .map_err(|e| AppError::Runtime(format!("log.level `{}` is not valid: {e}", cfg.level)))?;

    let mut console_guard = None;
    let console = match target {
        LogTarget::Stdout => {
            let ansi = std::io::stdout().is_terminal();
            let (writer, g) = buffered(std::io::stdout())?;
            console_guard = Some(g);
            format_layer(cfg.format, ansi, writer)
        }
        LogTarget::Stderr => {
            format_layer(cfg.format, std::io::stderr().is_terminal(), std::io::stderr)
        }
    };
    let mut layers: Vec<BoxedLayer> = vec![console];

    let mut guard = None;
    if let Some(file) = &cfg.file {
        let (writer, g) = file_writer(file, cfg.rotation)?;
        layers.push(format_layer(cfg.format, false, writer));
        guard = Some(g);
    }

    tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init()
        .map_err(|e| AppError::Runtime(format!("cannot install the logger: {e}")))?;
    Ok(TelemetryGuard {
        _file: guard,
        _console: console_guard,
    })
}

fn format_layer<W>(format: LogFormat, ansi: bool, writer: W) -> BoxedLayer
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let base = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => base.with_target(true).boxed(),
        LogFormat::Json => base
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .boxed(),
    }
}

fn file_writer(
    file: &Path,
    rotation: crate::config::LogRotation,
) -> Result<(LineBuffer, Flusher), AppError> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = file
        .file_name()
        .ok_or_else(|| AppError::Runtime(format!("log.file `{}` names no file", file.display())))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::io(format!("cannot create log directory {}", dir.display()), e))?;
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(match rotation {
            crate::config::LogRotation::Daily => tracing_appender::rolling::Rotation::DAILY,
            // Append mode (tracing-appender always appends), so copytruncate is safe.
            crate::config::LogRotation::Never => tracing_appender::rolling::Rotation::NEVER,
        })
        .filename_prefix(name.to_string_lossy().into_owned())
        .build(&dir)
        .map_err(|e| AppError::Runtime(format!("cannot open log file {}: {e}", file.display())))?;
    buffered(appender)
}

/// A buffered, non-lossy writer over `w` with its background thread (see `line_buffer`).
fn buffered<W: std::io::Write + Send + 'static>(w: W) -> Result<(LineBuffer, Flusher), AppError> {
    line_buffer::line_buffer(w, "llmo-log-writer")
        .map_err(|e| AppError::io("cannot start the log writer thread", e))
}
