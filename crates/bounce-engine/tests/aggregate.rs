//! Incident groups, time series, spikes and rates.

use bounce_engine::aggregate::{AggregateOptions, Aggregator};
use bounce_engine::read_sent;
use bounce_model::{
    Aggregates, BounceFacts, Category, Group, Kind, Original, Reason, Record, Verdict,
};

/// A bounce of a message of its own (each call a new Message-ID).
fn failure(address: &str, provider: Option<&str>, token: Option<&str>, time: &str) -> Record {
    static SENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let facts = BounceFacts {
        recipient: address.to_owned(),
        kind: Some(Kind::Bounce),
        diagnostic: Some("550 5.7.1 Part of their network is on our block list (S3150)".to_owned()),
        remote_mta: Some("MX.Example.NET".to_owned()),
        timestamp: Some(time.to_owned()),
        original: Original {
            message_id: Some(format!("<{n}.{address}@news.example.com>")),
            from: Some("News <news@news.example.com>".to_owned()),
            ..Original::default()
        },
        ..BounceFacts::default()
    };
    Record {
        facts,
        dns: None,
        verdict: Some(Verdict {
            reason: Reason::Blocked,
            rule_id: "microsoft.block-list".to_owned(),
            category: Category::Reputation,
            provider: provider.map(str::to_owned),
            token: token.map(str::to_owned),
            ..Verdict::default()
        }),
    }
}

fn group<'a>(aggregates: &'a Aggregates, pairs: &[(&str, &str)]) -> &'a Group {
    aggregates
        .groups
        .iter()
        .find(|g| {
            g.key.len() == pairs.len()
                && pairs.iter().all(|(k, v)| g.key.get(*k).map(String::as_str) == Some(*v))
        })
        .unwrap_or_else(|| panic!("no group {pairs:?}"))
}

#[test]
fn groups_count_records_recipients_receivers_and_keep_three_samples() {
    let mut aggregator = Aggregator::new(AggregateOptions::default(), None);
    for i in 0..10 {
        aggregator.add(&failure(
            &format!("u{}@outlook.com", i % 4),
            Some("microsoft"),
            Some("S3150"),
            "2026-06-11T08:00:00Z",
        ));
    }
    aggregator.add(&failure("x@corp.example", None, Some("S3150"), "2026-06-11T10:30:00Z"));
    let mut delivered = failure("ok@outlook.com", Some("microsoft"), None, "2026-06-11T09:00:00Z");
    delivered.kind = Some(Kind::Delivered);
    aggregator.add(&delivered);
    let aggregates = aggregator.finish();

    let token = group(&aggregates, &[("token", "S3150")]);
    assert_eq!(token.count, 11);
    assert_eq!(token.recipients, 5);
    assert_eq!(token.providers, 2, "microsoft and corp.example gave the same response");
    assert_eq!(token.first_seen.as_deref(), Some("2026-06-11T08:00:00Z"));
    assert_eq!(token.last_seen.as_deref(), Some("2026-06-11T10:30:00Z"));
    assert_eq!(token.samples.len(), 3);
    assert!(token.samples[0].diagnostic.as_deref().is_some_and(|d| d.contains("S3150")));

    let provider = group(&aggregates, &[("provider", "microsoft")]);
    assert_eq!((provider.count, provider.providers), (10, 1), "the delivery is not an incident");
    let combined = group(
        &aggregates,
        &[("provider", "microsoft"), ("category", "reputation"), ("token", "S3150")],
    );
    assert_eq!(combined.count, 10);
    assert_eq!(group(&aggregates, &[("remote_mta", "mx.example.net")]).count, 11);
    assert_eq!(group(&aggregates, &[("sender_domain", "news.example.com")]).count, 11);
    assert_eq!(group(&aggregates, &[("recipient_domain", "corp.example")]).count, 1);
    assert_eq!(aggregates.groups[0].count, 11, "largest first");
}

#[test]
fn short_archives_use_hour_buckets_and_long_ones_day_buckets() {
    let mut short = Aggregator::new(AggregateOptions::default(), None);
    short.add(&failure("a@gmail.com", Some("gmail"), None, "2026-06-11T08:10:00Z"));
    short.add(&failure("b@gmail.com", Some("gmail"), None, "2026-06-11T10:50:00Z"));
    let series = short.finish().series;
    let gmail =
        series.iter().find(|s| s.dimension == "provider" && s.name == "gmail").expect("series");
    assert_eq!(gmail.bucket, "hour");
    let counts: Vec<u64> = gmail.buckets.iter().map(|b| b.count).collect();
    assert_eq!(counts, [1, 0, 1]);
    assert_eq!(gmail.buckets[0].start, "2026-06-11T08:00:00Z");
    assert!(series.iter().any(|s| s.dimension == "category" && s.name == "reputation"));

    let mut long = Aggregator::new(AggregateOptions::default(), None);
    long.add(&failure("a@gmail.com", Some("gmail"), None, "2026-06-01T08:00:00Z"));
    long.add(&failure("b@gmail.com", Some("gmail"), None, "2026-06-11T08:00:00Z"));
    assert_eq!(long.finish().series[0].bucket, "day");
}

#[test]
fn a_burst_over_the_providers_own_baseline_is_a_spike_with_rates_from_sent_counts() {
    let sent = read_sent(
        "receiver,hour,sent\n\
         yahoo,2026-06-11T00:00:00Z,1000\nyahoo,2026-06-11T01:00:00Z,1000\nyahoo,2026-06-11T02:00:00Z,1000\n\
         yahoo,2026-06-11T03:00:00Z,1000\nyahoo,2026-06-11T04:00:00Z,1000\n"
            .as_bytes(),
    )
    .expect("sent csv");
    let options =
        AggregateOptions { spike_factor: 4.0, spike_min: 5, ..AggregateOptions::default() };
    let mut with_rates = Aggregator::new(options.clone(), Some(sent));
    let mut counts_only = Aggregator::new(options, None);
    let per_hour = [2, 3, 2, 2, 20];
    for (hour, n) in per_hour.iter().enumerate() {
        for i in 0..*n {
            let r = failure(
                &format!("u{hour}-{i}@yahoo.com"),
                Some("yahoo"),
                None,
                &format!("2026-06-11T{hour:02}:{i:02}:00Z"),
            );
            with_rates.add(&r);
            counts_only.add(&r);
        }
    }
    let steady = failure("z@other.example", None, None, "2026-06-11T04:00:00Z");
    counts_only.add(&steady);
    let spikes = counts_only.finish().spikes;
    assert_eq!(spikes.len(), 1);
    assert_eq!(spikes[0].provider, "yahoo");
    assert_eq!(spikes[0].window_start, "2026-06-11T04:00:00Z");
    assert_eq!(spikes[0].window_end, "2026-06-11T05:00:00Z");
    assert_eq!((spikes[0].count, spikes[0].baseline), (20, 2.0));
    assert_eq!(spikes[0].category, "reputation");

    let aggregates = with_rates.finish();
    let spike = &aggregates.spikes[0];
    assert_eq!(spike.rate, Some(0.02));
    assert_eq!(spike.baseline_rate, Some(0.002));
    let yahoo = aggregates.series.iter().find(|s| s.name == "yahoo").expect("series");
    assert_eq!(yahoo.buckets[4].rate, Some(0.02));
}

#[test]
fn small_bursts_below_the_minimum_are_not_spikes() {
    let mut aggregator = Aggregator::new(AggregateOptions::default(), None);
    for hour in 0..5 {
        aggregator.add(&failure(
            &format!("u{hour}@gmail.com"),
            Some("gmail"),
            None,
            &format!("2026-06-11T{hour:02}:00:00Z"),
        ));
    }
    for i in 0..4 {
        aggregator.add(&failure(
            &format!("v{i}@gmail.com"),
            Some("gmail"),
            None,
            &format!("2026-06-11T05:{i:02}:00Z"),
        ));
    }
    assert!(aggregator.finish().spikes.is_empty());
}

#[test]
fn report_groups_put_every_failure_in_one_group_with_placeholders() {
    use bounce_engine::aggregate::aggregate_records;
    use bounce_model::Dimension;

    let records = vec![
        failure("a@outlook.com", Some("microsoft"), Some("S3150"), "2026-06-11T08:00:00Z"),
        failure("b@outlook.com", Some("microsoft"), Some("S3150"), "2026-06-11T09:10:00Z"),
        failure("c@corp.example", None, None, "2026-06-12T10:30:00Z"),
    ];
    let keys = vec![Dimension::Provider, Dimension::Token];
    let aggregates = aggregate_records(&records, AggregateOptions::report(keys));
    assert_eq!(aggregates.groups.len(), 2);
    assert_eq!(group(&aggregates, &[("provider", "microsoft"), ("token", "S3150")]).count, 2);
    assert_eq!(group(&aggregates, &[("provider", "other"), ("token", "-")]).count, 1);
    let hours = |dimension: &str, bucket: &str| {
        aggregates.series.iter().filter(|s| s.dimension == dimension && s.bucket == bucket).count()
    };
    assert_eq!((hours("provider", "hour"), hours("provider", "day")), (2, 2));
    assert_eq!((hours("category", "hour"), hours("category", "day")), (1, 1));
    let day = aggregates
        .series
        .iter()
        .find(|s| s.dimension == "provider" && s.name == "microsoft" && s.bucket == "day")
        .expect("day series");
    assert_eq!(day.buckets.len(), 1);
    assert_eq!(day.buckets[0].start, "2026-06-11T00:00:00Z");
    assert_eq!(day.buckets[0].count, 2);
}
