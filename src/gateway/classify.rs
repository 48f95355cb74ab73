//! Failure classification: what an upstream failure means for the next attempt.
//!
//! - connect errors, resets, timeouts, 5xx, 429 → try elsewhere: the next key of the same
//!   provider, then the next provider (`Retry-After` honoured);
//! - 401 / 403 → this key is bad: mark it and move to the next key;
//! - 400 / 404 / 413 / 422, content filter, context length → the caller's fault: no retry,
//!   the upstream's reason goes back with its status.

use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureClass {
    /// Could not connect (refused, DNS, TLS).
    Connect,
    /// No answer (or no next chunk) in time.
    Timeout,
    /// The connection broke mid-way.
    Reset,
    /// 5xx (and 408).
    Server(u16),
    RateLimited {
        retry_after: Option<Duration>,
    },
    /// 401 / 403: the key is not accepted.
    KeyRejected(u16),
    /// 400 / 404 / 413 / 422 and other 4xx: the request itself is at fault.
    Client(u16),
    ContentFilter(u16),
    ContextLength(u16),
    /// The upstream answered 2xx with something we cannot read.
    Malformed,
}

/// What the attempt loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Another key or provider may succeed.
    TryElsewhere,
    /// This key is bad; another key may work.
    DropKey,
    /// Retrying cannot help; answer the client now.
    Stop,
}

impl FailureClass {
    pub fn next(&self) -> Next {
        match self {
            FailureClass::Connect
            | FailureClass::Timeout
            | FailureClass::Reset
            | FailureClass::Server(_)
            | FailureClass::RateLimited { .. }
            | FailureClass::Malformed => Next::TryElsewhere,
            FailureClass::KeyRejected(_) => Next::DropKey,
            FailureClass::Client(_)
            | FailureClass::ContentFilter(_)
            | FailureClass::ContextLength(_) => Next::Stop,
        }
    }

    /// Stable names for logs, metrics and the attempt list.
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureClass::Connect => "connect",
            FailureClass::Timeout => "timeout",
            FailureClass::Reset => "reset",
            FailureClass::Server(_) => "upstream_5xx",
            FailureClass::RateLimited { .. } => "rate_limited",
            FailureClass::KeyRejected(_) => "key_rejected",
            FailureClass::Client(_) => "client_error",
            FailureClass::ContentFilter(_) => "content_filter",
            FailureClass::ContextLength(_) => "context_length",
            FailureClass::Malformed => "malformed",
        }
    }

    /// The upstream status, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FailureClass::Server(s)
            | FailureClass::KeyRejected(s)
            | FailureClass::Client(s)
            | FailureClass::ContentFilter(s)
            | FailureClass::ContextLength(s) => Some(*s),
            FailureClass::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}

/// Classifies an HTTP error answer from its status, `Retry-After` header and body.
pub fn classify_status(status: u16, retry_after: Option<&str>, body: &str) -> FailureClass {
    match status {
        429 => FailureClass::RateLimited {
            retry_after: retry_after.and_then(|v| parse_retry_after(v, SystemTime::now())),
        },
        401 | 403 => FailureClass::KeyRejected(status),
        408 => FailureClass::Timeout,
        500..=599 => FailureClass::Server(status),
        400..=499 => {
            let lower = body.to_ascii_lowercase();
            if lower.contains("context_length_exceeded")
                || lower.contains("maximum context length")
                || lower.contains("prompt is too long")
                || lower.contains("exceeds the maximum number of tokens")
            {
                FailureClass::ContextLength(status)
            } else if lower.contains("content_filter")
                || lower.contains("content_policy_violation")
                || lower.contains("safety")
            {
                FailureClass::ContentFilter(status)
            } else {
                FailureClass::Client(status)
            }
        }
        // 1xx/2xx/3xx here mean the upstream said something we did not expect.
        _ => FailureClass::Malformed,
    }
}

/// Classifies a request that got no HTTP answer, or an answer that broke off: timed out
/// (anywhere in the error's chain, connecting included), could not connect, or broke. Reads
/// the errors of both upstream clients (hyper-util's on the request path, reqwest's for
/// probes) and of hyper underneath.
pub fn classify_transport(e: &(dyn std::error::Error + 'static)) -> FailureClass {
    let chain = || std::iter::successors(Some(e), |e| e.source());
    let timed_out = |e: &(dyn std::error::Error + 'static)| {
        e.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || e.downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_timeout)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    };
    let connect = |e: &(dyn std::error::Error + 'static)| {
        e.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_connect)
            || e.downcast_ref::<hyper_util::client::legacy::Error>()
                .is_some_and(hyper_util::client::legacy::Error::is_connect)
    };
    if chain().any(timed_out) {
        FailureClass::Timeout
    } else if chain().any(connect) {
        FailureClass::Connect
    } else {
        FailureClass::Reset
    }
}

/// `Retry-After` as seconds or an HTTP date; capped at 10 minutes so a hostile or broken
/// value cannot park a route for days.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    const CAP: Duration = Duration::from_secs(600);
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs).min(CAP));
        }
        return None;
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request path's client (hyper-util) and the probes' (reqwest) classify alike: a
    /// refused connection is `Connect`, a timeout anywhere in the chain `Timeout`, a
    /// connection that answers with garbage and closes `Reset`.
    #[tokio::test]
    async fn transport_errors_of_both_clients_are_classified() {
        use bytes::Bytes;
        use std::time::Duration;
        use tokio::io::AsyncWriteExt;
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let garbage = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let garbage_addr = garbage.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = garbage.accept().await {
                let _ = s.write_all(b"not http at all\r\n\r\n").await;
            }
        });
        for proxied in [false, true] {
            let client =
                crate::providers::client::build_upstream(Duration::from_secs(2), proxied).unwrap();
            let send = |addr: std::net::SocketAddr| {
                let req = http::Request::post(format!("http://{addr}/v1/chat/completions"))
                    .body(Bytes::from_static(b"{}"))
                    .unwrap();
                client.send(req)
            };
            let e = send(closed).await.unwrap_err();
            assert_eq!(classify_transport(&*e), FailureClass::Connect, "{e:?}");
            let e = send(garbage_addr).await.unwrap_err();
            assert_eq!(classify_transport(&*e), FailureClass::Reset, "{e:?}");
        }

        let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out");
        assert_eq!(classify_transport(&timed_out), FailureClass::Timeout);
    }

    #[test]
    fn statuses_map_to_the_documented_next_step() {
        assert_eq!(classify_status(500, None, "").next(), Next::TryElsewhere);
        assert_eq!(classify_status(503, None, "").next(), Next::TryElsewhere);
        assert_eq!(
            classify_status(429, Some("2"), "").next(),
            Next::TryElsewhere
        );
        assert_eq!(classify_status(401, None, "").next(), Next::DropKey);
        assert_eq!(classify_status(403, None, "").next(), Next::DropKey);
        for s in [400, 404, 413, 422] {
            assert_eq!(classify_status(s, None, "{}").next(), Next::Stop, "{s}");
        }
    }

    #[test]
    fn context_length_and_content_filter_are_recognised_in_4xx_bodies() {
        let b = r#"{"error":{"code":"context_length_exceeded","message":"This model's maximum context length is 8192 tokens"}}"#;
        assert_eq!(
            classify_status(400, None, b),
            FailureClass::ContextLength(400)
        );
        let b = r#"{"error":{"code":"content_filter","message":"filtered"}}"#;
        assert_eq!(
            classify_status(400, None, b),
            FailureClass::ContentFilter(400)
        );
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_is_capped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("999999", now),
            Some(Duration::from_secs(600))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
