-- Initial schema, SQLite flavour. The MySQL and PostgreSQL directories hold the same tables,
-- columns and nullability (tests/it/db.rs compares them); never edit this file once released,
-- add a new migration instead.
--
-- SQLite notes: ids are `INTEGER PRIMARY KEY` (the rowid alias, 64-bit); `NOT NULL` is spelled
-- out on primary keys because SQLite otherwise lets non-integer keys hold NULL. Timestamps are
-- UTC text written by the application (CURRENT_TIMESTAMP is UTC in SQLite too).

CREATE TABLE providers (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    base_url TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    weight INTEGER NOT NULL DEFAULT 1,
    priority INTEGER NOT NULL DEFAULT 0,
    connect_timeout_ms INTEGER NULL,
    first_token_timeout_ms INTEGER NULL,
    idle_timeout_ms INTEGER NULL,
    total_timeout_ms INTEGER NULL,
    extra_headers TEXT NOT NULL DEFAULT '{}',
    param_overrides TEXT NOT NULL DEFAULT '{}',
    stream_include_usage BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_providers_name UNIQUE (name)
);

CREATE TABLE provider_keys (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    label VARCHAR(255) NOT NULL DEFAULT '',
    key_ciphertext TEXT NOT NULL,
    key_hint VARCHAR(64) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    weight INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_provider_keys_provider ON provider_keys (provider_id);

CREATE TABLE models (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    description TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    present_requested_name BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_models_name UNIQUE (name)
);

CREATE TABLE routes (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    model_id BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    provider_id BIGINT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    upstream_model VARCHAR(255) NOT NULL,
    weight INTEGER NOT NULL DEFAULT 1,
    priority INTEGER NOT NULL DEFAULT 0,
    cap_tools BOOLEAN NOT NULL DEFAULT TRUE,
    cap_vision BOOLEAN NOT NULL DEFAULT FALSE,
    cap_json_schema BOOLEAN NOT NULL DEFAULT FALSE,
    cap_streaming BOOLEAN NOT NULL DEFAULT TRUE,
    param_overrides TEXT NOT NULL DEFAULT '{}',
    price_input REAL NOT NULL DEFAULT 0,
    price_output REAL NOT NULL DEFAULT 0,
    price_cached_input REAL NULL,
    max_tokens_default INTEGER NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_routes_model_provider_upstream UNIQUE (model_id, provider_id, upstream_model)
);
CREATE INDEX idx_routes_provider ON routes (provider_id);

CREATE TABLE client_keys (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL,
    key_hash VARCHAR(64) NOT NULL,
    key_prefix VARCHAR(32) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at TIMESTAMP NULL,
    allowed_models TEXT NOT NULL DEFAULT '[]',
    note TEXT NULL,
    last_used_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_client_keys_key_hash UNIQUE (key_hash)
);

-- No foreign keys here on purpose: logs keep their history after a provider, route or client
-- key is deleted.
CREATE TABLE request_logs (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    request_id VARCHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    client_key_id BIGINT NULL,
    client_ip VARCHAR(64) NOT NULL DEFAULT '',
    protocol VARCHAR(16) NOT NULL,
    endpoint VARCHAR(255) NOT NULL,
    model VARCHAR(255) NOT NULL,
    provider_id BIGINT NULL,
    provider_name VARCHAR(255) NULL,
    upstream_model VARCHAR(255) NULL,
    route_id BIGINT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    attempt_detail TEXT NOT NULL DEFAULT '[]',
    status_code INTEGER NOT NULL,
    error_class VARCHAR(64) NULL,
    error_message TEXT NULL,
    latency_ms INTEGER NOT NULL,
    ttft_ms INTEGER NULL,
    prompt_tokens INTEGER NULL,
    completion_tokens INTEGER NULL,
    cached_tokens INTEGER NULL,
    tokens_estimated BOOLEAN NOT NULL DEFAULT FALSE,
    cost REAL NULL,
    stream BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX idx_request_logs_created ON request_logs (created_at);
CREATE INDEX idx_request_logs_model_created ON request_logs (model, created_at);
CREATE INDEX idx_request_logs_provider_created ON request_logs (provider_id, created_at);
CREATE INDEX idx_request_logs_client_key_created ON request_logs (client_key_id, created_at);
CREATE INDEX idx_request_logs_status_created ON request_logs (status_code, created_at);

-- key_id 0 is the provider as a whole; other values are provider_keys ids (no foreign key,
-- because 0 is not a key).
CREATE TABLE provider_health (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    key_id BIGINT NOT NULL DEFAULT 0,
    state VARCHAR(16) NOT NULL DEFAULT 'healthy',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    consecutive_successes INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    last_status INTEGER NULL,
    last_check_at TIMESTAMP NULL,
    opened_at TIMESTAMP NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_provider_health_provider_key UNIQUE (provider_id, key_id)
);

CREATE TABLE system_settings (
    name VARCHAR(191) NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
