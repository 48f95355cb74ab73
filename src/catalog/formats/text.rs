//! TOML and JSON: serde straight into [`CatalogDoc`], whose `deny_unknown_fields` turns a
//! misspelt field into an error naming it. `serde_path_to_error` adds where in the document
//! the bad value sits; the parsers add the line and column.

use super::{line_col, Format, FormatError, Parsed};
use crate::catalog::model::CatalogDoc;

/// Windows editors like to start UTF-8 files with a byte-order mark; neither parser wants it.
fn utf8(format: Format, bytes: &[u8]) -> Result<&str, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let (line, col) = line_col(
            &String::from_utf8_lossy(&bytes[..e.valid_up_to()]),
            e.valid_up_to(),
        );
        FormatError::Document {
            format,
            path: String::new(),
            message: "the file is not UTF-8 text".into(),
            line_col: Some((line, col)),
        }
    })
}

pub(super) fn parse_toml(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = utf8(Format::Toml, bytes)?;
    let located = |e: &toml::de::Error| e.span().map(|s| line_col(text, s.start));
    let de = toml::Deserializer::parse(text).map_err(|e| FormatError::Document {
        format: Format::Toml,
        path: String::new(),
        message: e.message().to_string(),
        line_col: located(&e),
    })?;
    let doc: CatalogDoc = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        FormatError::Document {
            format: Format::Toml,
            path,
            message: inner.message().to_string(),
            line_col: located(&inner),
        }
    })?;
    Ok(finish(doc))
}

pub(super) fn parse_json(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = utf8(Format::Json, bytes)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let doc: CatalogDoc = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| {
            let path = e.path().to_string();
            json_error(path, e.into_inner())
        })
        .and_then(|doc| {
            de.end()
                .map(|()| doc)
                .map_err(|e| json_error(String::new(), e))
        })?;
    Ok(finish(doc))
}

fn json_error(path: String, e: serde_json::Error) -> FormatError {
    // serde_json's Display appends " at line L column C"; we print the position our way.
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) if e.line() > 0 => full[..i].to_string(),
        _ => full,
    };
    FormatError::Document {
        format: Format::Json,
        path,
        message,
        line_col: (e.line() > 0).then(|| (e.line(), e.column())),
    }
}

fn finish(doc: CatalogDoc) -> Parsed {
    let mut warnings = Vec::new();
    if doc.providers.is_empty() && doc.models.is_empty() && doc.routes.is_empty() {
        warnings.push("the file lists no providers, models or routes".to_string());
    }
    Parsed { doc, warnings }
}

fn has_secrets(doc: &CatalogDoc) -> bool {
    doc.providers
        .iter()
        .any(|p| p.keys.iter().any(|k| k.key.is_some()))
}

pub(super) fn render_toml(doc: &CatalogDoc) -> Result<Vec<u8>, FormatError> {
    // Not `to_string_pretty`: it spreads every short array over several lines.
    let body = toml::to_string(doc).map_err(|e| FormatError::Render {
        format: Format::Toml,
        message: e.to_string(),
    })?;
    let secrets = if has_secrets(doc) {
        "# THIS FILE HOLDS PROVIDER API KEYS IN CLEAR (exported with --include-secrets):\n\
         # keep it private and out of version control.\n"
    } else {
        "# Provider API keys are not included (only a masked key_hint): on import, a key without\n\
         # `key` or `key_env` keeps the secret already stored. Exports include secrets only\n\
         # when made with --include-secrets.\n"
    };
    let mut out = String::from(
        "# llm-orchestrator catalog: providers (with their keys), models and routes.\n\
         # Written by `llm-orchestrator catalog export`; apply with `catalog import FILE`\n\
         # (`--dry-run` shows the changes first).\n",
    );
    out.push_str(secrets);
    out.push('\n');
    out.push_str(&body);
    Ok(out.into_bytes())
}

pub(super) fn render_json(doc: &CatalogDoc) -> Result<Vec<u8>, FormatError> {
    let mut out = serde_json::to_vec_pretty(doc).map_err(|e| FormatError::Render {
        format: Format::Json,
        message: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}
