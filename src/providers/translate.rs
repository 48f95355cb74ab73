//! Reading any upstream's answer as the canonical (OpenAI chat) shape: [`Wire`] says which
//! protocol an upstream call speaks, [`to_openai`] translates a full answer, and
//! [`EventReader`] decodes a stream's bytes (chunk-boundary safe) into OpenAI chunk events,
//! translating Anthropic and Gemini events on the way. OpenAI events pass untouched.

use serde_json::Value;

use super::anthropic;
use super::gemini;
use super::sse::{SseDecoder, SseError, SseEvent};

/// The protocol an upstream answers in, with what translating it back needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI, Azure OpenAI and every OpenAI-compatible server.
    OpenAi,
    Anthropic(anthropic::Ctx),
    Gemini,
}

impl Wire {
    /// Whether answers are translated (and so always carry usage the gateway asked for).
    pub fn translated(&self) -> bool {
        !matches!(self, Wire::OpenAi)
    }
}

/// A full (non-streamed) answer as a `chat.completion`; `None` when it is not an answer of
/// that protocol.
pub fn to_openai(wire: &Wire, v: Value) -> Option<Value> {
    match wire {
        Wire::OpenAi => Some(v),
        Wire::Anthropic(ctx) => anthropic::response::to_openai(&v, ctx),
        Wire::Gemini => gemini::response::to_openai(&v),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Sse(#[from] SseError),
    #[error(transparent)]
    NotJson(#[from] super::chat::NotJson),
}

enum Translator {
    None,
    Anthropic(Box<anthropic::response::Stream>),
    Gemini(Box<gemini::response::Stream>),
}

/// Bytes of an upstream event stream in, OpenAI chunk events (and `[DONE]`) out.
pub struct EventReader {
    decoder: SseDecoder,
    translator: Translator,
}

impl EventReader {
    pub fn new(wire: &Wire) -> EventReader {
        let translator = match wire {
            Wire::OpenAi => Translator::None,
            Wire::Anthropic(ctx) => {
                Translator::Anthropic(Box::new(anthropic::response::Stream::new(ctx.clone())))
            }
            Wire::Gemini => Translator::Gemini(Box::default()),
        };
        EventReader {
            decoder: SseDecoder::new(),
            translator,
        }
    }

    /// An OpenAI stream: events pass as they are.
    pub fn openai() -> EventReader {
        EventReader::new(&Wire::OpenAi)
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, StreamError> {
        let events = self.decoder.push(bytes)?;
        self.translate(events)
    }

    /// At the end of the body: what is left (an unterminated last event, the tail a
    /// translator owes after a finish). Calling it again yields nothing.
    pub fn finish(&mut self) -> Result<Vec<SseEvent>, StreamError> {
        let last: Vec<SseEvent> = self.decoder.finish()?.into_iter().collect();
        let mut out = self.translate(last)?;
        out.extend(match &mut self.translator {
            Translator::None => Vec::new(),
            Translator::Anthropic(s) => s.finish(),
            Translator::Gemini(s) => s.finish(),
        });
        Ok(out)
    }

    fn translate(&mut self, events: Vec<SseEvent>) -> Result<Vec<SseEvent>, StreamError> {
        let mut out = Vec::new();
        for ev in events {
            let translated = match &mut self.translator {
                Translator::None => {
                    out.push(ev);
                    continue;
                }
                Translator::Anthropic(s) => s.event(&ev),
                Translator::Gemini(s) => s.event(&ev),
            };
            out.extend(translated?);
        }
        Ok(out)
    }
}
