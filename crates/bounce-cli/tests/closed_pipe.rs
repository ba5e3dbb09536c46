//! Every command ends quietly on a closed stdout, as `cat` and `grep` do under `| head`: exit
//! 0 and nothing on stderr (no "Broken pipe", no panic, no summary).
//!
//! Each command runs twice on an archive generated here (3,000 bounces, megabytes of output,
//! far more than a pipe buffer holds): once with a reader that takes the first line and then
//! closes the pipe, as `head -1` does, and once with the pipe closed before the command writes
//! anything. The few commands whose whole output fits in a pipe buffer (`rules check`,
//! `templates list`, …) only meet the closed pipe in the second run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

mod support;

/// Bounces in the generated archive.
const MESSAGES: usize = 3_000;

/// The archive, written once per test run under cargo's temporary folder for tests.
fn archive() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let mut text = String::new();
        for n in 0..MESSAGES {
            let recipient = format!("user{n}@example{}.net", n % 7);
            // Half are unknown users (a long suppression list), half are texts no specific
            // rule knows, each with its own word (as many `rules gaps` clusters).
            let (status, diagnostic) = if n % 2 == 0 {
                ("5.1.1", "550 5.1.1 user unknown".to_owned())
            } else {
                ("5.0.0", format!("550 5.0.0 refused by the {} gateway", word(n)))
            };
            let (hour, minute) = (n * 24 / MESSAGES, n % 60);
            text += &support::dsn(n, &recipient, status, &diagnostic, hour, minute);
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join("closed-pipe-archive.mbox");
        let partial = dir.join(format!("closed-pipe-archive.{}.tmp", std::process::id()));
        std::fs::write(&partial, text).expect("write the archive");
        std::fs::rename(&partial, &path).expect("move the archive into place");
        path
    })
}

/// A word of letters only for `n` (numbers would be masked into one cluster).
fn word(mut n: usize) -> String {
    let mut out = String::from("q");
    loop {
        out.push(char::from(b'a' + u8::try_from(n % 26).expect("a letter")));
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bounce-triage"));
    command
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `args`, reads the first line of stdout, closes the pipe and waits.
fn first_line_then_close(args: &[&str]) -> (String, Output) {
    let mut child = command(args).spawn().expect("the binary runs");
    let mut line = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        reader.read_line(&mut line).expect("read the first line");
    } // the read end is closed here
    (line, child.wait_with_output().expect("the binary finishes"))
}

/// Runs `args` with stdout's read end closed before the command writes anything.
fn closed_from_the_start(args: &[&str]) -> Output {
    let mut child = command(args).spawn().expect("the binary runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary finishes")
}

/// Both runs of `args` end with exit 0 and an empty stderr.
fn ends_quietly(args: &[&str]) {
    let (line, out) = first_line_then_close(args);
    assert!(!line.is_empty(), "{args:?} wrote nothing: {}", String::from_utf8_lossy(&out.stderr));
    check(args, "after the first line", &out);
    check(args, "from the start", &closed_from_the_start(args));
}

fn check(args: &[&str], when: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}, pipe closed {when}: {stderr}");
    assert!(stderr.is_empty(), "{args:?}, pipe closed {when}, wrote on stderr: {stderr}");
}

fn with_archive<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.push(archive().to_str().expect("a UTF-8 path"));
    all
}

#[test]
fn classify_jsonl_ends_quietly() {
    ends_quietly(&with_archive(&["classify", "--format", "jsonl"]));
}

#[test]
fn classify_csv_ends_quietly() {
    ends_quietly(&with_archive(&["classify", "--format", "csv"]));
}

#[test]
fn classify_table_ends_quietly() {
    ends_quietly(&with_archive(&["classify", "--format", "table"]));
}

/// Without `--groups` the records reach the output as lines encoded by the workers: a closed
/// pipe still lets the run finish and the summary count every message and record.
#[test]
fn classify_jsonl_with_a_summary_file_reads_to_the_end_after_the_pipe_closes() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let summary = dir.path().join("summary.json");
    let summary_arg = summary.to_str().unwrap();
    let whole = command(&with_archive(&["classify", "--format", "jsonl", "-q"]))
        .output()
        .expect("the binary runs");
    let lines = whole.stdout.iter().filter(|&&b| b == b'\n').count();
    assert!(lines > 10, "the archive gives records: {lines}");
    ends_quietly(&with_archive(&["classify", "--format", "jsonl", "--summary", summary_arg]));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary written")).unwrap();
    assert_eq!(summary["messages"], MESSAGES, "the summary covers the whole run");
    assert_eq!(summary["records"], lines, "and every record");
}

#[test]
fn classify_with_groups_and_summary_files_ends_quietly_and_writes_them() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let groups = dir.path().join("groups.json");
    let summary = dir.path().join("summary.json");
    let (groups_arg, summary_arg) = (groups.to_str().unwrap(), summary.to_str().unwrap());
    ends_quietly(&with_archive(&["classify", "--groups", groups_arg, "--summary", summary_arg]));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary written")).unwrap();
    assert_eq!(summary["messages"], MESSAGES, "the files cover the whole run");
    assert!(groups.is_file());
}

#[test]
fn suppress_ends_quietly() {
    ends_quietly(&with_archive(&["suppress"]));
}

#[test]
fn report_ends_quietly() {
    ends_quietly(&with_archive(&["report"]));
    ends_quietly(&with_archive(&["report", "-t", "suppression"]));
}

#[test]
fn explain_ends_quietly() {
    ends_quietly(&with_archive(&["explain"]));
}

#[test]
fn rules_commands_end_quietly() {
    ends_quietly(&["rules", "list"]);
    ends_quietly(&["rules", "list", "--format", "json"]);
    ends_quietly(&["rules", "check"]);
    ends_quietly(&["rules", "test"]);
    ends_quietly(&["rules", "explain", "550 5.1.1 user unknown"]);
    ends_quietly(&with_archive(&["rules", "gaps", "--top", "100000"]));
}

#[test]
fn templates_completions_and_man_end_quietly() {
    ends_quietly(&["templates", "list"]);
    ends_quietly(&["completions", "bash"]);
    ends_quietly(&["man"]);
}
