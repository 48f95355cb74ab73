//! The catalog's storage: providers, provider keys, models, routes and client keys in the
//! database, with validation, conflict checks, encryption of provider keys, the snapshot the
//! gateway loads, and import / export of the declarative catalog document.
//!
//! Owns the rules a write must pass (names unique, model names and aliases one namespace,
//! key labels unique per provider, batch calls all or nothing) and the guarantee that no read
//! returns a provider key in clear, except `load_snapshot` (for the gateway) and an export
//! that asks for secrets. The vocabulary is `catalog::model`; row structs are `db::rows`;
//! HTTP, file formats and the in-memory snapshot are other modules' business.
//!
//! Layout: `conn` (one connection type over the backends, transactions, per-table queries),
//! one file per resource, `snapshot` (the gateway's view and export), `import`, and `health`
//! (the gateway's saved circuit states, which hang off providers and keys).

mod client_keys;
pub(crate) mod conn;
mod health;
mod import;
mod models;
mod provider_keys;
mod providers;
mod routes;
mod snapshot;

use diesel::result::Error as DieselError;

pub use self::health::HealthRecord;

use self::conn::{delete_ids, distinct, require_ids, set_enabled_ids, tx, Conn, Table, TxMode};
use super::model::{ClientKey, Invalid, Model, Page, Paging, Provider, ProviderKey, Route};
use crate::db::{Db, DbError};
use crate::security::secrets::{Secrets, SecretsError};

/// The catalog in the database. Cheap to clone (pools and keys are shared).
#[derive(Clone)]
pub struct Store {
    db: Db,
    secrets: Secrets,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// "provider 7 not found", "model `gpt-4o` not found".
    #[error("{0}")]
    NotFound(String),
    /// "a provider named `openai-main` already exists".
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Invalid(Invalid),
    #[error(transparent)]
    Db(DbError),
    /// A stored provider key does not decrypt (the master key does not match).
    #[error("{0}")]
    Secret(String),
}

impl From<Invalid> for StoreError {
    fn from(e: Invalid) -> StoreError {
        StoreError::Invalid(e)
    }
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> StoreError {
        StoreError::Db(e)
    }
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> StoreError {
        StoreError::Db(DbError::Query(e))
    }
}

impl From<SecretsError> for StoreError {
    fn from(e: SecretsError) -> StoreError {
        StoreError::Secret(e.to_string())
    }
}

impl StoreError {
    /// Names where in a batch or a file the error happened: `Invalid` fields become
    /// `{prefix}.{field}` (or `{prefix}{field}` when the field starts with `[`), other
    /// messages get `{prefix}: ` in front.
    pub(crate) fn within(self, prefix: &str) -> StoreError {
        match self {
            StoreError::Invalid(i) => StoreError::Invalid(invalid_within(prefix, i)),
            StoreError::NotFound(m) => StoreError::NotFound(format!("{prefix}: {m}")),
            StoreError::Conflict(m) => StoreError::Conflict(format!("{prefix}: {m}")),
            StoreError::Secret(m) => StoreError::Secret(format!("{prefix}: {m}")),
            other @ StoreError::Db(_) => other,
        }
    }
}

pub(crate) fn invalid_within(prefix: &str, i: Invalid) -> Invalid {
    let field = if i.field.is_empty() {
        prefix.to_string()
    } else if i.field.starts_with('[') {
        format!("{prefix}{}", i.field)
    } else {
        format!("{prefix}.{}", i.field)
    };
    Invalid::new(field, i.message)
}

/// Everything the gateway routes by, read in one consistent snapshot.
#[derive(Clone)]
pub struct SnapshotData {
    pub providers: Vec<Provider>,
    /// Every provider key with its decrypted secret.
    pub keys: Vec<(ProviderKey, String)>,
    pub models: Vec<Model>,
    pub routes: Vec<Route>,
    /// Every client key with its `key_hash` (hex SHA-256).
    pub client_keys: Vec<(ClientKey, String)>,
}

/// Debug without the secrets, so a stray `{:?}` cannot leak a provider key.
impl std::fmt::Debug for SnapshotData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&ProviderKey> = self.keys.iter().map(|(k, _)| k).collect();
        f.debug_struct("SnapshotData")
            .field("providers", &self.providers)
            .field("keys", &keys)
            .field("models", &self.models)
            .field("routes", &self.routes)
            .field("client_keys", &self.client_keys.len())
            .finish()
    }
}

impl Store {
    pub fn new(db: Db, secrets: Secrets) -> Store {
        Store { db, secrets }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Deletes every row of `ids` or none: an unknown id is NotFound naming it.
    async fn delete_many<R: Resource>(&self, ids: &[i64]) -> Result<u64, StoreError> {
        let ids = distinct(ids);
        tx!(&self.db, TxMode::Write, c => {
            require_ids(c, R::TABLE, &ids).await?;
            delete_ids(c, R::TABLE, &ids).await?;
            Ok::<_, StoreError>(ids.len() as u64)
        })
    }

    /// Enables or disables every row of `ids` or none; returns how many ids were given.
    async fn set_enabled_many<R: Resource>(
        &self,
        ids: &[i64],
        enabled: bool,
    ) -> Result<u64, StoreError> {
        let ids = distinct(ids);
        tx!(&self.db, TxMode::Write, c => {
            require_ids(c, R::TABLE, &ids).await?;
            set_enabled_ids(c, R::TABLE, &ids, enabled).await?;
            Ok::<_, StoreError>(ids.len() as u64)
        })
    }
}

/// A page of a list: the rows and the paging that selected them.
fn page<T>(data: Vec<T>, total: i64, p: Paging) -> Page<T> {
    Page {
        data,
        total,
        limit: p.limit,
        offset: p.offset,
    }
}

/// Names the item of a batch (or list) an error is about: `[2].name`, `keys[0]: ...`.
fn at_index(list: &str, i: usize) -> impl FnOnce(StoreError) -> StoreError + '_ {
    move |e| e.within(&format!("{list}[{i}]"))
}

/// A catalog resource read and patched the same way as the others; the generic `Store`
/// methods below hold the transaction and batch logic once for all of them.
pub(crate) trait Resource: Sized + Send {
    const TABLE: Table;
    type Patch: Send;

    /// The row with `id`, as the API returns it; NotFound naming the id.
    async fn get(c: &mut Conn<'_>, id: i64) -> Result<Self, StoreError>;

    /// Applies `patch` to the row with `id` (validating the result).
    async fn update(
        c: &mut Conn<'_>,
        store: &Store,
        id: i64,
        patch: Self::Patch,
    ) -> Result<(), StoreError>;
}

/// A resource created from an input that may come in batches.
pub(crate) trait Create: Resource {
    type New: Send;

    /// Validates, checks conflicts and inserts; returns the new id.
    async fn insert(c: &mut Conn<'_>, store: &Store, new: Self::New) -> Result<i64, StoreError>;
}

impl Store {
    async fn get_one<R: Resource>(&self, id: i64) -> Result<R, StoreError> {
        tx!(&self.db, TxMode::Read, c => R::get(c, id).await)
    }

    async fn create_one<R: Create>(&self, new: R::New) -> Result<R, StoreError> {
        tx!(&self.db, TxMode::Write, c => {
            let id = R::insert(c, self, new).await?;
            R::get(c, id).await
        })
    }

    /// All or nothing: the first bad item rolls back the others and names its index.
    async fn create_batch<R: Create>(&self, items: Vec<R::New>) -> Result<Vec<R>, StoreError> {
        tx!(&self.db, TxMode::Write, c => {
            let mut ids = Vec::with_capacity(items.len());
            for (i, new) in items.into_iter().enumerate() {
                ids.push(R::insert(c, self, new).await.map_err(at_index("", i))?);
            }
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(R::get(c, id).await?);
            }
            Ok(out)
        })
    }

    async fn update_one<R: Resource>(&self, id: i64, patch: R::Patch) -> Result<R, StoreError> {
        tx!(&self.db, TxMode::Write, c => {
            R::update(c, self, id, patch).await?;
            R::get(c, id).await
        })
    }
}

/// Copies each field that a patch sets onto the full input it applies to:
/// `apply_patch!(patch => target; name, weight)`. Works for `Option<Option<T>>` patch
/// fields too (the inner `Option` replaces the target's).
macro_rules! apply_patch {
    ($patch:expr => $target:expr; $($field:ident),+ $(,)?) => {
        $(
            if let Some(v) = $patch.$field {
                $target.$field = v;
            }
        )+
    };
}
use apply_patch;

/// The `Store` methods that only delegate to the generic ones above, under each resource's
/// own names (the admin API and the CLI call these).
macro_rules! resource_api {
    ($ty:ty, $patch:ty, $noun:literal {
        get: $get:ident,
        update: $update:ident,
        delete: $delete:ident,
        delete_many: $delete_many:ident,
        set_enabled: $set_enabled:ident,
        $(create: $create:ident ($new:ty), create_many: $create_many:ident,)?
    }) => {
        impl Store {
            #[doc = concat!("The ", $noun, " with `id`; NotFound naming the id.")]
            pub async fn $get(&self, id: i64) -> Result<$ty, StoreError> {
                self.get_one(id).await
            }

            #[doc = concat!(
                "Applies `patch` to the ", $noun, " (absent fields keep their value, `null` ",
                "clears a nullable one), validates the result and returns it."
            )]
            pub async fn $update(&self, id: i64, patch: $patch) -> Result<$ty, StoreError> {
                self.update_one(id, patch).await
            }

            #[doc = concat!("Deletes the ", $noun, "; foreign keys cascade to what hangs off it.")]
            pub async fn $delete(&self, id: i64) -> Result<(), StoreError> {
                self.delete_many::<$ty>(&[id]).await.map(drop)
            }

            #[doc = concat!(
                "Deletes every ", $noun, " of `ids` or none (an unknown id is NotFound naming ",
                "it); returns how many ids were given."
            )]
            pub async fn $delete_many(&self, ids: &[i64]) -> Result<u64, StoreError> {
                self.delete_many::<$ty>(ids).await
            }

            #[doc = concat!(
                "Enables or disables every ", $noun, " of `ids` or none (an unknown id is ",
                "NotFound naming it); returns how many ids were given."
            )]
            pub async fn $set_enabled(&self, ids: &[i64], enabled: bool) -> Result<u64, StoreError> {
                self.set_enabled_many::<$ty>(ids, enabled).await
            }

            $(
                #[doc = concat!("Validates, checks conflicts and creates the ", $noun, ".")]
                pub async fn $create(&self, new: $new) -> Result<$ty, StoreError> {
                    self.create_one(new).await
                }

                #[doc = concat!(
                    "Creates every ", $noun, " or none: the first bad item rolls back the ",
                    "others and the error names its index (`[2].name: ...`)."
                )]
                pub async fn $create_many(&self, items: Vec<$new>) -> Result<Vec<$ty>, StoreError> {
                    self.create_batch(items).await
                }
            )?
        }
    };
}
use resource_api;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::*;

    /// Handlers and background tasks spawn these futures: they must stay `Send`.
    #[allow(dead_code)]
    fn store_futures_are_send(s: &Store, doc: &CatalogDoc) {
        fn send<T: Send>(_: T) {}
        send(s.list_providers(&ProviderFilter::default(), Paging::default()));
        send(s.create_providers(Vec::new()));
        send(s.create_provider_keys(1, Vec::new()));
        send(s.update_provider(1, ProviderPatch::default()));
        send(s.create_model(NewModel {
            name: "m".into(),
            aliases: vec![],
            description: String::new(),
            enabled: true,
            present_requested_name: false,
        }));
        send(s.create_client_key(NewClientKey {
            name: "c".into(),
            enabled: true,
            expires_at: None,
            allowed_models: vec![],
            note: None,
        }));
        send(s.update_route(1, RoutePatch::default()));
        send(s.delete_models(&[1]));
        send(s.rotate_client_key(1));
        send(s.load_snapshot());
        send(s.export_catalog(false));
        send(s.import_catalog(doc, ImportOptions::default()));
    }

    #[test]
    fn errors_inside_a_batch_or_file_name_the_entry() {
        let e = StoreError::Invalid(Invalid::new("keys[0].label", "bad")).within("[2]");
        assert_eq!(e.to_string(), "[2].keys[0].label: bad");
        let e = StoreError::Invalid(Invalid::new("[0].key", "bad")).within("keys");
        assert_eq!(e.to_string(), "keys[0].key: bad");
        let e = StoreError::Conflict("a provider named `x` already exists".into()).within("[1]");
        assert_eq!(e.to_string(), "[1]: a provider named `x` already exists");
    }
}
