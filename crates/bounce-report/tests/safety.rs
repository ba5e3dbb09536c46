//! Bounce text is data: HTML output escapes it, and template errors name template, line, cause.

use bounce_model::{
    Aggregates, BounceFacts, Category, Group, Kind, ListEntry, ListKind, Record, Sample, Summary,
    Verdict,
};
use bounce_report::{build_context, ReportError, ReportOptions, Templates};

fn hostile_record() -> Record {
    let facts = BounceFacts {
        recipient: "victim@example.net".into(),
        kind: Some(Kind::Bounce),
        status: Some("5.7.1".into()),
        reply_code: Some("550".into()),
        diagnostic: Some(
            "550 5.7.1 <script>alert('x')</script> \"><img src=x onerror=alert(1)>".into(),
        ),
        timestamp: Some("2026-06-10T14:02:11Z".into()),
        ..BounceFacts::default()
    };
    Record {
        facts,
        verdict: Some(Verdict {
            rule_id: "test.hostile".into(),
            category: Category::Reputation,
            token: Some("<b>tok</b>".into()),
            provider: Some("evil\"><svg onload=alert(2)>".into()),
            ..Verdict::default()
        }),
    }
}

fn hostile_context() -> bounce_report::ReportContext {
    let record = hostile_record();
    let sample = Sample {
        recipient: record.recipient.clone(),
        diagnostic: record.diagnostic.clone(),
        ..Sample::default()
    };
    let aggregates = Aggregates {
        groups: vec![Group {
            key: [("provider".to_string(), "evil\"><svg onload=alert(2)>".to_string())].into(),
            count: 1,
            recipients: 1,
            samples: vec![sample.clone()],
            ..Group::default()
        }],
        lists: vec![ListEntry {
            address: record.recipient.clone(),
            list: Some(ListKind::Keep),
            why: "<i>why</i>".into(),
            evidence: sample,
            ..ListEntry::default()
        }],
        ..Aggregates::default()
    };
    let summary = Summary { messages: 1, bounce: 1, records: 1, ..Summary::default() };
    let options = ReportOptions { title: "<title>".into(), ..ReportOptions::default() };
    build_context(&[record], &summary, &aggregates, &options)
}

#[test]
fn html_renders_hostile_diagnostics_as_text() {
    let html = Templates::builtin().unwrap().render("triage-summary", &hostile_context()).unwrap();
    assert!(!html.contains("<script>alert"), "script tag leaked");
    assert!(!html.contains("<img src=x"), "img tag leaked");
    assert!(!html.contains("<svg onload"), "svg tag leaked");
    assert!(!html.contains("<b>tok</b>"));
    assert!(html.contains("&lt;script&gt;alert("), "the text is shown, escaped");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn markdown_keeps_the_raw_text_verbatim_in_a_fence() {
    let md = Templates::builtin().unwrap().render("esp-escalation", &hostile_context()).unwrap();
    assert!(md.contains(
        "```text\n550 5.7.1 <script>alert('x')</script> \"><img src=x onerror=alert(1)>\n```"
    ));
}

#[test]
fn syntax_errors_name_template_line_and_cause() {
    let source = "line one\nline two\n{% for x in %}\n{% endfor %}\n".to_string();
    let err = Templates::with_overrides(vec![("broken.md".into(), source)]).unwrap_err();
    let ReportError::Template { name, line, cause } = &err else { panic!("{err:?}") };
    assert_eq!(name, "broken.md");
    assert_eq!(*line, 3);
    assert!(cause.contains("syntax error"), "{cause}");
    assert!(err.to_string().starts_with("template `broken.md`, line 3: syntax error"));
}

#[test]
fn render_errors_name_template_line_and_cause() {
    let source = "ok\n{{ totals.records }}\n{{ no_such_thing.field.deeper }}\n".to_string();
    let templates = Templates::with_overrides(vec![("bad.txt".into(), source)]).unwrap();
    let err = templates.render("bad.txt", &hostile_context()).unwrap_err();
    let ReportError::Template { name, line, .. } = &err else { panic!("{err:?}") };
    assert_eq!(name, "bad.txt");
    assert_eq!(*line, 3);
}

#[test]
fn user_templates_override_builtins_and_unknown_names_fail() {
    let templates =
        Templates::with_overrides(vec![("suppression.csv".into(), "mine {{ title }}".into())])
            .unwrap();
    let out = templates.render("suppression", &hostile_context()).unwrap();
    assert_eq!(out, "mine <title>");
    let err = templates.render("nope", &hostile_context()).unwrap_err();
    assert!(err.to_string().contains("unknown template `nope`"));
}
