//! The catalog: what the gateway routes by — providers, provider keys, models, routes and
//! client keys. The database is the source of truth (`store`); the gateway reads an
//! immutable in-memory snapshot that every change rebuilds and swaps.
pub mod formats;
pub mod model;
pub mod store;

pub use store::{SnapshotData, Store, StoreError};
