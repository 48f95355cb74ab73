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
//! are non-blocking: a request formats its line and queues it; one background thread writes
//! whatever is queued through a 64 KiB buffer and flushes when the queue is empty — a burst
//! costs one write(2), not one per line, and a slow terminal or journald never stalls a
//! request. The queue is not lossy: when it is full (8k lines), logging waits.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogConfig, LogFormat};
use crate::error::AppError;

/// Keeps the background log writers (console of `serve`, log file) alive; dropping it flushes
/// them.
pub struct TelemetryGuard {
    _file: Option<WorkerGuard>,
    _console: Option<WorkerGuard>,
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
            let (writer, g) = buffered(std::io::stdout());
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
) -> Result<(tracing_appender::non_blocking::NonBlocking, WorkerGuard), AppError> {
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
    Ok(buffered(appender))
}

/// A non-blocking, non-lossy writer over `w`, written through a buffer that the background
/// thread flushes whenever it has drained the queue.
fn buffered<W: std::io::Write + Send + 'static>(
    w: W,
) -> (tracing_appender::non_blocking::NonBlocking, WorkerGuard) {
    tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        // The queue is allocated (and touched) whole up front: the default 128k lines cost
        // 5 MiB of RSS per writer; 8k lines are a burst of several ms at full load.
        .buffered_lines_limit(8 * 1024)
        .thread_name("llmo-log-writer")
        .finish(std::io::BufWriter::with_capacity(64 * 1024, w))
}
