//! `backup create|verify|restore`: the CLI over `crate::backup`.
//!
//! Exit codes: 0 done; 1 `verify` (or `restore`'s own verification) found the file corrupt;
//! 2 anything else (unreadable file, refused restore, database error). Progress goes to
//! stderr, results to stdout.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{init_logging, load_config, runtime, Cli};
use crate::backup::{self, BackupError, CreateOptions, RestoreOptions};
use crate::config::FlagValue;
use crate::error::AppError;
use crate::telemetry::LogTarget;

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub action: BackupAction,
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Write a consistent backup of every table (safe while `serve` runs)
    Create {
        /// Directory for the backup file; overrides backup.dir
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// After a successful backup, delete backups in DIR older than N days
        #[arg(long, value_name = "N")]
        keep_days: Option<u32>,
        /// gzip the file (.jsonl.gz)
        #[arg(long)]
        compress: bool,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// Check a backup file's structure, row counts and checksum (exit 1 if corrupt)
    Verify {
        file: PathBuf,
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// Load a backup into the configured database, replacing its rows in one transaction
    Restore {
        file: PathBuf,
        /// Replace the contents of a non-empty database
        #[arg(long)]
        yes: bool,
    },
}

impl From<BackupError> for AppError {
    fn from(e: BackupError) -> AppError {
        match e {
            BackupError::Corrupt { .. } => AppError::CheckFailed(format!("corrupt backup: {e}")),
            BackupError::Db(e) => AppError::Db(e),
            BackupError::Io { context, source } => AppError::Io { context, source },
            BackupError::Refused(m) => AppError::Runtime(m),
        }
    }
}

pub fn run(cli: &Cli, args: &BackupArgs) -> Result<(), AppError> {
    if let BackupAction::Verify { file, json } = &args.action {
        // Needs no configuration or database: a file check anyone can run anywhere.
        let header = backup::verify(file)?;
        if *json {
            println!(
                "{}",
                json!({ "file": file, "valid": true, "header": header })
            );
        } else {
            println!(
                "{}: ok ({} rows in {} tables, schema {}, from {} at {})",
                file.display(),
                header.total_rows(),
                header.tables.len(),
                header.schema_version,
                header.backend,
                header.created_at
            );
        }
        return Ok(());
    }
    let mut flags = Vec::new();
    if let BackupAction::Create { dir: Some(d), .. } = &args.action {
        flags.push(FlagValue {
            key: "backup.dir",
            value: d.display().to_string(),
            flag: "--dir",
        });
    }
    let loaded = load_config(cli, flags)?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config;
    runtime()?.block_on(async move {
        let db = super::database::connect(&config, 2).await?;
        match &args.action {
            BackupAction::Create {
                keep_days,
                compress,
                json,
                ..
            } => {
                let created = backup::create(
                    &db,
                    &CreateOptions {
                        dir: config.backup.dir.clone(),
                        compress: *compress,
                        keep_days: *keep_days,
                    },
                )
                .await?;
                if *json {
                    println!(
                        "{}",
                        json!({
                            "file": created.path,
                            "sha256": created.sha256,
                            "rows": created.header.total_rows(),
                            "tables": created.header.tables,
                            "pruned": created.pruned,
                        })
                    );
                } else {
                    println!(
                        "wrote {} ({} rows, sha256 {})",
                        created.path.display(),
                        created.header.total_rows(),
                        created.sha256
                    );
                    for p in &created.pruned {
                        println!("pruned {}", p.display());
                    }
                }
                Ok(())
            }
            BackupAction::Restore { file, yes } => {
                let restored = backup::restore(&db, file, &RestoreOptions { yes: *yes }).await?;
                println!(
                    "restored {} rows into {} from {} (replaced {} rows)",
                    restored.header.total_rows(),
                    db.backend(),
                    file.display(),
                    restored.replaced_rows
                );
                Ok(())
            }
            BackupAction::Verify { .. } => unreachable!("handled above"),
        }
    })
}
