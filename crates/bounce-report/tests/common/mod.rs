//! Shared set-up of the report tests: the bundled example archive, classified with the
//! built-in rules, and aggregated as `bounce-triage report` aggregates it.
#![allow(dead_code)]

use std::path::Path;

use bounce_engine::aggregate::{aggregate_records, AggregateOptions};
use bounce_engine::{EngineOptions, Output};
use bounce_mail::input::InputFile;
use bounce_model::{Aggregates, Dimension, Record, Summary};
use bounce_report::{build_context, ReportContext, ReportOptions};

/// The records and summary of `examples/bounces.mbox`, with a stable display path.
pub(crate) fn example_records() -> (Vec<Record>, Summary) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bounces.mbox");
    let mut file = InputFile::file(path, false);
    file.display = "examples/bounces.mbox".to_string();
    let rules = bounce_rules::RuleSet::load(&[]).expect("the built-in rules compile");
    let classify = |r: &mut Record| rules.apply(r);
    let mut records = Vec::new();
    let summary = bounce_engine::run(&[file], &EngineOptions::default(), &classify, |out| {
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
    let keys = vec![Dimension::Provider, Dimension::Category, Dimension::Token];
    aggregate_records(records, AggregateOptions::report(keys))
}

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
    build_context(&records, &summary, &aggregates, &options)
}
