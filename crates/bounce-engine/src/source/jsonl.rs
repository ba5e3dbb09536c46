//! The records of an earlier `classify` run (JSON Lines), read back as records.
//!
//! The lines of one message are consecutive in `classify` output, so consecutive lines with
//! the same `source` (path and message number) form one unit and count as one message: a
//! bounce when one of its records is a failure, else a report. A line that is not a record is
//! its own unit, `unparsed`, reported with its line and byte offset. The records keep their
//! own `source` and verdict; records without a verdict are classified by the pipeline.

use bounce_mail::input::{InputFile, Stream};
use bounce_model::{Bucket, Record, Source};
use serde::Deserialize;

use super::lines::{self, LineReader};
use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;

/// Records of an earlier `classify` run, one JSON object per line.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonlSource;

impl RecordSource for JsonlSource {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn describe(&self) -> &'static str {
        "the JSON Lines records of an earlier classify run"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
        let head = &head[start..];
        if head.starts_with(b"{\"source\":{") {
            return true;
        }
        let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        line.first() == Some(&b'{')
            && serde_json::from_slice::<serde_json::Value>(line)
                .is_ok_and(|v| v.get("recipient").is_some() && v.get("source").is_some())
    }

    fn units(&self, stream: Stream, _file: &InputFile, options: &ReadOptions) -> Events {
        Box::new(Lines {
            reader: LineReader::new(stream, options.max_message_bytes),
            pending: None,
            deferred: None,
            done: false,
        })
    }

    fn read(&self, unit: &Unit, _source: &Source, _options: &ReadOptions) -> Reading {
        let mut records = Vec::new();
        let first_line = unit.line.unwrap_or(1);
        for (index, line) in unit.bytes.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Record>(line) {
                Ok(record) => records.push(record),
                Err(e) => {
                    return Reading {
                        bucket: Bucket::Unparsed,
                        records: Vec::new(),
                        problem: Some(format!(
                            "line {}: not a record of an earlier classify run: {e}",
                            first_line + index as u64
                        )),
                    }
                }
            }
        }
        let failure = records.iter().any(|r| r.kind.is_some_and(bounce_model::Kind::is_failure));
        Reading {
            bucket: if failure { Bucket::Bounce } else { Bucket::Report },
            records,
            problem: None,
        }
    }
}

/// The message a line belongs to, read without building the record.
#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
struct LineKey {
    #[serde(default)]
    source: KeySource,
}

#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
struct KeySource {
    path: String,
    message: u64,
}

/// One non-blank line with where it starts and the message it belongs to.
struct Line {
    offset: u64,
    number: u64,
    bytes: Vec<u8>,
    key: Option<LineKey>,
}

/// Groups consecutive lines of the same message into units.
struct Lines {
    reader: LineReader,
    pending: Option<Line>,
    /// An event found while completing a unit, handed out after it.
    deferred: Option<SourceEvent>,
    done: bool,
}

enum Next {
    Line(Line),
    Event(SourceEvent),
    End,
}

impl Lines {
    /// The next non-blank line, an oversize or error event, or the end.
    fn next_line(&mut self) -> Next {
        loop {
            return match self.reader.next_line() {
                lines::Next::Line(line) if line.is_blank() => continue,
                lines::Next::Line(line) => {
                    let key = serde_json::from_slice::<LineKey>(&line.bytes).ok();
                    Next::Line(Line {
                        offset: line.offset,
                        number: line.number,
                        bytes: line.bytes,
                        key,
                    })
                }
                lines::Next::Event(event) => Next::Event(event),
                lines::Next::End => Next::End,
            };
        }
    }
}

impl Iterator for Lines {
    type Item = SourceEvent;

    fn next(&mut self) -> Option<SourceEvent> {
        if let Some(event) = self.deferred.take() {
            return Some(event);
        }
        if self.done {
            return None;
        }
        let first = match self.pending.take() {
            Some(line) => line,
            None => match self.next_line() {
                Next::Line(line) => line,
                Next::Event(event) => return Some(event),
                Next::End => {
                    self.done = true;
                    return None;
                }
            },
        };
        let mut unit = Unit { offset: first.offset, line: Some(first.number), bytes: first.bytes };
        let Some(key) = first.key else { return Some(SourceEvent::Unit(unit)) };
        loop {
            match self.next_line() {
                Next::Line(line) if line.key.as_ref() == Some(&key) => {
                    unit.bytes.extend_from_slice(&line.bytes);
                }
                Next::Line(line) => {
                    self.pending = Some(line);
                    break;
                }
                Next::Event(event) => {
                    self.deferred = Some(event);
                    break;
                }
                Next::End => {
                    self.done = true;
                    break;
                }
            }
        }
        Some(SourceEvent::Unit(unit))
    }
}
