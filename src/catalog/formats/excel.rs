//! Excel (xlsx): the three-sheet workbook of the Python version (`Providers`, `Models`,
//! `Associations`), read with calamine and written with rust_xlsxwriter.
//!
//! Columns are found by their header (case-insensitive, trimmed; spaces and dashes count as
//! `_`), never by position, and both our names and the Python version's are understood (see
//! the `*_COLUMNS` tables). The Python reader's bugs are deliberately not repeated: a FALSE
//! cell is false, a `0` is 0, `1.5` where a whole number belongs is an error rather than a
//! silent default, and every bad cell of the workbook is reported at once, by sheet, row (as
//! Excel numbers it) and column.
//!
//! A provider with several keys takes one row per key; the provider's own columns repeat (or
//! stay blank) on the extra rows and must agree with its first row.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};
use rust_xlsxwriter::{Color, Format as CellFormat, FormatAlign, Workbook, Worksheet};
use serde_json::{Map, Value};

use super::{Format, FormatError, Parsed, RowError};
use crate::catalog::model::{
    check_base_url, check_model_name, check_price, check_provider_name, check_range,
    check_timeout_ms, Capability, CatalogDoc, Invalid, KeyDoc, ModelDoc, ProviderDoc, ProviderKind,
    RouteDoc,
};

pub(super) const PROVIDERS: &str = "Providers";
pub(super) const MODELS: &str = "Models";
pub(super) const ROUTES: &str = "Associations";

/// A column a sheet understands: the header we write, and other headers meaning the same.
struct Col {
    name: &'static str,
    aliases: &'static [&'static str],
}

const fn col(name: &'static str) -> Col {
    Col { name, aliases: &[] }
}

const PROVIDER_COLUMNS: &[Col] = &[
    Col {
        name: "name",
        aliases: &["provider", "provider_name"],
    },
    Col {
        name: "kind",
        aliases: &["type"],
    },
    col("base_url"),
    col("priority"),
    col("weight"),
    col("enabled"),
    Col {
        name: "key_label",
        aliases: &["label"],
    },
    // The Python version's `api_key`: one key per provider, labelled `default`.
    Col {
        name: "key",
        aliases: &["api_key"],
    },
    col("key_env"),
    col("key_hint"),
    col("key_enabled"),
    col("key_weight"),
    col("connect_timeout_ms"),
    col("first_token_timeout_ms"),
    col("idle_timeout_ms"),
    col("total_timeout_ms"),
    col("stream_include_usage"),
    col("extra_headers"),
    col("param_overrides"),
];

const MODEL_COLUMNS: &[Col] = &[
    Col {
        name: "name",
        aliases: &["model", "model_name"],
    },
    col("aliases"),
    Col {
        name: "description",
        aliases: &["remark"],
    },
    col("enabled"),
    col("present_requested_name"),
];

const ROUTE_COLUMNS: &[Col] = &[
    Col {
        name: "model",
        aliases: &["model_name"],
    },
    Col {
        name: "provider",
        aliases: &["provider_name"],
    },
    Col {
        name: "upstream_model",
        aliases: &["provider_model"],
    },
    col("priority"),
    col("weight"),
    col("capabilities"),
    // The Python version's capability flags; read only, applied on top of `capabilities`.
    Col {
        name: "supports_tools",
        aliases: &["tool_call"],
    },
    Col {
        name: "supports_vision",
        aliases: &["image"],
    },
    Col {
        name: "supports_json_schema",
        aliases: &["structured_output"],
    },
    col("supports_streaming"),
    col("price_input"),
    col("price_output"),
    col("price_cached_input"),
    col("max_tokens_default"),
    col("param_overrides"),
    col("enabled"),
];

/// Columns the Python version had that mean nothing here: read past with a warning.
const MODEL_DEAD_COLUMNS: &[&str] = &["max_retry", "max_retries", "timeout"];
const PROVIDER_DEAD_COLUMNS: &[&str] = &["max_retries", "rate_limit"];

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| FormatError::Workbook(e.to_string()))?;
    let names = wb.sheet_names();
    let mut ranges = Vec::new();
    for want in [PROVIDERS, MODELS, ROUTES] {
        // Extra sheets (notes, pivot tables) are none of our business.
        let Some(found) = names.iter().find(|n| n.trim().eq_ignore_ascii_case(want)) else {
            return Err(FormatError::MissingSheet(want.to_string()));
        };
        let range = wb
            .worksheet_range(found)
            .map_err(|e| FormatError::Workbook(format!("sheet `{found}`: {e}")))?;
        ranges.push(range);
    }

    let mut cx = Cx::default();
    let providers = read_providers(&ranges[0], &mut cx);
    let models = read_models(&ranges[1], &mut cx);
    let routes = read_routes(&ranges[2], &mut cx);
    if !cx.errors.is_empty() {
        return Err(FormatError::Rows(cx.errors));
    }
    Ok(Parsed {
        doc: CatalogDoc {
            providers,
            models,
            routes,
        },
        warnings: cx.warnings,
    })
}

#[derive(Default)]
struct Cx {
    errors: Vec<RowError>,
    warnings: Vec<String>,
}

/// A sheet with its header row mapped to our column names.
struct Sheet<'a> {
    name: &'static str,
    range: &'a Range<Data>,
    /// Our column name -> (absolute column index, the header as the file spells it).
    cols: HashMap<&'static str, (u32, String)>,
    header_row: u32,
    /// Set when the header is missing a required column: the rows are not read.
    unusable: bool,
}

fn normalise_header(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

impl<'a> Sheet<'a> {
    fn open(
        name: &'static str,
        range: &'a Range<Data>,
        spec: &[Col],
        dead: &[&str],
        required: &[&'static str],
        cx: &mut Cx,
    ) -> Sheet<'a> {
        let mut sheet = Sheet {
            name,
            range,
            cols: HashMap::new(),
            header_row: 0,
            unusable: false,
        };
        // An empty sheet is a sheet with nothing to import.
        let (Some((top, left)), Some((_, right))) = (range.start(), range.end()) else {
            return sheet;
        };
        sheet.header_row = top;
        let mut dead_seen = Vec::new();
        let mut unknown = Vec::new();
        for c in left..=right {
            let raw = match range.get_value((top, c)) {
                Some(Data::Empty) | None => continue,
                Some(d) => d.to_string(),
            };
            let header = normalise_header(&raw);
            if header.is_empty() {
                continue;
            }
            let known = spec
                .iter()
                .find(|s| s.name == header || s.aliases.contains(&header.as_str()));
            match known {
                Some(s) => {
                    if let Some((_, other)) = sheet.cols.get(s.name) {
                        cx.errors.push(RowError {
                            sheet: name.into(),
                            row: top + 1,
                            column: Some(raw.trim().to_string()),
                            message: format!(
                                "means the same as column `{other}`; keep one of them"
                            ),
                        });
                    } else {
                        sheet.cols.insert(s.name, (c, raw.trim().to_string()));
                    }
                }
                None if dead.contains(&header.as_str()) => dead_seen.push(raw.trim().to_string()),
                None => unknown.push(raw.trim().to_string()),
            }
        }
        if !dead_seen.is_empty() {
            cx.warnings.push(format!(
                "{name}: column(s) {} ignored: the Python version stored them but never used them",
                dead_seen.join(", ")
            ));
        }
        if !unknown.is_empty() {
            cx.warnings.push(format!(
                "{name}: unknown column(s) {} ignored",
                unknown.join(", ")
            ));
        }
        let has_rows = top < range.end().map_or(top, |e| e.0);
        for r in required {
            if !sheet.cols.contains_key(r) && has_rows {
                let spelt = spec
                    .iter()
                    .find(|s| s.name == *r)
                    .map(|s| {
                        std::iter::once(s.name)
                            .chain(s.aliases.iter().copied())
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    })
                    .unwrap_or_default();
                cx.errors.push(RowError {
                    sheet: name.into(),
                    row: top + 1,
                    column: None,
                    message: format!("the header has no {spelt} column"),
                });
                sheet.unusable = true;
            }
        }
        sheet
    }

    /// Absolute indices of the data rows that are not entirely blank.
    fn data_rows(&self) -> Vec<u32> {
        let (Some((_, left)), Some((bottom, right))) = (self.range.start(), self.range.end())
        else {
            return Vec::new();
        };
        if self.unusable {
            return Vec::new();
        }
        (self.header_row + 1..=bottom)
            .filter(|&r| {
                (left..=right).any(|c| {
                    !matches!(
                        self.range.get_value((r, c)),
                        None | Some(Data::Empty)
                    ) && !matches!(self.range.get_value((r, c)), Some(Data::String(s)) if s.trim().is_empty())
                })
            })
            .collect()
    }

    fn has(&self, col: &str) -> bool {
        self.cols.contains_key(col)
    }

    fn header(&self, col: &str) -> String {
        self.cols
            .get(col)
            .map_or_else(|| col.to_string(), |(_, h)| h.clone())
    }
}

/// One data row being read; bad cells become [`RowError`]s in the shared list.
struct Row<'s, 'c> {
    sheet: &'s Sheet<'s>,
    /// Absolute (0-based) row index.
    row: u32,
    cx: &'c mut Cx,
}

/// What a cell converter says: blank, a value, or why not.
type Conv<T> = fn(&Data) -> Result<Option<T>, String>;

impl Row<'_, '_> {
    fn excel_row(&self) -> u32 {
        self.row + 1
    }

    fn error(&mut self, col: Option<&str>, message: impl Into<String>) {
        let column = col.map(|c| self.sheet.header(c));
        self.cx.errors.push(RowError {
            sheet: self.sheet.name.into(),
            row: self.excel_row(),
            column,
            message: message.into(),
        });
    }

    /// `Ok(None)`: blank or no such column. `Err(())`: bad, already reported.
    fn get<T>(&mut self, col: &str, conv: Conv<T>) -> Result<Option<T>, ()> {
        let Some(&(c, _)) = self.sheet.cols.get(col) else {
            return Ok(None);
        };
        let data = self
            .sheet
            .range
            .get_value((self.row, c))
            .unwrap_or(&Data::Empty);
        conv(data).map_err(|msg| self.error(Some(col), msg))
    }

    fn opt<T>(&mut self, col: &str, conv: Conv<T>) -> Option<T> {
        self.get(col, conv).ok().flatten()
    }

    /// A value that must be there; a blank cell is reported as such.
    fn required<T>(&mut self, col: &str, conv: Conv<T>) -> Option<T> {
        match self.get(col, conv) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                self.error(Some(col), "required, but the cell is blank");
                None
            }
            Err(()) => None,
        }
    }

    /// Reports a model.rs validation failure against the column it came from.
    fn check(&mut self, col: &str, result: Result<(), Invalid>) {
        if let Err(e) = result {
            self.error(Some(col), e.message);
        }
    }
}

fn describe(d: &Data) -> String {
    match d {
        Data::String(s) => format!("{:?}", s.trim()),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(_) | Data::DateTimeIso(_) => format!("a date ({d})"),
        other => other.to_string(),
    }
}

fn text(d: &Data) -> Result<Option<String>, String> {
    match d {
        Data::Empty => Ok(None),
        Data::String(s) => {
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_string()))
        }
        Data::Int(i) => Ok(Some(i.to_string())),
        // A name like `4` typed into Excel becomes the number 4.0.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some((*f as i64).to_string())),
        Data::Float(f) => Ok(Some(f.to_string())),
        Data::Bool(b) => Ok(Some(b.to_string())),
        Data::Error(e) => Err(format!("the cell holds an Excel error ({e})")),
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            Err(format!("expected text, got {}", describe(d)))
        }
    }
}

fn whole(d: &Data) -> Result<Option<i64>, String> {
    let bad = || format!("expected a whole number, got {}", describe(d));
    let from_float = |f: f64| {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
            Ok(Some(f as i64))
        } else {
            Err(bad())
        }
    };
    match d {
        Data::Empty => Ok(None),
        Data::Int(i) => Ok(Some(*i)),
        Data::Float(f) => from_float(*f),
        Data::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else if let Ok(i) = s.parse::<i64>() {
                Ok(Some(i))
            } else {
                s.parse::<f64>().map_err(|_| bad()).and_then(from_float)
            }
        }
        _ => Err(bad()),
    }
}

fn int32(d: &Data) -> Result<Option<i32>, String> {
    match whole(d)? {
        None => Ok(None),
        Some(i) => i32::try_from(i)
            .map(Some)
            .map_err(|_| format!("{i} is out of range")),
    }
}

fn number(d: &Data) -> Result<Option<f64>, String> {
    let bad = || format!("expected a number, got {}", describe(d));
    match d {
        Data::Empty => Ok(None),
        Data::Int(i) => Ok(Some(*i as f64)),
        Data::Float(f) => Ok(Some(*f)),
        Data::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Some)
                    .ok_or_else(bad)
            }
        }
        _ => Err(bad()),
    }
}

/// Real Excel booleans, 1/0, and the words people type (the Python version took only the
/// string "true" and turned a FALSE cell into true).
fn boolean(d: &Data) -> Result<Option<bool>, String> {
    let bad = || {
        format!(
            "expected true or false (also yes/no, 1/0, 是/否), got {}",
            describe(d)
        )
    };
    match d {
        Data::Empty => Ok(None),
        Data::Bool(b) => Ok(Some(*b)),
        Data::Int(1) => Ok(Some(true)),
        Data::Int(0) => Ok(Some(false)),
        Data::Float(f) if *f == 1.0 => Ok(Some(true)),
        Data::Float(f) if *f == 0.0 => Ok(Some(false)),
        Data::String(s) => match s.trim().to_lowercase().as_str() {
            "" => Ok(None),
            "true" | "yes" | "1" | "是" => Ok(Some(true)),
            "false" | "no" | "0" | "否" => Ok(Some(false)),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

fn kind(d: &Data) -> Result<Option<ProviderKind>, String> {
    let Some(s) = text(d)? else { return Ok(None) };
    ProviderKind::parse(&s).map(Some).ok_or_else(|| {
        let all: Vec<_> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "unknown provider kind `{s}`, expected one of {}",
            all.join(", ")
        )
    })
}

/// A comma- or newline-separated list; blank items are dropped.
fn list(d: &Data) -> Result<Option<Vec<String>>, String> {
    let Some(s) = text(d)? else { return Ok(None) };
    Ok(Some(
        s.split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    ))
}

/// Written for a route with no capabilities, since a blank cell means "the defaults".
const NO_CAPABILITIES: &str = "none";

fn capabilities(d: &Data) -> Result<Option<Vec<Capability>>, String> {
    let Some(items) = list(d)? else {
        return Ok(None);
    };
    if items.len() == 1 && items[0].eq_ignore_ascii_case(NO_CAPABILITIES) {
        return Ok(Some(Vec::new()));
    }
    items
        .iter()
        .map(|i| {
            let norm = normalise_header(i);
            Capability::ALL
                .into_iter()
                .find(|c| c.as_str() == norm)
                .ok_or_else(|| {
                    let all: Vec<_> = Capability::ALL.iter().map(|c| c.as_str()).collect();
                    format!(
                        "unknown capability `{i}`, expected some of {} (or `none`)",
                        all.join(", ")
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn json_object(d: &Data) -> Result<Option<Map<String, Value>>, String> {
    let Some(s) = text(d)? else { return Ok(None) };
    serde_json::from_str(&s)
        .map(Some)
        .map_err(|e| format!("expected a JSON object like {{\"temperature\": 0.2}}: {e}"))
}

fn headers(d: &Data) -> Result<Option<BTreeMap<String, String>>, String> {
    let Some(s) = text(d)? else { return Ok(None) };
    serde_json::from_str(&s)
        .map(Some)
        .map_err(|e| format!("expected a JSON object of strings like {{\"X-Org\": \"acme\"}}: {e}"))
}

/// A provider row's own columns; `None` where blank.
struct ProviderRow {
    row: u32,
    name: String,
    kind: Result<Option<ProviderKind>, ()>,
    base_url: Option<String>,
    enabled: Option<bool>,
    weight: Option<i32>,
    priority: Option<i32>,
    timeouts: [Option<i32>; 4],
    stream_include_usage: Option<bool>,
    extra_headers: Option<BTreeMap<String, String>>,
    param_overrides: Option<Map<String, Value>>,
    key: Option<KeyDoc>,
}

const TIMEOUT_COLUMNS: [&str; 4] = [
    "connect_timeout_ms",
    "first_token_timeout_ms",
    "idle_timeout_ms",
    "total_timeout_ms",
];

fn read_provider_row(r: &mut Row<'_, '_>, python_keys: bool) -> Option<ProviderRow> {
    let name = r.required("name", text);
    if let Some(n) = &name {
        r.check("name", check_provider_name("name", n));
    }
    let kind = r.get("kind", kind);
    let base_url = r.opt("base_url", text);
    if let Some(u) = &base_url {
        r.check("base_url", check_base_url("base_url", u));
    }
    let enabled = r.opt("enabled", boolean);
    let weight = r.opt("weight", int32);
    if let Some(w) = weight {
        r.check("weight", check_range("weight", w.into(), 0, 1_000_000));
    }
    let priority = r.opt("priority", int32);
    if let Some(p) = priority {
        r.check("priority", check_range("priority", p.into(), -1000, 1000));
    }
    let mut timeouts = [None; 4];
    for (slot, col) in timeouts.iter_mut().zip(TIMEOUT_COLUMNS) {
        *slot = r.opt(col, int32);
        r.check(col, check_timeout_ms(col, *slot));
    }
    let stream_include_usage = r.opt("stream_include_usage", boolean);
    let extra_headers = r.opt("extra_headers", headers);
    let param_overrides = r.opt("param_overrides", json_object);

    let label = r.opt("key_label", text);
    let secret = r.opt("key", text);
    let key_env = r.opt("key_env", text);
    let key_hint = r.opt("key_hint", text);
    let key_enabled = r.opt("key_enabled", boolean);
    let key_weight = r.opt("key_weight", int32);
    if let Some(w) = key_weight {
        r.check("key_weight", check_range("weight", w.into(), 0, 1_000_000));
    }
    // Python workbooks have one `api_key` per provider and every row is a key, even a blank
    // one (which keeps the stored secret). Ours say which rows carry a key.
    let has_key = python_keys
        || label.is_some()
        || secret.is_some()
        || key_env.is_some()
        || key_hint.is_some()
        || key_enabled.is_some()
        || key_weight.is_some();
    let key = has_key.then(|| KeyDoc {
        label: label.unwrap_or_else(|| "default".to_string()),
        key: secret,
        key_env,
        key_hint,
        enabled: key_enabled.unwrap_or(true),
        weight: key_weight.unwrap_or(1),
    });
    Some(ProviderRow {
        row: r.excel_row(),
        name: name?,
        kind,
        base_url,
        enabled,
        weight,
        priority,
        timeouts,
        stream_include_usage,
        extra_headers,
        param_overrides,
        key,
    })
}

fn read_providers(range: &Range<Data>, cx: &mut Cx) -> Vec<ProviderDoc> {
    let sheet = Sheet::open(
        PROVIDERS,
        range,
        PROVIDER_COLUMNS,
        PROVIDER_DEAD_COLUMNS,
        &["name", "kind"],
        cx,
    );
    let python_keys = sheet.has("key")
        && normalise_header(&sheet.header("key")) == "api_key"
        && !sheet.has("key_label");
    let mut out: Vec<ProviderDoc> = Vec::new();
    // Provider name -> (index in `out`, the row that introduced it).
    let mut seen: HashMap<String, (usize, u32)> = HashMap::new();
    for row in sheet.data_rows() {
        let mut r = Row {
            sheet: &sheet,
            row,
            cx,
        };
        let Some(p) = read_provider_row(&mut r, python_keys) else {
            continue;
        };
        let idx = match seen.get(&p.name) {
            None => {
                let kind = match p.kind {
                    Ok(Some(k)) => k,
                    Ok(None) => {
                        r.error(Some("kind"), "required, but the cell is blank");
                        ProviderKind::OpenAi
                    }
                    Err(()) => ProviderKind::OpenAi,
                };
                seen.insert(p.name.clone(), (out.len(), p.row));
                out.push(ProviderDoc {
                    name: p.name.clone(),
                    kind,
                    base_url: p.base_url.unwrap_or_default(),
                    enabled: p.enabled.unwrap_or(true),
                    weight: p.weight.unwrap_or(100),
                    priority: p.priority.unwrap_or(0),
                    connect_timeout_ms: p.timeouts[0],
                    first_token_timeout_ms: p.timeouts[1],
                    idle_timeout_ms: p.timeouts[2],
                    total_timeout_ms: p.timeouts[3],
                    extra_headers: p.extra_headers.unwrap_or_default(),
                    param_overrides: p.param_overrides.unwrap_or_default(),
                    stream_include_usage: p.stream_include_usage.unwrap_or(true),
                    keys: Vec::new(),
                });
                out.len() - 1
            }
            Some(&(idx, first)) => {
                // A further key row of the same provider: what it repeats must agree.
                let doc = &out[idx];
                let mut clash = Vec::new();
                if let Ok(Some(k)) = p.kind {
                    if k != doc.kind {
                        clash.push("kind");
                    }
                }
                if p.base_url.is_some_and(|v| v != doc.base_url) {
                    clash.push("base_url");
                }
                if p.enabled.is_some_and(|v| v != doc.enabled) {
                    clash.push("enabled");
                }
                if p.weight.is_some_and(|v| v != doc.weight) {
                    clash.push("weight");
                }
                if p.priority.is_some_and(|v| v != doc.priority) {
                    clash.push("priority");
                }
                let stored = [
                    doc.connect_timeout_ms,
                    doc.first_token_timeout_ms,
                    doc.idle_timeout_ms,
                    doc.total_timeout_ms,
                ];
                for ((v, s), col) in p.timeouts.iter().zip(stored).zip(TIMEOUT_COLUMNS) {
                    if v.is_some() && *v != s {
                        clash.push(col);
                    }
                }
                if p.stream_include_usage
                    .is_some_and(|v| v != doc.stream_include_usage)
                {
                    clash.push("stream_include_usage");
                }
                if p.extra_headers.is_some_and(|v| v != doc.extra_headers) {
                    clash.push("extra_headers");
                }
                if p.param_overrides.is_some_and(|v| v != doc.param_overrides) {
                    clash.push("param_overrides");
                }
                for c in clash {
                    r.error(
                        Some(c),
                        format!(
                            "differs from row {first}, which has the same provider `{}` \
                             (a provider's rows may differ only in their key columns)",
                            p.name
                        ),
                    );
                }
                idx
            }
        };
        if let Some(key) = p.key {
            let keys = &mut out[idx].keys;
            if keys.iter().any(|k| k.label == key.label) {
                let col = if sheet.has("key_label") {
                    "key_label"
                } else {
                    "name"
                };
                r.error(
                    Some(col),
                    format!(
                        "provider `{}` already has a key labelled `{}` on an earlier row",
                        p.name, key.label
                    ),
                );
            } else {
                keys.push(key);
            }
        }
    }
    out
}

fn read_models(range: &Range<Data>, cx: &mut Cx) -> Vec<ModelDoc> {
    let sheet = Sheet::open(
        MODELS,
        range,
        MODEL_COLUMNS,
        MODEL_DEAD_COLUMNS,
        &["name"],
        cx,
    );
    let mut out = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for row in sheet.data_rows() {
        let mut r = Row {
            sheet: &sheet,
            row,
            cx,
        };
        let name = r.required("name", text);
        if let Some(n) = &name {
            r.check("name", check_model_name("name", n));
        }
        let aliases = r.opt("aliases", list).unwrap_or_default();
        for a in &aliases {
            r.check("aliases", check_model_name("aliases", a));
        }
        let description = r.opt("description", text).unwrap_or_default();
        let enabled = r.opt("enabled", boolean).unwrap_or(true);
        let present_requested_name = r.opt("present_requested_name", boolean).unwrap_or(false);
        let Some(name) = name else { continue };
        if let Some(first) = seen.get(&name) {
            r.error(
                Some("name"),
                format!("model `{name}` is already listed on row {first}"),
            );
            continue;
        }
        seen.insert(name.clone(), r.excel_row());
        out.push(ModelDoc {
            name,
            aliases,
            description,
            enabled,
            present_requested_name,
        });
    }
    out
}

fn read_routes(range: &Range<Data>, cx: &mut Cx) -> Vec<RouteDoc> {
    let sheet = Sheet::open(
        ROUTES,
        range,
        ROUTE_COLUMNS,
        &[],
        &["model", "provider"],
        cx,
    );
    let mut out = Vec::new();
    let mut seen: HashMap<(String, String, String), u32> = HashMap::new();
    for row in sheet.data_rows() {
        let mut r = Row {
            sheet: &sheet,
            row,
            cx,
        };
        let model = r.required("model", text);
        if let Some(m) = &model {
            r.check("model", check_model_name("model", m));
        }
        let provider = r.required("provider", text);
        if let Some(p) = &provider {
            r.check("provider", check_provider_name("provider", p));
        }
        let upstream_model = r.opt("upstream_model", text);
        if let Some(u) = &upstream_model {
            r.check("upstream_model", check_model_name("upstream_model", u));
        }
        let weight = r.opt("weight", int32).unwrap_or(1);
        r.check("weight", check_range("weight", weight.into(), 0, 1_000_000));
        let priority = r.opt("priority", int32).unwrap_or(0);
        r.check(
            "priority",
            check_range("priority", priority.into(), -1000, 1000),
        );
        let mut caps = r
            .opt("capabilities", capabilities)
            .unwrap_or_else(|| Capability::DEFAULT.to_vec());
        for (col, cap) in [
            ("supports_tools", Capability::Tools),
            ("supports_vision", Capability::Vision),
            ("supports_json_schema", Capability::JsonSchema),
            ("supports_streaming", Capability::Streaming),
        ] {
            match r.opt(col, boolean) {
                Some(true) if !caps.contains(&cap) => caps.push(cap),
                Some(false) => caps.retain(|c| *c != cap),
                _ => {}
            }
        }
        let price = |r: &mut Row<'_, '_>, col: &str| {
            let p = r.opt(col, number);
            if let Some(v) = p {
                r.check(col, check_price(col, v));
            }
            p
        };
        let price_input = price(&mut r, "price_input").unwrap_or(0.0);
        let price_output = price(&mut r, "price_output").unwrap_or(0.0);
        let price_cached_input = price(&mut r, "price_cached_input");
        let max_tokens_default = r.opt("max_tokens_default", int32);
        if let Some(m) = max_tokens_default {
            r.check(
                "max_tokens_default",
                check_range("max_tokens_default", m.into(), 1, 10_000_000),
            );
        }
        let param_overrides = r.opt("param_overrides", json_object).unwrap_or_default();
        let enabled = r.opt("enabled", boolean).unwrap_or(true);
        let (Some(model), Some(provider)) = (model, provider) else {
            continue;
        };
        let id = (
            model.clone(),
            provider.clone(),
            upstream_model.clone().unwrap_or_else(|| model.clone()),
        );
        if let Some(first) = seen.get(&id) {
            r.error(
                None,
                format!(
                    "route {} -> {}:{} is already listed on row {first}",
                    id.0, id.1, id.2
                ),
            );
            continue;
        }
        seen.insert(id, r.excel_row());
        out.push(RouteDoc {
            model,
            provider,
            upstream_model,
            weight,
            priority,
            capabilities: caps,
            param_overrides,
            price_input,
            price_output,
            price_cached_input,
            max_tokens_default,
            enabled,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// A cell to write.
enum Out {
    Text(String),
    Num(f64),
    Bool(bool),
    Blank,
}

fn text_or_blank(s: &str) -> Out {
    if s.is_empty() {
        Out::Blank
    } else {
        Out::Text(s.to_string())
    }
}

fn opt_num<T: Into<f64>>(v: Option<T>) -> Out {
    v.map_or(Out::Blank, |n| Out::Num(n.into()))
}

fn json_or_blank<T: serde::Serialize>(v: &T, empty: bool) -> Out {
    if empty {
        Out::Blank
    } else {
        // Serialising a map of JSON values cannot fail.
        Out::Text(serde_json::to_string(v).unwrap_or_default())
    }
}

const PROVIDER_HEADERS: &[(&str, f64)] = &[
    ("name", 20.0),
    ("kind", 12.0),
    ("base_url", 36.0),
    ("priority", 9.0),
    ("weight", 9.0),
    ("enabled", 9.0),
    ("key_label", 14.0),
    ("key", 20.0),
    ("key_env", 20.0),
    ("key_hint", 14.0),
    ("key_enabled", 12.0),
    ("key_weight", 11.0),
    ("connect_timeout_ms", 12.0),
    ("first_token_timeout_ms", 12.0),
    ("idle_timeout_ms", 12.0),
    ("total_timeout_ms", 12.0),
    ("stream_include_usage", 12.0),
    ("extra_headers", 24.0),
    ("param_overrides", 24.0),
];

const MODEL_HEADERS: &[(&str, f64)] = &[
    ("name", 28.0),
    ("aliases", 28.0),
    ("description", 36.0),
    ("enabled", 9.0),
    ("present_requested_name", 14.0),
];

const ROUTE_HEADERS: &[(&str, f64)] = &[
    ("model", 28.0),
    ("provider", 20.0),
    ("upstream_model", 28.0),
    ("priority", 9.0),
    ("weight", 9.0),
    ("capabilities", 32.0),
    ("price_input", 11.0),
    ("price_output", 11.0),
    ("price_cached_input", 11.0),
    ("max_tokens_default", 12.0),
    ("param_overrides", 24.0),
    ("enabled", 9.0),
];

fn provider_rows(doc: &CatalogDoc) -> Vec<Vec<Out>> {
    let mut rows = Vec::new();
    for p in &doc.providers {
        // One row per key (a provider without keys still gets its row); the provider's own
        // columns repeat so that every row reads on its own, e.g. after sorting or filtering.
        let keys: Vec<Option<&KeyDoc>> = if p.keys.is_empty() {
            vec![None]
        } else {
            p.keys.iter().map(Some).collect()
        };
        for k in keys {
            let mut row = vec![
                Out::Text(p.name.clone()),
                Out::Text(p.kind.as_str().to_string()),
                text_or_blank(&p.base_url),
                Out::Num(p.priority.into()),
                Out::Num(p.weight.into()),
                Out::Bool(p.enabled),
            ];
            match k {
                Some(k) => row.extend([
                    Out::Text(k.label.clone()),
                    k.key.as_deref().map_or(Out::Blank, text_or_blank),
                    k.key_env.as_deref().map_or(Out::Blank, text_or_blank),
                    k.key_hint.as_deref().map_or(Out::Blank, text_or_blank),
                    Out::Bool(k.enabled),
                    Out::Num(k.weight.into()),
                ]),
                None => row.extend((0..6).map(|_| Out::Blank)),
            }
            row.extend([
                opt_num(p.connect_timeout_ms),
                opt_num(p.first_token_timeout_ms),
                opt_num(p.idle_timeout_ms),
                opt_num(p.total_timeout_ms),
                Out::Bool(p.stream_include_usage),
                json_or_blank(&p.extra_headers, p.extra_headers.is_empty()),
                json_or_blank(&p.param_overrides, p.param_overrides.is_empty()),
            ]);
            rows.push(row);
        }
    }
    rows
}

fn model_rows(doc: &CatalogDoc) -> Vec<Vec<Out>> {
    doc.models
        .iter()
        .map(|m| {
            vec![
                Out::Text(m.name.clone()),
                text_or_blank(&m.aliases.join(", ")),
                text_or_blank(&m.description),
                Out::Bool(m.enabled),
                Out::Bool(m.present_requested_name),
            ]
        })
        .collect()
}

fn route_rows(doc: &CatalogDoc) -> Vec<Vec<Out>> {
    doc.routes
        .iter()
        .map(|r| {
            let caps = if r.capabilities.is_empty() {
                NO_CAPABILITIES.to_string()
            } else {
                r.capabilities
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![
                Out::Text(r.model.clone()),
                Out::Text(r.provider.clone()),
                r.upstream_model
                    .as_deref()
                    .map_or(Out::Blank, text_or_blank),
                Out::Num(r.priority.into()),
                Out::Num(r.weight.into()),
                Out::Text(caps),
                Out::Num(r.price_input),
                Out::Num(r.price_output),
                opt_num(r.price_cached_input),
                opt_num(r.max_tokens_default),
                json_or_blank(&r.param_overrides, r.param_overrides.is_empty()),
                Out::Bool(r.enabled),
            ]
        })
        .collect()
}

fn write_sheet(
    ws: &mut Worksheet,
    name: &str,
    headers: &[(&str, f64)],
    rows: Vec<Vec<Out>>,
    header_format: &CellFormat,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    ws.set_name(name)?;
    for (c, (h, width)) in headers.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *h, header_format)?;
        ws.set_column_width(c, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (r, row) in rows.into_iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.into_iter().enumerate() {
            let c = c as u16;
            match cell {
                Out::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Out::Num(n) => {
                    ws.write_number(r, c, n)?;
                }
                Out::Bool(b) => {
                    ws.write_boolean(r, c, b)?;
                }
                Out::Blank => {}
            }
        }
    }
    Ok(())
}

pub(super) fn render(doc: &CatalogDoc) -> Result<Vec<u8>, FormatError> {
    let err = |e: rust_xlsxwriter::XlsxError| FormatError::Render {
        format: Format::Xlsx,
        message: e.to_string(),
    };
    // The Python version's header style, so the file looks familiar.
    let header = CellFormat::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(0x366092))
        .set_align(FormatAlign::Center);
    let mut wb = Workbook::new();
    write_sheet(
        wb.add_worksheet(),
        PROVIDERS,
        PROVIDER_HEADERS,
        provider_rows(doc),
        &header,
    )
    .map_err(err)?;
    write_sheet(
        wb.add_worksheet(),
        MODELS,
        MODEL_HEADERS,
        model_rows(doc),
        &header,
    )
    .map_err(err)?;
    write_sheet(
        wb.add_worksheet(),
        ROUTES,
        ROUTE_HEADERS,
        route_rows(doc),
        &header,
    )
    .map_err(err)?;
    wb.save_to_buffer().map_err(err)
}
