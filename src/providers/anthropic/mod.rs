//! The Anthropic Messages protocol (`POST /v1/messages`) as an upstream: `request` turns the
//! canonical (OpenAI chat) request into a Messages request, `response` turns a message and
//! its event stream back into `chat.completion` and chunks. Inbound `/v1/messages` (the
//! reverse direction) lives in `inbound`.
//!
//! Authentication is `x-api-key` plus `anthropic-version`; the base URL works with or
//! without `/v1`.

pub mod inbound;
pub mod request;
pub mod response;

/// The `anthropic-version` header every request carries.
pub const VERSION: &str = "2023-06-01";

/// Anthropic requires `max_tokens`; this is sent when neither the client nor the route
/// (`max_tokens_default`) gives one.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// The tool name JSON mode uses when the schema has no name.
pub const JSON_TOOL: &str = "json_response";

/// `POST` URL of the Messages API for a base URL with or without `/v1`.
pub fn messages_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let root = base.strip_suffix("/v1").unwrap_or(base);
    format!("{root}/v1/messages")
}

/// What translating the answer back needs to know about the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ctx {
    /// JSON mode: the forced tool whose input is the answer's content.
    pub json_tool: Option<String>,
}

/// Anthropic's `stop_reason` as an OpenAI `finish_reason`.
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // end_turn, stop_sequence, pause_turn and whatever comes next.
        _ => "stop",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_url_works_with_or_without_v1() {
        for base in [
            "https://api.anthropic.com",
            "https://api.anthropic.com/",
            "https://api.anthropic.com/v1",
            "https://api.anthropic.com/v1/",
        ] {
            assert_eq!(messages_url(base), "https://api.anthropic.com/v1/messages");
        }
    }
}
