//! A streaming mbox splitter.
//!
//! [`MboxReader`] reads any [`BufRead`] through a buffer of its own, finds line ends with
//! memchr and copies each message once into the [`RawMessage`] it yields. Memory stays bounded
//! by the buffer plus one message (at most [`SplitOptions::max_message_bytes`]); lines of any
//! length are handled in pieces.
//!
//! A separator is a line starting `From ` at the start of the stream (after blank lines at
//! most), or a `From <address> <date>` line: after a blank line the date needs a year, without
//! one it also needs a time of day, so prose such as `From here on` never splits a message.
//! The line end before a separator belongs to the separator. Line ends are LF, CRLF or CR,
//! detected from the first line end of each message (its `From_` line), so an archive that
//! mixes styles splits as it was written.
//!
//! A read error (a damaged gzip member) ends the stream where it happened: every message
//! followed by a separator before it is whole and yielded; the one it cut is not, and the
//! error names its offset. Trailing garbage after whole gzip members loses nothing: the last
//! message is yielded, then the error.

mod buffer;
mod from_line;

use std::fmt;
use std::io::{self, BufRead};
use std::str::FromStr;

use buffer::{Buffer, Sink};
use from_line::{is_escaped_from, is_separator, line_content, SeparatorRule};

/// How many bytes of a line are examined for a separator or an escape.
pub(crate) const LOOKAHEAD: usize = 1024;

/// The longest header block searched for `Content-Length:` in mboxcl2.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// The mbox dialect, which decides how `From ` lines in bodies were escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MboxFormat {
    /// Only `From ` was escaped as `>From `; `>From ` itself was left alone.
    Mboxo,
    /// Every `>*From ` line got one more `>`; reading removes one.
    #[default]
    Mboxrd,
    /// Bodies are not escaped; a `Content-Length:` header gives the body length.
    Mboxcl2,
}

impl FromStr for MboxFormat {
    type Err = ParseFormatError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "mboxo" => Ok(Self::Mboxo),
            "mboxrd" => Ok(Self::Mboxrd),
            "mboxcl2" => Ok(Self::Mboxcl2),
            _ => Err(ParseFormatError(name.to_owned())),
        }
    }
}

impl fmt::Display for MboxFormat {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Mboxo => "mboxo",
            Self::Mboxrd => "mboxrd",
            Self::Mboxcl2 => "mboxcl2",
        })
    }
}

/// An unknown mbox format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mbox format `{0}` (expected mboxo, mboxrd or mboxcl2)")]
pub struct ParseFormatError(pub String);

/// Limits for [`MboxReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitOptions {
    /// Messages larger than this are skipped and reported as [`Event::Oversize`].
    pub max_message_bytes: u64,
}

impl Default for SplitOptions {
    fn default() -> Self {
        Self { max_message_bytes: 256 << 20 }
    }
}

/// One message cut out of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Byte offset of the `From_` line in the (decompressed) stream; 0 for a single message.
    pub offset: u64,
    /// The message without its `From_` line, unescaped.
    pub bytes: Vec<u8>,
    /// The `From_` line without its line end (lossy UTF-8); empty for a single message.
    pub from_line: String,
}

/// What [`MboxReader`] finds in a stream, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message.
    Message(RawMessage),
    /// Bytes before the first separator that are not blank; they are not a message.
    Preamble {
        /// Always 0.
        offset: u64,
        /// Bytes up to the first `From_` line.
        len: u64,
    },
    /// A message larger than the limit, skipped without buffering it.
    Oversize {
        /// Byte offset of its `From_` line (0 for a single message).
        offset: u64,
        /// Its length in the stream, `From_` line included.
        len: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// Reading failed; nothing follows.
    Error {
        /// Stream offset reached when reading failed.
        offset: u64,
        /// What went wrong.
        error: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Preamble,
    AtSeparator,
    Done,
}

/// How a scan over lines ended.
struct ScanEnd {
    at_separator: bool,
    saw_content: bool,
}

/// Splits an mbox stream into [`Event`]s.
pub struct MboxReader<R> {
    buffer: Buffer<R>,
    format: MboxFormat,
    options: SplitOptions,
    phase: Phase,
    headless: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// Reads `reader` as an mbox of the given format.
    pub fn new(reader: R, format: MboxFormat, options: SplitOptions) -> Self {
        Self { buffer: Buffer::new(reader), format, options, phase: Phase::Start, headless: false }
    }

    /// Treats a stream that does not start with `From ` as one message (offset 0) unless a
    /// blank line followed by a complete `From_` line turns up, which makes the bytes before it
    /// a preamble.
    pub(crate) fn headless(mut self) -> Self {
        self.headless = true;
        self
    }

    /// Bytes of the (decompressed) stream consumed so far.
    pub fn position(&self) -> u64 {
        self.buffer.offset()
    }

    fn step(&mut self) -> io::Result<Option<Event>> {
        loop {
            match self.phase {
                Phase::Start => self.phase = self.start()?,
                Phase::Preamble => {
                    if let Some(event) = self.preamble()? {
                        return Ok(Some(event));
                    }
                }
                Phase::AtSeparator => return self.message(),
                Phase::Done => return Ok(None),
            }
        }
    }

    /// Decides whether the stream starts with a `From_` line, skipping leading blank lines.
    fn start(&mut self) -> io::Result<Phase> {
        self.buffer.fill(LOOKAHEAD)?;
        let window = self.buffer.window(LOOKAHEAD);
        if window.is_empty() {
            return Ok(Phase::Done);
        }
        let blanks = window.iter().take_while(|byte| matches!(byte, b'\r' | b'\n')).count();
        if window[blanks..].starts_with(b"From ") {
            self.buffer.advance(blanks);
            Ok(Phase::AtSeparator)
        } else {
            Ok(Phase::Preamble)
        }
    }

    /// Scans the bytes before the first separator.
    fn preamble(&mut self) -> io::Result<Option<Event>> {
        let limit = self.options.max_message_bytes;
        let mut sink = if self.headless { Sink::buffering(limit) } else { Sink::counting() };
        let rule = if self.headless { SeparatorRule::Headless } else { SeparatorRule::Mbox };
        let end = self.scan(&mut sink, None, rule, false)?;
        let len = self.buffer.offset();
        if end.at_separator {
            self.phase = Phase::AtSeparator;
            return Ok(end.saw_content.then_some(Event::Preamble { offset: 0, len }));
        }
        self.phase = Phase::Done;
        if !end.saw_content {
            return Ok(None);
        }
        if self.headless && self.buffer.cut_short() {
            return Ok(Some(self.cut_message(0)));
        }
        if !self.headless {
            return Ok(Some(Event::Preamble { offset: 0, len }));
        }
        Ok(Some(match sink.into_bytes() {
            Some(bytes) => {
                Event::Message(RawMessage { offset: 0, bytes, from_line: String::new() })
            }
            None => Event::Oversize { offset: 0, len, limit },
        }))
    }

    /// Reads the message whose `From_` line starts at the current position.
    fn message(&mut self) -> io::Result<Option<Event>> {
        self.buffer.fill(LOOKAHEAD)?;
        if self.buffer.at_end() {
            self.phase = Phase::Done;
            return Ok(None);
        }
        let offset = self.buffer.offset();
        let from_line =
            String::from_utf8_lossy(line_content(self.buffer.window(LOOKAHEAD))).into_owned();
        self.buffer.forget_line_end();
        self.buffer.skip_line(&mut Sink::counting())?;
        self.buffer.start_run();
        let limit = self.options.max_message_bytes;
        if self.format == MboxFormat::Mboxcl2 {
            if let Some(bytes) = self.counted_body(limit)? {
                return Ok(Some(Event::Message(RawMessage { offset, bytes, from_line })));
            }
        }
        let mut sink = Sink::buffering(limit);
        let end = self.scan(&mut sink, Some(self.format), SeparatorRule::Mbox, true)?;
        if !end.at_separator && self.buffer.cut_short() {
            return Ok(Some(self.cut_message(offset)));
        }
        let len = self.buffer.offset() - offset;
        Ok(Some(match sink.into_bytes() {
            Some(bytes) => Event::Message(RawMessage { offset, bytes, from_line }),
            None => Event::Oversize { offset, len, limit },
        }))
    }

    /// The error of a stream cut short inside the message at `offset`, which is not yielded:
    /// its end is missing.
    fn cut_message(&mut self, offset: u64) -> Event {
        self.phase = Phase::Done;
        let error = self.buffer.take_failure().map_or_else(String::new, |e| e.to_string());
        Event::Error {
            offset,
            error: format!("{error}; the message at byte {offset} is cut short and was not read"),
        }
    }

    /// Copies lines into `sink` up to the next separator or the end of the stream, leaving the
    /// position at the separator. `unescape` names the format whose escapes are undone;
    /// `strip_at_end` drops the line end of a final blank line.
    fn scan(
        &mut self,
        sink: &mut Sink,
        unescape: Option<MboxFormat>,
        rule: SeparatorRule,
        strip_at_end: bool,
    ) -> io::Result<ScanEnd> {
        let buffer = &mut self.buffer;
        buffer.start_run();
        let mut previous_blank = false;
        let mut previous_eol = 0;
        let mut saw_content = false;
        loop {
            if buffer.available() < LOOKAHEAD {
                // Hold back the previous line end: it belongs to a separator that may follow.
                buffer.commit_before(sink, previous_eol);
                buffer.fill(LOOKAHEAD)?;
            }
            if buffer.at_end() {
                let held = if strip_at_end && previous_blank { previous_eol } else { 0 };
                buffer.commit_before(sink, held);
                return Ok(ScanEnd { at_separator: false, saw_content });
            }
            let window = buffer.window(LOOKAHEAD);
            match window[0] {
                b'F' if is_separator(window, previous_blank, rule) => {
                    buffer.commit_before(sink, previous_eol);
                    return Ok(ScanEnd { at_separator: true, saw_content });
                }
                b'>' if unescape.is_some_and(|format| is_escaped_from(window, format)) => {
                    buffer.commit_before(sink, 0);
                    buffer.drop_byte();
                }
                _ => {}
            }
            let (blank, eol) = buffer.skip_line(sink)?;
            saw_content |= !blank;
            previous_blank = blank;
            previous_eol = eol;
        }
    }

    /// For mboxcl2: the header block and the `Content-Length:` body, when the length ends
    /// exactly at a separator or at the end of the stream. `None` leaves the position alone.
    fn counted_body(&mut self, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let Some(header_len) = self.buffer.header_block(MAX_HEADER_BYTES)? else {
            return Ok(None);
        };
        let header = &self.buffer.window(header_len)[..header_len];
        let Some(body_len) =
            header.split(|byte| matches!(byte, b'\n' | b'\r')).find_map(from_line::content_length)
        else {
            return Ok(None);
        };
        let total = match usize::try_from(body_len).ok().and_then(|len| len.checked_add(header_len))
        {
            Some(total) if total as u64 <= limit => total,
            _ => return Ok(None),
        };
        let trailing = self.buffer.counted_end(total)?;
        let Some(trailing) = trailing else {
            return Ok(None);
        };
        let bytes = self.buffer.window(total)[..total].to_vec();
        self.buffer.advance(total + trailing);
        Ok(Some(bytes))
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        match self.step() {
            Ok(None) => {
                self.phase = Phase::Done;
                // A read error not yet told (after the last whole message) comes last.
                let error = self.buffer.take_failure()?;
                Some(Event::Error { offset: self.buffer.offset(), error: error.to_string() })
            }
            Ok(event) => event,
            Err(error) => {
                self.phase = Phase::Done;
                Some(Event::Error { offset: self.buffer.offset(), error: error.to_string() })
            }
        }
    }
}

impl<R> fmt::Debug for MboxReader<R> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("MboxReader")
            .field("format", &self.format)
            .field("options", &self.options)
            .field("offset", &self.buffer.offset())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8]) -> Vec<Event> {
        MboxReader::new(input, MboxFormat::Mboxrd, SplitOptions::default()).collect()
    }

    #[test]
    fn two_messages_split_at_the_blank_line() {
        let events = split(b"From a Mon Jan  1 00:00:00 2001\nA: 1\n\nx\n\nFrom b 2002\nB: 2\n");
        assert_eq!(events.len(), 2);
        let Event::Message(first) = &events[0] else { panic!("{events:?}") };
        assert_eq!(first.bytes, b"A: 1\n\nx\n");
        let Event::Message(second) = &events[1] else { panic!("{events:?}") };
        assert_eq!(second.offset, 41);
        assert_eq!(second.from_line, "From b 2002");
    }
}
