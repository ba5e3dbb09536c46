//! Hostile sizes and shapes given to the command line (issue 14): each attack ends with a clear
//! error naming what to change, never a crash, a hang or unbounded memory.

use std::path::Path;

mod support;

use support::run;

fn stderr_of(args: &[&str]) -> (i32, String) {
    let out = run(args);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn archive(dir: &Path) -> String {
    let text = support::dsn(1, "ann@example.net", "5.1.1", "550 5.1.1 user unknown", 10, 1);
    let path = dir.join("bounces.mbox");
    std::fs::write(&path, text).expect("write the archive");
    path.display().to_string()
}

#[test]
fn threads_beyond_the_cap_are_a_usage_error_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let (code, stderr) = stderr_of(&["classify", "--threads", "100000", &mbox]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--threads") && stderr.contains("1..=1024"), "{stderr}");
    let (code, stderr) = stderr_of(&["classify", "--threads", "0", &mbox]);
    assert_eq!(code, 2, "{stderr}");
    let out = run(&["classify", "--threads", "1024", &mbox]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ann@example.net"));
}

/// A template of 1e10 iterations (100,000 × 100,000: `range` refuses more than 100,000).
fn loop_template(dir: &Path, body: &str) -> String {
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let source = format!(
        "{{% for a in range(100000) %}}{{% for b in range(100000) %}}{body}{{% endfor %}}{{% endfor %}}"
    );
    std::fs::write(templates.join("loop.txt"), source).unwrap();
    templates.display().to_string()
}

#[test]
fn a_template_with_a_huge_loop_ends_with_a_clear_error_and_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let out = dir.path().join("report.txt");
    let out_arg = out.display().to_string();
    let templates = loop_template(dir.path(), "0123456789");
    let base = ["report", "-q", "--templates", &templates, "-t", "loop.txt", "-o", &out_arg];
    let (code, stderr) = stderr_of(&[&base[..], &["--max-report-bytes", "100000", &mbox]].concat());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("wrote more than 100000 bytes")
            && stderr.contains("raise the limit with --max-report-bytes"),
        "{stderr}"
    );
    let silent = loop_template(dir.path(), "");
    let base = ["report", "-q", "--templates", &silent, "-t", "loop.txt", "-o", &out_arg];
    let (code, stderr) = stderr_of(&[&base[..], &["--template-fuel", "100000", &mbox]].concat());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("ran out of fuel after 100000 instructions")
            && stderr.contains("--template-fuel"),
        "{stderr}"
    );
    assert!(!out.exists(), "no report is written");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_template_file_ten_times_the_cap_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    // 160 MiB, ten times the 16 MiB default: sparse, so the test writes nothing to disk.
    let big = std::fs::File::create(templates.join("big.txt")).unwrap();
    big.set_len(160 << 20).unwrap();
    let templates = templates.display().to_string();
    let (code, stderr) = stderr_of(&["report", "-q", "--templates", &templates, &mbox]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("big.txt is larger than 16777216 bytes")
            && stderr.contains("--max-template-bytes"),
        "{stderr}"
    );
}

#[test]
fn dev_zero_as_a_rules_file_fails_fast_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path());
    for args in [&["rules", "check", "/dev/zero"][..], &["classify", "--rules", "/dev/zero", &mbox]]
    {
        let (code, stderr) = stderr_of(args);
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("rule file is larger than 16777216 bytes")
                && stderr.contains("--max-rules-bytes")
                && stderr.contains("/dev/zero"),
            "{stderr}"
        );
    }
    // Ten times the default, as a (sparse) regular file.
    let big = dir.path().join("big.rules");
    std::fs::File::create(&big).unwrap().set_len(160 << 20).unwrap();
    let big = big.display().to_string();
    let (code, stderr) = stderr_of(&["rules", "check", &big]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--max-rules-bytes"), "{stderr}");
    let (_, stderr) = stderr_of(&["rules", "check", "--max-rules-bytes", "1000", "rules"]);
    assert!(stderr.contains("larger than 1000 bytes"), "the flag sets the cap: {stderr:.300}");
}

#[test]
fn a_ten_megabyte_literal_in_a_rule_is_one_short_error() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("huge.rules");
    let text = format!(
        "/// d\nrule a.b {{\n  when text ~ \"{}\"\n  reason blocked\n}}\n",
        "x".repeat(10_000_000)
    );
    std::fs::write(&rules, text).unwrap();
    let rules = rules.display().to_string();
    let (code, stderr) = stderr_of(&["rules", "check", &rules]);
    assert_eq!(code, 1, "{stderr:.300}");
    assert!(stderr.contains("huge.rules:3:15"), "{stderr:.300}");
    assert!(stderr.contains("--max-rule-literal"), "{stderr:.300}");
    assert!(stderr.len() < 1_000, "{} bytes of errors", stderr.len());
}
