//! llm-orchestrator: an LLM API gateway and the operator's tools around it.
//!
//! Crate map (ARCHITECTURE.md has the request flow and the decisions behind it):
//! - [`cli`]: clap definitions and one file per subcommand (`serve`, `migrate`, `health`,
//!   `config`, `backup`, `completions`, `man`); every subcommand loads its settings through
//!   [`config`].
//! - [`accounting`]: request logs (batched writer), hourly rollups, stats, Prometheus metrics.
//! - [`backup`]: portable, checksummed backups of every table; restore into any backend.
//! - [`config`]: the one config loader: defaults < TOML file < `.env` < environment < flags.
//! - [`error`]: the error policy (exit codes for the CLI, `ApiError` for HTTP).
//! - [`telemetry`]: logging (text/JSON, stdout and a daily-rotated file).
//! - [`http`]: the actix-web edge: state, routes, middleware, handlers.
//! - [`catalog`]: providers, keys, models, routes, client keys: types, storage, snapshot.
//! - [`db`]: storage over SQLite / MySQL / PostgreSQL, embedded migrations.
//! - [`cache`]: optional Redis, time-boxed and fail-open.
//! - [`security`]: key hashing and the admin key.
//! - [`status`]: dependency checks shared by `/admin/health` and `health --deep`.
pub mod accounting;
pub mod backup;
pub mod cache;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod gateway;
pub mod http;
pub mod providers;
pub mod security;
pub mod status;
pub mod telemetry;
