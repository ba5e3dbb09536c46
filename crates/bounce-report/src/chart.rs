//! Chart geometry for the HTML summary: stacked bars of failures over time, one chart per
//! dimension (category, provider). The geometry is computed here; the template draws it as
//! inline SVG, so labels from bounces are escaped like any other text.
//!
//! The bucket width adapts to the span of the timestamps: hours up to four days, then days up
//! to 60 days, weeks up to a year, months up to ten years, years beyond. The aggregator gives
//! hour and day series; weeks, months and years are sums of days, cut at calendar boundaries
//! with jiff. Every series has its own colour of one colour-blind-safe palette (Okabe–Ito);
//! when a chart has more series than the palette has colours, the smallest ones are drawn as
//! one grey series whose members the chart's table names. Records without a timestamp are not
//! dropped: each row of the chart's table counts them as `undated`.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use bounce_model::TimeSeries;

/// Plot area, in SVG user units.
const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;
/// Room right of the last bar, so a centred label there is not clipped.
const RIGHT_PAD: f64 = 36.0;
/// Width of one character of a 10px axis label, generously.
const LABEL_CHAR: f64 = 6.5;

/// The Okabe–Ito palette (Okabe and Ito, "Color Universal Design", 2008): eight colours that
/// stay apart for the common colour-vision deficiencies. A chart gives each of its series one
/// of them, in this order, and never reuses one.
pub const PALETTE: [&str; 8] =
    ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];

/// The colour of the series that merges the smallest ones, distinct from every palette colour.
pub const REST_COLOR: &str = "#bbbbbb";

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
    /// The series (a row name of the chart's table).
    pub series: String,
    /// The count the segment stands for.
    pub count: u64,
    /// Tooltip: series, bucket and count.
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

/// A series of a chart with its counts: one legend entry and one row of the chart's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Legend {
    /// Series name (for the merged series, `N more`).
    pub name: String,
    /// The names a merged series stands for (empty for a plain series).
    pub members: Vec<String>,
    /// Its colour.
    pub color: String,
    /// Failures with a timestamp: the sum of the series' bars.
    pub dated: u64,
    /// Failures without a (readable) timestamp, which no bar can show.
    pub undated: u64,
    /// `dated + undated`: the count of the name in the breakdown tables.
    pub total: u64,
}

/// A stacked bar chart of counts over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// HTML id (`chart-category`).
    pub id: String,
    /// Title.
    pub title: String,
    /// The bucket width: `hour`, `day`, `week`, `month` or `year`.
    pub bucket: String,
    /// The caption word of the width: `hourly`, `daily`, `weekly`, `monthly` or `yearly`.
    pub caption: String,
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
    /// The series, largest first, the merged one last: the legend and the chart's table.
    pub legend: Vec<Legend>,
    /// Sum of all bars: the failures with a timestamp.
    pub total: u64,
    /// Failures without a timestamp.
    pub undated: u64,
}

/// A bucket width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Width {
    /// The width for timestamps `span_days` apart, when hours are not fine enough.
    fn for_days(span_days: i64) -> Width {
        match span_days {
            ..=60 => Width::Day,
            61..=366 => Width::Week,
            367..=3660 => Width::Month,
            _ => Width::Year,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Width::Hour => "hour",
            Width::Day => "day",
            Width::Week => "week",
            Width::Month => "month",
            Width::Year => "year",
        }
    }

    fn caption(self) -> &'static str {
        match self {
            Width::Hour => "hourly",
            Width::Day => "daily",
            Width::Week => "weekly",
            Width::Month => "monthly",
            Width::Year => "yearly",
        }
    }

    /// The start of the bucket holding `at`.
    fn floor(self, at: DateTime) -> DateTime {
        let date = at.date();
        let midnight = |d: Date| d.to_datetime(jiff::civil::Time::midnight());
        match self {
            Width::Hour => at.with().minute(0).second(0).subsec_nanosecond(0).build().unwrap_or(at),
            Width::Day => midnight(date),
            Width::Week => midnight(
                date.checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days())
                    .unwrap_or(date),
            ),
            Width::Month => midnight(date.first_of_month()),
            Width::Year => midnight(date.first_of_year()),
        }
    }

    /// The start of the next bucket.
    fn next(self, start: DateTime) -> Option<DateTime> {
        let span = match self {
            Width::Hour => 1.hour(),
            Width::Day => 1.day(),
            Width::Week => 1.week(),
            Width::Month => 1.month(),
            Width::Year => 1.year(),
        };
        start.checked_add(span).ok()
    }

    /// The axis label of a bucket starting at `start`.
    fn label(self, start: DateTime) -> String {
        let format = match self {
            Width::Hour => "%b %-d %H:00",
            Width::Day | Width::Week => "%Y-%m-%d",
            Width::Month => "%b %Y",
            Width::Year => "%Y",
        };
        start.strftime(format).to_string()
    }

    /// The tooltip words of a bucket starting at `start`.
    fn describe(self, start: DateTime) -> String {
        match self {
            Width::Hour => start.strftime("%Y-%m-%d %H:00 UTC").to_string(),
            Width::Day => start.strftime("%Y-%m-%d (UTC)").to_string(),
            Width::Week => start.strftime("the week of %Y-%m-%d (UTC)").to_string(),
            Width::Month => start.strftime("%B %Y (UTC)").to_string(),
            Width::Year => start.strftime("%Y (UTC)").to_string(),
        }
    }
}

/// The UTC civil time of an RFC 3339 time or a date, through the model's one parser.
fn civil(text: &str) -> Option<DateTime> {
    let seconds = bounce_model::time::parse_rfc3339(text)
        .or_else(|| bounce_model::time::parse_rfc3339(&format!("{text}T00:00:00Z")))?;
    Some(Offset::UTC.to_datetime(Timestamp::from_second(seconds).ok()?))
}

/// What the chart needs per name besides the series: how many failures of the name there are,
/// dated and undated (the counts the breakdown tables show).
pub(crate) type NameCounts = BTreeMap<String, (u64, u64)>;

/// Builds the chart of one dimension from the aggregates' series and the per-name counts of the
/// failures (`(dated, undated)`). Returns `None` when there is nothing to show at all.
pub(crate) fn build_chart(
    series: &[TimeSeries],
    names: &NameCounts,
    dimension: &str,
    title: &str,
) -> Option<Chart> {
    if names.is_empty() && series.iter().all(|s| s.dimension != dimension) {
        return None;
    }
    let pick = |bucket: &str| -> Vec<&TimeSeries> {
        series.iter().filter(|s| s.dimension == dimension && s.bucket == bucket).collect()
    };
    let (hourly, daily) = (pick("hour"), pick("day"));
    let times = |set: &[&TimeSeries]| -> BTreeSet<DateTime> {
        set.iter().flat_map(|s| s.buckets.iter()).filter_map(|b| civil(&b.start)).collect()
    };
    let days_apart = |set: &BTreeSet<DateTime>| match (set.first(), set.last()) {
        (Some(a), Some(b)) => (b.date() - a.date()).get_days().into(),
        _ => 0i64,
    };
    let hour_times = times(&hourly);
    let hours_fit = !hour_times.is_empty() && days_apart(&hour_times) <= 4;
    let (chosen, width) = if hours_fit || daily.is_empty() {
        (hourly, Width::Hour)
    } else {
        let width = Width::for_days(days_apart(&times(&daily)));
        (daily, width)
    };
    // Counts per name and bucket start.
    let mut counts: BTreeMap<&str, BTreeMap<DateTime, u64>> = BTreeMap::new();
    for s in &chosen {
        let per_bucket = counts.entry(s.name.as_str()).or_default();
        for b in &s.buckets {
            if let Some(at) = civil(&b.start) {
                *per_bucket.entry(width.floor(at)).or_default() += b.count;
            }
        }
    }
    // Bucket starts from the first to the last, every one, empty or not.
    let used: BTreeSet<DateTime> = counts.values().flat_map(|c| c.keys().copied()).collect();
    let mut starts = Vec::new();
    if let (Some(&first), Some(&last)) = (used.first(), used.last()) {
        let mut at = first;
        while at <= last {
            starts.push(at);
            match width.next(at) {
                Some(next) => at = next,
                None => break,
            }
        }
    }
    let slot_of: BTreeMap<DateTime, usize> =
        starts.iter().enumerate().map(|(i, start)| (*start, i)).collect();

    // The series, largest first; the palette's last colour is kept for the merged rest when
    // there are more series than colours.
    let mut rows: Vec<(String, u64, u64)> =
        names.iter().map(|(name, &(dated, undated))| (name.clone(), dated, undated)).collect();
    for name in counts.keys() {
        if !names.contains_key(*name) {
            let dated = counts[name].values().sum();
            rows.push(((*name).to_string(), dated, 0));
        }
    }
    rows.sort_by(|a, b| (b.1 + b.2).cmp(&(a.1 + a.2)).then(a.0.cmp(&b.0)));
    let own = if rows.len() > PALETTE.len() { PALETTE.len() - 1 } else { rows.len() };
    let rest: Vec<(String, u64, u64)> = rows.split_off(own);
    let mut legend: Vec<Legend> = rows
        .iter()
        .zip(PALETTE)
        .map(|((name, dated, undated), color)| Legend {
            name: name.clone(),
            members: Vec::new(),
            color: color.to_string(),
            dated: *dated,
            undated: *undated,
            total: dated + undated,
        })
        .collect();
    if !rest.is_empty() {
        let dated = rest.iter().map(|r| r.1).sum::<u64>();
        let undated = rest.iter().map(|r| r.2).sum::<u64>();
        legend.push(Legend {
            name: format!("{} more", rest.len()),
            members: rest.iter().map(|r| r.0.clone()).collect(),
            color: REST_COLOR.to_string(),
            dated,
            undated,
            total: dated + undated,
        });
    }
    let series_of = |name: &str| -> usize {
        legend.iter().position(|l| l.name == name || l.members.iter().any(|m| m == name)).unwrap_or(
            legend.len() - 1, // unreachable: every name of `counts` is in `rows`
        )
    };
    // Stacked counts per series and slot.
    let slots = starts.len();
    let mut stacked = vec![vec![0u64; slots]; legend.len()];
    for (name, per_bucket) in &counts {
        let index = series_of(name);
        for (start, count) in per_bucket {
            if let Some(&slot) = slot_of.get(start) {
                stacked[index][slot] += count;
            }
        }
    }
    let totals: Vec<u64> = (0..slots).map(|slot| stacked.iter().map(|s| s[slot]).sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let right = WIDTH - RIGHT_PAD;
    let slot_width = (right - LEFT) / slots.max(1) as f64;
    let scale = plot_height / max as f64;
    let baseline = HEIGHT - BOTTOM;
    let mut heights = vec![0.0f64; slots];
    let mut bars = Vec::new();
    for (series, per_slot) in legend.iter().zip(&stacked) {
        for (slot, &count) in per_slot.iter().enumerate().filter(|(_, c)| **c > 0) {
            let height = count as f64 * scale;
            heights[slot] += height;
            bars.push(Bar {
                x: round(LEFT + slot as f64 * slot_width + slot_width * 0.1),
                y: round(baseline - heights[slot]),
                width: round((slot_width * 0.8).max(1.0)),
                height: round(height),
                color: series.color.clone(),
                series: series.name.clone(),
                count,
                title: format!("{}: {count} in {}", series.name, width.describe(starts[slot])),
            });
        }
    }
    // As many labels as fit side by side, evenly spaced.
    let longest = starts.iter().map(|s| width.label(*s).len()).max().unwrap_or(0);
    let label_room = longest as f64 * LABEL_CHAR + 12.0;
    let label_every = ((label_room / slot_width).ceil() as usize).max(1);
    let x_ticks = (0..slots)
        .step_by(label_every)
        .map(|slot| Tick {
            pos: round(LEFT + slot as f64 * slot_width + slot_width / 2.0),
            label: width.label(starts[slot]),
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
        bucket: width.name().to_string(),
        caption: width.caption().to_string(),
        width: WIDTH,
        height: HEIGHT,
        baseline,
        left: LEFT,
        right,
        bars,
        x_ticks,
        y_ticks,
        total: totals.iter().sum(),
        undated: legend.iter().map(|l| l.undated).sum(),
        legend,
    })
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use bounce_model::TimeBucket;

    use super::*;

    fn day_series(name: &str, days: &[&str]) -> TimeSeries {
        TimeSeries {
            dimension: "category".into(),
            name: name.into(),
            bucket: "day".into(),
            buckets: days
                .iter()
                .map(|d| TimeBucket {
                    start: format!("{d}T00:00:00Z"),
                    count: 2,
                    ..TimeBucket::default()
                })
                .collect(),
        }
    }

    #[test]
    fn widths_follow_the_span() {
        assert_eq!(Width::for_days(3), Width::Day);
        assert_eq!(Width::for_days(60), Width::Day);
        assert_eq!(Width::for_days(200), Width::Week);
        assert_eq!(Width::for_days(5 * 365), Width::Month);
        assert_eq!(Width::for_days(30 * 365), Width::Year);
        let monday = civil("2026-06-10T14:02:11Z").map(|t| Width::Week.floor(t)).unwrap();
        assert_eq!(monday.to_string(), "2026-06-08T00:00:00");
        assert_eq!(Width::Month.label(monday), "Jun 2026");
    }

    #[test]
    fn a_thirty_year_archive_has_yearly_bars_and_labels_that_fit() {
        let series = vec![
            day_series("reputation", &["1996-03-02", "2001-07-09", "2026-06-10"]),
            day_series("mailbox-full", &["1996-03-03", "2026-01-01"]),
        ];
        let names: NameCounts =
            [("reputation".to_string(), (6, 1)), ("mailbox-full".to_string(), (4, 0))].into();
        let chart = build_chart(&series, &names, "category", "t").unwrap();
        assert_eq!((chart.bucket.as_str(), chart.caption.as_str()), ("year", "yearly"));
        assert_eq!(chart.total, 10);
        assert_eq!(chart.undated, 1);
        // 1996 to 2026: 31 yearly slots, bars wide enough to see.
        assert!(chart.bars.iter().all(|b| b.width >= 10.0), "{:?}", chart.bars);
        assert_eq!(chart.bars.iter().map(|b| b.count).sum::<u64>(), 10);
        let labels: Vec<&str> = chart.x_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels.first(), Some(&"1996"));
        assert!(labels.iter().all(|l| l.len() == 4 && l.parse::<u32>().is_ok()), "{labels:?}");
        // Labels do not overlap and the last one is not clipped.
        for pair in chart.x_ticks.windows(2) {
            assert!(pair[1].pos - pair[0].pos >= 4.0 * LABEL_CHAR, "{pair:?}");
        }
        let last = chart.x_ticks.last().unwrap();
        assert!(last.pos + 2.0 * LABEL_CHAR <= chart.width, "{last:?}");
    }

    #[test]
    fn series_beyond_the_palette_share_one_grey_series() {
        let names: Vec<String> = (0..11).map(|i| format!("c{i:02}")).collect();
        let series: Vec<TimeSeries> =
            names.iter().map(|n| day_series(n, &["2026-06-01", "2026-06-20"])).collect();
        let counts: NameCounts = names.iter().map(|n| (n.clone(), (4, 0))).collect();
        let chart = build_chart(&series, &counts, "category", "t").unwrap();
        assert_eq!(chart.caption, "daily");
        assert_eq!(chart.legend.len(), PALETTE.len());
        let colors: BTreeSet<&str> = chart.legend.iter().map(|l| l.color.as_str()).collect();
        assert_eq!(colors.len(), chart.legend.len(), "no two series share a colour");
        let rest = chart.legend.last().unwrap();
        assert_eq!((rest.name.as_str(), rest.members.len(), rest.dated), ("4 more", 4, 16));
        assert_eq!(chart.legend.iter().map(|l| l.total).sum::<u64>(), 44);
    }
}
