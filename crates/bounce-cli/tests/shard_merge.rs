//! `--shard K/N` and `merge` from the command line (issue 17): the shards of two files,
//! merged, are the unsharded run's records, summary, groups, suppression state and lists,
//! byte for byte; merge refuses files it cannot merge.

use std::path::{Path, PathBuf};
use std::process::Command;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/bounces.mbox")
}

/// Runs the binary with `args`, asserting success.
fn ok(args: &[&str]) {
    let out = binary().args(args).output().expect("run bounce-triage");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn merged_shards_are_the_whole_run_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir(&input).expect("mkdir");
    let archive = std::fs::read(example()).expect("example");
    std::fs::write(input.join("a.mbox"), &archive).expect("write");
    // The second file: the first half again, as other messages (other Message-IDs and
    // envelope ids). The same messages in two files would be one attempt each in one run but
    // two in two shards: attempts are recognised within a run or shard (docs/shards.md).
    let half = String::from_utf8_lossy(&archive[..archive.len() / 2])
        .replace("-ID: <", "-ID: <copy.")
        .replace("-Id: <", "-Id: <copy.")
        .replace("Original-Envelope-Id: ", "Original-Envelope-Id: copy.");
    std::fs::write(input.join("b.mbox"), half).expect("write");
    let at = |name: &str| dir.path().join(name);
    ok(&[
        "classify",
        s(&input),
        "-q",
        "-o",
        s(&at("all.jsonl")),
        "--summary",
        s(&at("all.summary")),
        "--groups",
        s(&at("all.groups")),
    ]);
    ok(&["suppress", s(&input), "-q", "-o", s(&at("all.csv")), "--state", s(&at("all.state"))]);

    let (mut records, mut summaries, mut groups, mut states) = (vec![], vec![], vec![], vec![]);
    for file in ["a.mbox", "b.mbox"] {
        for k in 1..=3 {
            let part = |kind: &str| at(&format!("{file}.{k}.{kind}"));
            let path = input.join(file);
            let shard = format!("{k}/3");
            ok(&[
                "classify",
                s(&path),
                "--shard",
                &shard,
                "-q",
                "-o",
                s(&part("jsonl")),
                "--summary",
                s(&part("summary")),
                "--groups",
                s(&part("groups")),
            ]);
            ok(&[
                "suppress",
                s(&path),
                "--shard",
                &shard,
                "-q",
                "-o",
                "/dev/null",
                "--state",
                s(&part("state")),
            ]);
            records.push(std::fs::read(part("jsonl")).expect("records"));
            summaries.push(part("summary"));
            groups.push(part("groups"));
            states.push(part("state"));
        }
    }
    assert_eq!(records.concat(), std::fs::read(at("all.jsonl")).expect("records"));
    // Merged in a shuffled order: merging is commutative.
    for (command, mut parts, whole) in [
        ("summary", summaries, "all.summary"),
        ("groups", groups, "all.groups"),
        ("state", states, "all.state"),
    ] {
        parts.reverse();
        let merged = at(&format!("merged.{command}"));
        let mut args = vec!["merge", command];
        args.extend(parts.iter().map(|p| s(p)));
        args.extend(["-o", s(&merged)]);
        ok(&args);
        assert_eq!(
            std::fs::read_to_string(&merged).expect("merged"),
            std::fs::read_to_string(at(whole)).expect("whole"),
            "merge {command}"
        );
    }
    // The lists come from every record, read back.
    let parts: Vec<PathBuf> = ["a.mbox", "b.mbox"]
        .iter()
        .flat_map(|f| (1..=3).map(move |k| format!("{f}.{k}.jsonl")))
        .map(|name| at(&name))
        .collect();
    let merged_csv = at("merged.csv");
    let mut args = vec!["suppress", "-q", "-o", s(&merged_csv)];
    args.extend(parts.iter().map(|p| s(p)));
    ok(&args);
    assert_eq!(std::fs::read(&merged_csv).unwrap(), std::fs::read(at("all.csv")).unwrap());
}

#[test]
fn merge_refuses_what_it_cannot_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let finished = dir.path().join("groups.json");
    ok(&["classify", s(&example()), "-q", "-o", "/dev/null", "--groups", s(&finished)]);
    let out = binary().args(["merge", "groups", s(&finished)]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a partial groups file"), "{stderr}");
    assert!(stderr.contains("--shard K/N --groups"), "{stderr}");
    let out = binary().args(["merge", "state", s(&finished)]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot merge"));
}
