//! The one aggregator: folds records, one at a time, into bounded accumulators and turns them
//! into [`Aggregates`] (groups, time series, spikes) for `classify --groups`, `suppress` and
//! `report`. Keys are [`Dimension`]s of the model, read with `Dimension::stated` or
//! `Dimension::value_of`; [`GroupBy`] says which groupings are kept.
//!
//! Only failures (`bounce` and `delay` records, or records without a kind) are grouped; success
//! DSNs, auto-replies and complaints are not incidents. One attempt counts once: a failure
//! whose [`attempt_key`](bounce_model::BounceFacts::attempt_key) an earlier record had (the
//! webhook event, log line and DSN of one message and recipient) is counted in
//! [`Aggregates::merged`] and left out of the series and of every grouping its first report
//! was counted in; a grouping the first report stated no value for (the DSN names no sending
//! IP, the event of the same message does) counts it from the later report. The keys seen
//! cost about 16 bytes per failure that names a Message-ID or envelope id. Each group keeps counts, a distinct
//! recipient counter and a distinct receiver counter of bounded size, its first and last times
//! and at most [`AggregateOptions::samples`] samples, so memory depends on the number of
//! distinct keys, not on the number of records. The time series and the spike rule are in
//! [`series`].

mod distinct;
pub mod partial;
pub mod series;

use std::collections::HashMap;

use bounce_model::{Aggregates, Dimension, Group, Record, Sample};

use crate::state::SuppressionState;
use crate::suppress::{Lists, SuppressOptions, Suppressor};
use crate::time::{format_rfc3339, parse_rfc3339};
use crate::SentCounts;
use distinct::Distinct;
pub use partial::PartialAggregates;
use series::SeriesAccumulator;

/// Separates the values of a key of several dimensions ([`GroupBy::Together`]).
const VALUE_SEPARATOR: char = '\u{1e}';

/// How records are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// One grouping per dimension, plus one per header captured with `--capture-header`; a
    /// record that states no value for a dimension is left out of that grouping
    /// (`classify --groups`: incident groups per key).
    Each(Vec<Dimension>),
    /// One key made of all these dimensions; a missing value is the dimension's placeholder
    /// (`other`, `-`), so every failure is in exactly one group (`report --group`).
    Together(Vec<Dimension>),
}

impl GroupBy {
    /// The incident groups of `classify --groups`: each single key and provider + category +
    /// token.
    #[must_use]
    pub fn incidents() -> GroupBy {
        GroupBy::Each(vec![
            Dimension::Category,
            Dimension::Reason,
            Dimension::Provider,
            Dimension::RemoteMta,
            Dimension::SendingIp,
            Dimension::Token,
            Dimension::RecipientDomain,
            Dimension::SenderDomain,
            Dimension::ProviderCategoryToken,
        ])
    }
}

/// Which time series are written (spikes are always decided per receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesLayout {
    /// Per receiver (dimension `provider`: the provider the rules recognised, else the
    /// recipient domain) and per category, in one bucket width chosen from the archive's span,
    /// empty windows between the first and last included.
    Receivers,
    /// Per value of each dimension, in hour and in day buckets, non-empty buckets only (the
    /// report's charts pick a width).
    HourAndDay(Vec<Dimension>),
}

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
    /// How records are grouped (default: [`GroupBy::incidents`]).
    pub group_by: GroupBy,
    /// Which series are written (default: [`SeriesLayout::Receivers`]).
    pub series: SeriesLayout,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            spike_factor: 4.0,
            spike_min: 5,
            spike_history: 3,
            samples: 3,
            group_by: GroupBy::incidents(),
            series: SeriesLayout::Receivers,
        }
    }
}

impl AggregateOptions {
    /// What a report shows: one group per combination of `keys`, and hour and day series per
    /// category and per provider for its charts.
    #[must_use]
    pub fn report(keys: Vec<Dimension>) -> Self {
        AggregateOptions {
            group_by: GroupBy::Together(keys),
            series: SeriesLayout::HourAndDay(vec![Dimension::Category, Dimension::Provider]),
            ..AggregateOptions::default()
        }
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

/// The groups: dimensions of the key → key value → accumulator. Two levels so that a lookup
/// borrows the value.
type Groups = HashMap<Vec<Dimension>, HashMap<String, GroupAccumulator>>;

/// Folds records into groups and series; see the module documentation.
#[derive(Debug)]
pub struct Aggregator {
    options: AggregateOptions,
    groups: Groups,
    series: SeriesAccumulator,
    /// The attempt keys of the failures counted, each with the groupings (bits: positions
    /// in [`GroupBy::Each`], the first 32) it was counted in.
    attempts: HashMap<u64, u32>,
    /// Failures of an attempt already counted.
    merged: u64,
}

/// What one record contributes to every group it is in.
struct Member<'r> {
    record: &'r Record,
    recipient: String,
    receiver: String,
    time: Option<i64>,
    samples: usize,
}

impl Aggregator {
    /// A new, empty aggregator; `sent` turns counts into rates where receivers match.
    #[must_use]
    pub fn new(options: AggregateOptions, sent: Option<SentCounts>) -> Self {
        let series = SeriesAccumulator::new(sent, &options.series);
        Aggregator { options, groups: HashMap::new(), series, attempts: HashMap::new(), merged: 0 }
    }

    /// Folds one record in (records that are not failures are ignored).
    pub fn add(&mut self, record: &Record) {
        if record.kind.is_some_and(|k| !k.is_failure()) {
            return;
        }
        let member = Member {
            record,
            recipient: record.recipient.to_ascii_lowercase(),
            receiver: receiver_of(record),
            time: record.timestamp.as_deref().and_then(parse_rfc3339),
            samples: self.options.samples,
        };
        let key = record.attempt_key();
        if let Some(counted) = key.and_then(|key| self.attempts.get_mut(&key)) {
            self.merged += 1;
            if let GroupBy::Each(dimensions) = &self.options.group_by {
                for (i, dimension) in dimensions.iter().enumerate().take(32) {
                    if *counted & (1 << i) != 0 {
                        continue;
                    }
                    if let Some(value) = dimension.stated(record) {
                        fold(&mut self.groups, std::slice::from_ref(dimension), &value, &member);
                        *counted |= 1 << i;
                    }
                }
            }
            return;
        }
        let mut counted = 0u32;
        match &self.options.group_by {
            GroupBy::Each(dimensions) => {
                for (i, dimension) in dimensions.iter().enumerate() {
                    if let Some(value) = dimension.stated(record) {
                        fold(&mut self.groups, std::slice::from_ref(dimension), &value, &member);
                        if i < 32 {
                            counted |= 1 << i;
                        }
                    }
                }
                for (name, value) in &record.original.captured {
                    fold(&mut self.groups, &[Dimension::Header(name.clone())], value, &member);
                }
            }
            GroupBy::Together(dimensions) => {
                let mut value = String::new();
                for (i, dimension) in dimensions.iter().enumerate() {
                    if i > 0 {
                        value.push(VALUE_SEPARATOR);
                    }
                    value.push_str(&dimension.value_of(record));
                }
                fold(&mut self.groups, dimensions, &value, &member);
            }
        }
        if let Some(time) = member.time {
            self.series.add(record, &member.receiver, time);
        }
        if let Some(key) = key {
            self.attempts.insert(key, counted);
        }
    }

    /// Finishes the aggregation: groups largest first, series and spikes.
    #[must_use]
    pub fn finish(self) -> Aggregates {
        let mut groups = Vec::new();
        for (dimensions, by_value) in self.groups {
            for (value, acc) in by_value {
                groups.push(Group {
                    key: dimensions
                        .iter()
                        .zip(value.split(VALUE_SEPARATOR))
                        .flat_map(|(dimension, part)| dimension.key_entries(part))
                        .collect(),
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
        Aggregates { groups, series, spikes, lists: Vec::new(), merged: self.merged }
    }
}

/// Counts `member` in the group of `dimensions` = `value`.
fn fold(groups: &mut Groups, dimensions: &[Dimension], value: &str, member: &Member<'_>) {
    let by_value = match groups.get_mut(dimensions) {
        Some(map) => map,
        None => groups.entry(dimensions.to_vec()).or_default(),
    };
    let group = match by_value.get_mut(value) {
        Some(group) => group,
        None => by_value.entry(value.to_owned()).or_default(),
    };
    group.count += 1;
    group.recipients.add(&member.recipient);
    group.receivers.add(&member.receiver);
    if let Some(t) = member.time {
        group.first = Some(group.first.map_or(t, |f| f.min(t)));
        group.last = Some(group.last.map_or(t, |l| l.max(t)));
    }
    if group.samples.len() < member.samples {
        group.samples.push(sample_of(member.record));
    }
}

/// Groups, series and spikes, and the suppression, keep and complaint lists decided with
/// those spikes (default suppression settings): what `report` shows, so reports and
/// `suppress` decide alike. Records are folded in one at a time, as they stream.
#[derive(Debug)]
pub struct ReportAggregator {
    aggregator: Aggregator,
    suppressor: Suppressor,
}

impl ReportAggregator {
    /// An empty one.
    #[must_use]
    pub fn new(options: AggregateOptions) -> Self {
        ReportAggregator {
            aggregator: Aggregator::new(options, None),
            suppressor: Suppressor::new(SuppressOptions::default(), SuppressionState::default()),
        }
    }

    /// Folds one record in.
    pub fn add(&mut self, record: &Record) {
        self.aggregator.add(record);
        self.suppressor.add(record);
    }

    /// The aggregates with the lists.
    #[must_use]
    pub fn finish(self) -> Aggregates {
        let (mut aggregates, lists) = self.finish_lists();
        aggregates.lists = lists.into_vec();
        aggregates
    }

    /// The aggregates (their `lists` empty) and the lists held compactly.
    #[must_use]
    pub fn finish_lists(self) -> (Aggregates, Lists) {
        let aggregates = self.aggregator.finish();
        let lists = self.suppressor.finish_lists(&aggregates.spikes).0;
        (aggregates, lists)
    }
}

/// [`ReportAggregator`] over records already in memory.
#[must_use]
pub fn aggregate_records(records: &[Record], options: AggregateOptions) -> Aggregates {
    let mut aggregator = ReportAggregator::new(options);
    for record in records {
        aggregator.add(record);
    }
    aggregator.finish()
}

/// The receiver of a record: the provider the rules recognised, else the recipient domain.
#[must_use]
pub fn receiver_of(record: &Record) -> String {
    match record.verdict.as_ref().and_then(|v| v.provider.as_deref()) {
        Some(provider) => provider.to_ascii_lowercase(),
        None => record.recipient_domain().to_ascii_lowercase(),
    }
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
