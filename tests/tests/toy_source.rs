//! Adding an input format is one module plus one registry line: a toy delivery log, written
//! here outside the engine, is sniffed, read in parallel, classified by the built-in rules and
//! rendered by a report template like any mail archive.

use std::io::{BufRead, Write as _};

use bounce_engine::aggregate::{aggregate_records, AggregateOptions};
use bounce_engine::source::{Events, Reading, RecordSource, Registry, SourceEvent, Stream, Unit};
use bounce_engine::{InputFile, Output, Pipeline, ReadOptions};
use bounce_model::{BounceFacts, Bucket, Dimension, Kind, Reason, Source};
use bounce_report::{build_context, ReportOptions, Templates};
use bounce_rules::RuleSet;

/// The toy format: a `# toy-log v1` first line, then `time|recipient|reply|status|text`.
mod toy {
    use super::{
        BounceFacts, Bucket, BufRead, Events, InputFile, Kind, ReadOptions, Reading, RecordSource,
        Source, SourceEvent, Stream, Unit,
    };

    pub(crate) struct ToyLog;

    impl RecordSource for ToyLog {
        fn name(&self) -> &'static str {
            "toy-log"
        }

        fn describe(&self) -> &'static str {
            "a toy delivery log for tests"
        }

        fn sniff(&self, head: &[u8]) -> bool {
            head.starts_with(b"# toy-log v1\n")
        }

        fn units(&self, stream: Stream, _file: &InputFile, _options: &ReadOptions) -> Events {
            let mut offset = 0u64;
            let mut line = 0u64;
            Box::new(stream.split(b'\n').filter_map(move |bytes| {
                let event = match bytes {
                    Ok(bytes) => {
                        line += 1;
                        let unit = Unit { offset, line: Some(line), bytes };
                        offset += unit.bytes.len() as u64 + 1;
                        if unit.bytes.starts_with(b"#") || unit.bytes.is_empty() {
                            return None;
                        }
                        SourceEvent::Unit(unit)
                    }
                    Err(e) => SourceEvent::Error { offset, error: e.to_string() },
                };
                Some(event)
            }))
        }

        fn read(&self, unit: &Unit, source: &Source, _options: &ReadOptions) -> Reading {
            let text = String::from_utf8_lossy(&unit.bytes);
            let fields: Vec<&str> = text.split('|').collect();
            let [time, recipient, reply, status, diagnostic] = fields[..] else {
                return Reading {
                    bucket: Bucket::Unparsed,
                    records: Vec::new(),
                    problem: Some(format!(
                        "line {}: expected 5 fields, found {}",
                        unit.line.unwrap_or(0),
                        fields.len()
                    )),
                };
            };
            let kind = if reply.starts_with('4') { Kind::Delay } else { Kind::Bounce };
            let facts = BounceFacts {
                source: source.clone(),
                recipient: recipient.to_owned(),
                kind: Some(kind),
                status: Some(status.to_owned()),
                reply_code: Some(reply.to_owned()),
                diagnostic: Some(diagnostic.to_owned()),
                timestamp: Some(time.to_owned()),
                format: "toy-log".to_owned(),
                ..BounceFacts::default()
            };
            Reading { bucket: Bucket::Bounce, records: vec![facts.into()], problem: None }
        }
    }
}

fn toy_file() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("a temp file");
    let rows = "# toy-log v1
2026-06-11T10:00:00Z|ann@example.net|550|5.1.1|550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown in virtual mailbox table
2026-06-11T10:05:00Z|bob@example.org|452|4.2.2|452 4.2.2 <bob@example.org>: mailbox full
this row is broken
2026-06-11T10:09:00Z|cy@example.com|550|5.7.1|550 5.7.1 Service unavailable; client [192.0.2.7] blocked using zen.spamhaus.org
";
    file.write_all(rows.as_bytes()).expect("write");
    file
}

#[test]
fn a_toy_source_is_classified_and_reported_like_mail() {
    let file = toy_file();
    let options = ReadOptions {
        inputs: vec![file.path().to_path_buf()],
        threads: Some(2),
        ..ReadOptions::default()
    };
    let registry = Registry::builtin().with(Box::new(toy::ToyLog));
    let rules = RuleSet::builtin().expect("the built-in rules compile");
    let pipeline = Pipeline::with_rules(options, rules, registry).expect("a pipeline");
    let mut records = Vec::new();
    let mut formats = Vec::new();
    let mut problems = Vec::new();
    let summary = pipeline.run(|output| {
        match output {
            Output::Record(record) => records.push(*record),
            Output::Opened { format, .. } => formats.push(format),
            Output::Problem(problem) => problems.push(problem.error),
            _ => {}
        }
        true
    });
    assert_eq!(formats, ["toy-log"], "sniffed by its first line");
    assert!(summary.adds_up());
    assert_eq!((summary.messages, summary.bounce, summary.unparsed), (4, 3, 1));
    assert_eq!(problems, ["line 4: expected 5 fields, found 1"]);
    let reasons: Vec<(&str, Option<Reason>)> =
        records.iter().map(|r| (r.recipient.as_str(), r.reason())).collect();
    assert_eq!(
        reasons,
        [
            ("ann@example.net", Some(Reason::UserUnknown)),
            ("bob@example.org", Some(Reason::MailboxFull)),
            ("cy@example.com", Some(Reason::Blocked)),
        ]
    );

    let keys = vec![Dimension::Provider, Dimension::Category];
    let aggregates = aggregate_records(&records, AggregateOptions::report(keys.clone()));
    let report_options = ReportOptions {
        title: "Toy".into(),
        generated_at: None,
        inputs: vec!["toy.log".into()],
        filters: Vec::new(),
        notes: Vec::new(),
    };
    let context = build_context(&records, &keys, &summary, &aggregates, &report_options);
    let csv = Templates::builtin().expect("templates").render("suppression.csv", &context).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("ann@example.net,suppress,userunknown")), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("bob@example.org,keep,mailboxfull")), "{csv}");
}

#[test]
fn the_toy_format_can_be_forced_and_unknown_names_are_refused() {
    let file = toy_file();
    let registry = || Registry::builtin().with(Box::new(toy::ToyLog));
    let rules = RuleSet::builtin().expect("the built-in rules compile");
    let options = ReadOptions {
        inputs: vec![file.path().to_path_buf()],
        input_format: Some("mail".into()),
        ..ReadOptions::default()
    };
    let pipeline = Pipeline::with_rules(options.clone(), rules.clone(), registry()).unwrap();
    let summary = pipeline.run(|_| true);
    assert_eq!(summary.records, 0, "read as mail, the log is one message that is not a bounce");
    let unknown = ReadOptions { input_format: Some("toy".into()), ..options };
    let error = Pipeline::with_rules(unknown, rules, registry()).unwrap_err();
    let names: Vec<&str> = registry().names().collect();
    let expected = format!("unknown input format `toy` (known: {})", names.join(", "));
    assert_eq!(error.to_string(), expected);
    assert!(expected.contains("(known: toy-log, jsonl, "), "the added source is sniffed first");
}
