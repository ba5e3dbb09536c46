//! Bounce text and file names never drive the terminal: escapes (OSC window title, clear
//! screen, OSC 8 links), other control characters and bidi overrides from a bounce or a path
//! reach neither stdout nor stderr of the table, `explain` or `rules gaps`, nor any warning or
//! error line; they are shown as visible escapes instead.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The hostile text: a window title, a clear screen, an OSC 8 link, a right-to-left override,
/// an isolate, a C1 CSI and a bell.
const HOSTILE: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{202e}txt.exe\u{2066}x\u{2069} \u{9b}31m";

/// An archive of two bounces carrying [`HOSTILE`] in the diagnostic, the recipient's display,
/// the subject and the returned headers, under a file name with a newline and an escape.
fn hostile_archive(dir: &Path) -> PathBuf {
    let diagnostic = format!("550 5.0.0 strange refusal {HOSTILE} end");
    let mut archive = support::dsn_with_header(
        1,
        &format!("ann@example.net {HOSTILE}"),
        "5.0.0",
        &diagnostic,
        (10, 0),
        &format!("Subject: {HOSTILE}"),
    );
    archive.push('\n');
    archive.push_str(&support::dsn(2, "bob@example.net", "5.0.0", &diagnostic, 10, 5));
    let path = dir.join("bounces\nwarning: forged line \u{1b}[31m.mbox");
    std::fs::write(&path, archive.replace("Subject: Undelivered", &format!("Subject: {HOSTILE}")))
        .expect("archive written");
    path
}

/// A damaged gzip whose name carries an escape: its error line names it.
fn damaged_gzip(dir: &Path) -> PathBuf {
    let path = dir.join("damaged\u{1b}]0;title\u{7}.mbox.gz");
    std::fs::write(&path, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage").expect("written");
    path
}

fn run(args: &[&str], inputs: &[&Path]) -> (Vec<u8>, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .args(args)
        .args(inputs)
        .env("COLUMNS", "250")
        .output()
        .expect("bounce-triage runs");
    (out.stdout, out.stderr)
}

/// The bytes that must never reach a terminal from data: ESC, BEL, other C0 but newline, C1
/// (as UTF-8), and the bidi overrides and isolates.
fn assert_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    });
    assert!(bad.is_none(), "{what} carries {bad:?}:\n{text}");
    // A file name's newline never starts a line of its own.
    assert!(!text.lines().any(|line| line.starts_with("warning: forged")), "{what}:\n{text}");
}

#[test]
fn no_escape_or_bidi_byte_reaches_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = hostile_archive(dir.path());
    let damaged = damaged_gzip(dir.path());
    let inputs = [archive.as_path(), damaged.as_path()];
    let (stdout, stderr) = run(&["classify", "--format", "table"], &inputs);
    let table = String::from_utf8_lossy(&stdout);
    assert!(table.contains("ann@example.net"), "{table}");
    assert!(table.contains("\\u{1b}"), "the escape is shown, not obeyed: {table}");
    assert_safe("classify --format table stdout", &stdout);
    assert_safe("classify stderr", &stderr);
    assert!(
        String::from_utf8_lossy(&stderr).contains("damaged\\u{1b}]0;title"),
        "the path is named"
    );

    let (stdout, stderr) = run(&["explain"], &inputs);
    let explained = String::from_utf8_lossy(&stdout);
    assert!(explained.contains("strange refusal \\u{1b}]0;pwned\\u{7}"), "{explained}");
    assert!(explained.contains("bounces\\nwarning: forged line \\u{1b}[31m.mbox"), "{explained}");
    assert_safe("explain stdout", &stdout);
    assert_safe("explain stderr", &stderr);

    let (stdout, stderr) = run(&["rules", "gaps"], &inputs);
    let gaps = String::from_utf8_lossy(&stdout);
    assert!(gaps.contains("strange refusal"), "{gaps}");
    assert_safe("rules gaps stdout", &stdout);
    assert_safe("rules gaps stderr", &stderr);

    // The data formats stay byte-exact: JSON escapes the controls itself.
    let (stdout, _) = run(&["classify", "--format", "jsonl", "--quiet"], &inputs);
    let jsonl = String::from_utf8_lossy(&stdout);
    assert!(jsonl.contains("\\u001b]0;pwned\\u0007"), "{jsonl}");
    assert!(jsonl.contains('\u{202e}'), "JSON keeps the text as it was: {jsonl}");
}
