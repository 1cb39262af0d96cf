//! The revocation stream's `text/event-stream` (the HTML Living Standard's Server-Sent
//! Events), parsed by `sse-stream`, for the fields the feed uses: `event`, `data` and `id`.
//!
//! The parser buffers a line until it ends and an event's data until a blank line, with no
//! limit of its own. A hostile or broken server must not make the guard buffer without
//! bound, so the bytes pass through [`Limits`] first, which ends the stream as soon as a
//! line or an event outgrows its cap.

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use sse_stream::{Sse, SseByteStream};

use crate::error::FetchError;

/// The longest line accepted; the feed's lines are under 200 bytes.
const MAX_LINE: usize = 64 * 1024;
/// The most bytes of field lines (comments aside) one event may hold.
const MAX_EVENT: usize = 64 * 1024;
/// [`FetchError::Body`]'s text when a line is over [`MAX_LINE`].
const LINE_TOO_LONG: &str = "event line too long";
/// [`FetchError::Body`]'s text when an event is over [`MAX_EVENT`].
const EVENT_TOO_LARGE: &str = "event too large";

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

/// The events of a streaming response's body. The stream ends after its first error.
pub(crate) fn events_of(
    response: reqwest::Response,
) -> impl Stream<Item = Result<Event, FetchError>> {
    let chunks = futures_util::stream::unfold(Some(response), |response| async move {
        let mut response = response?;
        match response.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(response))),
            Ok(None) => None,
            Err(err) => {
                let err = FetchError::Transport(err.without_url().to_string());
                Some((Err(err), None))
            }
        }
    });
    events(chunks)
}

/// The events in `chunks`, a body's bytes as they arrive, bounded by [`Limits`]. Blocks
/// without data are not events (as in a browser). The stream ends after its first error.
pub(crate) fn events<S>(chunks: S) -> impl Stream<Item = Result<Event, FetchError>>
where
    S: Stream<Item = Result<Bytes, FetchError>>,
{
    let mut limits = Limits::default();
    let bounded = chunks.map(move |chunk| {
        let chunk = chunk?;
        limits.check(&chunk)?;
        Ok::<_, FetchError>(chunk)
    });
    SseByteStream::new(bounded).filter_map(|block| async move {
        match block {
            Ok(block) => event_of(block).map(Ok),
            Err(err) => Some(Err(fetch_error(err))),
        }
    })
}

/// `block` as an event, if it has data.
fn event_of(block: Sse) -> Option<Event> {
    let data = block.data?;
    let event = block.event.filter(|name| !name.is_empty());
    Some(Event {
        event: event.unwrap_or_else(|| "message".to_owned()),
        data,
        id: block.id,
    })
}

/// The parser's error in the feed's words; the input's own errors come back as they were.
fn fetch_error(err: sse_stream::Error) -> FetchError {
    match err {
        sse_stream::Error::Body(err) => match err.downcast::<FetchError>() {
            Ok(err) => *err,
            Err(other) => FetchError::Transport(other.to_string()),
        },
        other => FetchError::Body(other.to_string()),
    }
}

/// The length of the current line and of the current event in the bytes seen so far, the
/// parser's only buffers. Comment lines (the server's keep-alives) count as lines only:
/// they are not kept.
#[derive(Debug, Default)]
struct Limits {
    line: usize,
    event: usize,
    comment: bool,
    after_cr: bool,
}

impl Limits {
    /// Counts `chunk`.
    ///
    /// # Errors
    /// [`FetchError::Body`] once a line is over [`MAX_LINE`] or an event over [`MAX_EVENT`].
    fn check(&mut self, chunk: &[u8]) -> Result<(), FetchError> {
        for &byte in chunk {
            let after_cr = std::mem::take(&mut self.after_cr);
            match byte {
                b'\n' if after_cr => {} // the LF of a CRLF
                b'\n' | b'\r' => self.line_end(byte == b'\r'),
                _ => self.count(byte)?,
            }
        }
        Ok(())
    }

    fn line_end(&mut self, cr: bool) {
        if self.line == 0 {
            self.event = 0; // a blank line ends the event
        }
        self.line = 0;
        self.comment = false;
        self.after_cr = cr;
    }

    fn count(&mut self, byte: u8) -> Result<(), FetchError> {
        if self.line == 0 {
            self.comment = byte == b':';
        }
        self.line += 1;
        if self.line > MAX_LINE {
            return Err(FetchError::Body(LINE_TOO_LONG.to_owned()));
        }
        if !self.comment {
            self.event += 1;
            if self.event > MAX_EVENT {
                return Err(FetchError::Body(EVENT_TOO_LARGE.to_owned()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item of the stream made from `chunks`.
    async fn parse(chunks: Vec<Result<Vec<u8>, FetchError>>) -> Vec<Result<Event, FetchError>> {
        let chunks = chunks.into_iter().map(|chunk| chunk.map(Bytes::from));
        events(futures_util::stream::iter(chunks)).collect().await
    }

    fn ok(chunks: &[&[u8]]) -> Vec<Result<Vec<u8>, FetchError>> {
        chunks.iter().map(|chunk| Ok(chunk.to_vec())).collect()
    }

    fn too_long(why: &str) -> Result<Event, FetchError> {
        Err(FetchError::Body(why.to_owned()))
    }

    #[tokio::test]
    async fn events_split_across_chunks_are_assembled() {
        let chunks = ok(&[
            b": keep-alive\n\nevent: revocation\nid: 7\nda",
            b"ta: {\"jti\":\"a\"}\r\n\r\ndata: x\ndata: y\n\n",
        ]);
        let events: Vec<Event> = parse(chunks).await.into_iter().flatten().collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event, "revocation");
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(events[0].data, "{\"jti\":\"a\"}");
        assert_eq!(events[1].event, "message");
        assert_eq!(events[1].data, "x\ny");
    }

    #[tokio::test]
    async fn blocks_without_data_and_nul_ids_are_not_taken() {
        let chunks = ok(&[b"id: 3\n\nevent: revocation\rid: a\0b\rdata: z\r\r"]);
        let events: Vec<Event> = parse(chunks).await.into_iter().flatten().collect();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].event, "revocation");
        assert_eq!(events[0].data, "z");
        assert_eq!(events[0].id, None);
    }

    #[tokio::test]
    async fn an_endless_line_is_refused() {
        let line = vec![b'a'; MAX_LINE + 1];
        assert_eq!(parse(vec![Ok(line)]).await, [too_long(LINE_TOO_LONG)]);
        // The same line in small pieces, after an event that gets through.
        let mut chunks = ok(&[b"data: 1\n\n"]);
        chunks.extend((0..=MAX_LINE / 1024).map(|_| Ok(vec![b'a'; 1024])));
        let items = parse(chunks).await;
        assert_eq!(items.len(), 2, "one event, then the refusal, then nothing");
        assert!(items[0].is_ok());
        assert_eq!(items[1], too_long(LINE_TOO_LONG));
    }

    #[tokio::test]
    async fn an_endless_event_is_refused() {
        let lines = b"data: 0123456789abcdef\n".repeat(MAX_EVENT / 16);
        assert_eq!(parse(vec![Ok(lines)]).await, [too_long(EVENT_TOO_LARGE)]);
    }

    #[tokio::test]
    async fn keep_alives_never_add_up() {
        let mut stream = b": keep-alive\n".repeat(MAX_EVENT / 4);
        stream.extend_from_slice(b"event: revocation\ndata: {}\n\n");
        let items = parse(vec![Ok(stream)]).await;
        assert_eq!(items.len(), 1, "{:?}", items.first());
        assert_eq!(items[0].as_ref().map(|e| e.data.as_str()), Ok("{}"));
    }

    #[tokio::test]
    async fn transport_errors_pass_through_and_end_the_stream() {
        let cut = FetchError::Transport("connection reset".into());
        let chunks = vec![
            Ok(b"data: 1\n\n".to_vec()),
            Err(cut.clone()),
            Ok(b"data: 2\n\n".to_vec()),
        ];
        let items = parse(chunks).await;
        assert_eq!(items.len(), 2);
        assert_eq!(items[1], Err(cut));
    }

    #[tokio::test]
    async fn invalid_utf8_in_data_is_refused() {
        let items = parse(ok(&[b"data: \xff\xfe\n\n"])).await;
        assert!(
            matches!(items.as_slice(), [Err(FetchError::Body(_))]),
            "{items:?}"
        );
    }
}
