//! Time series per receiver and per value of the series dimensions, and the spike rule.
//!
//! Counts are kept per UTC hour. With [`SeriesLayout::Receivers`] the bucket width is chosen at
//! the end from the archive's span: hours when the first and last timestamps are at most three
//! days apart, days otherwise. With [`SeriesLayout::HourAndDay`] both widths are written.
//!
//! **Spike rule.** For each receiver (the provider the rules recognised, else the recipient
//! domain), a window is flagged when
//! - it holds at least `spike_min` failures (default 5), and
//! - its count is at least `spike_factor` (default 4) × the median of the receiver's counts
//!   in all previous windows of the archive (empty windows count as 0), and
//! - at least `spike_history` (default 3) previous windows exist.
//!
//! With `--sent` counts for the receiver, the rule compares bounce *rates* instead: the
//! window's rate must be at least `spike_factor` × the median rate of previous windows that
//! had sent mail. The spike names the window's most frequent category.

use std::collections::{BTreeMap, HashMap};

use bounce_model::{Dimension, Record, Spike, TimeBucket, TimeSeries};

use super::partial::PartialSeries;
use super::{AggregateOptions, SeriesLayout};
use crate::time::{floor_to, format_rfc3339, DAY, HOUR};
use crate::SentCounts;

/// Counts of one hour, split by category.
type HourSlot = Vec<(&'static str, u64)>;

/// Hourly counts of one dimension, per value.
type HourCounts = HashMap<String, BTreeMap<i64, u64>>;

/// Hourly counts per receiver (split by category, for spikes) and per value of each series
/// dimension.
#[derive(Debug, Default)]
pub(crate) struct SeriesAccumulator {
    sent: Option<SentCounts>,
    receivers: HashMap<String, BTreeMap<i64, HourSlot>>,
    dimensions: Vec<(Dimension, HourCounts)>,
    first: Option<i64>,
    last: Option<i64>,
}

impl SeriesAccumulator {
    pub(crate) fn new(sent: Option<SentCounts>, layout: &SeriesLayout) -> Self {
        let dimensions = match layout {
            SeriesLayout::Receivers => vec![Dimension::Category],
            SeriesLayout::HourAndDay(dimensions) => dimensions.clone(),
        };
        SeriesAccumulator {
            sent,
            dimensions: dimensions.into_iter().map(|d| (d, HashMap::new())).collect(),
            ..SeriesAccumulator::default()
        }
    }

    pub(crate) fn add(&mut self, record: &Record, receiver: &str, time: i64) {
        let category = record
            .verdict
            .as_ref()
            .map_or(bounce_model::Category::Unknown, |v| v.category)
            .as_str();
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
        let hour = floor_to(time, HOUR);
        let hours = match self.receivers.get_mut(receiver) {
            Some(hours) => hours,
            None => self.receivers.entry(receiver.to_owned()).or_default(),
        };
        let slot = hours.entry(hour).or_default();
        match slot.iter_mut().find(|(name, _)| *name == category) {
            Some((_, n)) => *n += 1,
            None => slot.push((category, 1)),
        }
        for (dimension, counts) in &mut self.dimensions {
            let value = dimension.value_of(record);
            let hours = match counts.get_mut(value.as_ref()) {
                Some(hours) => hours,
                None => counts.entry(value.into_owned()).or_default(),
            };
            *hours.entry(hour).or_default() += 1;
        }
    }

    /// The series (providers by name, then categories by name) and the flagged spikes.
    pub(crate) fn finish(self, options: &AggregateOptions) -> (Vec<TimeSeries>, Vec<Spike>) {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return (Vec::new(), Vec::new());
        };
        let width = if last - first <= 3 * DAY { HOUR } else { DAY };
        let start = floor_to(first, width);
        let windows = usize::try_from((floor_to(last, width) - start) / width + 1).unwrap_or(1);
        let bucket_name = if width == HOUR { "hour" } else { "day" };
        let mut series = Vec::new();
        let mut spikes = Vec::new();
        let mut receivers: Vec<_> = self.receivers.into_iter().collect();
        receivers.sort_by(|a, b| a.0.cmp(&b.0));
        for (receiver, hours) in receivers {
            let mut counts = vec![0u64; windows];
            let mut by_category: Vec<BTreeMap<&'static str, u64>> = vec![BTreeMap::new(); windows];
            for (hour, slot) in hours {
                let index = window_index(hour, start, width);
                for (category, n) in slot {
                    counts[index] += n;
                    *by_category[index].entry(category).or_default() += n;
                }
            }
            let sent = self.sent.as_ref().filter(|s| s.knows(&receiver));
            let sent_per_window: Option<Vec<u64>> = sent.map(|s| {
                (0..windows)
                    .map(|i| s.sent(&receiver, window_start(start, width, i), width).unwrap_or(0))
                    .collect()
            });
            let rates: Option<Vec<Option<f64>>> = sent_per_window
                .as_ref()
                .map(|sent| counts.iter().zip(sent).map(|(&c, &s)| rate(c, s)).collect());
            if options.series == SeriesLayout::Receivers {
                series.push(TimeSeries {
                    dimension: "provider".to_owned(),
                    name: receiver.clone(),
                    bucket: bucket_name.to_owned(),
                    buckets: buckets(&counts, rates.as_deref(), start, width),
                });
            }
            for index in options.spike_history..windows {
                let count = counts[index];
                if count < options.spike_min {
                    continue;
                }
                let baseline = median(counts[..index].iter().map(|&c| to_f64(c)).collect());
                let (flag, window_rate, baseline_rate) = match &rates {
                    Some(rates) => {
                        let previous: Vec<f64> = rates[..index].iter().flatten().copied().collect();
                        let baseline_rate = median(previous);
                        let window_rate = rates[index];
                        let flag = window_rate
                            .is_some_and(|r| r >= options.spike_factor * baseline_rate && r > 0.0);
                        (flag, window_rate, Some(baseline_rate))
                    }
                    None => (to_f64(count) >= options.spike_factor * baseline, None, None),
                };
                if flag {
                    let category = by_category[index]
                        .iter()
                        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                        .map_or("unknown", |(name, _)| name);
                    spikes.push(Spike {
                        provider: receiver.clone(),
                        category: category.to_owned(),
                        window_start: format_rfc3339(window_start(start, width, index)),
                        window_end: format_rfc3339(window_start(start, width, index + 1)),
                        count,
                        baseline,
                        rate: window_rate,
                        baseline_rate,
                    });
                }
            }
        }
        for (dimension, counts) in self.dimensions {
            let mut values: Vec<_> = counts.into_iter().collect();
            values.sort_by(|a, b| a.0.cmp(&b.0));
            let dimension = dimension.name();
            if options.series == SeriesLayout::Receivers {
                for (value, hours) in values {
                    let mut counts = vec![0u64; windows];
                    for (hour, n) in hours {
                        counts[window_index(hour, start, width)] += n;
                    }
                    series.push(TimeSeries {
                        dimension: dimension.clone().into_owned(),
                        name: value,
                        bucket: bucket_name.to_owned(),
                        buckets: buckets(&counts, None, start, width),
                    });
                }
            } else {
                for (bucket, width) in [("day", DAY), ("hour", HOUR)] {
                    for (value, hours) in &values {
                        let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
                        for (hour, n) in hours {
                            *counts.entry(floor_to(*hour, width)).or_default() += n;
                        }
                        series.push(TimeSeries {
                            dimension: dimension.clone().into_owned(),
                            name: value.clone(),
                            bucket: bucket.to_owned(),
                            buckets: counts
                                .into_iter()
                                .map(|(start, count)| TimeBucket {
                                    start: format_rfc3339(start),
                                    count,
                                    rate: None,
                                })
                                .collect(),
                        });
                    }
                }
            }
        }
        (series, spikes)
    }
}

impl SeriesAccumulator {
    /// The hourly counts as data that merges ([`PartialSeries`]).
    pub(crate) fn to_partial(&self) -> PartialSeries {
        let receivers = self
            .receivers
            .iter()
            .map(|(receiver, hours)| {
                let hours = hours
                    .iter()
                    .map(|(hour, slot)| {
                        (*hour, slot.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect())
                    })
                    .collect();
                (receiver.clone(), hours)
            })
            .collect();
        let dimensions = self
            .dimensions
            .iter()
            .map(|(dimension, counts)| {
                let counts =
                    counts.iter().map(|(value, hours)| (value.clone(), hours.clone())).collect();
                (dimension.name().into_owned(), counts)
            })
            .collect();
        PartialSeries { first: self.first, last: self.last, receivers, dimensions }
    }

    /// Adds the counts of `partial` (same series dimensions) to these.
    pub(crate) fn absorb(&mut self, partial: PartialSeries) -> Result<(), String> {
        for (time, keep_min) in [(partial.first, true), (partial.last, false)] {
            let Some(time) = time else { continue };
            let slot = if keep_min { &mut self.first } else { &mut self.last };
            *slot = Some(slot.map_or(time, |t| if keep_min { t.min(time) } else { t.max(time) }));
        }
        for (receiver, hours) in partial.receivers {
            let mine = self.receivers.entry(receiver).or_default();
            for (hour, categories) in hours {
                let slot = mine.entry(hour).or_default();
                for (category, n) in categories {
                    let category = bounce_model::Category::from_name(&category)
                        .ok_or_else(|| format!("unknown category `{category}`"))?
                        .as_str();
                    match slot.iter_mut().find(|(name, _)| *name == category) {
                        Some((_, count)) => *count += n,
                        None => slot.push((category, n)),
                    }
                }
            }
        }
        for (name, counts) in partial.dimensions {
            let Some((_, mine)) = self.dimensions.iter_mut().find(|(d, _)| d.name() == name) else {
                return Err(format!("series dimension `{name}` is not one of this run's"));
            };
            for (value, hours) in counts {
                let mine = mine.entry(value).or_default();
                for (hour, n) in hours {
                    *mine.entry(hour).or_default() += n;
                }
            }
        }
        Ok(())
    }
}

fn window_index(hour: i64, start: i64, width: i64) -> usize {
    usize::try_from((floor_to(hour, width) - start) / width).unwrap_or(0)
}

fn window_start(start: i64, width: i64, index: usize) -> i64 {
    start + width * i64::try_from(index).unwrap_or(0)
}

/// The buckets from the first to the last non-empty window.
fn buckets(
    counts: &[u64],
    rates: Option<&[Option<f64>]>,
    start: i64,
    width: i64,
) -> Vec<TimeBucket> {
    let Some(from) = counts.iter().position(|&c| c > 0) else { return Vec::new() };
    let to = counts.iter().rposition(|&c| c > 0).unwrap_or(from);
    (from..=to)
        .map(|i| TimeBucket {
            start: format_rfc3339(window_start(start, width, i)),
            count: counts[i],
            rate: rates.and_then(|r| r[i]),
        })
        .collect()
}

fn rate(count: u64, sent: u64) -> Option<f64> {
    (sent > 0).then(|| to_f64(count) / to_f64(sent))
}

#[allow(clippy::cast_precision_loss)]
fn to_f64(n: u64) -> f64 {
    n as f64
}

/// The median of `values` (0 for none).
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}
