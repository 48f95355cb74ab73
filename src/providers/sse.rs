//! A Server-Sent Events decoder that is safe across chunk boundaries.
//!
//! Upstreams send SSE over HTTP in arbitrary TCP-sized pieces: a line, an event, even a UTF-8
//! character can be split between two chunks. [`SseDecoder::push`] buffers bytes and yields
//! only complete events. It follows the WHATWG rules that matter here: `\n`, `\r\n` or `\r`
//! end lines; a blank line ends an event; `data:` with or without the space (the Python
//! version dropped `data:{...}`); several `data` lines join with `\n`; `:` lines are comments
//! (keep-alives); `event:` names the event (Anthropic uses it).

/// One complete event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    /// OpenAI's end-of-stream marker.
    pub fn is_done(&self) -> bool {
        self.data.trim() == "[DONE]"
    }
}

#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<String>,
    /// A `\r` ended the last chunk: a `\n` starting the next one belongs to it.
    pending_cr: bool,
}

/// Refuse to buffer an endless line from a broken upstream.
const MAX_LINE: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an SSE line exceeded {MAX_LINE} bytes without ending")]
    LineTooLong,
    #[error("an SSE line is not valid UTF-8")]
    NotUtf8,
}

impl SseDecoder {
    pub fn new() -> SseDecoder {
        SseDecoder::default()
    }

    /// Feeds bytes; returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        let mut bytes = bytes;
        if self.pending_cr {
            self.pending_cr = false;
            if bytes.first() == Some(&b'\n') {
                bytes = &bytes[1..];
            }
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                let mut line = std::mem::take(&mut self.buf);
                line.extend_from_slice(&bytes[start..i]);
                if let Some(ev) = self.line(&line)? {
                    events.push(ev);
                }
                if b == b'\r' {
                    if i + 1 < bytes.len() {
                        if bytes[i + 1] == b'\n' {
                            i += 1;
                        }
                    } else {
                        self.pending_cr = true;
                    }
                }
                start = i + 1;
            }
            i += 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
        if self.buf.len() > MAX_LINE {
            return Err(SseError::LineTooLong);
        }
        Ok(events)
    }

    /// At end of stream: an event that was not closed by a blank line is still delivered
    /// (many servers omit the final blank line).
    pub fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            if let Some(ev) = self.line(&line)? {
                return Ok(Some(ev));
            }
        }
        Ok(self.dispatch())
    }

    fn line(&mut self, line: &[u8]) -> Result<Option<SseEvent>, SseError> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        let line = std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => self.data.push(value.to_string()),
            "event" => self.event = Some(value.to_string()),
            _ => {} // id, retry and unknown fields do not matter to us
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        if self.data.is_empty() {
            self.event = None;
            return None;
        }
        let data = std::mem::take(&mut self.data).join("\n");
        Some(SseEvent {
            event: self.event.take(),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_at_once(input: &str) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = d.push(input.as_bytes()).unwrap();
        out.extend(d.finish().unwrap());
        out
    }

    fn byte_by_byte(input: &str) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for b in input.as_bytes() {
            out.extend(d.push(std::slice::from_ref(b)).unwrap());
        }
        out.extend(d.finish().unwrap());
        out
    }

    #[test]
    fn events_split_anywhere_decode_the_same_as_whole() {
        let input = "event: message_start\r\ndata: {\"a\":\"ü\"}\r\n\r\n: keep-alive\n\ndata:{\"b\":2}\n\ndata: [DONE]\n\n";
        let whole = all_at_once(input);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0].event.as_deref(), Some("message_start"));
        assert_eq!(whole[0].data, "{\"a\":\"ü\"}");
        assert_eq!(whole[1].data, "{\"b\":2}", "data: without a space is kept");
        assert!(whole[2].is_done());
        assert_eq!(byte_by_byte(input), whole);
    }

    #[test]
    fn multi_line_data_joins_with_newlines_and_lone_cr_ends_lines() {
        let ev = all_at_once("data: one\rdata: two\r\r");
        assert_eq!(
            ev,
            vec![SseEvent {
                event: None,
                data: "one\ntwo".into()
            }]
        );
    }

    #[test]
    fn a_last_event_without_the_blank_line_is_delivered_at_finish() {
        let ev = all_at_once("data: tail");
        assert_eq!(ev[0].data, "tail");
    }

    #[test]
    fn comments_alone_produce_no_event() {
        assert!(all_at_once(": ping\n\n: ping\n\n").is_empty());
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let mut d = SseDecoder::new();
        assert_eq!(d.push(b"data: \xff\n"), Err(SseError::NotUtf8));
    }
}
