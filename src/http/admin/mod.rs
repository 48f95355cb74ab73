//! The admin JSON API under `/admin/`. Every route here sits behind
//! `middleware::require_admin`; handlers assume the caller is the operator.

pub mod accounting;
pub mod catalog;
pub mod health;
pub mod resources;
pub mod table;

use actix_web::http::Method;
use actix_web::web;

use resources::{register, ClientKeys, Models, Providers, Routes};
use table::{doc, Entry, RouteTable};

/// Registers every admin route, relative to the `/admin` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    define(&mut RouteTable::registering(cfg));
}

/// Every admin route with its full path and documentation, from the same definitions actix
/// registers.
pub fn route_table() -> Vec<Entry> {
    let mut t = RouteTable::listing();
    define(&mut t);
    t.into_entries()
        .into_iter()
        .map(|e| Entry {
            path: format!("/admin{}", e.path),
            ..e
        })
        .collect()
}

fn define(t: &mut RouteTable<'_>) {
    t.add(
        Method::GET,
        "/health",
        doc(
            "system",
            "Database, Redis, uptime and version of this instance",
        )
        .returns_object(
            200,
            "status, database, redis, providers (counts of providers and keys by health state, \
             the unhealthy ones, the probe settings), uptime_seconds, version, warnings",
        ),
        health::system_health,
    );
    t.add(
        Method::GET,
        "/providers/{id}/health",
        doc(
            "providers",
            "Health of a provider and of each of its keys: circuit state, failures, last error",
        )
        .returns::<health::ProviderHealth>(200),
        health::provider_health,
    );
    register::<Providers>(t);
    register::<Models>(t);
    register::<Routes>(t);
    register::<ClientKeys>(t);
    catalog::register(t);
    accounting::register(t);
}
