//! Every fixture under `tests/fixtures/<family>/<case>.eml` is a test case: it is extracted and
//! classified with the built-in rules, and the result is compared with its snapshot, written
//! as readable text (recipient, kind, status, reply code, stage, format, reason, rule).

use std::fmt::Write as _;
use std::fs;

use bounce_mail::extract::{extract, ExtractOptions};
use bounce_model::Source;
use bounce_rules::RuleSet;

fn render(path: &std::path::Path, rules: &RuleSet) -> String {
    let raw = fs::read(path).expect("fixture is readable");
    let source = Source { path: "fixture".to_string(), message: 1, offset: 0 };
    let ex = extract(&raw, &source, &ExtractOptions::default());
    let mut out = String::new();
    writeln!(out, "bucket: {:?}", ex.bucket).unwrap();
    if let Some(problem) = &ex.problem {
        writeln!(out, "problem: {problem}").unwrap();
    }
    for record in &ex.records {
        let verdict = rules.classify(record);
        let v = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_string());
        writeln!(out, "- recipient: {}", record.recipient).unwrap();
        writeln!(out, "  kind: {}", record.kind.map_or("-".to_string(), |k| format!("{k:?}")))
            .unwrap();
        writeln!(
            out,
            "  status: {}  reply: {}  stage: {}",
            v(&record.status),
            v(&record.reply_code),
            record.smtp_stage.as_str()
        )
        .unwrap();
        writeln!(out, "  format: {}", record.format).unwrap();
        writeln!(out, "  diagnostic: {}", v(&record.diagnostic)).unwrap();
        writeln!(out, "  reason: {}", verdict.reason).unwrap();
        writeln!(
            out,
            "  rule: {} ({})  category: {}  action: {}",
            verdict.rule_id, verdict.rule_location, verdict.category, verdict.action
        )
        .unwrap();
        for (name, value) in &record.vendor_fields {
            writeln!(out, "  vendor field: {name}: {value}").unwrap();
        }
        if let Some(id) = &record.original.message_id {
            writeln!(out, "  original message-id: {id}").unwrap();
        }
    }
    out
}

#[test]
fn fixtures() {
    let rules = RuleSet::builtin().expect("built-in rules compile");
    insta::glob!("../fixtures", "**/*.eml", |path| {
        insta::assert_snapshot!(render(path, &rules));
    });
}
