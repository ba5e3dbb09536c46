//! Reading a stream line by line with each line's byte offset and 1-based number, a length
//! limit applied while reading (a longer line is skipped to its end, never buffered whole),
//! for the line-oriented sources (JSON Lines, MTA logs, event files).

use std::io::{BufRead, Read};

use bounce_mail::input::Stream;

use super::SourceEvent;

/// One line: where it starts, its number, its bytes (line end included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) offset: u64,
    pub(crate) number: u64,
    pub(crate) bytes: Vec<u8>,
}

impl Line {
    /// The line without its line end (`\n` or `\r\n`).
    pub(crate) fn content(&self) -> &[u8] {
        let bytes = self.bytes.strip_suffix(b"\n").unwrap_or(&self.bytes);
        bytes.strip_suffix(b"\r").unwrap_or(bytes)
    }

    /// Whether the line holds only white space.
    pub(crate) fn is_blank(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

/// What [`LineReader::next_line`] found.
pub(crate) enum Next {
    /// A line within the limit.
    Line(Line),
    /// A line over the limit (skipped) or a read error (nothing follows).
    Event(SourceEvent),
    /// The end of the stream.
    End,
}

/// Lines of a stream, numbered from 1.
pub(crate) struct LineReader {
    stream: Stream,
    limit: u64,
    offset: u64,
    line: u64,
    failed: bool,
    /// A line buffer handed back by [`LineReader::recycle`], reused by the next line.
    spare: Vec<u8>,
}

impl LineReader {
    /// Reads `stream`; lines longer than `limit` bytes are reported as oversize.
    pub(crate) fn new(stream: Stream, limit: u64) -> Self {
        LineReader { stream, limit, offset: 0, line: 0, failed: false, spare: Vec::new() }
    }

    /// Gives a line's buffer back once its reader is done with it: the next line reuses it
    /// instead of allocating.
    pub(crate) fn recycle(&mut self, mut bytes: Vec<u8>) {
        bytes.clear();
        self.spare = bytes;
    }

    /// The next line (blank lines included), an oversize or error event, or the end.
    pub(crate) fn next_line(&mut self) -> Next {
        if self.failed {
            return Next::End;
        }
        // Most lines are short: one allocation, not a doubling series (or none, when the last
        // line's buffer was given back).
        let mut bytes = std::mem::take(&mut self.spare);
        if bytes.capacity() == 0 {
            bytes.reserve(256);
        }
        let start = self.offset;
        let mut limited = (&mut self.stream).take(self.limit.saturating_add(1));
        let read = match limited.read_until(b'\n', &mut bytes) {
            Ok(n) => n as u64,
            Err(e) => return self.fail(start, &e),
        };
        if read == 0 {
            return Next::End;
        }
        self.offset += read;
        self.line += 1;
        if read > self.limit && bytes.last() != Some(&b'\n') {
            // Skip the rest of the line without keeping it.
            let mut skipped = 0u64;
            loop {
                let chunk = match self.stream.fill_buf() {
                    Ok(chunk) => chunk,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return self.fail(self.offset, &e),
                };
                if chunk.is_empty() {
                    break;
                }
                let (take, done) = match memchr::memchr(b'\n', chunk) {
                    Some(at) => (at + 1, true),
                    None => (chunk.len(), false),
                };
                self.stream.consume(take);
                skipped += take as u64;
                if done {
                    break;
                }
            }
            self.offset += skipped;
            return Next::Event(SourceEvent::Oversize {
                offset: start,
                len: read + skipped,
                limit: self.limit,
            });
        }
        Next::Line(Line { offset: start, number: self.line, bytes })
    }

    fn fail(&mut self, offset: u64, error: &std::io::Error) -> Next {
        self.failed = true;
        Next::Event(SourceEvent::Error { offset, error: error.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::{LineReader, Next, SourceEvent};

    fn reader(text: &'static [u8], limit: u64) -> LineReader {
        LineReader::new(Box::new(Cursor::new(text)), limit)
    }

    #[test]
    fn offsets_numbers_and_an_oversize_line_skipped_to_its_end() {
        let mut lines = reader(b"one\r\n\nlong line here\nlast", 8);
        let Next::Line(first) = lines.next_line() else { panic!("a line") };
        assert_eq!((first.offset, first.number, first.content()), (0, 1, &b"one"[..]));
        let Next::Line(blank) = lines.next_line() else { panic!("a line") };
        assert!(blank.is_blank());
        assert_eq!((blank.offset, blank.number), (5, 2));
        match lines.next_line() {
            Next::Event(SourceEvent::Oversize { offset, len, limit }) => {
                assert_eq!((offset, len, limit), (6, 15, 8));
            }
            _ => panic!("an oversize line"),
        }
        let Next::Line(last) = lines.next_line() else { panic!("a line") };
        assert_eq!((last.offset, last.number, last.content()), (21, 4, &b"last"[..]));
        assert!(matches!(lines.next_line(), Next::End));
    }
}
