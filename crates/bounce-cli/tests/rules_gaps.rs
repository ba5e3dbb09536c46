//! End-to-end tests of `bounce-triage rules gaps` on a small archive written here: the texts
//! only a fallback rule decided, clustered with their variable parts masked.

use std::path::Path;
use std::process::Command;

mod support;

/// One DSN for `recipient`, at 10:0N on 11 June 2026.
fn dsn(number: usize, recipient: &str, status: &str, diagnostic: &str) -> String {
    support::dsn(number, recipient, status, diagnostic, 10, number)
}

fn archive() -> String {
    [
        dsn(
            1,
            "ann@example.net",
            "5.7.1",
            "550 5.7.1 Sender 192.0.2.7 refused by gateway zeta, entry 4411 for <ann@example.net>",
        ),
        dsn(
            2,
            "carl@gmail.com",
            "5.1.1",
            "550 5.1.1 The email account that you tried to reach does not exist. - gsmtp",
        ),
        dsn(
            3,
            "bob@example.org",
            "5.7.1",
            "550 5.7.1 Sender 198.51.100.9 refused by gateway zeta, entry 9902 for <bob@example.org>",
        ),
        dsn(4, "dan@example.com", "5.0.0", "554 Undeliverable: shard 7 said goodbye, ref 8F3A2B1C99"),
    ]
    .concat()
}

fn gaps(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .args(["rules", "gaps"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn gaps_clusters_fallback_texts_most_frequent_first() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("bounces.mbox"), archive()).expect("the archive is written");
    let (code, stdout, stderr) = gaps(dir.path(), &["bounces.mbox"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("gaps_small_archive", stdout);
}

#[test]
fn gaps_top_limits_the_clusters_shown() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("bounces.mbox"), archive()).expect("the archive is written");
    let (code, stdout, _) = gaps(dir.path(), &["bounces.mbox", "--top", "1"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("(showing 1)"), "{stdout}");
    assert!(stdout.contains("[1] 2 × "), "{stdout}");
    assert!(!stdout.contains("[2]"), "{stdout}");
}

#[test]
fn a_user_rule_closes_a_gap() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("bounces.mbox"), archive()).expect("the archive is written");
    let rule = "/// Zeta gateways refuse senders on their own list.\nrule zeta.sender-refused {\n    when text ~ /refused by gateway zeta/\n    reason blocked\n    example \"550 5.7.1 Sender 192.0.2.1 refused by gateway zeta, entry 1\" status 5.7.1 => blocked\n}\n";
    std::fs::write(dir.path().join("zeta.rules"), rule).expect("the rule file is written");
    let (code, stdout, stderr) = gaps(dir.path(), &["bounces.mbox", "--rules", "zeta.rules"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("1 of 4 records"), "{stdout}");
    assert!(!stdout.contains("gateway zeta"), "{stdout}");
}

#[test]
fn gaps_on_a_missing_input_exits_non_zero() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (code, stdout, stderr) = gaps(dir.path(), &["missing.mbox"]);
    // Its only input unread, the run did nothing: an error, not a partial run.
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout, "");
    assert!(stderr.starts_with("error: cannot access missing.mbox"), "{stderr}");
}
