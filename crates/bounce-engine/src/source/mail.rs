//! The mail source: mbox archives, Maildir files, single messages (`.eml`), gzip and stdin,
//! split by `bounce_mail::input` and read by `bounce_mail::extract`.

use bounce_mail::extract::extract;
use bounce_mail::input::{self, InputFile, Stream};
use bounce_mail::split::Event;
use bounce_model::{Record, Source};

use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;

/// Mail messages: bounces, delivery reports, feedback reports, auto-replies.
#[derive(Debug, Clone, Copy, Default)]
pub struct MailSource;

impl RecordSource for MailSource {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn describe(&self) -> &'static str {
        "mbox archives, Maildir files and single messages (whatever no other format claims)"
    }

    fn sniff(&self, _head: &[u8]) -> bool {
        true
    }

    fn units(&self, stream: Stream, file: &InputFile, options: &ReadOptions) -> Events {
        let read = input::ReadOptions {
            mbox_format: options.mbox_format,
            max_message_bytes: options.max_message_bytes,
        };
        Box::new(input::messages(stream, file.in_maildir, &read).map(|event| match event {
            Event::Message(raw) => {
                SourceEvent::Unit(Unit { offset: raw.offset, line: None, bytes: raw.bytes })
            }
            Event::Preamble { offset, len } => SourceEvent::Preamble { offset, len },
            Event::Oversize { offset, len, limit } => SourceEvent::Oversize { offset, len, limit },
            Event::Error { offset, error } => SourceEvent::Error { offset, error },
        }))
    }

    fn read(&self, unit: &Unit, source: &Source, options: &ReadOptions) -> Reading {
        let ex = extract(&unit.bytes, source, &options.extract);
        let records = ex.records.into_iter().map(Record::from).collect();
        Reading { bucket: ex.bucket, records, problem: ex.problem }
    }
}
