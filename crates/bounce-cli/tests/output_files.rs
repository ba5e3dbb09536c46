//! Output files: an error names the path the user gave (never a temporary file), a
//! destination is checked before any input is read, and a file is created as any new file
//! is, with the permissions the umask leaves.

use std::process::{Command, Output};

mod support;

use support::{run, workspace};

#[test]
fn a_missing_folder_is_named_as_the_user_wrote_it() {
    let cases: [&[&str]; 6] = [
        &["classify", "examples/bounces.mbox", "-o", "/missing/dir/x"],
        &["classify", "examples/bounces.mbox", "--summary", "/missing/dir/x"],
        &["classify", "examples/bounces.mbox", "--groups", "/missing/dir/x"],
        &["report", "examples/bounces.mbox", "-o", "/missing/dir/x"],
        &["suppress", "examples/bounces.mbox", "-o", "/missing/dir/x"],
        &["suppress", "examples/bounces.mbox", "--keep", "/missing/dir/x"],
    ];
    for args in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: cannot write /missing/dir/x: No such file or directory (os error 2)\n",
            "{args:?}: checked before reading, so no summary either"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// Runs the binary under `umask MASK` (through sh, which sets it for the child).
#[cfg(unix)]
fn run_with_umask(mask: &str, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_bounce-triage"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("sh runs")
}

#[cfg(unix)]
#[test]
fn output_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    for (mask, mode) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
        let runs: [Vec<String>; 4] = [
            ["classify", "examples/bounces.mbox", "-q", "-o", &path("records.jsonl")]
                .map(String::from)
                .to_vec(),
            [
                "classify",
                "examples/bounces.mbox",
                "-q",
                "--format",
                "csv",
                "-o",
                &path("records.csv"),
                "--summary",
                &path("summary.json"),
                "--groups",
                &path("groups.json"),
            ]
            .map(String::from)
            .to_vec(),
            ["report", "examples/bounces.mbox", "-q", "-o", &path("report.html")]
                .map(String::from)
                .to_vec(),
            [
                "suppress",
                "examples/bounces.mbox",
                "-q",
                "-o",
                &path("list.csv"),
                "--keep",
                &path("keep.csv"),
                "--state",
                &path("state.json"),
            ]
            .map(String::from)
            .to_vec(),
        ];
        for args in &runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run_with_umask(mask, &args);
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let names = [
            "records.jsonl",
            "records.csv",
            "summary.json",
            "groups.json",
            "report.html",
            "list.csv",
            "keep.csv",
            "state.json",
        ];
        for name in names {
            let meta = std::fs::metadata(dir.path().join(name)).expect(name);
            assert_eq!(meta.permissions().mode() & 0o777, mode, "{name} under umask {mask}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
}
