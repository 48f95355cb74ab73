//! The admin JSON API under `/admin/`. Every route here sits behind
//! `middleware::require_admin`; handlers assume the caller is the operator.

pub mod health;
