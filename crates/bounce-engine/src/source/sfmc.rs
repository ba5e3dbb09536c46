//! Salesforce Marketing Cloud `_Bounce` data-view exports and bounce extract files (CSV or
//! TSV with a header row naming the columns, in any order; a UTF-8 BOM and CRLF line ends are
//! fine).
//!
//! Each row is one bounce: the address is `SubscriberKey` when it is one, else
//! `EmailAddress`; the receiver's text is `SMTPBounceReason` (else `SMTPMessage`), its reply
//! code `SMTPCode`; Marketing Cloud's own labels (`BounceCategory`, `BounceSubcategory`,
//! `BounceType`) and the send's ids (`JobID`, `ListID`, `BatchID`,
//! `TriggeredSendCustomerKey`) are kept beside the SMTP text as vendor fields, never instead
//! of it, so rows group by `vendor:JobID`, `vendor:BounceCategory`, `smtp_code` and `wording`
//! as the seed asks. `EventDate` has no zone: Marketing Cloud data views are in Central
//! Standard Time (UTC-06:00 all year), which `--log-timezone` overrides.

use std::io::BufRead;

use bounce_mail::input::{InputFile, Stream};
use bounce_model::{BounceFacts, Bucket, Kind, Record, Source};

use super::log::{log_timestamp, result_facts};
use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;

/// The columns kept as vendor fields, as Marketing Cloud names them.
const VENDOR_COLUMNS: [&str; 12] = [
    "JobID",
    "SendID",
    "ListID",
    "BatchID",
    "SubscriberID",
    "BounceCategory",
    "BounceSubcategory",
    "BounceType",
    "TriggeredSendCustomerKey",
    "Domain",
    "IsUnique",
    "IsFalseBounce",
];

/// Separates a unit's column name from its value, and the columns from each other.
const NAME_END: char = '\u{1f}';
const COLUMN_END: char = '\u{1e}';

/// The zone of `EventDate` unless `--log-timezone` says otherwise.
const SFMC_ZONE: &str = "-06:00";

/// Marketing Cloud `_Bounce` exports.
#[derive(Debug, Clone, Copy, Default)]
pub struct SfmcBounceSource;

impl RecordSource for SfmcBounceSource {
    fn name(&self) -> &'static str {
        "sfmc-bounce"
    }

    fn describe(&self) -> &'static str {
        "Salesforce Marketing Cloud _Bounce data-view exports (CSV or TSV with a header row)"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line).to_ascii_lowercase();
        let has = |name: &str| line.contains(&name.to_ascii_lowercase());
        (has("SMTPBounceReason") || has("BounceCategory"))
            && (has("SubscriberKey") || has("EmailAddress"))
    }

    fn units(&self, stream: Stream, _file: &InputFile, options: &ReadOptions) -> Events {
        Box::new(Rows::new(stream, options.max_message_bytes))
    }

    fn read(&self, unit: &Unit, source: &Source, options: &ReadOptions) -> Reading {
        let line = unit.line.unwrap_or(0);
        let text = String::from_utf8_lossy(&unit.bytes);
        let columns: Vec<(&str, &str)> =
            text.split(COLUMN_END).filter_map(|column| column.split_once(NAME_END)).collect();
        match row_facts(&columns, options) {
            Ok(Some(mut facts)) => {
                facts.source = source.clone();
                facts.format = "sfmc-bounce".to_owned();
                Reading {
                    bucket: Bucket::Bounce,
                    records: vec![Record::from(facts)],
                    problem: None,
                }
            }
            Ok(None) => Reading {
                bucket: Bucket::BounceNoRecipient,
                records: Vec::new(),
                problem: Some(format!(
                    "line {line}: no address (SubscriberKey is not an address and there is no \
                     EmailAddress column)"
                )),
            },
            Err(error) => Reading {
                bucket: Bucket::Unparsed,
                records: Vec::new(),
                problem: Some(format!("line {line}: {error}")),
            },
        }
    }
}

/// The facts of one row, `None` when it names no address.
fn row_facts(
    columns: &[(&str, &str)],
    options: &ReadOptions,
) -> Result<Option<BounceFacts>, String> {
    let get = |name: &str| {
        columns
            .iter()
            .find(|(column, _)| column.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    };
    let address = [get("SubscriberKey"), get("EmailAddress")]
        .into_iter()
        .flatten()
        .find(|value| value.contains('@') && !value.contains(char::is_whitespace));
    let Some(address) = address else { return Ok(None) };
    let text = get("SMTPBounceReason").or_else(|| get("SMTPMessage")).unwrap_or_default();
    let code = get("SMTPCode").filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()));
    let kind = if code.is_some_and(|c| c.starts_with('4')) { Kind::Delay } else { Kind::Bounce };
    let mut facts = result_facts(text, None, address, kind)?;
    if facts.reply_code.is_none() {
        facts.reply_code = code.map(str::to_owned);
    }
    for name in VENDOR_COLUMNS {
        if let Some(value) = get(name) {
            facts.vendor_fields.insert(name.to_owned(), value.to_owned());
        }
    }
    if let (Some(message), Some(_)) = (get("SMTPMessage"), get("SMTPBounceReason")) {
        facts.vendor_fields.insert("SMTPMessage".to_owned(), message.to_owned());
    }
    if let Some(date) = get("EventDate") {
        let zoned = ReadOptions {
            log_timezone: options.log_timezone.clone().or_else(|| Some(SFMC_ZONE.to_owned())),
            ..ReadOptions::default()
        };
        facts.timestamp = Some(log_timestamp(&iso_date(date)?, &zoned)?);
        facts.last_attempt_date = Some(date.to_owned());
    }
    Ok(Some(facts))
}

/// `2026-06-09 06:12:03.123` as it is; `6/9/2026 6:12:03 AM` (the export's US form) as
/// `2026-06-09 06:12:03`.
fn iso_date(date: &str) -> Result<String, String> {
    if date.as_bytes().get(4) == Some(&b'-') {
        // Fractions of a second are dropped: the timestamp keeps whole seconds.
        let whole = date.split('.').next().unwrap_or(date);
        return Ok(whole.replace('T', " "));
    }
    let bad = || format!("bad EventDate `{date}`");
    let mut parts = date.split_whitespace();
    let day = parts.next().ok_or_else(bad)?;
    let clock = parts.next().unwrap_or("00:00:00");
    let meridiem = parts.next();
    let numbers: Vec<u32> =
        day.split('/').map(|n| n.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let [month, mday, year] = numbers[..] else { return Err(bad()) };
    let mut clock_parts: Vec<u32> =
        clock.split(':').map(|n| n.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    clock_parts.resize(3, 0);
    let mut hour = clock_parts[0];
    match meridiem.map(str::to_ascii_uppercase).as_deref() {
        Some("PM") if hour < 12 => hour += 12,
        Some("AM") if hour == 12 => hour = 0,
        Some("AM" | "PM") | None => {}
        Some(_) => return Err(bad()),
    }
    Ok(format!(
        "{year:04}-{month:02}-{mday:02} {hour:02}:{:02}:{:02}",
        clock_parts[1], clock_parts[2]
    ))
}

/// The rows of an export: the header row names the columns; each later row is one unit.
struct Rows {
    reader: csv::Reader<Stream>,
    header: Option<Vec<String>>,
    limit: u64,
    crlf: bool,
    done: bool,
}

impl Rows {
    fn new(mut stream: Stream, limit: u64) -> Self {
        // Tabs or commas: whichever the header line holds more of.
        let head = stream.fill_buf().map(<[u8]>::to_vec).unwrap_or_default();
        let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let count = |byte: u8| line.iter().filter(|b| **b == byte).count();
        let delimiter = if count(b'\t') > count(b',') { b'\t' } else { b',' };
        // With CRLF line ends the reader stops a record at its `\r`: the next one's position
        // is one byte and one line before its first byte.
        let crlf = line.last() == Some(&b'\r');
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(stream);
        Rows { reader, header: None, limit, crlf, done: false }
    }
}

impl Iterator for Rows {
    type Item = SourceEvent;

    fn next(&mut self) -> Option<SourceEvent> {
        let mut row = csv::ByteRecord::new();
        loop {
            if self.done {
                return None;
            }
            let start = self.reader.position().clone();
            let skew = u64::from(self.crlf && self.header.is_some());
            let offset = start.byte() + skew;
            match self.reader.read_byte_record(&mut row) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(error) => {
                    self.done = true;
                    return Some(SourceEvent::Error { offset, error: error.to_string() });
                }
                Ok(true) => {}
            }
            let line = start.line() + skew;
            let Some(header) = &self.header else {
                self.header = Some(header_of(&row));
                continue;
            };
            let len = row.as_slice().len() as u64;
            if len > self.limit {
                return Some(SourceEvent::Oversize { offset, len, limit: self.limit });
            }
            if row.iter().all(|field| field.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let mut bytes = String::new();
            for (name, value) in header.iter().zip(row.iter()) {
                bytes.push_str(name);
                bytes.push(NAME_END);
                bytes.push_str(&String::from_utf8_lossy(value));
                bytes.push(COLUMN_END);
            }
            return Some(SourceEvent::Unit(Unit {
                offset,
                line: Some(line),
                bytes: bytes.into_bytes(),
            }));
        }
    }
}

/// The column names of the header row, without a UTF-8 BOM.
fn header_of(row: &csv::ByteRecord) -> Vec<String> {
    row.iter()
        .map(|name| {
            let name = name.strip_prefix(b"\xef\xbb\xbf").unwrap_or(name);
            String::from_utf8_lossy(name).trim().to_owned()
        })
        .collect()
}
