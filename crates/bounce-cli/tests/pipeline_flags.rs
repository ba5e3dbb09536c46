//! Every archive-reading command runs the one pipeline, so `report`, `rules gaps` and
//! `explain` honour the reading flags `classify` has: `--capture-header`, the `--max-*`
//! limits, `--threads` and `--input-format`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;

/// A DSN whose returned headers carry a campaign id, as an ESP stamps them.
fn dsn(n: usize, recipient: &str, campaign: &str, status: &str, diagnostic: &str) -> String {
    let header = format!("X-Campaign-ID: {campaign}");
    support::dsn_with_header(n, recipient, status, diagnostic, (10, n), &header)
}

fn archive(dir: &Path) -> PathBuf {
    let text = [
        dsn(1, "ann@example.net", "spring-7", "5.1.1", "550 5.1.1 user unknown"),
        dsn(2, "bob@example.net", "spring-7", "5.1.1", "550 5.1.1 user unknown"),
        dsn(3, "cy@example.org", "autumn-2", "5.7.1", "550 5.7.1 message refused as spam"),
    ]
    .concat();
    let path = dir.join("bounces.mbox");
    std::fs::write(&path, text).expect("write the archive");
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage")).args(args).output().expect("runs")
}

fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn report_groups_by_a_header_captured_from_the_returned_original() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    let group = ["-t", "triage-summary", "--group", "header:x-campaign-id"];
    let captured =
        stdout(&[&["report", mbox, "--capture-header", "X-Campaign-ID"], &group[..]].concat());
    assert!(captured.contains("spring-7") && captured.contains("autumn-2"), "{captured}");
    let not_captured = stdout(&[&["report", mbox], &group[..]].concat());
    assert!(!not_captured.contains("spring-7"), "a header not asked for is not captured");
}

#[test]
fn report_and_gaps_honour_the_message_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    let full = stdout(&["report", mbox, "-t", "suppression"]);
    assert_eq!(full.lines().count(), 4, "a header and three rows: {full}");
    let limited = run(&["report", mbox, "-t", "suppression", "--max-message-size", "200"]);
    assert!(limited.status.success());
    let limited_out = String::from_utf8_lossy(&limited.stdout);
    assert_eq!(limited_out.lines().count(), 1, "only the header: {limited_out}");
    let warnings = String::from_utf8_lossy(&limited.stderr);
    assert!(warnings.contains("exceeds the limit of 200 bytes"), "{warnings}");

    let gaps = stdout(&["rules", "gaps", mbox]);
    assert!(gaps.contains("of 3 records"), "{gaps}");
    let gaps = stdout(&["rules", "gaps", mbox, "--max-message-size", "200"]);
    assert!(gaps.starts_with("0 of 0 records"), "{gaps}");
}

#[test]
fn report_and_gaps_give_the_same_output_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    for command in [&["report", mbox, "-t", "esp-escalation"][..], &["rules", "gaps", mbox][..]] {
        let one = stdout(&[command, &["--threads", "1"][..]].concat());
        let three = stdout(&[command, &["--threads", "3"][..]].concat());
        assert_eq!(one, three, "{command:?}");
    }
}

#[test]
fn explain_and_report_take_the_input_format_and_reject_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    let out = run(&["report", mbox, "--input-format", "sendgrid-csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown input format `sendgrid-csv` (known: jsonl, "), "{err}");
    // Read as JSON Lines, every line of an mbox is an unparsed unit, listed, not a crash.
    let out = run(&["explain", mbox, "--input-format", "jsonl"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unparsed (no recipient records): line 1: not a record"), "{text}");
}
