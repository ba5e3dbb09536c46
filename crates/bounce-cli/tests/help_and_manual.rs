//! The help, the shell completions and the manual page, all generated from the one clap
//! definition: flags grouped under headings with the command's own first and the limits last.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage")).args(args).output().expect("runs")
}

fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The headings of a help text, in order.
fn headings(help: &str) -> Vec<&str> {
    help.lines().filter(|l| !l.starts_with(' ') && l.ends_with(':')).collect()
}

#[test]
fn reading_commands_group_their_flags_under_headings() {
    let help = stdout(&["classify", "--help"]);
    assert_eq!(
        headings(&help),
        [
            "Arguments:",
            "Options:",
            "Output:",
            "Incidents:",
            "Input:",
            "Rules:",
            "Filters:",
            "DNS:",
            "Limits:"
        ],
        "{help}"
    );
    let at = |flag: &str| help.find(flag).unwrap_or_else(|| panic!("{flag} in {help}"));
    assert!(at("--output <FILE>") < at("--max-message-size"));
    assert!(at("--format <FORMAT>") < at("--max-message-size"));
    assert!(help.contains("read as UTC"), "--since names its forms: {help}");
    for command in [&["suppress"][..], &["report"], &["explain"], &["rules", "gaps"]] {
        let help = stdout(&[command, &["--help"][..]].concat());
        let found = headings(&help);
        for heading in ["Input:", "Rules:", "Filters:", "Limits:"] {
            assert!(found.contains(&heading), "{command:?}: {heading} in {found:?}");
        }
        assert_eq!(found.last(), Some(&"Limits:"), "{command:?}");
    }
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        assert!(script.contains("bounce-triage"), "{shell}");
        assert!(script.contains("classify") && script.contains("--since"), "{shell}");
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_manual_page_is_printed_or_written_per_command() {
    let page = stdout(&["man"]);
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page:.200}");
    assert!(page.contains(".TH bounce-triage 1"), "{page:.400}");
    assert!(page.contains("bounce\\-triage\\-classify(1)"), "the subcommands are referenced");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = run(&["man", "--dir", dir.path().to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for name in ["bounce-triage.1", "bounce-triage-classify.1", "bounce-triage-rules-gaps.1"] {
        let text = std::fs::read_to_string(dir.path().join(name)).expect(name);
        assert!(text.contains(".SH NAME"), "{name}");
    }
    let classify = std::fs::read_to_string(dir.path().join("bounce-triage-classify.1")).unwrap();
    assert!(classify.contains("\\-\\-since"), "the page lists the flags");
}
