//! Relaying a started upstream stream to the client (OpenAI SSE in and out; other upstream
//! protocols arrive already translated to OpenAI chunks by the stream's `EventReader`).
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
use serde_json::Value;
use tokio::time::Instant;

use super::classify::FailureClass;
use super::engine::{Served, UpstreamStream};
use super::health::HealthRegistry;
use crate::providers::encode::ClientEncoder;
use crate::providers::openai::{self, Usage};
use crate::providers::sse::SseEvent;
use crate::providers::tokens;

/// What the relay reads of a chunk on the pass-through path. `usage` is `Some` when the key
/// is there at all, even as `null` (the full path removes it from chunks the client did not
/// ask usage for).
#[derive(serde::Deserialize)]
struct LightChunk {
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    usage: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    choices: Option<Vec<LightChoice>>,
}

#[derive(serde::Deserialize)]
struct LightChoice {
    #[serde(default)]
    finish_reason: Option<serde::de::IgnoredAny>,
}

/// `Some` for a key that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<serde::de::IgnoredAny>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

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

impl RelayOptions {
    /// The settings for relaying `job`'s answer from the target that `served` it.
    pub fn for_job(job: &super::engine::Job, served: &Served, keepalive: Duration) -> Self {
        RelayOptions {
            present_model: job
                .model
                .model
                .present_requested_name
                .then(|| job.requested.clone()),
            idle_timeout: served.idle_timeout,
            keepalive,
            request_id: job.request_id.clone(),
        }
    }
}

struct Relay {
    upstream: UpstreamStream,
    opts: RelayOptions,
    served: Served,
    health: Arc<HealthRegistry>,
    pending: std::collections::VecDeque<SseEvent>,
    /// Writes the client's protocol.
    encoder: ClientEncoder,
    saw_finish: bool,
    usage: Option<Usage>,
    /// The answer's text so far, kept only when its usage may have to be estimated.
    text: String,
    events: u64,
    /// When the upstream last sent bytes: the idle timeout counts from here.
    last_upstream: Instant,
    /// When the client last got bytes: keep-alives count from here.
    last_sent: Instant,
    /// Wakes the relay for the idle timeout or a keep-alive. Armed lazily: it keeps the
    /// deadline it was given while chunks move both deadlines later, and when it fires early
    /// it is re-armed for the current one — so a running stream touches the timer wheel about
    /// once per keep-alive period instead of twice per chunk (a `sleep_until` made per chunk
    /// was registered and cleared every time: ~3% of a stream's CPU).
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
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
    relay_as(
        upstream,
        served,
        opts,
        ClientEncoder::OpenAi,
        health,
        on_end,
    )
}

/// [`relay`] for a client of another protocol: `encoder` writes its events.
pub fn relay_as(
    upstream: UpstreamStream,
    served: Served,
    opts: RelayOptions,
    encoder: ClientEncoder,
    health: Arc<HealthRegistry>,
    on_end: Box<dyn FnOnce(StreamSummary) + Send>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let mut upstream = upstream;
    let pending = std::mem::take(&mut upstream.pending).into();
    let now = Instant::now();
    let timer = Box::pin(tokio::time::sleep_until(wake_at(now, now, &opts)));
    let relay = Relay {
        upstream,
        opts,
        served,
        health,
        pending,
        encoder,
        saw_finish: false,
        usage: None,
        text: String::new(),
        events: 0,
        last_upstream: now,
        last_sent: now,
        timer,
        end: None,
        on_end: Some(on_end),
    };
    futures::stream::unfold(relay, |mut r| async move {
        let out = r.next_bytes().await?;
        Some((Ok(out), r))
    })
}

/// When the next keep-alive is due, if keep-alives are on.
fn keepalive_at(last_sent: Instant, opts: &RelayOptions) -> Option<Instant> {
    (!opts.keepalive.is_zero()).then(|| last_sent + opts.keepalive)
}

/// The earlier of the idle deadline and the next keep-alive.
fn wake_at(last_upstream: Instant, last_sent: Instant, opts: &RelayOptions) -> Instant {
    let idle = last_upstream + opts.idle_timeout;
    keepalive_at(last_sent, opts).map_or(idle, |k| k.min(idle))
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
            let keepalive_at = keepalive_at(self.last_sent, &self.opts);
            while let Some(ev) = self.pending.pop_front() {
                self.event(ev, &mut out);
                if self.end.is_some() {
                    return Some(out.freeze());
                }
            }
            if !out.is_empty() {
                return Some(out.freeze());
            }
            tokio::select! {
                // The upstream first: a deadline only matters while it is silent.
                biased;
                chunk = self.upstream.body.next() => match chunk {
                    Some(Ok(bytes)) => {
                        self.last_upstream = Instant::now();
                        match self.upstream.reader.push(&bytes) {
                            Ok(events) => self.pending.extend(events),
                            Err(_) => {
                                self.fail(FailureClass::Malformed, "the upstream sent an unreadable stream", &mut out);
                                return Some(out.freeze());
                            }
                        }
                    }
                    Some(Err(class)) => {
                        self.fail(class, "the upstream connection broke mid-stream", &mut out);
                        return Some(out.freeze());
                    }
                    None => {
                        match self.upstream.reader.finish() {
                            Ok(events) if !events.is_empty() => {
                                self.pending.extend(events);
                                continue;
                            }
                            _ => {}
                        }
                        if self.saw_finish {
                            // Finished without `[DONE]`: a normal end, completed for the client.
                            self.encoder.done(&mut out);
                            self.finish(StreamEnd::Completed);
                        } else {
                            self.fail(FailureClass::Reset, "the upstream closed the stream before it finished", &mut out);
                        }
                        return Some(out.freeze());
                    }
                },
                () = self.timer.as_mut() => {
                    let now = Instant::now();
                    if now >= idle_deadline {
                        let secs = self.opts.idle_timeout.as_secs_f64();
                        self.fail(FailureClass::Timeout, &format!("the upstream sent nothing for {secs}s"), &mut out);
                        return Some(out.freeze());
                    }
                    // A keep-alive is due (sending it moves `last_sent` to about now), or the
                    // timer fired for a deadline that chunks have since moved.
                    let keepalive_due = keepalive_at.is_some_and(|at| now >= at);
                    let sent = if keepalive_due { now } else { self.last_sent };
                    self.timer.as_mut().reset(wake_at(self.last_upstream, sent, &self.opts));
                    if keepalive_due {
                        return Some(self.encoder.keepalive());
                    }
                }
            }
        }
    }

    fn event(&mut self, ev: SseEvent, out: &mut BytesMut) {
        if ev.is_done() {
            self.encoder.done(out);
            self.finish(StreamEnd::Completed);
            return;
        }
        if ev.data.is_empty() {
            return;
        }
        if self.passes_through() {
            if let Ok(light) = serde_json::from_str::<LightChunk>(&ev.data) {
                if light.error.is_none() && light.usage.is_none() {
                    // The usual chunk: read what the relay tracks, pass the bytes on.
                    self.events += 1;
                    if light
                        .choices
                        .iter()
                        .flatten()
                        .any(|c| c.finish_reason.is_some())
                    {
                        self.saw_finish = true;
                    }
                    out.put_slice(b"data: ");
                    out.put_slice(ev.data.as_bytes());
                    out.put_slice(b"\n\n");
                    return;
                }
            }
            // An error, a usage chunk or not JSON: the full path says what it is.
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
        if self.served.prompt_estimate.is_some() {
            for c in choices.into_iter().flatten() {
                let d = &c["delta"];
                self.text.push_str(d["content"].as_str().unwrap_or(""));
                self.text
                    .push_str(d["reasoning_content"].as_str().unwrap_or(""));
                for tc in d["tool_calls"].as_array().into_iter().flatten() {
                    self.text
                        .push_str(tc["function"]["arguments"].as_str().unwrap_or(""));
                }
            }
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
        let raw = (!changed).then_some(ev.data.as_str());
        self.encoder.chunk(&value, raw, out);
    }

    /// Whether a chunk without `error` and `usage` goes to the client byte for byte: an
    /// OpenAI client, no model name to present, no completion text to count.
    fn passes_through(&self) -> bool {
        matches!(self.encoder, ClientEncoder::OpenAi)
            && self.opts.present_model.is_none()
            && self.served.prompt_estimate.is_none()
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
        let message = format!(
            "{message}; the response is incomplete (request {})",
            self.opts.request_id
        );
        self.encoder
            .error(&message, &format!("stream_{}", class.as_str()), out);
        self.health
            .record(self.served.provider_id, self.served.key_id, Some(&class));
        self.finish(StreamEnd::Failed(class));
    }

    fn finish(&mut self, end: StreamEnd) {
        self.end = Some(end.clone());
        if let (None, Some(prompt)) = (self.usage, self.served.prompt_estimate) {
            // The upstream was not asked for usage: count it, and say so.
            self.usage = Some(tokens::estimated(prompt, tokens::count(&self.text)));
        }
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::gateway::circuit::BreakerConfig;
    use crate::providers::translate::EventReader;

    fn served(usage_injected: bool) -> Served {
        Served {
            provider: "p".into(),
            provider_id: 1,
            route_id: 1,
            key_id: 2,
            upstream_model: "up".into(),
            attempts: Vec::new(),
            usage_injected,
            prompt_estimate: None,
            idle_timeout: Duration::from_secs(5),
            upstream_time: Duration::ZERO,
            waited: Duration::ZERO,
        }
    }

    fn chunk(content: &str, finish: Option<&str>) -> String {
        serde_json::to_string(&json!({
            "object": "chat.completion.chunk", "model": "up-2024",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
            "usage": null
        }))
        .unwrap()
    }

    /// Relays `parts` (each arriving after `gap`), returns the client's body and the summary.
    async fn run(
        parts: Vec<Result<String, FailureClass>>,
        gap: Duration,
        usage_injected: bool,
        present_model: Option<&str>,
    ) -> (String, StreamSummary) {
        let body = futures::stream::iter(parts)
            .then(move |p| async move {
                tokio::time::sleep(gap).await;
                p.map(Bytes::from)
            })
            .boxed();
        let upstream = UpstreamStream {
            pending: Vec::new(),
            reader: EventReader::openai(),
            body,
        };
        let summary = Arc::new(Mutex::new(None));
        let s2 = summary.clone();
        let health = Arc::new(HealthRegistry::new(
            BreakerConfig::default(),
            Duration::from_secs(60),
        ));
        let out: Vec<Bytes> = relay(
            upstream,
            served(usage_injected),
            RelayOptions {
                present_model: present_model.map(str::to_string),
                idle_timeout: Duration::from_secs(5),
                keepalive: Duration::from_secs(2),
                request_id: "rid".into(),
            },
            health,
            Box::new(move |s| *s2.lock().unwrap() = Some(s)),
        )
        .map(Result::unwrap)
        .collect()
        .await;
        let text = out
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        let summary = summary.lock().unwrap().take().expect("on_end ran");
        (text, summary)
    }

    fn ev(data: &str) -> Result<String, FailureClass> {
        Ok(format!("data: {data}\n\n"))
    }

    #[tokio::test(start_paused = true)]
    async fn a_finished_stream_without_done_still_ends_with_done() {
        let (text, s) = run(
            vec![ev(&chunk("a", None)), ev(&chunk("", Some("stop")))],
            Duration::from_millis(10),
            false,
            None,
        )
        .await;
        assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
        assert_eq!(s.end, StreamEnd::Completed);
        assert_eq!(s.events, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_before_the_finish_reason_is_an_error_event_never_done() {
        let (text, s) = run(
            vec![ev(&chunk("a", None)), Err(FailureClass::Reset)],
            Duration::from_millis(10),
            false,
            None,
        )
        .await;
        assert!(!text.contains("[DONE]"), "{text}");
        assert!(text.contains(r#""code":"stream_reset""#), "{text}");
        assert_eq!(s.end, StreamEnd::Failed(FailureClass::Reset));

        let (text, s) = run(
            vec![ev(&chunk("a", None))],
            Duration::from_millis(10),
            false,
            None,
        )
        .await;
        assert!(
            !text.contains("[DONE]") && text.contains("stream_reset"),
            "{text}"
        );
        assert_eq!(s.end, StreamEnd::Failed(FailureClass::Reset));
    }

    #[tokio::test(start_paused = true)]
    async fn a_malformed_chunk_ends_the_stream_with_an_error_event() {
        let (text, s) = run(
            vec![ev(&chunk("a", None)), ev("{not json"), ev("[DONE]")],
            Duration::from_millis(10),
            false,
            None,
        )
        .await;
        assert_eq!(text.matches("data: ").count(), 2, "{text}");
        assert!(text.contains("stream_malformed") && !text.contains("[DONE]"));
        assert_eq!(s.end, StreamEnd::Failed(FailureClass::Malformed));
    }

    #[tokio::test(start_paused = true)]
    async fn silence_gets_keepalives_then_the_idle_timeout_ends_it() {
        // 3 s gaps: one keep-alive (at 2 s) each, no timeout (5 s).
        let (text, s) = run(
            vec![
                ev(&chunk("a", None)),
                ev(&chunk("b", Some("stop"))),
                ev("[DONE]"),
            ],
            Duration::from_secs(3),
            false,
            None,
        )
        .await;
        assert_eq!(text.matches(": keep-alive").count(), 3, "{text}");
        assert_eq!(s.end, StreamEnd::Completed);

        let (text, s) = run(
            vec![ev(&chunk("a", None)), ev(&chunk("b", Some("stop")))],
            Duration::from_secs(6),
            false,
            None,
        )
        .await;
        assert!(
            text.contains("stream_timeout") && !text.contains("[DONE]"),
            "{text}"
        );
        assert_eq!(s.end, StreamEnd::Failed(FailureClass::Timeout));
    }

    #[tokio::test(start_paused = true)]
    async fn usage_the_client_did_not_ask_for_is_kept_for_us_not_sent() {
        let usage = r#"{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}"#;
        let parts = vec![ev(&chunk("a", Some("stop"))), ev(usage), ev("[DONE]")];
        let (text, s) = run(parts.clone(), Duration::ZERO, true, None).await;
        assert!(!text.contains("usage"), "{text}");
        assert_eq!(s.usage.unwrap().completion_tokens, 2);
        let (text, _) = run(parts, Duration::ZERO, false, None).await;
        assert!(text.contains(r#""completion_tokens":2"#), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_model_is_the_upstreams_unless_the_requested_name_is_presented() {
        let parts = vec![ev(&chunk("a", Some("stop"))), ev("[DONE]")];
        let (text, _) = run(parts.clone(), Duration::ZERO, false, None).await;
        assert!(text.contains(r#""model":"up-2024""#), "{text}");
        let (text, _) = run(parts, Duration::ZERO, false, Some("gpt-x")).await;
        assert!(text.contains(r#""model":"gpt-x""#), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_goes_away_is_reported_once() {
        let body = futures::stream::iter(vec![Ok(Bytes::from(format!(
            "data: {}\n\n",
            chunk("a", None)
        )))])
        .chain(futures::stream::pending())
        .boxed();
        let ends = Arc::new(Mutex::new(Vec::new()));
        let e2 = ends.clone();
        let mut s = Box::pin(relay(
            UpstreamStream {
                pending: Vec::new(),
                reader: EventReader::openai(),
                body,
            },
            served(false),
            RelayOptions {
                present_model: None,
                idle_timeout: Duration::from_secs(60),
                keepalive: Duration::ZERO,
                request_id: "rid".into(),
            },
            Arc::new(HealthRegistry::new(
                BreakerConfig::default(),
                Duration::from_secs(60),
            )),
            Box::new(move |s| e2.lock().unwrap().push(s.end)),
        ));
        assert!(s.next().await.is_some());
        drop(s);
        assert_eq!(*ends.lock().unwrap(), vec![StreamEnd::ClientGone]);
    }
}
