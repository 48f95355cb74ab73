-- On SQLite and PostgreSQL this migration replaces the (status_code, id) and (error_class, id)
-- indexes of request_logs with partial indexes over failures. MariaDB and MySQL have no
-- partial indexes, so here both stay as they are; the migration exists so that every backend
-- has the same schema versions (backups restore across backends by version).
DO 0;
