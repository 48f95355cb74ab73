//! Storage tests on real databases: migrations (from empty, concurrently, under a held lock),
//! schema parity between the three backends and `schema.rs`, settings, foreign-key cascades,
//! and what connection errors say.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, RunQueryDsl};
use llm_orchestrator::db::schema::*;
use llm_orchestrator::db::{Backend, Db, DbError, DbSettings, DbUrl};
use llm_orchestrator::with_conn;

use crate::util::backends::backend_tests;
use crate::util::{TestDb, TestResult};

backend_tests!(
    migrating_an_empty_database_applies_every_migration_once,
    two_processes_migrating_at_once_apply_each_migration_exactly_once,
    a_migration_waits_while_another_process_holds_the_lock,
    migrations_unknown_to_this_binary_are_reported_not_fatal,
    of_racing_setting_inserts_exactly_one_wins,
    deleting_a_provider_removes_its_keys_routes_and_health,
    every_column_round_trips_through_the_diesel_schema,
);

/// How many migrations the binary embeds (per backend).
const MIGRATIONS: usize = 3;

async fn migrating_an_empty_database_applies_every_migration_once(t: TestDb) -> TestResult {
    let db = t.connect().await;
    let before = db.migration_status().await?;
    assert!(!before.migrations.is_empty());
    assert_eq!(before.pending(), before.migrations.len());
    assert!(before.unknown_applied.is_empty());
    assert_eq!(before.migrations[0].version, "20261126000001");
    assert_eq!(before.migrations[0].name, "initial");

    let applied = db.run_migrations().await?;
    let all: Vec<String> = before
        .migrations
        .iter()
        .map(|m| m.version.clone())
        .collect();
    assert_eq!(applied, all);

    let after = db.migration_status().await?;
    assert_eq!(after.pending(), 0);
    assert!(after.migrations.iter().all(|m| m.applied));
    assert!(
        db.run_migrations().await?.is_empty(),
        "a second run applies nothing"
    );
    db.ping().await?;
    Ok(())
}

#[derive(QueryableByName, Debug, PartialEq)]
struct VersionCount {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn recorded_migrations(db: &Db) -> Result<Vec<VersionCount>, DbError> {
    Ok(with_conn!(db, conn => {
        diesel::sql_query(
            "SELECT version, COUNT(*) AS n FROM __diesel_schema_migrations \
             GROUP BY version ORDER BY version",
        )
        .load::<VersionCount>(conn)
        .await?
    }))
}

async fn two_processes_migrating_at_once_apply_each_migration_exactly_once(
    t: TestDb,
) -> TestResult {
    let a = t.connect().await;
    let b = t.connect().await;
    let embedded = a.migration_status().await?.migrations.len();
    let ha = tokio::spawn({
        let a = a.clone();
        async move { a.run_migrations().await }
    });
    let hb = tokio::spawn({
        let b = b.clone();
        async move { b.run_migrations().await }
    });
    let ra = ha.await??;
    let rb = hb.await??;
    assert_eq!(ra.len() + rb.len(), embedded, "a: {ra:?}, b: {rb:?}");
    assert!(ra.is_empty() || rb.is_empty(), "a: {ra:?}, b: {rb:?}");

    let recorded = recorded_migrations(&a).await?;
    assert_eq!(recorded.len(), embedded);
    assert!(recorded.iter().all(|r| r.n == 1), "{recorded:?}");
    assert_eq!(b.migration_status().await?.pending(), 0);
    Ok(())
}

/// The lock a second process would hold while migrating, taken by hand; dropping it releases it.
#[allow(dead_code)] // the fields are only held, then dropped
enum HeldLock {
    Sqlite(std::fs::File),
    Mysql(AsyncMysqlConnection),
    Postgres(Box<AsyncPgConnection>),
}

const PG_LOCK_KEY: i64 = 0x6c6c_6d6f_6d69_6772;

async fn hold_migration_lock(t: &TestDb) -> HeldLock {
    use diesel_async::SimpleAsyncConnection;
    match t.backend() {
        Backend::Sqlite => {
            let path = format!("{}.migrate-lock", t.sqlite_path().unwrap().display());
            let f = std::fs::File::create(path).unwrap();
            f.lock().unwrap();
            HeldLock::Sqlite(f)
        }
        Backend::Mysql => {
            let mut c = AsyncMysqlConnection::establish(t.url()).await.unwrap();
            c.batch_execute("DO GET_LOCK('llm_orchestrator_migrate', 0)")
                .await
                .unwrap();
            HeldLock::Mysql(c)
        }
        Backend::Postgres => {
            let mut c = AsyncPgConnection::establish(t.url()).await.unwrap();
            c.batch_execute(&format!("SELECT pg_advisory_lock({PG_LOCK_KEY})"))
                .await
                .unwrap();
            HeldLock::Postgres(Box::new(c))
        }
    }
}

async fn a_migration_waits_while_another_process_holds_the_lock(t: TestDb) -> TestResult {
    let db = t.connect().await;
    let held = hold_migration_lock(&t).await;
    let migrating = tokio::spawn({
        let db = db.clone();
        async move { db.run_migrations().await }
    });
    // While the lock is held nothing may be applied; the migration must still be waiting.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !migrating.is_finished(),
        "the migration did not wait for the lock"
    );
    assert_eq!(db.migration_status().await?.pending(), MIGRATIONS);
    drop(held);
    let applied = migrating.await??;
    assert_eq!(applied.len(), MIGRATIONS);
    Ok(())
}

async fn migrations_unknown_to_this_binary_are_reported_not_fatal(t: TestDb) -> TestResult {
    let db = t.migrated().await;
    with_conn!(db, conn => {
        diesel::sql_query(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')",
        )
        .execute(conn)
        .await?;
    });
    let status = db.migration_status().await?;
    assert_eq!(status.unknown_applied, vec!["29991231000000".to_string()]);
    assert_eq!(status.pending(), 0);
    assert!(db.run_migrations().await?.is_empty());
    Ok(())
}

async fn of_racing_setting_inserts_exactly_one_wins(t: TestDb) -> TestResult {
    let a = t.migrated().await;
    let b = t.connect().await;
    assert_eq!(a.get_setting("instance_secret").await?, None);

    let mut tasks = Vec::new();
    for i in 0..8 {
        let db = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let value = format!("value-{i}");
            let won = db
                .insert_setting_if_absent("instance_secret", &value)
                .await?;
            Ok::<_, DbError>((won, value))
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (won, value) = task.await??;
        if won {
            winners.push(value);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(
        b.get_setting("instance_secret").await?.as_deref(),
        Some(winners[0].as_str())
    );
    assert!(
        !a.insert_setting_if_absent("instance_secret", "late")
            .await?
    );
    Ok(())
}

async fn insert_provider(db: &Db, name: &str) -> Result<i64, DbError> {
    let now = chrono::Utc::now().naive_utc();
    Ok(with_conn!(db, conn => {
        diesel::insert_into(providers::table)
            .values((
                providers::name.eq(name),
                providers::kind.eq("openai"),
                providers::base_url.eq("https://api.example.com/v1"),
                providers::created_at.eq(now),
                providers::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        providers::table
            .filter(providers::name.eq(name))
            .select(providers::id)
            .first::<i64>(conn)
            .await?
    }))
}

async fn insert_model(db: &Db, name: &str) -> Result<i64, DbError> {
    let now = chrono::Utc::now().naive_utc();
    Ok(with_conn!(db, conn => {
        diesel::insert_into(models::table)
            .values((
                models::name.eq(name),
                models::created_at.eq(now),
                models::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        models::table
            .filter(models::name.eq(name))
            .select(models::id)
            .first::<i64>(conn)
            .await?
    }))
}

async fn insert_route(db: &Db, model: i64, provider: i64, upstream: &str) -> Result<(), DbError> {
    let now = chrono::Utc::now().naive_utc();
    with_conn!(db, conn => {
        diesel::insert_into(routes::table)
            .values((
                routes::model_id.eq(model),
                routes::provider_id.eq(provider),
                routes::upstream_model.eq(upstream),
                routes::created_at.eq(now),
                routes::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

async fn deleting_a_provider_removes_its_keys_routes_and_health(t: TestDb) -> TestResult {
    let db = t.migrated().await;
    let doomed = insert_provider(&db, "doomed").await?;
    let kept = insert_provider(&db, "kept").await?;
    let model = insert_model(&db, "gpt-4o").await?;
    insert_route(&db, model, doomed, "gpt-4o-2024").await?;
    insert_route(&db, model, kept, "gpt-4o").await?;
    let duplicate = insert_route(&db, model, kept, "gpt-4o").await.unwrap_err();
    assert!(duplicate.is_unique_violation(), "{duplicate}");
    // Names are case-sensitive on every backend (MySQL uses a binary collation).
    insert_model(&db, "GPT-4o").await?;

    let now = chrono::Utc::now().naive_utc();
    with_conn!(db, conn => {
        for provider in [doomed, kept] {
            diesel::insert_into(provider_keys::table)
                .values((
                    provider_keys::provider_id.eq(provider),
                    provider_keys::key_ciphertext.eq("b64"),
                    provider_keys::key_hint.eq("sk-…abcd"),
                    provider_keys::created_at.eq(now),
                    provider_keys::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            diesel::insert_into(provider_health::table)
                .values((
                    provider_health::provider_id.eq(provider),
                    provider_health::key_id.eq(0_i64),
                    provider_health::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
        }
        diesel::delete(providers::table.find(doomed)).execute(conn).await?;
    });

    let (keys, routes, health, models) = with_conn!(db, conn => {
        (
            provider_keys::table.select(provider_keys::provider_id).load::<i64>(conn).await?,
            routes::table.select(routes::provider_id).load::<i64>(conn).await?,
            provider_health::table.select(provider_health::provider_id).load::<i64>(conn).await?,
            models::table.count().get_result::<i64>(conn).await?,
        )
    });
    assert_eq!(keys, vec![kept]);
    assert_eq!(routes, vec![kept]);
    assert_eq!(health, vec![kept]);
    assert_eq!(models, 2, "models do not belong to providers");

    // A key for a provider that does not exist is refused (foreign keys are on, SQLite too).
    let orphan = with_conn!(db, conn => {
        diesel::insert_into(provider_keys::table)
            .values((
                provider_keys::provider_id.eq(doomed),
                provider_keys::key_ciphertext.eq("b64"),
                provider_keys::key_hint.eq("x"),
                provider_keys::created_at.eq(now),
                provider_keys::updated_at.eq(now),
            ))
            .execute(conn)
            .await
    });
    assert!(orphan.is_err(), "an orphan key was accepted");
    Ok(())
}

type RequestLogRow = (
    (
        i64,
        String,
        NaiveDateTime,
        Option<i64>,
        String,
        String,
        String,
        String,
    ),
    (
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<i64>,
        i32,
        String,
        i32,
    ),
    (
        Option<String>,
        Option<String>,
        i32,
        Option<i32>,
        Option<i32>,
        Option<i32>,
    ),
    (Option<i32>, bool, Option<f64>, bool),
);

async fn every_column_round_trips_through_the_diesel_schema(t: TestDb) -> TestResult {
    use request_logs as l;
    let db = t.migrated().await;
    // Microseconds: the finest precision all three backends keep.
    let at = chrono::DateTime::from_timestamp_micros(1_795_000_000_123_456)
        .unwrap()
        .naive_utc();
    let id = insert_provider(&db, "full").await?;
    with_conn!(db, conn => {
        diesel::update(providers::table.find(id))
            .set((
                providers::connect_timeout_ms.eq(Some(1500)),
                providers::extra_headers.eq(r#"{"x-a":"1"}"#),
                providers::stream_include_usage.eq(false),
                providers::updated_at.eq(at),
            ))
            .execute(conn)
            .await?;
        diesel::insert_into(l::table)
            .values((
                (
                    l::request_id.eq("req-1"),
                    l::created_at.eq(at),
                    l::client_key_id.eq(Some(7_i64)),
                    l::client_ip.eq("10.0.0.1"),
                    l::protocol.eq("openai"),
                    l::endpoint.eq("/v1/chat/completions"),
                    l::model.eq("gpt-4o"),
                    l::provider_id.eq(Some(id)),
                    l::provider_name.eq(Some("full")),
                ),
                (
                    l::upstream_model.eq(None::<String>),
                    l::route_id.eq(None::<i64>),
                    l::attempts.eq(2),
                    l::attempt_detail.eq("[]"),
                    l::status_code.eq(200),
                    l::latency_ms.eq(1234),
                    l::ttft_ms.eq(Some(80)),
                    l::prompt_tokens.eq(Some(10)),
                    l::tokens_estimated.eq(true),
                    l::cost.eq(Some(0.00125)),
                    l::stream.eq(true),
                ),
            ))
            .execute(conn)
            .await?;
    });

    let (provider, log) = with_conn!(db, conn => {
        let provider = providers::table
            .find(id)
            .select((
                providers::connect_timeout_ms,
                providers::first_token_timeout_ms,
                providers::extra_headers,
                providers::param_overrides,
                providers::enabled,
                providers::stream_include_usage,
                providers::weight,
                providers::updated_at,
            ))
            .first::<(Option<i32>, Option<i32>, String, String, bool, bool, i32, NaiveDateTime)>(
                conn,
            )
            .await?;
        let log = l::table
            .select((
                (l::id, l::request_id, l::created_at, l::client_key_id, l::client_ip,
                 l::protocol, l::endpoint, l::model),
                (l::provider_id, l::provider_name, l::upstream_model, l::route_id,
                 l::attempts, l::attempt_detail, l::status_code),
                (l::error_class, l::error_message, l::latency_ms, l::ttft_ms,
                 l::prompt_tokens, l::completion_tokens),
                (l::cached_tokens, l::tokens_estimated, l::cost, l::stream),
            ))
            .first::<RequestLogRow>(conn)
            .await?;
        (provider, log)
    });
    assert_eq!(
        provider,
        (
            Some(1500),
            None,
            r#"{"x-a":"1"}"#.to_string(),
            "{}".to_string(),
            true,
            false,
            1,
            at
        )
    );
    assert_eq!(log.0 .1, "req-1");
    assert_eq!(log.0 .2, at);
    assert_eq!(log.0 .3, Some(7));
    assert_eq!(
        log.1,
        (
            Some(id),
            Some("full".into()),
            None,
            None,
            2,
            "[]".into(),
            200
        )
    );
    assert_eq!(log.2, (None, None, 1234, Some(80), Some(10), None));
    assert_eq!(log.3, (None, true, Some(0.00125), true));

    // Defaults filled by the database itself are UTC on every backend.
    let created = with_conn!(db, conn => {
        diesel::insert_into(system_settings::table)
            .values((system_settings::name.eq("t"), system_settings::value.eq("v")))
            .execute(conn)
            .await?;
        system_settings::table
            .find("t")
            .select(system_settings::updated_at)
            .first::<NaiveDateTime>(conn)
            .await?
    });
    let drift = chrono::Utc::now().naive_utc() - created;
    assert!(
        drift.num_seconds().abs() < 120,
        "default timestamp is not UTC: {created}"
    );

    // Whole rows load too (types and nullability match what the migration created).
    with_conn!(db, conn => {
        client_keys::table.select(client_keys::all_columns).load::<(
            i64, String, String, String, bool, Option<NaiveDateTime>, String,
            Option<String>, Option<NaiveDateTime>, NaiveDateTime, NaiveDateTime,
        )>(conn).await?;
        routes::table.select(routes::all_columns).load::<(
            i64, i64, i64, String, i32, i32, bool, bool, bool, bool, String,
            f64, f64, Option<f64>, Option<i32>, bool, NaiveDateTime, NaiveDateTime,
        )>(conn).await?;
    });
    Ok(())
}

// ---- schema parity -------------------------------------------------------------------------

/// Column name -> nullable, per table.
type SchemaMap = BTreeMap<String, BTreeMap<String, bool>>;

trait Nullness {
    const NULLABLE: bool;
}
impl Nullness for diesel::sql_types::is_nullable::IsNullable {
    const NULLABLE: bool = true;
}
impl Nullness for diesel::sql_types::is_nullable::NotNull {
    const NULLABLE: bool = false;
}

trait DescribeColumn {
    fn push(out: &mut BTreeMap<String, bool>);
}
impl<C> DescribeColumn for C
where
    C: diesel::Column,
    <C as Expression>::SqlType: diesel::sql_types::SqlType,
    <<C as Expression>::SqlType as diesel::sql_types::SqlType>::IsNull: Nullness,
{
    fn push(out: &mut BTreeMap<String, bool>) {
        out.insert(
            C::NAME.to_string(),
            <<C as Expression>::SqlType as diesel::sql_types::SqlType>::IsNull::NULLABLE,
        );
    }
}

/// Implemented for the `all_columns` tuple of every table.
trait ColumnList {
    fn describe() -> BTreeMap<String, bool>;
}
macro_rules! column_lists {
    ($first:ident $(, $rest:ident)*) => {
        impl<$first: DescribeColumn, $($rest: DescribeColumn),*> ColumnList for ($first, $($rest,)*) {
            fn describe() -> BTreeMap<String, bool> {
                let mut out = BTreeMap::new();
                $first::push(&mut out);
                $($rest::push(&mut out);)*
                out
            }
        }
        column_lists!($($rest),*);
    };
    () => {};
}
column_lists!(
    C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, C18, C19, C20, C21,
    C22, C23, C24, C25, C26, C27, C28
);

macro_rules! table_columns {
    ($($table:ident),+) => {
        [$((
            stringify!($table).to_string(),
            <<$table::table as diesel::Table>::AllColumns as ColumnList>::describe(),
        )),+]
    };
}

/// What `schema.rs` declares.
fn diesel_schema() -> SchemaMap {
    table_columns!(
        providers,
        provider_keys,
        models,
        routes,
        client_keys,
        request_logs,
        provider_health,
        usage_rollups,
        system_settings
    )
    .into_iter()
    .collect()
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

/// What the database has, from its catalog (diesel's own bookkeeping table left out).
async fn introspect(db: &Db) -> Result<SchemaMap, DbError> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, \
                    CASE WHEN p.\"notnull\" = 1 THEN 'NO' ELSE 'YES' END AS is_nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Mysql => {
            "SELECT table_name AS table_name, column_name AS column_name, \
                    is_nullable AS is_nullable \
             FROM information_schema.columns WHERE table_schema = DATABASE()"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    is_nullable::text AS is_nullable \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
    };
    let rows = with_conn!(db, conn => { diesel::sql_query(sql).load::<ColumnRow>(conn).await? });
    let mut out = SchemaMap::new();
    for r in rows {
        if r.table_name == "__diesel_schema_migrations" {
            continue;
        }
        out.entry(r.table_name)
            .or_default()
            .insert(r.column_name, r.is_nullable == "YES");
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_backend_has_the_tables_columns_and_nullability_of_schema_rs() -> TestResult {
    let expected = diesel_schema();
    assert_eq!(expected.len(), 9);
    for t in TestDb::all().await {
        let db = t.migrated().await;
        let actual = introspect(&db).await?;
        for (table, columns) in &expected {
            assert_eq!(
                actual.get(table),
                Some(columns),
                "{}: table `{table}` differs from schema.rs",
                t.backend()
            );
        }
        let extra: Vec<&String> = actual
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .collect();
        assert!(
            extra.is_empty(),
            "{}: tables missing from schema.rs: {extra:?}",
            t.backend()
        );
    }
    Ok(())
}

// ---- connecting ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_names_the_server_but_not_the_password() {
    for raw in [
        "mysql://llmo:s3cr3t-pw@127.0.0.1:1/llmo",
        "postgres://llmo:s3cr3t-pw@127.0.0.1:1/llmo",
    ] {
        let settings = DbSettings {
            url: DbUrl::parse(raw).unwrap(),
            max_connections: 2,
            connect_timeout: Duration::from_secs(5),
        };
        let msg = Db::connect(&settings).await.unwrap_err().to_string();
        assert!(msg.contains("127.0.0.1:1"), "{msg}");
        assert!(msg.contains("llmo:***@"), "{msg}");
        assert!(!msg.contains("s3cr3t"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_reported_without_echoing_it() {
    let Some(t) = TestDb::mysql().await else {
        return;
    };
    let mut url = url::Url::parse(t.url()).unwrap();
    url.set_username("llmo_nobody").unwrap();
    url.set_password(Some("wr0ng-pw")).unwrap();
    let settings = DbSettings {
        url: DbUrl::parse(url.as_str()).unwrap(),
        max_connections: 1,
        connect_timeout: Duration::from_secs(5),
    };
    let msg = Db::connect(&settings).await.unwrap_err().to_string();
    assert!(
        msg.starts_with("cannot connect to mysql://llmo_nobody:***@"),
        "{msg}"
    );
    assert!(!msg.contains("wr0ng"), "{msg}");
}

#[tokio::test]
async fn an_in_memory_sqlite_database_works_on_a_current_thread_runtime() -> TestResult {
    let settings = DbSettings {
        url: DbUrl::parse("sqlite://:memory:")?,
        max_connections: 8,
        connect_timeout: Duration::from_secs(5),
    };
    let db = Db::connect(&settings).await?;
    assert_eq!(db.run_migrations().await?.len(), MIGRATIONS);
    assert!(db.insert_setting_if_absent("k", "v").await?);
    // Same single connection, so the data and the schema are still there.
    assert_eq!(db.get_setting("k").await?.as_deref(), Some("v"));
    assert_eq!(db.migration_status().await?.pending(), 0);
    Ok(())
}

#[tokio::test]
async fn server_migrations_run_on_a_current_thread_runtime_too() -> TestResult {
    for backend in [Backend::Mysql, Backend::Postgres] {
        let Some(t) = TestDb::new(backend).await else {
            continue;
        };
        let db = t.connect().await;
        assert_eq!(db.run_migrations().await?.len(), MIGRATIONS, "{backend}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_creates_missing_directories_and_enables_wal() -> TestResult {
    let t = TestDb::sqlite();
    let db = t.migrated().await;
    assert!(t.sqlite_path().unwrap().exists());
    let mode = with_conn!(db, conn => {
        #[derive(QueryableByName)]
        struct Mode {
            #[diesel(sql_type = Text)]
            journal_mode: String,
        }
        diesel::sql_query("PRAGMA journal_mode").get_result::<Mode>(conn).await?.journal_mode
    });
    assert_eq!(mode, "wal");
    Ok(())
}

/// The `status=error` and `status=<code>` listings are phrased so that SQLite can use the
/// partial failure indexes (it matches an index's WHERE word for word): without them it scanned
/// every row for "failures only".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_listings_use_the_partial_indexes_on_sqlite() -> TestResult {
    use llm_orchestrator::accounting::store::{FAILED, FAILED_STATUS};
    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text)]
        detail: String,
    }
    let t = TestDb::sqlite();
    let db = t.migrated().await;
    let cases = [
        (format!("({FAILED})"), "idx_request_logs_failed_id"),
        (
            format!("status_code = 502 AND ({FAILED_STATUS})"),
            "idx_request_logs_failed_status_id",
        ),
        (
            "error_class = 'upstream_5xx'".to_string(),
            "idx_request_logs_failed_class_id",
        ),
        // Combined with another filter, that column comes with a unary `+` (the store's
        // `failures_first`): the failure index still drives the plan.
        (
            format!("({FAILED}) AND +model = 'm'"),
            "idx_request_logs_failed_id",
        ),
    ];
    for (cond, index) in cases {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT id FROM request_logs WHERE {cond} ORDER BY id DESC LIMIT 51"
        );
        let plan = with_conn!(db, conn => {
            diesel::sql_query(sql.as_str()).load::<Plan>(conn).await?
        });
        let plan: Vec<String> = plan.into_iter().map(|p| p.detail).collect();
        assert!(
            plan.iter().any(|d| d.contains(index)),
            "{cond}: expected {index} in the plan, got {plan:?}"
        );
    }
    Ok(())
}
