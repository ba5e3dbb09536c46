//! Chart geometry for the HTML summary: stacked bars of bounces over time, one chart per
//! dimension (category, provider). The geometry is computed here; the template draws it as
//! inline SVG, so labels from bounces are escaped like any other text.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use bounce_model::TimeSeries;

/// Plot area, in SVG user units.
const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;

/// A colour-blind-friendly palette (Okabe–Ito plus greys), cycled.
const PALETTE: &[&str] = &[
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000",
    "#999999", "#882255", "#44aa99", "#117733",
];

/// One bar segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Fill colour.
    pub color: String,
    /// Tooltip: series, bucket start and count.
    pub title: String,
}

/// An axis tick.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    /// Position along the axis.
    pub pos: f64,
    /// Label.
    pub label: String,
}

/// A legend entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Legend {
    /// Series name.
    pub name: String,
    /// Its colour.
    pub color: String,
    /// Its total over the chart.
    pub total: u64,
}

/// A stacked bar chart of counts over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// HTML id (`chart-category`).
    pub id: String,
    /// Title.
    pub title: String,
    /// `hour` or `day`.
    pub bucket: String,
    /// SVG width.
    pub width: f64,
    /// SVG height.
    pub height: f64,
    /// Bottom of the plot area (the x axis).
    pub baseline: f64,
    /// Left of the plot area (the y axis).
    pub left: f64,
    /// Right end of the x axis.
    pub right: f64,
    /// The bar segments.
    pub bars: Vec<Bar>,
    /// X axis labels.
    pub x_ticks: Vec<Tick>,
    /// Y axis labels.
    pub y_ticks: Vec<Tick>,
    /// The legend.
    pub legend: Vec<Legend>,
    /// Sum of all bars (equals the records with a timestamp in the dimension).
    pub total: u64,
}

/// Seconds since 1970 of an RFC 3339 UTC time (`2026-06-10T14:02:11Z`), or of a date.
pub(crate) fn epoch_seconds(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        text.get(range).filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) =
        if bytes.len() >= 19 { (num(11..13)?, num(14..16)?, num(17..19)?) } else { (0, 0, 0) };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = bounce_model::time::days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Formats seconds since 1970 as `YYYY-MM-DD HH:00`.
pub(crate) fn format_epoch(seconds: i64) -> String {
    let (year, month, day) = bounce_model::time::civil_from_days(seconds.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02} {:02}:00", seconds.rem_euclid(86_400) / 3600)
}

/// Builds the chart of one dimension from the aggregates' series, preferring hourly buckets
/// when they span at most four days, else daily ones. Returns `None` when there is no data.
pub(crate) fn build_chart(series: &[TimeSeries], dimension: &str, title: &str) -> Option<Chart> {
    let pick = |bucket: &str| -> Vec<&TimeSeries> {
        series.iter().filter(|s| s.dimension == dimension && s.bucket == bucket).collect()
    };
    let hourly = pick("hour");
    let daily = pick("day");
    let starts = |set: &[&TimeSeries]| -> BTreeSet<i64> {
        set.iter().flat_map(|s| s.buckets.iter()).filter_map(|b| epoch_seconds(&b.start)).collect()
    };
    let hour_starts = starts(&hourly);
    let span_ok = match (hour_starts.first(), hour_starts.last()) {
        (Some(a), Some(b)) => b - a <= 96 * 3600,
        _ => false,
    };
    let (chosen, step, bucket) =
        if span_ok || daily.is_empty() { (hourly, 3600, "hour") } else { (daily, 86_400, "day") };
    let all = starts(&chosen);
    let (first, last) = (*all.first()?, *all.last()?);
    let slots = usize::try_from((last - first) / step + 1).ok()?.max(1);
    let mut names: Vec<(&str, BTreeMap<i64, u64>, u64)> = chosen
        .iter()
        .map(|s| {
            let counts: BTreeMap<i64, u64> = s
                .buckets
                .iter()
                .filter_map(|b| Some((epoch_seconds(&b.start)?, b.count)))
                .collect();
            let total = counts.values().sum();
            (s.name.as_str(), counts, total)
        })
        .collect();
    names.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let mut stacks = vec![0u64; slots];
    for (_, counts, _) in &names {
        for (start, count) in counts {
            if let Some(slot) = usize::try_from((start - first) / step).ok().filter(|s| *s < slots)
            {
                stacks[slot] += count;
            }
        }
    }
    let max = stacks.iter().copied().max().unwrap_or(0).max(1);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot_width = (WIDTH - LEFT - 8.0) / slots as f64;
    let scale = plot_height / max as f64;
    let baseline = HEIGHT - BOTTOM;
    let mut heights = vec![0.0f64; slots];
    let mut bars = Vec::new();
    let mut legend = Vec::new();
    for (i, (name, counts, total)) in names.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()].to_string();
        for (start, count) in counts {
            let Some(slot) = usize::try_from((start - first) / step).ok().filter(|s| *s < slots)
            else {
                continue;
            };
            let height = *count as f64 * scale;
            heights[slot] += height;
            bars.push(Bar {
                x: round(LEFT + slot as f64 * slot_width + slot_width * 0.1),
                y: round(baseline - heights[slot]),
                width: round((slot_width * 0.8).max(1.0)),
                height: round(height),
                color: color.clone(),
                title: format!("{name}: {count} at {} UTC", format_epoch(*start)),
            });
        }
        legend.push(Legend { name: (*name).to_string(), color, total: *total });
    }
    let label_every = (slots / 6).max(1);
    let x_ticks = (0..slots)
        .step_by(label_every)
        .map(|slot| Tick {
            pos: round(LEFT + slot as f64 * slot_width + slot_width / 2.0),
            label: format_epoch(first + slot as i64 * step),
        })
        .collect();
    let y_step = (max / 4).max(1);
    let y_ticks = (0..=max)
        .step_by(usize::try_from(y_step).unwrap_or(1))
        .map(|v| Tick { pos: round(baseline - v as f64 * scale), label: v.to_string() })
        .collect();
    Some(Chart {
        id: format!("chart-{dimension}"),
        title: title.to_string(),
        bucket: bucket.to_string(),
        width: WIDTH,
        height: HEIGHT,
        baseline,
        left: LEFT,
        right: WIDTH - 8.0,
        bars,
        x_ticks,
        y_ticks,
        total: stacks.iter().sum(),
        legend,
    })
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_round_trips_through_the_hour_label() {
        let t = epoch_seconds("2026-06-10T14:02:11Z").unwrap();
        assert_eq!(format_epoch(t), "2026-06-10 14:00");
        assert_eq!(epoch_seconds("2026-06-10"), epoch_seconds("2026-06-10T00:00:00Z"));
    }
}
