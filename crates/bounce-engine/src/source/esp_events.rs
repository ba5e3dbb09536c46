//! Events of e-mail sending platforms (ESP webhooks and event exports): Amazon SES, SendGrid,
//! Mailgun, Postmark, SparkPost, Mailjet, Mandrill, Brevo, Resend and Postal, one file each in
//! `esp_events/`.
//!
//! A file holds JSON documents: one event or webhook body per line (NDJSON), or documents
//! spread over several lines (a pretty-printed webhook body, a JSON array of events), one after
//! the other. The first document decides: when its first line is a whole JSON value the file
//! is read line by line, streaming; otherwise each document is gathered until its brackets
//! close, up to `--max-message-size` (a larger one is reported as oversize). A document that is
//! an array, or a listing that holds one (`Bounces` of Postmark's Bounces API, `items` of
//! Mailgun's Events API), is cut into its events with a structural scanner, each with its own
//! byte offset and line. A form-encoded Mandrill body (`mandrill_events=%5B...`) is decoded
//! first (its events share the body's offset). SNS envelopes (`Type: Notification` with the event as a JSON string
//! in `Message`) and Mailgun webhook bodies (`{signature, event-data}`) are unwrapped.
//!
//! Every event is one unit and lands in one bucket: a failure (bounce, block, drop, deferral,
//! delay) is `bounce` with one record per recipient; a delivery, complaint or auto-reply is
//! `report`; anything else (sends, opens, clicks, unsubscribes) is `not-a-bounce`; an event
//! that is not JSON or of no known provider is `unparsed`, its problem naming its line (and,
//! as every problem does, its byte offset).
//! The records state what the event states: the receiver's SMTP text as the diagnostic, the
//! enhanced status as stated (or as the text states it), the platform's own labels beside them
//! in `vendor_fields` under the platform's own names; the rules decide the rest.

mod brevo;
mod json;
mod mailgun;
mod mailjet;
mod mandrill;
mod postal;
mod postmark;
mod resend;
mod scan;
mod sendgrid;
mod ses;
mod sparkpost;

use std::collections::{BTreeMap, VecDeque};

use bounce_mail::input::{InputFile, Stream};
use bounce_model::{BounceFacts, Bucket, Provenanced, Record, Source};

use super::lines::{Line, LineReader, Next};
use super::stated::Stated;
use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;
use json::Value;
use scan::Nesting;

/// Events of e-mail sending platforms.
#[derive(Debug, Clone, Copy, Default)]
pub struct EspEventsSource;

impl RecordSource for EspEventsSource {
    fn name(&self) -> &'static str {
        "esp-events"
    }

    fn describe(&self) -> &'static str {
        "ESP events as JSON, arrays or NDJSON (SES, SendGrid, Mailgun, Postmark, SparkPost, ...)"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let start = scan::skip_space(head, 0);
        if head[start..].starts_with(FORM_FIELD) {
            return true;
        }
        let first = match head.get(start) {
            Some(b'{') => start,
            Some(b'[') => {
                let at = scan::skip_space(head, start + 1);
                if head.get(at) != Some(&b'{') {
                    return false;
                }
                at
            }
            _ => return false,
        };
        match scan::value_end(head, first) {
            Some(end) => {
                Value::parse(&head[first..end]).is_ok_and(|value| looks_like_events(&value))
            }
            // The first event does not fit in the head: its keys say whose it is.
            None => MARKERS.iter().any(|m| memchr::memmem::find(&head[first..], m).is_some()),
        }
    }

    fn units(&self, stream: Stream, _file: &InputFile, options: &ReadOptions) -> Events {
        Box::new(Splitter {
            lines: LineReader::new(stream, options.max_message_bytes),
            limit: options.max_message_bytes,
            mode: Mode::Unknown,
            doc: None,
            queue: VecDeque::new(),
            done: false,
        })
    }

    fn read(&self, unit: &Unit, source: &Source, _options: &ReadOptions) -> Reading {
        // The problem's source names the byte offset; its text names the line.
        let at = format!("line {}", unit.line.unwrap_or(0));
        let outcome = Value::parse(unit.bytes.trim_ascii_end())
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|value| read_event(&value));
        match outcome {
            Ok(Outcome { bucket, records }) => {
                let records: Vec<Record> = records
                    .into_iter()
                    .map(|mut facts| {
                        facts.source = source.clone();
                        Record::from(facts)
                    })
                    .collect();
                if bucket == Bucket::Bounce && records.is_empty() {
                    return Reading {
                        bucket: Bucket::BounceNoRecipient,
                        records,
                        problem: Some(format!("{at}: a failure event that names no recipient")),
                    };
                }
                Reading { bucket, records, problem: None }
            }
            Err(error) => Reading {
                bucket: Bucket::Unparsed,
                records: Vec::new(),
                problem: Some(format!("{at}: {error}")),
            },
        }
    }
}

/// Keys that name a provider's event when the first event is too long for the sniffed head.
const MARKERS: [&[u8]; 14] = [
    b"\"notificationType\"",
    b"\"eventType\"",
    b"\"TopicArn\"",
    b"\"bouncedRecipients\"",
    b"\"event-data\"",
    b"\"delivery-status\"",
    b"\"msys\"",
    b"\"RecordType\"",
    b"\"TypeCode\"",
    b"\"sg_event_id\"",
    b"\"sg_message_id\"",
    b"\"mj_campaign_id\"",
    b"\"Message_GUID\"",
    b"\"ts_event\"",
];

/// The form field Mandrill posts its events in.
const FORM_FIELD: &[u8] = b"mandrill_events=";

/// Listings that hold events in an array member.
const LISTINGS: [&str; 2] = ["Bounces", "items"];

/// The quoted names of [`LISTINGS`], searched for in every document (built once).
static LISTING_FINDERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 2]> =
    std::sync::LazyLock::new(|| {
        LISTINGS
            .map(|key| memchr::memmem::Finder::new(format!("\"{key}\"").as_bytes()).into_owned())
    });

/// The platforms whose events this source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Ses,
    SendGrid,
    Mailgun,
    Postmark,
    SparkPost,
    Mailjet,
    Mandrill,
    Brevo,
    Resend,
    Postal,
}

impl Provider {
    /// Whose event `value` is, by its keys.
    fn of(value: &Value<'_>) -> Option<Provider> {
        let object = value.as_object()?;
        let has = |key: &str| object.contains_key(key);
        let string = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default();
        if has("notificationType") || (has("eventType") && has("mail")) || has("TopicArn") {
            Some(Provider::Ses)
        } else if has("event-data") {
            Some(Provider::Mailgun)
        } else if has("msys") {
            Some(Provider::SparkPost)
        } else if has("RecordType") || (has("TypeCode") && has("Email")) {
            Some(Provider::Postmark)
        } else if (has("event") && object.get("msg").is_some_and(Value::is_object))
            || (has("type") && has("action") && (has("reject") || has("entry")))
        {
            Some(Provider::Mandrill)
        } else if string("type").starts_with("email.") && has("data") {
            Some(Provider::Resend)
        } else if string("event").starts_with("Message") && has("payload") {
            Some(Provider::Postal)
        } else if has("event") && (has("mj_campaign_id") || has("Message_GUID")) {
            Some(Provider::Mailjet)
        } else if has("event") && has("email") && (has("ts_event") || has("message-id")) {
            Some(Provider::Brevo)
        } else if has("event") && has("email") {
            Some(Provider::SendGrid)
        } else if has("event") && has("recipient") {
            Some(Provider::Mailgun)
        } else {
            None
        }
    }
}

/// Whether the first object of a file is an event of a known provider (or a listing of them),
/// and not a record of our own (`source` and `recipient`).
fn looks_like_events(value: &Value<'_>) -> bool {
    if value.get("source").is_some() && value.get("recipient").is_some() {
        return false;
    }
    if Provider::of(value).is_some() {
        return true;
    }
    LISTINGS.iter().any(|key| {
        value
            .get(key)
            .and_then(Value::as_array)
            .and_then(<[Value<'_>]>::first)
            .is_some_and(|first| Provider::of(first).is_some())
    })
}

/// What one event is: its bucket and the facts of each recipient.
#[derive(Debug)]
pub(super) struct Outcome {
    pub(super) bucket: Bucket,
    pub(super) records: Vec<BounceFacts>,
}

impl Outcome {
    /// An event about no delivery result (a send, an open, a click).
    pub(super) fn not_a_bounce() -> Outcome {
        Outcome { bucket: Bucket::NotABounce, records: Vec::new() }
    }

    /// The records of an event whose bucket follows their kind: a failure is a bounce, a
    /// delivery, complaint or auto-reply a report.
    pub(super) fn of(failure: bool, records: Vec<BounceFacts>) -> Outcome {
        Outcome { bucket: if failure { Bucket::Bounce } else { Bucket::Report }, records }
    }
}

/// Reads one event (or webhook body) into its outcome.
fn read_event(value: &Value<'_>) -> Result<Outcome, String> {
    let message = match sns_message(value)? {
        Sns::Message(message) => message,
        Sns::Other => return Ok(Outcome::not_a_bounce()),
        Sns::Bare => return read_bare(value),
    };
    let inner = Value::parse(message.as_bytes())
        .map_err(|e| format!("the SNS Message is not a JSON event: {e}"))?;
    if Provider::of(&inner).is_some() {
        read_bare(&inner)
    } else {
        Ok(Outcome::not_a_bounce())
    }
}

/// Reads one event that is not in an SNS envelope.
fn read_bare(value: &Value<'_>) -> Result<Outcome, String> {
    match Provider::of(value) {
        Some(Provider::Ses) => ses::read(value),
        Some(Provider::SendGrid) => sendgrid::read(value),
        Some(Provider::Mailgun) => mailgun::read(value.get("event-data").unwrap_or(value)),
        Some(Provider::Postmark) => postmark::read(value),
        Some(Provider::SparkPost) => sparkpost::read(value),
        Some(Provider::Mailjet) => mailjet::read(value),
        Some(Provider::Mandrill) => mandrill::read(value),
        Some(Provider::Brevo) => brevo::read(value),
        Some(Provider::Resend) => resend::read(value),
        Some(Provider::Postal) => postal::read(value),
        None => {
            let keys: Vec<&str> = match value.as_object() {
                Some(object) => object.keys().into_iter().take(8).collect(),
                None => return Err("not a JSON object".to_owned()),
            };
            Err(format!("not an event of a known provider (keys: {})", keys.join(", ")))
        }
    }
}

/// What an SNS envelope holds.
enum Sns<'v> {
    /// The `Message` string of a notification: the event, as JSON text.
    Message(&'v str),
    /// A subscription confirmation or another message that is no event.
    Other,
    /// Not an SNS envelope: the event itself.
    Bare,
}

fn sns_message<'v>(value: &'v Value<'_>) -> Result<Sns<'v>, String> {
    let envelope =
        value.get("TopicArn").is_some() || value.get("Type").is_some_and(Value::is_string);
    let Some(message) = value.get("Message").and_then(Value::as_str).filter(|_| envelope) else {
        return Ok(if value.get("TopicArn").is_some() { Sns::Other } else { Sns::Bare });
    };
    if value.get("Type").and_then(Value::as_str).is_some_and(|t| t != "Notification") {
        return Ok(Sns::Other);
    }
    Ok(Sns::Message(message))
}

/// Cuts a stream of JSON documents into events.
struct Splitter {
    lines: LineReader,
    limit: u64,
    mode: Mode,
    /// A document spread over several lines, gathered until its brackets close.
    doc: Option<Doc>,
    queue: VecDeque<SourceEvent>,
    done: bool,
}

/// How the file is laid out, decided by its first document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unknown,
    /// One document per line.
    Lines,
    /// Documents spread over lines.
    Documents,
}

/// A document being gathered.
struct Doc {
    offset: u64,
    line: u64,
    bytes: Vec<u8>,
    len: u64,
    nesting: Nesting,
    oversize: bool,
}

impl Iterator for Splitter {
    type Item = SourceEvent;

    fn next(&mut self) -> Option<SourceEvent> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            if self.done {
                return None;
            }
            match self.lines.next_line() {
                Next::Line(line) => self.take(line),
                Next::Event(event) => self.interrupted(event),
                Next::End => {
                    self.done = true;
                    if let Some(doc) = self.doc.take() {
                        // An unclosed document: its reader says it is not JSON.
                        self.finish(doc);
                    }
                }
            }
        }
    }
}

impl Splitter {
    fn take(&mut self, line: Line) {
        if let Some(doc) = &mut self.doc {
            doc.len += line.bytes.len() as u64;
            doc.nesting.feed(&line.bytes);
            if doc.len > self.limit {
                doc.oversize = true;
                doc.bytes = Vec::new();
            } else {
                doc.bytes.extend_from_slice(&line.bytes);
            }
            if doc.nesting.is_closed() {
                let doc = self.doc.take().expect("a document");
                self.finish(doc);
            }
            return;
        }
        if line.is_blank() {
            return;
        }
        if self.mode == Mode::Lines {
            self.split(line.offset, line.number, line.bytes);
            return;
        }
        let mut nesting = Nesting::default();
        nesting.feed(&line.bytes);
        if nesting.is_closed() {
            if self.mode == Mode::Unknown {
                self.mode = Mode::Lines;
            }
            self.split(line.offset, line.number, line.bytes);
        } else {
            self.mode = Mode::Documents;
            let len = line.bytes.len() as u64;
            self.doc = Some(Doc {
                offset: line.offset,
                line: line.number,
                bytes: line.bytes,
                len,
                nesting,
                oversize: false,
            });
        }
    }

    /// An oversize line or a read error from the line reader. An oversize line inside a
    /// document makes the document oversize; its brackets are taken as balanced (such a line
    /// is a long string: a header, a dump), so the document still ends where it closes.
    fn interrupted(&mut self, event: SourceEvent) {
        let Some(mut doc) = self.doc.take() else {
            self.queue.push_back(event);
            return;
        };
        if let SourceEvent::Oversize { len, .. } = event {
            doc.len += len;
            doc.oversize = true;
            doc.bytes = Vec::new();
            self.doc = Some(doc);
        } else {
            self.finish(doc);
            self.queue.push_back(event);
        }
    }

    fn finish(&mut self, doc: Doc) {
        if doc.oversize {
            let limit = self.limit;
            self.queue.push_back(SourceEvent::Oversize { offset: doc.offset, len: doc.len, limit });
        } else {
            self.split(doc.offset, doc.line, doc.bytes);
        }
    }

    /// Queues the events of one document: each element of an array or listing, else the
    /// document itself.
    fn split(&mut self, offset: u64, line: u64, bytes: Vec<u8>) {
        // A decoded form body's positions are not the file's: its events share its offset.
        let (bytes, exact) = match form_field(&bytes) {
            Some(decoded) => (decoded, false),
            None => (bytes, true),
        };
        let start = scan::skip_space(&bytes, 0);
        let array = match bytes.get(start) {
            Some(b'[') => Some(start),
            Some(b'{') => LISTINGS.iter().zip(LISTING_FINDERS.iter()).find_map(|(key, finder)| {
                finder.find(&bytes)?;
                let range = scan::member(&bytes, start, key)?;
                (bytes[range.start] == b'[').then_some(range.start)
            }),
            _ => None,
        };
        let Some(array) = array else {
            self.queue.push_back(SourceEvent::Unit(Unit { offset, line: Some(line), bytes }));
            return;
        };
        let (elements, damage) = scan::array_elements(&bytes, array);
        let mut counted_to = 0;
        let mut line_at = line;
        let mut unit_at = |start: usize, end: usize, line_at: &mut u64| {
            if exact {
                *line_at += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count() as u64;
                counted_to = start;
            }
            Unit {
                offset: offset + if exact { start as u64 } else { 0 },
                line: Some(*line_at),
                bytes: bytes[start..end].to_vec(),
            }
        };
        for element in elements {
            let unit = unit_at(element.start, element.end, &mut line_at);
            self.queue.push_back(SourceEvent::Unit(unit));
        }
        if let Some(damage) = damage.filter(|&at| scan::skip_space(&bytes, at) < bytes.len()) {
            // The rest of a damaged array is one unit, which reads as unparsed.
            let unit = unit_at(damage, bytes.len(), &mut line_at);
            self.queue.push_back(SourceEvent::Unit(unit));
        }
    }
}

/// The JSON of a form-encoded Mandrill body (`mandrill_events=%5B...%5D`), percent-decoded.
fn form_field(bytes: &[u8]) -> Option<Vec<u8>> {
    let value = bytes.trim_ascii().strip_prefix(FORM_FIELD)?;
    let value = value.split(|b| *b == b'&').next().unwrap_or_default();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut decoded = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let pair = value
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .zip(value.get(i + 2).copied().and_then(hex));
                match pair {
                    Some((high, low)) => {
                        // Two hex digits make one byte.
                        #[allow(clippy::cast_possible_truncation)]
                        decoded.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    None => decoded.push(b'%'),
                }
            }
            other => decoded.push(other),
        }
        i += 1;
    }
    Some(decoded)
}

/// What every record of one event shares.
#[derive(Debug, Default, Clone)]
pub(super) struct Shared {
    /// The record format: the provider's event (`ses-event`, `sendgrid-event`, ...).
    pub(super) format: &'static str,
    /// The event's time as written.
    pub(super) time: Option<String>,
    /// The same time in RFC 3339 UTC.
    pub(super) timestamp: Option<String>,
    pub(super) message_id: Option<String>,
    pub(super) envelope_sender: Option<Provenanced>,
    pub(super) sending_ip: Option<Provenanced>,
    pub(super) subject: Option<String>,
    pub(super) from: Option<String>,
    pub(super) reporting_mta: Option<String>,
    pub(super) remote_mta: Option<String>,
    pub(super) feedback_type: Option<String>,
    /// The platform's own labels, by the platform's own names.
    pub(super) labels: BTreeMap<String, String>,
}

impl Shared {
    pub(super) fn new(format: &'static str) -> Shared {
        Shared { format, ..Shared::default() }
    }

    /// Keeps the platform's label `key` when the event has a scalar value for it.
    pub(super) fn label(&mut self, key: &str, value: Option<&Value<'_>>) {
        if let Some(text) = value.and_then(scalar) {
            self.labels.insert(key.to_owned(), text);
        }
    }

    /// Sets the event time from an RFC 3339 string or a Unix time (number or digits).
    pub(super) fn time(&mut self, value: Option<&Value<'_>>) {
        let Some(written) = value.and_then(scalar) else { return };
        self.timestamp = utc(&written);
        self.time = Some(written);
    }

    /// A value the platform states, with where it states it.
    pub(super) fn stated(value: Option<&str>, source: &str) -> Option<Provenanced> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        Some(Provenanced { value: value.to_owned(), source: source.to_owned(), uncertain: false })
    }

    /// The outcome of an event about one recipient: its facts with the shared ones filled in.
    pub(super) fn outcome(self, stated: &Stated<'_>) -> Result<Outcome, String> {
        let mut records = vec![stated.facts()?];
        self.fill(&mut records);
        Ok(Outcome::of(stated.kind.is_failure(), records))
    }

    /// Fills the shared facts into every record (a record's own values win): copied into all
    /// but the last, moved into the last (most events name one recipient).
    pub(super) fn fill(self, records: &mut [BounceFacts]) {
        let Some((last, others)) = records.split_last_mut() else { return };
        for facts in others {
            self.clone().fill_one(facts);
        }
        self.fill_one(last);
    }

    fn fill_one(self, facts: &mut BounceFacts) {
        facts.format = self.format.to_owned();
        facts.timestamp = self.timestamp;
        facts.last_attempt_date = self.time;
        if facts.reporting_mta.is_none() {
            facts.reporting_mta = self.reporting_mta;
        }
        if facts.remote_mta.is_none() {
            facts.remote_mta = self.remote_mta;
        }
        if facts.feedback_type.is_none() {
            facts.feedback_type = self.feedback_type;
        }
        facts.original.message_id = self.message_id;
        facts.original.envelope_sender = self.envelope_sender;
        facts.original.sending_ip = self.sending_ip;
        facts.original.subject = self.subject;
        facts.original.from = self.from;
        if facts.vendor_fields.is_empty() {
            facts.vendor_fields = self.labels;
        } else {
            for (key, value) in self.labels {
                facts.vendor_fields.entry(key).or_insert(value);
            }
        }
    }
}

/// A scalar JSON value as text (strings as they are, numbers and booleans as written); none
/// for null, empty strings, arrays and objects.
pub(super) fn scalar(value: &Value<'_>) -> Option<String> {
    match value {
        Value::String(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The string at `key` of `value`, if it is a non-empty string.
pub(super) fn text<'a>(value: &'a Value<'_>, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty())
}

/// A time in RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SSZ`) from RFC 3339 with any offset or a Unix
/// time in seconds (fractions allowed).
fn utc(written: &str) -> Option<String> {
    let stamp = match written.parse::<jiff::Timestamp>() {
        Ok(stamp) => stamp,
        Err(_) => {
            let seconds: f64 = written.parse().ok()?;
            if !seconds.is_finite() {
                return None;
            }
            // Whole seconds: the float has been checked finite; an out-of-range one fails below.
            #[allow(clippy::cast_possible_truncation)]
            let whole = seconds.floor() as i64;
            jiff::Timestamp::from_second(whole).ok()?
        }
    };
    Some(stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn events(text: &'static str, limit: u64) -> Vec<SourceEvent> {
        let lines = LineReader::new(Box::new(Cursor::new(text.as_bytes())), limit);
        let splitter = Splitter {
            lines,
            limit,
            mode: Mode::Unknown,
            doc: None,
            queue: VecDeque::new(),
            done: false,
        };
        splitter.collect()
    }

    fn unit(event: &SourceEvent) -> (u64, Option<u64>, &str) {
        match event {
            SourceEvent::Unit(u) => (u.offset, u.line, std::str::from_utf8(&u.bytes).unwrap()),
            other => panic!("a unit, not {other:?}"),
        }
    }

    #[test]
    fn pretty_documents_one_after_the_other_and_a_damaged_array() {
        let text = "{\n  \"event\": \"open\",\n  \"email\": \"a@example.com\"\n}\n[\n  {\"event\": \"bounce\"},\n  {\"event\": \"click\"},\n  {\"event\": \n]\n";
        let found = events(text, 1 << 20);
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(unit(&found[0]).1, Some(1));
        let second = text.find("{\"event\": \"bounce").unwrap() as u64;
        assert_eq!(unit(&found[1]), (second, Some(6), "{\"event\": \"bounce\"}"));
        assert_eq!(unit(&found[2]).1, Some(7));
        let (offset, line, rest) = unit(&found[3]);
        assert_eq!((line, rest.trim_end()), (Some(8), "{\"event\": \n]"));
        assert_eq!(offset, text.rfind("{\"event\": \n").unwrap() as u64);
    }

    #[test]
    fn ndjson_lines_holding_arrays_and_listings() {
        let text = "[{\"a\": 1}, {\"b\": 2}]\n{\"TotalCount\": 1, \"Bounces\": [{\"c\": 3}]}\n{\"d\": 4}\n";
        let found = events(text, 1 << 20);
        let lines: Vec<Option<u64>> = found.iter().map(|e| unit(e).1).collect();
        assert_eq!(lines, [Some(1), Some(1), Some(2), Some(3)]);
        assert_eq!(unit(&found[2]).2, "{\"c\": 3}");
        assert_eq!(unit(&found[1]).0, 11);
    }

    #[test]
    fn an_oversize_document_is_skipped_and_the_next_one_read() {
        let big = "{\n  \"event\": \"bounce\",\n  \"reason\": \"0123456789012345678901234567890123456789\"\n}\n{\"event\": \"open\", \"email\": \"b@example.com\"}\n";
        let found = events(big, 48);
        assert!(
            matches!(found[0], SourceEvent::Oversize { offset: 0, limit: 48, .. }),
            "{found:?}"
        );
        assert_eq!(unit(&found[1]).1, Some(5));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn sniffing_knows_events_and_leaves_other_json_alone() {
        let source = EspEventsSource;
        assert!(source.sniff(b"  [{\"email\": \"a@example.com\", \"event\": \"open\"}]"));
        assert!(source
            .sniff(b"{\"Type\": \"Notification\", \"TopicArn\": \"arn:x\", \"Message\": \"{}\"}"));
        // The head ends inside the first event: its keys decide.
        assert!(
            source.sniff(b"{\n  \"notificationType\": \"Bounce\",\n  \"mail\": {\"headers\": [\n")
        );
        assert!(!source.sniff(b"{\"source\":{\"path\":\"a\"},\"recipient\":\"a@example.com\",\"event\":\"x\",\"email\":\"y\"}"));
        assert!(!source.sniff(b"{\"name\": \"package\", \"version\": \"1.0.0\"}"));
        assert!(!source.sniff(b"From sender@example.com Mon Jun  8 10:00:00 2026\n"));
        assert!(!source.sniff(b"[1, 2, 3]"));
    }

    #[test]
    fn envelopes_and_events_of_no_known_provider() {
        let read = |text: &str| read_event(&Value::parse(text.as_bytes()).expect("JSON"));
        let confirmation = r#"{
            "Type": "SubscriptionConfirmation",
            "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-bounces",
            "Message": "You have chosen to subscribe to the topic"
        }"#;
        assert_eq!(read(confirmation).map(|o| o.bucket), Ok(Bucket::NotABounce));
        let error = read(r#"{"name": "x", "count": 2, "name": "y"}"#).unwrap_err();
        assert_eq!(error, "not an event of a known provider (keys: count, name)");
        assert!(read(r#"{"event": "bounce", "email": ""}"#).is_err());
    }

    #[test]
    fn times_codes_and_types() {
        assert_eq!(utc("2026-06-09T06:12:03.237Z").as_deref(), Some("2026-06-09T06:12:03Z"));
        assert_eq!(
            utc("2026-06-09T08:12:03.2735393+02:00").as_deref(),
            Some("2026-06-09T06:12:03Z")
        );
        assert_eq!(utc("1780985523").as_deref(), Some("2026-06-09T06:12:03Z"));
        assert_eq!(utc("1780985523.918").as_deref(), Some("2026-06-09T06:12:03Z"));
        assert_eq!(utc("yesterday"), None);
    }
}
