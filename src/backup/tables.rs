//! One typed row struct per table of `db::schema`, and the list of tables in foreign-key order.
//!
//! Typed on purpose: a backup row is read through diesel's schema (so every column of every
//! table is named here, checked at compile time) and restored through the same struct, which
//! makes the format identical whichever backend wrote it. A table added to the schema must be
//! added here too; `create` refuses to back up a database holding a table this list lacks.
//!
//! Timestamps are written as `YYYY-MM-DDTHH:MM:SS.ffffff` (microseconds, no zone: every
//! backend stores UTC): the finest precision all three backends keep, so a restore into any
//! of them reads back exactly what the file says.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::*;

/// Every table the backup covers, parents before children (restore inserts in this order and
/// deletes in the reverse one).
pub const TABLES: &[&str] = &[
    "providers",
    "provider_keys",
    "models",
    "routes",
    "client_keys",
    "request_logs",
    "provider_health",
    "usage_rollups",
    "system_settings",
];

/// Tables that exist in every migrated database but are not data: diesel's bookkeeping.
pub const NOT_DATA: &[&str] = &["__diesel_schema_migrations"];

mod ts {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format(FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f")
            .map_err(|e| serde::de::Error::custom(format!("bad timestamp {s:?}: {e}")))
    }
}

mod opt_ts {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(&t.format(super::ts::FORMAT)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f")
                .map(Some)
                .map_err(|e| serde::de::Error::custom(format!("bad timestamp {s:?}: {e}"))),
        }
    }
}

/// Rows are read and written whole; unknown fields in a file are an error (a column this
/// binary does not know would otherwise be dropped silently).
macro_rules! row {
    ($name:ident, $table:ident { $($field:ident : $ty:ty $(=> $with:literal)?),+ $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, Deserialize)]
        #[diesel(table_name = $table)]
        // None is NULL, not the column default: a restore writes exactly what was backed up.
        #[diesel(treat_none_as_default_value = false)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[serde(with = $with)])? pub $field: $ty, )+
        }
    };
}

row!(ProviderRow, providers {
    id: i64,
    name: String,
    kind: String,
    base_url: String,
    enabled: bool,
    weight: i32,
    priority: i32,
    connect_timeout_ms: Option<i32>,
    first_token_timeout_ms: Option<i32>,
    idle_timeout_ms: Option<i32>,
    total_timeout_ms: Option<i32>,
    extra_headers: String,
    param_overrides: String,
    stream_include_usage: bool,
    created_at: NaiveDateTime => "ts",
    updated_at: NaiveDateTime => "ts",
});

row!(ProviderKeyRow, provider_keys {
    id: i64,
    provider_id: i64,
    label: String,
    key_ciphertext: String,
    key_hint: String,
    enabled: bool,
    weight: i32,
    created_at: NaiveDateTime => "ts",
    updated_at: NaiveDateTime => "ts",
});

row!(ModelRow, models {
    id: i64,
    name: String,
    aliases: String,
    description: String,
    enabled: bool,
    present_requested_name: bool,
    created_at: NaiveDateTime => "ts",
    updated_at: NaiveDateTime => "ts",
});

row!(RouteRow, routes {
    id: i64,
    model_id: i64,
    provider_id: i64,
    upstream_model: String,
    weight: i32,
    priority: i32,
    cap_tools: bool,
    cap_vision: bool,
    cap_json_schema: bool,
    cap_streaming: bool,
    param_overrides: String,
    price_input: f64,
    price_output: f64,
    price_cached_input: Option<f64>,
    max_tokens_default: Option<i32>,
    enabled: bool,
    created_at: NaiveDateTime => "ts",
    updated_at: NaiveDateTime => "ts",
});

row!(ClientKeyRow, client_keys {
    id: i64,
    name: String,
    key_hash: String,
    key_prefix: String,
    enabled: bool,
    expires_at: Option<NaiveDateTime> => "opt_ts",
    allowed_models: String,
    note: Option<String>,
    last_used_at: Option<NaiveDateTime> => "opt_ts",
    created_at: NaiveDateTime => "ts",
    updated_at: NaiveDateTime => "ts",
});

row!(RequestLogRow, request_logs {
    id: i64,
    request_id: String,
    created_at: NaiveDateTime => "ts",
    client_key_id: Option<i64>,
    client_ip: String,
    protocol: String,
    endpoint: String,
    model: String,
    provider_id: Option<i64>,
    provider_name: Option<String>,
    upstream_model: Option<String>,
    route_id: Option<i64>,
    attempts: i32,
    attempt_detail: String,
    status_code: i32,
    error_class: Option<String>,
    error_message: Option<String>,
    latency_ms: i32,
    ttft_ms: Option<i32>,
    prompt_tokens: Option<i32>,
    completion_tokens: Option<i32>,
    cached_tokens: Option<i32>,
    tokens_estimated: bool,
    cost: Option<f64>,
    stream: bool,
});

row!(ProviderHealthRow, provider_health {
    id: i64,
    provider_id: i64,
    key_id: i64,
    state: String,
    consecutive_failures: i32,
    consecutive_successes: i32,
    last_error: Option<String>,
    last_status: Option<i32>,
    last_check_at: Option<NaiveDateTime> => "opt_ts",
    opened_at: Option<NaiveDateTime> => "opt_ts",
    updated_at: NaiveDateTime => "ts",
});

row!(UsageRollupRow, usage_rollups {
    id: i64,
    hour: NaiveDateTime => "ts",
    model: String,
    provider_id: i64,
    route_id: i64,
    client_key_id: i64,
    requests: i64,
    successes: i64,
    prompt_tokens: i64,
    completion_tokens: i64,
    cached_tokens: i64,
    cost: f64,
    latency_ms_sum: i64,
    latency_hist: String,
    ttft_count: i64,
    ttft_ms_sum: i64,
    ttft_hist: String,
});

row!(SystemSettingRow, system_settings {
    name: String,
    value: String,
    updated_at: NaiveDateTime => "ts",
});

/// Calls `$m!(table, RowType)` for every table in `TABLES` order. Used by export and restore,
/// whose bodies must be expanded per table (and, inside `with_conn!`, per backend).
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_backup_table {
    ($m:ident) => {
        $m!(providers, ProviderRow);
        $m!(provider_keys, ProviderKeyRow);
        $m!(models, ModelRow);
        $m!(routes, RouteRow);
        $m!(client_keys, ClientKeyRow);
        $m!(request_logs, RequestLogRow);
        $m!(provider_health, ProviderHealthRow);
        $m!(usage_rollups, UsageRollupRow);
        $m!(system_settings, SystemSettingRow);
    };
}
