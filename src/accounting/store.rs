//! Request logs and rollups in the database: batched inserts (logs and their rollup
//! increments in one transaction, so stats always agree with the logs), filtered cursor
//! listings, retention deletes in small batches, a route's recent outcomes, rollups by time.
//! Queries are written once for the three backends through the catalog store's `on!`/`tx!`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;

use super::record::RequestRecord;
use super::rollup::{aggregate, Histogram, RollupKey, RollupValues};
use crate::catalog::store::conn::{from_db_time, on, to_db_time, tx, Conn, TxMode};
use crate::catalog::store::StoreError;
use crate::db::rows::{NewRequestLog, RequestLogListRow, UsageRollupRow};
use crate::db::schema::{request_logs, usage_rollups};
use crate::db::Db;

/// Rows of the largest INSERT statement: a power of four (see `chunk_len`); × 24 columns,
/// well under SQLite's variable limit.
const MAX_CHUNK: usize = 256;

fn clamp_i32(v: u64) -> i32 {
    v.min(i32::MAX as u64) as i32
}

/// `s` cut to at most `max` bytes at a character boundary, in place.
fn cut(mut s: String, max: usize) -> String {
    let keep = super::record::prefix(&s, max).len();
    s.truncate(keep);
    s
}

/// The record as a row. It takes the record: its strings move into the row rather than being
/// copied (the writer's per-row work is what request logging costs on 2 busy cores).
fn into_row(r: RequestRecord) -> NewRequestLog {
    NewRequestLog {
        request_id: cut(r.request_id, 64),
        created_at: to_db_time(r.created_at),
        client_key_id: r.client_key_id,
        client_ip: cut(r.client_ip, 64),
        protocol: r.protocol.to_string(),
        endpoint: cut(r.endpoint, 255),
        model: cut(r.model, 255),
        provider_id: r.provider_id,
        provider_name: r.provider_name.map(|s| cut(s, 255)),
        upstream_model: r.upstream_model.map(|s| cut(s, 255)),
        route_id: r.route_id,
        attempts: r.attempts.len() as i32,
        attempt_detail: serde_json::to_string(&r.attempts).unwrap_or_else(|_| "[]".into()),
        status_code: r.status_code as i32,
        error_class: r.error_class.map(|s| cut(s, 64)),
        error_message: r.error_message,
        latency_ms: clamp_i32(r.latency_ms),
        ttft_ms: r.ttft_ms.map(clamp_i32),
        prompt_tokens: r.prompt_tokens.map(clamp_i32),
        completion_tokens: r.completion_tokens.map(clamp_i32),
        cached_tokens: r.cached_tokens.map(clamp_i32),
        tokens_estimated: r.tokens_estimated,
        cost: r.cost,
        stream: r.stream,
    }
}

fn rollup_row(k: &RollupKey, v: &RollupValues) -> UsageRollupRow {
    let i = |n: u64| n.min(i64::MAX as u64) as i64;
    UsageRollupRow {
        hour: to_db_time(k.hour),
        model: cut(k.model.clone(), 255),
        provider_id: k.provider_id,
        route_id: k.route_id,
        client_key_id: k.client_key_id,
        requests: i(v.requests),
        successes: i(v.successes),
        prompt_tokens: i(v.prompt_tokens),
        completion_tokens: i(v.completion_tokens),
        cached_tokens: i(v.cached_tokens),
        cost: v.cost,
        latency_ms_sum: i(v.latency_ms_sum),
        latency_hist: v.latency.encode(),
        ttft_count: i(v.ttft_count),
        ttft_ms_sum: i(v.ttft_ms_sum),
        ttft_hist: v.ttft.encode(),
    }
}

pub fn rollup_from_row(row: &UsageRollupRow) -> (RollupKey, RollupValues) {
    let u = |n: i64| n.max(0) as u64;
    (
        RollupKey {
            hour: from_db_time(row.hour),
            model: row.model.clone(),
            provider_id: row.provider_id,
            route_id: row.route_id,
            client_key_id: row.client_key_id,
        },
        RollupValues {
            requests: u(row.requests),
            successes: u(row.successes),
            prompt_tokens: u(row.prompt_tokens),
            completion_tokens: u(row.completion_tokens),
            cached_tokens: u(row.cached_tokens),
            cost: row.cost,
            latency_ms_sum: u(row.latency_ms_sum),
            latency: Histogram::decode(&row.latency_hist),
            ttft_count: u(row.ttft_count),
            ttft_ms_sum: u(row.ttft_ms_sum),
            ttft: Histogram::decode(&row.ttft_hist),
        },
    )
}

/// The existing rollup row of a group, locked for the rest of the transaction where the
/// backend can (SQLite's write transaction already excludes other writers).
async fn rollup_for_update(
    c: &mut Conn<'_>,
    k: &RollupKey,
) -> Result<Option<UsageRollupRow>, diesel::result::Error> {
    use usage_rollups as u;
    let hour = to_db_time(k.hour);
    macro_rules! q {
        () => {
            u::table
                .filter(u::hour.eq(hour))
                .filter(u::model.eq(&k.model))
                .filter(u::provider_id.eq(k.provider_id))
                .filter(u::route_id.eq(k.route_id))
                .filter(u::client_key_id.eq(k.client_key_id))
                .select(UsageRollupRow::as_select())
        };
    }
    match c {
        Conn::Sqlite(c) => q!().first(&mut **c).await.optional(),
        Conn::Mysql(c) => q!().for_update().first(&mut **c).await.optional(),
        Conn::Postgres(c) => q!().for_update().first(&mut **c).await.optional(),
    }
}

/// Rows in the next INSERT: a power of four up to `MAX_CHUNK` (256, 64, 16, 4, 1), so a batch
/// of any size is written with at most five distinct statements, each prepared once per
/// connection. diesel caches a prepared batch INSERT only when its row count is part of its
/// type (an array, see `insert_chunk!`): a slice makes a new 24-column × N-row statement to
/// parse — and on PostgreSQL and MariaDB to plan on the server — for every chunk (measured on
/// SQLite: a tenth of the writer's CPU went to the parser).
fn chunk_len(remaining: usize) -> usize {
    let n = remaining.min(MAX_CHUNK);
    let pow2 = usize::BITS - 1 - n.leading_zeros();
    1 << (pow2 & !1)
}

/// `rows` in `chunk_len` pieces.
fn chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let (chunk, rest) = rows.split_at(chunk_len(rows.len()));
        rows = rest;
        Some(chunk)
    })
}

/// Runs `$insert` with `$rows` bound to the chunk as a `&[NewRequestLog; N]` of its size (one
/// of `chunk_len`'s), so the statement has a static query id and is cached.
macro_rules! insert_chunk {
    ($chunk:expr, $rows:ident => $insert:expr) => {
        insert_chunk!(@sizes $chunk, $rows => $insert; 256, 64, 16, 4, 1)
    };
    (@sizes $chunk:expr, $rows:ident => $insert:expr; $($n:literal),+) => {{
        let chunk: &[NewRequestLog] = $chunk;
        match chunk.len() {
            $($n => {
                let $rows: &[NewRequestLog; $n] = chunk.try_into().expect("length checked");
                $insert
            })+
            n => unreachable!("chunk_len makes chunks of 256, 64, 16, 4 or 1 rows, not {n}"),
        }
    }};
}

/// Multi-row INSERTs (see `chunk_len`; on SQLite in one hop to the connection's blocking
/// thread), and on PostgreSQL one INSERT from arrays (`insert_logs_pg`).
async fn insert_logs(
    c: &mut Conn<'_>,
    logs: &Arc<Vec<NewRequestLog>>,
) -> Result<(), diesel::result::Error> {
    match c {
        Conn::Sqlite(c) => {
            let rows = Arc::clone(logs);
            c.spawn_blocking(move |conn| {
                for chunk in chunks(&rows) {
                    insert_chunk!(chunk, rows => diesel::RunQueryDsl::execute(
                        diesel::insert_into(request_logs::table).values(rows),
                        conn,
                    )?);
                }
                Ok(())
            })
            .await?;
        }
        Conn::Mysql(c) => {
            for chunk in chunks(logs) {
                insert_chunk!(chunk, rows => diesel::insert_into(request_logs::table)
                    .values(rows)
                    .execute(&mut **c)
                    .await?);
            }
        }
        Conn::Postgres(c) => insert_logs_pg(c, logs).await?,
    }
    Ok(())
}

/// PostgreSQL: the batch in one `INSERT … SELECT FROM unnest(…)` with one array parameter per
/// column. A multi-row VALUES list makes the server set up an expression for each of its
/// 24 × N parameters on every execution (a profile of the backend showed a fifth of its CPU
/// there and in parsing); 24 arrays cost it the same whatever the batch size.
async fn insert_logs_pg(
    c: &mut diesel_async::AsyncPgConnection,
    logs: &[NewRequestLog],
) -> Result<(), diesel::result::Error> {
    use diesel::sql_types::{Array, BigInt, Bool, Double, Integer, Nullable, Text, Timestamp};
    type Opt<T> = Array<Nullable<T>>;
    fn col<'a, T>(logs: &'a [NewRequestLog], f: impl Fn(&'a NewRequestLog) -> T) -> Vec<T> {
        logs.iter().map(f).collect()
    }
    diesel::sql_query(
        "INSERT INTO request_logs (request_id, created_at, client_key_id, client_ip, protocol, \
         endpoint, model, provider_id, provider_name, upstream_model, route_id, attempts, \
         attempt_detail, status_code, error_class, error_message, latency_ms, ttft_ms, \
         prompt_tokens, completion_tokens, cached_tokens, tokens_estimated, cost, stream) \
         SELECT * FROM unnest($1::text[], $2::timestamp[], $3::bigint[], $4::text[], \
         $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], \
         $11::bigint[], $12::int[], $13::text[], $14::int[], $15::text[], $16::text[], \
         $17::int[], $18::int[], $19::int[], $20::int[], $21::int[], $22::bool[], \
         $23::float8[], $24::bool[])",
    )
    .bind::<Array<Text>, _>(col(logs, |r| r.request_id.as_str()))
    .bind::<Array<Timestamp>, _>(col(logs, |r| r.created_at))
    .bind::<Opt<BigInt>, _>(col(logs, |r| r.client_key_id))
    .bind::<Array<Text>, _>(col(logs, |r| r.client_ip.as_str()))
    .bind::<Array<Text>, _>(col(logs, |r| r.protocol.as_str()))
    .bind::<Array<Text>, _>(col(logs, |r| r.endpoint.as_str()))
    .bind::<Array<Text>, _>(col(logs, |r| r.model.as_str()))
    .bind::<Opt<BigInt>, _>(col(logs, |r| r.provider_id))
    .bind::<Opt<Text>, _>(col(logs, |r| r.provider_name.as_deref()))
    .bind::<Opt<Text>, _>(col(logs, |r| r.upstream_model.as_deref()))
    .bind::<Opt<BigInt>, _>(col(logs, |r| r.route_id))
    .bind::<Array<Integer>, _>(col(logs, |r| r.attempts))
    .bind::<Array<Text>, _>(col(logs, |r| r.attempt_detail.as_str()))
    .bind::<Array<Integer>, _>(col(logs, |r| r.status_code))
    .bind::<Opt<Text>, _>(col(logs, |r| r.error_class.as_deref()))
    .bind::<Opt<Text>, _>(col(logs, |r| r.error_message.as_deref()))
    .bind::<Array<Integer>, _>(col(logs, |r| r.latency_ms))
    .bind::<Opt<Integer>, _>(col(logs, |r| r.ttft_ms))
    .bind::<Opt<Integer>, _>(col(logs, |r| r.prompt_tokens))
    .bind::<Opt<Integer>, _>(col(logs, |r| r.completion_tokens))
    .bind::<Opt<Integer>, _>(col(logs, |r| r.cached_tokens))
    .bind::<Array<Bool>, _>(col(logs, |r| r.tokens_estimated))
    .bind::<Opt<Double>, _>(col(logs, |r| r.cost))
    .bind::<Array<Bool>, _>(col(logs, |r| r.stream))
    .execute(c)
    .await?;
    Ok(())
}

/// Records made ready to write once (rows and rollup increments), however often the write is
/// tried.
pub struct Batch {
    logs: Arc<Vec<NewRequestLog>>,
    groups: HashMap<RollupKey, RollupValues>,
}

impl Batch {
    pub fn new(records: Vec<RequestRecord>) -> Batch {
        let groups = aggregate(&records);
        let logs = Arc::new(records.into_iter().map(into_row).collect());
        Batch { logs, groups }
    }

    pub fn len(&self) -> usize {
        self.logs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }
}

/// Inserts a batch of records and adds them to their rollups, in one transaction. Retried
/// twice on failure (a deadlock or a duplicate rollup row created by another instance).
pub async fn write_batch(db: &Db, batch: &Batch) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let Batch { logs, groups } = batch;
    let mut tries = 0;
    loop {
        tries += 1;
        let result = tx!(db, TxMode::Write, c => {
            insert_logs(c, logs).await?;
            for (key, inc) in groups {
                match rollup_for_update(c, key).await? {
                    Some(row) => {
                        let (_, mut total) = rollup_from_row(&row);
                        total.add(inc);
                        let merged = rollup_row(key, &total);
                        use usage_rollups as u;
                        let hour = merged.hour;
                        on!(c, c => {
                            diesel::update(
                                u::table
                                    .filter(u::hour.eq(hour))
                                    .filter(u::model.eq(&merged.model))
                                    .filter(u::provider_id.eq(merged.provider_id))
                                    .filter(u::route_id.eq(merged.route_id))
                                    .filter(u::client_key_id.eq(merged.client_key_id)),
                            )
                            .set(&merged)
                            .execute(c)
                            .await?
                        });
                    }
                    None => {
                        let row = rollup_row(key, inc);
                        on!(c, c => {
                            diesel::insert_into(usage_rollups::table)
                                .values(&row)
                                .execute(c)
                                .await?
                        });
                    }
                }
            }
            Ok::<_, StoreError>(())
        });
        match result {
            Ok(()) => return Ok(()),
            Err(e) if tries < 3 => {
                tracing::debug!(error = %e, "request log batch failed; retrying");
            }
            Err(e) => return Err(e),
        }
    }
}

/// The condition of the partial index over failed requests (`idx_request_logs_failed_id`,
/// migration 000004 on SQLite and PostgreSQL), word for word: `status=error` listings filter
/// with it so that SQLite pages the failures alone instead of scanning every success. Put it
/// in parentheses in a query: it is an OR, and diesel joins filters with a bare AND.
pub const FAILED: &str = "status_code >= 400 OR error_class IS NOT NULL";
/// The condition of `idx_request_logs_failed_status_id`, added to `status=<code ≥ 400>`.
pub const FAILED_STATUS: &str = "status_code >= 400";

/// `status` filter of a log listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFilter {
    Code(i32),
    /// Answered in full.
    Success,
    /// An error status or a broken stream.
    Error,
}

#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub model: Option<String>,
    pub provider_id: Option<i64>,
    pub route_id: Option<i64>,
    pub client_key_id: Option<i64>,
    pub status: Option<StatusFilter>,
    pub error_class: Option<String>,
    /// Only rows with a smaller id (the previous page's `next_cursor`).
    pub before_id: Option<i64>,
}

/// A page of logs, newest first, and the cursor of the next page (`None` at the end).
pub async fn list_logs(
    db: &Db,
    f: &LogFilter,
    limit: i64,
) -> Result<(Vec<RequestLogListRow>, Option<i64>), StoreError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    use request_logs as l;
    // A listing of failures is best driven by the small failure indexes. SQLite has no
    // statistics for them and would rather walk another matching index — the model's holds
    // nearly every row: 0.5 s on 1.4M rows for `status=error&model=X`. A unary `+` keeps a
    // column's own index out of SQLite's plan (the others plan with statistics).
    let failures_first = matches!(db.backend(), crate::db::Backend::Sqlite)
        && (f.error_class.is_some()
            || matches!(f.status, Some(StatusFilter::Error))
            || matches!(f.status, Some(StatusFilter::Code(code)) if code >= 400));
    let mut pooled = crate::catalog::store::conn::PooledConn::get(db).await?;
    let c = &mut pooled.conn();
    let rows: Vec<RequestLogListRow> = on!(c, c => {
        let mut q = l::table.select(RequestLogListRow::as_select()).into_boxed();
        // `column op value`, or `+column op value` when `failures_first`.
        macro_rules! cmp {
            ($col:expr, $method:ident, $sql:literal, $ty:ty, $v:expr) => {
                q = if failures_first {
                    q.filter(sql::<Bool>(concat!("+", $sql)).bind::<$ty, _>($v))
                } else {
                    q.filter($col.$method($v))
                }
            };
        }
        if let Some(t) = f.since {
            cmp!(l::created_at, ge, "created_at >= ", Timestamp, to_db_time(t));
        }
        if let Some(t) = f.until {
            cmp!(l::created_at, lt, "created_at < ", Timestamp, to_db_time(t));
        }
        if let Some(m) = &f.model {
            cmp!(l::model, eq, "model = ", Text, m.clone());
        }
        if let Some(p) = f.provider_id {
            cmp!(l::provider_id, eq, "provider_id = ", BigInt, p);
        }
        if let Some(r) = f.route_id {
            cmp!(l::route_id, eq, "route_id = ", BigInt, r);
        }
        if let Some(k) = f.client_key_id {
            cmp!(l::client_key_id, eq, "client_key_id = ", BigInt, k);
        }
        // The failure indexes are partial (see `FAILED`): SQLite uses one only when the query
        // states its condition in the same words, literal included (a bound 400 would not
        // match).
        match &f.status {
            Some(StatusFilter::Code(code)) => {
                q = q.filter(l::status_code.eq(*code));
                if *code >= 400 {
                    q = q.filter(sql::<Bool>(&format!("({FAILED_STATUS})")));
                }
            }
            Some(StatusFilter::Success) => {
                q = q.filter(l::status_code.lt(400)).filter(l::error_class.is_null())
            }
            Some(StatusFilter::Error) => {
                q = q.filter(sql::<Bool>(&format!("({FAILED})")))
            }
            None => {}
        }
        if let Some(e) = &f.error_class {
            q = q.filter(l::error_class.eq(e.clone()));
        }
        if let Some(id) = f.before_id {
            q = q.filter(l::id.lt(id));
        }
        q.order(l::id.desc()).limit(limit + 1).load(c).await?
    });
    let mut rows = rows;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok((rows, next))
}

/// Deletes logs older than `before`, `batch` rows per statement (short transactions, no long
/// locks). Returns how many went.
pub async fn delete_logs_before(
    db: &Db,
    before: DateTime<Utc>,
    batch: i64,
) -> Result<u64, StoreError> {
    use request_logs as l;
    let before = to_db_time(before);
    let mut total = 0u64;
    loop {
        let mut pooled = crate::catalog::store::conn::PooledConn::get(db).await?;
        let c = &mut pooled.conn();
        let ids: Vec<i64> = on!(c, c => {
            l::table
                .filter(l::created_at.lt(before))
                .select(l::id)
                .order(l::id.asc())
                .limit(batch)
                .load::<i64>(c)
                .await?
        });
        if ids.is_empty() {
            return Ok(total);
        }
        let n = on!(c, c => {
            diesel::delete(l::table.filter(l::id.eq_any(&ids))).execute(c).await?
        });
        total += n as u64;
        drop(pooled);
        // Let other writers in between batches.
        tokio::task::yield_now().await;
    }
}

/// The last `n` outcomes of a route, newest first: (time, status, error class, latency ms).
pub async fn route_history(
    db: &Db,
    route_id: i64,
    n: i64,
) -> Result<Vec<(DateTime<Utc>, i32, Option<String>, i32)>, StoreError> {
    use request_logs as l;
    let mut pooled = crate::catalog::store::conn::PooledConn::get(db).await?;
    let c = &mut pooled.conn();
    let rows: Vec<(chrono::NaiveDateTime, i32, Option<String>, i32)> = on!(c, c => {
        l::table
            .filter(l::route_id.eq(route_id))
            .order(l::id.desc())
            .limit(n)
            .select((l::created_at, l::status_code, l::error_class, l::latency_ms))
            .load(c)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(t, s, e, ms)| (from_db_time(t), s, e, ms))
        .collect())
}

/// Rollups whose hour lies in `[since, until)`.
pub async fn rollups_between(
    db: &Db,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<(RollupKey, RollupValues)>, StoreError> {
    use usage_rollups as u;
    let (since, until) = (to_db_time(since), to_db_time(until));
    let mut pooled = crate::catalog::store::conn::PooledConn::get(db).await?;
    let c = &mut pooled.conn();
    let rows: Vec<UsageRollupRow> = on!(c, c => {
        u::table
            .filter(u::hour.ge(since))
            .filter(u::hour.lt(until))
            .select(UsageRollupRow::as_select())
            .load(c)
            .await?
    });
    Ok(rows.iter().map(rollup_from_row).collect())
}

/// Names of providers, client keys and routes by id (for the `stats` command, which has no
/// snapshot): routes read as `model -> provider (upstream model)`.
pub async fn id_names(db: &Db) -> Result<IdNames, StoreError> {
    use crate::db::schema::{client_keys as k, models as m, providers as p, routes as r};
    let mut pooled = crate::catalog::store::conn::PooledConn::get(db).await?;
    let c = &mut pooled.conn();
    let providers: Vec<(i64, String)> =
        on!(c, c => p::table.select((p::id, p::name)).load(c).await?);
    let keys: Vec<(i64, String)> = on!(c, c => k::table.select((k::id, k::name)).load(c).await?);
    let models: Vec<(i64, String)> = on!(c, c => m::table.select((m::id, m::name)).load(c).await?);
    let routes: Vec<(i64, i64, i64, String)> = on!(c, c => {
        r::table
            .select((r::id, r::model_id, r::provider_id, r::upstream_model))
            .load(c)
            .await?
    });
    let name = |list: &[(i64, String)], id: i64| {
        list.iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| format!("#{id}"), |(_, n)| n.clone())
    };
    let routes = routes
        .iter()
        .map(|(id, model, provider, upstream)| {
            (
                *id,
                format!(
                    "{} -> {} ({upstream})",
                    name(&models, *model),
                    name(&providers, *provider)
                ),
            )
        })
        .collect();
    Ok(IdNames {
        providers,
        keys,
        routes,
    })
}

#[derive(Debug, Default)]
pub struct IdNames {
    pub providers: Vec<(i64, String)>,
    pub keys: Vec<(i64, String)>,
    pub routes: Vec<(i64, String)>,
}

impl super::stats::Names for IdNames {
    fn provider(&self, id: i64) -> Option<String> {
        find(&self.providers, id)
    }
    fn client_key(&self, id: i64) -> Option<String> {
        find(&self.keys, id)
    }
    fn route(&self, id: i64) -> Option<String> {
        find(&self.routes, id)
    }
}

fn find(list: &[(i64, String)], id: i64) -> Option<String> {
    list.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone())
}

#[cfg(test)]
mod tests {
    use super::{chunks, MAX_CHUNK};

    #[test]
    fn inserts_come_in_power_of_four_sizes_that_cover_the_batch_in_order() {
        for n in 0..=1000usize {
            let rows: Vec<usize> = (0..n).collect();
            let pieces: Vec<&[usize]> = chunks(&rows).collect();
            assert!(pieces
                .iter()
                .all(|c| [1, 4, 16, 64, 256].contains(&c.len()) && c.len() <= MAX_CHUNK));
            assert_eq!(pieces.concat(), rows);
            let sizes: std::collections::HashSet<usize> = pieces.iter().map(|c| c.len()).collect();
            assert!(sizes.len() <= 5);
            // Greedy: never more than 3 chunks of one size below the largest.
            assert!(pieces.len() <= n / MAX_CHUNK + 3 * 4);
        }
    }
}
