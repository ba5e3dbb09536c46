//! Aggregates that merge: the running state of an [`Aggregator`] as data, written by a shard
//! (`classify --shard K/N --groups FILE`) and combined by `bounce-triage merge groups`.
//!
//! Every part of the state adds up without the records: counts add; first and last times
//! take the minimum and maximum; the distinct counters are k-minimum-values sketches, and
//! the `K` smallest hashes of a union are the `K` smallest of the sketches' hashes, so a
//! merged count is exactly the count one run would give (an estimate above `K` values, the
//! same estimate); hourly series add per hour, and the bucket width (hour or day) and the
//! spikes are decided only when the merged state is finished. Samples are the first
//! [`AggregateOptions::samples`] of a group in (path, offset) order: the order of one run
//! over the same files given in path order (a directory). Merging is commutative and
//! associative for shards that share no unit (`tests/merge.rs`).

use std::collections::BTreeMap;

use bounce_model::{Dimension, Sample};
use serde::{Deserialize, Serialize};

use super::{AggregateOptions, Aggregator, GroupAccumulator, GroupBy, SeriesLayout};
use crate::SentCounts;

/// The `format` of a partial groups file.
pub const PARTIAL_FORMAT: &str = "bounce-triage partial groups";
/// The version of a partial groups file this build writes and reads.
pub const PARTIAL_VERSION: u32 = 1;

/// The settings the state was built with; only states built alike merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialOptions {
    /// `--spike-factor`.
    pub spike_factor: f64,
    /// `--spike-min`.
    pub spike_min: u64,
    /// Previous windows a spike needs.
    pub spike_history: usize,
    /// Samples kept per group.
    pub samples: usize,
    /// `each` (one grouping per key) or `together` (one key of all).
    pub group_by: String,
    /// The group keys.
    pub group_keys: Vec<String>,
    /// `receivers` or `hour-and-day`.
    pub series: String,
    /// The series keys of `hour-and-day`.
    pub series_keys: Vec<String>,
}

/// One group's running state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialGroup {
    /// The key's dimensions, by name.
    pub dimensions: Vec<String>,
    /// The key's value (values of several dimensions joined by U+001E).
    pub value: String,
    /// Records in the group.
    pub count: u64,
    /// The distinct-recipient sketch (hashes).
    pub recipients: Vec<u64>,
    /// The distinct-receiver sketch (hashes).
    pub receivers: Vec<u64>,
    /// Earliest time (seconds since the epoch).
    pub first: Option<i64>,
    /// Latest time.
    pub last: Option<i64>,
    /// The first samples, in input order.
    pub samples: Vec<Sample>,
}

/// Hourly counts: per receiver and category, and per value of each series dimension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialSeries {
    /// Earliest time of a failure with a time.
    pub first: Option<i64>,
    /// Latest.
    pub last: Option<i64>,
    /// Receiver → hour start → category → count.
    pub receivers: BTreeMap<String, BTreeMap<i64, BTreeMap<String, u64>>>,
    /// Dimension name → value → hour start → count.
    pub dimensions: BTreeMap<String, BTreeMap<String, BTreeMap<i64, u64>>>,
}

/// The whole mergeable state of an aggregation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialAggregates {
    /// [`PARTIAL_FORMAT`].
    pub format: String,
    /// [`PARTIAL_VERSION`].
    pub version: u32,
    /// The settings.
    pub options: PartialOptions,
    /// The groups, sorted by dimensions and value.
    pub groups: Vec<PartialGroup>,
    /// The series.
    pub series: PartialSeries,
    /// Failures of an attempt the shard had already counted (`Aggregates::merged`).
    /// Attempts are recognised within a shard: the same attempt read by two shards counts in
    /// both.
    #[serde(default)]
    pub merged: u64,
}

impl PartialAggregates {
    /// Reads a partial groups file.
    ///
    /// # Errors
    /// Not JSON of this form, or another format or version.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let partial: PartialAggregates = serde_json::from_str(text).map_err(|e| {
            format!(
                "not a partial groups file ({e}); write one with `classify --shard K/N --groups FILE`"
            )
        })?;
        if partial.format != PARTIAL_FORMAT || partial.version != PARTIAL_VERSION {
            return Err(format!(
                "unsupported partial groups file `{}` version {} (expected `{PARTIAL_FORMAT}` version {PARTIAL_VERSION})",
                partial.format, partial.version
            ));
        }
        Ok(partial)
    }

    /// Merges `others` into one state (commutative and associative).
    ///
    /// # Errors
    /// When the states were built with different settings.
    pub fn merge(parts: Vec<PartialAggregates>) -> Result<PartialAggregates, String> {
        let mut parts = parts.into_iter();
        let first = parts.next().ok_or("nothing to merge")?;
        let mut aggregator = Aggregator::from_partial(first, None)?;
        for part in parts {
            aggregator.absorb(part)?;
        }
        Ok(aggregator.to_partial())
    }
}

impl PartialOptions {
    fn of(options: &AggregateOptions) -> Self {
        let names = |dimensions: &[Dimension]| -> Vec<String> {
            dimensions.iter().map(|d| d.name().into_owned()).collect()
        };
        let (group_by, group_keys) = match &options.group_by {
            GroupBy::Each(dimensions) => ("each", names(dimensions)),
            GroupBy::Together(dimensions) => ("together", names(dimensions)),
        };
        let (series, series_keys) = match &options.series {
            SeriesLayout::Receivers => ("receivers", Vec::new()),
            SeriesLayout::HourAndDay(dimensions) => ("hour-and-day", names(dimensions)),
        };
        PartialOptions {
            spike_factor: options.spike_factor,
            spike_min: options.spike_min,
            spike_history: options.spike_history,
            samples: options.samples,
            group_by: group_by.to_owned(),
            group_keys,
            series: series.to_owned(),
            series_keys,
        }
    }

    fn to_options(&self) -> Result<AggregateOptions, String> {
        let dimensions = |names: &[String]| -> Result<Vec<Dimension>, String> {
            names
                .iter()
                .map(|n| Dimension::parse(n).ok_or_else(|| format!("unknown group key `{n}`")))
                .collect()
        };
        let group_by = match self.group_by.as_str() {
            "each" => GroupBy::Each(dimensions(&self.group_keys)?),
            "together" => GroupBy::Together(dimensions(&self.group_keys)?),
            other => return Err(format!("unknown grouping `{other}`")),
        };
        let series = match self.series.as_str() {
            "receivers" => SeriesLayout::Receivers,
            "hour-and-day" => SeriesLayout::HourAndDay(dimensions(&self.series_keys)?),
            other => return Err(format!("unknown series layout `{other}`")),
        };
        Ok(AggregateOptions {
            spike_factor: self.spike_factor,
            spike_min: self.spike_min,
            spike_history: self.spike_history,
            samples: self.samples,
            group_by,
            series,
        })
    }
}

impl Aggregator {
    /// The running state as data that merges.
    #[must_use]
    pub fn to_partial(&self) -> PartialAggregates {
        let mut groups = Vec::new();
        for (dimensions, by_value) in &self.groups {
            for (value, acc) in by_value {
                groups.push(PartialGroup {
                    dimensions: dimensions.iter().map(|d| d.name().into_owned()).collect(),
                    value: value.clone(),
                    count: acc.count,
                    recipients: acc.recipients.hashes().collect(),
                    receivers: acc.receivers.hashes().collect(),
                    first: acc.first,
                    last: acc.last,
                    samples: acc.samples.clone(),
                });
            }
        }
        groups.sort_by(|a, b| a.dimensions.cmp(&b.dimensions).then_with(|| a.value.cmp(&b.value)));
        PartialAggregates {
            format: PARTIAL_FORMAT.to_owned(),
            version: PARTIAL_VERSION,
            options: PartialOptions::of(&self.options),
            groups,
            series: self.series.to_partial(),
            merged: self.merged,
        }
    }

    /// An aggregator continuing from a partial state; `sent` turns counts into rates when
    /// it is finished.
    ///
    /// # Errors
    /// When the state names unknown keys or categories.
    pub fn from_partial(
        partial: PartialAggregates,
        sent: Option<SentCounts>,
    ) -> Result<Aggregator, String> {
        let options = partial.options.to_options()?;
        let mut aggregator = Aggregator::new(options, sent);
        aggregator.absorb(partial)?;
        Ok(aggregator)
    }

    /// Adds a partial state built with the same settings.
    ///
    /// # Errors
    /// When the settings differ, or the state names unknown keys or categories.
    pub fn absorb(&mut self, partial: PartialAggregates) -> Result<(), String> {
        let mine = PartialOptions::of(&self.options);
        if partial.options != mine {
            return Err(format!(
                "the groups were built with other settings ({:?}, here {:?})",
                partial.options, mine
            ));
        }
        let samples = self.options.samples;
        self.merged += partial.merged;
        for group in partial.groups {
            let dimensions = group
                .dimensions
                .iter()
                .map(|n| Dimension::parse(n).ok_or_else(|| format!("unknown group key `{n}`")))
                .collect::<Result<Vec<_>, _>>()?;
            let acc: &mut GroupAccumulator =
                self.groups.entry(dimensions).or_default().entry(group.value).or_default();
            acc.count += group.count;
            group.recipients.into_iter().for_each(|h| acc.recipients.add_hash(h));
            group.receivers.into_iter().for_each(|h| acc.receivers.add_hash(h));
            acc.first = min_some(acc.first, group.first);
            acc.last = max_some(acc.last, group.last);
            acc.samples.extend(group.samples);
            // Stable: the samples of one message keep their recipient order.
            acc.samples.sort_by(|a, b| {
                a.source.path.cmp(&b.source.path).then(a.source.offset.cmp(&b.source.offset))
            });
            acc.samples.truncate(samples);
        }
        self.series.absorb(partial.series)
    }
}

fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
