//! Postfix logs (`maillog`, `mail.log`, journal exports in syslog form): each delivery result
//! (`status=bounced|deferred|expired|sent`) is one row with its facts; every other line is a
//! row counted as not-a-bounce; a line that is not a syslog line is unparsed, named with its
//! line and byte offset.
//!
//! A delivery line says the recipient (`to=`, `orig_to=`), the enhanced status (`dsn=`), the
//! receiving host (`relay=host[ip]:port`) and, in parentheses, what happened: the receiver's own
//! reply after `host H[ip] said:` with the command it answered (`(in reply to RCPT TO
//! command)`), or Postfix's own words (a connection that timed out, an unknown local user).
//! The lines of the same queue id that came before it join in: the envelope sender (`qmgr`
//! `from=`), the Message-ID (`cleanup`) and the submitting client (`smtpd` `client=`). They are
//! kept by queue id until the queue file is `removed`, at most [`MAX_QUEUED`] ids at once.
//!
//! Timestamps: RFC 3339 (`2026-06-09T06:12:03.123456+00:00`, rsyslog's high-precision form)
//! carry their zone; the traditional `Jun  9 06:12:03` has neither year nor zone, so the zone
//! is `--log-timezone` (default UTC) and the year `--log-year` (default: this year, or the last
//! one when the date would lie more than a day ahead).

use std::collections::{HashMap, VecDeque};

use bounce_mail::extract::{record_from_text, TextFacts};
use bounce_mail::input::{InputFile, Stream};
use bounce_model::{BounceFacts, Bucket, Kind, Provenanced, Record, Source, Stage};

use super::lines::{Line, LineReader, Next};
use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;

/// Queue ids whose earlier lines are kept for the delivery lines that follow.
const MAX_QUEUED: usize = 100_000;

/// The marker a unit's context lines end with; the delivery line follows it.
const CONTEXT_END: &[u8] = b"\n\x00\n";

/// Postfix log files.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostfixLogSource;

impl RecordSource for PostfixLogSource {
    fn name(&self) -> &'static str {
        "postfix-log"
    }

    fn describe(&self) -> &'static str {
        "Postfix logs (syslog lines of postfix/smtp, qmgr, cleanup...; status= lines are results)"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let mut syslog = 0;
        let mut postfix = 0;
        for line in head.split(|b| *b == b'\n').take(40) {
            let Ok(line) = std::str::from_utf8(line) else { continue };
            if line.trim().is_empty() {
                continue;
            }
            if let Some(parsed) = SyslogLine::parse(line) {
                syslog += 1;
                postfix += usize::from(parsed.is_postfix());
            }
        }
        postfix > 0 && postfix * 2 >= syslog
    }

    fn units(&self, stream: Stream, _file: &InputFile, options: &ReadOptions) -> Events {
        Box::new(Joiner {
            lines: LineReader::new(stream, options.max_message_bytes),
            queued: HashMap::new(),
            order: VecDeque::new(),
            counted: 0,
            pending: None,
            done: false,
        })
    }

    fn read(&self, unit: &Unit, source: &Source, options: &ReadOptions) -> Reading {
        let line = unit.line.unwrap_or(0);
        match read_delivery(&unit.bytes, source, options) {
            Ok(record) => {
                let bucket = match record.kind {
                    Some(Kind::Delivered) => Bucket::Report,
                    _ => Bucket::Bounce,
                };
                Reading { bucket, records: vec![Record::from(record)], problem: None }
            }
            Err(error) => Reading {
                bucket: Bucket::Unparsed,
                records: Vec::new(),
                problem: Some(format!("line {line}: {error}")),
            },
        }
    }
}

/// The parts of a syslog line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SyslogLine<'a> {
    /// The timestamp as written.
    time: &'a str,
    /// The host that logged it.
    host: &'a str,
    /// The program name, without `[pid]`.
    program: &'a str,
    /// The message after `program[pid]: `.
    message: &'a str,
}

impl<'a> SyslogLine<'a> {
    fn parse(line: &'a str) -> Option<SyslogLine<'a>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (time, rest) = split_time(line)?;
        let rest = rest.trim_start();
        let (host, rest) = rest.split_once(' ')?;
        let (tag, message) = rest.split_once(": ")?;
        let program = tag.split_once('[').map_or(tag, |(name, _)| name);
        if program.is_empty() || program.contains(' ') || host.is_empty() {
            return None;
        }
        Some(SyslogLine { time, host, program, message })
    }

    /// Whether a Postfix daemon wrote it (`postfix/smtp`, `postfix-out/qmgr`, ...).
    fn is_postfix(&self) -> bool {
        self.program.contains("postfix")
    }

    /// The queue id the message starts with, and the rest.
    fn queue_id(&self) -> Option<(&'a str, &'a str)> {
        let (id, rest) = self.message.split_once(": ")?;
        let valid = (5..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then_some((id, rest))
    }
}

/// Splits a leading timestamp: RFC 3339 (`2026-06-09T06:12:03+00:00`) or BSD (`Jun  9
/// 06:12:03`).
fn split_time(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() > 19 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        let end = line.find(' ')?;
        return (bytes.get(10) == Some(&b'T')).then(|| (&line[..end], &line[end..]));
    }
    if bytes.len() > 15 && MONTHS.iter().any(|m| line.starts_with(m)) && bytes[3] == b' ' {
        let time = &line[..15];
        let clock = &time[7..];
        let ok = clock.len() == 8 && clock.as_bytes()[2] == b':' && clock.as_bytes()[5] == b':';
        return ok.then(|| (time, &line[15..]));
    }
    None
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The value of `key=` in a Postfix `key=value, key=value` list (up to the next `, `).
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(at) = text[from..].find(key) {
        let start = from + at;
        let boundary = start == 0 || text[..start].ends_with([' ', ',']);
        let value_start = start + key.len();
        if boundary && text[value_start..].starts_with('=') {
            let value = &text[value_start + 1..];
            let end = value.find(", ").unwrap_or(value.len());
            return Some(value[..end].trim_end_matches(','));
        }
        from = value_start;
    }
    None
}

/// What the lines before a delivery line said about its queue id.
#[derive(Debug, Clone, Default)]
struct Queued {
    lines: Vec<u8>,
}

/// Cuts a Postfix log into delivery rows, joining each with its queue id's earlier lines.
struct Joiner {
    lines: LineReader,
    queued: HashMap<String, Queued>,
    order: VecDeque<String>,
    /// Not-a-bounce rows seen since the last event.
    counted: u64,
    /// An event found while rows were being counted, handed out after them.
    pending: Option<SourceEvent>,
    done: bool,
}

impl Joiner {
    fn remember(&mut self, id: &str, line: &Line) {
        if !self.queued.contains_key(id) {
            if self.order.len() >= MAX_QUEUED {
                if let Some(oldest) = self.order.pop_front() {
                    self.queued.remove(&oldest);
                }
            }
            self.order.push_back(id.to_owned());
        }
        let entry = self.queued.entry(id.to_owned()).or_default();
        // A queue id's context is a few lines; a pathological one stays bounded.
        if entry.lines.len() < 16 << 10 {
            entry.lines.extend_from_slice(line.content());
            entry.lines.push(b'\n');
        }
    }

    /// What one line is: a delivery unit, a counted row, or nothing (blank).
    fn take(&mut self, line: Line) -> Option<SourceEvent> {
        if line.is_blank() {
            return None;
        }
        let Some(parsed) = std::str::from_utf8(line.content()).ok().and_then(SyslogLine::parse)
        else {
            // Not a syslog line: its own unit, which reads as unparsed with its line.
            let unit = Unit { offset: line.offset, line: Some(line.number), bytes: line.bytes };
            return Some(SourceEvent::Unit(unit));
        };
        let Some((id, rest)) = parsed.queue_id().filter(|_| parsed.is_postfix()) else {
            self.counted += 1;
            return None;
        };
        let is_delivery = field(rest, "to").is_some() && field(rest, "status").is_some();
        if !is_delivery {
            if rest == "removed" {
                self.queued.remove(id);
            } else if ["from", "message-id", "client"].iter().any(|k| field(rest, k).is_some()) {
                self.remember(id, &line);
            }
            self.counted += 1;
            return None;
        }
        let mut bytes = self.queued.get(id).map(|q| q.lines.clone()).unwrap_or_default();
        bytes.extend_from_slice(CONTEXT_END);
        bytes.extend_from_slice(line.content());
        Some(SourceEvent::Unit(Unit { offset: line.offset, line: Some(line.number), bytes }))
    }

    /// Hands out the rows counted so far, if any, before `event`.
    fn flush_before(&mut self, event: SourceEvent) -> SourceEvent {
        if self.counted == 0 {
            return event;
        }
        self.pending = Some(event);
        let rows = std::mem::take(&mut self.counted);
        SourceEvent::Counted { bucket: Bucket::NotABounce, rows }
    }
}

impl Iterator for Joiner {
    type Item = SourceEvent;

    fn next(&mut self) -> Option<SourceEvent> {
        if let Some(event) = self.pending.take() {
            return Some(event);
        }
        while !self.done {
            let event = match self.lines.next_line() {
                Next::Line(line) => match self.take(line) {
                    Some(event) => event,
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
        let rows = std::mem::take(&mut self.counted);
        (rows > 0).then_some(SourceEvent::Counted { bucket: Bucket::NotABounce, rows })
    }
}

/// The facts of one delivery unit (context lines, [`CONTEXT_END`], the delivery line).
fn read_delivery(
    bytes: &[u8],
    source: &Source,
    options: &ReadOptions,
) -> Result<BounceFacts, String> {
    let text = String::from_utf8_lossy(bytes);
    let (context, line) = match text.rsplit_once("\n\u{0}\n") {
        Some((context, line)) => (context, line),
        None => ("", &*text),
    };
    let parsed = SyslogLine::parse(line).ok_or("not a syslog line")?;
    let (queue_id, rest) = parsed.queue_id().ok_or("no Postfix queue id")?;
    let recipient = field(rest, "to").map(unbracket).filter(|r| r.contains('@'));
    let recipient = recipient.ok_or("a delivery line without a recipient address")?;
    let status_field = field(rest, "status").ok_or("no status=")?;
    let word = status_field.split_whitespace().next().unwrap_or_default();
    let (kind, action) = match word {
        "bounced" | "expired" => (Kind::Bounce, "failed"),
        "deferred" => (Kind::Delay, "delayed"),
        "sent" | "delivered" => (Kind::Delivered, "delivered"),
        other => return Err(format!("unknown delivery status `{other}`")),
    };
    // What happened: the parenthesised text after the status word (to the line's end, as it
    // may itself hold `, `).
    let status_at = rest.find("status=").unwrap_or(0);
    let after = rest[status_at..].split_once(" (").map(|(_, tail)| tail);
    let said = after.map(|tail| tail.strip_suffix(')').unwrap_or(tail).trim()).unwrap_or("");
    let dsn = field(rest, "dsn").filter(|d| d.split('.').count() == 3);
    let (reply, receiver) = receiver_reply(said);
    let diagnostic = if reply.is_empty() { said } else { reply };
    let mut facts = if diagnostic.is_empty() {
        BounceFacts { recipient: recipient.to_ascii_lowercase(), ..BounceFacts::default() }
    } else {
        let given = TextFacts { text: diagnostic, status: dsn, recipient, ..TextFacts::default() };
        record_from_text(&given)?.0
    };
    facts.source = source.clone();
    facts.kind = Some(kind);
    facts.action = Some(action.to_owned());
    facts.status = dsn.map(str::to_owned).or(facts.status);
    facts.format = "postfix-log".to_owned();
    facts.reporting_mta = Some(parsed.host.to_owned());
    if let Some(stage) = in_reply_to(said) {
        facts.smtp_stage = stage;
        facts.stage_source = Some("log: in reply to".to_owned());
    } else if facts.smtp_stage != Stage::Unknown {
        facts.stage_source = Some("log text".to_owned());
    }
    let relay = field(rest, "relay").unwrap_or("none");
    let (relay_host, relay_ip) = host_and_ip(relay);
    let remote = receiver.map(|(host, _)| host).or(relay_host);
    facts.remote_mta =
        remote.filter(|h| !matches!(*h, "none" | "local" | "virtual")).map(str::to_owned);
    facts.original_recipient = field(rest, "orig_to").map(unbracket).map(str::to_owned);
    facts.timestamp = timestamp(parsed.time, options)?;
    facts.last_attempt_date = Some(parsed.time.to_owned());
    facts.vendor_fields.insert("Postfix-Queue-ID".to_owned(), queue_id.to_owned());
    if let Some(ip) = receiver.and_then(|(_, ip)| ip).or(relay_ip) {
        facts.vendor_fields.insert("Remote-IP".to_owned(), ip.to_owned());
    }
    for context_line in context.lines() {
        let Some(rest) = SyslogLine::parse(context_line).and_then(|l| l.queue_id()).map(|q| q.1)
        else {
            continue;
        };
        if let Some(from) = field(rest, "from").map(unbracket) {
            facts.original.envelope_sender = Some(Provenanced {
                value: from.to_owned(),
                source: "log: qmgr from=".to_owned(),
                uncertain: false,
            });
        }
        if let Some(id) = field(rest, "message-id") {
            facts.original.message_id = Some(id.to_owned());
        }
    }
    Ok(facts)
}

/// `<user@example.net>` → `user@example.net`.
fn unbracket(value: &str) -> &str {
    value.trim().trim_start_matches('<').trim_end_matches('>')
}

/// `mx.example.net[192.0.2.25]:25` → (`mx.example.net`, `192.0.2.25`).
fn host_and_ip(relay: &str) -> (Option<&str>, Option<&str>) {
    match relay.split_once('[') {
        Some((host, rest)) => {
            let ip = rest.split_once(']').map(|(ip, _)| ip).filter(|ip| !ip.is_empty());
            (Some(host).filter(|h| !h.is_empty()), ip)
        }
        None => (Some(relay.split(':').next().unwrap_or(relay)), None),
    }
}

/// The receiver's reply in `host H[ip] said: REPLY (in reply to X command)`, and the host.
fn receiver_reply(said: &str) -> (&str, Option<(&str, Option<&str>)>) {
    let Some(rest) = said.strip_prefix("host ") else { return ("", None) };
    let Some((host, reply)) = rest.split_once(" said: ") else { return ("", None) };
    let reply = match reply.rfind(" (in reply to ") {
        Some(at) => &reply[..at],
        None => reply,
    };
    let (name, ip) = host_and_ip(host);
    (reply.trim(), name.map(|n| (n, ip)))
}

/// The command a reply answered, from Postfix's `(in reply to X command)`.
fn in_reply_to(said: &str) -> Option<Stage> {
    let at = said.rfind("(in reply to ")?;
    bounce_mail::extract::codes::stage_from_text(&said[at..])
}

/// The timestamp in RFC 3339 UTC; a BSD timestamp takes the zone and year of the options.
fn timestamp(time: &str, options: &ReadOptions) -> Result<Option<String>, String> {
    let zone = log_zone(options)?;
    if time.as_bytes().get(10) == Some(&b'T') {
        let parsed = time
            .parse::<jiff::Timestamp>()
            .or_else(|_| time.parse::<jiff::civil::DateTime>().and_then(|dt| zone.to_timestamp(dt)))
            .map_err(|e| format!("bad timestamp `{time}`: {e}"))?;
        return Ok(Some(parsed.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()));
    }
    let month = MONTHS.iter().position(|m| time.starts_with(m)).ok_or("bad month")? as i8 + 1;
    let day: i8 = time[4..6].trim().parse().map_err(|_| format!("bad day in `{time}`"))?;
    let clock: jiff::civil::Time =
        time[7..].parse().map_err(|e| format!("bad time in `{time}`: {e}"))?;
    let at = |year: i16| -> Result<jiff::Timestamp, String> {
        let date = jiff::civil::Date::new(year, month, day)
            .map_err(|e| format!("bad date `{time}`: {e}"))?;
        zone.to_timestamp(date.to_datetime(clock)).map_err(|e| format!("bad date `{time}`: {e}"))
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
    Ok(Some(stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

/// The zone of log timestamps without one (`--log-timezone`, default UTC).
fn log_zone(options: &ReadOptions) -> Result<jiff::tz::TimeZone, String> {
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
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits.get(2..).map_or(Some(0), |m| m.parse().ok())?;
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_syslog_lines() {
        let line = "Jun  9 06:12:03 mta1 postfix/smtp[2211]: 3F2A81234: to=<a@example.net>, relay=mx.example.net[192.0.2.25]:25, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.25] said: 550 5.1.1 <a@example.net>: User unknown, sorry (in reply to RCPT TO command))";
        let parsed = SyslogLine::parse(line).expect("syslog");
        assert_eq!((parsed.host, parsed.program), ("mta1", "postfix/smtp"));
        let (id, rest) = parsed.queue_id().expect("queue id");
        assert_eq!(id, "3F2A81234");
        assert_eq!(field(rest, "to"), Some("<a@example.net>"));
        assert_eq!(field(rest, "dsn"), Some("5.1.1"));
        assert_eq!(field(rest, "relay"), Some("mx.example.net[192.0.2.25]:25"));
        let iso = "2026-06-09T06:12:03.123456+02:00 mta1 postfix/qmgr[9]: 3F2A81234: removed";
        assert_eq!(
            SyslogLine::parse(iso).map(|l| l.time),
            Some("2026-06-09T06:12:03.123456+02:00")
        );
        assert!(SyslogLine::parse("not a log line at all").is_none());
    }
}
