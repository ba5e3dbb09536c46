//! Incident grouping: folds records, one at a time, into bounded accumulators and turns them
//! into the report's [`Aggregates`] (groups, time series, spikes).
//!
//! Only failures (`bounce` and `delay` records, or records without a kind) are grouped; success
//! DSNs, auto-replies and complaints are not incidents. Each group keeps counts, a distinct
//! recipient counter and a distinct receiver counter of bounded size, its first and last times
//! and at most [`AggregateOptions::samples`] samples, so memory depends on the number of
//! distinct keys, not on the number of records. The time series and the spike rule are in
//! [`series`].

mod distinct;
pub mod series;

use std::collections::{BTreeMap, HashMap};

use bounce_model::{Aggregates, Group, Record, Sample};

use crate::time::{format_rfc3339, parse_rfc3339};
use crate::SentCounts;
use distinct::Distinct;
use series::SeriesAccumulator;

/// The single-field group dimensions, in output order.
pub const DIMENSIONS: [&str; 8] = [
    "category",
    "reason",
    "provider",
    "remote_mta",
    "sending_ip",
    "token",
    "recipient_domain",
    "sender_domain",
];

/// The dimension name of the combined provider + category + token key.
pub const COMBINED: &str = "provider+category+token";

/// Settings of the aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateOptions {
    /// A window is a spike when its count is at least this many times the provider's median
    /// of the previous windows (`--spike-factor`, default 4).
    pub spike_factor: f64,
    /// …and holds at least this many records (`--spike-min`, default 5).
    pub spike_min: u64,
    /// Previous windows needed before a window can be a spike (default 3).
    pub spike_history: usize,
    /// Samples kept per group (default 3).
    pub samples: usize,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions { spike_factor: 4.0, spike_min: 5, spike_history: 3, samples: 3 }
    }
}

/// The running state of one group.
#[derive(Debug, Default)]
struct GroupAccumulator {
    count: u64,
    recipients: Distinct,
    receivers: Distinct,
    first: Option<i64>,
    last: Option<i64>,
    samples: Vec<Sample>,
}

/// Folds records into groups and series; see the module documentation.
#[derive(Debug)]
pub struct Aggregator {
    options: AggregateOptions,
    /// Dimension → key value → accumulator. Two levels so that a lookup borrows the value.
    groups: HashMap<String, HashMap<String, GroupAccumulator>>,
    series: SeriesAccumulator,
}

impl Aggregator {
    /// A new, empty aggregator; `sent` turns counts into rates where receivers match.
    #[must_use]
    pub fn new(options: AggregateOptions, sent: Option<SentCounts>) -> Self {
        Aggregator { options, groups: HashMap::new(), series: SeriesAccumulator::new(sent) }
    }

    /// Folds one record in (records that are not failures are ignored).
    pub fn add(&mut self, record: &Record) {
        if record.kind.is_some_and(|k| !k.is_failure()) {
            return;
        }
        let time = record.timestamp.as_deref().and_then(parse_rfc3339);
        let recipient = record.recipient.to_ascii_lowercase();
        let receiver = receiver_of(record);
        let verdict = record.verdict.as_ref();
        let category = verdict.map_or("unknown", |v| v.category.as_str());
        let token = verdict.and_then(|v| v.token.as_deref());
        let provider = verdict.and_then(|v| v.provider.as_deref());
        let values: [Option<String>; 8] = [
            Some(category.to_owned()),
            record.reason.map(|r| r.as_str().to_owned()),
            provider.map(str::to_owned),
            record.remote_mta.as_deref().map(str::to_ascii_lowercase),
            record.original.sending_ip.as_ref().map(|p| p.value.clone()),
            token.map(str::to_owned),
            Some(receiver_domain(&recipient).to_owned()).filter(|d| !d.is_empty()),
            sender_domain(record),
        ];
        for (dimension, value) in DIMENSIONS.iter().zip(values) {
            if let Some(value) = value {
                self.fold(dimension, value, record, &recipient, &receiver, time);
            }
        }
        for (name, value) in &record.original.captured {
            self.fold(
                &format!("header:{name}"),
                value.clone(),
                record,
                &recipient,
                &receiver,
                time,
            );
        }
        let combined =
            format!("{}\u{1f}{category}\u{1f}{}", provider.unwrap_or(""), token.unwrap_or(""));
        self.fold(COMBINED, combined, record, &recipient, &receiver, time);
        if let Some(time) = time {
            self.series.add(&receiver, category, time);
        }
    }

    fn fold(
        &mut self,
        dimension: &str,
        value: String,
        record: &Record,
        recipient: &str,
        receiver: &str,
        time: Option<i64>,
    ) {
        let by_value = match self.groups.get_mut(dimension) {
            Some(map) => map,
            None => self.groups.entry(dimension.to_owned()).or_default(),
        };
        let group = by_value.entry(value).or_default();
        group.count += 1;
        group.recipients.add(recipient);
        group.receivers.add(receiver);
        if let Some(t) = time {
            group.first = Some(group.first.map_or(t, |f| f.min(t)));
            group.last = Some(group.last.map_or(t, |l| l.max(t)));
        }
        if group.samples.len() < self.options.samples {
            group.samples.push(sample_of(record));
        }
    }

    /// Finishes the aggregation: groups largest first, series and spikes.
    #[must_use]
    pub fn finish(self) -> Aggregates {
        let mut groups = Vec::new();
        for (dimension, by_value) in self.groups {
            for (value, acc) in by_value {
                groups.push(Group {
                    key: key_of(&dimension, &value),
                    count: acc.count,
                    recipients: acc.recipients.count(),
                    first_seen: acc.first.map(format_rfc3339),
                    last_seen: acc.last.map(format_rfc3339),
                    providers: acc.receivers.count(),
                    samples: acc.samples,
                });
            }
        }
        groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        let (series, spikes) = self.series.finish(&self.options);
        Aggregates { groups, series, spikes, lists: Vec::new() }
    }
}

/// The key map of a group: one entry, or three for the combined key (empty parts left out).
fn key_of(dimension: &str, value: &str) -> BTreeMap<String, String> {
    let mut key = BTreeMap::new();
    if dimension == COMBINED {
        let mut parts = value.split('\u{1f}');
        for name in ["provider", "category", "token"] {
            if let Some(part) = parts.next().filter(|p| !p.is_empty()) {
                key.insert(name.to_owned(), part.to_owned());
            }
        }
    } else {
        key.insert(dimension.to_owned(), value.to_owned());
    }
    key
}

/// The receiver of a record: the provider the rules recognised, else the recipient domain.
#[must_use]
pub fn receiver_of(record: &Record) -> String {
    match record.verdict.as_ref().and_then(|v| v.provider.as_deref()) {
        Some(provider) => provider.to_ascii_lowercase(),
        None => record.recipient_domain().to_ascii_lowercase(),
    }
}

fn receiver_domain(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

/// The envelope sender's domain, else the visible From's, lowercased.
fn sender_domain(record: &Record) -> Option<String> {
    let envelope = record.original.envelope_sender.as_ref().map(|p| p.value.as_str());
    [envelope, record.original.from.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|text| {
            let address = match (text.rfind('<'), text.rfind('>')) {
                (Some(open), Some(close)) if open < close => &text[open + 1..close],
                _ => text.trim(),
            };
            let domain = receiver_domain(address).trim().trim_end_matches('>');
            (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
        })
        .next()
}

/// A sample of a record: where it is, who, the original's Message-ID, when and the full text.
#[must_use]
pub fn sample_of(record: &Record) -> Sample {
    Sample {
        source: record.source.clone(),
        recipient: record.recipient.clone(),
        message_id: record.original.message_id.clone(),
        timestamp: record.timestamp.clone(),
        diagnostic: record.diagnostic.clone(),
    }
}
