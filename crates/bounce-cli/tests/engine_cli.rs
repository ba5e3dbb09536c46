//! End-to-end tests of the engine options: `--threads`, `--format`, `--groups`,
//! `--fail-on-incident` and the `suppress` command.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod support;

use support::dsn;

fn archive(dir: &Path) -> std::path::PathBuf {
    let mut text = String::new();
    let mut n = 0;
    for hour in 0..4 {
        n += 1;
        text +=
            &dsn(n, &format!("base{hour}@example.net"), "5.1.1", "550 5.1.1 user unknown", hour, 0);
    }
    for minute in 0..8 {
        n += 1;
        text += &dsn(
            n,
            &format!("burst{minute}@example.net"),
            "5.1.1",
            "550 5.1.1 user unknown",
            5,
            minute,
        );
    }
    for hour in 6..9 {
        n += 1;
        text += &dsn(n, "full@example.org", "5.2.2", "552 5.2.2 mailbox full", hour, 0);
        n += 1;
        text += &dsn(
            n,
            "slow@example.org",
            "4.7.0",
            "421 4.7.0 too many connections, try later",
            hour,
            0,
        );
    }
    n += 1;
    text += &dsn(n, "late@example.net", "5.1.1", "550 5.1.1 user unknown", 10, 0);
    let path = dir.join("bounces.mbox");
    std::fs::write(&path, text).expect("write archive");
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage")).args(args).output().expect("runs")
}

#[test]
fn the_same_records_whatever_the_thread_count() {
    let dir = tempfile::tempdir().expect("dir");
    let mbox = archive(dir.path());
    let mbox = mbox.to_str().expect("utf-8");
    let one = run(&["classify", mbox, "--threads", "1", "--quiet"]);
    let four = run(&["classify", mbox, "--threads", "4", "--quiet"]);
    assert!(one.status.success());
    assert_eq!(String::from_utf8_lossy(&one.stdout).lines().count(), 19, "piped output is jsonl");
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn csv_output_neutralises_formulas_and_keeps_addresses() {
    let dir = tempfile::tempdir().expect("dir");
    let mbox = archive(dir.path());
    let out = dir.path().join("records.csv");
    let status = run(&[
        "classify",
        mbox.to_str().expect("utf-8"),
        "--format",
        "csv",
        "-o",
        out.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert!(status.status.success());
    let text = std::fs::read_to_string(out).expect("csv written");
    let mut lines = text.lines();
    assert!(lines.next().expect("header").starts_with("path,message,offset,recipient"));
    let first = lines.next().expect("row");
    assert!(first.contains(",base0@example.net,"));
    assert!(first.contains("'=HYPERLINK"), "{first}");
}

#[test]
fn groups_are_written_and_an_incident_exits_with_4() {
    let dir = tempfile::tempdir().expect("dir");
    let mbox = archive(dir.path());
    let groups = dir.path().join("groups.json");
    let output = run(&[
        "classify",
        mbox.to_str().expect("utf-8"),
        "--groups",
        groups.to_str().expect("utf-8"),
        "--fail-on-incident",
        "--format",
        "jsonl",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(4));
    let aggregates: Value =
        serde_json::from_slice(&std::fs::read(&groups).expect("groups written")).expect("json");
    let spikes = aggregates["spikes"].as_array().expect("spikes");
    assert_eq!(spikes.len(), 1);
    assert_eq!(spikes[0]["window_start"], "2026-06-11T05:00:00Z");
    assert!(aggregates["groups"]
        .as_array()
        .is_some_and(|g| g.iter().any(|g| g["key"]["recipient_domain"] == "example.net")));
    let calm = run(&[
        "classify",
        mbox.to_str().expect("utf-8"),
        "--spike-min",
        "50",
        "--fail-on-incident",
        "--quiet",
    ]);
    assert_eq!(calm.status.code(), Some(0));
}

#[test]
fn suppress_writes_suppress_keep_and_state_files() {
    let dir = tempfile::tempdir().expect("dir");
    let mbox = archive(dir.path());
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    let output = run(&[
        "suppress",
        mbox.to_str().expect("utf-8"),
        "-o",
        &path("list.csv"),
        "--keep",
        &path("keep.csv"),
        "--state",
        &path("state.json"),
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let list = std::fs::read_to_string(path("list.csv")).expect("list");
    let keep = std::fs::read_to_string(path("keep.csv")).expect("keep");
    assert!(list.starts_with(
        "address,list,reason,rule_id,why,attempts,path,message,offset,date,message_id"
    ));
    assert!(list.contains("base0@example.net,suppress,userunknown"));
    assert!(list.contains("late@example.net,suppress"));
    assert!(list.contains("full@example.org,suppress,mailboxfull"), "three quota failures: {list}");
    assert!(keep.contains("burst0@example.net,keep,userunknown"), "inside the spike: {keep}");
    assert!(keep.contains("slow@example.org,keep"));
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(path("state.json")).expect("state"))
            .expect("json");
    assert_eq!(state["version"], 1);
    assert!(state["quota"]["full@example.org"]["attempts"]
        .as_array()
        .is_some_and(|a| a.len() == 3));
}
