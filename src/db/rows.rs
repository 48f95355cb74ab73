//! Row structs for the catalog tables and `provider_health`: what diesel reads (`*Row`) and writes (`*Write`).
//!
//! Owns the column-by-column shape of each row, nothing more: JSON columns stay `String`,
//! timestamps stay `NaiveDateTime` (UTC), `kind` stays text. Turning rows into the catalog's
//! types (and back), validation and queries belong to `catalog::store`. The `*Write` structs
//! hold every column an insert or a full update sets, except `id` and `created_at` (set once,
//! on insert); `treat_none_as_null` makes an update write NULL for `None` instead of skipping
//! the column, so a write always leaves the row exactly as described.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{client_keys, models, provider_health, provider_keys, providers, routes};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = providers)]
pub struct ProviderRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub enabled: bool,
    pub weight: i32,
    pub priority: i32,
    pub connect_timeout_ms: Option<i32>,
    pub first_token_timeout_ms: Option<i32>,
    pub idle_timeout_ms: Option<i32>,
    pub total_timeout_ms: Option<i32>,
    pub extra_headers: String,
    pub param_overrides: String,
    pub stream_include_usage: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = providers, treat_none_as_null = true)]
pub struct ProviderWrite {
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub enabled: bool,
    pub weight: i32,
    pub priority: i32,
    pub connect_timeout_ms: Option<i32>,
    pub first_token_timeout_ms: Option<i32>,
    pub idle_timeout_ms: Option<i32>,
    pub total_timeout_ms: Option<i32>,
    pub extra_headers: String,
    pub param_overrides: String,
    pub stream_include_usage: bool,
    pub updated_at: NaiveDateTime,
}

/// No `Debug`: the ciphertext is safe to show, but a habit of printing key rows is not.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = provider_keys)]
pub struct ProviderKeyRow {
    pub id: i64,
    pub provider_id: i64,
    pub label: String,
    pub key_ciphertext: String,
    pub key_hint: String,
    pub enabled: bool,
    pub weight: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Everything but the secret, which changes separately (`key_ciphertext` + `key_hint`).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = provider_keys)]
pub struct ProviderKeyWrite {
    pub label: String,
    pub enabled: bool,
    pub weight: i32,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = models)]
pub struct ModelRow {
    pub id: i64,
    pub name: String,
    pub aliases: String,
    pub description: String,
    pub enabled: bool,
    pub present_requested_name: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = models)]
pub struct ModelWrite {
    pub name: String,
    pub aliases: String,
    pub description: String,
    pub enabled: bool,
    pub present_requested_name: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = routes)]
pub struct RouteRow {
    pub id: i64,
    pub model_id: i64,
    pub provider_id: i64,
    pub upstream_model: String,
    pub weight: i32,
    pub priority: i32,
    pub cap_tools: bool,
    pub cap_vision: bool,
    pub cap_json_schema: bool,
    pub cap_streaming: bool,
    pub param_overrides: String,
    pub price_input: f64,
    pub price_output: f64,
    pub price_cached_input: Option<f64>,
    pub max_tokens_default: Option<i32>,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = routes, treat_none_as_null = true)]
pub struct RouteWrite {
    pub model_id: i64,
    pub provider_id: i64,
    pub upstream_model: String,
    pub weight: i32,
    pub priority: i32,
    pub cap_tools: bool,
    pub cap_vision: bool,
    pub cap_json_schema: bool,
    pub cap_streaming: bool,
    pub param_overrides: String,
    pub price_input: f64,
    pub price_output: f64,
    pub price_cached_input: Option<f64>,
    pub max_tokens_default: Option<i32>,
    pub enabled: bool,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = client_keys)]
pub struct ClientKeyRow {
    pub id: i64,
    pub name: String,
    pub key_hash: String,
    pub key_prefix: String,
    pub enabled: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub allowed_models: String,
    pub note: Option<String>,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The settings an operator edits; the hash and prefix change only on create and rotate, and
/// `last_used_at` belongs to the gateway.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = client_keys, treat_none_as_null = true)]
pub struct ClientKeyWrite {
    pub name: String,
    pub enabled: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub allowed_models: String,
    pub note: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// A request log as inserted by the accounting writer (`id` from the database). `None` is
/// written as NULL, not DEFAULT (every nullable column's default is NULL anyway): SQLite has
/// no DEFAULT in a multi-row VALUES list, and diesel batches SQLite inserts only so.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = super::schema::request_logs)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewRequestLog {
    pub request_id: String,
    pub created_at: NaiveDateTime,
    pub client_key_id: Option<i64>,
    pub client_ip: String,
    pub protocol: String,
    pub endpoint: String,
    pub model: String,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
    pub upstream_model: Option<String>,
    pub route_id: Option<i64>,
    pub attempts: i32,
    pub attempt_detail: String,
    pub status_code: i32,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    pub latency_ms: i32,
    pub ttft_ms: Option<i32>,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub cached_tokens: Option<i32>,
    pub tokens_estimated: bool,
    pub cost: Option<f64>,
    pub stream: bool,
}

/// A request log as read back: its id and the columns as written.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::request_logs)]
pub struct RequestLogListRow {
    pub id: i64,
    #[diesel(embed)]
    pub log: NewRequestLog,
}

/// One hourly rollup, read or written whole (the writer merges in memory).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = super::schema::usage_rollups)]
pub struct UsageRollupRow {
    pub hour: NaiveDateTime,
    pub model: String,
    pub provider_id: i64,
    pub route_id: i64,
    pub client_key_id: i64,
    pub requests: i64,
    pub successes: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cached_tokens: i64,
    pub cost: f64,
    pub latency_ms_sum: i64,
    pub latency_hist: String,
    pub ttft_count: i64,
    pub ttft_ms_sum: i64,
    pub ttft_hist: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = provider_health)]
pub struct ProviderHealthRow {
    pub provider_id: i64,
    pub key_id: i64,
    pub state: String,
    pub consecutive_failures: i32,
    pub consecutive_successes: i32,
    pub last_error: Option<String>,
    pub last_status: Option<i32>,
    pub last_check_at: Option<NaiveDateTime>,
    pub opened_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = provider_health, treat_none_as_null = true)]
pub struct ProviderHealthWrite {
    pub provider_id: i64,
    pub key_id: i64,
    pub state: String,
    pub consecutive_failures: i32,
    pub consecutive_successes: i32,
    pub last_error: Option<String>,
    pub last_status: Option<i32>,
    pub last_check_at: Option<NaiveDateTime>,
    pub opened_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}
