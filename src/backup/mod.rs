//! Backups: a portable, checksummed logical export of every table, and its restore.
//!
//! Owns the file format, taking a consistent snapshot on each backend (`create`), checking a
//! file (`verify`), loading one into any backend (`restore`), file naming and retention. The
//! CLI wrapper (flags, exit codes) is `cli/backup.rs`.
//!
//! Format (`llmo-backup-YYYYmmddTHHMMSSZ.jsonl`, gzip-compressed as `.jsonl.gz`), one JSON
//! object per line:
//! 1. a header: `{"format":"llm-orchestrator-backup","format_version":1,"schema_version":...,
//!    "backend":...,"created_at":...,"tables":[{"name":...,"rows":N},...]}`;
//! 2. one `{"table":NAME,"row":{...}}` per row, tables in foreign-key order (`tables::TABLES`),
//!    rows in primary-key order;
//! 3. a trailer `{"trailer":true,"sha256":HEX}`: the SHA-256 of every byte (uncompressed)
//!    before the trailer line.
//!
//! The same format comes from every backend and restores into every backend, which is also how
//! an operator moves from SQLite to MySQL or PostgreSQL. The checksum guards against
//! truncation and corruption, not against someone who rewrites the file and its checksum.

pub mod create;
pub mod restore;
pub mod tables;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::DbError;

pub use self::create::{create, CreateOptions, Created};
pub use self::restore::{restore, RestoreOptions, Restored};

pub const FORMAT: &str = "llm-orchestrator-backup";
pub const FORMAT_VERSION: u32 = 1;
const NAME_PREFIX: &str = "llmo-backup-";
const NAME_TIME: &str = "%Y%m%dT%H%M%SZ";

/// Why a backup operation failed. `Corrupt` is the "check said no" answer (exit 1); the others
/// are errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Db(#[from] DbError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a complete, intact backup.
    #[error("{}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// The operation would be unsafe or cannot apply (non-empty target, newer schema, ...).
    #[error("{0}")]
    Refused(String),
}

impl From<diesel::result::Error> for BackupError {
    fn from(e: diesel::result::Error) -> BackupError {
        BackupError::Db(DbError::from(e))
    }
}

impl BackupError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> BackupError {
        BackupError::Io {
            context: context.into(),
            source,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    /// The latest migration applied to the database the backup came from.
    pub schema_version: String,
    pub backend: String,
    pub created_at: String,
    pub tables: Vec<TableCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableCount {
    pub name: String,
    pub rows: u64,
}

impl Header {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

#[derive(Serialize)]
struct RowLine<'a, T> {
    table: &'a str,
    row: &'a T,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    trailer: bool,
    sha256: String,
}

/// An output that must be finished explicitly (a gzip stream's trailer, an fsync), so that
/// errors there are reported instead of being swallowed by `Drop`.
pub(crate) trait FinishWrite: Write + Send {
    fn finish(self: Box<Self>) -> std::io::Result<()>;
}

/// Writes lines and hashes them; `finish` appends the trailer.
pub(crate) struct BackupWriter {
    out: Box<dyn FinishWrite>,
    hasher: Sha256,
    buf: Vec<u8>,
}

impl BackupWriter {
    pub(crate) fn new(out: Box<dyn FinishWrite>) -> BackupWriter {
        BackupWriter {
            out,
            hasher: Sha256::new(),
            buf: Vec::with_capacity(4096),
        }
    }

    fn line<T: Serialize>(&mut self, value: &T) -> std::io::Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, value)?;
        self.buf.push(b'\n');
        self.hasher.update(&self.buf);
        self.out.write_all(&self.buf)
    }

    pub(crate) fn header(&mut self, h: &Header) -> std::io::Result<()> {
        self.line(h)
    }

    pub(crate) fn row<T: Serialize>(&mut self, table: &str, row: &T) -> std::io::Result<()> {
        self.line(&RowLine { table, row })
    }

    /// Writes the trailer and finishes the output (durable on disk when this returns).
    pub(crate) fn finish(mut self) -> std::io::Result<String> {
        let sha256 = hex::encode(self.hasher.finalize_reset());
        let mut line = serde_json::to_vec(&Trailer {
            trailer: true,
            sha256: sha256.clone(),
        })?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.finish()?;
        Ok(sha256)
    }
}

/// One line of a backup being read.
pub(crate) enum Line {
    Row {
        table: String,
        row: serde_json::Value,
    },
    End,
}

/// Reads a backup line by line, checking structure and checksum as it goes: rows only of the
/// header's tables, in its order, as many as it says; the trailer last, with the right hash.
pub(crate) struct BackupReader {
    path: PathBuf,
    lines: Box<dyn BufRead + Send>,
    hasher: Sha256,
    pub(crate) header: Header,
    table_index: usize,
    rows_in_table: u64,
    line_no: u64,
    done: bool,
    buf: String,
}

impl BackupReader {
    pub(crate) fn open(path: &Path) -> Result<BackupReader, BackupError> {
        let mut file = std::fs::File::open(path)
            .map_err(|e| BackupError::io(format!("cannot open {}", path.display()), e))?;
        let mut magic = [0u8; 2];
        let n = file
            .read(&mut magic)
            .map_err(|e| BackupError::io(format!("cannot read {}", path.display()), e))?;
        let file = std::fs::File::open(path)
            .map_err(|e| BackupError::io(format!("cannot open {}", path.display()), e))?;
        // Compression is recognised by content, not by name: a renamed file still reads.
        let lines: Box<dyn BufRead + Send> = if n == 2 && magic == [0x1f, 0x8b] {
            Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::read::GzDecoder::new(BufReader::new(file)),
            ))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, file))
        };
        let mut r = BackupReader {
            path: path.to_path_buf(),
            lines,
            hasher: Sha256::new(),
            header: Header {
                format: String::new(),
                format_version: 0,
                schema_version: String::new(),
                backend: String::new(),
                created_at: String::new(),
                tables: Vec::new(),
            },
            table_index: 0,
            rows_in_table: 0,
            line_no: 0,
            done: false,
            buf: String::new(),
        };
        let first = r
            .read_line()?
            .ok_or_else(|| r.corrupt("empty file, not a backup"))?;
        r.hasher.update(first.as_bytes());
        let header: Header = serde_json::from_str(&first)
            .map_err(|e| r.corrupt(format!("line 1 is not a backup header: {e}")))?;
        if header.format != FORMAT {
            return Err(r.corrupt(format!("format is {:?}, not {FORMAT:?}", header.format)));
        }
        if header.format_version != FORMAT_VERSION {
            return Err(BackupError::Refused(format!(
                "{}: backup format version {} is not supported by this binary (it reads {FORMAT_VERSION}); use a matching llm-orchestrator",
                path.display(),
                header.format_version
            )));
        }
        let names: Vec<&str> = header.tables.iter().map(|t| t.name.as_str()).collect();
        if names != tables::TABLES {
            return Err(r.corrupt(format!(
                "the header lists tables {names:?}, expected {:?}",
                tables::TABLES
            )));
        }
        r.header = header;
        Ok(r)
    }

    fn corrupt(&self, reason: impl Into<String>) -> BackupError {
        BackupError::Corrupt {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    /// The next line including its newline, `None` at end of file.
    fn read_line(&mut self) -> Result<Option<String>, BackupError> {
        self.buf.clear();
        self.line_no += 1;
        match self.lines.read_line(&mut self.buf) {
            Ok(0) => Ok(None),
            Ok(_) if !self.buf.ends_with('\n') => Err(self.corrupt(format!(
                "line {} is cut off: the file is truncated",
                self.line_no
            ))),
            Ok(_) => Ok(Some(std::mem::take(&mut self.buf))),
            // A truncated or damaged gzip stream, or bytes that are not UTF-8.
            Err(e) => Err(self.corrupt(format!("unreadable at line {}: {e}", self.line_no))),
        }
    }

    pub(crate) fn next_line(&mut self) -> Result<Line, BackupError> {
        if self.done {
            return Ok(Line::End);
        }
        let Some(text) = self.read_line()? else {
            return Err(self.corrupt("no trailer: the file is truncated"));
        };
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| self.corrupt(format!("line {} is not JSON: {e}", self.line_no)))?;
        if value.get("trailer").is_some() {
            let trailer: Trailer = serde_json::from_value(value)
                .map_err(|e| self.corrupt(format!("bad trailer: {e}")))?;
            let actual = hex::encode(self.hasher.finalize_reset());
            if trailer.sha256 != actual {
                return Err(self.corrupt(format!(
                    "checksum mismatch: the trailer says {}, the content hashes to {actual}",
                    trailer.sha256
                )));
            }
            self.finish_table()?;
            while self.table_index < self.header.tables.len() {
                self.finish_table()?;
            }
            if self.read_line()?.is_some() {
                return Err(self.corrupt("data after the trailer"));
            }
            self.done = true;
            return Ok(Line::End);
        }
        self.hasher.update(text.as_bytes());
        let (Some(table), Some(row)) = (
            value
                .get("table")
                .and_then(|t| t.as_str())
                .map(String::from),
            value.get("row").cloned(),
        ) else {
            return Err(self.corrupt(format!(
                "line {} is neither a row nor the trailer",
                self.line_no
            )));
        };
        // Rows come grouped by table in header order: move on past finished tables.
        while self.table_index < self.header.tables.len()
            && self.header.tables[self.table_index].name != table
        {
            self.finish_table()?;
        }
        if self.table_index >= self.header.tables.len() {
            return Err(self.corrupt(format!(
                "line {}: a row of `{table}` out of order or of an unknown table",
                self.line_no
            )));
        }
        self.rows_in_table += 1;
        Ok(Line::Row { table, row })
    }

    fn finish_table(&mut self) -> Result<(), BackupError> {
        if self.table_index >= self.header.tables.len() {
            return Ok(());
        }
        let t = &self.header.tables[self.table_index];
        if self.rows_in_table != t.rows {
            return Err(self.corrupt(format!(
                "table `{}` has {} rows, the header says {}",
                t.name, self.rows_in_table, t.rows
            )));
        }
        self.table_index += 1;
        self.rows_in_table = 0;
        Ok(())
    }
}

/// Reads the whole file: structure, counts, checksum, and that every row fits its table's
/// typed row (so a restore cannot fail half-way on a bad row). Returns the header.
pub fn verify(path: &Path) -> Result<Header, BackupError> {
    let mut r = BackupReader::open(path)?;
    loop {
        match r.next_line()? {
            Line::End => break,
            Line::Row { table, row } => {
                if let Err(e) = check_row(&table, row) {
                    return Err(r.corrupt(format!("line {}: {e}", r.line_no)));
                }
            }
        }
    }
    Ok(r.header)
}

fn check_row(table: &str, row: serde_json::Value) -> Result<(), String> {
    use self::tables::*;
    macro_rules! check {
        ($t:ident, $Row:ident) => {
            if table == stringify!($t) {
                return serde_json::from_value::<$Row>(row)
                    .map(|_| ())
                    .map_err(|e| format!("a `{table}` row does not fit: {e}"));
            }
        };
    }
    crate::for_each_backup_table!(check);
    Err(format!("unknown table `{table}`"))
}

/// `llmo-backup-20261126T020000Z.jsonl[.gz]`
pub fn file_name(at: chrono::DateTime<Utc>, compress: bool) -> String {
    format!(
        "{NAME_PREFIX}{}.jsonl{}",
        at.format(NAME_TIME),
        if compress { ".gz" } else { "" }
    )
}

/// The time in a backup file name (complete or `.partial`), `None` for any other file.
pub fn name_time(name: &str) -> Option<NaiveDateTime> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let (stamp, ext) = rest.split_once('.')?;
    if !matches!(
        ext,
        "jsonl" | "jsonl.gz" | "jsonl.partial" | "jsonl.gz.partial"
    ) {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, NAME_TIME).ok()
}

/// Deletes backups in `dir` whose file-name time is older than `keep_days` days before `now`.
/// Only files named like backups are touched. Returns the deleted paths.
pub fn prune(
    dir: &Path,
    keep_days: u32,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<PathBuf>, BackupError> {
    let cutoff = (now - chrono::Duration::days(i64::from(keep_days))).naive_utc();
    let mut deleted = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| BackupError::io(format!("cannot list {}", dir.display()), e))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| BackupError::io(format!("cannot list {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(at) = name.to_str().and_then(name_time) else {
            continue;
        };
        if at < cutoff {
            let path = entry.path();
            std::fs::remove_file(&path)
                .map_err(|e| BackupError::io(format!("cannot delete {}", path.display()), e))?;
            deleted.push(path);
        }
    }
    deleted.sort();
    Ok(deleted)
}

/// Progress on stderr: a bar on a terminal, one plain line per table otherwise (cron mail,
/// journald).
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    verb: &'static str,
}

impl Progress {
    pub(crate) fn new(total_rows: u64, verb: &'static str) -> Progress {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total_rows);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:24} [{bar:40}] {pos}/{len} rows ({eta})",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Progress { bar, verb }
    }

    pub(crate) fn table(&self, index: usize, name: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} {name}", self.verb));
        }
        let _ = index;
    }

    pub(crate) fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    pub(crate) fn table_done(&self, index: usize, name: &str, rows: u64) {
        if self.bar.is_none() {
            eprintln!(
                "table {}/{} {name}: {rows} rows",
                index + 1,
                tables::TABLES.len()
            );
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_macro_and_the_table_list_agree_in_order() {
        let mut names = Vec::new();
        macro_rules! push {
            ($t:ident, $Row:ident) => {
                names.push(stringify!($t));
            };
        }
        crate::for_each_backup_table!(push);
        assert_eq!(names, tables::TABLES);
    }

    #[test]
    fn backup_names_carry_their_time_and_other_files_are_ignored() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let name = file_name(at, true);
        assert_eq!(name, "llmo-backup-20261126T020000Z.jsonl.gz");
        assert_eq!(name_time(&name), Some(at.naive_utc()));
        assert_eq!(name_time(&format!("{name}.partial")), Some(at.naive_utc()));
        assert_eq!(name_time("llmo-backup-20261126T020000Z.sql"), None);
        assert_eq!(name_time("notes.txt"), None);
    }
}
