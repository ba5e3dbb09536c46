//! The CSV side inputs of aggregation and suppression: sent counts (`--sent`) and deliveries
//! (`--deliveries`).
//!
//! Both files may start with a header row; a row whose time column does not parse as a time is
//! taken for a header when it is the first row, and is an error anywhere else.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use crate::time::{floor_to, parse_rfc3339, HOUR};

/// Why a CSV side input could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The CSV itself is malformed or unreadable.
    #[error("cannot read the csv: {0}")]
    Csv(#[from] csv::Error),
    /// A row has a bad field.
    #[error("row {row}: {message}")]
    Row {
        /// 1-based row number.
        row: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// Messages sent per receiver (a recipient domain or a provider name, lowercase) and UTC hour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentCounts {
    /// Receiver → hour start (seconds since the epoch) → messages sent.
    pub by_receiver: HashMap<String, BTreeMap<i64, u64>>,
}

impl SentCounts {
    /// Messages sent to `receiver` in `[start, start + width)`, if the receiver is known.
    #[must_use]
    pub fn sent(&self, receiver: &str, start: i64, width: i64) -> Option<u64> {
        let hours = self.by_receiver.get(receiver)?;
        Some(hours.range(start..start + width).map(|(_, n)| n).sum())
    }

    /// Whether sent counts are known for `receiver`.
    #[must_use]
    pub fn knows(&self, receiver: &str) -> bool {
        self.by_receiver.contains_key(receiver)
    }
}

/// Reads `receiver,hour,sent` rows (hour is an RFC 3339 UTC time, floored to the hour).
///
/// # Errors
/// A malformed row or unreadable CSV.
pub fn read_sent<R: Read>(reader: R) -> Result<SentCounts, CsvError> {
    let mut counts = SentCounts::default();
    for (index, row) in rows(reader)?.into_iter().enumerate() {
        let row_number = index + 1;
        let [receiver, hour, sent] = row.as_slice() else {
            return Err(CsvError::Row {
                row: row_number,
                message: format!("expected 3 fields (receiver,hour,sent), found {}", row.len()),
            });
        };
        let Some(time) = parse_rfc3339(hour) else {
            if index == 0 {
                continue;
            }
            return Err(CsvError::Row { row: row_number, message: format!("bad hour `{hour}`") });
        };
        let sent: u64 = sent.trim().parse().map_err(|_| CsvError::Row {
            row: row_number,
            message: format!("bad sent count `{sent}`"),
        })?;
        *counts
            .by_receiver
            .entry(receiver.trim().to_ascii_lowercase())
            .or_default()
            .entry(floor_to(time, HOUR))
            .or_default() += sent;
    }
    Ok(counts)
}

/// Reads `address,time` rows of successful deliveries; the address is lowercased.
///
/// # Errors
/// A malformed row or unreadable CSV.
pub fn read_deliveries<R: Read>(reader: R) -> Result<Vec<(String, i64)>, CsvError> {
    let mut out = Vec::new();
    for (index, row) in rows(reader)?.into_iter().enumerate() {
        let [address, time] = row.as_slice() else {
            return Err(CsvError::Row {
                row: index + 1,
                message: format!("expected 2 fields (address,time), found {}", row.len()),
            });
        };
        match parse_rfc3339(time) {
            Some(seconds) => out.push((address.trim().to_ascii_lowercase(), seconds)),
            None if index == 0 => {}
            None => {
                return Err(CsvError::Row { row: index + 1, message: format!("bad time `{time}`") })
            }
        }
    }
    Ok(out)
}

/// Every row of a headerless CSV as strings.
fn rows<R: Read>(reader: R) -> Result<Vec<Vec<String>>, CsvError> {
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
    let mut out = Vec::new();
    for record in csv.records() {
        let record = record?;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        out.push(record.iter().map(str::to_owned).collect());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{read_deliveries, read_sent};
    use crate::time::parse_rfc3339;

    #[test]
    fn sent_counts_skip_a_header_and_floor_to_the_hour() {
        let text =
            "receiver,hour,sent\ngmail,2026-06-11T08:00:00Z,100\nGmail,2026-06-11T08:30:00Z,5\n";
        let sent = read_sent(text.as_bytes()).expect("reads");
        let hour = parse_rfc3339("2026-06-11T08:00:00Z").expect("time");
        assert_eq!(sent.sent("gmail", hour, 3600), Some(105));
        assert_eq!(sent.sent("yahoo", hour, 3600), None);
        assert!(read_sent("gmail,2026-06-11T08:00:00Z,100\nx,bad,1\n".as_bytes()).is_err());
    }

    #[test]
    fn deliveries_are_lowercased() {
        let rows =
            read_deliveries("Ann@Example.net,2026-06-11T08:00:00Z\n".as_bytes()).expect("reads");
        assert_eq!(rows, vec![("ann@example.net".to_owned(), 1_781_164_800)]);
    }
}
