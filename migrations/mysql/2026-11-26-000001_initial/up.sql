-- Initial schema, MySQL / MariaDB flavour. Same tables, columns and nullability as the SQLite
-- and PostgreSQL directories (tests/it/db.rs compares them); never edit once released.
--
-- MySQL notes: InnoDB + utf8mb4 with the binary collation, so names compare case-sensitively
-- exactly as in SQLite and PostgreSQL (`GPT-4o` and `gpt-4o` are two models everywhere).
-- DATETIME(6) holds UTC: every session sets time_zone = '+00:00'. TEXT defaults are written as
-- expressions, which needs MySQL >= 8.0.13 or MariaDB >= 10.2. Foreign keys are table
-- constraints because MySQL silently ignores inline `REFERENCES`. DDL is not transactional
-- here: a migration that fails halfway leaves its earlier statements applied.

CREATE TABLE providers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
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
    extra_headers TEXT NOT NULL DEFAULT ('{}'),
    param_overrides TEXT NOT NULL DEFAULT ('{}'),
    stream_include_usage BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_providers_name UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE provider_keys (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    provider_id BIGINT NOT NULL,
    label VARCHAR(255) NOT NULL DEFAULT '',
    key_ciphertext TEXT NOT NULL,
    key_hint VARCHAR(64) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    weight INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT fk_provider_keys_provider FOREIGN KEY (provider_id) REFERENCES providers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_provider_keys_provider ON provider_keys (provider_id);

CREATE TABLE models (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    aliases TEXT NOT NULL DEFAULT ('[]'),
    description TEXT NOT NULL DEFAULT (''),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    present_requested_name BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_models_name UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE routes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    model_id BIGINT NOT NULL,
    provider_id BIGINT NOT NULL,
    upstream_model VARCHAR(255) NOT NULL,
    weight INTEGER NOT NULL DEFAULT 1,
    priority INTEGER NOT NULL DEFAULT 0,
    cap_tools BOOLEAN NOT NULL DEFAULT TRUE,
    cap_vision BOOLEAN NOT NULL DEFAULT FALSE,
    cap_json_schema BOOLEAN NOT NULL DEFAULT FALSE,
    cap_streaming BOOLEAN NOT NULL DEFAULT TRUE,
    param_overrides TEXT NOT NULL DEFAULT ('{}'),
    price_input DOUBLE NOT NULL DEFAULT 0,
    price_output DOUBLE NOT NULL DEFAULT 0,
    price_cached_input DOUBLE NULL,
    max_tokens_default INTEGER NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_routes_model_provider_upstream UNIQUE (model_id, provider_id, upstream_model),
    CONSTRAINT fk_routes_model FOREIGN KEY (model_id) REFERENCES models (id) ON DELETE CASCADE,
    CONSTRAINT fk_routes_provider FOREIGN KEY (provider_id) REFERENCES providers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_routes_provider ON routes (provider_id);

CREATE TABLE client_keys (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    key_hash VARCHAR(64) NOT NULL,
    key_prefix VARCHAR(32) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at DATETIME(6) NULL,
    allowed_models TEXT NOT NULL DEFAULT ('[]'),
    note TEXT NULL,
    last_used_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_client_keys_key_hash UNIQUE (key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- No foreign keys here on purpose: logs keep their history after a provider, route or client
-- key is deleted.
CREATE TABLE request_logs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    request_id VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
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
    attempt_detail TEXT NOT NULL DEFAULT ('[]'),
    status_code INTEGER NOT NULL,
    error_class VARCHAR(64) NULL,
    error_message TEXT NULL,
    latency_ms INTEGER NOT NULL,
    ttft_ms INTEGER NULL,
    prompt_tokens INTEGER NULL,
    completion_tokens INTEGER NULL,
    cached_tokens INTEGER NULL,
    tokens_estimated BOOLEAN NOT NULL DEFAULT FALSE,
    cost DOUBLE NULL,
    stream BOOLEAN NOT NULL DEFAULT FALSE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_request_logs_created ON request_logs (created_at);
CREATE INDEX idx_request_logs_model_created ON request_logs (model, created_at);
CREATE INDEX idx_request_logs_provider_created ON request_logs (provider_id, created_at);
CREATE INDEX idx_request_logs_client_key_created ON request_logs (client_key_id, created_at);
CREATE INDEX idx_request_logs_status_created ON request_logs (status_code, created_at);

-- key_id 0 is the provider as a whole; other values are provider_keys ids (no foreign key,
-- because 0 is not a key).
CREATE TABLE provider_health (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    provider_id BIGINT NOT NULL,
    key_id BIGINT NOT NULL DEFAULT 0,
    state VARCHAR(16) NOT NULL DEFAULT 'healthy',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    consecutive_successes INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    last_status INTEGER NULL,
    last_check_at DATETIME(6) NULL,
    opened_at DATETIME(6) NULL,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_provider_health_provider_key UNIQUE (provider_id, key_id),
    CONSTRAINT fk_provider_health_provider FOREIGN KEY (provider_id) REFERENCES providers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE system_settings (
    name VARCHAR(191) NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
