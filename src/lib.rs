//! llm-orchestrator: an LLM API gateway and the operator's tools around it.
//!
//! Crate map (see ARCHITECTURE.md for the request flow and the decisions behind it):
//! - `db`: storage over SQLite / MySQL / PostgreSQL, embedded migrations.
pub mod db;
