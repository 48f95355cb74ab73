//! The store's plumbing: one connection type over the three backends, transactions, and the
//! queries that are the same for every catalog table (existence, delete, enable/disable).
//!
//! Owns `Conn` (a borrowed connection of whichever backend, so the store's logic is written
//! once and only each query expands per backend, through `on!`), the `tx!` macro (begin,
//! run, commit or roll back), inserting with the new id back, and the small conversions every
//! resource needs (timestamps, JSON columns, LIKE patterns). Anything that knows what a
//! provider or a model is belongs in the resource files next to this one.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, RunQueryDsl};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StoreError;
use crate::db::{Backend, Db, DbError, SqliteConn};

type Pooled<'a, C> = bb8::PooledConnection<'a, AsyncDieselConnectionManager<C>>;

/// A pooled connection checked out for one store call. It lives on the stack for that call
/// only, so the size difference between the variants costs nothing worth an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum PooledConn<'a> {
    Sqlite(Pooled<'a, SqliteConn>),
    Mysql(Pooled<'a, AsyncMysqlConnection>),
    Postgres(Pooled<'a, AsyncPgConnection>),
}

impl PooledConn<'_> {
    pub(crate) async fn get(db: &Db) -> Result<PooledConn<'_>, DbError> {
        Ok(match db {
            Db::Sqlite(p) => PooledConn::Sqlite(
                p.get()
                    .await
                    .map_err(|e| DbError::from_pool(Backend::Sqlite, e))?,
            ),
            Db::Mysql(p) => PooledConn::Mysql(
                p.get()
                    .await
                    .map_err(|e| DbError::from_pool(Backend::Mysql, e))?,
            ),
            Db::Postgres(p) => PooledConn::Postgres(
                p.get()
                    .await
                    .map_err(|e| DbError::from_pool(Backend::Postgres, e))?,
            ),
        })
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            PooledConn::Sqlite(c) => Conn::Sqlite(c),
            PooledConn::Mysql(c) => Conn::Mysql(c),
            PooledConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A connection of one of the three backends. Store logic takes `&mut Conn` and is written
/// once; each query inside it goes through `on!`, which expands it per backend.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConn),
    Mysql(&'a mut AsyncMysqlConnection),
    Postgres(&'a mut AsyncPgConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside `$conn` (`&mut Conn`).
/// The body is compiled once per backend, so it must be a query all three can build.
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match &mut *$conn {
            $crate::catalog::store::conn::Conn::Sqlite(inner) => {
                let $c = &mut **inner;
                $body
            }
            $crate::catalog::store::conn::Conn::Mysql(inner) => {
                let $c = &mut **inner;
                $body
            }
            $crate::catalog::store::conn::Conn::Postgres(inner) => {
                let $c = &mut **inner;
                $body
            }
        }
    };
}
pub(crate) use on;

/// Runs `$body` (an expression of type `Result<T, E>`, `?` allowed inside) in a transaction
/// on a pooled connection from `$db`: commit on `Ok`, roll back on `Err`. If the caller's
/// future is dropped halfway, the pool discards the connection (it is still in a
/// transaction), which rolls back.
macro_rules! tx {
    ($db:expr, $mode:expr, $c:ident => $body:expr) => {{
        let mut pooled = $crate::catalog::store::conn::PooledConn::get($db).await?;
        let mut conn = pooled.conn();
        conn.begin($mode).await?;
        let result = async {
            let $c = &mut conn;
            $body
        }
        .await;
        conn.finish(result).await
    }};
}
pub(crate) use tx;

/// What a transaction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxMode {
    /// Reads that must agree with each other (a page and its keys, the snapshot, an export).
    Read,
    /// Checks and writes. SQLite takes the write lock at BEGIN, so two writers queue on the
    /// busy timeout instead of one failing when it upgrades its read lock.
    Write,
}

impl Conn<'_> {
    pub(crate) async fn begin(&mut self, mode: TxMode) -> Result<(), DieselError> {
        use diesel_async::AnsiTransactionManager as Ansi;
        match (self, mode) {
            (Conn::Sqlite(c), mode) => {
                let sql = match mode {
                    TxMode::Read => "BEGIN",
                    TxMode::Write => "BEGIN IMMEDIATE",
                };
                c.spawn_blocking(move |inner| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(inner, sql)
                })
                .await
            }
            // One snapshot for the whole read; READ COMMITTED would let a page and its keys
            // come from different moments.
            (Conn::Mysql(c), TxMode::Read) => {
                Ansi::begin_transaction_sql(
                    &mut **c,
                    "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
                )
                .await
            }
            (Conn::Postgres(c), TxMode::Read) => {
                Ansi::begin_transaction_sql(
                    &mut **c,
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                )
                .await
            }
            (Conn::Mysql(c), TxMode::Write) => Ansi::begin_transaction_sql(&mut **c, "BEGIN").await,
            (Conn::Postgres(c), TxMode::Write) => {
                Ansi::begin_transaction_sql(&mut **c, "BEGIN").await
            }
        }
    }

    /// Commits on `Ok`, rolls back on `Err` and returns the original error (a failed
    /// rollback leaves the connection broken, so the pool drops it).
    pub(crate) async fn finish<T, E: From<DieselError>>(
        &mut self,
        result: Result<T, E>,
    ) -> Result<T, E> {
        match result {
            Ok(v) => {
                on!(self, c => commit(c).await)?;
                Ok(v)
            }
            Err(e) => {
                if let Err(rollback) = on!(self, c => rollback(c).await) {
                    tracing::warn!(error = %rollback, "rolling back a catalog transaction failed");
                }
                Err(e)
            }
        }
    }
}

async fn commit<C: AsyncConnection>(c: &mut C) -> Result<(), DieselError> {
    use diesel_async::TransactionManager;
    C::TransactionManager::commit_transaction(c).await
}

async fn rollback<C: AsyncConnection>(c: &mut C) -> Result<(), DieselError> {
    use diesel_async::TransactionManager;
    C::TransactionManager::rollback_transaction(c).await
}

/// `INSERT` and the new row's id: `RETURNING id` where the backend has it; on MySQL
/// `LAST_INSERT_ID()`, which is per connection, so it is this insert's id.
macro_rules! insert_returning_id {
    ($conn:expr, $table:ident, $values:expr) => {
        match &mut *$conn {
            $crate::catalog::store::conn::Conn::Sqlite(c) => {
                diesel::insert_into($table::table)
                    .values($values)
                    .returning($table::id)
                    .get_result::<i64>(&mut **c)
                    .await
            }
            $crate::catalog::store::conn::Conn::Postgres(c) => {
                diesel::insert_into($table::table)
                    .values($values)
                    .returning($table::id)
                    .get_result::<i64>(&mut **c)
                    .await
            }
            $crate::catalog::store::conn::Conn::Mysql(c) => {
                match diesel::insert_into($table::table)
                    .values($values)
                    .execute(&mut **c)
                    .await
                {
                    Ok(_) => {
                        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                            "CAST(LAST_INSERT_ID() AS SIGNED)",
                        ))
                        .get_result::<i64>(&mut **c)
                        .await
                    }
                    Err(e) => Err(e),
                }
            }
        }
    };
}
pub(crate) use insert_returning_id;

/// The catalog tables, for the queries that are the same on each of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Providers,
    ProviderKeys,
    Models,
    Routes,
    ClientKeys,
}

impl Table {
    /// How messages name one row: "provider 7 not found".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Table::Providers => "provider",
            Table::ProviderKeys => "provider key",
            Table::Models => "model",
            Table::Routes => "route",
            Table::ClientKeys => "client key",
        }
    }
}

/// Runs `$body` with `$tb` naming the schema module of `$table`.
macro_rules! with_table {
    ($table:expr, $tb:ident => $body:expr) => {
        match $table {
            Table::Providers => {
                use $crate::db::schema::providers as $tb;
                $body
            }
            Table::ProviderKeys => {
                use $crate::db::schema::provider_keys as $tb;
                $body
            }
            Table::Models => {
                use $crate::db::schema::models as $tb;
                $body
            }
            Table::Routes => {
                use $crate::db::schema::routes as $tb;
                $body
            }
            Table::ClientKeys => {
                use $crate::db::schema::client_keys as $tb;
                $body
            }
        }
    };
}

/// `ids` without repeats, in their first order (batch calls count each row once).
pub(crate) fn distinct(ids: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// Fails with NotFound naming the first id of `ids` that `table` does not hold.
pub(crate) async fn require_ids(
    c: &mut Conn<'_>,
    table: Table,
    ids: &[i64],
) -> Result<(), StoreError> {
    let found: Vec<i64> = with_table!(table, tb => on!(c, c => {
        tb::table
            .filter(tb::id.eq_any(ids))
            .select(tb::id)
            .load::<i64>(c)
            .await?
    }));
    match ids.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(not_found(table, *missing)),
        None => Ok(()),
    }
}

pub(crate) fn not_found(table: Table, id: i64) -> StoreError {
    StoreError::NotFound(format!("{} {id} not found", table.noun()))
}

/// Deletes rows by id (foreign keys cascade to what hangs off them).
pub(crate) async fn delete_ids(
    c: &mut Conn<'_>,
    table: Table,
    ids: &[i64],
) -> Result<(), DieselError> {
    with_table!(table, tb => on!(c, c => {
        diesel::delete(tb::table.filter(tb::id.eq_any(ids))).execute(c).await?
    }));
    Ok(())
}

pub(crate) async fn set_enabled_ids(
    c: &mut Conn<'_>,
    table: Table,
    ids: &[i64],
    enabled: bool,
) -> Result<(), DieselError> {
    let now = now();
    with_table!(table, tb => on!(c, c => {
        diesel::update(tb::table.filter(tb::id.eq_any(ids)))
            .set((tb::enabled.eq(enabled), tb::updated_at.eq(now)))
            .execute(c)
            .await?
    }));
    Ok(())
}

/// The current time as stored: UTC, truncated to microseconds, which is what MySQL's
/// DATETIME(6) and PostgreSQL keep, so a value reads back equal on every backend.
pub(crate) fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub(crate) fn to_db_time(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc().trunc_subsecs(6)
}

pub(crate) fn from_db_time(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("maps and lists of strings and JSON values serialize")
}

/// Parses a JSON column; a value that does not parse means someone edited the row by hand,
/// and the error names the column.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Db(DbError::Query(DieselError::DeserializationError(
            format!("column {column} does not hold the expected JSON: {e}").into(),
        )))
    })
}

/// The escape character for LIKE patterns: not `\`, which MySQL also treats as a string
/// escape.
pub(crate) const LIKE_ESCAPE: char = '!';

/// A case-insensitive "contains" pattern for `lower(column) LIKE pattern ESCAPE '!'`, with the
/// wildcards in `q` taken literally.
pub(crate) fn contains_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for ch in q.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | LIKE_ESCAPE) {
            out.push(LIKE_ESCAPE);
        }
        out.push(ch);
    }
    out.push('%');
    out
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on all three backends for ASCII.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// One page of `$base` (a table or join, not yet boxed) filtered by `$filter`, which gets the
/// boxed query as `$q` and returns it: the total count and the rows, ordered by `$order`.
/// Expands per backend through `on!`.
macro_rules! load_page {
    ($c:expr, $paging:expr, $base:expr, $select:expr, $row:ty, $order:expr, |$q:ident| $filter:expr) => {
        $crate::catalog::store::conn::on!($c, conn => {
            let filtered = || {
                let $q = $base.into_boxed();
                $filter
            };
            let total: i64 = filtered().count().get_result(conn).await?;
            let rows: Vec<$row> = filtered()
                .select($select)
                .order($order)
                .limit($paging.limit)
                .offset($paging.offset)
                .load(conn)
                .await?;
            (total, rows)
        })
    };
}
pub(crate) use load_page;
