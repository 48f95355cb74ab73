//! The catalog's file formats: a [`CatalogDoc`] read from and written to TOML, JSON and Excel
//! (xlsx) bytes.
//!
//! Pure: no database, no file system, no environment. The CLI and the admin API read the
//! bytes and hand the parsed document to `catalog::store`, which resolves names against what
//! is stored, resolves `key_env`, validates and writes. So nothing here checks that a route's
//! model exists: a file may refer to models that are already in the database (the Python
//! version resolved names only within the same workbook; that was a bug).
//!
//! Errors say where: a path inside the document plus line and column for TOML/JSON, sheet +
//! row + column for Excel, where every row error is collected before giving up.

mod excel;
mod text;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::model::CatalogDoc;

/// A catalog file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Toml,
    Json,
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Toml, Format::Json, Format::Xlsx];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Toml => "toml",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }

    /// The format a file name's extension implies (any case): `.toml`, `.json`, `.xlsx`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        ext.parse().ok()
    }

    /// An explicit choice wins; otherwise the extension decides, and without a known one the
    /// error says how to choose.
    pub fn resolve(path: &Path, explicit: Option<Format>) -> Result<Format, FormatError> {
        if let Some(f) = explicit {
            return Ok(f);
        }
        Format::from_path(path).ok_or_else(|| FormatError::UnknownFormat {
            path: path.display().to_string(),
        })
    }

    /// Whether the format is text (and so may go to stdout).
    pub fn is_text(self) -> bool {
        !matches!(self, Format::Xlsx)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "toml" => Ok(Format::Toml),
            "json" => Ok(Format::Json),
            "xlsx" | "excel" => Ok(Format::Xlsx),
            other => Err(format!(
                "unknown catalog format `{other}`: expected toml, json or xlsx"
            )),
        }
    }
}

/// A parsed file: the document, plus what the reader ignored or guessed and the operator
/// should hear about (e.g. the Python workbook's dead `max_retry` column).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub doc: CatalogDoc,
    pub warnings: Vec<String>,
}

/// One bad cell (or row) of a workbook. Rows are 1-based, as Excel shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub sheet: String,
    pub row: u32,
    /// The header of the offending column, when one is to blame.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(
                f,
                "{} row {}, column {}: {}",
                self.sheet, self.row, c, self.message
            ),
            None => write!(f, "{} row {}: {}", self.sheet, self.row, self.message),
        }
    }
}

/// Why a file could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    #[error(
        "cannot tell the catalog format of {path}: name it .toml, .json or .xlsx, or pass --format"
    )]
    UnknownFormat { path: String },
    /// The text is not TOML/JSON at all, or a value has the wrong shape. `path` is where in
    /// the document (`providers[1].kind`), empty for syntax errors at the top.
    #[error("{}", describe_doc_error(*format, path, message, *line_col))]
    Document {
        format: Format,
        path: String,
        message: String,
        line_col: Option<(usize, usize)>,
    },
    /// The bytes are not a readable xlsx workbook.
    #[error("not a readable xlsx workbook: {0}")]
    Workbook(String),
    #[error("the workbook has no `{0}` sheet")]
    MissingSheet(String),
    /// Every bad cell of the workbook, in sheet and row order.
    #[error("{}", describe_rows(.0))]
    Rows(Vec<RowError>),
    /// The document cannot be written in this format (e.g. a `null` in TOML).
    #[error("cannot write the catalog as {format}: {message}")]
    Render { format: Format, message: String },
}

impl FormatError {
    /// One line per problem, for printing to an operator.
    pub fn lines(&self) -> Vec<String> {
        match self {
            FormatError::Rows(rows) => rows.iter().map(ToString::to_string).collect(),
            other => vec![other.to_string()],
        }
    }
}

fn describe_doc_error(
    format: Format,
    path: &str,
    message: &str,
    line_col: Option<(usize, usize)>,
) -> String {
    let mut out = String::new();
    if path.is_empty() || path == "." {
        out.push_str(&format!("invalid {format}: "));
    } else {
        out.push_str(path);
        out.push_str(": ");
    }
    out.push_str(message);
    if let Some((line, col)) = line_col {
        out.push_str(&format!(" (line {line}, column {col})"));
    }
    out
}

fn describe_rows(rows: &[RowError]) -> String {
    match rows {
        [one] => one.to_string(),
        many => {
            let mut s = format!("{} problems in the workbook:", many.len());
            for r in many {
                s.push_str("\n  ");
                s.push_str(&r.to_string());
            }
            s
        }
    }
}

/// Reads a catalog document.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Parsed, FormatError> {
    match format {
        Format::Toml => text::parse_toml(bytes),
        Format::Json => text::parse_json(bytes),
        Format::Xlsx => excel::parse(bytes),
    }
}

/// Writes a catalog document in [`canonical_order`], so two exports of the same catalog are
/// byte-identical and diff well in git. Secrets are written only when the document carries
/// them (an export made with `--include-secrets`).
pub fn render(format: Format, doc: &CatalogDoc) -> Result<Vec<u8>, FormatError> {
    let doc = canonical_order(doc);
    match format {
        Format::Toml => text::render_toml(&doc),
        Format::Json => text::render_json(&doc),
        Format::Xlsx => excel::render(&doc),
    }
}

/// The order files are written in: providers and models by name, a provider's keys by label,
/// routes by model, then tier (priority), then provider and upstream model. Order carries no
/// meaning on import; this only makes output stable.
pub fn canonical_order(doc: &CatalogDoc) -> CatalogDoc {
    let mut doc = doc.clone();
    doc.providers.sort_by(|a, b| a.name.cmp(&b.name));
    for p in &mut doc.providers {
        p.keys.sort_by(|a, b| a.label.cmp(&b.label));
    }
    doc.models.sort_by(|a, b| a.name.cmp(&b.name));
    doc.routes.sort_by(|a, b| {
        (&a.model, a.priority, &a.provider, &a.upstream_model).cmp(&(
            &b.model,
            b.priority,
            &b.provider,
            &b.upstream_model,
        ))
    });
    doc
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    // A span may point inside a multi-byte character; count from its start.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests;
