//! MTA logs as evidence: each delivery result of a log is one row with its facts; every other
//! line is a row counted as not-a-bounce; a line the format does not recognise at all is
//! unparsed, named with its line and byte offset.
//!
//! A [`LogFormat`] says what each line is: a delivery result of a message id (Postfix
//! `status=`, Exim `**`/`==`/`=>`, Sendmail `stat=`), a line about a message that results
//! join later (the envelope sender, the Message-ID, the submitting client), the end of a
//! message, or something else. [`LogSource`] keeps the joinable lines of each message id until
//! its end, at most [`MAX_QUEUED`] ids at once, and hands each result to a worker with them.
//!
//! Timestamps without a zone take `--log-timezone` (default UTC); those without a year (BSD
//! syslog `Jun  9 06:12:03`) take `--log-year` (default: this year, or the last one when the
//! date would lie more than a day ahead).

mod exim;
mod kumo;
mod postfix;
mod sendmail;

use std::collections::{HashMap, VecDeque};

use bounce_mail::input::{InputFile, Stream};
use bounce_model::{BounceFacts, Bucket, Kind, Record, Source};

pub use exim::EximLogSource;
pub use kumo::KumoLogSource;
pub use postfix::PostfixLogSource;
pub use sendmail::SendmailLogSource;

use super::lines::{Line, LineReader, Next};
use super::stated::Stated;
use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;

/// Message ids whose earlier lines are kept for the results that follow.
const MAX_QUEUED: usize = 100_000;

/// Bytes of joinable lines kept per message id.
const MAX_CONTEXT: usize = 16 << 10;

/// The marker between a unit's joined lines and its result line.
const CONTEXT_END: &str = "\n\u{0}\n";

/// What one log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind<'a> {
    /// Not a line of this log's form at all.
    Malformed,
    /// A line of the log that says nothing the results need.
    Other,
    /// A line about message `id` that its results join (sender, Message-ID, client).
    Context(&'a str),
    /// A delivery result of message `id`.
    Result(&'a str),
    /// The end of message `id` (its queue file removed).
    Done(&'a str),
}

/// One MTA's log form.
pub(crate) trait LogFormat: Send + Sync {
    /// The source name (`--input-format`).
    const NAME: &'static str;
    /// One line for `--help` and the docs.
    const DESCRIBE: &'static str;

    /// What `line` (without its line end) is.
    fn kind<'a>(&self, line: &'a str) -> LineKind<'a>;

    /// The facts of the result line `line`, with the joined lines of its message.
    fn facts(
        &self,
        context: &str,
        line: &str,
        options: &ReadOptions,
    ) -> Result<BounceFacts, String>;
}

/// The record source of one log format.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSource<F>(pub(crate) F);

impl<F: LogFormat + Copy + 'static> RecordSource for LogSource<F> {
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn describe(&self) -> &'static str {
        F::DESCRIBE
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let (mut known, mut lines) = (0, 0);
        let mut complete = head.split(|b| *b == b'\n').take(40).peekable();
        while let Some(line) = complete.next() {
            if complete.peek().is_none() && head.len() >= super::SNIFF_BYTES {
                break; // the last line may be cut by the sniff window
            }
            let Ok(line) = std::str::from_utf8(line) else { continue };
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            lines += 1;
            known +=
                usize::from(!matches!(self.0.kind(line), LineKind::Malformed | LineKind::Other));
        }
        known > 0 && known * 4 >= lines
    }

    fn units(&self, stream: Stream, _file: &InputFile, options: &ReadOptions) -> Events {
        Box::new(Joiner {
            format: self.0,
            lines: LineReader::new(stream, options.max_message_bytes),
            queued: HashMap::new(),
            order: VecDeque::new(),
            counted: 0,
            counted_offset: 0,
            per_row: options.shard.count > 1,
            pending: None,
            done: false,
        })
    }

    fn read(&self, unit: &Unit, source: &Source, options: &ReadOptions) -> Reading {
        let number = unit.line.unwrap_or(0);
        let text = String::from_utf8_lossy(&unit.bytes);
        // The reading thread marked result units with CONTEXT_END (a line holds no `\n`); a
        // unit without it is a line the format did not recognise, so `kind` is not run again.
        let result = match text.rsplit_once(CONTEXT_END) {
            Some((context, line)) => {
                self.0.facts(context, line.trim_end_matches(['\r', '\n']), options)
            }
            None => Err(format!("not a line of a {} log", F::NAME)),
        };
        match result {
            Ok(mut facts) => {
                facts.source = source.clone();
                facts.format = F::NAME.to_owned();
                let bucket = match facts.kind {
                    Some(Kind::Delivered) => Bucket::Report,
                    _ => Bucket::Bounce,
                };
                Reading { bucket, records: vec![Record::from(facts)], problem: None }
            }
            Err(error) => Reading {
                bucket: Bucket::Unparsed,
                records: Vec::new(),
                problem: Some(format!("line {number}: {error}")),
            },
        }
    }
}

/// Cuts a log into result rows, joining each with its message id's earlier lines.
struct Joiner<F> {
    format: F,
    lines: LineReader,
    queued: HashMap<String, Vec<u8>>,
    order: VecDeque<String>,
    /// Other rows seen since the last event.
    counted: u64,
    /// Where the first of them starts.
    counted_offset: u64,
    /// Hand out every counted row as its own event, with its offset (a sharded run).
    per_row: bool,
    /// An event found while rows were being counted, handed out after them.
    pending: Option<SourceEvent>,
    done: bool,
}

impl<F: LogFormat> Joiner<F> {
    fn remember(&mut self, id: &str, line: &[u8]) {
        let entry = match self.queued.get_mut(id) {
            Some(entry) => entry,
            None => {
                if self.order.len() >= MAX_QUEUED {
                    if let Some(oldest) = self.order.pop_front() {
                        self.queued.remove(&oldest);
                    }
                }
                self.order.push_back(id.to_owned());
                self.queued.entry(id.to_owned()).or_default()
            }
        };
        if entry.len() + line.len() < MAX_CONTEXT {
            entry.extend_from_slice(line);
            entry.push(b'\n');
        }
    }

    /// What one line is: a result unit, an unparsed unit, a counted row, or nothing (blank).
    fn take(&mut self, line: &Line) -> Option<SourceEvent> {
        if line.is_blank() {
            return None;
        }
        let text = String::from_utf8_lossy(line.content());
        let unit = |bytes: Vec<u8>| {
            SourceEvent::Unit(Unit { offset: line.offset, line: Some(line.number), bytes })
        };
        if self.counted == 0 {
            self.counted_offset = line.offset;
        }
        match self.format.kind(&text) {
            LineKind::Malformed => Some(unit(line.content().to_vec())),
            LineKind::Other => {
                self.counted += 1;
                None
            }
            LineKind::Context(id) => {
                self.remember(id, text.as_bytes());
                self.counted += 1;
                None
            }
            LineKind::Done(id) => {
                self.queued.remove(id);
                self.counted += 1;
                None
            }
            LineKind::Result(id) => {
                let mut bytes = self.queued.get(id).cloned().unwrap_or_default();
                bytes.extend_from_slice(CONTEXT_END.as_bytes());
                bytes.extend_from_slice(text.as_bytes());
                Some(unit(bytes))
            }
        }
    }

    /// [`Joiner::take`], then the line's buffer goes back to the reader.
    fn take_and_recycle(&mut self, line: Line) -> Option<SourceEvent> {
        let event = self.take(&line);
        self.lines.recycle(line.bytes);
        event
    }

    /// Hands out the rows counted so far, if any, before `event`.
    fn flush_before(&mut self, event: SourceEvent) -> SourceEvent {
        if self.counted == 0 {
            return event;
        }
        self.pending = Some(event);
        self.take_counted()
    }

    /// The rows counted so far as one event.
    fn take_counted(&mut self) -> SourceEvent {
        let rows = std::mem::take(&mut self.counted);
        SourceEvent::Counted { bucket: Bucket::NotABounce, rows, offset: self.counted_offset }
    }
}

impl<F: LogFormat> Iterator for Joiner<F> {
    type Item = SourceEvent;

    fn next(&mut self) -> Option<SourceEvent> {
        if let Some(event) = self.pending.take() {
            return Some(event);
        }
        while !self.done {
            let event = match self.lines.next_line() {
                Next::Line(line) => match self.take_and_recycle(line) {
                    Some(event) => event,
                    None if self.per_row && self.counted > 0 => return Some(self.take_counted()),
                    None => continue,
                },
                Next::Event(event) => event,
                Next::End => {
                    self.done = true;
                    break;
                }
            };
            return Some(self.flush_before(event));
        }
        (self.counted > 0).then(|| self.take_counted())
    }
}

/// The value of `key=` in a `key=value, key=value` list (up to the next `, `), where `key`
/// starts the text or follows a space or comma.
pub(crate) fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let bytes = text.as_bytes();
    let k = key.len();
    let boundary = |start: usize| start == 0 || matches!(bytes[start - 1], b' ' | b',');
    let value_at = |value_start: usize| {
        let value = &text[value_start + 1..];
        let end = memchr::memmem::find(value.as_bytes(), b", ").unwrap_or(value.len());
        value[..end].trim_end_matches(',')
    };
    if key.is_empty() || key.bytes().any(|b| matches!(b, b' ' | b',' | b'=')) {
        // memchr's substring search, for a key that could hide another (never one of ours).
        for start in memchr::memmem::find_iter(bytes, key.as_bytes()) {
            if boundary(start) && bytes.get(start + k) == Some(&b'=') {
                return Some(value_at(start + k));
            }
        }
        return None;
    }
    // This runs several times on every line of a log: find each `=` and look back for the key,
    // which needs no searcher built per call. A key without space, comma or `=` cannot overlap
    // an earlier occurrence of itself and still follow a space or comma, so the first `=` that
    // qualifies is the first occurrence a substring search would qualify.
    memchr::memchr_iter(b'=', bytes)
        .find(|&at| at >= k && &bytes[at - k..at] == key.as_bytes() && boundary(at - k))
        .map(value_at)
}

/// `<user@example.net>` → `user@example.net`.
pub(crate) fn unbracket(value: &str) -> &str {
    value.trim().trim_start_matches('<').trim_end_matches('>')
}

/// `mx.example.net[192.0.2.25]:25` or `mx.example.net [192.0.2.25]` → (host, IP).
pub(crate) fn host_and_ip(text: &str) -> (Option<&str>, Option<&str>) {
    match text.split_once('[') {
        Some((host, rest)) => {
            let ip = rest.split_once(']').map(|(ip, _)| ip).filter(|ip| !ip.is_empty());
            (Some(host.trim()).filter(|h| !h.is_empty()), ip)
        }
        None => (Some(text.split(':').next().unwrap_or(text).trim()), None),
    }
}

/// Facts of a delivery result from the receiver's reply (or the MTA's own words): codes and
/// stage read from the text unless stated (see [`Stated`]), then the log's own kind and status.
pub(crate) fn result_facts(
    text: &str,
    status: Option<&str>,
    recipient: &str,
    kind: Kind,
) -> Result<BounceFacts, String> {
    let text = Some(text.trim()).filter(|t| !t.is_empty());
    Stated { recipient, kind, text, status, reply: None }.facts_from("log text")
}

/// Fills the envelope sender (`from=`) and the Message-ID (`id_key=`: Postfix `message-id`,
/// Sendmail `msgid`) from the joined syslog lines of a message; `label` names the sender's
/// source.
pub(crate) fn join_sender_and_id(
    facts: &mut BounceFacts,
    context: &str,
    id_key: &str,
    label: &str,
) {
    for joined in context.lines() {
        let Some((_, rest)) = SyslogLine::parse(joined).and_then(|l| l.queue_id()) else {
            continue;
        };
        if let Some(from) = field(rest, "from").map(unbracket) {
            facts.original.envelope_sender = Some(bounce_model::Provenanced {
                value: from.to_owned(),
                source: label.to_owned(),
                uncertain: false,
            });
        }
        if let Some(id) = field(rest, id_key) {
            facts.original.message_id = Some(id.to_owned());
        }
    }
}

/// Splits a leading syslog timestamp: RFC 3339 (`2026-06-09T06:12:03.5+00:00`) or BSD (`Jun
/// 9 06:12:03`); the rest follows.
pub(crate) fn split_syslog_time(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() > 19 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        let end = line.find(' ')?;
        return (bytes.get(10) == Some(&b'T')).then(|| (&line[..end], &line[end..]));
    }
    if bytes.len() > 15 && MONTHS.iter().any(|m| line.starts_with(m)) && bytes[3] == b' ' {
        let time = line.get(..15)?;
        let clock = time.as_bytes();
        let ok = clock[9] == b':' && clock[12] == b':' && clock[6] == b' ';
        return ok.then(|| (time, &line[15..]));
    }
    None
}

/// A syslog line: timestamp, host, program (without `[pid]`), message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyslogLine<'a> {
    pub(crate) time: &'a str,
    pub(crate) host: &'a str,
    pub(crate) program: &'a str,
    pub(crate) message: &'a str,
}

impl<'a> SyslogLine<'a> {
    pub(crate) fn parse(line: &'a str) -> Option<SyslogLine<'a>> {
        let (time, rest) = split_syslog_time(line)?;
        let (host, rest) = rest.trim_start().split_once(' ')?;
        let (tag, message) = rest.split_once(": ")?;
        let program = tag.split_once('[').map_or(tag, |(name, _)| name);
        if program.is_empty() || program.contains(' ') || host.is_empty() {
            return None;
        }
        Some(SyslogLine { time, host, program, message })
    }

    /// The queue id the message starts with (`3F2A81234: ...`), and the rest.
    pub(crate) fn queue_id(&self) -> Option<(&'a str, &'a str)> {
        let (id, rest) = self.message.split_once(": ")?;
        let valid = (5..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then_some((id, rest))
    }
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A log timestamp in RFC 3339 UTC: RFC 3339 with a zone as it is; `YYYY-MM-DD HH:MM:SS`
/// with an optional `+ZZZZ` (Exim); BSD syslog `Mon DD HH:MM:SS` with `--log-year`. Times
/// without a zone are in `--log-timezone`.
pub(crate) fn log_timestamp(time: &str, options: &ReadOptions) -> Result<String, String> {
    let zone = log_zone(options)?;
    let format = |stamp: jiff::Timestamp| stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let bad = |e: jiff::Error| format!("bad timestamp `{time}`: {e}");
    if time.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        if let Ok(stamp) = time.parse::<jiff::Timestamp>() {
            return Ok(format(stamp));
        }
        // An offset after the clock, with a space (Exim) or without (PowerMTA `-0500`).
        let attached = time.len() > 19 && matches!(time.as_bytes()[19], b'+' | b'-');
        let (clock, offset) = match time.rsplit_once(' ') {
            _ if attached => (&time[..19], fixed_offset(&time[19..])),
            Some((clock, zone)) if fixed_offset(zone).is_some() => (clock, fixed_offset(zone)),
            _ => (time, None),
        };
        let civil: jiff::civil::DateTime = clock.parse().map_err(bad)?;
        let stamp = match offset {
            Some(offset) => offset.to_timestamp(civil).map_err(bad)?,
            None => zone.to_timestamp(civil).map_err(bad)?,
        };
        return Ok(format(stamp));
    }
    let month = MONTHS.iter().position(|m| time.starts_with(m)).ok_or("bad month")?;
    let month = i8::try_from(month + 1).map_err(|_| "bad month")?;
    let day: i8 = time.get(4..6).unwrap_or("").trim().parse().map_err(|_| "bad day")?;
    let clock: jiff::civil::Time = time.get(7..).unwrap_or("").parse().map_err(bad)?;
    let at = |year: i16| -> Result<jiff::Timestamp, String> {
        let date = jiff::civil::Date::new(year, month, day).map_err(bad)?;
        zone.to_timestamp(date.to_datetime(clock)).map_err(bad)
    };
    let stamp = match options.log_year {
        Some(year) => at(year)?,
        None => {
            let now = jiff::Timestamp::now();
            let year = jiff::tz::TimeZone::UTC.to_datetime(now).year();
            let guess = at(year)?;
            if guess.as_second() > now.as_second() + 86_400 {
                at(year - 1)?
            } else {
                guess
            }
        }
    };
    Ok(format(stamp))
}

/// The zone of log timestamps without one (`--log-timezone`, default UTC): `UTC`, a fixed
/// offset (`+02:00`) or an IANA name (`Europe/Berlin`, from the system's zoneinfo).
pub fn log_zone(options: &ReadOptions) -> Result<jiff::tz::TimeZone, String> {
    match options.log_timezone.as_deref() {
        None | Some("UTC" | "utc" | "Z") => Ok(jiff::tz::TimeZone::UTC),
        Some(name) => match fixed_offset(name) {
            Some(offset) => Ok(jiff::tz::TimeZone::fixed(offset)),
            None => jiff::tz::TimeZone::get(name)
                .map_err(|e| format!("unknown --log-timezone `{name}`: {e}")),
        },
    }
}

/// A fixed offset written `+02:00`, `-0530` or `+02`.
fn fixed_offset(text: &str) -> Option<jiff::tz::Offset> {
    if !text.starts_with(['+', '-']) {
        return None;
    }
    // `+02` is `+0200`; jiff reads `+02:00` (`%:z`) and `+0200` (`%z`).
    let text = if text.len() == 3 { format!("{text}00") } else { text.to_owned() };
    ["%:z", "%z"].iter().find_map(|format| jiff::fmt::strtime::parse(format, &text).ok()?.offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_each_form() {
        let options = ReadOptions { log_year: Some(2026), ..ReadOptions::default() };
        let at = |t: &str| log_timestamp(t, &options);
        assert_eq!(at("2026-06-09T06:12:03.123456+02:00").as_deref(), Ok("2026-06-09T04:12:03Z"));
        assert_eq!(at("2026-06-09 06:12:03").as_deref(), Ok("2026-06-09T06:12:03Z"));
        assert_eq!(at("2026-06-09 06:12:03 +0200").as_deref(), Ok("2026-06-09T04:12:03Z"));
        assert_eq!(at("2026-06-09 06:12:03-0500").as_deref(), Ok("2026-06-09T11:12:03Z"));
        assert_eq!(at("Jun  9 06:12:03").as_deref(), Ok("2026-06-09T06:12:03Z"));
        assert!(at("Jun 31 06:12:03").is_err());
        let berlin = ReadOptions {
            log_timezone: Some("+01:00".to_owned()),
            log_year: Some(2026),
            ..ReadOptions::default()
        };
        assert_eq!(
            log_timestamp("Jan  9 06:12:03", &berlin).as_deref(),
            Ok("2026-01-09T05:12:03Z")
        );
    }

    #[test]
    fn fields_and_syslog_lines() {
        let line = "Jun  9 06:12:03 mta1 postfix/smtp[2211]: 3F2A81234: to=<a@example.net>, relay=mx.example.net[192.0.2.25]:25, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.25] said: 550 5.1.1 no, sorry (in reply to RCPT TO command))";
        let parsed = SyslogLine::parse(line).expect("syslog");
        assert_eq!((parsed.host, parsed.program), ("mta1", "postfix/smtp"));
        let (id, rest) = parsed.queue_id().expect("queue id");
        assert_eq!(id, "3F2A81234");
        assert_eq!(field(rest, "to"), Some("<a@example.net>"));
        assert_eq!(field(rest, "dsn"), Some("5.1.1"));
        assert_eq!(field(rest, "relay"), Some("mx.example.net[192.0.2.25]:25"));
        assert_eq!(
            host_and_ip("mx.example.net[192.0.2.25]:25"),
            (Some("mx.example.net"), Some("192.0.2.25"))
        );
        let iso = "2026-06-09T06:12:03.123456+02:00 mta1 postfix/qmgr[9]: 3F2A81234: removed";
        let iso = SyslogLine::parse(iso).map(|l| l.time);
        assert_eq!(iso, Some("2026-06-09T06:12:03.123456+02:00"));
        assert!(SyslogLine::parse("not a log line at all").is_none());
    }
}
