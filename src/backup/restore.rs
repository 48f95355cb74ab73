//! `backup restore`: load a verified backup into the configured database, in one transaction.
//!
//! Order of checks, all before anything is written: the whole file is verified (structure,
//! counts, checksum, every row fits its table); the backup's schema version must be the one
//! this binary migrates to (a newer one is refused: its rows may carry columns this binary
//! would drop); the target is migrated; a non-empty target is refused unless `yes`. Then one
//! transaction deletes every row (children first) and inserts the backup (parents first),
//! keeping ids; PostgreSQL sequences are moved past the restored ids (MySQL's AUTO_INCREMENT
//! and SQLite's AUTOINCREMENT follow explicit ids on their own). Any failure rolls it all back.

use std::path::Path;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::tables::{self, *};
use super::{verify, BackupError, BackupReader, Header, Line, Progress};
use crate::db::schema::*;
use crate::db::{Backend, Db};

/// Rows per INSERT: well under every backend's bound-parameter limit at 25 columns.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Replace the rows of a non-empty database.
    pub yes: bool,
}

#[derive(Debug)]
pub struct Restored {
    pub header: Header,
    /// Rows that were in the target before and are gone now.
    pub replaced_rows: u64,
}

pub async fn restore(db: &Db, path: &Path, opts: &RestoreOptions) -> Result<Restored, BackupError> {
    let header = verify(path)?;

    let st = db.migration_status().await?;
    if !st.unknown_applied.is_empty() {
        return Err(BackupError::Refused(format!(
            "the target database has migrations this binary does not know ({}); use a newer llm-orchestrator",
            st.unknown_applied.join(", ")
        )));
    }
    let latest = st
        .migrations
        .last()
        .map(|m| m.version.clone())
        .unwrap_or_default();
    if !st
        .migrations
        .iter()
        .any(|m| m.version == header.schema_version)
    {
        return Err(BackupError::Refused(format!(
            "{} is from a newer schema version ({}; this binary knows up to {latest}): restore it with a newer llm-orchestrator",
            path.display(),
            header.schema_version
        )));
    }
    if header.schema_version != latest {
        return Err(BackupError::Refused(format!(
            "{} is from schema version {}, older than this binary's {latest}: restore it with the llm-orchestrator version that wrote it, then upgrade and run `migrate run`",
            path.display(),
            header.schema_version
        )));
    }
    db.run_migrations().await?;

    let existing = row_counts(db).await?;
    let replaced_rows: u64 = existing.iter().map(|(_, n)| n).sum();
    if replaced_rows > 0 && !opts.yes {
        let busy: Vec<String> = existing
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        return Err(BackupError::Refused(format!(
            "the target database is not empty ({}); pass --yes to replace its contents",
            busy.join(", ")
        )));
    }

    let backend = db.backend();
    let progress = Progress::new(header.total_rows(), "restoring");
    let reader = BackupReader::open(path)?;
    let progress_ref = &progress;
    crate::with_conn!(db, conn => {
        conn.transaction::<_, BackupError, _>(async move |conn| {
            load(conn, reader, progress_ref, backend).await
        })
        .await?;
    });
    progress.finish();
    Ok(Restored {
        header,
        replaced_rows,
    })
}

/// The body of the restore transaction, for any of the three connection types.
async fn load<C>(
    conn: &mut C,
    mut reader: BackupReader,
    progress: &Progress,
    backend: Backend,
) -> Result<(), BackupError>
where
    C: Loadable,
{
    for t in tables::TABLES.iter().rev() {
        // Table names are our own constants, never input.
        C::exec(conn, format!("DELETE FROM {t}")).await?;
    }
    let mut current: Option<String> = None;
    let mut chunk: Vec<serde_json::Value> = Vec::with_capacity(CHUNK);
    let mut index = 0usize;
    let mut in_table = 0u64;
    loop {
        let line = reader.next_line()?;
        let (table, row) = match line {
            Line::Row { table, row } => (Some(table), Some(row)),
            Line::End => (None, None),
        };
        if table != current || chunk.len() >= CHUNK {
            if let Some(t) = &current {
                let n = chunk.len() as u64;
                C::insert(conn, t, &mut chunk).await?;
                progress.inc(n);
                in_table += n;
                if table.as_ref() != Some(t) {
                    progress.table_done(index, t, in_table);
                    index += 1;
                    in_table = 0;
                }
            }
            if let Some(t) = &table {
                if current.as_ref() != Some(t) {
                    progress.table(index, t);
                }
            }
            current = table.clone();
        }
        match row {
            Some(row) => chunk.push(row),
            None => break,
        }
    }
    if backend == Backend::Postgres {
        for t in tables::TABLES.iter().filter(|t| **t != "system_settings") {
            // Next id = max + 1 (or 1 for an empty table), as if the rows had been inserted
            // through the sequence.
            C::exec(
                conn,
                format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"
                ),
            )
            .await?;
        }
    }
    Ok(())
}

/// What the restore transaction does to a connection, implemented per connection type by the
/// same macro body (diesel's query types differ per backend; the code does not).
pub(crate) trait Loadable: AsyncConnection + Send {
    fn exec(
        conn: &mut Self,
        sql: String,
    ) -> futures::future::BoxFuture<'_, Result<(), BackupError>>;

    fn insert<'a>(
        conn: &'a mut Self,
        table: &'a str,
        rows: &'a mut Vec<serde_json::Value>,
    ) -> futures::future::BoxFuture<'a, Result<(), BackupError>>;
}

macro_rules! insert_typed {
    (batch, $t:ident, $rows:ident, $conn:ident) => {
        diesel::insert_into($t::table)
            .values(&$rows)
            .execute($conn)
            .await?;
    };
    (single, $t:ident, $rows:ident, $conn:ident) => {
        for row in &$rows {
            diesel::insert_into($t::table)
                .values(row)
                .execute($conn)
                .await?;
        }
    };
}

macro_rules! impl_loadable {
    ($conn_ty:ty, $mode:ident) => {
        impl Loadable for $conn_ty {
            fn exec(
                conn: &mut Self,
                sql: String,
            ) -> futures::future::BoxFuture<'_, Result<(), BackupError>> {
                Box::pin(async move {
                    diesel::sql_query(sql).execute(conn).await?;
                    Ok(())
                })
            }

            fn insert<'a>(
                conn: &'a mut Self,
                table: &'a str,
                rows: &'a mut Vec<serde_json::Value>,
            ) -> futures::future::BoxFuture<'a, Result<(), BackupError>> {
                Box::pin(async move {
                    macro_rules! insert_rows {
                        ($t:ident, $Row:ident) => {
                            if table == stringify!($t) {
                                let typed = rows
                                    .drain(..)
                                    .map(serde_json::from_value::<$Row>)
                                    .collect::<Result<Vec<_>, _>>()
                                    .map_err(|e| {
                                        BackupError::Refused(format!(
                                            "a `{table}` row does not fit: {e}"
                                        ))
                                    })?;
                                insert_typed!($mode, $t, typed, conn);
                                return Ok(());
                            }
                        };
                    }
                    crate::for_each_backup_table!(insert_rows);
                    Err(BackupError::Refused(format!("unknown table `{table}`")))
                })
            }
        }
    };
}

// SQLite: diesel has no multi-row INSERT for it; one statement per row inside the
// transaction costs little on an embedded database.
impl_loadable!(crate::db::SqliteConn, single);
impl_loadable!(diesel_async::AsyncMysqlConnection, batch);
impl_loadable!(diesel_async::AsyncPgConnection, batch);

/// Rows per table in the database.
pub(crate) async fn row_counts(db: &Db) -> Result<Vec<(&'static str, u64)>, BackupError> {
    let counts = crate::with_conn!(db, conn => {
        let mut counts = Vec::new();
        macro_rules! count {
            ($t:ident, $Row:ident) => {
                let n: i64 = $t::table.count().get_result(conn).await?;
                counts.push((stringify!($t), n as u64));
            };
        }
        crate::for_each_backup_table!(count);
        counts
    });
    Ok(counts)
}
