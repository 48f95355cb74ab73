//! The admin key: where it comes from and how a presented key is checked.
//!
//! There is no default admin key. A configured `security.admin_key` (`ADMIN_KEY`) wins.
//! Without one, the first `serve` generates a key, prints it once, and stores only its
//! SHA-256 in `system_settings`; later starts (and other instances on the same database)
//! reuse that hash. Two instances starting together race on an insert-if-absent, and only
//! the winner prints its key.

use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;

use super::{digest_eq, random_key, sha256};

/// The `system_settings` row holding the generated key's hash (hex).
pub const SETTING_NAME: &str = "admin_key_sha256";

/// Where the active admin key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminKeySource {
    Configured,
    Stored,
    Generated,
}

/// The active admin key, kept as a digest only.
#[derive(Clone)]
pub struct AdminKey {
    digest: [u8; 32],
    pub source: AdminKeySource,
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminKey")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl AdminKey {
    pub fn from_plain(key: &str, source: AdminKeySource) -> AdminKey {
        AdminKey {
            digest: sha256(key),
            source,
        }
    }

    /// Constant-time check of a presented key.
    pub fn verify(&self, presented: &str) -> bool {
        digest_eq(&self.digest, &sha256(presented))
    }
}

/// Resolves the admin key for `serve`. Returns the key and, when this call generated it,
/// the plain key to show the operator once.
pub async fn resolve(config: &Config, db: &Db) -> Result<(AdminKey, Option<String>), AppError> {
    if let Some(key) = &config.security.admin_key {
        return Ok((
            AdminKey::from_plain(key.expose(), AdminKeySource::Configured),
            None,
        ));
    }
    if let Some(stored) = stored_digest(db).await? {
        return Ok((
            AdminKey {
                digest: stored,
                source: AdminKeySource::Stored,
            },
            None,
        ));
    }
    let plain = random_key("llmo-admin-");
    let digest = sha256(&plain);
    if db
        .insert_setting_if_absent(SETTING_NAME, &hex::encode(digest))
        .await?
    {
        return Ok((
            AdminKey {
                digest,
                source: AdminKeySource::Generated,
            },
            Some(plain),
        ));
    }
    // Another instance won the race; use its key.
    match stored_digest(db).await? {
        Some(d) => Ok((
            AdminKey {
                digest: d,
                source: AdminKeySource::Stored,
            },
            None,
        )),
        None => Err(AppError::Runtime(format!(
            "{SETTING_NAME} was neither inserted nor found in system_settings"
        ))),
    }
}

/// The stored admin key digest, if a valid one is present.
async fn stored_digest(db: &Db) -> Result<Option<[u8; 32]>, AppError> {
    let Some(hex_digest) = db.get_setting(SETTING_NAME).await? else {
        return Ok(None);
    };
    let bytes = hex::decode(hex_digest.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    match bytes {
        Some(d) => Ok(Some(d)),
        None => Err(AppError::Runtime(format!(
            "system_settings.{SETTING_NAME} is not a SHA-256 hex digest; delete the row to \
             generate a new admin key, or set ADMIN_KEY"
        ))),
    }
}
