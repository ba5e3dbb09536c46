//! End-to-end tests of `bounce-triage rules check|test|list|explain` and `bounce-triage explain`:
//! what a rule author sees, including the compiler-style errors and the exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The output of one run: exit code, stdout and stderr.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `dir` with `args`.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The workspace root, where `tests/fixtures` lives.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A temporary folder holding one rule file `name` with `text`.
fn rule_dir(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join(name), text).expect("the rule file is written");
    dir
}

const BROKEN: &str = r#"/// A rule with a misspelt field and an unknown reason.
rule acme.quota {
    when diagnostic_cod ~ /over quota/
    reason mailbox-ful
    example "552 over quota" => mailboxfull
}
"#;

#[test]
fn check_prints_every_error_with_a_caret_and_fails() {
    let dir = rule_dir("broken.rules", BROKEN);
    let run = run_in(dir.path(), &["rules", "check", "broken.rules"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!("check_broken_file", run.stderr);
}

#[test]
fn check_accepts_builtins_and_a_good_user_file() {
    let builtin = run_in(&root(), &["rules", "check"]);
    assert_eq!(builtin.code, 0, "{}", builtin.stderr);
    let count = |text: &str| -> usize {
        let rest = text.strip_prefix("ok: ").expect("an ok line");
        rest.split(' ').next().and_then(|n| n.parse().ok()).expect("a rule count")
    };
    assert!(builtin.stdout.ends_with(" providers\n"), "{}", builtin.stdout);
    let good = "/// Acme's gateway: quota wording.\nrule acme.quota {\n    when text ~ \"acme quota reached\"\n    reason mailboxfull\n    example \"452 acme quota reached\" => mailboxfull\n}\n";
    let dir = rule_dir("acme.rules", good);
    let user = run_in(dir.path(), &["rules", "check", "."]);
    assert_eq!(user.code, 0, "{}", user.stderr);
    assert_eq!(count(&user.stdout), count(&builtin.stdout) + 1);
}

#[test]
fn check_reports_a_missing_path() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let run = run_in(dir.path(), &["rules", "check", "missing.rules"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[io]"), "{}", run.stderr);
    assert!(run.stderr.contains("missing.rules"), "{}", run.stderr);
}

#[test]
fn test_passes_on_the_builtin_rules() {
    let run = run_in(&root(), &["rules", "test"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let (count, rest) = run.stdout.trim_end().split_once(' ').expect("a summary line");
    assert!(count.parse::<usize>().expect("a number") >= 100, "{}", run.stdout);
    insta::assert_snapshot!("test_builtins", format!("<N> {rest}"));
}

#[test]
fn test_reports_a_failing_example_with_rule_and_location() {
    let rules = "/// Acme's gateway: quota wording, with a wrong expectation.\nrule acme.quota {\n    when text ~ \"acme quota reached\"\n    reason mailboxfull\n    example \"452 acme quota reached\" => userunknown\n}\n";
    let dir = rule_dir("acme.rules", rules);
    let run = run_in(dir.path(), &["rules", "test", "acme.rules"]);
    assert_eq!(run.code, 1);
    let failure = run.stdout.split("\n\n").next().unwrap_or_default();
    insta::assert_snapshot!("test_failing_example", failure);
    assert!(run.stdout.trim_end().ends_with("examples passed, 1 failed"), "{}", run.stdout);
}

#[test]
fn list_shows_user_rules_first_as_table_and_json() {
    let rules = "/// Acme's gateway: quota wording.\nrule acme.quota {\n    when text ~ \"acme quota reached\"\n    reason mailboxfull\n    example \"452 acme quota reached\" => mailboxfull\n}\n";
    let dir = rule_dir("acme.rules", rules);
    let table = run_in(dir.path(), &["rules", "list", "--rules", "acme.rules"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    let mut lines = table.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["ID", "LOCATION", "PROVIDERS", "REASON", "ORIGIN", "PRIORITY"]);
    let first: Vec<&str> = lines.next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(first, ["acme.quota", "acme.rules:2", "-", "mailboxfull", "user", "0"]);
    assert!(table.stdout.contains("gmail.mailbox-full"));

    let json = run_in(dir.path(), &["rules", "list", "--rules", "acme.rules", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(rows[0]["id"], "acme.quota");
    assert_eq!(rows[0]["origin"], "user");
    assert_eq!(rows[0]["doc"], "Acme's gateway: quota wording.");
    assert_eq!(rows[0]["examples"][0], "example \"452 acme quota reached\" => mailboxfull");
}

#[test]
fn explain_a_gmail_over_quota_line() {
    let text = "452 4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp";
    let run = run_in(&root(), &["rules", "explain", text, "--recipient", "ann@gmail.com"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_gmail_over_quota", run.stdout);
}

#[test]
fn explain_the_seed_s3150_line() {
    let text = "550 5.7.1 Messages from [23.251.255.157] weren't sent. Part of their network is on our block list (S3150).";
    let run = run_in(&root(), &["rules", "explain", text]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_seed_s3150", run.stdout);
}

#[test]
fn explain_with_options_forces_provider_stage_and_codes() {
    let text = "The email account that you tried to reach is inactive.";
    let args = [
        "rules",
        "explain",
        text,
        "--provider",
        "gmail",
        "--status",
        "5.2.1",
        "--reply-code",
        "550",
        "--stage",
        "rcpt",
    ];
    let run = run_in(&root(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("winner: gmail.account-inactive ("), "{}", run.stdout);
    assert!(run.stdout.contains("  provider         gmail\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  stage            rcpt\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  reason           suspend\n"), "{}", run.stdout);
}

#[test]
fn explain_forces_a_provider_defined_in_a_user_file() {
    let dir = rule_dir(
        "acme.rules",
        r#"/// ACME hosted mail.
provider acme {
    domains = ["acme.example"]
}

/// ACME: its quota code.
rule acme.quota {
    provider acme
    when text ~ /\bAQ\d+\b/
    reason mailboxfull
    example "552 mailbox over limit AQ12" reply 552 provider acme => mailboxfull
}
"#,
    );
    let rules = dir.path().to_string_lossy().into_owned();
    let args = [
        "rules",
        "explain",
        "552 mailbox over limit AQ12",
        "--provider",
        "acme",
        "--rules",
        &rules,
    ];
    let run = run_in(&root(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("winner: acme.quota ("), "{}", run.stdout);
    assert!(run.stdout.contains("  provider         acme\n"), "{}", run.stdout);
}

#[test]
fn explain_rejects_bad_arguments_without_panicking() {
    let cases: [(&[&str], &str); 4] = [
        (&["--stage", "rcpt-to"], "unknown stage `rcpt-to`"),
        (&["--provider", "gmial"], "unknown provider `gmial`"),
        (&["--status", "5.7"], "bad status `5.7`"),
        (&["--reply-code", "55"], "bad reply code `55`"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["rules", "explain", "550 rejected"];
        args.extend_from_slice(extra);
        let run = run_in(&root(), &args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn explain_a_fixture_message() {
    let run = run_in(&root(), &["explain", "tests/fixtures/exim/mailbox-full.eml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_exim_mailbox_full", run.stdout);
}

#[test]
fn explain_a_missing_file_fails_cleanly() {
    let run = run_in(&root(), &["explain", "tests/fixtures/no-such-file.eml"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("error: cannot access"), "{}", run.stderr);
}

#[test]
fn explain_with_broken_rules_prints_the_rule_errors() {
    let dir = rule_dir("broken.rules", BROKEN);
    let fixture = root().join("tests/fixtures/exim/mailbox-full.eml");
    let fixture = fixture.to_str().expect("a UTF-8 path");
    let run = run_in(dir.path(), &["explain", fixture, "--rules", "broken.rules"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[unknown-field]"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.rules:3:10"), "{}", run.stderr);
}
