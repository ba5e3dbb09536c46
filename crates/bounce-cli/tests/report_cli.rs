//! `report` and `templates` from the command line: JSON Lines input, filters, overrides,
//! export, and error messages.

mod support;

use support::run;

fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn jsonl_input_gives_the_same_lists_as_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("records.jsonl");
    let jsonl_arg = jsonl.to_str().unwrap();
    stdout(&["classify", "--quiet", "examples/bounces.mbox", "-o", jsonl_arg]);
    let from_archive = stdout(&["report", "examples/bounces.mbox", "-t", "suppression"]);
    let from_jsonl = stdout(&["report", jsonl_arg, "-t", "suppression"]);
    assert_eq!(from_archive, from_jsonl);
    assert!(from_archive.lines().any(|l| l.starts_with("kim.nguyen@gmail.example.net,suppress,")));
}

#[test]
fn filters_narrow_the_report() {
    let out = stdout(&[
        "report",
        "examples/bounces.mbox",
        "-t",
        "esp-escalation.txt",
        "--provider",
        "outlook-com",
        "--since",
        "2026-06-10",
        "--until",
        "2026-06-10T15:00:00+00:00",
    ]);
    assert!(out.contains("S3150"));
    assert!(!out.contains("gsmtp"), "gmail records were filtered out");
    assert!(out.contains("provider = outlook-com"));
    let bad = run(&["report", "examples/bounces.mbox", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("invalid value 'yesterday' for '--since <TIME>'"), "{err}");
}

#[test]
fn export_then_override_a_template() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    run(&["templates", "export", d]);
    for name in ["esp-escalation.md", "triage-summary.html", "suppression.csv"] {
        assert!(dir.path().join(name).is_file(), "{name} exported");
    }
    std::fs::write(dir.path().join("suppression.csv"), "count={{ suppress | length }}\n").unwrap();
    std::fs::write(dir.path().join("mine.txt"), "{{ totals.records }} records\n").unwrap();
    let list = stdout(&["templates", "list", "--templates", d]);
    assert!(list.contains("suppression.csv") && list.contains("override"));
    assert!(list.contains("mine.txt") && list.contains("user"));
    let out = stdout(&["report", "examples/bounces.mbox", "--templates", d, "-t", "suppression"]);
    assert!(out.starts_with("count="));
    let out = stdout(&["report", "examples/bounces.mbox", "--templates", d, "-t", "mine"]);
    assert!(out.ends_with(" records\n"));
}

#[test]
fn a_broken_user_template_names_file_line_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.md"), "# title\n\n{{ totals.records \n").unwrap();
    let out =
        run(&["report", "examples/bounces.mbox", "--templates", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("template `bad.md`, line 3: syntax error"), "{err}");
}

/// The ESP ticket of the bundled example as a user gets it: at most 300 lines, the summary and
/// the asks first, and the first ask delists the IP Microsoft named in its S3150 reply.
#[test]
fn esp_ticket_of_the_example_is_short_and_asks_first() {
    let text = stdout(&["report", "examples/bounces.mbox", "-t", "esp-escalation"]);
    let lines = text.lines().count();
    assert!(lines <= 300, "the ESP ticket has {lines} lines");
    let first_ask = text.lines().find(|l| l.starts_with("1. ")).expect("an ask");
    assert!(
        first_ask.starts_with("1. Delist 203.0.113.11") && first_ask.contains("S3150"),
        "{first_ask}"
    );
    let summary = text.find("## Summary").expect("a summary");
    let incidents = text.find("## Incidents").expect("the incidents");
    assert!(summary < text.find("## What we ask").expect("the asks"));
    assert!(text.find("## What we ask").unwrap_or(usize::MAX) < incidents);
    assert!(!text.contains("#group-"));
}

/// A Marketing Cloud export is sniffed without flags and the `sfmc` template groups it by
/// domain, job, category, SMTP code and wording (its default `--group`).
#[test]
fn sfmc_template_groups_a_bounce_export_as_the_seed_asks() {
    let out = stdout(&[
        "report",
        "-q",
        "-t",
        "sfmc",
        "crates/bounce-engine/tests/fixtures/sfmc-bounce.csv",
    ]);
    let row = out.lines().find(|l| l.starts_with("| gmail.example.net |")).expect(&out);
    assert!(row.contains("| 4810 | Hard bounce | User unknown | 550 5.1.1 |"), "{row}");
    assert!(row.ends_with("| suppress |"), "{row}");
    let block = out.lines().find(|l| l.starts_with("| outlook.example.org |")).expect(&out);
    assert!(!block.ends_with("| suppress |"), "a block is about the sender: {block}");
    assert!(
        out.contains("- Wording: `554 5.7.1 Service unavailable, Client host <ip> blocked"),
        "{out}"
    );
}

/// Every input format the engine knows is named in `--input-format`'s help, and an unknown
/// one is an error listing them.
#[test]
fn input_formats_are_listed_and_checked() {
    let help = stdout(&["classify", "--help"]);
    for name in bounce_engine::source::Registry::builtin().names() {
        assert!(help.contains(name), "--input-format help lacks {name}");
    }
    let out = run(&["classify", "--input-format", "nosuch", "examples/bounces.mbox"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown input format `nosuch`") && err.contains("postfix-log"), "{err}");
}

/// Evidence from an accounting file fills what bounces leave to "collect from the ESP log": the
/// IP pool, the job and the sending platform's message id, each with where it came from.
#[test]
fn evidence_from_an_accounting_file_fills_pool_and_job() {
    let out = stdout(&[
        "report",
        "-q",
        "-t",
        "triage-summary",
        "crates/bounce-engine/tests/fixtures/powermta-acct.csv",
    ]);
    assert!(out.contains("<dt>IP pool (shared or dedicated)</dt><dd>shared-pool"), "{out}");
    assert!(out.contains("<dt>Campaign ID</dt><dd>c2606a"), "{out}");
    assert!(out.contains("<dt>Sending IP</dt><dd>192.0.2.61"), "{out}");
    let postfix = stdout(&[
        "report",
        "-q",
        "-t",
        "triage-summary",
        "--log-year",
        "2026",
        "crates/bounce-engine/tests/fixtures/postfix-maillog.log",
    ]);
    assert!(
        postfix.contains("<dt>Sending platform&#x27;s message ID</dt><dd>3F2A81234"),
        "{postfix}"
    );
}

#[test]
fn lists_longer_than_the_document_shows_go_whole_into_a_csv_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("big.mbox");
    let addresses = bounce_report::LIST_CAP + 30;
    let text: String = (0..addresses)
        .map(|n| {
            let diagnostic = format!(
                "550 5.1.1 <user{n}@example.net>: Recipient address rejected: User unknown"
            );
            support::dsn(n, &format!("user{n}@example.net"), "5.1.1", &diagnostic, 10, n % 60)
        })
        .collect();
    std::fs::write(&archive, text).unwrap();
    let html = dir.path().join("summary.html");
    let out = run(&["report", "-q", archive.to_str().unwrap(), "-o", html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    let lists = std::fs::read_to_string(dir.path().join("summary.lists.csv")).unwrap();
    assert!(
        page.contains(&format!("Suppression candidates ({addresses})")),
        "the heading counts all"
    );
    assert!(page.contains("and 30 more: the whole list is in <a href=\"summary.lists.csv\">"));
    // The header row, then every address once.
    assert_eq!(lists.lines().count(), addresses + 1);
    assert!(lists.contains(&format!("user{}@example.net,suppress,", addresses - 1)));
    // The lists template gives every entry too, not the document's first ones.
    let csv = stdout(&["report", "-q", archive.to_str().unwrap(), "-t", "suppression"]);
    assert_eq!(csv, lists);
}
