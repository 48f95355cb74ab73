//! The one integration-test binary (one link step instead of one per file). Each module is a
//! group of tests; `util` holds the helpers they share.
mod accounting;
mod admin_catalog;
mod backup_cmd;
mod catalog_store;
mod cli_catalog;
mod cli_config;
mod conformance;
mod db;
mod docs;
mod gateway;
mod generated;
mod health;
mod health_cmd;
mod inbound;
mod migrate_cmd;
mod mock_upstream;
mod packaging;
mod sdk;
mod self_update;
mod serve;
mod upstream_kinds;
mod util;
