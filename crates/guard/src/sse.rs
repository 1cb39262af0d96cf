//! A small incremental parser for `text/event-stream` (the HTML Living Standard's Server-Sent
//! Events), for the fields the revocation feed uses: `event`, `data` and `id`.

/// The longest line accepted; the feed's lines are under 200 bytes.
const MAX_LINE: usize = 64 * 1024;

/// One dispatched event.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub(crate) struct Event {
    /// The `event` field (`message` when absent).
    pub(crate) event: String,
    /// The `data` lines joined with `\n`.
    pub(crate) data: String,
    /// The `id` field, when the event had one.
    pub(crate) id: Option<String>,
}

/// The line was over [`MAX_LINE`] bytes: the stream is not the feed.
#[derive(Debug, Eq, PartialEq)]
pub(crate) struct LineTooLong;

/// Parser state between chunks.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    line: Vec<u8>,
    pending: Event,
    has_data: bool,
}

impl Parser {
    /// Feeds bytes; returns the events completed by them.
    ///
    /// # Errors
    /// [`LineTooLong`].
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<Vec<Event>, LineTooLong> {
        let mut events = Vec::new();
        for &byte in chunk {
            if byte != b'\n' {
                if self.line.len() >= MAX_LINE {
                    return Err(LineTooLong);
                }
                self.line.push(byte);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(event) = self.line_done(&String::from_utf8_lossy(&line)) {
                events.push(event);
            }
        }
        Ok(events)
    }

    fn line_done(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None; // a comment: the server's keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => value.clone_into(&mut self.pending.event),
            "data" => {
                if self.has_data {
                    self.pending.data.push('\n');
                }
                self.pending.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.pending.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Event> {
        let mut event = std::mem::take(&mut self.pending);
        let had_data = std::mem::replace(&mut self.has_data, false);
        if !had_data {
            return None;
        }
        if event.event.is_empty() {
            "message".clone_into(&mut event.event);
        }
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_are_assembled() {
        let mut parser = Parser::default();
        let first = parser
            .push(b": keep-alive\n\nevent: revocation\nid: 7\nda")
            .expect("ok");
        assert!(first.is_empty());
        let second = parser
            .push(b"ta: {\"jti\":\"a\"}\r\n\r\ndata: x\ndata: y\n\n")
            .expect("ok");
        assert_eq!(second.len(), 2);
        assert_eq!(second[0].event, "revocation");
        assert_eq!(second[0].id.as_deref(), Some("7"));
        assert_eq!(second[0].data, "{\"jti\":\"a\"}");
        assert_eq!(second[1].event, "message");
        assert_eq!(second[1].data, "x\ny");
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut parser = Parser::default();
        assert_eq!(parser.push(&vec![b'a'; MAX_LINE + 1]), Err(LineTooLong));
    }
}
