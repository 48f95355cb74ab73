//! Storage: one `Db` over SQLite, MySQL/MariaDB and PostgreSQL, chosen by the URL alone.
pub mod url;
