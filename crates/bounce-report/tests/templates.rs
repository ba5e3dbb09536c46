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
        "## Summary",
        "## What we ask",
        "## What we could not determine",
        "the sending IP, HELO/EHLO name, and IP pool for each message ID",
        "the PTR/reverse DNS name used by the affected sending IPs",
        "whether the pool is shared or dedicated",
        "the visible From domain, envelope sender domain, and return-path domain",
        "whether this IP range has a known reputation issue",
        "whether the rejection happened at RCPT TO, after DATA",
        "whether TLS was offered and used",
        "whether SPF, DKIM, and DMARC passed at handoff",
        "what remediation or provider escalation is in progress",
        "Flagged spikes: outlook-com reputation",
        "(S3150)",
        "may be the sender's own hop",
    ] {
        assert!(text.contains(needle), "missing `{needle}`");
    }
    // We state our reading of the layer; we do not ask the ESP for it.
    assert!(!text.contains("Which layer"));
    assert!(!text.contains("#group-"), "anchors are slugs, not group numbers");
    assert!(text.contains("(#outlook-com-s3150)") && text.contains("### outlook-com S3150"));
}

/// Length scales with groups, not records: the ticket of the 67-bounce example fits 300 lines,
/// and each repeated note appears once.
#[test]
fn esp_ticket_is_short_and_says_each_note_once() {
    let text = render("esp-escalation.md");
    let lines = text.lines().count();
    assert!(lines <= 300, "the ESP ticket has {lines} lines");
    assert_eq!(text.matches("may be the sender's own hop").count(), 1);
    let context = common::example_context();
    assert_eq!(text.matches("not in the bounces:").count(), context.unknowns.len());
    let txt = render("esp-escalation.txt");
    assert!(txt.lines().count() <= 300, "the text ticket has {} lines", txt.lines().count());
    assert_eq!(txt.matches("may be the sender's own hop").count(), 1);
}

/// The first ask is the biggest finding, the Microsoft S3150 block, and names the IP the
/// receiver named in its reply ("messages from [203.0.113.11]"), not a Received-header guess.
#[test]
fn first_ask_delists_the_ip_the_receiver_named() {
    let context = common::example_context();
    let first = context.asks.first().expect("an ask");
    assert!(first.text.starts_with("Delist 203.0.113.11"), "{}", first.text);
    assert!(first.text.contains("outlook-com") && first.text.contains("S3150"), "{}", first.text);
    assert_eq!(first.count, 8);
    let text = render("esp-escalation.md");
    let asks = text.split("## What we ask").nth(1).expect("the asks");
    let line = asks.lines().find(|l| l.starts_with("1. ")).expect("a first ask");
    assert!(line.contains("203.0.113.11") && line.contains("8 messages"), "{line}");
    // Asks are ranked by volume.
    assert!(context.asks.windows(2).all(|w| w[0].count >= w[1].count));
}

#[test]
fn it_escalation_never_contradicts_the_suppression_decisions() {
    let context = common::example_context();
    let text = render("it-escalation.md");
    for section in text.split("\n### ").skip(1) {
        let title = section.lines().next().unwrap_or_default().replace('\\', "");
        let group = context.it_groups.iter().find(|g| g.title == title).expect(&title);
        if group.action.starts_with("suppress") {
            assert!(!section.contains("do not suppress"), "{title}");
        }
    }
    assert!(!text.split("## Summary").next().unwrap_or_default().contains("do not suppress"));
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

/// A template declares the group keys it is written for in a leading comment; a user
/// template can too, and one without the comment declares none.
#[test]
fn templates_declare_their_group_keys() {
    let user = "{#- per job -#}\n{#- group: vendor:JobID, smtp_code -#}\n{{ groups | length }}\n";
    let templates = bounce_report::Templates::with_overrides(vec![("jobs.md".into(), user.into())])
        .expect("parses");
    assert_eq!(templates.declared_group("jobs.md"), Some("vendor:JobID, smtp_code"));
    assert!(templates.declared_group("sfmc.md").is_some_and(|g| g.contains("vendor:JobID")));
    assert_eq!(templates.declared_group("esp-escalation.md"), None);
}
