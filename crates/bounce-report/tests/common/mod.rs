//! Shared set-up of the report tests: the bundled example archive, classified with the
//! built-in rules, and aggregated as `bounce-triage report` aggregates it.
#![allow(dead_code)]

use std::path::Path;

use bounce_engine::aggregate::{aggregate_records, AggregateOptions};
use bounce_engine::{Output, Pipeline, ReadOptions};
use bounce_model::{Aggregates, Dimension, Record, Summary};
use bounce_report::{build_context, ReportContext, ReportOptions};

/// The records and summary of `examples/bounces.mbox`, with a stable display path.
pub(crate) fn example_records() -> (Vec<Record>, Summary) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bounces.mbox");
    let options = ReadOptions { inputs: vec![path], ..ReadOptions::default() };
    let mut pipeline = Pipeline::new(options).expect("the built-in rules compile");
    pipeline.inputs_mut()[0].display = "examples/bounces.mbox".to_string();
    let mut records = Vec::new();
    let summary = pipeline.run(|out| {
        if let Output::Record(r) = out {
            records.push(*r);
        }
        true
    });
    (records, summary)
}

/// Groups by provider, category and token, series, spikes and lists from the engine's
/// aggregator: what `bounce-triage report` does.
pub(crate) fn simple_aggregates(records: &[Record]) -> Aggregates {
    aggregate_records(records, AggregateOptions::report(KEYS.to_vec()))
}

/// The report's default group keys.
pub(crate) const KEYS: [Dimension; 3] =
    [Dimension::Provider, Dimension::Category, Dimension::Token];

/// The context of the example archive, deterministic (no generation time).
pub(crate) fn example_context() -> ReportContext {
    let (records, summary) = example_records();
    let aggregates = simple_aggregates(&records);
    let options = ReportOptions {
        title: "Northwind Outfitters".into(),
        generated_at: None,
        inputs: vec!["examples/bounces.mbox".into()],
        filters: Vec::new(),
        notes: Vec::new(),
    };
    build_context(&records, &KEYS, &summary, &aggregates, &options)
}
