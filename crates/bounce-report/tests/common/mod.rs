//! Shared set-up of the report tests: the bundled example archive, classified with the
//! built-in rules, and aggregates built the simple way the CLI builds them today.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bounce_engine::{EngineOptions, Output};
use bounce_mail::input::InputFile;
use bounce_model::{
    Action, Aggregates, Group, Kind, ListEntry, ListKind, Record, Sample, Summary, TimeBucket,
    TimeSeries,
};
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

fn sample(r: &Record) -> Sample {
    Sample {
        source: r.source.clone(),
        recipient: r.recipient.clone(),
        message_id: r.original.message_id.clone(),
        timestamp: r.timestamp.clone(),
        diagnostic: r.diagnostic.clone(),
    }
}

fn provider(r: &Record) -> String {
    r.verdict.as_ref().and_then(|v| v.provider.clone()).unwrap_or_else(|| "other".into())
}

/// Groups by provider, category and token; hourly and daily series; lists from the action.
pub(crate) fn simple_aggregates(records: &[Record]) -> Aggregates {
    let failures: Vec<&Record> =
        records.iter().filter(|r| r.kind.is_some_and(Kind::is_failure)).collect();
    let mut by_key: BTreeMap<BTreeMap<String, String>, Vec<&Record>> = BTreeMap::new();
    for r in &failures {
        let v = r.verdict.as_ref();
        let key = BTreeMap::from([
            ("provider".to_string(), provider(r)),
            ("category".to_string(), v.map_or("unknown", |v| v.category.as_str()).to_string()),
            ("token".to_string(), v.and_then(|v| v.token.clone()).unwrap_or_else(|| "-".into())),
        ]);
        by_key.entry(key).or_default().push(r);
    }
    let mut groups: Vec<Group> = by_key
        .into_iter()
        .map(|(key, m)| {
            let times: BTreeSet<&str> = m.iter().filter_map(|r| r.timestamp.as_deref()).collect();
            Group {
                key,
                count: m.len() as u64,
                recipients: m.iter().map(|r| &r.recipient).collect::<BTreeSet<_>>().len() as u64,
                first_seen: times.first().map(|t| (*t).to_string()),
                last_seen: times.last().map(|t| (*t).to_string()),
                providers: 1,
                samples: m.iter().take(3).map(|r| sample(r)).collect(),
            }
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    let mut series = Vec::new();
    for dimension in ["category", "provider"] {
        let mut per: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for r in &failures {
            let Some(hour) = r.timestamp.as_deref().and_then(|t| t.get(..13)) else { continue };
            let name = if dimension == "provider" {
                provider(r)
            } else {
                r.verdict.as_ref().map_or("unknown", |v| v.category.as_str()).to_string()
            };
            *per.entry(name).or_default().entry(format!("{hour}:00:00Z")).or_default() += 1;
        }
        for (name, buckets) in per {
            series.push(TimeSeries {
                dimension: dimension.into(),
                name,
                bucket: "hour".into(),
                buckets: buckets
                    .into_iter()
                    .map(|(start, count)| TimeBucket { start, count, rate: None })
                    .collect(),
            });
        }
    }
    let mut lists = Vec::new();
    let mut seen = BTreeSet::new();
    for r in failures.iter().rev() {
        let Some(v) = r.verdict.as_ref() else { continue };
        if !seen.insert(r.recipient.to_ascii_lowercase()) {
            continue;
        }
        let list = if v.action == Action::Suppress { ListKind::Suppress } else { ListKind::Keep };
        lists.push(ListEntry {
            address: r.recipient.clone(),
            list: Some(list),
            reason: r.reason.map_or("undefined", |x| x.as_str()).to_string(),
            rule_id: v.rule_id.clone(),
            why: v.action.as_str().to_string(),
            attempts: 1,
            evidence: sample(r),
        });
    }
    lists.sort_by(|a, b| a.address.cmp(&b.address));
    Aggregates { groups, series, spikes: Vec::new(), lists }
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
