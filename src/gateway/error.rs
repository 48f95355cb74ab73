//! What the gateway answers when a request cannot be served, independent of the client's
//! protocol: a status, an error type and code, a message that names what is wrong, and the
//! attempts made. Each inbound protocol renders it in its own shape (OpenAI's
//! `{"error":{"message","type","param","code"}}` in `http::openai`).
//!
//! Messages never carry secrets: attempts name providers and key labels, not keys.

use serde::Serialize;

/// One upstream attempt, as reported to the client, the log and the request record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttemptRecord {
    pub provider: String,
    pub provider_id: i64,
    pub route_id: i64,
    /// The key's label, never the key.
    pub key: String,
    pub key_id: i64,
    /// `None` when the attempt succeeded.
    pub class: Option<&'static str>,
    pub status: Option<u16>,
    pub latency_ms: u64,
}

impl AttemptRecord {
    fn describe(&self) -> String {
        let class = self.class.unwrap_or("ok");
        match self.status {
            Some(s) => format!("{} (key {}): {class} {s}", self.provider, self.key),
            None => format!("{} (key {}): {class}", self.provider, self.key),
        }
    }
}

/// The error kinds the client APIs distinguish; each protocol maps them to its own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400, 404 (unknown model), 413.
    InvalidRequest,
    /// 401.
    Authentication,
    /// 403.
    Permission,
    /// 404 for a model the client cannot see.
    NotFound,
    /// 429.
    RateLimit,
    /// 502 / 504: upstreams failed or timed out.
    Upstream,
    /// 503: nothing could be tried.
    Unavailable,
    /// 500.
    Internal,
}

#[derive(Debug, Clone)]
pub struct GatewayError {
    pub status: u16,
    pub kind: ErrorKind,
    /// A stable machine-readable code (`model_not_found`, `invalid_api_key`, ...), or the
    /// upstream's own code when its error is passed back.
    pub code: Option<String>,
    pub message: String,
    /// The request field at fault, when one is.
    pub param: Option<String>,
    /// Seconds, for 429/503 answers.
    pub retry_after: Option<u64>,
    pub attempts: Vec<AttemptRecord>,
}

impl GatewayError {
    pub fn new(status: u16, kind: ErrorKind, code: &str, message: impl Into<String>) -> Self {
        GatewayError {
            status,
            kind,
            code: Some(code.to_string()),
            message: message.into(),
            param: None,
            retry_after: None,
            attempts: Vec::new(),
        }
    }

    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        GatewayError {
            param: Some(param.to_string()),
            ..GatewayError::new(400, ErrorKind::InvalidRequest, "invalid_value", message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        GatewayError::new(400, ErrorKind::InvalidRequest, "invalid_request", message)
    }

    pub fn model_not_found(model: &str) -> Self {
        GatewayError {
            param: Some("model".into()),
            ..GatewayError::new(
                404,
                ErrorKind::NotFound,
                "model_not_found",
                format!("The model `{model}` does not exist or you do not have access to it."),
            )
        }
    }

    /// 503: every route of the model is resting after upstream failures (circuits open).
    pub fn all_resting(model: &str) -> Self {
        GatewayError {
            retry_after: Some(30),
            ..GatewayError::new(
                503,
                ErrorKind::Unavailable,
                "all_routes_resting",
                format!(
                    "every route of model `{model}` is resting after upstream failures \
                     (circuit open); try again shortly"
                ),
            )
        }
    }

    pub fn with_attempts(mut self, attempts: Vec<AttemptRecord>) -> Self {
        self.attempts = attempts;
        self
    }

    /// Every attempt failed: the status says what kind of failure dominated (all rate limited
    /// → 429, all timed out → 504, otherwise 502) and the message lists each attempt.
    pub fn exhausted(attempts: Vec<AttemptRecord>, retry_after: Option<u64>) -> Self {
        let all = |c: &str| !attempts.is_empty() && attempts.iter().all(|a| a.class == Some(c));
        let (status, kind, code) = if all("rate_limited") {
            (429, ErrorKind::RateLimit, "upstream_rate_limited")
        } else if all("timeout") {
            (504, ErrorKind::Upstream, "upstream_timeout")
        } else {
            (502, ErrorKind::Upstream, "upstream_failed")
        };
        let list: Vec<String> = attempts.iter().map(AttemptRecord::describe).collect();
        let message = format!(
            "all {} upstream attempt{} failed: {}",
            attempts.len(),
            if attempts.len() == 1 { "" } else { "s" },
            list.join("; ")
        );
        GatewayError {
            retry_after: if status == 429 { retry_after } else { None },
            ..GatewayError::new(status, kind, code, message).with_attempts(attempts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(class: &'static str, status: Option<u16>) -> AttemptRecord {
        AttemptRecord {
            provider: "p".into(),
            provider_id: 1,
            route_id: 1,
            key: "k".into(),
            key_id: 1,
            class: Some(class),
            status,
            latency_ms: 1,
        }
    }

    #[test]
    fn the_exhausted_status_follows_what_the_attempts_share() {
        let e = GatewayError::exhausted(
            vec![a("rate_limited", Some(429)), a("rate_limited", Some(429))],
            Some(3),
        );
        assert_eq!((e.status, e.retry_after), (429, Some(3)));
        assert_eq!(
            GatewayError::exhausted(vec![a("timeout", None)], None).status,
            504
        );
        let e = GatewayError::exhausted(
            vec![a("timeout", None), a("upstream_5xx", Some(503))],
            Some(3),
        );
        assert_eq!((e.status, e.retry_after), (502, None));
        assert_eq!(
            e.message,
            "all 2 upstream attempts failed: p (key k): timeout; p (key k): upstream_5xx 503"
        );
    }
}
