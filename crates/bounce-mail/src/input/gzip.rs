//! gzip streams of one or more members, read so that damage loses as little as possible.
//!
//! Each member is decoded in turn. After the last member, zero bytes (the padding some tapes
//! and tools add) end the stream silently, as `gzip -t` accepts them; any other bytes end it
//! with a [`TrailingData`] error, which says that everything decoded before it is whole. An
//! error inside a member (a truncated or corrupt stream) is an error naming the compressed
//! byte offset of the member; the bytes decoded before it are all handed out first.

use std::fmt;
use std::io::{self, BufRead, Read};

use flate2::bufread::GzDecoder;

use super::GZIP_MAGIC;

/// The bytes after the last whole gzip member that are neither a member nor zero padding:
/// the decoded stream before them is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailingData {
    /// Compressed byte offset where they start.
    pub offset: u64,
}

impl fmt::Display for TrailingData {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "trailing garbage after the last gzip member at compressed byte {} (ignored; every message before it was read)",
            self.offset
        )
    }
}

impl std::error::Error for TrailingData {}

/// Whether `error` is [`TrailingData`]: the stream before it is complete.
pub(crate) fn is_trailing_data(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<TrailingData>())
}

/// A reader that counts the bytes consumed from it.
struct Counted<R> {
    inner: R,
    consumed: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(into)?;
        self.consumed += read as u64;
        Ok(read)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

/// Why decoding stopped, given again to every later read.
#[derive(Debug, Clone)]
enum Failure {
    Trailing(TrailingData),
    Damaged(io::ErrorKind, String),
}

impl Failure {
    fn error(&self) -> io::Error {
        match self {
            Failure::Trailing(trailing) => io::Error::other(*trailing),
            Failure::Damaged(kind, message) => io::Error::new(*kind, message.clone()),
        }
    }
}

enum State<R> {
    /// Decoding a member that started at `start` and has yielded bytes when `yielded`.
    Member {
        decoder: GzDecoder<Counted<R>>,
        start: u64,
        yielded: bool,
    },
    /// Between members.
    Between(Counted<R>),
    Done,
    /// Stopped by damage: every later read gives the same error.
    Failed(Failure),
}

/// The decoded bytes of every gzip member of a stream.
pub(crate) struct Members<R> {
    state: State<R>,
}

impl<R: BufRead> Members<R> {
    /// Decodes `reader`, which starts with a gzip member.
    pub(crate) fn new(reader: R) -> Self {
        Members { state: State::Between(Counted { inner: reader, consumed: 0 }) }
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        if into.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Ok(0),
                State::Failed(failure) => {
                    let error = failure.error();
                    self.state = State::Failed(failure);
                    return Err(error);
                }
                State::Member { mut decoder, start, yielded } => match decoder.read(into) {
                    Ok(0) => self.state = State::Between(decoder.into_inner()),
                    Ok(read) => {
                        self.state = State::Member { decoder, start, yielded: true };
                        return Ok(read);
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                        self.state = State::Member { decoder, start, yielded };
                    }
                    // A member that gave nothing before failing is damage after whole members.
                    Err(_) if !yielded && start > 0 => {
                        self.state =
                            State::Failed(Failure::Trailing(TrailingData { offset: start }));
                    }
                    Err(error) => {
                        self.state = State::Failed(Failure::Damaged(
                            error.kind(),
                            format!("gzip member at compressed byte {start} is damaged: {error}"),
                        ));
                    }
                },
                State::Between(mut reader) => {
                    let start = reader.consumed;
                    let head = loop {
                        match reader.fill_buf() {
                            Ok(head) => break head,
                            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                            Err(error) => return Err(error),
                        }
                    };
                    if head.is_empty() {
                        return Ok(0);
                    }
                    if head.starts_with(&GZIP_MAGIC)
                        || (head.len() == 1 && head[0] == GZIP_MAGIC[0])
                    {
                        self.state = State::Member {
                            decoder: GzDecoder::new(reader),
                            start,
                            yielded: false,
                        };
                        continue;
                    }
                    // Zero padding ends the stream quietly; anything else is reported.
                    let mut rest = Vec::new();
                    let mut tail = reader.take(1 << 20);
                    loop {
                        rest.clear();
                        match (&mut tail).take(64 << 10).read_to_end(&mut rest) {
                            Ok(0) => return Ok(0),
                            Ok(_) if rest.iter().all(|byte| *byte == 0) => {}
                            Ok(_) => {
                                let trailing = Failure::Trailing(TrailingData { offset: start });
                                self.state = State::Failed(trailing);
                                break;
                            }
                            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                            Err(error) => return Err(error),
                        }
                        if tail.limit() == 0 {
                            // More than a megabyte of zeros: still padding, but stop looking.
                            return Ok(0);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::{is_trailing_data, Members};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn decode(bytes: &[u8]) -> (Vec<u8>, Option<std::io::Error>) {
        let mut out = Vec::new();
        let error = Members::new(bytes).read_to_end(&mut out).err();
        (out, error)
    }

    #[test]
    fn members_padding_garbage_and_truncation() {
        let mut two = gzip(b"hello ");
        two.extend(gzip(b"world"));
        assert_eq!(decode(&two).0, b"hello world");
        assert!(decode(&two).1.is_none());

        let mut padded = two.clone();
        padded.extend([0; 700]);
        let (out, error) = decode(&padded);
        assert_eq!((out.as_slice(), error.is_none()), (&b"hello world"[..], true));

        for garbage in [&b"garbage"[..], b"\0\0\0x", b"\x1f\x8bnot a member"] {
            let mut bad = two.clone();
            bad.extend_from_slice(garbage);
            let (out, error) = decode(&bad);
            assert_eq!(out, b"hello world");
            let error = error.expect("reported");
            assert!(is_trailing_data(&error), "{error}");
            assert!(error.to_string().contains(&format!("byte {}", two.len())), "{error}");
        }

        let cut = &two[..two.len() - 3];
        let (out, error) = decode(cut);
        assert!(b"hello world".starts_with(&out));
        assert!(!is_trailing_data(&error.expect("truncation reported")));
    }
}
