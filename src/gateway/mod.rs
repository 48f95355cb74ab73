//! The request engine: routing (which upstream first), failover (attempts, classification),
//! health (circuit breakers). Wire protocols live in `providers`; the catalog it routes by in
//! `catalog`.
pub mod circuit;
pub mod classify;
pub mod engine;
pub mod error;
pub mod health;
pub mod health_persist;
pub mod health_share;
pub mod key_usage;
pub mod probe;
pub mod relay;
pub mod request_body;
pub mod routing;
pub mod upstream;
