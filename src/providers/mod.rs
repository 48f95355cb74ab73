//! Talking to upstream LLM providers: the shared HTTP client, model discovery, the wire
//! protocols and the stream decoding they share. The canonical shape is OpenAI's chat
//! (`chat`); `anthropic` and `gemini` translate to and from it (upstream and inbound),
//! `translate` reads any upstream's answer back into it, `encode` writes a stream in the
//! client's protocol.
pub mod anthropic;
pub mod azure;
pub mod chat;
pub mod client;
pub mod discovery;
pub mod encode;
pub mod gemini;
pub mod openai;
pub mod probe;
pub mod sse;
pub mod tokens;
pub mod translate;
