//! The database as subcommands open it: connect with the configured settings and bring the
//! schema up to date the way `serve` does, so every tool that reads or writes the catalog
//! sees the same schema. Not a subcommand itself.

use crate::catalog::store::{Store, StoreError};
use crate::config::Config;
use crate::db::{Db, DbSettings};
use crate::error::AppError;
use crate::security::secrets::{MasterKeySource, Secrets};

/// Connects and applies pending migrations (or refuses, see [`prepare_schema`]).
/// `max_connections` is the pool size: `serve` uses the configured one, one-shot tools need
/// only a couple.
pub async fn open(config: &Config, max_connections: u32) -> Result<Db, AppError> {
    let db = connect(config, max_connections).await?;
    prepare_schema(&db, config.database.auto_migrate).await?;
    Ok(db)
}

/// Connects with the configured URL and timeout, schema untouched (for `migrate` and
/// `backup`, which deal with the schema themselves).
pub async fn connect(config: &Config, max_connections: u32) -> Result<Db, AppError> {
    Ok(Db::connect(&DbSettings {
        url: config.database.url.clone(),
        max_connections,
        connect_timeout: config.database.connect_timeout,
    })
    .await?)
}

/// Applies pending migrations, or refuses when that is switched off or the database was
/// migrated by a newer binary.
pub async fn prepare_schema(db: &Db, auto_migrate: bool) -> Result<(), AppError> {
    let status = db.migration_status().await?;
    if !status.unknown_applied.is_empty() {
        return Err(AppError::Runtime(format!(
            "the database has migrations this binary does not know ({}): it was migrated by a \
             newer llm-orchestrator; upgrade this binary",
            status.unknown_applied.join(", ")
        )));
    }
    let pending = status.pending();
    if pending == 0 {
        return Ok(());
    }
    if !auto_migrate {
        return Err(AppError::Runtime(format!(
            "{pending} database migration(s) pending and database.auto_migrate is off: run \
             `llm-orchestrator migrate run` first"
        )));
    }
    let applied = db.run_migrations().await?;
    tracing::info!(
        count = applied.len(),
        "applied database migrations: {}",
        applied.join(", ")
    );
    Ok(())
}

/// The catalog store for a one-shot tool: the database (migrated) plus the master key.
///
/// `with_master_key`: load (or create) the key that encrypts provider keys, exactly as
/// `serve` does, for tools that read or write provider secrets. Tools that never touch them
/// (client keys are hashed, not encrypted) get a throwaway key instead, so that e.g. `keys
/// list` run as root does not create a key file the service's user then cannot read.
pub async fn open_store(config: &Config, with_master_key: bool) -> Result<Store, AppError> {
    let secrets = if with_master_key {
        open_secrets(config)?
    } else {
        Secrets::random()
    };
    let db = open(config, 2).await?;
    Ok(Store::new(db, secrets))
}

/// The master key that encrypts provider keys, as `serve` and the tools load it. A generated
/// one is announced, because losing it makes every stored provider key unreadable.
pub fn open_secrets(config: &Config) -> Result<Secrets, AppError> {
    let (secrets, source) = Secrets::load_or_create(&config.security)
        .map_err(|e| AppError::Runtime(format!("master key: {e}")))?;
    if let MasterKeySource::Generated(path) = &source {
        tracing::warn!(
            "generated a new master key in {} (mode 0600): back it up; provider keys cannot be \
             decrypted without it, and every instance on this database needs the same key",
            path.display()
        );
    }
    Ok(secrets)
}

/// A store error as the CLI reports it (exit code 2; the message names what is wrong).
pub fn store_error(e: StoreError) -> AppError {
    AppError::Runtime(e.to_string())
}
