//! Record sources: what turns an input file into records.
//!
//! Every input is opened once (gzip is decompressed by its magic bytes), its first bytes are
//! shown to the sources of a [`Registry`] in order, and the first source that recognises them
//! reads the file; `--input-format NAME` picks a source by name instead. A source cuts its
//! stream into [`Unit`]s serially (a mail message, a group of JSON lines) and turns each unit
//! into records in parallel ([`RecordSource::read`]); the pipeline classifies the records that
//! carry no verdict yet, so a source states facts and never decides.
//!
//! Adding an input format is one module implementing [`RecordSource`] plus one line in
//! [`Registry::builtin`] (or [`Registry::with`] from outside this crate).

mod esp_events;
mod jsonl;
mod lines;
mod log;
mod mail;
mod stated;
mod table;
mod transcript;

use std::fmt;
use std::io::BufRead;

pub use bounce_mail::input::Stream;

use bounce_mail::input::InputFile;
use bounce_model::{Bucket, Record, Source};

pub use esp_events::EspEventsSource;
pub use jsonl::JsonlSource;
pub use log::{
    log_zone, EximLogSource, KumoLogSource, LogSource, PostfixLogSource, SendmailLogSource,
};
pub use mail::MailSource;
pub use table::{
    ExchangeTrackingSource, PowerMtaSource, SfmcBounceSource, SubscriberJoin, TableSource,
};
pub use transcript::TranscriptSource;

use crate::pipeline::ReadOptions;

/// How many bytes of an input the sources see when they sniff it.
pub const SNIFF_BYTES: usize = 4096;

/// One piece of an input that a source reads into records on a worker thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unit {
    /// Byte offset of the unit in the (decompressed) input.
    pub offset: u64,
    /// 1-based line of the unit's start, for line-oriented formats.
    pub line: Option<u64>,
    /// The unit's bytes.
    pub bytes: Vec<u8>,
}

/// What a source finds in its stream, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceEvent {
    /// A unit to read.
    Unit(Unit),
    /// Bytes before the first unit that belong to none (an mbox preamble).
    Preamble {
        /// Where they start.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// A unit larger than the limit, skipped without buffering it.
    Oversize {
        /// Where it starts.
        offset: u64,
        /// Its length.
        len: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// Rows the source accounted for without records (log lines that are not delivery
    /// results), all in one bucket; they are numbered like units.
    Counted {
        /// Their bucket.
        bucket: Bucket,
        /// How many.
        rows: u64,
        /// Where the first of them starts (a shard counts the rows of its own range; a
        /// sharded run hands out one row per event).
        offset: u64,
    },
    /// Reading failed; nothing follows.
    Error {
        /// Stream offset reached when reading failed.
        offset: u64,
        /// What went wrong.
        error: String,
    },
}

/// What a source made of one unit: its bucket, its records, and a note for the user.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The bucket the unit lands in.
    pub bucket: Bucket,
    /// One record per recipient: its facts, and the verdict only when the source carries one
    /// (the `jsonl` source reading an earlier run); the pipeline classifies the others.
    pub records: Vec<Record>,
    /// Why the unit is unparsed or has no recipient, or a warning about it.
    pub problem: Option<String>,
}

/// The events of one input.
pub type Events = Box<dyn Iterator<Item = SourceEvent> + Send>;

/// A reader of one input format.
pub trait RecordSource: Send + Sync {
    /// The name `--input-format` selects it by (kebab-case).
    fn name(&self) -> &'static str;

    /// One line for `--help` and the docs.
    fn describe(&self) -> &'static str;

    /// Whether an input whose first bytes are `head` (at most [`SNIFF_BYTES`], already
    /// decompressed) is in this format.
    fn sniff(&self, head: &[u8]) -> bool;

    /// Cuts the decoded stream of `file` into units; runs on the reading thread.
    fn units(&self, stream: Stream, file: &InputFile, options: &ReadOptions) -> Events;

    /// Reads one unit into records; runs on a worker thread and must not panic.
    fn read(&self, unit: &Unit, source: &Source, options: &ReadOptions) -> Reading;
}

/// The sources a pipeline knows, in sniffing order.
pub struct Registry {
    sources: Vec<Box<dyn RecordSource>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registry {
    /// The built-in sources. Mail comes last: it takes whatever no other source claims.
    #[must_use]
    pub fn builtin() -> Self {
        Registry {
            sources: vec![
                Box::new(JsonlSource),
                Box::new(PostfixLogSource::default()),
                Box::new(EximLogSource::default()),
                Box::new(SendmailLogSource::default()),
                Box::new(KumoLogSource::default()),
                Box::new(SfmcBounceSource::default()),
                Box::new(PowerMtaSource::default()),
                Box::new(ExchangeTrackingSource::default()),
                Box::new(EspEventsSource),
                Box::new(TranscriptSource),
                Box::new(MailSource),
            ],
        }
    }

    /// Adds `source` in front of the others (it is sniffed first).
    #[must_use]
    pub fn with(mut self, source: Box<dyn RecordSource>) -> Self {
        self.sources.insert(0, source);
        self
    }

    /// The names of the sources, in sniffing order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sources.iter().map(|s| s.name())
    }

    /// The source named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&dyn RecordSource> {
        self.sources.iter().find(|s| s.name().eq_ignore_ascii_case(name)).map(AsRef::as_ref)
    }

    /// The source that reads `file`: the one `--input-format` names, the mail source for a
    /// Maildir file, else the first whose sniff accepts the stream's first bytes.
    pub(crate) fn choose(
        &self,
        file: &InputFile,
        stream: Stream,
        format: Option<&str>,
    ) -> Result<(&dyn RecordSource, Stream), String> {
        if let Some(name) = format {
            return Ok((self.get(name).ok_or_else(|| self.unknown(name))?, stream));
        }
        if file.in_maildir {
            if let Some(mail) = self.get(MailSource.name()) {
                return Ok((mail, stream));
            }
        }
        let (head, stream) = peek(stream).map_err(|e| format!("cannot read: {e}"))?;
        let found = self.sources.iter().find(|s| s.sniff(&head)).map(AsRef::as_ref);
        let found = found.ok_or_else(|| {
            "no input format recognises this file (try --input-format)".to_owned()
        })?;
        Ok((found, stream))
    }

    /// The error for an unknown format name, listing the known ones.
    #[must_use]
    pub fn unknown(&self, name: &str) -> String {
        let names: Vec<&str> = self.names().collect();
        format!("unknown input format `{name}` (known: {})", names.join(", "))
    }
}

/// Up to [`SNIFF_BYTES`] first bytes of the stream, and a stream that still yields them.
fn peek(mut stream: Stream) -> std::io::Result<(Vec<u8>, Stream)> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while head.len() < SNIFF_BYTES {
        let buf = match stream.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // Damage after the first bytes (a cut gzip) is the reader's to report, after the
            // messages before it.
            Err(_) if !head.is_empty() => break,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        let take = buf.len().min(SNIFF_BYTES - head.len());
        head.extend_from_slice(&buf[..take]);
        stream.consume(take);
    }
    let prefixed = Prefixed { head: head.clone(), at: 0, inner: stream };
    Ok((head, Box::new(prefixed)))
}

/// A stream that yields `head` before the rest of `inner`, without copying either.
struct Prefixed {
    head: Vec<u8>,
    at: usize,
    inner: Stream,
}

impl std::io::Read for Prefixed {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Prefixed {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at < self.head.len() {
            return Ok(&self.head[self.at..]);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if self.at < self.head.len() {
            self.at = (self.at + amount).min(self.head.len());
        } else {
            self.inner.consume(amount);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor, Read};

    use super::{peek, Stream};

    #[test]
    fn peeking_loses_no_byte_even_from_short_reads() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        // A reader that hands out 3 bytes at a time, like a slow pipe.
        let chunks: Vec<Cursor<Vec<u8>>> =
            data.chunks(3).map(|c| Cursor::new(c.to_vec())).collect();
        let reader = chunks
            .into_iter()
            .fold(Box::new(std::io::empty()) as Box<dyn Read + Send>, |acc, c| {
                Box::new(acc.chain(c))
            });
        let stream: Stream = Box::new(BufReader::with_capacity(5, reader));
        let (head, mut stream) = peek(stream).unwrap();
        assert_eq!(head, data[..super::SNIFF_BYTES]);
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
    }
}
