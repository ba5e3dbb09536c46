//! The report context built from records as they stream, with the evidence in a temporary
//! file, is the context built from records in memory; and its size follows the caps, not the
//! records.

mod common;

use bounce_engine::aggregate::{aggregate_records, AggregateOptions};
use bounce_model::{Dimension, Kind, Record, Summary, Verdict};
use bounce_report::{
    build_context, ContextBuilder, ReportOptions, SpillStore, Templates, GROUP_CAP, RESPONSE_CAP,
};

#[test]
fn streaming_with_spilled_evidence_gives_the_in_memory_context() {
    let (records, summary) = common::example_records();
    let aggregates = common::simple_aggregates(&records);
    let options = ReportOptions::default();
    let in_memory = build_context(&records, &common::KEYS, &summary, &aggregates, &options);
    let file = tempfile::tempfile().expect("a temporary file");
    let mut builder = ContextBuilder::new(common::KEYS.to_vec(), SpillStore::new(file));
    for record in &records {
        builder.push(record).expect("the evidence is written");
    }
    let streamed = builder.finish(&summary, &aggregates, &options).expect("read back");
    assert_eq!(streamed, in_memory);
    assert!(!streamed.evidence.is_empty() && !streamed.groups.is_empty());
}

/// Bounce `n`, whose reply is `text`, from `provider`.
#[allow(clippy::field_reassign_with_default)] // the facts are reached through the record
fn bounce(n: usize, provider: &str, text: &str) -> Record {
    let mut record = Record::default();
    record.recipient = format!("user{n}@{provider}.example");
    record.kind = Some(Kind::Bounce);
    record.diagnostic = Some(text.to_string());
    record.source.path = "archive.mbox".into();
    record.source.message = n as u64;
    record.source.offset = n as u64 * 1000;
    record.verdict = Some(Verdict {
        provider: Some(provider.to_string()),
        rule_id: "generic.blocked".into(),
        ..Verdict::default()
    });
    record
}

#[test]
fn groups_past_the_cap_are_counted_not_shown() {
    let extra = 7;
    let records: Vec<Record> =
        (0..GROUP_CAP + extra).map(|n| bounce(n, &format!("p{n}"), "554 5.7.1 blocked")).collect();
    let keys = [Dimension::Provider];
    let aggregates = aggregate_records(&records, AggregateOptions::report(keys.to_vec()));
    let summary = Summary::default();
    let context = build_context(&records, &keys, &summary, &aggregates, &ReportOptions::default());
    assert_eq!(context.groups.len(), GROUP_CAP);
    assert_eq!(context.group_counts.all, (GROUP_CAP + extra) as u64);
    assert_eq!(context.group_counts.hidden, extra as u64);
    assert_eq!(context.group_counts.hidden_failures, extra as u64);
    assert_eq!(context.totals.failures, (GROUP_CAP + extra) as u64);
    let html = Templates::builtin().unwrap().render("triage-summary", &context).unwrap();
    assert!(html.contains(&format!("and {extra} smaller groups with {extra} failures")), "no note");
}

#[test]
fn distinct_responses_past_the_cap_are_counted() {
    let n = RESPONSE_CAP + 25;
    // Distinct words, not ids: masking does not merge them.
    let words = |i: usize| -> String {
        let names = ["alpha", "bravo", "charlie", "delta", "echo", "fox"];
        (0..4u32).map(|k| names[(i / 6usize.pow(k)) % 6]).collect::<Vec<_>>().join(" ")
    };
    let records: Vec<Record> =
        (0..n).map(|i| bounce(i, "gmail", &format!("550 5.7.1 refused {}", words(i)))).collect();
    let keys = [Dimension::Provider];
    let aggregates = aggregate_records(&records, AggregateOptions::report(keys.to_vec()));
    let context =
        build_context(&records, &keys, &Summary::default(), &aggregates, &ReportOptions::default());
    let group = &context.groups[0];
    let shown: u64 = group.responses.iter().map(|r| r.count).sum();
    assert_eq!(group.responses.len(), RESPONSE_CAP);
    assert_eq!(shown + group.responses_more, n as u64, "every record is counted once");
}
