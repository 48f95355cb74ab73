//! The catalog: what the gateway routes by — providers, provider keys, models, routes and
//! client keys. The database is the source of truth (`store`); the gateway reads an
//! immutable in-memory snapshot (`snapshot`) that every change rebuilds and swaps (`live`).
//! File formats for import/export live in `formats`.
pub mod formats;
pub mod live;
pub mod model;
pub mod snapshot;
pub mod store;

pub use live::{notify_changed, LiveCatalog};
pub use store::{SnapshotData, Store, StoreError};
