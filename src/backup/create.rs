//! `backup create`: a consistent snapshot of every table, written as one checksummed file.
//!
//! Consistency per backend: SQLite is copied with `VACUUM INTO` (an online, transactionally
//! consistent copy while `serve` keeps writing; a plain file copy of a live WAL database is
//! not) and the export reads the copy; MySQL/MariaDB read inside
//! `START TRANSACTION WITH CONSISTENT SNAPSHOT`, PostgreSQL inside a `REPEATABLE READ`
//! transaction, so counts and rows all come from one point in time. The file is written as
//! `NAME.partial`, synced, then renamed: a failed run leaves no file that looks valid.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use super::tables::{self, *};
use super::{
    file_name, prune, BackupError, BackupWriter, Header, Progress, TableCount, FORMAT,
    FORMAT_VERSION,
};
use crate::db::schema::*;
use crate::db::{Backend, Db, DbSettings, DbUrl};

/// Rows per query when paging through a table by primary key.
const PAGE: i64 = 1000;

#[derive(Debug, Clone)]
pub struct CreateOptions {
    pub dir: PathBuf,
    pub compress: bool,
    /// Delete backups in `dir` older than this many days, after a successful backup.
    pub keep_days: Option<u32>,
}

#[derive(Debug)]
pub struct Created {
    pub path: PathBuf,
    pub header: Header,
    pub sha256: String,
    pub pruned: Vec<PathBuf>,
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> BackupError {
        BackupError::io("cannot write the backup", e)
    }
}

/// The output file: plain or gzip, finished and synced explicitly.
enum Sink {
    Plain(std::io::BufWriter<std::fs::File>),
    Gz(Box<flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>>>),
}

impl super::FinishWrite for Sink {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        let file = match *self {
            Sink::Plain(w) => w.into_inner().map_err(|e| e.into_error())?,
            Sink::Gz(w) => w.finish()?.into_inner().map_err(|e| e.into_error())?,
        };
        file.sync_all()
    }
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gz(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gz(w) => w.flush(),
        }
    }
}

/// Removes the `.partial` file unless the backup completed.
struct PartialGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for PartialGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub async fn create(db: &Db, opts: &CreateOptions) -> Result<Created, BackupError> {
    std::fs::create_dir_all(&opts.dir)
        .map_err(|e| BackupError::io(format!("cannot create {}", opts.dir.display()), e))?;
    let schema_version = schema_version(db).await?;
    check_coverage(db).await?;

    let now = Utc::now();
    let name = file_name(now, opts.compress);
    let path = opts.dir.join(&name);
    if path.exists() {
        return Err(BackupError::Refused(format!(
            "{} already exists (one backup per second at most)",
            path.display()
        )));
    }
    let partial = opts.dir.join(format!("{name}.partial"));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| BackupError::io(format!("cannot create {}", partial.display()), e))?;
    let mut guard = PartialGuard {
        path: partial.clone(),
        armed: true,
    };
    let buffered = std::io::BufWriter::with_capacity(1 << 16, file);
    let sink = if opts.compress {
        Sink::Gz(Box::new(flate2::write::GzEncoder::new(
            buffered,
            flate2::Compression::default(),
        )))
    } else {
        Sink::Plain(buffered)
    };
    let mut writer = BackupWriter::new(Box::new(sink));
    let meta = HeaderMeta {
        schema_version,
        backend: db.backend(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };

    let header = match db {
        Db::Sqlite(_) => {
            // The snapshot goes next to the backups: same filesystem, and /tmp may be small.
            let tmp = tempfile::Builder::new()
                .prefix(".llmo-snapshot-")
                .tempdir_in(&opts.dir)
                .map_err(|e| BackupError::io("cannot create a snapshot directory", e))?;
            let snap_path = tmp.path().join("snapshot.db");
            let snap_str = snap_path.to_str().ok_or_else(|| {
                BackupError::Refused(format!("{} is not valid UTF-8", snap_path.display()))
            })?;
            let sql = format!("VACUUM INTO '{}'", snap_str.replace('\'', "''"));
            crate::with_conn!(db, conn => {
                diesel::sql_query(sql.as_str()).execute(conn).await?;
            });
            let snapshot = Db::connect(&DbSettings {
                url: DbUrl::Sqlite {
                    path: snap_path.clone(),
                },
                max_connections: 1,
                connect_timeout: Duration::from_secs(10),
            })
            .await?;
            let header = export(&snapshot, None, &meta, &mut writer).await?;
            drop(snapshot);
            header
        }
        Db::Mysql(_) => {
            export(
                db,
                Some("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"),
                &meta,
                &mut writer,
            )
            .await?
        }
        Db::Postgres(_) => {
            export(
                db,
                Some("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
                &meta,
                &mut writer,
            )
            .await?
        }
    };

    // Durable before the rename publishes it.
    let sha256 = writer
        .finish()
        .map_err(|e| BackupError::io(format!("cannot finish {}", partial.display()), e))?;
    std::fs::rename(&partial, &path)
        .map_err(|e| BackupError::io(format!("cannot rename to {}", path.display()), e))?;
    guard.armed = false;
    if let Ok(d) = std::fs::File::open(&opts.dir) {
        let _ = d.sync_all();
    }

    // Prune only after a good backup: a failing backup job must never eat the last good ones.
    let pruned = match opts.keep_days {
        Some(days) => prune(&opts.dir, days, now)?,
        None => Vec::new(),
    };
    Ok(Created {
        path,
        header,
        sha256,
        pruned,
    })
}

struct HeaderMeta {
    schema_version: String,
    backend: Backend,
    created_at: String,
}

/// Counts, then writes every row, from one connection inside one snapshot (`begin`), or from
/// a database nobody else writes to (the SQLite snapshot, `begin = None`).
async fn export(
    db: &Db,
    begin: Option<&str>,
    meta: &HeaderMeta,
    writer: &mut BackupWriter,
) -> Result<Header, BackupError> {
    let header = crate::with_conn!(db, conn => {
        if let Some(sql) = begin {
            conn.batch_execute(sql).await?;
        }
        let mut counts = Vec::new();
        macro_rules! count {
            ($t:ident, $Row:ident) => {
                let n: i64 = $t::table.count().get_result(conn).await?;
                counts.push(TableCount { name: stringify!($t).into(), rows: n as u64 });
            };
        }
        crate::for_each_backup_table!(count);
        let header = Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema_version: meta.schema_version.clone(),
            backend: meta.backend.as_str().into(),
            created_at: meta.created_at.clone(),
            tables: counts,
        };
        writer.header(&header)?;
        let progress = Progress::new(header.total_rows(), "backing up");
        let mut index = 0usize;
        macro_rules! export_table {
            (system_settings, $Row:ident) => {{
                progress.table(index, "system_settings");
                let rows: Vec<$Row> = system_settings::table
                    .order(system_settings::name.asc())
                    .select($Row::as_select())
                    .load(conn)
                    .await?;
                for r in &rows {
                    writer.row("system_settings", r)?;
                }
                progress.inc(rows.len() as u64);
                progress.table_done(index, "system_settings", rows.len() as u64);
                index += 1;
            }};
            ($t:ident, $Row:ident) => {{
                progress.table(index, stringify!($t));
                let mut last = i64::MIN;
                let mut n = 0u64;
                loop {
                    // Keyset paging: constant memory, and each page is an index range scan.
                    let rows: Vec<$Row> = $t::table
                        .filter($t::id.gt(last))
                        .order($t::id.asc())
                        .limit(PAGE)
                        .select($Row::as_select())
                        .load(conn)
                        .await?;
                    let Some(tail) = rows.last() else { break };
                    last = tail.id;
                    for r in &rows {
                        writer.row(stringify!($t), r)?;
                    }
                    n += rows.len() as u64;
                    progress.inc(rows.len() as u64);
                    if (rows.len() as i64) < PAGE {
                        break;
                    }
                }
                progress.table_done(index, stringify!($t), n);
                index += 1;
            }};
        }
        crate::for_each_backup_table!(export_table);
        let _ = index;
        progress.finish();
        if begin.is_some() {
            conn.batch_execute("COMMIT").await?;
        }
        header
    });
    Ok(header)
}

/// The latest applied migration. Refuses a database with no schema, or one migrated by a newer
/// binary (its tables may have columns this binary would silently leave out).
pub(crate) async fn schema_version(db: &Db) -> Result<String, BackupError> {
    let st = db.migration_status().await?;
    if !st.unknown_applied.is_empty() {
        return Err(BackupError::Refused(format!(
            "the database has migrations this binary does not know ({}); use a newer llm-orchestrator",
            st.unknown_applied.join(", ")
        )));
    }
    st.migrations
        .iter()
        .rev()
        .find(|m| m.applied)
        .map(|m| m.version.clone())
        .ok_or_else(|| {
            BackupError::Refused(
                "the database has no schema yet (run `llm-orchestrator migrate run`)".into(),
            )
        })
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Every base table in the database, by the backend's own catalog.
pub(crate) async fn database_tables(db: &Db) -> Result<Vec<String>, BackupError> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        }
        Backend::Mysql => {
            "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let rows: Vec<TableName> = crate::with_conn!(db, conn => {
        diesel::sql_query(sql).load(conn).await?
    });
    let mut names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
    names.sort();
    Ok(names)
}

/// A table the backup does not know would be lost without a word: refuse instead.
async fn check_coverage(db: &Db) -> Result<(), BackupError> {
    let missing: Vec<String> = database_tables(db)
        .await?
        .into_iter()
        .filter(|t| !tables::TABLES.contains(&t.as_str()) && !NOT_DATA.contains(&t.as_str()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(BackupError::Refused(format!(
        "the database has tables the backup does not cover: {}; refusing to write an incomplete backup",
        missing.join(", ")
    )))
}
