//! The splitter's own read buffer, line-end detection and message sink.
//!
//! The buffer keeps the unread bytes of the stream plus the "run": bytes already scanned but not
//! yet copied into the current message. Copying runs instead of lines means one `memcpy` per
//! stretch of unescaped text, and holding back a line end lets the splitter give it to a
//! separator that follows.

use std::io::{self, BufRead};

use memchr::{memchr, memchr2};

/// The usual size of the buffer.
const BUF_SIZE: usize = 1 << 20;

/// The smallest free space worth a `read` call.
const MIN_READ: usize = 64 << 10;

/// Where the current line ends.
enum Eol {
    /// Past the line end, which is `len` bytes long.
    Found { next: usize, len: usize },
    /// Not in the buffer; bytes before `safe` are part of the line.
    Partial { safe: usize },
}

/// A stream buffer that knows byte offsets and line ends.
pub(super) struct Buffer<R> {
    reader: R,
    buf: Vec<u8>,
    /// Start of the bytes not yet copied to a sink (at most `pos`, or `pos + 1` after an escape).
    run: usize,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// The line terminator byte (`\n` for LF and CRLF, `\r` for CR), once seen; learned
    /// again for each message ([`Buffer::forget_line_end`]).
    term: Option<u8>,
    /// The read error that ended the stream early, kept until the splitter reports it: the
    /// bytes read before it are split as if the stream ended there.
    failed: Option<io::Error>,
}

impl<R> Buffer<R> {
    pub(super) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::new(),
            run: 0,
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            term: None,
            failed: None,
        }
    }

    /// Stream offset of the current position.
    pub(super) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Learns the line end again from the next one: each message keeps its own style.
    pub(super) fn forget_line_end(&mut self) {
        self.term = None;
    }

    /// Whether the stream ended with a read error after which bytes may be missing (not
    /// gzip's trailing garbage after whole members, which loses nothing).
    pub(super) fn cut_short(&self) -> bool {
        self.failed.as_ref().is_some_and(|error| !crate::input::is_trailing_data(error))
    }

    /// The read error that ended the stream, once.
    pub(super) fn take_failure(&mut self) -> Option<io::Error> {
        self.failed.take()
    }
}

impl<R: BufRead> Buffer<R> {
    pub(super) fn available(&self) -> usize {
        self.end - self.pos
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos == self.end && self.eof
    }

    /// Up to `max` bytes from the current position.
    pub(super) fn window(&self, max: usize) -> &[u8] {
        &self.buf[self.pos..self.end.min(self.pos.saturating_add(max))]
    }

    /// Skips `count` available bytes without copying them.
    pub(super) fn advance(&mut self, count: usize) {
        self.pos = (self.pos + count).min(self.end);
        self.run = self.pos;
    }

    /// Starts a new run at the current position.
    pub(super) fn start_run(&mut self) {
        self.run = self.pos;
    }

    /// Copies the run up to `held` bytes before the current position into `sink`.
    pub(super) fn commit_before(&mut self, sink: &mut Sink, held: usize) {
        let upto = self.pos - held;
        if upto > self.run {
            sink.push(&self.buf[self.run..upto]);
            self.run = upto;
        }
    }

    /// Skips the byte at the position (the `>` of an escape) and restarts the run after it.
    pub(super) fn drop_byte(&mut self) {
        self.advance(1);
    }

    /// Makes at least `want` bytes available unless the stream ends first. A read error ends
    /// the stream here and is kept for [`Buffer::take_failure`].
    pub(super) fn fill(&mut self, want: usize) -> io::Result<()> {
        while self.end - self.pos < want && !self.eof {
            if self.buf.len() - self.end < MIN_READ || self.buf.len() - self.pos < want {
                self.make_room(want);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(read) => self.end += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    self.eof = true;
                    self.failed = Some(error);
                }
            }
        }
        Ok(())
    }

    /// Moves the kept bytes to the front and sizes the buffer for `want` bytes from `pos`.
    fn make_room(&mut self, want: usize) {
        let keep = self.run.min(self.pos);
        if keep > 0 {
            self.buf.copy_within(keep..self.end, 0);
            self.base += keep as u64;
            self.run -= keep;
            self.pos -= keep;
            self.end -= keep;
        }
        let needed = (self.pos + want).max(self.end + MIN_READ);
        if self.buf.len() < needed {
            // Small streams keep a small buffer; longer ones double it up to the usual size.
            self.buf.resize(needed.max((self.buf.len() * 2).min(BUF_SIZE)), 0);
        } else if self.buf.len() > 4 * BUF_SIZE && needed <= BUF_SIZE {
            self.buf.truncate(BUF_SIZE);
            self.buf.shrink_to_fit();
        }
    }

    /// Moves past the current line, copying its bytes into `sink` only when the line is longer
    /// than the buffer (the caller commits the rest). Returns whether the line was blank and
    /// the length of its line end (0 at the end of the stream).
    pub(super) fn skip_line(&mut self, sink: &mut Sink) -> io::Result<(bool, usize)> {
        let line_start = self.pos;
        let mut first_piece = true;
        loop {
            match self.find_eol() {
                Eol::Found { next, len } => {
                    let blank = first_piece && next - len == line_start;
                    self.pos = next;
                    return Ok((blank, len));
                }
                Eol::Partial { safe } if self.eof && safe == self.end => {
                    self.pos = self.end;
                    return Ok((false, 0));
                }
                Eol::Partial { safe } => {
                    self.pos = safe;
                    self.commit_before(sink, 0);
                    self.fill(self.end - self.pos + 1)?;
                    first_piece = false;
                }
            }
        }
    }

    /// Finds the end of the line at `pos`, learning the terminator from the first line end.
    fn find_eol(&mut self) -> Eol {
        let hay = &self.buf[self.pos..self.end];
        let pos = self.pos;
        match self.term {
            Some(b'\r') => match memchr(b'\r', hay) {
                Some(index) => Eol::Found { next: pos + index + 1, len: 1 },
                None => Eol::Partial { safe: self.end },
            },
            Some(_) => match memchr(b'\n', hay) {
                Some(index) => {
                    let len = if index > 0 && hay[index - 1] == b'\r' { 2 } else { 1 };
                    Eol::Found { next: pos + index + 1, len }
                }
                // A final `\r` may be the first half of a CRLF: keep it for the next piece.
                None if !self.eof && hay.last() == Some(&b'\r') => {
                    Eol::Partial { safe: self.end - 1 }
                }
                None => Eol::Partial { safe: self.end },
            },
            None => match memchr2(b'\n', b'\r', hay) {
                Some(index) if hay[index] == b'\n' => {
                    self.term = Some(b'\n');
                    Eol::Found { next: pos + index + 1, len: 1 }
                }
                Some(index) => match hay.get(index + 1) {
                    Some(b'\n') => {
                        self.term = Some(b'\n');
                        Eol::Found { next: pos + index + 2, len: 2 }
                    }
                    None if !self.eof => Eol::Partial { safe: pos + index },
                    _ => {
                        self.term = Some(b'\r');
                        Eol::Found { next: pos + index + 1, len: 1 }
                    }
                },
                None => Eol::Partial { safe: self.end },
            },
        }
    }

    /// Length of the header block at the position, its ending blank line included, if one
    /// ends within `max` bytes.
    pub(super) fn header_block(&mut self, max: usize) -> io::Result<Option<usize>> {
        let Some(term) = self.term else {
            return Ok(None);
        };
        let mut want = 16 << 10;
        loop {
            self.fill(want)?;
            let hay = &self.buf[self.pos..self.end];
            let mut line_start = 0;
            while let Some(index) = memchr(term, &hay[line_start..]) {
                let cr = term == b'\n' && index > 0 && hay[line_start + index - 1] == b'\r';
                if index == usize::from(cr) {
                    return Ok(Some(line_start + index + 1));
                }
                line_start += index + 1;
            }
            if self.eof || hay.len() >= max {
                return Ok(None);
            }
            want = hay.len().saturating_mul(2).min(max);
        }
    }

    /// When `len` bytes from the position are followed by at most two line ends and then a
    /// `From ` line or the end of the stream, the number of those line-end bytes.
    pub(super) fn counted_end(&mut self, len: usize) -> io::Result<Option<usize>> {
        self.fill(len.saturating_add(16))?;
        let (Some(term), Some(hay)) = (self.term, self.buf.get(self.pos..self.end)) else {
            return Ok(None);
        };
        let mut at = len;
        for _ in 0..3 {
            let rest = match hay.get(at..) {
                Some(rest) => rest,
                None => return Ok(None),
            };
            if rest.is_empty() || rest.starts_with(b"From ") {
                return Ok(Some(at - len));
            }
            if term == b'\n' && rest.starts_with(b"\r\n") {
                at += 2;
            } else if rest[0] == term {
                at += 1;
            } else {
                return Ok(None);
            }
        }
        Ok(None)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkState {
    Buffering,
    Counting,
    Over,
}

/// Where scanned bytes go: into a message (up to a limit) or nowhere.
pub(super) struct Sink {
    bytes: Vec<u8>,
    limit: u64,
    state: SinkState,
}

impl Sink {
    /// Collects bytes until more than `limit` arrive, then drops them all.
    pub(super) fn buffering(limit: u64) -> Self {
        Self { bytes: Vec::new(), limit, state: SinkState::Buffering }
    }

    /// Ignores bytes.
    pub(super) fn counting() -> Self {
        Self { bytes: Vec::new(), limit: 0, state: SinkState::Counting }
    }

    fn push(&mut self, chunk: &[u8]) {
        if self.state != SinkState::Buffering {
            return;
        }
        if (self.bytes.len() + chunk.len()) as u64 > self.limit {
            self.state = SinkState::Over;
            self.bytes = Vec::new();
        } else {
            self.bytes.extend_from_slice(chunk);
        }
    }

    /// The collected bytes, or `None` when the limit was exceeded.
    pub(super) fn into_bytes(self) -> Option<Vec<u8>> {
        (self.state != SinkState::Over).then_some(self.bytes)
    }
}
