//! `catalog export|import`: the whole catalog (providers with their keys, models, routes) to
//! and from a TOML, JSON or xlsx file, so an operator can keep it in git or move it between
//! installations.
//!
//! The file is read and checked before the database is opened: a bad file exits 2 with
//! every problem listed and nothing written. Import is one transaction in the store, so a
//! file that parses but does not apply (a route to an unknown provider) changes nothing
//! either. Exports leave provider keys out unless `--include-secrets` asks for them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use super::database::{open_store, store_error};
use super::{init_logging, load_config, runtime, Cli};
use crate::catalog::formats::{self, Format};
use crate::catalog::model::{CatalogDoc, ImportOptions, ImportReport};
use crate::error::AppError;
use crate::telemetry::LogTarget;

#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub action: CatalogAction,
}

#[derive(Debug, Subcommand)]
pub enum CatalogAction {
    /// Write the catalog to a file (provider keys only as masked hints, unless asked)
    Export {
        /// The file to write; `-` writes TOML or JSON to stdout
        file: PathBuf,
        /// File format; default: from the file's extension (.toml, .json, .xlsx), TOML for `-`
        #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
        format: Option<Format>,
        /// Also write provider API keys, in clear. Keep such a file private
        #[arg(long)]
        include_secrets: bool,
    },
    /// Apply a catalog file: create and update what it lists (and with --prune, delete the
    /// rest). Prints the changes
    Import {
        /// The file to read; `-` reads stdin
        file: PathBuf,
        /// File format; default: from the file's extension (.toml, .json, .xlsx), TOML for `-`
        #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
        format: Option<Format>,
        /// Show what would change, write nothing
        #[arg(long)]
        dry_run: bool,
        /// Also delete providers, keys, models and routes the file does not list
        #[arg(long)]
        prune: bool,
        /// Print the changes as JSON
        #[arg(long)]
        json: bool,
    },
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn format_of(path: &Path, explicit: Option<Format>) -> Result<Format, AppError> {
    if is_stdio(path) {
        return Ok(explicit.unwrap_or(Format::Toml));
    }
    Format::resolve(path, explicit).map_err(|e| AppError::Runtime(e.to_string()))
}

pub fn run(cli: &Cli, args: &CatalogArgs) -> Result<(), AppError> {
    match &args.action {
        CatalogAction::Export {
            file,
            format,
            include_secrets,
        } => export(cli, file, *format, *include_secrets),
        CatalogAction::Import {
            file,
            format,
            dry_run,
            prune,
            json,
        } => import(
            cli,
            file,
            *format,
            ImportOptions {
                dry_run: *dry_run,
                prune: *prune,
            },
            *json,
        ),
    }
}

fn export(
    cli: &Cli,
    file: &Path,
    format: Option<Format>,
    include_secrets: bool,
) -> Result<(), AppError> {
    let format = format_of(file, format)?;
    if is_stdio(file) && !format.is_text() {
        return Err(AppError::Runtime(
            "xlsx is not written to stdout: name a file".into(),
        ));
    }
    let loaded = load_config(cli, Vec::new())?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config;
    if include_secrets {
        tracing::warn!(
            "--include-secrets: writing provider API keys in clear to {}; keep that file private",
            if is_stdio(file) {
                "stdout".to_string()
            } else {
                file.display().to_string()
            }
        );
    }
    let doc = runtime()?.block_on(async {
        let store = open_store(&config, include_secrets).await?;
        store
            .export_catalog(include_secrets)
            .await
            .map_err(store_error)
    })?;
    let bytes = formats::render(format, &doc).map_err(|e| AppError::Runtime(e.to_string()))?;
    if is_stdio(file) {
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(|e| AppError::io("cannot write to stdout", e))?;
    } else {
        write_file(file, &bytes, include_secrets)?;
        println!("wrote {} ({format}): {}", file.display(), summary(&doc));
    }
    Ok(())
}

fn summary(doc: &CatalogDoc) -> String {
    let keys: usize = doc.providers.iter().map(|p| p.keys.len()).sum();
    format!(
        "{} provider(s) with {keys} key(s), {} model(s), {} route(s)",
        doc.providers.len(),
        doc.models.len(),
        doc.routes.len()
    )
}

/// Writes next to the target and renames, so a failed export never leaves half a file where
/// a good one was. A file with secrets is created readable by its owner only.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), AppError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "catalog".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if private { 0o600 } else { 0o644 })
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        AppError::io(format!("cannot write {}", path.display()), e)
    })
}

fn read_input(file: &Path) -> Result<Vec<u8>, AppError> {
    if is_stdio(file) {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| AppError::io("cannot read stdin", e))?;
        return Ok(buf);
    }
    std::fs::read(file).map_err(|e| AppError::io(format!("cannot read {}", file.display()), e))
}

fn import(
    cli: &Cli,
    file: &Path,
    format: Option<Format>,
    opts: ImportOptions,
    json: bool,
) -> Result<(), AppError> {
    let format = format_of(file, format)?;
    let loaded = load_config(cli, Vec::new())?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config;

    // The file first: a bad one must not even open the database.
    let bytes = read_input(file)?;
    let parsed = formats::parse(format, &bytes)
        .map_err(|e| AppError::Runtime(format!("{}: {e}", file.display())))?;
    for w in &parsed.warnings {
        tracing::warn!("{}: {w}", file.display());
    }

    let report = runtime()?.block_on(async {
        let store = open_store(&config, true).await?;
        let report = store
            .import_catalog(&parsed.doc, opts)
            .await
            .map_err(|e| AppError::Runtime(format!("{}: {}", file.display(), e)))?;
        if !report.dry_run && !report.changes.is_empty() {
            // Running servers reload now rather than at their next periodic refresh.
            crate::catalog::notify_changed(&config).await;
        }
        Ok::<_, AppError>(report)
    })?;

    if json {
        let mut value = serde_json::to_value(&report)
            .map_err(|e| AppError::Runtime(format!("cannot encode the report: {e}")))?;
        value["warnings"] = json!(parsed.warnings);
        println!("{value}");
    } else {
        print!("{}", report_table(&report));
    }
    Ok(())
}

/// The changes as an aligned table and a closing summary line.
fn report_table(report: &ImportReport) -> String {
    let mut out = String::new();
    if !report.changes.is_empty() {
        let rows: Vec<[String; 4]> = report
            .changes
            .iter()
            .map(|c| {
                [
                    c.action.clone(),
                    c.resource.clone(),
                    c.name.clone(),
                    c.fields.join(", "),
                ]
            })
            .collect();
        let header = [
            "ACTION".to_string(),
            "RESOURCE".into(),
            "NAME".into(),
            "FIELDS".into(),
        ];
        let mut widths = header.clone().map(|h| h.chars().count());
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for r in std::iter::once(&header).chain(&rows) {
            let line = r
                .iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ");
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let changes = report.changes.len();
    let tail = match (changes, report.dry_run) {
        (0, _) => format!("no changes ({} unchanged)", report.unchanged),
        (n, true) => format!(
            "{n} change(s) would be made, {} unchanged (dry run: nothing was written)",
            report.unchanged
        ),
        (n, false) => format!("{n} change(s) made, {} unchanged", report.unchanged),
    };
    out.push_str(&tail);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::Change;

    #[test]
    fn the_change_table_is_aligned_and_ends_with_a_summary() {
        let report = ImportReport {
            dry_run: true,
            changes: vec![
                Change {
                    resource: "provider".into(),
                    name: "openai-main".into(),
                    action: "create".into(),
                    fields: vec![],
                },
                Change {
                    resource: "route".into(),
                    name: "gpt-4o -> openai-main:gpt-4o".into(),
                    action: "update".into(),
                    fields: vec!["weight".into(), "priority".into()],
                },
            ],
            unchanged: 3,
        };
        assert_eq!(
            report_table(&report),
            "ACTION  RESOURCE  NAME                          FIELDS\n\
             create  provider  openai-main\n\
             update  route     gpt-4o -> openai-main:gpt-4o  weight, priority\n\
             2 change(s) would be made, 3 unchanged (dry run: nothing was written)\n"
        );
        let none = ImportReport {
            dry_run: false,
            changes: vec![],
            unchanged: 4,
        };
        assert_eq!(report_table(&none), "no changes (4 unchanged)\n");
    }
}
