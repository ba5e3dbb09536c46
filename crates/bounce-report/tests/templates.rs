//! Renders every file of `templates/` from the bundled example archive and snapshots the output;
//! checks that no evidence field is blank and that the documents carry the guide's lists.

mod common;

use bounce_report::Templates;

fn render(name: &str) -> String {
    let templates = Templates::builtin().expect("the built-in templates parse");
    templates.render(name, &common::example_context()).expect("the template renders")
}

/// One snapshot per file of `templates/`, named after the file (as before the glob, so adding a
/// template is adding the file and its snapshot).
#[test]
fn every_builtin_template_snapshot() {
    insta::glob!("../../../templates", "*", |path| {
        // The walk also yields the folder itself, which `*` matches.
        if !path.is_file() {
            return;
        }
        let name = path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 file name");
        let mut settings = insta::Settings::clone_current();
        settings.remove_snapshot_suffix();
        settings.remove_input_file();
        settings.bind(|| insta::assert_snapshot!(name, render(name)));
    });
}

#[test]
fn no_evidence_field_is_blank() {
    let context = common::example_context();
    assert!(!context.evidence.is_empty());
    for evidence in &context.evidence {
        for field in &evidence.fields {
            assert!(
                !field.value.trim().is_empty(),
                "{} of {} is blank",
                field.label,
                evidence.recipient
            );
            if !field.filled {
                assert!(
                    field.value.starts_with("not in the bounces: collect from ")
                        || field.value.starts_with("not classified"),
                    "{}",
                    field.value
                );
            }
            if field.uncertain {
                assert!(field.value.contains("uncertain"), "{}", field.value);
            }
        }
        assert!(!evidence.raw.trim().is_empty());
    }
    for row in &context.confirm {
        for field in [&row.sending_ip, &row.helo, &row.pool, &row.ptr] {
            assert!(!field.value.trim().is_empty());
        }
    }
    // No rendered "Label:" line is left without a value.
    for name in ["esp-escalation.md", "it-escalation.md"] {
        for line in render(name).lines() {
            let t = line.trim();
            assert!(!(t.starts_with("- ") && t.ends_with(':')), "{name}: blank field `{t}`");
        }
    }
    for line in render("esp-escalation.txt").lines() {
        let field = line.starts_with("    ") && line.trim_start().starts_with(char::is_uppercase);
        assert!(!(field && line.trim_end().ends_with(':')), "blank field `{line}`");
    }
}

#[test]
fn esp_escalation_carries_the_guides_lists() {
    let text = render("esp-escalation.md");
    for needle in [
        "We are seeing delivery failures with these responses",
        "The sending IP, HELO/EHLO name, and IP pool for each message ID",
        "The PTR/reverse DNS name used by the affected sending IPs",
        "Whether the pool is shared or dedicated",
        "The visible From domain, envelope sender domain, and return-path domain",
        "Whether this IP range has a known reputation issue",
        "Which layer the response points to",
        "Whether the rejection happened at RCPT TO, after DATA",
        "Whether TLS was offered and used",
        "Whether SPF, DKIM, and DMARC passed at handoff",
        "What remediation or provider escalation is in progress",
        "Normal vs incident rate",
        "(S3150)",
        "```text\n",
        "(uncertain: ",
    ] {
        assert!(text.contains(needle), "missing `{needle}`");
    }
}

#[test]
fn summary_totals_add_up_and_charts_exist() {
    let context = common::example_context();
    assert!(context.totals.adds_up);
    let sum = |c: &[bounce_report::Count]| c.iter().map(|x| x.count).sum::<u64>();
    assert_eq!(sum(&context.totals.kinds), context.totals.records);
    assert_eq!(sum(&context.by_category), context.totals.failures);
    assert_eq!(sum(&context.by_provider), context.totals.failures);
    assert_eq!(context.charts.len(), 2);
    for chart in &context.charts {
        assert!(!chart.bars.is_empty());
        assert_eq!(chart.total, chart.legend.iter().map(|l| l.total).sum::<u64>());
    }
    let html = render("triage-summary.html");
    assert!(!html.contains("<script"), "the summary must not need scripts");
    assert!(!html.contains("http://") || !html.contains("<link"), "no external resources");
    assert!(html.contains("<svg class=\"chart\" id=\"chart-category\""));
}
