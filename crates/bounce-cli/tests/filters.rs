//! Record filters from the command line: `--since`/`--until` read by one date library (jiff),
//! so an impossible date is an error naming the flag and the value, never another date; a
//! provider, category or group key that does not exist is an error listing those that do.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;

/// Five bounces on 11 June 2026 at 00:00, 01:00, …, 04:00 UTC.
fn archive(dir: &Path) -> PathBuf {
    let text: String = (0..5)
        .map(|hour| {
            let to = format!("user{hour}@example.net");
            support::dsn(hour, &to, "5.1.1", "550 5.1.1 user unknown", hour, 0)
        })
        .collect();
    let path = dir.join("bounces.mbox");
    std::fs::write(&path, text).expect("write the archive");
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage")).args(args).output().expect("runs")
}

/// The number of records `classify` keeps with `extra`.
fn kept(mbox: &str, extra: &[&str]) -> usize {
    let out = run(&[&["classify", mbox, "-q", "--format", "jsonl"], extra].concat());
    assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn impossible_dates_are_errors_naming_the_flag_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    for flag in ["--since", "--until"] {
        for value in
            ["2026-02-31", "2026-06-11T25:00:00Z", "2026-13-01", "2026-06-11T10:61", "yesterday"]
        {
            let out = run(&["classify", mbox, flag, value]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
            assert!(
                err.contains(&format!("invalid value '{value}' for '{flag} <TIME>'")),
                "{flag} {value}: {err}"
            );
            assert!(err.contains("RFC 3339"), "the accepted forms are named: {err}");
            assert!(out.stdout.is_empty());
        }
    }
}

#[test]
fn rfc3339_dates_and_zoneless_times_select_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    assert_eq!(kept(mbox, &[]), 5);
    assert_eq!(kept(mbox, &["--since", "2026-06-11T02:00:00Z"]), 3);
    assert_eq!(kept(mbox, &["--since", "2026-06-11T04:00:00+02:00"]), 3, "02:00 UTC");
    assert_eq!(kept(mbox, &["--since", "2026-06-11T02:00"]), 3, "no zone is UTC");
    assert_eq!(kept(mbox, &["--since", "2026-06-11 02:00:00"]), 3);
    assert_eq!(kept(mbox, &["--until", "2026-06-11T02:00:00Z"]), 2, "until is exclusive");
    assert_eq!(kept(mbox, &["--since", "2026-06-11"]), 5, "a date is its start");
    assert_eq!(kept(mbox, &["--until", "2026-06-11"]), 5, "…or for --until its end");
    assert_eq!(kept(mbox, &["--until", "2026-06-10"]), 0);
    assert_eq!(kept(mbox, &["--since", "2026-06-12"]), 0);
}

#[test]
fn an_unknown_provider_is_an_error_listing_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    for command in ["classify", "suppress", "report", "explain"] {
        let out = run(&[command, mbox, "--provider", "nosuch"]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: unknown provider `nosuch` for --provider (known: "),
            "{err}"
        );
        assert!(err.contains("gmail, ") && err.contains(", other)"), "{err}");
        assert!(out.stdout.is_empty(), "{command}");
    }
    let out = run(&["rules", "gaps", mbox, "--provider", "nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    // Known names are accepted in any case; `other` is what no provider claims.
    assert_eq!(kept(mbox, &["--provider", "Gmail"]), 0);
    assert_eq!(kept(mbox, &["--provider", "other"]), 5);
}

#[test]
fn an_unknown_category_or_group_key_is_an_error_listing_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().unwrap();
    let out = run(&["classify", mbox, "--category", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'nosuch' for '--category <NAME>'"), "{err}");
    assert!(err.contains("invalid-recipient") && err.contains("mailbox-full"), "{err}");
    assert_eq!(kept(mbox, &["--category", "invalid-recipient"]), 5);

    let out = run(&["report", mbox, "--group", "provider,nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown group key `nosuch` (known: category, reason, "), "{err}");
}
