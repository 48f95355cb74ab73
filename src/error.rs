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
    /// A server-side failure. The detail is logged, never sent; the client gets the request id.
    #[error("internal error")]
    Internal { request_id: String, detail: String },
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::AdminKeyMissing => ("authentication_error", "missing_admin_key"),
            ApiError::AdminKeyInvalid => ("permission_error", "invalid_admin_key"),
            ApiError::NotFound(_) => ("invalid_request_error", "not_found"),
            ApiError::BadRequest(_) => ("invalid_request_error", "bad_request"),
            ApiError::Internal { .. } => ("server_error", "internal_error"),
            ApiError::Unavailable(_) => ("server_error", "service_unavailable"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::AdminKeyMissing => StatusCode::UNAUTHORIZED,
            ApiError::AdminKeyInvalid => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (kind, code) = self.kind();
        let message = match self {
            ApiError::Internal { request_id, detail } => {
                tracing::error!(request_id = %request_id, error = %detail, "internal error");
                format!("internal error; quote request id {request_id} when reporting it")
            }
            other => other.to_string(),
        };
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::AdminKeyMissing) {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        res.json(json!({
            "error": { "message": message, "type": kind, "param": null, "code": code }
        }))
    }
}
