//! Talking to upstream LLM providers: wire protocols and the stream decoding they share.
pub mod openai;
pub mod sse;
