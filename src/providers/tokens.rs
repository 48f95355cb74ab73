//! Counting tokens offline, for answers whose upstream reports no usage and for
//! `count_tokens` requests: OpenAI's o200k BPE (`tiktoken-rs`, the vocabulary embedded in the
//! binary), built once on first use. Other vendors tokenize differently, so these counts are
//! estimates and usage built from them says so (`Usage::estimated`).
//!
//! A prompt counts the text of every message (and tool-call arguments), the tool
//! definitions as JSON, plus OpenAI's documented overhead of 3 tokens per message and 3 to
//! prime the answer; images and audio count nothing.

use serde_json::{Map, Value};

use super::chat::text_of;
use super::openai::Usage;

/// Tokens in a text.
pub fn count(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    tiktoken_rs::o200k_base_singleton()
        .encode_ordinary(text)
        .len() as u64
}

/// Estimated prompt tokens of a canonical chat request.
pub fn prompt_tokens(body: &Map<String, Value>) -> u64 {
    let mut total = 3;
    for m in body
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        total += 3 + count(&text_of(&m["content"]));
        for call in m["tool_calls"].as_array().into_iter().flatten() {
            total += count(call["function"]["name"].as_str().unwrap_or(""));
            total += count(call["function"]["arguments"].as_str().unwrap_or(""));
        }
    }
    if let Some(tools) = body.get("tools").filter(|t| !t.is_null()) {
        total += count(&tools.to_string());
    }
    total
}

/// Estimated completion tokens of a `chat.completion`'s choices.
pub fn completion_tokens(completion: &Value) -> u64 {
    let mut text = String::new();
    for c in completion["choices"].as_array().into_iter().flatten() {
        let m = &c["message"];
        text.push_str(&text_of(&m["content"]));
        text.push_str(m["reasoning_content"].as_str().unwrap_or(""));
        for call in m["tool_calls"].as_array().into_iter().flatten() {
            text.push_str(call["function"]["arguments"].as_str().unwrap_or(""));
        }
    }
    count(&text)
}

/// Usage counted by the gateway.
pub fn estimated(prompt_tokens: u64, completion_tokens: u64) -> Usage {
    Usage {
        prompt_tokens,
        completion_tokens,
        estimated: true,
        ..Usage::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_are_real_bpe_tokens() {
        assert_eq!(count(""), 0);
        assert_eq!(count("hello world"), 2);
        assert!(count("The quick brown fox jumps over the lazy dog.") < 15);
        let body = json!({"messages": [{"role": "user", "content": "hello world"}]});
        assert_eq!(prompt_tokens(body.as_object().unwrap()), 2 + 3 + 3);
        let c = json!({"choices": [{"message": {"content": "hello world"}}]});
        assert_eq!(completion_tokens(&c), 2);
    }
}
