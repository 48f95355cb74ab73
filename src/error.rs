//! The error policy.
//!
//! Two kinds of failure leave this crate:
//! - [`AppError`] ends a CLI subcommand. Its [`AppError::exit_code`] is the documented contract
//!   for scripts: 1 = a check ran and said no, 2 = usage, configuration or runtime error.
//! - [`ApiError`] is the only actix `ResponseError`: one exhaustive mapping from what went wrong
//!   to an HTTP status and a JSON body. 5xx bodies are generic and carry the request id; the
//!   details go to the log.
//!
//! Layer errors (`ConfigError`, `DbError`, ...) stay in their modules and convert here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::catalog::model::Invalid;
use crate::catalog::store::StoreError;
use crate::config::ConfigError;
use crate::db::DbError;

/// Exit codes, as documented in `--help` and README.
pub mod exit {
    pub const OK: u8 = 0;
    pub const CHECK_FAILED: u8 = 1;
    pub const ERROR: u8 = 2;
}

/// Why a subcommand failed. Display is one line naming what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Boxed: a config error carries origins and is large; every other path stays small.
    #[error("configuration error: {0}")]
    Config(Box<ConfigError>),
    #[error("database error: {0}")]
    Db(#[from] DbError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Anything else that stopped the command from doing its job.
    #[error("{0}")]
    Runtime(String),
    /// The command ran and its answer is "no" (unhealthy, migrations pending).
    #[error("{0}")]
    CheckFailed(String),
}

impl From<ConfigError> for AppError {
    fn from(e: ConfigError) -> AppError {
        AppError::Config(Box::new(e))
    }
}

impl AppError {
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::CheckFailed(_) => exit::CHECK_FAILED,
            AppError::Config(_) | AppError::Db(_) | AppError::Io { .. } | AppError::Runtime(_) => {
                exit::ERROR
            }
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> AppError {
        AppError::Io {
            context: context.into(),
            source,
        }
    }
}

/// An error answered over HTTP. The body follows OpenAI's shape
/// `{"error":{"message","type","param","code"}}`, which the admin API shares.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing admin key: send it as `Authorization: Bearer <key>` or `X-Admin-Key`")]
    AdminKeyMissing,
    #[error("invalid admin key")]
    AdminKeyInvalid,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// A field of the request body or query that breaks a rule; `param` names it.
    #[error("{param}: {message}")]
    Invalid { param: String, message: String },
    #[error("{0}")]
    Conflict(String),
    /// A server-side failure. The detail is logged (with the request id, by the access-log
    /// middleware), never sent to the client.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{0}")]
    Unavailable(String),
    /// The upstream failed or answered nonsense.
    #[error("{0}")]
    BadGateway(String),
}

impl ApiError {
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::AdminKeyMissing => ("authentication_error", "missing_admin_key"),
            ApiError::AdminKeyInvalid => ("permission_error", "invalid_admin_key"),
            ApiError::NotFound(_) => ("invalid_request_error", "not_found"),
            ApiError::BadRequest(_) => ("invalid_request_error", "bad_request"),
            ApiError::Invalid { .. } => ("invalid_request_error", "invalid_value"),
            ApiError::Conflict(_) => ("invalid_request_error", "conflict"),
            ApiError::Internal(_) => ("server_error", "internal_error"),
            ApiError::Unavailable(_) => ("server_error", "service_unavailable"),
            ApiError::BadGateway(_) => ("upstream_error", "bad_gateway"),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> ApiError {
        ApiError::Invalid {
            param: e.field,
            message: e.message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(i) => i.into(),
            StoreError::Db(DbError::PoolTimeout { .. }) => {
                ApiError::Unavailable("the database is not answering; try again shortly".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::AdminKeyMissing => StatusCode::UNAUTHORIZED,
            ApiError::AdminKeyInvalid => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) | ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (kind, code) = self.kind();
        let message = match self {
            ApiError::Internal(_) => {
                "internal error; quote the X-Request-ID response header when reporting it".into()
            }
            other => other.to_string(),
        };
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::AdminKeyMissing) {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        let param = match self {
            ApiError::Invalid { param, .. } => json!(param),
            _ => json!(null),
        };
        res.json(json!({
            "error": { "message": message, "type": kind, "param": param, "code": code }
        }))
    }
}
