//! Diesel table definitions for the schema in `migrations/{sqlite,mysql,postgres}/`.
//!
//! Owns the Rust view of the tables, written by hand so that one definition serves all three
//! backends: only portable SQL types are used (`BigInt`, `Integer`, `Text`, `Bool`, `Double`,
//! `Timestamp`; MySQL's DATETIME(6) reads and writes as `Timestamp`). JSON columns are `Text`
//! holding serialized JSON. Row structs and queries live elsewhere (`db::queries`); a test
//! compares every column and its nullability here with what each backend's migration created.

diesel::table! {
    providers (id) {
        id -> BigInt,
        name -> Text,
        /// `openai` | `anthropic` | `gemini` | `azure_openai`
        kind -> Text,
        base_url -> Text,
        enabled -> Bool,
        weight -> Integer,
        priority -> Integer,
        connect_timeout_ms -> Nullable<Integer>,
        first_token_timeout_ms -> Nullable<Integer>,
        idle_timeout_ms -> Nullable<Integer>,
        total_timeout_ms -> Nullable<Integer>,
        /// JSON object of header name -> value.
        extra_headers -> Text,
        /// JSON object merged into upstream request bodies.
        param_overrides -> Text,
        stream_include_usage -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    provider_keys (id) {
        id -> BigInt,
        provider_id -> BigInt,
        label -> Text,
        /// AEAD output, base64.
        key_ciphertext -> Text,
        /// Masked form shown to operators, e.g. `sk-…abcd`.
        key_hint -> Text,
        enabled -> Bool,
        weight -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    models (id) {
        id -> BigInt,
        name -> Text,
        /// JSON array of alternative names.
        aliases -> Text,
        description -> Text,
        enabled -> Bool,
        present_requested_name -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    routes (id) {
        id -> BigInt,
        model_id -> BigInt,
        provider_id -> BigInt,
        upstream_model -> Text,
        weight -> Integer,
        priority -> Integer,
        cap_tools -> Bool,
        cap_vision -> Bool,
        cap_json_schema -> Bool,
        cap_streaming -> Bool,
        /// JSON object merged into upstream request bodies (over the provider's).
        param_overrides -> Text,
        /// Price per million input tokens.
        price_input -> Double,
        /// Price per million output tokens.
        price_output -> Double,
        /// Price per million cached input tokens; NULL means "same as price_input".
        price_cached_input -> Nullable<Double>,
        max_tokens_default -> Nullable<Integer>,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    client_keys (id) {
        id -> BigInt,
        name -> Text,
        /// Hex SHA-256 of the full key.
        key_hash -> Text,
        key_prefix -> Text,
        enabled -> Bool,
        expires_at -> Nullable<Timestamp>,
        /// JSON array of model names; empty means all.
        allowed_models -> Text,
        note -> Nullable<Text>,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// No foreign keys: a log row outlives the provider, route and client key it names.
    request_logs (id) {
        id -> BigInt,
        request_id -> Text,
        created_at -> Timestamp,
        client_key_id -> Nullable<BigInt>,
        client_ip -> Text,
        protocol -> Text,
        endpoint -> Text,
        model -> Text,
        provider_id -> Nullable<BigInt>,
        provider_name -> Nullable<Text>,
        upstream_model -> Nullable<Text>,
        route_id -> Nullable<BigInt>,
        attempts -> Integer,
        /// JSON array, one entry per attempt.
        attempt_detail -> Text,
        status_code -> Integer,
        error_class -> Nullable<Text>,
        error_message -> Nullable<Text>,
        latency_ms -> Integer,
        ttft_ms -> Nullable<Integer>,
        prompt_tokens -> Nullable<Integer>,
        completion_tokens -> Nullable<Integer>,
        cached_tokens -> Nullable<Integer>,
        tokens_estimated -> Bool,
        cost -> Nullable<Double>,
        stream -> Bool,
    }
}

diesel::table! {
    provider_health (id) {
        id -> BigInt,
        provider_id -> BigInt,
        /// 0 = the provider as a whole, otherwise a `provider_keys.id`.
        key_id -> BigInt,
        /// `healthy` | `degraded` | `unhealthy`
        state -> Text,
        consecutive_failures -> Integer,
        consecutive_successes -> Integer,
        last_error -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        last_check_at -> Nullable<Timestamp>,
        opened_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Hourly aggregates of request_logs, kept by the log writer (`accounting`).
    usage_rollups (id) {
        id -> BigInt,
        hour -> Timestamp,
        model -> Text,
        /// 0 = none (the request never reached a provider).
        provider_id -> BigInt,
        route_id -> BigInt,
        client_key_id -> BigInt,
        requests -> BigInt,
        successes -> BigInt,
        prompt_tokens -> BigInt,
        completion_tokens -> BigInt,
        cached_tokens -> BigInt,
        cost -> Double,
        latency_ms_sum -> BigInt,
        /// Comma-separated bucket counts.
        latency_hist -> Text,
        ttft_count -> BigInt,
        ttft_ms_sum -> BigInt,
        ttft_hist -> Text,
    }
}

diesel::table! {
    system_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(provider_keys -> providers (provider_id));
diesel::joinable!(routes -> models (model_id));
diesel::joinable!(routes -> providers (provider_id));
diesel::joinable!(provider_health -> providers (provider_id));

diesel::allow_tables_to_appear_in_same_query!(
    providers,
    provider_keys,
    models,
    routes,
    client_keys,
    request_logs,
    provider_health,
    usage_rollups,
    system_settings,
);
