//! Relaying a started upstream stream to the client (OpenAI SSE in and out).
//!
//! The first event has arrived (the engine waited for it) and the client has its 200; from here
//! the stream must end in one of two honest ways:
//! - completed: the upstream sent `[DONE]`, or closed after a finish reason (then the client
//!   still gets `[DONE]`);
//! - failed: a cut before any finish reason, a malformed event, an upstream error event or
//!   silence beyond the idle timeout ends the stream with one SSE error event and no `[DONE]`.
//!
//! While the upstream is silent (below the idle timeout) SSE comments keep proxies from
//! closing the connection. Dropping the relay — actix does when the client disconnects —
//! drops the upstream response, which cancels the upstream request.
//!
//! Events pass through byte for byte unless something must change: the `model` (when the
//! model presents the requested name) and the usage the gateway asked for on the client's
//! behalf (the client did not ask for the extra chunk, so it does not get it).

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::classify::FailureClass;
use super::engine::{Served, UpstreamStream};
use super::health::HealthRegistry;
use crate::providers::openai::{self, Usage};
use crate::providers::sse::SseEvent;

/// How a relayed stream ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEnd {
    Completed,
    /// The upstream failed after the stream had started.
    Failed(FailureClass),
    /// The client went away first.
    ClientGone,
}

/// What the relay knows when the stream ends.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    pub end: StreamEnd,
    pub usage: Option<Usage>,
    pub events: u64,
    pub served: Served,
}

/// Settings of one relay.
pub struct RelayOptions {
    /// Replace `model` in every chunk with this name.
    pub present_model: Option<String>,
    pub idle_timeout: Duration,
    /// Zero: none.
    pub keepalive: Duration,
    pub request_id: String,
}

struct Relay {
    upstream: UpstreamStream,
    opts: RelayOptions,
    served: Served,
    health: Arc<HealthRegistry>,
    pending: std::collections::VecDeque<SseEvent>,
    saw_finish: bool,
    usage: Option<Usage>,
    events: u64,
    /// When the upstream last sent bytes: the idle timeout counts from here.
    last_upstream: Instant,
    /// When the client last got bytes: keep-alives count from here.
    last_sent: Instant,
    /// Set once the stream has ended (in any way); `None` while it runs.
    end: Option<StreamEnd>,
    on_end: Option<Box<dyn FnOnce(StreamSummary) + Send>>,
}

/// Turns a started upstream stream into the client's SSE body. `on_end` runs exactly once,
/// when the stream ends or the client goes away.
pub fn relay(
    upstream: UpstreamStream,
    served: Served,
    opts: RelayOptions,
    health: Arc<HealthRegistry>,
    on_end: Box<dyn FnOnce(StreamSummary) + Send>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let mut upstream = upstream;
    let pending = std::mem::take(&mut upstream.pending).into();
    let relay = Relay {
        upstream,
        opts,
        served,
        health,
        pending,
        saw_finish: false,
        usage: None,
        events: 0,
        last_upstream: Instant::now(),
        last_sent: Instant::now(),
        end: None,
        on_end: Some(on_end),
    };
    futures::stream::unfold(relay, |mut r| async move {
        let out = r.next_bytes().await?;
        Some((Ok(out), r))
    })
}

impl Relay {
    /// The next piece of the client's body; `None` once the stream is over.
    async fn next_bytes(&mut self) -> Option<Bytes> {
        if self.end.is_some() {
            return None;
        }
        let out = self.next_piece().await;
        if out.is_some() {
            self.last_sent = Instant::now();
        }
        out
    }

    async fn next_piece(&mut self) -> Option<Bytes> {
        let mut out = BytesMut::new();
        loop {
            let idle_deadline = self.last_upstream + self.opts.idle_timeout;
            let keepalive_at =
                (!self.opts.keepalive.is_zero()).then(|| self.last_sent + self.opts.keepalive);
            while let Some(ev) = self.pending.pop_front() {
                self.event(ev, &mut out);
                if self.end.is_some() {
                    return Some(out.freeze());
                }
            }
            if !out.is_empty() {
                return Some(out.freeze());
            }
            let keepalive = async {
                match keepalive_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                chunk = self.upstream.body.next() => match chunk {
                    Some(Ok(bytes)) => {
                        self.last_upstream = Instant::now();
                        match self.upstream.decoder.push(&bytes) {
                            Ok(events) => self.pending.extend(events),
                            Err(_) => {
                                self.fail(FailureClass::Malformed, "the upstream sent an unreadable stream", &mut out);
                                return Some(out.freeze());
                            }
                        }
                    }
                    Some(Err(_)) => {
                        self.fail(FailureClass::Reset, "the upstream connection broke mid-stream", &mut out);
                        return Some(out.freeze());
                    }
                    None => {
                        if let Ok(Some(ev)) = self.upstream.decoder.finish() {
                            self.pending.push_back(ev);
                            continue;
                        }
                        if self.saw_finish {
                            // Finished without `[DONE]`: a normal end, completed for the client.
                            out.put_slice(b"data: [DONE]\n\n");
                            self.finish(StreamEnd::Completed);
                        } else {
                            self.fail(FailureClass::Reset, "the upstream closed the stream before it finished", &mut out);
                        }
                        return Some(out.freeze());
                    }
                },
                _ = keepalive => {
                    return Some(Bytes::from_static(b": keep-alive\n\n"));
                }
                _ = tokio::time::sleep_until(idle_deadline) => {
                    let secs = self.opts.idle_timeout.as_secs_f64();
                    self.fail(FailureClass::Timeout, &format!("the upstream sent nothing for {secs}s"), &mut out);
                    return Some(out.freeze());
                }
            }
        }
    }

    fn event(&mut self, ev: SseEvent, out: &mut BytesMut) {
        if ev.is_done() {
            out.put_slice(b"data: [DONE]\n\n");
            self.finish(StreamEnd::Completed);
            return;
        }
        if ev.data.is_empty() {
            return;
        }
        let Ok(mut value) = serde_json::from_str::<Value>(&ev.data) else {
            self.fail(
                FailureClass::Malformed,
                "the upstream sent a malformed chunk",
                out,
            );
            return;
        };
        if let Some(err) = value.get("error").filter(|e| !e.is_null()) {
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the upstream reported an error mid-stream")
                .to_string();
            self.fail(FailureClass::Server(502), &msg, out);
            return;
        }
        self.events += 1;
        let choices = value.get("choices").and_then(Value::as_array);
        if choices
            .into_iter()
            .flatten()
            .any(|c| c.get("finish_reason").is_some_and(|f| !f.is_null()))
        {
            self.saw_finish = true;
        }
        let usage = openai::usage(&value);
        if usage.is_some() {
            self.usage = usage;
        }
        let mut changed = false;
        if self.served.usage_injected {
            if usage.is_some() && choices.is_some_and(|c| c.is_empty()) {
                return; // the usage-only chunk the client did not ask for
            }
            if let Some(obj) = value.as_object_mut() {
                changed |= obj.remove("usage").is_some();
            }
        }
        if let Some(name) = &self.opts.present_model {
            if let Some(m) = value.get_mut("model") {
                *m = Value::String(name.clone());
                changed = true;
            }
        }
        out.put_slice(b"data: ");
        if changed {
            out.put_slice(&serde_json::to_vec(&value).unwrap_or_default());
        } else {
            out.put_slice(ev.data.as_bytes());
        }
        out.put_slice(b"\n\n");
    }

    /// Ends the stream with one error event (no `[DONE]`) and marks the target.
    fn fail(&mut self, class: FailureClass, message: &str, out: &mut BytesMut) {
        tracing::warn!(
            request_id = %self.opts.request_id,
            provider = %self.served.provider,
            class = class.as_str(),
            events = self.events,
            "{message}"
        );
        let body = json!({"error": {
            "message": format!("{message}; the response is incomplete (request {})", self.opts.request_id),
            "type": "upstream_error",
            "param": null,
            "code": format!("stream_{}", class.as_str()),
        }});
        out.put_slice(b"data: ");
        out.put_slice(&serde_json::to_vec(&body).unwrap_or_default());
        out.put_slice(b"\n\n");
        self.health
            .record(self.served.provider_id, self.served.key_id, Some(&class));
        self.finish(StreamEnd::Failed(class));
    }

    fn finish(&mut self, end: StreamEnd) {
        self.end = Some(end.clone());
        if let Some(f) = self.on_end.take() {
            f(StreamSummary {
                end,
                usage: self.usage,
                events: self.events,
                served: self.served.clone(),
            });
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if self.end.is_none() {
            tracing::info!(
                request_id = %self.opts.request_id,
                provider = %self.served.provider,
                events = self.events,
                "client went away mid-stream; upstream request cancelled"
            );
            self.finish(StreamEnd::ClientGone);
        }
    }
}
