//! The client's request body as the engine holds it: for an OpenAI client, the bytes as they
//! came plus the few facts routing reads; the whole JSON object is built only when something
//! needs it (translation to another upstream protocol, configured overrides, a token
//! estimate). A body translated from another client protocol arrives as that object.
//!
//! Why: building a `serde_json::Value` of a chat body and writing it out again was most of the
//! gateway's CPU per request once bodies carry a conversation (half of it at 32 KB). The light
//! read ([`Facts::read`]) walks the body once without allocating for what it skips, and the
//! usual pass-through ([`RequestBody::openai_bytes`]) copies the client's bytes with the
//! `model` value replaced and the route's additions appended.
//!
//! The light read only ever says "this body is one of the usual ones": anything it does not
//! expect (a duplicate field, an odd type, a missing required field) makes it step aside, and
//! the caller parses and checks the body the general way — so its answers, errors included,
//! are the general path's by construction.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::sync::OnceLock;

use bytes::Bytes;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::engine::Endpoint;
use crate::providers::openai::{self, Needs, Reshape};

/// A request body: the client's bytes with their facts, or a JSON object.
pub struct RequestBody {
    /// The client's bytes and what the light read found; `None` for a body built as an object.
    raw: Option<(Bytes, Facts)>,
    /// The body as an object: given, or parsed from `raw` the first time it is asked for.
    map: OnceLock<Map<String, Value>>,
}

impl RequestBody {
    /// A body already in object form (translated from another protocol, or checked by the
    /// general path).
    pub fn from_map(map: Map<String, Value>) -> Self {
        RequestBody {
            raw: None,
            map: OnceLock::from(map),
        }
    }

    /// An OpenAI client's body when the light read can vouch for it; `None` sends the caller
    /// down the general path (parse, check, [`RequestBody::from_map`]).
    pub fn light(raw: Bytes, endpoint: Endpoint) -> Option<Self> {
        let facts = Facts::read(&raw, endpoint)?;
        Some(RequestBody {
            raw: Some((raw, facts)),
            map: OnceLock::new(),
        })
    }

    /// The body as a JSON object (parsed now if it came as bytes).
    pub fn map(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| {
            let raw = self.raw.as_ref().map_or(&b"{}"[..], |(b, _)| b);
            // The light read already saw a valid object; a failure here cannot happen.
            serde_json::from_slice(raw).unwrap_or_default()
        })
    }

    /// The model the client asked for.
    pub fn model(&self) -> &str {
        match &self.raw {
            Some((_, f)) => &f.model,
            None => self
                .map()
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or(""),
        }
    }

    /// `stream: true`.
    pub fn stream(&self) -> bool {
        match &self.raw {
            Some((_, f)) => f.stream,
            None => self.map().get("stream").and_then(Value::as_bool) == Some(true),
        }
    }

    /// What a chat request needs from a route.
    pub fn needs(&self) -> Needs {
        match &self.raw {
            Some((_, f)) => f.needs,
            None => openai::needs(self.map()),
        }
    }

    /// The client asked for the final usage chunk itself (`stream_options.include_usage`).
    pub fn client_wants_usage(&self) -> bool {
        match &self.raw {
            Some((_, f)) => f.stream_options.include_usage == Some(Some(true)),
            None => self
                .map()
                .get("stream_options")
                .and_then(|o| o.get("include_usage"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    /// The body for an OpenAI upstream: `openai::prepared_bytes` of the object, or — the
    /// usual case, nothing overridden — the client's bytes with `model` replaced and
    /// `stream_options`/`max_tokens` appended where `prepared_bytes` would add them.
    pub fn openai_bytes(&self, r: &Reshape) -> Vec<u8> {
        if let (false, Some((raw, facts))) = (r.overrides(), &self.raw) {
            let max = r.max_tokens_default.filter(|_| !facts.has_limit);
            if let Some(out) = splice(raw, facts, r.upstream_model, r.include_usage, max) {
                return out;
            }
        }
        openai::prepared_bytes(self.map(), r)
    }
}

/// The client's bytes with the model replaced and the additions appended before the closing
/// brace; `None` when an addition would have to go inside `stream_options` (rare: the general
/// path merges it).
fn splice(
    raw: &[u8],
    f: &Facts,
    upstream_model: &str,
    include_usage: bool,
    max_tokens: Option<i32>,
) -> Option<Vec<u8>> {
    let so = &f.stream_options;
    let add_usage = f.stream && include_usage;
    if add_usage && so.kind == Kind::Object && so.include_usage.is_none() {
        return None;
    }
    let add_options = add_usage && !so.present();
    // The light read saw an object: its last non-blank byte is the closing brace.
    let close = raw.iter().rposition(|b| !b.is_ascii_whitespace())?;
    let (start, end) = f.model_span;
    let mut out = Vec::with_capacity(raw.len() + upstream_model.len() + 64);
    out.extend_from_slice(&raw[..start]);
    serde_json::to_writer(&mut out, upstream_model).ok()?;
    out.extend_from_slice(&raw[end..close]);
    // `model` is always there, so the object is not empty and a comma is right.
    if add_options {
        out.extend_from_slice(br#","stream_options":{"include_usage":true}"#);
    }
    if let Some(max) = max_tokens {
        write!(out, r#","max_tokens":{max}"#).ok()?;
    }
    out.extend_from_slice(&raw[close..]);
    Some(out)
}

/// What the light read found in an OpenAI body.
#[derive(Debug, Clone, PartialEq)]
struct Facts {
    model: String,
    /// Where the `model` value (with its quotes) lies in the bytes.
    model_span: (usize, usize),
    stream: bool,
    needs: Needs,
    /// `max_tokens` or `max_completion_tokens` is there (even as `null`).
    has_limit: bool,
    stream_options: Shape,
}

impl Facts {
    /// The facts of a body the general path would accept unchanged, or `None`: not an
    /// object, a required field missing, null or of the wrong type, an empty `model` or
    /// `messages`, a duplicate field this read looks at, ...
    fn read(raw: &[u8], endpoint: Endpoint) -> Option<Facts> {
        // A struct also deserializes from an array; the general path wants an object.
        if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return None;
        }
        let view: View = serde_json::from_slice(raw).ok()?;
        let model: Cow<str> = serde_json::from_str(view.model.get()).ok()?;
        if model.trim().is_empty() {
            return None;
        }
        let start = view.model.get().as_ptr() as usize - raw.as_ptr() as usize;
        let model_span = (start, start + view.model.get().len());
        let stream = view.stream == Some(true);
        let needs = match endpoint {
            Endpoint::ChatCompletions => {
                let messages = view.messages;
                if !messages.non_empty_array() || !messages.all_roles {
                    return None;
                }
                let format = view.response_format;
                Needs {
                    tools: non_empty_array(view.tools) || non_empty_array(view.functions),
                    vision: messages.image_message,
                    json_schema: format.kind == Kind::Object
                        && format.type_word == Word::JsonSchema,
                    streaming: stream,
                }
            }
            Endpoint::Completions => {
                view.prompt?;
                Needs {
                    streaming: stream,
                    ..Needs::default()
                }
            }
            Endpoint::Embeddings => {
                view.input?;
                Needs::default()
            }
        };
        Some(Facts {
            model: model.into_owned(),
            model_span,
            stream,
            needs,
            has_limit: view.max_tokens.present() || view.max_completion_tokens.present(),
            stream_options: view.stream_options,
        })
    }
}

/// The fields of an OpenAI body that routing reads; everything else is skipped unread.
/// A field missing is `None`/[`Kind::Absent`]; `null` is `None` for the `Option`s.
#[derive(Deserialize)]
struct View<'a> {
    #[serde(borrow)]
    model: &'a RawValue,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default, borrow)]
    prompt: Option<&'a RawValue>,
    #[serde(default, borrow)]
    input: Option<&'a RawValue>,
    #[serde(default)]
    messages: Shape,
    #[serde(default, borrow)]
    tools: Option<&'a RawValue>,
    #[serde(default, borrow)]
    functions: Option<&'a RawValue>,
    #[serde(default)]
    response_format: Shape,
    #[serde(default)]
    max_tokens: Shape,
    #[serde(default)]
    max_completion_tokens: Shape,
    #[serde(default)]
    stream_options: Shape,
}

/// One JSON value of any type, summed up as far as the light read asks: its type, an
/// array's length, and what an object says under the few keys routing reads. Nothing it
/// skips is allocated. Where a key repeats, the last one counts (as in `Value`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Shape {
    kind: Kind,
    /// A string that routing reads as a word (a `type` value).
    word: Word,
    /// An array: its length.
    len: usize,
    /// An array whose elements are all objects with a string `role` (a `messages` array).
    all_roles: bool,
    /// An array with an element whose `type` is an image (a `content` array).
    image_part: bool,
    /// An array with an element whose `content` has an image part (a `messages` array).
    image_message: bool,
    /// An object: its `type`.
    type_word: Word,
    /// An object: its `role` is a string.
    role: bool,
    /// An object: its `content` is an array with an image part.
    content_image: bool,
    /// An object: `include_usage` is there, and its value if a boolean.
    include_usage: Option<Option<bool>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Kind {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Number,
    Str,
    Array,
    Object,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Word {
    #[default]
    Other,
    /// `image_url`, `input_image` or `image`: a content part `openai::needs` counts as vision.
    Image,
    JsonSchema,
}

impl Shape {
    fn of(kind: Kind) -> Shape {
        Shape {
            kind,
            ..Shape::default()
        }
    }

    fn present(&self) -> bool {
        self.kind != Kind::Absent
    }

    /// `openai::needs`'s "non-empty array".
    fn non_empty_array(&self) -> bool {
        self.kind == Kind::Array && self.len > 0
    }
}

/// `openai::needs`'s "non-empty array", read off the raw JSON without parsing the elements
/// (tool definitions can be long).
fn non_empty_array(raw: Option<&RawValue>) -> bool {
    raw.and_then(|r| r.get().trim_start().strip_prefix('['))
        .is_some_and(|rest| !rest.trim_start().starts_with(']'))
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::of(Kind::Null))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Shape, E> {
        Ok(Shape::of(Kind::Bool(b)))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::of(Kind::Number))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::of(Kind::Number))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::of(Kind::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Shape, E> {
        let word = match s {
            "image_url" | "input_image" | "image" => Word::Image,
            "json_schema" => Word::JsonSchema,
            _ => Word::Other,
        };
        Ok(Shape {
            word,
            ..Shape::of(Kind::Str)
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut out = Shape {
            all_roles: true,
            ..Shape::of(Kind::Array)
        };
        while let Some(el) = seq.next_element::<Shape>()? {
            out.len += 1;
            out.all_roles &= el.kind == Kind::Object && el.role;
            out.image_part |= el.type_word == Word::Image;
            out.image_message |= el.content_image;
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut out = Shape::of(Kind::Object);
        while let Some(key) = map.next_key::<Cow<str>>()? {
            match &*key {
                "type" => {
                    let v = map.next_value::<Shape>()?;
                    out.type_word = if v.kind == Kind::Str {
                        v.word
                    } else {
                        Word::Other
                    };
                }
                "role" => out.role = map.next_value::<Shape>()?.kind == Kind::Str,
                "content" => {
                    // Usually a long string: skipped as raw JSON (no unescaping, no UTF-8
                    // pass over a copy); only an array of parts is read, a second time.
                    let raw = map.next_value::<&'de RawValue>()?;
                    out.content_image = raw.get().starts_with('[')
                        && serde_json::from_str::<Shape>(raw.get())
                            .map_err(de::Error::custom)?
                            .image_part;
                }
                "include_usage" => {
                    let v = map.next_value::<Shape>()?;
                    out.include_usage = Some(match v.kind {
                        Kind::Bool(b) => Some(b),
                        _ => None,
                    });
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    static NONE: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

    fn reshape<'a>(
        model: &'a str,
        provider: &'a Map<String, Value>,
        include_usage: bool,
        max_tokens_default: Option<i32>,
    ) -> Reshape<'a> {
        Reshape {
            upstream_model: model,
            provider_overrides: provider,
            route_overrides: &NONE,
            include_usage,
            max_tokens_default,
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    /// Bodies the light read takes: the usual shapes, odd spacing, escapes, unknown fields.
    pub(crate) const USUAL: &[&str] = &[
        r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#,
        "\n { \"messages\" : [ {\"role\":\"user\",\"content\":\"hi\"} ] , \"model\" : \"m\" } \n",
        r#"{"model":"caf\u00e9/\"x\"","messages":[{"role":"system","content":"a\nb"},{"role":"user","content":[{"type":"text","text":"t"},{"type":"image_url","image_url":{"url":"data:x"}}]}],"stream":true}"#,
        r#"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":null}]}"#,
        r#"{"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user"}]}"#,
        r#"{"model":"m","stream":true,"stream_options":{"foo":1},"messages":[{"role":"user"}]}"#,
        r#"{"model":"m","stream":true,"stream_options":null,"messages":[{"role":"user"}]}"#,
        r#"{"model":"m","stream":null,"max_tokens":null,"messages":[{"role":"user"}]}"#,
        r#"{"model":"m","max_completion_tokens":9,"messages":[{"role":"user"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}"#,
        r#"{"model":"m","messages":[{"role":"user"}],"tools":[],"functions":{"a":1},"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"image"}}}}"#,
        r#"{"model":"m","messages":[{"role":"user","type":"image","content":"x"}],"response_format":"json_schema"}"#,
        r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","type":"input_image"}]}],"x":1,"x":2}"#,
        r#"{"model":"m","messages":[{"role":"user"}],"seed":123456789012345678901234567890,"temperature":1.0,"x_vendor":{"deep":[1,{"a":null}]}}"#,
        "{\"model\":\"m\",\"messages\":[{\"content\" :\n [ {\"type\" : \"input_image\"} ] ,\"role\":\"user\"}],\"tools\" : [ ] , \"functions\":[ {\"name\":\"f\"} ]}",
        r#"{"model":"m","messages":[{"role":"user","content":[]}],"tools":[null]}"#,
    ];

    #[test]
    fn the_light_path_says_what_the_general_path_says() {
        let overrides = [
            Map::new(),
            obj(json!({"temperature": 0.5, "x_vendor": null})),
        ];
        for raw in USUAL {
            let light = RequestBody::light(
                Bytes::from_static(raw.as_bytes()),
                Endpoint::ChatCompletions,
            )
            .unwrap_or_else(|| panic!("light read refused {raw}"));
            let general = RequestBody::from_map(serde_json::from_str(raw).unwrap());
            assert_eq!(light.model(), general.model(), "{raw}");
            assert_eq!(light.stream(), general.stream(), "{raw}");
            assert_eq!(light.needs(), general.needs(), "{raw}");
            assert_eq!(
                light.client_wants_usage(),
                general.client_wants_usage(),
                "{raw}"
            );
            assert_eq!(light.map(), general.map(), "{raw}");
            for o in &overrides {
                for usage in [false, true] {
                    for max in [None, Some(64)] {
                        let r = reshape("up/\"v\"", o, usage, max);
                        let got = light.openai_bytes(&r);
                        let want = general.openai_bytes(&r);
                        let got: Value = serde_json::from_slice(&got)
                            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&got)));
                        let want: Value = serde_json::from_slice(&want).unwrap();
                        assert_eq!(got, want, "{raw} {o:?} {usage} {max:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn needs_are_read_from_the_fields_routing_asks_about() {
        let needs = |raw: &'static str| {
            RequestBody::light(
                Bytes::from_static(raw.as_bytes()),
                Endpoint::ChatCompletions,
            )
            .unwrap()
            .needs()
        };
        assert_eq!(needs(USUAL[0]), Needs::default());
        assert!(needs(USUAL[2]).vision && needs(USUAL[2]).streaming);
        assert!(needs(USUAL[8]).tools && !needs(USUAL[8]).json_schema);
        let n = needs(USUAL[9]);
        assert!(n.json_schema && !n.tools && !n.vision);
        assert_eq!(
            needs(USUAL[10]),
            Needs::default(),
            "type on the message, not a part"
        );
        assert!(needs(USUAL[11]).vision, "the last `type` counts");
        let n = needs(USUAL[13]);
        assert!(n.vision && n.tools, "spacing around arrays: {n:?}");
        assert!(needs(USUAL[14]).tools && !needs(USUAL[14]).vision);
    }

    #[test]
    fn the_client_bytes_travel_as_they_came_with_the_model_replaced() {
        let raw = r#" {"model" : "m", "seed":123456789012345678901234567890, "x":1, "x":2,
            "temperature":1.0, "messages":[{"role":"user","content":"h\u00e9"}]} "#;
        let body = RequestBody::light(
            Bytes::from_static(raw.as_bytes()),
            Endpoint::ChatCompletions,
        )
        .unwrap();
        let out = body.openai_bytes(&reshape("gpt-x", &NONE, true, None));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            raw.replace(r#""m""#, r#""gpt-x""#),
            "numbers, escapes, repeated keys and spacing untouched; nothing added without stream"
        );
        let out = body.openai_bytes(&reshape("gpt-x", &NONE, true, Some(7)));
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with(r#"}],"max_tokens":7} "#));
    }

    /// Chat bodies the light read leaves to the general path.
    pub(crate) const UNUSUAL: &[&str] = &[
        "",
        "[\"m\"]",
        r#"["m",[{"role":"user"}]]"#,
        r#"{"messages":[{"role":"user"}]}"#,
        r#"{"model":null,"messages":[{"role":"user"}]}"#,
        r#"{"model":5,"messages":[{"role":"user"}]}"#,
        r#"{"model":" ","messages":[{"role":"user"}]}"#,
        r#"{"model":"a","model":"b","messages":[{"role":"user"}]}"#,
        r#"{"model":"m","stream":"yes","messages":[{"role":"user"}]}"#,
        r#"{"model":"m","messages":[]}"#,
        r#"{"model":"m","messages":{"role":"user"}}"#,
        r#"{"model":"m","messages":[{"content":"x"}]}"#,
        r#"{"model":"m","messages":[{"role":1}]}"#,
        r#"{"model":"m","messages":[["user","x"]]}"#,
        r#"{"model":"m","messages":[{"role":"user"}]} x"#,
        r#"{"model":"m","messages":[{"role":"user"}],"stream":true,"stream":false}"#,
    ];

    #[test]
    fn the_light_read_steps_aside_for_anything_unusual() {
        for raw in UNUSUAL {
            assert!(
                RequestBody::light(
                    Bytes::from_static(raw.as_bytes()),
                    Endpoint::ChatCompletions
                )
                .is_none(),
                "{raw}"
            );
        }
        let light =
            |raw: &'static str, e| RequestBody::light(Bytes::from_static(raw.as_bytes()), e);
        assert!(light(r#"{"model":"m"}"#, Endpoint::Completions).is_none());
        assert!(light(r#"{"model":"m","prompt":null}"#, Endpoint::Completions).is_none());
        assert!(light(r#"{"model":"m","prompt":["a"]}"#, Endpoint::Completions).is_some());
        assert!(light(r#"{"model":"m","input":null}"#, Endpoint::Embeddings).is_none());
        assert!(light(
            r#"{"model":"m","input":"a","stream":true}"#,
            Endpoint::Embeddings
        )
        .is_some_and(|b| b.needs() == Needs::default()));
    }

    #[test]
    fn options_inside_stream_options_go_the_general_way() {
        let raw = USUAL[5]; // stream_options without include_usage
        let body = RequestBody::light(
            Bytes::from_static(raw.as_bytes()),
            Endpoint::ChatCompletions,
        )
        .unwrap();
        let out = body.openai_bytes(&reshape("u", &NONE, true, None));
        let out: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            out["stream_options"],
            json!({"foo": 1, "include_usage": true})
        );
    }
}
