-- Every request log row paid for a (status_code, id) and an (error_class, id) index entry,
-- though only failures are ever looked up by them (a listing of successes pages the table by
-- id and keeps nearly every row). Partial indexes over failures cost a successful request
-- nothing; the store states each index's condition in the queries that use it.
DROP INDEX idx_request_logs_status_id;
DROP INDEX idx_request_logs_error_class_id;
CREATE INDEX idx_request_logs_failed_status_id ON request_logs (status_code, id) WHERE status_code >= 400;
CREATE INDEX idx_request_logs_failed_class_id ON request_logs (error_class, id) WHERE error_class IS NOT NULL;
-- `status=error` (the console's "failures only"): newest failures first without scanning the
-- successes (SQLite scanned the whole table for it: seconds on a million rows).
CREATE INDEX idx_request_logs_failed_id ON request_logs (id) WHERE status_code >= 400 OR error_class IS NOT NULL;
