//! State and outputs are safe (issue 14): a second `suppress --state` run waits for the first,
//! the lists and the state are replaced together or not at all, SIGINT and SIGTERM leave no
//! temporary file behind, and `-o` through a symlink writes to the file it points to.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::run;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
}

/// An archive of `count` bounces to distinct addresses `prefix-N@example.net`, each a full
/// mailbox (which the state counts).
fn archive(dir: &Path, name: &str, prefix: &str, count: usize) -> PathBuf {
    let text: String = (0..count)
        .map(|n| {
            let recipient = format!("{prefix}-{n}@example.net");
            support::dsn(n, &recipient, "4.2.2", "452 4.2.2 mailbox full, over quota", 10, n % 60)
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the archive");
    path
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The hidden temporary files of the tool left in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| name.starts_with(".bounce-triage-"))
        .collect()
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < limit, "the run did not end within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn dev_zero_and_a_state_ten_times_the_cap_fail_fast_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path(), "a.mbox", "ann", 1);
    let out = run(&["suppress", "--state", "/dev/zero", s(&mbox)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("/dev/zero is larger than 268435456 bytes")
            && stderr.contains("--max-state-bytes"),
        "{stderr}"
    );
    assert!(!Path::new("/dev/zero.lock").exists(), "no lock file beside a device");
    // 2.5 GiB, ten times the default, sparse.
    let state = dir.path().join("state.json");
    std::fs::File::create(&state).unwrap().set_len(2560 << 20).unwrap();
    let out = run(&["suppress", "--state", s(&state), s(&mbox)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--max-state-bytes"), "{stderr}");
    assert_eq!(std::fs::metadata(&state).unwrap().len(), 2560 << 20, "the state is untouched");
}

#[test]
fn a_second_run_on_the_same_state_waits_for_the_lock_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = archive(dir.path(), "first.mbox", "ann", 3);
    let second = archive(dir.path(), "second.mbox", "bob", 3);
    let state = dir.path().join("state.json");
    // A run holds the lock (here: the test).
    let lock = std::fs::File::create(dir.path().join("state.json.lock")).unwrap();
    lock.lock().unwrap();
    let mut waiting = binary()
        .args(["suppress", "-q", "--state", s(&state), s(&first)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(waiting.try_wait().unwrap().is_none(), "the second run waits");
    assert!(!state.exists(), "nothing is written while the lock is held");
    drop(lock);
    let status = wait_with_timeout(&mut waiting, Duration::from_secs(60));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut waiting.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("waiting for another run that holds"), "{stderr}");
    // Two runs at once on one state: both runs' addresses are in it.
    let runs: Vec<Child> = [&first, &second]
        .map(|mbox| {
            binary()
                .args(["suppress", "-q", "--state", s(&state), s(mbox)])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .into_iter()
        .collect();
    for mut child in runs {
        assert!(wait_with_timeout(&mut child, Duration::from_secs(60)).success());
    }
    let text = std::fs::read_to_string(&state).unwrap();
    for address in
        ["ann-0@example.net", "ann-2@example.net", "bob-0@example.net", "bob-2@example.net"]
    {
        assert!(text.contains(address), "{address} in {text}");
    }
}

#[test]
fn a_failed_write_replaces_neither_the_lists_nor_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path(), "a.mbox", "ann", 2);
    let list = dir.path().join("suppress.csv");
    let state = dir.path().join("state.json");
    std::fs::write(&list, "old list\n").unwrap();
    let out = run(&["suppress", "-q", "-o", s(&list), "--state", s(&state), s(&mbox)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let state_before = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&list, "old list\n").unwrap();
    // `/dev/full` is a full disk: the keep list cannot be written.
    let more = archive(dir.path(), "b.mbox", "bob", 2);
    let args = ["suppress", "-q", "-o", s(&list), "--keep", "/dev/full", "--state", s(&state)];
    let out = run(&[&args[..], &[s(&more)]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write /dev/full"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&list).unwrap(), "old list\n", "the list is not replaced");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), state_before, "nor is the state");
    assert!(temporaries(dir.path()).is_empty(), "{:?}", temporaries(dir.path()));
}

#[test]
fn classify_replaces_none_of_its_outputs_when_one_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path(), "a.mbox", "ann", 2);
    let records = dir.path().join("records.jsonl");
    std::fs::write(&records, "old records\n").unwrap();
    // `/dev/full` is a full disk: the summary cannot be written.
    let out = run(&["classify", "-q", "-o", s(&records), "--summary", "/dev/full", s(&mbox)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write /dev/full"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&records).unwrap(), "old records\n", "not replaced");
    assert!(temporaries(dir.path()).is_empty(), "{:?}", temporaries(dir.path()));
}

#[test]
fn sigint_and_sigterm_leave_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path(), "big.mbox", "ann", 20_000);
    for signal in ["INT", "TERM"] {
        let out = dir.path().join("out.jsonl");
        let mut child = binary()
            .args(["classify", "-q", "--threads", "1", "-o", s(&out), s(&mbox)])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The temporary file exists from before the first input is read.
        let start = Instant::now();
        while temporaries(dir.path()).is_empty() {
            assert!(start.elapsed() < Duration::from_secs(30), "no temporary file appeared");
            std::thread::sleep(Duration::from_millis(5));
        }
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap()
            .success());
        let status = wait_with_timeout(&mut child, Duration::from_secs(30));
        assert!(!status.success(), "{signal}: the run was stopped, not finished");
        assert!(temporaries(dir.path()).is_empty(), "{signal}: {:?}", temporaries(dir.path()));
        assert!(!out.exists(), "{signal}: no partial output");
    }
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_replaces_the_file_it_points_to() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let mbox = archive(dir.path(), "a.mbox", "ann", 1);
    let real_dir = dir.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let real = real_dir.join("list.csv");
    std::fs::write(&real, "old\n").unwrap();
    let link = dir.path().join("link.csv");
    symlink(&real, &link).unwrap();
    // A dangling link too: the file it names is created.
    let dangling = dir.path().join("dangling.csv");
    symlink("real/new.csv", &dangling).unwrap();
    for (link, real) in [(&link, &real), (&dangling, &real_dir.join("new.csv"))] {
        let out = run(&["classify", "-q", "-o", s(link), s(&mbox)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            std::fs::symlink_metadata(link).unwrap().file_type().is_symlink(),
            "the link stays"
        );
        assert!(std::fs::read_to_string(real).unwrap().contains("ann-0@example.net"));
        assert!(temporaries(dir.path()).is_empty() && temporaries(&real_dir).is_empty());
    }
}
