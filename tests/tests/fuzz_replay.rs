//! Replays every committed fuzz input on the stable compiler.
//!
//! `cargo xtask fuzz` keeps a minimised corpus per target in `fuzz/corpus/<target>/`, and every
//! crash the fuzzers ever found is kept as a regression input in `fuzz/artifacts/<target>/`
//! (raw `crash-*`, `oom-*`, `timeout-*` and `slow-unit-*` findings are not committed, and are
//! skipped here until they are renamed into regressions). Each input runs through the same
//! harness functions as the libFuzzer binaries (`fuzz/harness.rs`), so CI re-checks every input
//! ever found without a nightly compiler.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the fuzz project lives, relative to this package.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Prefixes libFuzzer gives raw findings, which are not regression inputs yet.
const RAW_FINDINGS: &[&str] = &["crash-", "oom-", "timeout-", "slow-unit-", "leak-"];

/// The inputs of `target`: its corpus and its regression inputs, sorted by path.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for dir in [fuzz_dir().join("corpus").join(target), fuzz_dir().join("artifacts").join(target)] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_file()
                && !name.starts_with('.')
                && !RAW_FINDINGS.iter().any(|prefix| name.starts_with(prefix))
            {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
}

/// Runs `harness` over every input of `target`; each input must finish in a bounded time.
fn replay(target: &str, harness: fn(&[u8])) -> usize {
    let paths = inputs(target);
    for path in &paths {
        let data = fs::read(path).expect("fuzz input is readable");
        let started = Instant::now();
        harness(&data);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(10),
            "{} took {elapsed:?}, longer than the fuzzer's timeout",
            path.display()
        );
    }
    paths.len()
}

#[test]
fn split_corpus_replays() {
    let count = replay("split", harness::split);
    assert!(count > 0, "fuzz/corpus/split is empty; run `cargo xtask fuzz --target split`");
}

#[test]
fn extract_corpus_replays() {
    let count = replay("extract", harness::extract_message);
    assert!(count > 0, "fuzz/corpus/extract is empty; run `cargo xtask fuzz --target extract`");
}

#[test]
fn rules_corpus_replays() {
    let count = replay("rules", harness::rules);
    assert!(count > 0, "fuzz/corpus/rules is empty; run `cargo xtask fuzz --target rules`");
}

#[test]
fn report_corpus_replays() {
    let count = replay("report", harness::report);
    assert!(count > 0, "fuzz/corpus/report is empty; run `cargo xtask fuzz --target report`");
}

#[test]
fn sources_corpus_replays() {
    // The committed corpus, when there is one; the fixtures are read by every source.
    replay("sources", harness::sources);
    let fixtures =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/bounce-engine/tests/fixtures");
    let mut read = 0;
    let entries = std::fs::read_dir(&fixtures)
        .expect("fixtures")
        .chain(std::fs::read_dir(fixtures.join("esp")).expect("esp fixtures"));
    for entry in entries.flatten() {
        let Ok(data) = std::fs::read(entry.path()) else { continue };
        for control in 0..10u8 {
            let mut input = vec![control];
            input.extend_from_slice(&data);
            harness::sources(&input);
            read += 1;
        }
    }
    assert!(read >= 10 * 5, "{read} inputs");
}

#[test]
fn harnesses_accept_degenerate_inputs() {
    for data in [&b""[..], b"\0", b"From ", b"\x1f\x8b", b"\xff\xfe\xfd", b"\n\n\n", b"rule {"] {
        harness::split(data);
        harness::extract_message(data);
        harness::rules(data);
        harness::report(data);
        harness::sources(data);
    }
}

#[test]
fn harness_rejects_markup_probe_only_when_rendered_raw() {
    // A bounce whose diagnostic carries the probe tag: the HTML report must escape it, so the
    // report harness (which asserts the tag never appears raw) passes.
    let message = format!(
        "From: MAILER-DAEMON@mx.example.org\nTo: a@example.com\nSubject: failure notice\n\n\
         Hi. This is the qmail-send program at mx.example.org.\n\
         I'm afraid I wasn't able to deliver your message to the following addresses.\n\n\
         <x@example.org>:\n{}>alert(1)</bt-probe> no mailbox here (#5.1.1)\n",
        harness::MARKUP_PROBE
    );
    harness::report(message.as_bytes());
}

/// Found by the `report` fuzzer (10 crash inputs, all this one bug; this is the smallest): a
/// delayed Postfix DSN from `examples/bounces.mbox` with mutated headers and a notice cut into
/// the middle of a Gmail DMARC reply. Rendering `esp-escalation.md` fails with "line 53:
/// undefined value": the template reads `g.evidence[0].fields` for a group that has no
/// evidence row. Kept failing until the template (or the context) handles an empty evidence
/// list.
#[test]

fn report_group_without_evidence_renders() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hostile/report-undefined-evidence.mbox");
    let data = fs::read(path).expect("regression input is readable");
    harness::report(&data);
}
