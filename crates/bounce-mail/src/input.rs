//! What the user points at: files, directories, Maildirs, gzip streams and stdin.
//!
//! [`discover`] turns command-line paths into [`InputFile`]s in a stable order; [`open`] (or
//! [`open_reader`] for any reader) sniffs one of them and yields its messages as
//! [`split::Event`](crate::split::Event)s. gzip is recognised by its magic bytes, not by name;
//! damage in it loses only what it must (`gzip`).
//! After decompression a Maildir file is always one message; a stream starting with `From `
//! (after blank lines at most) is an mbox; anything else is a single message, unless a blank
//! line followed by a complete `From_` line turns up later, which makes it an mbox with a
//! preamble.

mod gzip;
mod walk;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::split::{Event, MboxFormat, MboxReader, RawMessage, SplitOptions};

pub use gzip::TrailingData;
pub use walk::discover;

pub(crate) use gzip::is_trailing_data;

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Buffer size for decompressed streams.
const DECODED_BUFFER: usize = 64 << 10;

/// One thing to read messages from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The file, or `-` for stdin.
    pub path: PathBuf,
    /// How to name it to the user: the path, or `-` for stdin.
    pub display: String,
    /// Whether it sits in a Maildir's `cur/` or `new/`, which makes it one message.
    pub in_maildir: bool,
}

impl InputFile {
    /// Standard input.
    pub fn stdin() -> Self {
        Self { path: PathBuf::from("-"), display: "-".to_owned(), in_maildir: false }
    }

    /// A file on disk.
    pub fn file(path: PathBuf, in_maildir: bool) -> Self {
        Self { display: path.display().to_string(), path, in_maildir }
    }

    /// Whether this is standard input.
    pub fn is_stdin(&self) -> bool {
        self.display == "-" && self.path.as_os_str() == "-"
    }
}

/// How to read inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// The mbox dialect of mbox inputs.
    pub mbox_format: MboxFormat,
    /// Messages larger than this are reported as [`Event::Oversize`] instead of read.
    pub max_message_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            mbox_format: MboxFormat::default(),
            max_message_bytes: SplitOptions::default().max_message_bytes,
        }
    }
}

/// Why an input could not be found or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The path does not exist or cannot be examined.
    #[error("cannot access {}: {source}", path.display())]
    Access {
        /// The path given.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A directory could not be listed.
    #[error("cannot read directory {}: {source}", path.display())]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The first bytes of an input could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file, or `-` for stdin.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// A readable, buffered, decompressed input stream.
pub type Stream = Box<dyn BufRead + Send>;

/// The messages of one input, in stream order.
pub struct Messages {
    inner: Inner,
}

enum Inner {
    Split(MboxReader<Stream>),
    Single { reader: Option<Stream>, limit: u64, pending: Option<Event> },
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Split(reader) => formatter.debug_tuple("Messages").field(reader).finish(),
            Inner::Single { limit, .. } => {
                formatter.debug_struct("Messages").field("single_message_limit", limit).finish()
            }
        }
    }
}

impl Iterator for Messages {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        match &mut self.inner {
            Inner::Split(reader) => reader.next(),
            Inner::Single { reader, limit, pending } => match reader.take() {
                Some(stream) => {
                    let (event, after) = read_single(stream, *limit);
                    *pending = after;
                    event.or_else(|| pending.take())
                }
                None => pending.take(),
            },
        }
    }
}

/// Opens `file` (stdin for `-`) and sniffs how to split it.
pub fn open(file: &InputFile, opts: &ReadOptions) -> Result<Messages, InputError> {
    Ok(messages(open_decoded(file)?, file.in_maildir, opts))
}

/// Reads messages from any reader (not a Maildir file); `display` names it in errors.
pub fn open_reader<R: Read + Send + 'static>(
    display: &str,
    reader: R,
    opts: &ReadOptions,
) -> Result<Messages, InputError> {
    Ok(messages(decoded(Path::new(display), reader)?, false, opts))
}

/// Opens `file` (stdin for `-`) as a buffered stream, decompressed when it starts with the
/// gzip magic bytes.
pub fn open_decoded(file: &InputFile) -> Result<Stream, InputError> {
    if file.is_stdin() {
        return decoded(&file.path, io::stdin());
    }
    let handle = File::open(&file.path)
        .map_err(|source| InputError::Open { path: file.path.clone(), source })?;
    decoded(&file.path, handle)
}

/// The messages of a decoded stream: one message for a Maildir file, else an mbox or a single
/// message as the content says.
pub fn messages(stream: Stream, in_maildir: bool, opts: &ReadOptions) -> Messages {
    let limit = opts.max_message_bytes;
    let inner = if in_maildir {
        Inner::Single { reader: Some(stream), limit, pending: None }
    } else {
        let options = SplitOptions { max_message_bytes: limit };
        Inner::Split(MboxReader::new(stream, opts.mbox_format, options).headless())
    };
    Messages { inner }
}

/// A buffered stream over `reader`, decompressed when it starts with the gzip magic bytes.
fn decoded<R: Read + Send + 'static>(path: &Path, mut reader: R) -> Result<Stream, InputError> {
    let mut magic = [0; 2];
    let mut filled = 0;
    while filled < magic.len() {
        match reader.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => return Err(InputError::Read { path: path.to_owned(), source }),
        }
    }
    let whole = Cursor::new(magic[..filled].to_vec()).chain(reader);
    Ok(if magic == GZIP_MAGIC {
        let members = gzip::Members::new(BufReader::new(whole));
        Box::new(BufReader::with_capacity(DECODED_BUFFER, members))
    } else {
        Box::new(BufReader::new(whole))
    })
}

/// Reads a whole stream as one message; a leading `From_` line becomes its `from_line`. The
/// second event is gzip's trailing garbage after the whole message, reported after it.
fn read_single(reader: Stream, limit: u64) -> (Option<Event>, Option<Event>) {
    let mut bytes = Vec::new();
    let mut limited = reader.take(limit.saturating_add(1));
    let mut after = None;
    if let Err(error) = limited.read_to_end(&mut bytes) {
        let event = Event::Error { offset: bytes.len() as u64, error: error.to_string() };
        if !is_trailing_data(&error) {
            return (Some(event), None);
        }
        after = Some(event);
    }
    (read_single_bytes(bytes, limited, limit), after)
}

/// The event of a single message read into `bytes` (at most `limit` + 1 of them).
fn read_single_bytes(mut bytes: Vec<u8>, limited: io::Take<Stream>, limit: u64) -> Option<Event> {
    if bytes.len() as u64 > limit {
        let read = bytes.len() as u64;
        return Some(match io::copy(&mut limited.into_inner(), &mut io::sink()) {
            Ok(rest) => Event::Oversize { offset: 0, len: read + rest, limit },
            Err(error) => Event::Error { offset: read, error: error.to_string() },
        });
    }
    if bytes.is_empty() {
        return None;
    }
    let mut from_line = String::new();
    if bytes.starts_with(b"From ") {
        let line_end = bytes.iter().position(|byte| *byte == b'\n').unwrap_or(bytes.len());
        let line = bytes[..line_end].strip_suffix(b"\r").unwrap_or(&bytes[..line_end]);
        from_line = String::from_utf8_lossy(line).into_owned();
        bytes.drain(..(line_end + 1).min(bytes.len()));
    }
    Some(Event::Message(RawMessage { offset: 0, bytes, from_line }))
}
