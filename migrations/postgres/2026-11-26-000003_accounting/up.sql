-- Hourly rollups of request_logs, kept by the log writer so /admin/stats never scans raw
-- logs. One row per hour x model x provider x route x client key (0 = none). Histograms
-- are comma-separated bucket counts (bounds in src/accounting/rollup.rs).
CREATE TABLE usage_rollups (
    id BIGSERIAL NOT NULL PRIMARY KEY,
    hour TIMESTAMP NOT NULL,
    model VARCHAR(255) NOT NULL,
    provider_id BIGINT NOT NULL DEFAULT 0,
    route_id BIGINT NOT NULL DEFAULT 0,
    client_key_id BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    successes BIGINT NOT NULL DEFAULT 0,
    prompt_tokens BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    cached_tokens BIGINT NOT NULL DEFAULT 0,
    cost DOUBLE PRECISION NOT NULL DEFAULT 0,
    latency_ms_sum BIGINT NOT NULL DEFAULT 0,
    latency_hist TEXT NOT NULL DEFAULT '',
    ttft_count BIGINT NOT NULL DEFAULT 0,
    ttft_ms_sum BIGINT NOT NULL DEFAULT 0,
    ttft_hist TEXT NOT NULL DEFAULT '',
    CONSTRAINT uq_usage_rollups_group UNIQUE (hour, model, provider_id, route_id, client_key_id)
);
CREATE INDEX idx_usage_rollups_hour ON usage_rollups (hour);
-- Log listings filter by one column and page newest first by id: (column, id) indexes serve
-- both. They replace the (column, created_at) ones, which no query uses and which every
-- insert would keep paying for.
DROP INDEX idx_request_logs_model_created;
DROP INDEX idx_request_logs_provider_created;
DROP INDEX idx_request_logs_client_key_created;
DROP INDEX idx_request_logs_status_created;
CREATE INDEX idx_request_logs_model_id ON request_logs (model, id);
CREATE INDEX idx_request_logs_provider_id ON request_logs (provider_id, id);
CREATE INDEX idx_request_logs_client_key_id ON request_logs (client_key_id, id);
CREATE INDEX idx_request_logs_status_id ON request_logs (status_code, id);
CREATE INDEX idx_request_logs_error_class_id ON request_logs (error_class, id);
-- The console's per-route status bars read a route's latest outcomes.
CREATE INDEX idx_request_logs_route_id ON request_logs (route_id, id);
