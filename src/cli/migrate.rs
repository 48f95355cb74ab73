//! `migrate run|status|list`: the embedded schema migrations, applied or inspected.
//!
//! `status` exits 1 when migrations are pending (or the database is newer than the binary),
//! so deploy scripts can gate on it.

use clap::{Args, Subcommand};
use serde_json::json;

use super::{init_logging, load_config, runtime, Cli};
use crate::db::{Db, MigrationStatus};
use crate::error::AppError;
use crate::telemetry::LogTarget;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: MigrateAction,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (safe to run from several instances at once)
    Run {
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// Say whether migrations are pending (exit 1 if so)
    Status {
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
    /// List every migration this binary carries, with its state
    List {
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cli: &Cli, args: &MigrateArgs) -> Result<(), AppError> {
    let loaded = load_config(cli, Vec::new())?;
    let _log = init_logging(&loaded, LogTarget::Stderr)?;
    let config = loaded.config;
    runtime()?.block_on(async move {
        let db = super::database::connect(&config, 2).await?;
        match args.action {
            MigrateAction::Run { json } => run_pending(&db, json).await,
            MigrateAction::Status { json } => status(&db, json).await,
            MigrateAction::List { json } => list(&db, json).await,
        }
    })
}

async fn run_pending(db: &Db, json: bool) -> Result<(), AppError> {
    let before = db.migration_status().await?;
    refuse_newer_schema(&before)?;
    let applied = db.run_migrations().await?;
    if json {
        println!(
            "{}",
            json!({ "backend": db.backend().as_str(), "applied": applied })
        );
    } else if applied.is_empty() {
        println!(
            "database is up to date ({} migrations)",
            before.migrations.len()
        );
    } else {
        for v in &applied {
            println!("applied {v}");
        }
        println!("{} migration(s) applied", applied.len());
    }
    Ok(())
}

async fn status(db: &Db, json: bool) -> Result<(), AppError> {
    let st = db.migration_status().await?;
    let pending = st.pending();
    if json {
        println!(
            "{}",
            json!({
                "backend": db.backend().as_str(),
                "total": st.migrations.len(),
                "pending": pending,
                "unknown_applied": st.unknown_applied,
            })
        );
    } else if pending == 0 && st.unknown_applied.is_empty() {
        println!("up to date: {} migration(s) applied", st.migrations.len());
    } else if pending > 0 {
        println!("{pending} of {} migration(s) pending", st.migrations.len());
    }
    refuse_newer_schema(&st)?;
    if pending > 0 {
        return Err(AppError::CheckFailed(format!(
            "{pending} migration(s) pending; run `llm-orchestrator migrate run`"
        )));
    }
    Ok(())
}

async fn list(db: &Db, json: bool) -> Result<(), AppError> {
    let st = db.migration_status().await?;
    if json {
        let rows: Vec<_> = st
            .migrations
            .iter()
            .map(|m| json!({ "version": m.version, "name": m.name, "applied": m.applied }))
            .collect();
        println!(
            "{}",
            json!({ "migrations": rows, "unknown_applied": st.unknown_applied })
        );
    } else {
        for m in &st.migrations {
            let state = if m.applied { "applied" } else { "pending" };
            println!("{:<8} {}", state, m.name);
        }
        for v in &st.unknown_applied {
            println!("{:<8} {v} (not known to this binary)", "unknown");
        }
    }
    Ok(())
}

fn refuse_newer_schema(st: &MigrationStatus) -> Result<(), AppError> {
    if st.unknown_applied.is_empty() {
        return Ok(());
    }
    Err(AppError::Runtime(format!(
        "the database has migrations this binary does not know ({}); upgrade llm-orchestrator",
        st.unknown_applied.join(", ")
    )))
}
