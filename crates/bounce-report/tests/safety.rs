//! Bounce text is data: HTML output escapes it, and template errors name template, line, cause.

use bounce_model::{
    Aggregates, BounceFacts, Category, Dimension, Group, Kind, ListEntry, ListKind, Record, Sample,
    Summary, Verdict,
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
        dns: None,
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
    build_context(&[record], &[Dimension::Provider], &summary, &aggregates, &options)
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
fn markdown_keeps_the_raw_text_verbatim_in_code() {
    let md = Templates::builtin().unwrap().render("esp-escalation", &hostile_context()).unwrap();
    assert!(md.contains("`550 5.7.1 <script>alert('x')</script> \"><img src=x onerror=alert(1)>`"));
}

/// Text outside code spans and fences, where a Markdown renderer would pass raw HTML through.
fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let trimmed = line.trim_start();
        if let Some(f) = &fence {
            if trimmed.starts_with(f.as_str()) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fence = Some(trimmed.chars().take_while(|&c| c == '`').collect());
            continue;
        }
        // Drop inline code spans: a run of backticks up to the next run of the same length.
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            out.push_str(&rest[..start]);
            let run = rest[start..].chars().take_while(|&c| c == '`').count();
            let after = &rest[start + run..];
            let closing = "`".repeat(run);
            match after.find(&closing) {
                Some(end) => rest = &after[end + run..],
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

#[test]
fn markdown_tickets_leave_no_raw_html_from_a_bounce() {
    let mut record = hostile_record();
    record.facts.diagnostic = Some("550 5.7.1 <script>alert(1)</script> <img src=x>".into());
    record.facts.remote_mta = Some("<img src=x>".into());
    record.facts.recipient = "<script>alert(1)</script>@example.net".into();
    let summary = Summary { messages: 1, bounce: 1, records: 1, ..Summary::default() };
    let group = Group {
        key: [("provider".to_string(), "evil\"><svg onload=alert(2)>".to_string())].into(),
        count: 1,
        recipients: 1,
        first_seen: Some("<script>alert(1)</script>".into()),
        ..Group::default()
    };
    let aggregates = Aggregates { groups: vec![group], ..Aggregates::default() };
    let options =
        ReportOptions { title: "<script>alert(1)</script>".into(), ..ReportOptions::default() };
    let context = build_context(&[record], &[Dimension::Provider], &summary, &aggregates, &options);
    for name in ["esp-escalation", "it-escalation"] {
        let md = Templates::builtin().unwrap().render(name, &context).unwrap();
        let prose = outside_code(&md);
        for tag in ["<script", "<img", "<svg", "<b>"] {
            assert!(!prose.contains(tag), "{name}: `{tag}` outside code in\n{prose}");
        }
    }
    let md = Templates::builtin().unwrap().render("esp-escalation", &context).unwrap();
    assert!(md.contains("`550 5.7.1 <script>alert(1)</script> <img src=x>`"), "{md}");
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
