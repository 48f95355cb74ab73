//! Connection pools: how each backend's connections are opened and set up, and `Db::connect`.
//!
//! Owns the per-connection session settings (SQLite PRAGMAs, MySQL sql_mode, PostgreSQL time
//! zone) and the pool sizing rules. All three use bb8 through diesel-async's
//! `AsyncDieselConnectionManager`; SQLite runs its synchronous connection on tokio's blocking
//! threads via `SyncConnectionWrapper`.

use std::path::Path;
use std::time::Duration;

use diesel::{Connection, ConnectionError, ConnectionResult, SqliteConnection};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolError, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection,
};
use futures::future::BoxFuture;

use super::error::scrub_password;
use super::{Backend, Db, DbError, DbSettings, DbUrl};

/// The SQLite connection type used everywhere (sync diesel connection on blocking threads).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;
pub type SqlitePool = diesel_async::pooled_connection::bb8::Pool<SqliteConn>;
pub type MysqlPool = diesel_async::pooled_connection::bb8::Pool<AsyncMysqlConnection>;
pub type PgPool = diesel_async::pooled_connection::bb8::Pool<AsyncPgConnection>;

/// Applied to every SQLite connection. busy_timeout comes first so that the others wait for a
/// writer in another process instead of failing with SQLITE_BUSY. WAL lets readers run beside
/// the single writer; synchronous=NORMAL is the usual durable-enough setting under WAL;
/// foreign_keys is off by default in SQLite and our ON DELETE CASCADE needs it.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON;";

/// diesel-async already sets time_zone '+00:00' and utf8mb4 on every MySQL connection. Strict
/// mode makes MySQL refuse what PostgreSQL refuses (truncation, bad dates) instead of
/// warning, and ONLY_FULL_GROUP_BY keeps GROUP BY queries portable to PostgreSQL.
const MYSQL_SESSION: &str = "SET SESSION sql_mode = \
     'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

/// TIMESTAMP columns hold UTC; with the session in UTC, `now()` and CURRENT_TIMESTAMP agree.
const PG_SESSION: &str = "SET TIME ZONE 'UTC'";

pub(super) async fn connect(s: &DbSettings) -> Result<Db, DbError> {
    if s.max_connections == 0 {
        return Err(DbError::Settings(
            "max_connections must be at least 1".into(),
        ));
    }
    if s.connect_timeout.is_zero() {
        return Err(DbError::Settings(
            "connect_timeout must be longer than zero".into(),
        ));
    }
    match &s.url {
        DbUrl::Sqlite { path } => connect_sqlite(s, path).await,
        DbUrl::Mysql { url } => {
            let mut config = ManagerConfig::<AsyncMysqlConnection>::default();
            config.custom_setup = Box::new(mysql_setup);
            let manager = AsyncDieselConnectionManager::new_with_config(url.as_str(), config);
            let pool = builder(s, Backend::Mysql).build_unchecked(manager);
            first_connection(&pool, &s.url, url, s.connect_timeout).await?;
            Ok(Db::Mysql(pool))
        }
        DbUrl::Postgres { url } => {
            let mut config = ManagerConfig::<AsyncPgConnection>::default();
            config.custom_setup = Box::new(pg_setup);
            let manager = AsyncDieselConnectionManager::new_with_config(url.as_str(), config);
            let pool = builder(s, Backend::Postgres).build_unchecked(manager);
            first_connection(&pool, &s.url, url, s.connect_timeout).await?;
            Ok(Db::Postgres(pool))
        }
    }
}

async fn connect_sqlite(s: &DbSettings, path: &Path) -> Result<Db, DbError> {
    let memory = path.as_os_str() == ":memory:";
    let Some(path_str) = path.to_str() else {
        return Err(DbError::Settings(format!(
            "the SQLite path {} is not valid UTF-8",
            path.display()
        )));
    };
    if !memory {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
    }
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.custom_setup = Box::new(sqlite_setup);
    // A local file does not go stale between uses; skip the SELECT 1 on every checkout.
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::new_with_config(path_str, config);
    let mut b = builder(s, Backend::Sqlite);
    if memory {
        // Every connection to `:memory:` is a separate, empty database, so the pool holds
        // exactly one connection and never retires it. If that connection breaks, the data
        // is gone: `:memory:` is for tests and experiments.
        b = b
            .max_size(1)
            .min_idle(None)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    let pool = b.build_unchecked(manager);
    first_connection(&pool, &s.url, path_str, s.connect_timeout).await?;
    Ok(Db::Sqlite(pool))
}

fn builder<C>(s: &DbSettings, backend: Backend) -> bb8::Builder<AsyncDieselConnectionManager<C>>
where
    C: diesel_async::pooled_connection::PoolableConnection + 'static,
    AsyncDieselConnectionManager<C>: bb8::ManageConnection<Error = PoolError>,
{
    bb8::Pool::builder()
        .max_size(s.max_connections)
        .connection_timeout(s.connect_timeout)
        .error_sink(Box::new(LogErrors { backend }))
}

/// Opens one connection outside the pool's retry loop, so a failure reports the driver's own
/// message instead of bb8's "timed out", then hands the connection to the pool.
async fn first_connection<C>(
    pool: &bb8::Pool<AsyncDieselConnectionManager<C>>,
    url: &DbUrl,
    raw_url: &str,
    timeout: Duration,
) -> Result<(), DbError>
where
    C: diesel_async::pooled_connection::PoolableConnection + 'static,
    AsyncDieselConnectionManager<C>: bb8::ManageConnection<Connection = C, Error = PoolError>,
{
    let conn = match tokio::time::timeout(timeout, pool.dedicated_connection()).await {
        Err(_) => {
            return Err(DbError::ConnectTimeout {
                url: url.redacted(),
                after: timeout,
            })
        }
        Ok(Err(e)) => {
            return Err(DbError::Connect {
                url: url.redacted(),
                message: scrub_password(&e.to_string(), raw_url),
            })
        }
        Ok(Ok(conn)) => conn,
    };
    // Refused only when the pool is already full, which cannot happen to a new pool.
    let _ = pool.add(conn);
    Ok(())
}

/// Process-wide SQLite settings, applied once before the first connection opens (SQLite takes
/// them only before it initializes). Multi-thread mode: a connection is only ever used by one
/// thread at a time (the pool hands it out, diesel-async moves it to a blocking thread), so
/// the serialized mode's per-connection mutex is pure cost. No memory statistics: they take a
/// global mutex on every allocation. Together ~5% of the request-log writer's CPU.
fn sqlite_process_config() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys::{sqlite3_config, SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD};
        // SAFETY: sqlite3_config is documented as not thread-safe and only valid before
        // sqlite3_initialize; `Once` serializes our calls, and when SQLite has already
        // initialized (a connection opened elsewhere) it answers SQLITE_MISUSE and changes
        // nothing, which is harmless: the settings are an optimization.
        unsafe {
            sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
            sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
        }
    });
}

fn sqlite_setup(url: &str) -> BoxFuture<'_, ConnectionResult<SqliteConn>> {
    let url = url.to_owned();
    Box::pin(async move {
        tokio::task::spawn_blocking(move || {
            sqlite_process_config();
            let mut conn = SqliteConnection::establish(&url)?;
            // Switching a new database to WAL needs the database to itself, and SQLite answers
            // "database is locked" at once, without its busy handler, while another process
            // does the same (two processes starting on a fresh file: `migrate` beside
            // `serve`). Retry that for as long as busy_timeout would have waited.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            loop {
                match diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_PRAGMAS)
                {
                    Ok(()) => break,
                    Err(diesel::result::Error::DatabaseError(_, info))
                        if info.message().contains("locked")
                            && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    Err(e) => return Err(ConnectionError::CouldntSetupConfiguration(e)),
                }
            }
            Ok(SyncConnectionWrapper::new(conn))
        })
        .await
        .unwrap_or_else(|e| {
            Err(ConnectionError::BadConnection(format!(
                "the SQLite open task failed: {e}"
            )))
        })
    })
}

fn mysql_setup(url: &str) -> BoxFuture<'_, ConnectionResult<AsyncMysqlConnection>> {
    Box::pin(async move {
        let mut conn = AsyncMysqlConnection::establish(url).await?;
        conn.batch_execute(MYSQL_SESSION)
            .await
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    })
}

fn pg_setup(url: &str) -> BoxFuture<'_, ConnectionResult<AsyncPgConnection>> {
    Box::pin(async move {
        let mut conn = AsyncPgConnection::establish(url).await?;
        conn.batch_execute(PG_SESSION)
            .await
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    })
}

/// bb8 swallows connection errors behind "timed out" when it retries; log them so an operator
/// sees why (driver messages do not contain the password).
#[derive(Debug, Clone, Copy)]
struct LogErrors {
    backend: Backend,
}

impl bb8::ErrorSink<PoolError> for LogErrors {
    fn sink(&self, error: PoolError) {
        tracing::warn!(backend = %self.backend, "database connection failed: {error}");
    }

    fn boxed_clone(&self) -> Box<dyn bb8::ErrorSink<PoolError>> {
        Box::new(*self)
    }
}
