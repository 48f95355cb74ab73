//! A fresh, empty database per test on each backend, and `backend_tests!` to run one test body
//! on all three.
//!
//! SQLite is always available (a file in a temp dir). MySQL/MariaDB and PostgreSQL are used
//! when `LLMO_TEST_MYSQL_URL` / `LLMO_TEST_POSTGRES_URL` name a server the tests may create
//! databases on; each test gets `llmo_t_<random>` and drops it afterwards (best effort). An
//! unset URL skips that backend with a message, except under `CI`, where it fails: a silently
//! skipped backend would hide real failures. A set but unreachable URL always fails.

use std::path::PathBuf;
use std::time::Duration;

use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection,
};
use llm_orchestrator::db::{Backend, Db, DbSettings, DbUrl};

pub const MYSQL_ENV: &str = "LLMO_TEST_MYSQL_URL";
pub const POSTGRES_ENV: &str = "LLMO_TEST_POSTGRES_URL";

const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// One empty database for one test. Dropping it removes the database.
pub struct TestDb {
    backend: Backend,
    url: String,
    sqlite_path: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
    server: Option<ServerDb>,
}

struct ServerDb {
    admin_url: String,
    name: String,
}

impl TestDb {
    /// A database on `backend`, or `None` when that backend is skipped (see the module docs).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Mysql => TestDb::mysql().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// Every backend this run can use: SQLite, plus the servers whose URLs are set.
    pub async fn all() -> Vec<TestDb> {
        let mut out = vec![TestDb::sqlite()];
        out.extend(TestDb::mysql().await);
        out.extend(TestDb::postgres().await);
        out
    }

    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let path = dir.path().join("data").join("llmo-test.db");
        // Four slashes: an absolute path (SQLAlchemy's convention, which DbUrl follows).
        let url = format!("sqlite:///{}", path.display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            sqlite_path: Some(path),
            _dir: Some(dir),
            server: None,
        }
    }

    pub async fn mysql() -> Option<TestDb> {
        let admin_url = server_url(MYSQL_ENV)?;
        let name = random_name();
        let mut conn = admin_connect::<AsyncMysqlConnection>(MYSQL_ENV, &admin_url).await;
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("{MYSQL_ENV}: CREATE DATABASE {name} failed: {e}"));
        Some(TestDb::server(Backend::Mysql, admin_url, name))
    }

    pub async fn postgres() -> Option<TestDb> {
        let admin_url = server_url(POSTGRES_ENV)?;
        let name = random_name();
        let mut conn = admin_connect::<AsyncPgConnection>(POSTGRES_ENV, &admin_url).await;
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV}: CREATE DATABASE {name} failed: {e}"));
        Some(TestDb::server(Backend::Postgres, admin_url, name))
    }

    fn server(backend: Backend, admin_url: String, name: String) -> TestDb {
        let mut url = url::Url::parse(&admin_url).expect("the admin URL parsed once already");
        url.set_path(&format!("/{name}"));
        TestDb {
            backend,
            url: url.to_string(),
            sqlite_path: None,
            _dir: None,
            server: Some(ServerDb { admin_url, name }),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL, as an operator would put it in DATABASE_URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file (None on the servers).
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        self.sqlite_path.as_deref()
    }

    pub fn settings(&self) -> DbSettings {
        DbSettings {
            url: DbUrl::parse(&self.url).expect("test URLs parse"),
            max_connections: 4,
            connect_timeout: ADMIN_TIMEOUT,
        }
    }

    /// A new pool on this database (each call is a separate pool, like another process).
    pub async fn connect(&self) -> Db {
        Db::connect(&self.settings())
            .await
            .unwrap_or_else(|e| panic!("connect to the {} test database: {e}", self.backend))
    }

    /// A new pool on this database with every migration applied.
    pub async fn migrated(&self) -> Db {
        let db = self.connect().await;
        db.run_migrations()
            .await
            .unwrap_or_else(|e| panic!("migrate the {} test database: {e}", self.backend));
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        let backend = self.backend;
        // Drop cannot await, and the test's runtime may be shutting down: use a thread with its
        // own small runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for DROP DATABASE");
            rt.block_on(async {
                let sql = match backend {
                    Backend::Mysql => format!("DROP DATABASE IF EXISTS {}", server.name),
                    // FORCE: a pool that is still closing must not keep the database alive.
                    _ => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", server.name),
                };
                let result = match backend {
                    Backend::Mysql => {
                        match AsyncMysqlConnection::establish(&server.admin_url).await {
                            Ok(mut c) => c.batch_execute(&sql).await.map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    _ => match AsyncPgConnection::establish(&server.admin_url).await {
                        Ok(mut c) => c.batch_execute(&sql).await.map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    },
                };
                if let Err(e) = result {
                    eprintln!("warning: could not drop test database {}: {e}", server.name);
                }
            })
        })
        .join();
        if dropped.is_err() {
            eprintln!("warning: dropping a {backend} test database panicked");
        }
    }
}

/// The server URL in `env`: unset skips (with a message), except under `CI`, where it fails.
pub fn server_url(env: &str) -> Option<String> {
    match std::env::var(env) {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().to_string()),
        _ if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => {
            panic!("{env} is not set but CI is: refusing to skip this backend in CI")
        }
        _ => {
            eprintln!("skipping: {env} not set");
            None
        }
    }
}

async fn admin_connect<C: AsyncConnection>(env: &str, url: &str) -> C {
    match tokio::time::timeout(ADMIN_TIMEOUT, C::establish(url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!("{env} is set but the server cannot be reached: {e}"),
        Err(_) => panic!(
            "{env} is set but connecting timed out after {}s",
            ADMIN_TIMEOUT.as_secs()
        ),
    }
}

fn random_name() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("llmo_t_{}", &id[..16])
}

/// Declares, for each `async fn NAME(db: TestDb) -> TestResult` in the calling module, a module
/// `NAME` with one test per backend: `NAME::sqlite`, `NAME::mysql`, `NAME::postgres`.
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::util::backends::TestDb;
            use $crate::util::TestResult;
            use llm_orchestrator::db::Backend;

            async fn run(backend: Backend) -> TestResult {
                match TestDb::new(backend).await {
                    Some(db) => super::$name(db).await,
                    None => Ok(()),
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> TestResult {
                run(Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() -> TestResult {
                run(Backend::Mysql).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> TestResult {
                run(Backend::Postgres).await
            }
        }
    )+};
}
pub(crate) use backend_tests;
