//! The bodies of the fuzz targets, as plain functions.
//!
//! The libFuzzer binaries in `fuzz_targets/` and the stable replay test
//! (`tests/tests/fuzz_replay.rs`) both include this file with `#[path]`, so every input in
//! `fuzz/corpus/` and every regression in `fuzz/artifacts/` is replayed through exactly the
//! code the fuzzer ran. No `catch_unwind`: a panic here is a crash.
//!
//! Besides "does not panic", each function asserts what a user would notice if it broke:
//! events stay inside the stream and in order, messages respect the size limit, only bounces
//! and reports carry records, and text from a bounce never becomes markup in an HTML report.
#![allow(dead_code)]

use std::io::Cursor;
use std::sync::OnceLock;

use bounce_mail::extract::{extract, ExtractOptions, Extraction, Limits};
use bounce_mail::input::{open_reader, ReadOptions};
use bounce_mail::split::{Event, MboxFormat, MboxReader, SplitOptions};
use bounce_model::{BounceFacts, Bucket, Record, Source, Summary};
use bounce_rules::{Origin, RuleSet};

/// A tag that appears in no built-in template; finding it unescaped in HTML output means
/// bounce text was rendered as markup.
pub(crate) const MARKUP_PROBE: &str = "<bt-probe";

/// Splits `data[1..]` as an mbox; `data[0]` picks the format, the reader (the splitter itself
/// or the input layer, which sniffs gzip and headless streams) and a small size limit.
pub(crate) fn split(data: &[u8]) {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let format = match control & 3 {
        0 => MboxFormat::Mboxo,
        1 => MboxFormat::Mboxrd,
        _ => MboxFormat::Mboxcl2,
    };
    let limit = 256 * (1 + u64::from(control >> 3));
    let events: Box<dyn Iterator<Item = Event>> = if control & 4 == 0 {
        Box::new(MboxReader::new(stream, format, SplitOptions { max_message_bytes: limit }))
    } else {
        let options = ReadOptions { mbox_format: format, max_message_bytes: limit };
        match open_reader("fuzz", Cursor::new(stream.to_vec()), &options) {
            Ok(messages) => Box::new(messages),
            Err(_) => return,
        }
    };
    // Gzip input is decompressed, so offsets are only bounded for plain input.
    let plain = !stream.starts_with(&[0x1f, 0x8b]);
    let total = stream.len() as u64;
    let mut next_offset = 0u64;
    let mut failed = false;
    for event in events {
        assert!(!failed, "an event after a read error");
        match event {
            Event::Message(message) => {
                assert!(message.offset >= next_offset, "message offsets go backwards");
                assert!(
                    message.bytes.len() as u64 <= limit,
                    "a message of {} bytes passed the limit of {limit}",
                    message.bytes.len()
                );
                if plain {
                    assert!(message.offset <= total, "a message starts after the end");
                }
                next_offset = message.offset + 1;
            }
            Event::Preamble { offset, len } => {
                assert_eq!(offset, 0, "a preamble not at the start");
                assert!(!plain || len <= total, "a preamble longer than the stream");
                next_offset = len;
            }
            Event::Oversize { offset, len, limit: broken } => {
                assert_eq!(broken, limit, "an oversize event names another limit");
                assert!(offset >= next_offset, "oversize offsets go backwards");
                assert!(len > limit, "a message within the limit reported as oversize");
                assert!(!plain || offset + len <= total, "an oversize message past the end");
                next_offset = offset + len;
            }
            Event::Error { .. } => failed = true,
        }
    }
}

/// The built-in rules, compiled once; `None` if they are broken (the rules tests say so).
fn builtin_rules() -> Option<&'static RuleSet> {
    static RULES: OnceLock<Option<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().ok()).as_ref()
}

/// Small limits, so hostile structure is refused quickly instead of slowly walked.
fn fuzz_limits() -> Limits {
    Limits {
        max_header_count: 200,
        max_header_line: 16 << 10,
        max_mime_depth: 20,
        max_recipients: 100,
        max_decoded_part: 64 << 10,
    }
}

/// Extracts one message and pairs the facts of each recipient with the built-in rules'
/// verdict; the extraction keeps its bucket and problem, its facts move into the records.
fn extract_and_classify(data: &[u8]) -> (Extraction, Vec<Record>, Source) {
    let source = Source { path: "fuzz.eml".to_string(), message: 1, offset: 0 };
    let options =
        ExtractOptions { capture_headers: vec!["X-Mailer".to_string()], limits: fuzz_limits() };
    let mut extraction = extract(data, &source, &options);
    let records = std::mem::take(&mut extraction.records)
        .into_iter()
        .map(|facts| Record {
            verdict: builtin_rules().map(|rules| rules.classify(&facts)),
            facts,
            dns: None,
        })
        .collect();
    (extraction, records, source)
}

/// Reads arbitrary bytes as one message into records.
pub(crate) fn extract_message(data: &[u8]) {
    let (extraction, records, _) = extract_and_classify(data);
    match extraction.bucket {
        Bucket::Bounce | Bucket::Report => {}
        other => assert!(
            records.is_empty(),
            "a message in bucket {other:?} produced {} records",
            records.len()
        ),
    }
    assert!(records.len() <= fuzz_limits().max_recipients, "more records than the recipient limit");
}

/// Compiles arbitrary text as a user rule file; errors must render, a rule set must classify.
pub(crate) fn rules(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let sources = vec![("fuzz.rules".to_string(), text, Origin::User)];
    match RuleSet::from_sources(&sources) {
        Ok(set) => {
            let facts = BounceFacts {
                diagnostic: Some("550 5.1.1 user unknown".to_string()),
                ..BounceFacts::default()
            };
            let _ = set.decide(&facts);
            let _ = set.explain(&facts);
            let _ = set.classify(&facts);
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "an error result without errors");
            let rendered = errors.to_string();
            assert!(!rendered.is_empty(), "errors rendered as nothing");
            for error in &errors.errors {
                let _ = error.line_col();
                let _ = error.message();
            }
        }
    }
}

/// Renders every built-in template over the records of one hostile message.
pub(crate) fn report(data: &[u8]) {
    let (extraction, records, source) = extract_and_classify(data);
    let mut summary = Summary::default();
    summary.count(extraction.bucket);
    summary.records = records.len() as u64;
    if let Some(problem) = extraction.problem {
        summary.problems.push(bounce_model::Problem { source, error: problem });
    }
    let keys = [
        bounce_model::Dimension::Provider,
        bounce_model::Dimension::Category,
        bounce_model::Dimension::Token,
    ];
    let aggregates = bounce_engine::aggregate::aggregate_records(
        &records,
        bounce_engine::aggregate::AggregateOptions::report(keys.to_vec()),
    );
    let options = bounce_report::ReportOptions {
        title: String::from_utf8_lossy(data.get(..64).unwrap_or(data)).into_owned(),
        ..Default::default()
    };
    let context = bounce_report::build_context(&records, &keys, &summary, &aggregates, &options);
    let Ok(templates) = bounce_report::Templates::builtin() else {
        return;
    };
    for (name, _) in bounce_report::builtin_templates() {
        let output = templates
            .render(name, &context)
            .unwrap_or_else(|error| panic!("template {name} failed on hostile evidence: {error}"));
        if name.ends_with(".html") {
            assert!(!output.contains(MARKUP_PROBE), "bounce text became markup in {name}");
        }
    }
}

/// Reads `data[1..]` as a file of one input format: `data[0]` picks the source among the
/// built-in ones except mail (logs, tables, ESP events, JSON Lines) and a small size limit.
/// Units stay inside the stream, in order, within the limit; a unit reads into a bucket whose
/// records are those of bounces and reports; no line number is 0.
pub(crate) fn sources(data: &[u8]) {
    use bounce_engine::source::{Registry, SourceEvent};
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let registry = Registry::builtin();
    let names: Vec<&str> = registry.names().filter(|n| *n != "mail").collect();
    let Some(source) = registry.get(names[usize::from(control) % names.len()]) else {
        return;
    };
    let limit = 256 * (1 + u64::from(control >> 4));
    let options = bounce_engine::ReadOptions {
        max_message_bytes: limit,
        log_year: Some(2026),
        ..bounce_engine::ReadOptions::default()
    };
    let file = bounce_mail::input::InputFile::stdin();
    let reader: bounce_engine::source::Stream = Box::new(Cursor::new(stream.to_vec()));
    let total = stream.len() as u64;
    let mut next_offset = 0u64;
    for (number, event) in source.units(reader, &file, &options).enumerate() {
        match event {
            SourceEvent::Unit(unit) => {
                assert!(
                    unit.offset >= next_offset || unit.offset == 0,
                    "unit offsets go backwards"
                );
                assert!(unit.offset <= total, "a unit starts after the end");
                assert!(unit.line != Some(0), "line numbers start at 1");
                next_offset = unit.offset;
                let src =
                    Source { path: "fuzz".into(), message: number as u64 + 1, offset: unit.offset };
                let reading = source.read(&unit, &src, &options);
                if !matches!(reading.bucket, Bucket::Bounce | Bucket::Report) {
                    assert!(reading.records.is_empty(), "a {:?} unit with records", reading.bucket);
                }
                if let Some(rules) = builtin_rules() {
                    for record in &reading.records {
                        let _ = rules.classify(&record.facts);
                    }
                }
            }
            SourceEvent::Oversize { len, limit: broken, .. } => {
                assert!(len > broken, "a unit within the limit reported as oversize");
            }
            SourceEvent::Counted { rows, .. } => assert!(rows > 0, "zero rows counted"),
            SourceEvent::Preamble { .. } | SourceEvent::Error { .. } => {}
        }
    }
}
