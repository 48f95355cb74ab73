//! The mock's Anthropic Messages side: `POST /v1/messages`, plain and streamed with the full
//! event sequence (`message_start`, `ping`, content blocks, `message_delta` with the stop
//! reason and usage, `message_stop`). It insists on what the real API insists on:
//! `x-api-key`, `anthropic-version` and `max_tokens`.
//!
//! A request with `tools` (and no `tool_choice` of type `none`) gets a text block (unless the
//! tool choice forces a call) then a
//! `tool_use` of the named or first tool with input `{"from": <the joined pieces>}`, its JSON
//! streamed in two pieces; `thinking` adds a signed thinking block first; `stop_sequences`
//! cut the text, `max_tokens` (in pieces) too. Usage counts words; `Answer::cached` reports
//! cache reads.

use serde_json::{json, Value};

use super::{limited, pieces, stopped, stops, words_in, Answer, Event, Out, Request, State};

pub(super) fn error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

fn refuse(status: u16, kind: &str, message: &str) -> Out {
    Out::Json(status, error(kind, message))
}

struct Tool {
    id: String,
    name: String,
}

pub(super) fn answer(state: &State, req: &Request, body: &Value, answer: &Answer) -> Out {
    if req.header("x-api-key").is_none() {
        return refuse(401, "authentication_error", "x-api-key header is required");
    }
    if req.header("anthropic-version").is_none() {
        return refuse(
            400,
            "invalid_request_error",
            "anthropic-version header is required",
        );
    }
    let Some(model) = body["model"].as_str() else {
        return refuse(400, "invalid_request_error", "model: Field required");
    };
    if !body["max_tokens"].is_u64() {
        return refuse(400, "invalid_request_error", "max_tokens: Field required");
    }
    let Some(messages) = body["messages"].as_array() else {
        return refuse(400, "invalid_request_error", "messages: Field required");
    };
    let n = state
        .next_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (pieces, stop) = stopped(pieces(state, answer), &stops(&body["stop_sequences"]));
    let (pieces, cut_short) = limited(pieces, body["max_tokens"].as_u64());
    let text = pieces.concat();
    let prompt = (words_in(&body["system"])
        + messages
            .iter()
            .map(|m| words_in(&m["content"]))
            .sum::<usize>())
    .max(1);
    let output = text.split_whitespace().count();
    let cached = answer.cached.min(prompt);
    let tools = body["tools"].as_array().filter(|t| !t.is_empty());
    let tool = tools
        .filter(|_| body["tool_choice"]["type"] != "none")
        .map(|tools| Tool {
            id: format!("toolu_mock_{n}"),
            name: body["tool_choice"]["name"]
                .as_str()
                .or_else(|| tools[0]["name"].as_str())
                .unwrap_or("tool")
                .to_string(),
        });
    let thinking = body["thinking"]["type"] == "enabled";
    // Claude writes no preamble before a tool it was forced to call.
    let preamble = !matches!(body["tool_choice"]["type"].as_str(), Some("tool" | "any"));
    let (stop_reason, stop_sequence) = match (&tool, &stop) {
        (Some(_), _) => ("tool_use", Value::Null),
        (None, _) if cut_short => ("max_tokens", Value::Null),
        (None, Some(s)) => ("stop_sequence", json!(s)),
        (None, None) => ("end_turn", Value::Null),
    };
    let id = format!("msg_mock_{n}");
    let input = json!({ "from": text });
    let usage = json!({"input_tokens": prompt - cached, "output_tokens": output,
        "cache_creation_input_tokens": 0, "cache_read_input_tokens": cached});

    let wants_stream = body["stream"] == true;
    if !wants_stream {
        let mut content = Vec::new();
        if thinking {
            content.push(json!({"type": "thinking", "thinking": "mock thoughts",
                                "signature": "mock-signature"}));
        }
        match &tool {
            Some(t) => {
                if preamble {
                    content.push(json!({"type": "text", "text": format!("Calling {}.", t.name)}));
                }
                content
                    .push(json!({"type": "tool_use", "id": t.id, "name": t.name, "input": input}));
            }
            None => content.push(json!({"type": "text", "text": text})),
        }
        return Out::Json(
            200,
            json!({"id": id, "type": "message", "role": "assistant", "model": model,
                "content": content, "stop_reason": stop_reason, "stop_sequence": stop_sequence,
                "usage": usage}),
        );
    }

    let mut start_usage = usage.clone();
    start_usage["output_tokens"] = json!(1);
    let mut events = vec![
        Event::Named(
            "message_start",
            json!({"type": "message_start", "message": {"id": id, "type": "message",
                "role": "assistant", "model": model, "content": [], "stop_reason": null,
                "stop_sequence": null, "usage": start_usage}}),
        ),
        Event::Named("ping", json!({"type": "ping"})),
    ];
    let mut index = 0;
    let mut block = |events: &mut Vec<Event>, start: Value, deltas: Vec<Value>| {
        events.push(Event::Named(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        for d in deltas {
            events.push(Event::Named(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": d}),
            ));
        }
        events.push(Event::Named(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    };
    if thinking {
        block(
            &mut events,
            json!({"type": "thinking", "thinking": ""}),
            vec![
                json!({"type": "thinking_delta", "thinking": "mock thoughts"}),
                json!({"type": "signature_delta", "signature": "mock-signature"}),
            ],
        );
    }
    match &tool {
        Some(t) => {
            if preamble {
                block(
                    &mut events,
                    json!({"type": "text", "text": ""}),
                    vec![json!({"type": "text_delta", "text": format!("Calling {}.", t.name)})],
                );
            }
            let args = input.to_string();
            let (a, b) = args.split_at(args.len() / 2);
            block(
                &mut events,
                json!({"type": "tool_use", "id": t.id, "name": t.name, "input": {}}),
                [a, b]
                    .iter()
                    .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                    .collect(),
            );
        }
        None => block(
            &mut events,
            json!({"type": "text", "text": ""}),
            pieces
                .iter()
                .map(|p| json!({"type": "text_delta", "text": p}))
                .collect(),
        ),
    }
    if answer.finish {
        events.push(Event::Named(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop_reason,
                "stop_sequence": stop_sequence}, "usage": {"output_tokens": output}}),
        ));
    }
    if answer.done {
        events.push(Event::Named(
            "message_stop",
            json!({"type": "message_stop"}),
        ));
    }
    Out::Native(events)
}
