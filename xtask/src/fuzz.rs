//! `cargo xtask fuzz [--seconds N] [--target NAME] [--parallel J] [--no-cmin]`: runs the
//! libFuzzer targets of `fuzz/` and keeps their minimised corpora.
//!
//! For each target the task seeds a scratch corpus (`fuzz/work/<target>/`, not committed) from
//! the project's own fixtures and the committed corpus, runs `cargo fuzz run` for N seconds
//! (default 60; 0 only minimises), then merges the scratch corpus into `fuzz/corpus/<target>/`, minimises it with
//! `cargo fuzz cmin` and drops the largest inputs until the corpus is under 2 MB. The replay
//! test (`tests/tests/fuzz_replay.rs`) runs every committed input on stable.
//!
//! cargo-fuzz needs a nightly compiler: `cargo +nightly` is used when rustup has a nightly
//! toolchain, otherwise the stable one with `RUSTC_BOOTSTRAP=1`. Each run's log is kept in
//! `fuzz/work/<target>.log` and its last libFuzzer stats line is printed.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// The fuzz targets, in the order they run.
const TARGETS: &[&str] = &["split", "extract", "rules", "report", "sources"];

/// Largest committed corpus per target, in bytes.
const CORPUS_BUDGET: u64 = 2 << 20;

/// The sources the `sources` target's control byte picks among (every built-in one but mail).
const SOURCES: u8 = 10;

/// Longest input the fuzzer generates.
const MAX_LEN: u32 = 64 << 10;

/// The control byte that split seeds start with: mboxrd, plain splitter, the largest limit.
const SPLIT_CONTROL: u8 = 0xF9;

/// Command-line settings of the task.
struct Settings {
    seconds: u64,
    targets: Vec<String>,
    parallel: usize,
    cmin: bool,
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let settings = parse_args(args)?;
    let root = crate::project_root();
    let fuzz_dir = root.join("fuzz");
    let toolchain = Toolchain::detect();
    ensure_cargo_fuzz(&toolchain)?;
    for target in &settings.targets {
        seed(&root, target)?;
    }
    let started = Instant::now();
    // `--seconds 0` only minimises what earlier runs found.
    let fuzzed: &[String] = if settings.seconds == 0 { &[] } else { &settings.targets };
    for batch in fuzzed.chunks(settings.parallel) {
        let mut children: Vec<(String, Child)> = Vec::new();
        for target in batch {
            children
                .push((target.clone(), spawn_fuzzer(&toolchain, &fuzz_dir, target, &settings)?));
        }
        let mut failed = Vec::new();
        for (target, mut child) in children {
            let status =
                child.wait().with_context(|| format!("cannot wait for fuzzer {target}"))?;
            let log = fuzz_dir.join("work").join(format!("{target}.log"));
            println!("{target}: {}", last_stats(&log).unwrap_or_else(|| "no stats".to_string()));
            if !status.success() {
                failed.push(format!("{target} ({status}, see {})", log.display()));
            }
        }
        if !failed.is_empty() {
            bail!("fuzzing found a failure in: {}", failed.join(", "));
        }
    }
    println!("fuzzed for {} s", started.elapsed().as_secs());
    if settings.cmin {
        for target in &settings.targets {
            minimise(&toolchain, &fuzz_dir, target)?;
        }
    }
    Ok(())
}

fn parse_args(args: &[String]) -> Result<Settings> {
    let mut settings = Settings { seconds: 60, targets: Vec::new(), parallel: 1, cmin: true };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--seconds" => {
                settings.seconds =
                    iter.next().context("--seconds needs a number")?.parse().context("--seconds")?;
            }
            "--target" => {
                let name = iter.next().context("--target needs a name")?;
                if !TARGETS.contains(&name.as_str()) {
                    bail!("unknown fuzz target `{name}`; targets: {}", TARGETS.join(", "));
                }
                settings.targets.push(name.clone());
            }
            "--parallel" => {
                settings.parallel = iter
                    .next()
                    .context("--parallel needs a number")?
                    .parse::<usize>()
                    .context("--parallel")?
                    .max(1);
            }
            "--no-cmin" => settings.cmin = false,
            other => bail!("unknown argument `{other}`; usage: cargo xtask fuzz [--seconds N] [--target NAME] [--parallel J] [--no-cmin]"),
        }
    }
    if settings.targets.is_empty() {
        settings.targets = TARGETS.iter().map(|t| (*t).to_string()).collect();
    }
    Ok(settings)
}

/// How cargo-fuzz gets a nightly compiler.
struct Toolchain {
    nightly: bool,
}

impl Toolchain {
    fn detect() -> Toolchain {
        let listed = Command::new("rustup").args(["toolchain", "list"]).output();
        let nightly = listed
            .map(|out| {
                String::from_utf8_lossy(&out.stdout).lines().any(|l| l.starts_with("nightly"))
            })
            .unwrap_or(false);
        Toolchain { nightly }
    }

    /// `cargo [+nightly] fuzz <sub>` run in `fuzz/`, with the target directory honoured.
    fn cargo_fuzz(&self, fuzz_dir: &Path, sub: &str) -> Command {
        let mut command = Command::new("cargo");
        command.env_remove("RUSTUP_TOOLCHAIN").env_remove("RUSTC").current_dir(fuzz_dir);
        if self.nightly {
            command.arg("+nightly");
        } else {
            command.env("RUSTC_BOOTSTRAP", "1");
        }
        command.args(["fuzz", sub]);
        if sub != "list" {
            if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
                command.arg("--target-dir").arg(dir);
            }
            command.arg("-O");
        }
        command
    }
}

fn ensure_cargo_fuzz(toolchain: &Toolchain) -> Result<()> {
    let fuzz_dir = crate::project_root().join("fuzz");
    let ok = toolchain
        .cargo_fuzz(&fuzz_dir, "list")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        bail!("cargo-fuzz is not available; install it with `cargo install cargo-fuzz`");
    }
    Ok(())
}

fn spawn_fuzzer(
    toolchain: &Toolchain,
    fuzz_dir: &Path,
    target: &str,
    settings: &Settings,
) -> Result<Child> {
    let work = fuzz_dir.join("work");
    let log = fs::File::create(work.join(format!("{target}.log"))).context("cannot create log")?;
    fs::create_dir_all(fuzz_dir.join("artifacts").join(target))?;
    let mut command = toolchain.cargo_fuzz(fuzz_dir, "run");
    command
        .arg(target)
        .arg(work.join(target))
        .arg("--")
        .arg(format!("-max_total_time={}", settings.seconds))
        .arg(format!("-max_len={MAX_LEN}"))
        .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
        .stdout(log.try_clone()?)
        .stderr(log);
    command.spawn().with_context(|| format!("cannot start the fuzzer of {target}"))
}

/// The last `#N ... cov: ...` line of a libFuzzer log, with the final run count.
fn last_stats(log: &Path) -> Option<String> {
    let text = fs::read_to_string(log).ok()?;
    let stats = text.lines().rev().find(|l| l.starts_with('#') && l.contains("cov:"))?;
    let done = text.lines().rev().find(|l| l.starts_with("Done ")).unwrap_or("");
    Some(format!("{} {}", stats.trim(), done.trim()))
}

/// Fills `fuzz/work/<target>/` from the committed corpus and the project's fixtures.
fn seed(root: &Path, target: &str) -> Result<()> {
    let work = root.join("fuzz/work").join(target);
    fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let committed = root.join("fuzz/corpus").join(target);
    if committed.is_dir() {
        for entry in fs::read_dir(&committed)? {
            let path = entry?.path();
            if path.is_file() {
                put(&work, &fs::read(&path)?)?;
            }
        }
    }
    if target == "sources" {
        // Each log, table and event fixture, once per source the control byte can pick.
        let mut files = Vec::new();
        let fixtures = root.join("crates/bounce-engine/tests/fixtures");
        for ext in ["log", "csv", "tsv", "json", "ndjson", "form", "txt"] {
            walk(&fixtures, ext, &mut files);
        }
        for file in files {
            let data = fs::read(&file)?;
            for control in 0..SOURCES {
                let mut input = vec![control];
                input.extend_from_slice(&data);
                put(&work, &input)?;
            }
        }
        return Ok(());
    }
    if target == "rules" {
        let mut files = Vec::new();
        walk(&root.join("rules"), "rules", &mut files);
        walk(&root.join("crates/bounce-rules/tests"), "rules", &mut files);
        for file in files {
            put(&work, &fs::read(&file)?)?;
        }
        return Ok(());
    }
    let mut messages = Vec::new();
    let mut files = Vec::new();
    walk(&root.join("tests/fixtures"), "eml", &mut files);
    for file in files {
        messages.push(fs::read(&file)?);
    }
    if let Ok(mbox) = fs::read(root.join("examples/bounces.mbox")) {
        messages.extend(split_mbox(&mbox));
    }
    for message in &messages {
        if target == "split" {
            let mut input = vec![SPLIT_CONTROL];
            if !message.starts_with(b"From ") {
                input.extend_from_slice(b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n");
            }
            input.extend_from_slice(message);
            put(&work, &input)?;
        } else {
            put(&work, message)?;
        }
    }
    Ok(())
}

/// Cuts an mbox at every `From ` line that follows a line end.
fn split_mbox(mbox: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut start = 0;
    for (i, window) in mbox.windows(6).enumerate() {
        if window == b"\nFrom " {
            messages.push(mbox[start..=i].to_vec());
            start = i + 1;
        }
    }
    messages.push(mbox[start..].to_vec());
    messages.retain(|m| m.iter().any(|b| !b.is_ascii_whitespace()));
    messages
}

/// Collects the files under `dir` whose extension is `ext`, in sorted order.
fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Writes `data` into `dir` under a name derived from its content.
fn put(dir: &Path, data: &[u8]) -> Result<()> {
    let mut hasher = DefaultHasher::new();
    data.hash(&mut hasher);
    let path = dir.join(format!("seed-{:016x}", hasher.finish()));
    fs::write(&path, data).with_context(|| format!("cannot write {}", path.display()))
}

/// Merges the scratch corpus into `fuzz/corpus/<target>/`, runs `cargo fuzz cmin` on it and
/// trims it to [`CORPUS_BUDGET`] by dropping the largest inputs.
fn minimise(toolchain: &Toolchain, fuzz_dir: &Path, target: &str) -> Result<()> {
    let corpus = fuzz_dir.join("corpus").join(target);
    fs::create_dir_all(&corpus)?;
    for entry in fs::read_dir(fuzz_dir.join("work").join(target))? {
        let path = entry?.path();
        if path.is_file() {
            put(&corpus, &fs::read(&path)?)?;
        }
    }
    let status = toolchain
        .cargo_fuzz(fuzz_dir, "cmin")
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_len={MAX_LEN}"))
        .args(["-timeout=10", "-rss_limit_mb=2048"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("cannot run cargo fuzz cmin")?;
    if !status.success() {
        bail!("cargo fuzz cmin {target} failed with {status}");
    }
    let mut files: Vec<(u64, PathBuf)> = fs::read_dir(&corpus)?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.metadata().ok()?.len(), e.path())))
        .collect();
    files.sort();
    let mut total: u64 = files.iter().map(|(len, _)| len).sum();
    while total > CORPUS_BUDGET {
        let Some((len, path)) = files.pop() else {
            break;
        };
        fs::remove_file(&path)?;
        total -= len;
    }
    println!("{target}: {} inputs, {} KiB in {}", files.len(), total >> 10, corpus.display());
    Ok(())
}
