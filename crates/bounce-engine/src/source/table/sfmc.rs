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

use bounce_model::Kind;

use super::{Columns, Row, TableFormat, TableSource};
use crate::pipeline::ReadOptions;
use crate::source::log::{log_timestamp, result_facts};

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

/// The zone of `EventDate` unless `--log-timezone` says otherwise.
const SFMC_ZONE: &str = "-06:00";

/// Marketing Cloud `_Bounce` exports.
pub type SfmcBounceSource = TableSource<Sfmc>;

/// The `_Bounce` export form.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sfmc;

impl TableFormat for Sfmc {
    const NAME: &'static str = "sfmc-bounce";
    const DESCRIBE: &'static str =
        "Salesforce Marketing Cloud _Bounce data-view exports (CSV or TSV with a header row)";

    fn header(&self, line: &str) -> bool {
        (line.contains("smtpbouncereason") || line.contains("bouncecategory"))
            && (line.contains("subscriberkey") || line.contains("emailaddress"))
    }

    fn row(&self, columns: &Columns<'_>, options: &ReadOptions) -> Result<Row, String> {
        Ok(match row_facts(columns, options)? {
            Some(facts) => Row::Record(Box::new(facts)),
            None => Row::NoRecipient(
                "no address (SubscriberKey is not an address, there is no EmailAddress column, \
                 and --join names no address for it)"
                    .to_owned(),
            ),
        })
    }
}

/// The facts of one row, `None` when it names no address.
fn row_facts(
    columns: &Columns<'_>,
    options: &ReadOptions,
) -> Result<Option<bounce_model::BounceFacts>, String> {
    let get = |name: &str| columns.get(name);
    let joined = get("SubscriberKey").and_then(|key| options.join.as_ref()?.address(key));
    let address = [get("SubscriberKey"), get("EmailAddress"), joined]
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
    // The export's US form, read by jiff (the one date library): `6/9/2026 6:12:03 AM`.
    jiff::civil::DateTime::strptime("%m/%d/%Y %I:%M:%S %p", date.trim())
        .map(|civil| civil.to_string())
        .map_err(|e| format!("bad EventDate `{date}`: {e}"))
}

/// Subscriber keys to e-mail addresses, from a `_Subscribers` or `_Sent` export given with
/// `--join` (a CSV or TSV whose header names `SubscriberKey` and `EmailAddress`).
///
/// The export is read as a stream (never whole into memory) and each subscriber is held as the
/// 64-bit hash of its key and its address: about 60 bytes per subscriber whatever the width
/// of the export's other columns (10 million subscribers: about 600 MB).
#[derive(Debug, Default)]
pub struct SubscriberJoin {
    addresses: std::collections::HashMap<u64, Box<str>>,
}

/// The hash a subscriber key is held by (SipHash with fixed keys).
fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.trim().hash(&mut hasher);
    hasher.finish()
}

impl SubscriberJoin {
    /// Reads the export at `path`.
    ///
    /// # Errors
    /// An unreadable file, or a header without both columns.
    pub fn load(path: &std::path::Path) -> Result<SubscriberJoin, String> {
        use std::io::BufRead;
        let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        // The delimiter is the header line's; a BOM before it is skipped.
        let buffered = reader.fill_buf().map_err(|e| fail(&e))?;
        let bom = if buffered.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
        let first = buffered[bom..].split(|b| *b == b'\n').next().unwrap_or_default();
        let delimiter = super::delimiter_of(first);
        reader.consume(bom);
        let mut reader =
            csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(reader);
        let header = reader.headers().map_err(|e| fail(&e))?.clone();
        let column = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        let (Some(key), Some(email)) = (column("SubscriberKey"), column("EmailAddress")) else {
            return Err(format!(
                "{}: the header names no SubscriberKey and EmailAddress columns",
                path.display()
            ));
        };
        let mut addresses = std::collections::HashMap::new();
        let mut row = csv::StringRecord::new();
        while reader.read_record(&mut row).map_err(|e| fail(&e))? {
            if let (Some(k), Some(e)) = (row.get(key), row.get(email)) {
                if !k.trim().is_empty() && e.contains('@') {
                    addresses.insert(key_hash(k), e.trim().to_ascii_lowercase().into_boxed_str());
                }
            }
        }
        addresses.shrink_to_fit();
        Ok(SubscriberJoin { addresses })
    }

    /// The address of a subscriber key.
    #[must_use]
    pub fn address(&self, key: &str) -> Option<&str> {
        self.addresses.get(&key_hash(key)).map(AsRef::as_ref)
    }

    /// How many subscribers it names.
    #[must_use]
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// Whether it names none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}
