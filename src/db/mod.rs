//! Storage: one `Db` over SQLite, MySQL/MariaDB and PostgreSQL, chosen by the URL alone.
//!
//! Owns the connection pools (`pool`), the embedded migrations and their lock (`migrate`), the
//! diesel schema (`schema`), the error type (`error`) and the `with_conn!` macro that lets a
//! query be written once for all three backends. Queries for one aggregate (providers, keys,
//! logs, ...) go in their own files next to these; nothing here knows about HTTP or the gateway.
//!
//! Writing a query once:
//!
//! ```ignore
//! use diesel::prelude::*;
//! use diesel_async::RunQueryDsl;
//! use llm_orchestrator::db::schema::models;
//!
//! async fn model_names(db: &Db) -> Result<Vec<String>, DbError> {
//!     let names = llm_orchestrator::with_conn!(db, conn => {
//!         models::table.select(models::name).load::<String>(conn).await?
//!     });
//!     Ok(names)
//! }
//! ```

pub mod error;
mod migrate;
mod pool;
pub mod rows;
pub mod schema;
pub mod url;

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub use self::error::DbError;
pub use self::migrate::{MigrationInfo, MigrationStatus};
pub use self::pool::{MysqlPool, PgPool, SqliteConn, SqlitePool};
pub use self::url::{Backend, DbUrl};

/// What `Db::connect` needs; built by the config layer.
#[derive(Debug, Clone)]
pub struct DbSettings {
    pub url: DbUrl,
    /// Pool size (SQLite `:memory:` always uses exactly one connection).
    pub max_connections: u32,
    /// Limit for opening the first connection, and for every later pool checkout.
    pub connect_timeout: Duration,
}

/// A pool of connections to one database. Cheap to clone: clones share the pool.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Mysql(MysqlPool),
    Postgres(PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({})", self.backend())
    }
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend `$db` holds.
///
/// The body is expanded once per backend, so it must be a query diesel can build for all
/// three (`conn` is `&mut SqliteConn`, `&mut AsyncMysqlConnection` or `&mut AsyncPgConnection`);
/// bring `diesel_async::RunQueryDsl` into scope. The macro evaluates to the body's value.
/// Failing to get a connection returns early with `?`, so the enclosing function must return
/// `Result<_, E>` with `E: From<DbError>`; inside the body `?` works the same way.
///
/// ```ignore
/// let n: i64 = with_conn!(db, conn => { providers::table.count().get_result(conn).await? });
/// ```
#[macro_export]
macro_rules! with_conn {
    ($db:expr, $conn:ident => $body:block) => {
        match &$db {
            $crate::db::Db::Sqlite(pool) => {
                let mut pooled = pool
                    .get()
                    .await
                    .map_err(|e| $crate::db::DbError::from_pool($crate::db::Backend::Sqlite, e))?;
                let $conn = &mut *pooled;
                $body
            }
            $crate::db::Db::Mysql(pool) => {
                let mut pooled = pool
                    .get()
                    .await
                    .map_err(|e| $crate::db::DbError::from_pool($crate::db::Backend::Mysql, e))?;
                let $conn = &mut *pooled;
                $body
            }
            $crate::db::Db::Postgres(pool) => {
                let mut pooled = pool.get().await.map_err(|e| {
                    $crate::db::DbError::from_pool($crate::db::Backend::Postgres, e)
                })?;
                let $conn = &mut *pooled;
                $body
            }
        }
    };
}

impl Db {
    /// Opens the pool and proves one connection works before returning.
    ///
    /// SQLite: creates the parent directory and the file. MySQL/PostgreSQL: the first
    /// connection must succeed within `connect_timeout`; errors name the redacted URL.
    pub async fn connect(s: &DbSettings) -> Result<Db, DbError> {
        pool::connect(s).await
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Mysql(_) => Backend::Mysql,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// `SELECT 1` on a pooled connection.
    pub async fn ping(&self) -> Result<(), DbError> {
        use diesel::sql_types::Integer;
        let one = crate::with_conn!(self, conn => {
            diesel::select(1_i32.into_sql::<Integer>())
                .get_result::<i32>(conn)
                .await?
        });
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// Which embedded migrations are applied, and which applied ones this binary does not
    /// know. Read-only: it does not create the migrations table.
    pub async fn migration_status(&self) -> Result<MigrationStatus, DbError> {
        migrate::status(self).await
    }

    /// Applies pending migrations under a cross-process lock and returns the versions
    /// applied by this call (empty when another process got there first).
    pub async fn run_migrations(&self) -> Result<Vec<String>, DbError> {
        migrate::run(self).await
    }

    pub async fn get_setting(&self, name: &str) -> Result<Option<String>, DbError> {
        use schema::system_settings as s;
        let value = crate::with_conn!(self, conn => {
            s::table
                .find(name)
                .select(s::value)
                .first::<String>(conn)
                .await
                .optional()?
        });
        Ok(value)
    }

    /// Stores `value` unless `name` already has one. Returns true when this call inserted it;
    /// of several processes racing, exactly one gets true (the primary key decides).
    pub async fn insert_setting_if_absent(&self, name: &str, value: &str) -> Result<bool, DbError> {
        use schema::system_settings as s;
        let now = chrono::Utc::now().naive_utc();
        let inserted = crate::with_conn!(self, conn => {
            diesel::insert_into(s::table)
                .values((s::name.eq(name), s::value.eq(value), s::updated_at.eq(now)))
                .execute(conn)
                .await
        });
        match inserted.map_err(DbError::from) {
            Ok(_) => Ok(true),
            Err(e) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
