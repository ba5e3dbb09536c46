//! Merging shards' results without their inputs: suppression states, partial groups and
//! summaries merge commutatively and associatively, and merging the shards of a run gives
//! what one run over all its records gives.

use std::path::Path;
use std::sync::OnceLock;

use bounce_engine::aggregate::{AggregateOptions, Aggregator, PartialAggregates};
use bounce_engine::merge::{merge_states, merge_summaries};
use bounce_engine::state::{Attempt, Attempts, DomainCounter, QuotaCounter, SuppressionState};
use bounce_engine::suppress::{SuppressOptions, Suppressor};
use bounce_engine::{Output, Pipeline, ReadOptions};
use bounce_model::{Record, Sample, Source};
use proptest::prelude::*;

/// The records of the example archive, in input order.
fn records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bounces.mbox");
        let options = ReadOptions { inputs: vec![path], ..ReadOptions::default() };
        let pipeline = Pipeline::new(options).expect("rules");
        let mut records = Vec::new();
        pipeline.run(|output| {
            if let Output::Record(record) = output {
                records.push(*record);
            }
            true
        });
        records
    })
}

/// The records split into `parts` shards by message (each message's records in one shard,
/// in input order), as `assign` says.
fn split(assign: &[usize], parts: usize) -> Vec<Vec<&'static Record>> {
    let mut shards = vec![Vec::new(); parts];
    for record in records() {
        let message = usize::try_from(record.source.message).expect("small");
        shards[assign[message % assign.len()] % parts].push(record);
    }
    shards
}

fn partial(records: &[&Record]) -> PartialAggregates {
    let mut aggregator = Aggregator::new(AggregateOptions::default(), None);
    records.iter().for_each(|r| aggregator.add(r));
    aggregator.to_partial()
}

fn finish(partial: PartialAggregates) -> String {
    let aggregates = Aggregator::from_partial(partial, None).expect("partial").finish();
    serde_json::to_string_pretty(&aggregates).expect("json")
}

fn state_of(records: &[&Record]) -> SuppressionState {
    let mut suppressor = Suppressor::new(SuppressOptions::default(), SuppressionState::default());
    records.iter().for_each(|r| suppressor.add(r));
    suppressor.finish(&[]).1
}

fn merged(parts: Vec<PartialAggregates>) -> PartialAggregates {
    PartialAggregates::merge(parts).expect("merge")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn partial_groups_merge_in_any_order_to_the_whole_run(
        assign in proptest::collection::vec(0usize..3, 1..80),
    ) {
        let shards = split(&assign, 3);
        let [a, b, c] = [&shards[0], &shards[1], &shards[2]].map(|s| partial(s));
        let all: Vec<&Record> = records().iter().collect();
        let whole = {
            let mut aggregator = Aggregator::new(AggregateOptions::default(), None);
            all.iter().for_each(|r| aggregator.add(r));
            serde_json::to_string_pretty(&aggregator.finish()).expect("json")
        };
        let abc = merged(vec![a.clone(), b.clone(), c.clone()]);
        prop_assert_eq!(&merged(vec![c.clone(), a.clone(), b.clone()]), &abc);
        prop_assert_eq!(&merged(vec![merged(vec![a.clone(), b.clone()]), c.clone()]), &abc);
        prop_assert_eq!(&merged(vec![a.clone(), merged(vec![c.clone(), b.clone()])]), &abc);
        prop_assert_eq!(finish(abc), whole);
    }

    #[test]
    fn shard_states_merge_to_the_whole_runs_state(
        assign in proptest::collection::vec(0usize..3, 1..80),
    ) {
        let shards = split(&assign, 3);
        let [a, b, c] = [&shards[0], &shards[1], &shards[2]].map(|s| state_of(s));
        let all: Vec<&Record> = records().iter().collect();
        let abc = merge_states(vec![a.clone(), b.clone(), c.clone()]);
        prop_assert_eq!(&merge_states(vec![b.clone(), c.clone(), a.clone()]), &abc);
        prop_assert_eq!(&merge_states(vec![merge_states(vec![a.clone(), b.clone()]), c.clone()]), &abc);
        prop_assert_eq!(&merge_states(vec![a, merge_states(vec![b, c])]), &abc);
        prop_assert_eq!(abc, state_of(&all));
    }

    #[test]
    fn states_merge_commutatively_and_associatively(
        parts in proptest::collection::vec(state(), 3),
    ) {
        let [a, b, c] = [parts[0].clone(), parts[1].clone(), parts[2].clone()];
        let abc = merge_states(vec![a.clone(), b.clone(), c.clone()]);
        prop_assert_eq!(&merge_states(vec![c.clone(), b.clone(), a.clone()]), &abc);
        prop_assert_eq!(&merge_states(vec![b.clone(), a.clone(), c.clone()]), &abc);
        prop_assert_eq!(&merge_states(vec![merge_states(vec![a.clone(), b.clone()]), c.clone()]), &abc);
        prop_assert_eq!(&merge_states(vec![a.clone(), merge_states(vec![b.clone(), c.clone()])]), &abc);
        // Merging is idempotent on a merged state: nothing counted twice by a re-merge of one.
        prop_assert_eq!(merge_states(vec![abc.clone()]), abc);
    }

    #[test]
    fn summaries_add_up_in_any_order(
        assign in proptest::collection::vec(0usize..3, 1..80),
    ) {
        // Summaries of shards: each message's bucket is what its shard counted.
        let shards = split(&assign, 3);
        let summaries: Vec<bounce_model::Summary> = shards
            .iter()
            .map(|shard| {
                let mut summary = bounce_model::Summary::default();
                for record in shard {
                    summary.count(bounce_model::Bucket::Bounce);
                    summary.problems.push(bounce_model::Problem {
                        source: record.source.clone(),
                        error: record.recipient.clone(),
                    });
                }
                summary
            })
            .collect();
        let [a, b, c] = [summaries[0].clone(), summaries[1].clone(), summaries[2].clone()];
        let abc = merge_summaries(vec![a.clone(), b.clone(), c.clone()]);
        prop_assert!(abc.adds_up());
        prop_assert_eq!(abc.messages, records().len() as u64);
        prop_assert_eq!(&merge_summaries(vec![c.clone(), a.clone(), b.clone()]), &abc);
        prop_assert_eq!(&merge_summaries(vec![merge_summaries(vec![b, c]), a]), &abc);
    }
}

/// An attempt among few originals, times and places, so that merges meet duplicates.
fn attempt() -> impl Strategy<Value = Attempt> {
    (proptest::option::of(0u8..4), proptest::option::of(0i64..6), 0u64..6, 0u8..2).prop_map(
        |(id, time, offset, reason)| Attempt {
            message_id: id.map(|i| format!("<m{i}@example.com>")),
            envelope_id: None,
            time,
            reason: if reason == 0 { "mailboxfull" } else { "hostunknown" }.to_owned(),
            rule_id: "rule".to_owned(),
            evidence: Sample {
                source: Source { path: "a.mbox".to_owned(), message: offset + 1, offset },
                ..Sample::default()
            },
        },
    )
}

fn attempts() -> impl Strategy<Value = Attempts> {
    proptest::collection::vec(attempt(), 0..5).prop_map(|list| {
        let mut attempts = Attempts::default();
        list.into_iter().for_each(|a| attempts.add(a));
        attempts
    })
}

fn state() -> impl Strategy<Value = SuppressionState> {
    let quota = proptest::collection::btree_map(
        prop_oneof![Just("a@x.example"), Just("b@x.example"), Just("c@y.example")]
            .prop_map(str::to_owned),
        (attempts(), proptest::option::of(0i64..6)).prop_map(|(attempts, last_delivery)| {
            let mut counter = QuotaCounter { attempts, last_delivery };
            counter.prune();
            counter
        }),
        0..3,
    );
    let unroutable = proptest::collection::btree_map(
        prop_oneof![Just("x.example"), Just("y.example")].prop_map(str::to_owned),
        (attempts(), proptest::collection::btree_set("[a-c]@d\\.example", 0..3))
            .prop_map(|(attempts, addresses)| DomainCounter { attempts, addresses }),
        0..2,
    );
    (quota, unroutable).prop_map(|(quota, unroutable)| SuppressionState {
        quota,
        unroutable,
        ..SuppressionState::default()
    })
}
