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
