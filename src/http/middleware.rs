//! Cross-cutting HTTP middleware: request ids, the access log and the admin-key gate.
//!
//! The admin gate wraps the whole `/admin` scope rather than each handler, so a route added
//! there later cannot forget it.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};

use super::AppState;
use crate::error::ApiError;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request, in the request's extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Accepts the client's `X-Request-ID` when it is a sane token, else makes a new one; puts it
/// on the request and the response, and writes one access-log line per request.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    // The access line's fields, copied only when the line will be written (LOG_LEVEL=warn
    // and `access=off` skip it; the copies and the peer's formatting are per request).
    let access = tracing::enabled!(target: "access", tracing::Level::INFO);
    let (method, path, peer) = if access {
        let peer = req.peer_addr().map(|a| a.ip().to_string());
        (Some(req.method().clone()), req.path().to_owned(), peer)
    } else {
        (None, String::new(), None)
    };
    let method = method.unwrap_or_default();
    let peer = peer.unwrap_or_default();
    // Off by default (`access=debug` turns it on): shows requests that are still running.
    tracing::debug!(target: "access", request_id = %id, method = %method, path = %path, "request received");

    let mut res = next.call(req).await?;
    if res.status().is_server_error() {
        if let Some(err) = res.response().error() {
            tracing::error!(target: "access", request_id = %id, error = %err, "request failed");
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    if !access {
        return Ok(res);
    }
    tracing::info!(
        target: "access",
        request_id = %id,
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        peer = %peer,
        "request"
    );
    Ok(res)
}

/// A new request id: 32 hex digits like a simple UUID — a random per-process half and a
/// counter, so ids stay unique across instances without a `getrandom` call per request.
fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::LazyLock;
    static PROCESS: LazyLock<u64> = LazyLock::new(|| uuid::Uuid::new_v4().as_u64_pair().0);
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{n:016x}", *PROCESS)
}

fn is_valid_request_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The admin key, from `Authorization: Bearer <key>` or `X-Admin-Key: <key>`.
/// Missing: 401. Present but wrong: 403.
pub async fn require_admin<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let verdict = match state {
        None => Err(ApiError::Unavailable("server state missing".into())),
        Some(state) => check_admin(&req, &state),
    };
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(e) => Ok(req.into_response(e.error_response()).map_into_right_body()),
    }
}

fn check_admin(req: &ServiceRequest, state: &AppState) -> Result<(), ApiError> {
    let headers = req.headers();
    let bearer = headers
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        });
    let header_key = headers
        .get("x-admin-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let presented: Vec<&str> = [bearer, header_key].into_iter().flatten().collect();
    if presented.is_empty() {
        return Err(ApiError::AdminKeyMissing);
    }
    // Check every presented key so the time taken does not say which header was right.
    let mut ok = false;
    for key in presented {
        ok |= state.admin_key.verify(key);
    }
    if ok {
        Ok(())
    } else {
        Err(ApiError::AdminKeyInvalid)
    }
}

/// CORS from `server.cors_origins`: `*` allows any origin (without credentials, so a
/// browser never sends cookies cross-site); otherwise exactly the listed origins. An empty
/// list allows none. Origins are compared whole, never as substrings.
pub fn cors(origins: &[String]) -> actix_cors::Cors {
    let base = actix_cors::Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers([REQUEST_ID_HEADER])
        .max_age(3600);
    if origins.iter().any(|o| o.trim() == "*") {
        return base.allow_any_origin().send_wildcard();
    }
    origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .fold(base, |c, o| c.allowed_origin(o))
}

#[cfg(test)]
mod tests {
    use super::{is_valid_request_id, new_request_id};

    #[test]
    fn new_request_ids_are_unique_32_hex_digits() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()) && is_valid_request_id(&a));
        assert_eq!(a[..16], b[..16], "one process prefix");
    }

    #[test]
    fn request_ids_must_be_short_printable_tokens() {
        assert!(is_valid_request_id("abc-123_x.y:z"));
        assert!(!is_valid_request_id(""));
        assert!(!is_valid_request_id("has space"));
        assert!(!is_valid_request_id(&"a".repeat(129)));
    }
}
