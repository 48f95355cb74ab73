//! Talking to upstream LLM providers: the shared HTTP client, model discovery, the wire
//! protocols and the stream decoding they share.
pub mod client;
pub mod discovery;
pub mod openai;
pub mod probe;
pub mod sse;
