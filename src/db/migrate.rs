//! Embedded, forward-only migrations (one directory per backend) and the lock that keeps two
//! processes from migrating one database at the same time.
//!
//! Owns: which migrations the binary carries, reading what a database has applied, and running
//! the rest. The lock is taken before the pending list is read, so a process that waited for it
//! sees the other's work and applies nothing. Locks: MySQL `GET_LOCK`, PostgreSQL
//! `pg_advisory_lock`, SQLite an exclusive `flock` on `<dbfile>.migrate-lock`. MySQL and
//! PostgreSQL migrate on a dedicated connection (their locks belong to the session); SQLite
//! migrates on a pooled connection, because for `:memory:` that is the only one with the data.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use diesel::backend::Backend as DieselBackend;
use diesel::migration::MigrationSource;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{QueryDsl, QueryableByName, SqliteConnection};
use diesel_async::{AsyncConnection, AsyncMigrationHarness, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{Backend, Db, DbError};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const MYSQL: EmbeddedMigrations = embed_migrations!("migrations/mysql");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a process waits for another one's migration before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(60);
const MYSQL_LOCK_NAME: &str = "llm_orchestrator_migrate";
/// Arbitrary but fixed: the bytes of "llmomigr". Any process of any version uses this key.
const PG_LOCK_KEY: i64 = 0x6c6c_6d6f_6d69_6772;

diesel::table! {
    /// diesel_migrations' bookkeeping table (created by the harness on first run).
    __diesel_schema_migrations (version) {
        version -> Text,
    }
}

/// What `migrate status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Every migration embedded in this binary, oldest first.
    pub migrations: Vec<MigrationInfo>,
    /// Versions applied in the database that this binary does not carry: the database was
    /// migrated by a newer binary.
    pub unknown_applied: Vec<String>,
}

impl MigrationStatus {
    pub fn pending(&self) -> usize {
        self.migrations.iter().filter(|m| !m.applied).count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    /// The directory's timestamp without dashes, e.g. `20261126000001`; what the database records.
    pub version: String,
    /// The rest of the directory name, e.g. `initial`.
    pub name: String,
    pub applied: bool,
}

/// (version, name) of every embedded migration for `backend`, oldest first.
fn embedded(backend: Backend) -> Vec<(String, String)> {
    fn list<DB: DieselBackend>(source: &EmbeddedMigrations) -> Vec<(String, String)>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        let migrations = MigrationSource::<DB>::migrations(source)
            .expect("embedded migrations are checked at compile time");
        let mut out: Vec<(String, String)> = migrations
            .iter()
            .map(|m| {
                let full = m.name().to_string();
                let name = full.split_once('_').map(|(_, n)| n).unwrap_or("");
                (m.name().version().to_string(), name.to_string())
            })
            .collect();
        out.sort();
        out
    }
    match backend {
        Backend::Sqlite => list::<diesel::sqlite::Sqlite>(&SQLITE),
        Backend::Mysql => list::<diesel::mysql::Mysql>(&MYSQL),
        Backend::Postgres => list::<diesel::pg::Pg>(&POSTGRES),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn applied_versions(db: &Db) -> Result<Vec<String>, DbError> {
    // Look before reading: a fresh database has no bookkeeping table, and creating one here
    // would make `status` a write.
    let exists_sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master \
             WHERE type = 'table' AND name = '__diesel_schema_migrations'"
        }
        Backend::Mysql => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '__diesel_schema_migrations'"
        }
    };
    let versions = crate::with_conn!(db, conn => {
        let found: Count = diesel::sql_query(exists_sql).get_result(conn).await?;
        if found.n == 0 {
            Vec::new()
        } else {
            __diesel_schema_migrations::table
                .select(__diesel_schema_migrations::version)
                .load::<String>(conn)
                .await?
        }
    });
    Ok(versions)
}

pub(super) async fn status(db: &Db) -> Result<MigrationStatus, DbError> {
    let applied: BTreeSet<String> = applied_versions(db).await?.into_iter().collect();
    let embedded = embedded(db.backend());
    let known: BTreeSet<&str> = embedded.iter().map(|(v, _)| v.as_str()).collect();
    Ok(MigrationStatus {
        migrations: embedded
            .iter()
            .map(|(version, name)| MigrationInfo {
                version: version.clone(),
                name: name.clone(),
                applied: applied.contains(version),
            })
            .collect(),
        unknown_applied: applied
            .iter()
            .filter(|v| !known.contains(v.as_str()))
            .cloned()
            .collect(),
    })
}

pub(super) async fn run(db: &Db) -> Result<Vec<String>, DbError> {
    let applied = match db {
        Db::Sqlite(pool) => {
            let mut conn = pool
                .get()
                .await
                .map_err(|e| DbError::from_pool(Backend::Sqlite, e))?;
            conn.spawn_blocking(|c| Ok(migrate_sqlite(c)))
                .await
                .map_err(DbError::from)??
        }
        Db::Mysql(pool) => {
            let mut conn = dedicated(pool, Backend::Mysql).await?;
            #[derive(QueryableByName)]
            struct Locked {
                #[diesel(sql_type = Nullable<BigInt>)]
                locked: Option<i64>,
            }
            let got: Locked = diesel::sql_query(format!(
                "SELECT GET_LOCK('{MYSQL_LOCK_NAME}', {}) AS locked",
                LOCK_WAIT.as_secs()
            ))
            .get_result(&mut conn)
            .await
            .map_err(|e| DbError::MigrationLock(format!("GET_LOCK failed: {e}")))?;
            match got.locked {
                Some(1) => {}
                Some(_) => {
                    return Err(DbError::MigrationLock(format!(
                        "another process held the MySQL lock `{MYSQL_LOCK_NAME}` for {}s",
                        LOCK_WAIT.as_secs()
                    )))
                }
                None => {
                    return Err(DbError::MigrationLock(
                        "GET_LOCK returned NULL (the server could not create the lock)".into(),
                    ))
                }
            }
            let (mut conn, result) = run_harness(conn, MYSQL).await?;
            // Closing the session would release the lock too; releasing it explicitly lets a
            // waiting process go on at once.
            if let Err(e) = conn
                .batch_execute(&format!("DO RELEASE_LOCK('{MYSQL_LOCK_NAME}')"))
                .await
            {
                tracing::warn!("releasing the MySQL migration lock failed: {e}");
            }
            result?
        }
        Db::Postgres(pool) => {
            let mut conn = dedicated(pool, Backend::Postgres).await?;
            // lock_timeout also bounds advisory lock waits; it stays set for the migration so
            // DDL blocked by a long-running query fails instead of hanging.
            conn.batch_execute(&format!(
                "SET lock_timeout = '{}s'; SELECT pg_advisory_lock({PG_LOCK_KEY});",
                LOCK_WAIT.as_secs()
            ))
            .await
            .map_err(|e| DbError::MigrationLock(format!("pg_advisory_lock failed: {e}")))?;
            let (mut conn, result) = run_harness(conn, POSTGRES).await?;
            if let Err(e) = conn
                .batch_execute(&format!("SELECT pg_advisory_unlock({PG_LOCK_KEY})"))
                .await
            {
                tracing::warn!("releasing the PostgreSQL migration lock failed: {e}");
            }
            result?
        }
    };
    let status = status(db).await?;
    if !status.unknown_applied.is_empty() {
        tracing::warn!(
            unknown = ?status.unknown_applied,
            "the database has migrations this binary does not know: it was migrated by a newer version"
        );
    }
    Ok(applied)
}

/// A connection outside the pool: the migration lock lives as long as its session.
async fn dedicated<C>(
    pool: &bb8::Pool<diesel_async::pooled_connection::AsyncDieselConnectionManager<C>>,
    backend: Backend,
) -> Result<C, DbError>
where
    C: diesel_async::pooled_connection::PoolableConnection + 'static,
    diesel_async::pooled_connection::AsyncDieselConnectionManager<C>:
        bb8::ManageConnection<Connection = C, Error = diesel_async::pooled_connection::PoolError>,
{
    let timeout = pool.config().connection_timeout;
    match tokio::time::timeout(timeout, pool.dedicated_connection()).await {
        Err(_) => Err(DbError::PoolTimeout { backend }),
        Ok(Err(e)) => Err(DbError::PoolConnect {
            backend,
            message: e.to_string(),
        }),
        Ok(Ok(conn)) => Ok(conn),
    }
}

/// Runs diesel's harness on a blocking thread and hands the connection back so the caller can
/// release its lock. `AsyncMigrationHarness` blocks its thread; on a blocking thread it works
/// with either tokio runtime flavour and never stalls a worker.
async fn run_harness<C>(
    conn: C,
    source: EmbeddedMigrations,
) -> Result<(C, Result<Vec<String>, DbError>), DbError>
where
    C: AsyncConnection + Send + 'static,
    AsyncMigrationHarness<C>: MigrationHarness<C::Backend>,
    EmbeddedMigrations: MigrationSource<C::Backend>,
{
    tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        let result = harness
            .run_pending_migrations(source)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| DbError::Migration(e.to_string()));
        (harness.into_inner(), result)
    })
    .await
    .map_err(|e| DbError::Task(format!("the migration task failed: {e}")))
}

/// SQLite: runs on the connection's blocking thread, so the plain (sync) diesel harness is
/// used directly.
fn migrate_sqlite(conn: &mut SqliteConnection) -> Result<Vec<String>, DbError> {
    #[derive(QueryableByName)]
    struct MainFile {
        #[diesel(sql_type = Text)]
        file: String,
    }
    let main: MainFile = diesel::RunQueryDsl::get_result(
        diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'"),
        conn,
    )?;
    // `:memory:` (empty file name) lives in this one connection: nobody else can migrate it.
    let _lock = if main.file.is_empty() {
        None
    } else {
        Some(lock_file(&format!("{}.migrate-lock", main.file))?)
    };
    let applied = MigrationHarness::run_pending_migrations(conn, SQLITE)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Takes an exclusive advisory lock on `path` (created if missing), waiting up to LOCK_WAIT.
/// The lock is released when the returned file is dropped, or when the process dies. The
/// file itself is left in place: deleting it would let two processes lock different files.
fn lock_file(path: &str) -> Result<std::fs::File, DbError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| DbError::MigrationLock(format!("cannot open {path}: {e}")))?;
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DbError::MigrationLock(format!(
                    "another process held {path} for {}s",
                    LOCK_WAIT.as_secs()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(DbError::MigrationLock(format!("cannot lock {path}: {e}")))
            }
        }
    }
}
