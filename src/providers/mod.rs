//! Talking to upstream LLM providers: the shared HTTP client, model discovery, and (from the
//! gateway issue on) one module per wire protocol with the canonical request/response types.
pub mod client;
pub mod discovery;
