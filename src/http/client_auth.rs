//! Who is calling the client APIs: the key from `Authorization: Bearer` or `X-API-Key`,
//! looked up by hash in the catalog snapshot (no database on the request path), or one of
//! the configured `gateway.api_keys`. Protocol-neutral: each inbound API renders the
//! [`GatewayError`] in its own shape.

use std::sync::Arc;

use actix_web::HttpRequest;
use chrono::Utc;

use crate::catalog::model::ClientKey;
use crate::catalog::snapshot::Snapshot;
use crate::gateway::engine::Gateway;
use crate::gateway::error::{ErrorKind, GatewayError};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A client key from the catalog.
    Key(Arc<ClientKey>),
    /// One of `gateway.api_keys`: every model, no id.
    Configured,
}

impl Caller {
    pub fn key_id(&self) -> Option<i64> {
        match self {
            Caller::Key(k) => Some(k.id),
            Caller::Configured => None,
        }
    }

    /// Whether this caller may use a model (by its canonical name or the name it asked for).
    pub fn may_use(&self, canonical: &str, requested: &str) -> bool {
        match self {
            Caller::Configured => true,
            Caller::Key(k) => {
                k.allowed_models.is_empty()
                    || k.allowed_models
                        .iter()
                        .any(|m| m == canonical || m == requested)
            }
        }
    }

    /// 403 for a model outside the key's allow-list.
    pub fn check_model(&self, canonical: &str, requested: &str) -> Result<(), GatewayError> {
        if self.may_use(canonical, requested) {
            return Ok(());
        }
        Err(GatewayError {
            param: Some("model".into()),
            ..GatewayError::new(
                403,
                ErrorKind::Permission,
                "model_not_allowed",
                format!("this API key may not use model `{requested}`"),
            )
        })
    }
}

/// The presented key: `Authorization: Bearer <key>` (scheme in any case), else `X-API-Key`.
pub fn presented_key(req: &HttpRequest) -> Option<&str> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|k| !k.is_empty());
    bearer.or_else(|| {
        req.headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty())
    })
}

/// Checks the presented key. 401 when it is missing, unknown, disabled or expired.
pub fn authenticate(
    presented: Option<&str>,
    snapshot: &Snapshot,
    gateway: &Gateway,
) -> Result<Caller, GatewayError> {
    let unauthorized = |code: &str, message: &str| {
        GatewayError::new(401, ErrorKind::Authentication, code, message.to_string())
    };
    let Some(key) = presented else {
        return Err(unauthorized(
            "missing_api_key",
            "no API key: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`",
        ));
    };
    if let Some(k) = snapshot.client_key(key) {
        if !k.enabled {
            return Err(unauthorized("api_key_disabled", "this API key is disabled"));
        }
        if let Some(at) = k.expires_at.filter(|at| *at <= Utc::now()) {
            return Err(unauthorized(
                "api_key_expired",
                &format!("this API key expired at {}", at.to_rfc3339()),
            ));
        }
        return Ok(Caller::Key(k.clone()));
    }
    if gateway.is_config_key(key) {
        return Ok(Caller::Configured);
    }
    if snapshot.client_key_count() == 0 && gateway.config_key_count() == 0 {
        return Err(unauthorized(
            "no_client_keys",
            "this gateway has no client keys yet: an operator must create one \
             (`llm-orchestrator keys create` or POST /admin/client-keys)",
        ));
    }
    Err(unauthorized("invalid_api_key", "invalid API key"))
}
