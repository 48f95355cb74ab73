//! Database URL parsing: which backend a URL names, and the URL in the form our drivers take.
//!
//! Owns the accepted spellings (ours and the SQLAlchemy ones the Python version documented);
//! does not connect to anything. SQLite paths follow SQLAlchemy: `sqlite:///rel.db` is relative
//! to the working directory, `sqlite:////abs.db` is absolute; `sqlite://./x.db` and
//! `sqlite:/abs.db`-free forms like `sqlite://data/x.db` are relative as written.

use std::fmt;
use std::path::PathBuf;

/// The three storage backends, chosen by the URL alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Mysql,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Mysql => "mysql",
            Backend::Postgres => "postgres",
        }
    }

    /// Parses the Python version's `DATABASE_TYPE` values (and our own names).
    pub fn from_type_name(name: &str) -> Option<Backend> {
        match name.trim().to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Some(Backend::Sqlite),
            "mysql" | "mariadb" => Some(Backend::Mysql),
            "postgres" | "postgresql" | "pg" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A file path, or `:memory:`.
    Sqlite { path: PathBuf },
    /// `mysql://user:pass@host:port/db`, normalised for mysql_async.
    Mysql { url: String },
    /// `postgres://user:pass@host:port/db`, normalised for tokio-postgres.
    Postgres { url: String },
}

/// Why a database URL was refused; the message names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DbUrlError(pub String);

impl DbUrl {
    pub fn parse(raw: &str) -> Result<DbUrl, DbUrlError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(DbUrlError("the database URL is empty".into()));
        }
        let Some((scheme, rest)) = raw.split_once(':') else {
            return Err(DbUrlError(format!(
                "`{}` is not a database URL: expected sqlite://PATH, mysql://... or postgres://...",
                redact(raw)
            )));
        };
        // `mysql+aiomysql`, `postgresql+asyncpg`, `sqlite+aiosqlite`: the driver part is ignored.
        let base = scheme
            .split('+')
            .next()
            .unwrap_or(scheme)
            .to_ascii_lowercase();
        match base.as_str() {
            "sqlite" | "sqlite3" => parse_sqlite(rest),
            "mysql" | "mariadb" => {
                let url = server_url("mysql", rest, raw)?;
                Ok(DbUrl::Mysql { url })
            }
            "postgres" | "postgresql" | "pg" => {
                let url = server_url("postgres", rest, raw)?;
                Ok(DbUrl::Postgres { url })
            }
            other => Err(DbUrlError(format!(
                "unsupported database scheme `{other}` in `{}`: use sqlite, mysql or postgres",
                redact(raw)
            ))),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Sqlite { .. } => Backend::Sqlite,
            DbUrl::Mysql { .. } => Backend::Mysql,
            DbUrl::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The URL with any password replaced by `***`, for logs and reports.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite { path } => format!("sqlite://{}", path.display()),
            DbUrl::Mysql { url } | DbUrl::Postgres { url } => redact(url),
        }
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn parse_sqlite(rest: &str) -> Result<DbUrl, DbUrlError> {
    // Drop a query string (`?mode=rwc` and the like); options are ours to set.
    let rest = rest.split('?').next().unwrap_or(rest);
    let path = if let Some(after) = rest.strip_prefix("//") {
        // SQLAlchemy: `sqlite:///x` -> `x` (relative), `sqlite:////x` -> `/x` (absolute).
        after.strip_prefix('/').unwrap_or(after)
    } else {
        rest
    };
    if path.is_empty() {
        return Err(DbUrlError(
            "the SQLite URL names no file: use sqlite://./data/llm_orchestrator.db".into(),
        ));
    }
    Ok(DbUrl::Sqlite {
        path: PathBuf::from(path),
    })
}

/// Rebuilds a server URL with our scheme, keeping user, password, host, port, database, and
/// dropping the query parameters SQLAlchemy URLs carry (`charset=utf8mb4`) that the pure-Rust
/// drivers would refuse.
fn server_url(scheme: &str, rest: &str, raw: &str) -> Result<String, DbUrlError> {
    let Some(after) = rest.strip_prefix("//") else {
        return Err(DbUrlError(format!(
            "`{}` is missing `//` after the scheme: expected {scheme}://user:password@host:port/database",
            redact(raw)
        )));
    };
    let (without_query, query) = match after.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (after, None),
    };
    let hostpart = without_query.rsplit('@').next().unwrap_or(without_query);
    let host = hostpart.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(DbUrlError(format!("`{}` names no host", redact(raw))));
    }
    let mut url = format!("{scheme}://{without_query}");
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|kv| {
                let key = kv.split('=').next().unwrap_or("");
                !matches!(key, "charset" | "" | "driver")
            })
            .collect();
        if !kept.is_empty() {
            url.push('?');
            url.push_str(&kept.join("&"));
        }
    }
    Ok(url)
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    let (userinfo, host) = rest.split_at(at);
    match userinfo.split_once(':') {
        Some((user, _pw)) => format!("{scheme}://{user}:***{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_sqlite_url_is_relative_to_the_working_directory() {
        let u = DbUrl::parse("sqlite+aiosqlite:///./data/llm_orchestrator.db").unwrap();
        assert_eq!(
            u,
            DbUrl::Sqlite {
                path: "./data/llm_orchestrator.db".into()
            }
        );
    }

    #[test]
    fn four_slashes_make_an_absolute_sqlite_path() {
        let u = DbUrl::parse("sqlite:////var/lib/llmo/db.sqlite").unwrap();
        assert_eq!(
            u,
            DbUrl::Sqlite {
                path: "/var/lib/llmo/db.sqlite".into()
            }
        );
        let u = DbUrl::parse("sqlite://./data/x.db?mode=rwc").unwrap();
        assert_eq!(
            u,
            DbUrl::Sqlite {
                path: "./data/x.db".into()
            }
        );
    }

    #[test]
    fn sqlalchemy_server_urls_are_normalised() {
        let u = DbUrl::parse("mysql+aiomysql://u:p@db:3306/app?charset=utf8mb4").unwrap();
        assert_eq!(
            u,
            DbUrl::Mysql {
                url: "mysql://u:p@db:3306/app".into()
            }
        );
        let u = DbUrl::parse("mysql+asyncmy://u@db/app").unwrap();
        assert_eq!(u.backend(), Backend::Mysql);
        let u = DbUrl::parse("postgresql+asyncpg://u:p@h:5432/app").unwrap();
        assert_eq!(
            u,
            DbUrl::Postgres {
                url: "postgres://u:p@h:5432/app".into()
            }
        );
    }

    #[test]
    fn bad_urls_are_refused_without_showing_the_password() {
        let e = DbUrl::parse("oracle://u:secret@h/x").unwrap_err();
        assert!(e.0.contains("oracle"), "{e}");
        assert!(!e.0.contains("secret"), "{e}");
        assert!(DbUrl::parse("mysql:u:secret@h")
            .unwrap_err()
            .0
            .contains("//"));
        assert!(DbUrl::parse("").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn redaction_hides_only_the_password() {
        assert_eq!(
            redact("postgres://bob:pw@h:1/d"),
            "postgres://bob:***@h:1/d"
        );
        assert_eq!(redact("postgres://bob@h/d"), "postgres://bob@h/d");
    }
}
