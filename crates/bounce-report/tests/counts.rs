//! The triage summary's counts agree between sections: one definition per word ("suppress" is
//! the suppression list wherever it appears), every failure counted once in each breakdown, and
//! records without a timestamp shown as undated, never dropped.

mod common;

use std::collections::BTreeMap;

use bounce_model::{Record, Summary};
use bounce_report::{build_context, is_provider_token, ReportContext, ReportOptions, Templates};

fn context_of(records: &[Record], summary: &Summary) -> ReportContext {
    let aggregates = common::simple_aggregates(records);
    build_context(records, &common::KEYS, summary, &aggregates, &ReportOptions::default())
}

/// Checks every agreement the summary promises, on one context.
fn assert_counts_agree(context: &ReportContext) {
    let failures = context.totals.failures;
    // The actions table: each list's addresses are exactly its list, and every failure once.
    let list = |name: &str| context.actions.iter().find(|l| l.list == name);
    let addresses = |name: &str| list(name).map_or(0, |l| l.addresses);
    let counts = &context.list_counts;
    assert_eq!(addresses("suppress"), counts.suppress, "suppress");
    assert_eq!(addresses("keep"), counts.keep, "keep");
    assert_eq!(addresses("complaint"), counts.complaints, "complaint");
    // The context holds the first LIST_CAP entries of each list.
    for (held, whole) in [
        (context.suppress.len(), counts.suppress),
        (context.keep.len(), counts.keep),
        (context.complaints.len(), counts.complaints),
    ] {
        assert_eq!(held as u64, whole.min(bounce_report::LIST_CAP as u64));
    }
    assert_eq!(context.actions.iter().map(|l| l.failures).sum::<u64>(), failures);
    for l in &context.actions {
        assert_eq!(l.rows.iter().map(|r| r.addresses).sum::<u64>(), l.addresses, "{}", l.list);
        assert_eq!(l.rows.iter().map(|r| r.failures).sum::<u64>(), l.failures, "{}", l.list);
        // "suppress" names the suppression list and nothing else.
        for row in &l.rows {
            assert_eq!(row.action == "suppress", l.list == "suppress", "{row:?}");
        }
    }
    // Start here: the three largest rows of the actions table.
    let mut rows: Vec<u64> = context
        .actions
        .iter()
        .filter(|l| l.list != "not listed")
        .flat_map(|l| l.rows.iter().map(|r| r.addresses))
        .collect();
    rows.sort_unstable_by(|a, b| b.cmp(a));
    let start: Vec<u64> = context.start_here.iter().map(|r| r.addresses).collect();
    assert_eq!(start, rows.into_iter().take(3).collect::<Vec<_>>());
    // Records per source add up to the records.
    assert_eq!(context.by_source.iter().map(|c| c.count).sum::<u64>(), context.totals.records);
    // Every breakdown counts each failure once.
    for (name, table) in [
        ("category", &context.by_category),
        ("provider", &context.by_provider),
        ("stage", &context.by_stage),
        ("action", &context.by_action),
    ] {
        assert_eq!(table.iter().map(|c| c.count).sum::<u64>(), failures, "{name}");
    }
    // The charts: bars are the dated failures, the rest is undated; each series' figure equals
    // its table row and the breakdown table's count of that name.
    assert!(!context.charts.is_empty());
    for (chart, table) in context.charts.iter().zip([&context.by_category, &context.by_provider]) {
        assert_eq!(chart.total + chart.undated, failures, "{}", chart.id);
        assert_eq!(chart.undated, context.undated, "{}", chart.id);
        assert_eq!(chart.bars.iter().map(|b| b.count).sum::<u64>(), chart.total);
        let breakdown: BTreeMap<&str, u64> =
            table.iter().map(|c| (c.name.as_str(), c.count)).collect();
        for series in &chart.legend {
            let bars: u64 =
                chart.bars.iter().filter(|b| b.series == series.name).map(|b| b.count).sum();
            assert_eq!(bars, series.dated, "{} {}", chart.id, series.name);
            assert_eq!(series.dated + series.undated, series.total);
            let names: Vec<&str> = if series.members.is_empty() {
                vec![series.name.as_str()]
            } else {
                series.members.iter().map(String::as_str).collect()
            };
            let expected: u64 = names.iter().map(|n| breakdown.get(n).copied().unwrap_or(0)).sum();
            assert_eq!(series.total, expected, "{} {}", chart.id, series.name);
        }
        let colours: std::collections::BTreeSet<&str> =
            chart.legend.iter().map(|l| l.color.as_str()).collect();
        assert_eq!(colours.len(), chart.legend.len(), "{}: a colour is shared", chart.id);
    }
    // Responses of a group are merged on the masked text (trace ids), and add up to the group.
    for g in &context.groups {
        assert_eq!(g.responses.iter().map(|r| r.count).sum::<u64>(), g.group.count, "{}", g.slug);
    }
    for token in &context.tokens {
        assert!(is_provider_token(&token.name), "{}", token.name);
    }
}

#[test]
fn the_example_summary_counts_agree() {
    let context = common::example_context();
    assert_eq!(context.suppress.len(), 6, "the example's suppression list");
    assert_counts_agree(&context);
    // The HTML shows the same numbers the context holds.
    let templates = Templates::builtin().expect("the built-in templates parse");
    let html = templates.render("triage-summary.html", &context).expect("renders");
    assert!(html.contains(&format!("Suppression candidates ({})", context.suppress.len())));
    assert!(html.contains(&format!(
        "<tr class=\"subtotal\"><th colspan=\"2\"><a href=\"#suppress\">suppress</a></th><td class=\"n\">{}</td>",
        context.suppress.len()
    )));
    assert!(!html.contains("dayly") && !html.contains("hourly buckets, UTC; 0"), "{html:.200}");
    assert!(!html.contains("href=\"#group-"), "groups have slug anchors");
    let merged = context.groups.iter().flat_map(|g| &g.responses).any(|r| r.count > 1);
    assert!(merged, "responses differing only in trace ids are one response");
    for g in &context.groups {
        assert!(
            html.contains(&format!("<section class=\"group\" id=\"{}\">", g.slug)),
            "{}",
            g.slug
        );
    }
}

#[test]
fn records_without_a_timestamp_are_undated_not_dropped() {
    let (mut records, summary) = common::example_records();
    let mut cleared = 0;
    for r in records.iter_mut().filter(|r| r.kind.is_some_and(bounce_model::Kind::is_failure)) {
        if cleared < 5 {
            r.facts.timestamp = None;
            cleared += 1;
        }
    }
    let context = context_of(&records, &summary);
    assert_eq!(context.undated, 5);
    assert_counts_agree(&context);
    let html = Templates::builtin().unwrap().render("triage-summary.html", &context).unwrap();
    assert!(html.contains("of which 5 undated"), "the totals name the undated failures");
    assert!(html.contains("5 undated not drawn"), "each chart names them too");
}

#[test]
fn noise_is_not_a_token() {
    for noise in ["IP address", "3", "42", "From: header", "domain", "Ip", "greylisting", "", "-"] {
        assert!(!is_provider_token(noise), "`{noise}` is not a provider token");
    }
    for token in
        ["S3150", "AS(2)", "TSS04", "RESOLVER.RST.AuthRequired", "VIR_420", "DMARC", "OverQuota"]
    {
        assert!(is_provider_token(token), "`{token}` is a provider token");
    }
}

/// A large archive's report carries per group a capped sample of evidence, not every record:
/// the example's records repeated 60 times (with distinct recipients) give groups of hundreds,
/// whose counts stay exact while their evidence, the listed entries' anchors and the evidence
/// section stay within the caps; the counts still agree.
#[test]
fn large_reports_carry_capped_evidence_and_exact_counts() {
    let (records, summary) = common::example_records();
    let mut many = Vec::new();
    for copy in 0..60 {
        for r in &records {
            let mut r = r.clone();
            r.facts.recipient = format!("c{copy}.{}", r.recipient);
            r.facts.source.message += copy * 1_000;
            many.push(r);
        }
    }
    let context = context_of(&many, &summary);
    assert_counts_agree(&context);
    let largest = context.groups.iter().max_by_key(|g| g.group.count).expect("groups");
    assert!(largest.group.count > 100, "{}", largest.group.count);
    for g in &context.groups {
        assert!(g.evidence.len() <= 20, "{} samples", g.evidence.len());
        assert_eq!(g.evidence.len() as u64 + g.evidence_more, g.group.count, "{}", g.title);
    }
    let linked = context.suppress.iter().chain(&context.keep).filter(|e| !e.anchor.is_empty());
    assert!(linked.count() <= 2 * 1_000);
    // The bound: the linked entries of the three lists, the group samples, one per count.
    let bound = 3 * 1_000 + 20 * context.groups.len() + 200;
    assert!(context.evidence.len() <= bound, "{} > {bound}", context.evidence.len());
    assert!(context.evidence.len() < many.len(), "{} of {}", context.evidence.len(), many.len());
    // Every link into the evidence section has its target.
    let shown: std::collections::BTreeSet<&str> =
        context.evidence.iter().map(|e| e.anchor.as_str()).collect();
    for e in context.suppress.iter().filter(|e| !e.anchor.is_empty()) {
        assert!(shown.contains(e.anchor.as_str()), "{}", e.anchor);
    }
    for g in &context.groups {
        for e in &g.evidence {
            assert!(shown.contains(e.anchor.as_str()), "{}", e.anchor);
        }
    }
}
