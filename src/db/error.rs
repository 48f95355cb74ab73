//! `DbError`: everything the storage layer can fail with, as one-line messages.
//!
//! Owns the wording and the rule that no message carries a password: URLs appear only in their
//! redacted form, and driver messages produced while connecting are scrubbed of the password
//! too (a driver may echo the URL it was given). Mapping to HTTP statuses or exit codes belongs
//! to the callers.

use std::path::PathBuf;
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError;

use super::url::Backend;

#[derive(thiserror::Error, Debug)]
pub enum DbError {
    /// The settings cannot work (zero connections, a non-UTF-8 SQLite path, ...).
    #[error("invalid database settings: {0}")]
    Settings(String),

    #[error("cannot create the directory {} for the SQLite database: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The first connection at start-up failed; `url` is redacted.
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },

    /// The first connection at start-up did not complete in time; `url` is redacted.
    #[error("timed out after {} connecting to {url}", fmt_duration(*after))]
    ConnectTimeout { url: String, after: Duration },

    /// No pooled connection became available within the pool's connection timeout (the
    /// database is down or every connection is busy).
    #[error("no {backend} connection available: timed out waiting for the pool")]
    PoolTimeout { backend: Backend },

    /// The pool tried to open or check a connection and the database refused.
    #[error("cannot open a {backend} connection: {message}")]
    PoolConnect { backend: Backend, message: String },

    #[error("database query failed: {0}")]
    Query(#[from] DieselError),

    #[error("cannot take the migration lock: {0}")]
    MigrationLock(String),

    #[error("migration failed: {0}")]
    Migration(String),

    /// A blocking task (SQLite work, the migration harness) panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}

impl DbError {
    /// Maps a bb8 checkout failure. Public because `with_conn!` expands in other modules.
    #[doc(hidden)]
    pub fn from_pool(backend: Backend, e: bb8::RunError<PoolError>) -> DbError {
        match e {
            bb8::RunError::TimedOut => DbError::PoolTimeout { backend },
            bb8::RunError::User(PoolError::ConnectionError(e)) => DbError::PoolConnect {
                backend,
                message: e.to_string(),
            },
            bb8::RunError::User(PoolError::QueryError(e)) => DbError::PoolConnect {
                backend,
                message: format!("connection check failed: {e}"),
            },
        }
    }

    /// True when the database refused a row because a unique key already holds its value.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Removes the password of `raw_url` (as written and percent-decoded) from `message`.
pub(crate) fn scrub_password(message: &str, raw_url: &str) -> String {
    let Ok(parsed) = url::Url::parse(raw_url) else {
        return message.to_string();
    };
    let Some(pw) = parsed.password() else {
        return message.to_string();
    };
    let mut out = message.to_string();
    let decoded = percent_decode(pw);
    for secret in [pw.to_string(), decoded] {
        if !secret.is_empty() {
            out = out.replace(&secret, "***");
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_plain_and_percent_encoded_passwords() {
        let url = "mysql://bob:p%40ss@h:3306/db";
        assert_eq!(
            scrub_password("bad url mysql://bob:p%40ss@h and p@ss", url),
            "bad url mysql://bob:***@h and ***"
        );
        assert_eq!(
            scrub_password("nothing here", "postgres://bob@h/db"),
            "nothing here"
        );
    }

    #[test]
    fn timeouts_print_in_whole_seconds_when_they_can() {
        let e = DbError::ConnectTimeout {
            url: "postgres://u:***@h/d".into(),
            after: Duration::from_secs(5),
        };
        assert_eq!(
            e.to_string(),
            "timed out after 5s connecting to postgres://u:***@h/d"
        );
    }
}
