//! llm-orchestrator: an LLM API gateway and the operator's tools around it.
//!
//! Crate map (see ARCHITECTURE.md for the request flow and the decisions behind it):
//! - `config`: the layered configuration loader and the key registry.
//! - `db`: storage over SQLite / MySQL / PostgreSQL, embedded migrations.
pub mod config;
pub mod db;
