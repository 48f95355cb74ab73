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

    /// What keeps a silent connection open: an SSE comment, Anthropic's `ping`.
    pub fn keepalive(&self) -> Bytes {
        match self {
            ClientEncoder::Anthropic(_) => {
                Bytes::from_static(b"event: ping\ndata: {\"type\": \"ping\"}\n\n")
            }
            _ => Bytes::from_static(b": keep-alive\n\n"),
        }
    }
}
