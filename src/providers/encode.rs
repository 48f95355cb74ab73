//! Writing the canonical stream (OpenAI chunks) in the client's protocol: OpenAI events pass
//! byte for byte, Anthropic and Gemini clients get their own event sequences
//! (`anthropic::inbound`, `gemini::inbound`). The relay owns the stream's life; this owns
//! only its bytes: chunks, the completed ending, the error ending and keep-alives.

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{json, Value};

use super::anthropic::inbound::StreamEncoder as AnthropicEncoder;
use super::gemini::inbound::StreamEncoder as GeminiEncoder;

/// The client's stream protocol.
pub enum ClientEncoder {
    OpenAi,
    Anthropic(Box<AnthropicEncoder>),
    Gemini(Box<GeminiEncoder>),
}

impl ClientEncoder {
    pub fn anthropic() -> ClientEncoder {
        ClientEncoder::Anthropic(Box::default())
    }

    pub fn gemini() -> ClientEncoder {
        ClientEncoder::Gemini(Box::default())
    }

    /// One chunk; `raw` is its data as received, when it was not changed.
    pub fn chunk(&mut self, value: &Value, raw: Option<&str>, out: &mut BytesMut) {
        match self {
            ClientEncoder::OpenAi => {
                out.put_slice(b"data: ");
                match raw {
                    Some(raw) => out.put_slice(raw.as_bytes()),
                    None => out.put_slice(&serde_json::to_vec(value).unwrap_or_default()),
                }
                out.put_slice(b"\n\n");
            }
            ClientEncoder::Anthropic(e) => e.chunk(value, out),
            ClientEncoder::Gemini(e) => e.chunk(value, out),
        }
    }

    /// The stream completed.
    pub fn done(&mut self, out: &mut BytesMut) {
        match self {
            ClientEncoder::OpenAi => out.put_slice(b"data: [DONE]\n\n"),
            ClientEncoder::Anthropic(e) => e.done(out),
            ClientEncoder::Gemini(e) => e.done(out),
        }
    }

    /// The stream failed: one error event; `code` is `stream_<class>`.
    pub fn error(&mut self, message: &str, code: &str, out: &mut BytesMut) {
        match self {
            ClientEncoder::OpenAi => {
                let body = json!({"error": {"message": message, "type": "upstream_error",
                                            "param": null, "code": code}});
                out.put_slice(b"data: ");
                out.put_slice(&serde_json::to_vec(&body).unwrap_or_default());
                out.put_slice(b"\n\n");
            }
            ClientEncoder::Anthropic(e) => e.error(message, code.contains("5xx"), out),
            ClientEncoder::Gemini(e) => e.error(message, out),
        }
    }

    /// What keeps a silent connection open: an SSE comment, Anthropic's `ping`, and for
    /// Gemini a bare line end (the google-genai SDK takes any other line for JSON).
    pub fn keepalive(&self) -> Bytes {
        match self {
            ClientEncoder::OpenAi => Bytes::from_static(b": keep-alive\n\n"),
            ClientEncoder::Anthropic(_) => {
                Bytes::from_static(b"event: ping\ndata: {\"type\": \"ping\"}\n\n")
            }
            ClientEncoder::Gemini(_) => Bytes::from_static(b"\r\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::sse::SseDecoder;

    /// A recorded-shape OpenAI stream: two parallel tool calls, then the usage chunk.
    const PARALLEL: &str =
        include_str!("../../tests/fixtures/openai/stream_parallel_tool_calls.sse");

    fn encode(mut e: ClientEncoder) -> String {
        let mut out = BytesMut::new();
        for ev in SseDecoder::new().push(PARALLEL.as_bytes()).unwrap() {
            if ev.is_done() {
                e.done(&mut out);
            } else {
                let v: Value = serde_json::from_str(&ev.data).unwrap();
                e.chunk(&v, Some(&ev.data), &mut out);
            }
        }
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn data(text: &str) -> Vec<Value> {
        text.split("\n\n")
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter_map(|d| serde_json::from_str(d.trim()).ok())
            .collect()
    }

    #[test]
    fn openai_events_pass_byte_for_byte() {
        assert_eq!(encode(ClientEncoder::OpenAi), PARALLEL);
    }

    #[test]
    fn parallel_tool_calls_become_two_anthropic_tool_use_blocks() {
        let events = data(&encode(ClientEncoder::anthropic()));
        let starts: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "content_block_start")
            .collect();
        assert_eq!(starts.len(), 2);
        assert_eq!(starts[0]["content_block"]["id"], "call_Paris1");
        assert_eq!(starts[1]["content_block"]["id"], "call_Rome2");
        for (i, city) in [(0, "Paris"), (1, "Rome")] {
            let args: String = events
                .iter()
                .filter(|e| e["type"] == "content_block_delta" && e["index"] == i)
                .filter_map(|e| e["delta"]["partial_json"].as_str())
                .collect();
            assert_eq!(
                serde_json::from_str::<Value>(&args).unwrap(),
                json!({ "city": city })
            );
        }
        let delta = events
            .iter()
            .find(|e| e["type"] == "message_delta")
            .unwrap();
        assert_eq!(delta["delta"]["stop_reason"], "tool_use");
        assert_eq!(
            delta["usage"],
            json!({"input_tokens": 16, "output_tokens": 46, "cache_read_input_tokens": 64,
                   "cache_creation_input_tokens": 0})
        );
        assert_eq!(events.last().unwrap()["type"], "message_stop");
    }

    #[test]
    fn parallel_tool_calls_become_two_gemini_function_calls_in_the_last_chunk() {
        let events = data(&encode(ClientEncoder::gemini()).replace("\r\n", "\n"));
        let last = events.last().unwrap();
        let parts = &last["candidates"][0]["content"]["parts"];
        assert_eq!(parts[0]["functionCall"]["args"], json!({"city": "Paris"}));
        assert_eq!(parts[1]["functionCall"]["args"], json!({"city": "Rome"}));
        assert_eq!(last["candidates"][0]["finishReason"], "STOP");
        assert_eq!(last["usageMetadata"]["promptTokenCount"], 80);
        assert_eq!(last["usageMetadata"]["cachedContentTokenCount"], 64);
    }

    #[test]
    fn errors_and_keepalives_follow_the_clients_protocol() {
        let mut out = BytesMut::new();
        ClientEncoder::anthropic().error("cut", "stream_reset", &mut out);
        assert!(String::from_utf8_lossy(&out).starts_with("event: error\n"));
        assert!(ClientEncoder::anthropic()
            .keepalive()
            .starts_with(b"event: ping"));
        let mut out = BytesMut::new();
        ClientEncoder::gemini().error("cut", "stream_reset", &mut out);
        assert!(String::from_utf8_lossy(&out).contains("\"status\":\"UNAVAILABLE\""));
    }
}
