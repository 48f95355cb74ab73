//! The OpenAI wire protocol (also every OpenAI-compatible server), as far as a faithful
//! pass-through needs it: what a request asks of a route, how its body is reshaped for one
//! upstream, and where the usage is.
//!
//! Pass-through means the client's JSON object travels as it came — unknown fields,
//! multimodal content, tools, `json_schema` response formats, reasoning fields all survive —
//! with only `model` replaced, configured overrides applied, and `stream_options` added for
//! upstreams that accept it. No defaults are injected.

use serde::Serialize;
use serde_json::{Map, Value};

/// What a chat request needs from a route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Needs {
    pub tools: bool,
    pub vision: bool,
    pub json_schema: bool,
    pub streaming: bool,
}

/// Reads the capabilities a chat-completions body needs.
pub fn needs(body: &Map<String, Value>) -> Needs {
    let non_empty = |k: &str| {
        body.get(k)
            .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    };
    let tools = non_empty("tools") || non_empty("functions");
    let json_schema = body
        .get("response_format")
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str)
        == Some("json_schema");
    let streaming = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let vision = body
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("content").and_then(Value::as_array))
        .flatten()
        .any(|part| {
            matches!(
                part.get("type").and_then(Value::as_str),
                Some("image_url" | "input_image" | "image")
            )
        });
    Needs {
        tools,
        vision,
        json_schema,
        streaming,
    }
}

/// Reshapes the client's body for one upstream: the upstream model name, provider overrides
/// then route overrides (top-level keys; `null` removes a key), and
/// `stream_options.include_usage` when streaming to an upstream that accepts it.
pub fn prepare_body(
    body: &Map<String, Value>,
    upstream_model: &str,
    provider_overrides: &Map<String, Value>,
    route_overrides: &Map<String, Value>,
    include_usage: bool,
) -> Map<String, Value> {
    let mut out = body.clone();
    out.insert("model".into(), Value::String(upstream_model.to_string()));
    apply_overrides(&mut out, provider_overrides, route_overrides);
    let streaming = out.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if streaming && include_usage {
        let opts = out
            .entry("stream_options")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(o) = opts {
            o.entry("include_usage").or_insert(Value::Bool(true));
        }
    }
    out
}

/// What one route does to a body on its way to an OpenAI upstream.
#[derive(Debug, Clone, Copy)]
pub struct Reshape<'a> {
    pub upstream_model: &'a str,
    pub provider_overrides: &'a Map<String, Value>,
    pub route_overrides: &'a Map<String, Value>,
    /// Add `stream_options.include_usage` when the request streams.
    pub include_usage: bool,
    /// `max_tokens` for a request that sets no limit of its own.
    pub max_tokens_default: Option<i32>,
}

impl Reshape<'_> {
    /// Whether configured overrides apply (the general path).
    pub fn overrides(&self) -> bool {
        !self.provider_overrides.is_empty() || !self.route_overrides.is_empty()
    }
}

/// `prepare_body` serialized, without copying the body first when nothing is overridden
/// (the usual case): the client's fields are written as they are, `model` replaced,
/// `stream_options.include_usage` merged, `max_tokens` added from the route's default when
/// the client set no limit. With overrides, the general path.
pub fn prepared_bytes(body: &Map<String, Value>, r: &Reshape) -> Vec<u8> {
    let Reshape {
        upstream_model,
        include_usage,
        ..
    } = *r;
    let no_limit = !body.contains_key("max_tokens") && !body.contains_key("max_completion_tokens");
    let max_tokens = r.max_tokens_default.filter(|_| no_limit);
    if r.overrides() {
        let mut out = prepare_body(
            body,
            upstream_model,
            r.provider_overrides,
            r.route_overrides,
            include_usage,
        );
        if let Some(max) = max_tokens {
            out.insert("max_tokens".into(), Value::from(max));
        }
        return serde_json::to_vec(&out).unwrap_or_default();
    }
    let streaming = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let add_usage = streaming && include_usage;
    let wrote = serde_json::to_vec(&Prepared {
        body,
        model: upstream_model,
        add_usage,
        max_tokens,
    });
    wrote.unwrap_or_default()
}

/// A body written with `model` replaced and the usual additions, borrowing the client's.
struct Prepared<'a> {
    body: &'a Map<String, Value>,
    model: &'a str,
    add_usage: bool,
    max_tokens: Option<i32>,
}

impl Serialize for Prepared<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        let mut usage_written = false;
        for (k, v) in self.body {
            match k.as_str() {
                "model" => m.serialize_entry(k, self.model)?,
                "stream_options" if self.add_usage => {
                    if let Value::Object(o) = v {
                        if o.contains_key("include_usage") {
                            m.serialize_entry(k, v)?;
                        } else {
                            let mut o = o.clone();
                            o.insert("include_usage".into(), Value::Bool(true));
                            m.serialize_entry(k, &o)?;
                        }
                    } else {
                        m.serialize_entry(k, v)?; // not an object: the upstream's to judge
                    }
                    usage_written = true;
                }
                _ => m.serialize_entry(k, v)?,
            }
        }
        if !self.body.contains_key("model") {
            m.serialize_entry("model", self.model)?;
        }
        if self.add_usage && !usage_written {
            m.serialize_entry(
                "stream_options",
                &serde_json::json!({"include_usage": true}),
            )?;
        }
        if let Some(max) = self.max_tokens {
            m.serialize_entry("max_tokens", &max)?;
        }
        m.end()
    }
}

/// Applies provider then route overrides to top-level keys of a body (in the upstream's own
/// protocol); `null` removes a key; `model` is the route's to decide and is never overridden.
pub fn apply_overrides(
    body: &mut Map<String, Value>,
    provider_overrides: &Map<String, Value>,
    route_overrides: &Map<String, Value>,
) {
    for overrides in [provider_overrides, route_overrides] {
        for (k, v) in overrides {
            if k == "model" {
                continue;
            }
            if v.is_null() {
                body.remove(k);
            } else {
                body.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Token usage as OpenAI reports it (`usage` of a response or of the final stream chunk).
/// `prompt_tokens` includes the cached and cache-written tokens; `completion_tokens` includes
/// the reasoning tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Prompt tokens read from the upstream's cache.
    pub cached_tokens: u64,
    /// Prompt tokens written to the upstream's cache (Anthropic's cache creation), reported
    /// as `prompt_tokens_details.cache_write_tokens` (OpenRouter's name).
    pub cache_write_tokens: u64,
    /// Completion tokens spent thinking.
    pub reasoning_tokens: u64,
    /// Counted by the gateway (no upstream usage), not reported by the upstream.
    pub estimated: bool,
}

impl Usage {
    /// OpenAI's `usage` object.
    pub fn to_json(&self) -> Value {
        let mut prompt_details = serde_json::json!({ "cached_tokens": self.cached_tokens });
        if self.cache_write_tokens > 0 {
            prompt_details["cache_write_tokens"] = self.cache_write_tokens.into();
        }
        let mut u = serde_json::json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": prompt_details,
            "completion_tokens_details": { "reasoning_tokens": self.reasoning_tokens },
        });
        if self.estimated {
            u["estimated"] = true.into();
        }
        u
    }
}

/// The usage in a response or chunk, if it carries one.
pub fn usage(v: &Value) -> Option<Usage> {
    v.get("usage").and_then(usage_object)
}

/// A `usage` object read; `None` when it is not an object.
pub fn usage_object(u: &Value) -> Option<Usage> {
    if !u.is_object() {
        return None;
    }
    // Indexing (missing keys read as null), not `Value::pointer`: a pointer allocates an
    // unescaped copy of every path segment, and this runs for every answer.
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    Some(Usage {
        prompt_tokens: n(&u["prompt_tokens"]),
        completion_tokens: n(&u["completion_tokens"]),
        cached_tokens: n(&u["prompt_tokens_details"]["cached_tokens"]),
        cache_write_tokens: n(&u["prompt_tokens_details"]["cache_write_tokens"]),
        reasoning_tokens: n(&u["completion_tokens_details"]["reasoning_tokens"]),
        estimated: u.get("estimated").and_then(Value::as_bool).unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn needs_are_read_from_tools_images_schemas_and_stream() {
        let n = needs(&obj(json!({
            "model": "m", "stream": true,
            "messages": [{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:..."}}]}],
            "tools": [{"type":"function","function":{"name":"f"}}],
            "response_format": {"type":"json_schema","json_schema":{"name":"x","schema":{}}}
        })));
        assert_eq!(
            n,
            Needs {
                tools: true,
                vision: true,
                json_schema: true,
                streaming: true
            }
        );
        assert_eq!(
            needs(&obj(
                json!({"messages":[{"role":"user","content":"hi"}],"tools":[]})
            )),
            Needs::default()
        );
    }

    #[test]
    fn only_the_model_and_configured_overrides_change_unknown_fields_survive() {
        let body = obj(
            json!({"model":"gpt-4o","messages":[],"reasoning_effort":"high","x_vendor":{"a":1},"temperature":0.2}),
        );
        let out = prepare_body(
            &body,
            "gpt-4o-2024-08-06",
            &obj(json!({"temperature": 1.0, "model": "ignored"})),
            &obj(json!({"temperature": 0.5, "x_vendor": null})),
            true,
        );
        assert_eq!(out["model"], "gpt-4o-2024-08-06");
        assert_eq!(
            out["temperature"], 0.5,
            "route overrides win over provider overrides"
        );
        assert!(out.get("x_vendor").is_none(), "null removes");
        assert_eq!(out["reasoning_effort"], "high");
        assert!(
            out.get("stream_options").is_none(),
            "not streaming: nothing added"
        );
        assert!(out.get("top_p").is_none(), "no defaults injected");
    }

    #[test]
    fn include_usage_is_added_when_streaming_and_accepted_and_keeps_client_options() {
        let body = obj(json!({"model":"m","stream":true,"stream_options":{"foo":1}}));
        let out = prepare_body(&body, "u", &Map::new(), &Map::new(), true);
        assert_eq!(out["stream_options"], json!({"foo":1,"include_usage":true}));
        let out = prepare_body(&body, "u", &Map::new(), &Map::new(), false);
        assert_eq!(out["stream_options"], json!({"foo":1}));
    }

    #[test]
    fn prepared_bytes_match_prepare_body_with_and_without_overrides() {
        let bodies = [
            json!({"model":"m","messages":[{"role":"user","content":"hi"}],"x_new":{"a":[1,2]}}),
            json!({"model":"m","stream":true,"messages":[]}),
            json!({"model":"m","stream":true,"stream_options":{"foo":1},"max_tokens":5}),
            json!({"model":"m","stream":true,"stream_options":{"include_usage":false}}),
        ];
        let overrides = [Map::new(), obj(json!({"temperature": 0.5, "x_new": null}))];
        for body in &bodies {
            for o in &overrides {
                for usage in [false, true] {
                    for max in [None, Some(64)] {
                        let body = obj(body.clone());
                        let mut want = prepare_body(&body, "up", o, &Map::new(), usage);
                        if let (Some(m), false, false) = (
                            max,
                            body.contains_key("max_tokens"),
                            body.contains_key("max_completion_tokens"),
                        ) {
                            want.insert("max_tokens".into(), Value::from(m));
                        }
                        let none = Map::new();
                        let r = Reshape {
                            upstream_model: "up",
                            provider_overrides: o,
                            route_overrides: &none,
                            include_usage: usage,
                            max_tokens_default: max,
                        };
                        let got = prepared_bytes(&body, &r);
                        let got: Value = serde_json::from_slice(&got).unwrap();
                        assert_eq!(got, Value::Object(want), "{body:?} {o:?} {usage} {max:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn usage_is_read_with_cached_tokens() {
        let u = usage(
            &json!({"usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4}}}),
        );
        assert_eq!(
            u,
            Some(Usage {
                prompt_tokens: 10,
                completion_tokens: 5,
                cached_tokens: 4,
                ..Usage::default()
            })
        );
        assert_eq!(usage(&json!({"usage":null})), None);
        let u = usage(&json!({"usage":{"prompt_tokens":7,"completion_tokens":9,
            "prompt_tokens_details":{"cache_write_tokens":3},
            "completion_tokens_details":{"reasoning_tokens":6},"estimated":true}}));
        assert_eq!(
            u,
            Some(Usage {
                prompt_tokens: 7,
                completion_tokens: 9,
                cache_write_tokens: 3,
                reasoning_tokens: 6,
                estimated: true,
                ..Usage::default()
            })
        );
    }
}
