//! `cargo xtask spark-test [--release] [--mb N] [--keep]`: runs the Spark job of
//! `examples/spark/triage.py` in local mode (`local[2]`) on a generated archive of several
//! files (plain mbox files cut into shards, one gzip file read whole, a Maildir shared out
//! file by file) and checks that its
//! records (sorted by path and offset), summary, groups, suppression state and suppression,
//! keep and complaint lists equal one process's run over the same folder, byte for byte.
//!
//! Installs what is missing: pyspark from PyPI (`python3 -m pip install pyspark`) and a Java
//! runtime from Debian packages (`apt-get install -y openjdk-17-jre-headless`); nothing when
//! both are there. Prints the time of the Spark run beside the single process's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// Files of the archive: this many plain mbox files, plus one gzip file.
const PLAIN_FILES: u64 = 3;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let release = args.iter().any(|a| a == "--release");
    let keep = args.iter().any(|a| a == "--keep");
    let megabytes: u64 = match args.iter().position(|a| a == "--mb") {
        Some(at) => args.get(at + 1).context("--mb needs a number")?.parse()?,
        None => 8,
    };
    ensure_pyspark()?;
    ensure_java()?;
    let work = crate::target_dir().join("spark-test");
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("cannot clear {}", work.display()))?;
    }
    let input = work.join("input");
    fs::create_dir_all(&input)?;
    // A private copy: another build in the same target folder may replace the binary.
    let built = crate::build_binary(release)?;
    let binary = work.join("bounce-triage");
    fs::copy(&built, &binary).with_context(|| format!("cannot copy {}", built.display()))?;

    let mut messages = 0;
    for index in 1..=PLAIN_FILES + 1 {
        let path = input.join(format!("bounces-{index}.mbox"));
        messages += crate::bench::generate_messages(&path, megabytes << 20, 0x5eed_0000 + index)?;
        if index == PLAIN_FILES + 1 {
            gzip(&path)?;
        }
    }
    messages += maildir(&input.join("maildir"), megabytes << 18)?;
    let total = size_of(&input);
    println!(
        "spark-test: {messages} messages in {} files and a Maildir ({:.1} MB) in {}",
        PLAIN_FILES + 1,
        mb(total),
        input.display()
    );

    // One process: the reference.
    let single = work.join("single");
    fs::create_dir_all(&single)?;
    let out = |name: &str| single.join(name);
    let started = Instant::now();
    check(
        Command::new(&binary)
            .arg("classify")
            .arg(&input)
            .arg("--quiet")
            .arg("-o")
            .arg(out("records.jsonl"))
            .arg("--summary")
            .arg(out("summary.json"))
            .arg("--groups")
            .arg(out("groups.json")),
    )?;
    let classify_seconds = started.elapsed().as_secs_f64();
    check(
        Command::new(&binary)
            .arg("suppress")
            .arg(&input)
            .arg("--quiet")
            .arg("-o")
            .arg(out("suppress.csv"))
            .arg("--keep")
            .arg(out("keep.csv"))
            .arg("--complaints")
            .arg(out("complaints.csv"))
            .arg("--state")
            .arg(out("state.json")),
    )?;
    let single_seconds = started.elapsed().as_secs_f64();

    // The Spark job, local mode, shards of a quarter of a plain file.
    let spark = work.join("spark");
    let shard_bytes = ((megabytes << 20) / 4).max(1);
    let script = crate::project_root().join("examples/spark/triage.py");
    let started = Instant::now();
    check(
        Command::new("python3")
            .arg(&script)
            .arg("--master")
            .arg("local[2]")
            .arg("--binary")
            .arg(&binary)
            .arg("--output")
            .arg(&spark)
            .arg("--shard-bytes")
            .arg(shard_bytes.to_string())
            .arg(&input),
    )?;
    let spark_seconds = started.elapsed().as_secs_f64();

    let mut differences = Vec::new();
    let records_single = sorted_records(&fs::read_to_string(out("records.jsonl"))?)?;
    let mut joined = String::new();
    let mut parts: Vec<PathBuf> = fs::read_dir(spark.join("records"))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("part-")))
        .collect();
    parts.sort();
    for part in &parts {
        joined.push_str(&fs::read_to_string(part)?);
    }
    let records_spark = sorted_records(&joined)?;
    if records_single != records_spark {
        differences.push(format!(
            "records: {} from one process, {} from Spark",
            records_single.len(),
            records_spark.len()
        ));
    }
    for name in
        ["summary.json", "groups.json", "state.json", "suppress.csv", "keep.csv", "complaints.csv"]
    {
        let a = fs::read(out(name)).with_context(|| format!("single {name}"))?;
        let b = fs::read(spark.join(name)).with_context(|| format!("spark {name}"))?;
        if a != b {
            differences.push(format!("{name} differs ({} vs {} bytes)", a.len(), b.len()));
        }
    }
    println!(
        "spark-test: one process: classify {classify_seconds:.1} s, classify + suppress \
         {single_seconds:.1} s; Spark local[2] ({} tasks of up to {:.2} MB): {spark_seconds:.1} s \
         (JVM start-up, task scheduling, per-shard suppress, merges, the report on the driver)",
        parts.len(),
        mb(shard_bytes)
    );
    if !differences.is_empty() {
        bail!("Spark and one process disagree: {}", differences.join("; "));
    }
    println!(
        "spark-test: records ({}), summary, groups, state and lists are the same byte for byte",
        records_single.len()
    );
    if !keep {
        fs::remove_dir_all(&work).ok();
    }
    Ok(())
}

/// The lines of a JSON Lines text sorted (stably) by `source.path` and `source.offset`.
fn sorted_records(text: &str) -> Result<Vec<String>> {
    let mut keyed = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).context("a record line")?;
        let path = value["source"]["path"].as_str().unwrap_or_default().to_owned();
        let offset = value["source"]["offset"].as_u64().unwrap_or_default();
        keyed.push(((path, offset), line.to_owned()));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, line)| line).collect())
}

/// A Maildir of generated messages of about `bytes` bytes in all, one file each: two thirds
/// in `cur/`, the rest in `new/`, one delivery in progress in `tmp/` (never read); returns how
/// many messages `cur/` and `new/` hold.
fn maildir(root: &Path, bytes: u64) -> Result<u64> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(root.join(sub))?;
    }
    let archive = root.join("tmp").join("archive.mbox");
    crate::bench::generate_messages(&archive, bytes, 0x5eed_d1d0)?;
    let text = fs::read_to_string(&archive)?;
    fs::remove_file(&archive)?;
    let messages: Vec<&str> = text.split("\nFrom ").collect();
    let count = messages.len() as u64;
    for (index, message) in messages.iter().enumerate() {
        // Without its From_ line: a Maildir file is the message itself.
        let body = message.split_once('\n').map_or("", |(_, rest)| rest);
        let folder = if index * 3 < messages.len() * 2 { "cur" } else { "new" };
        fs::write(root.join(folder).join(format!("{index:05}.eml")), body)?;
    }
    fs::write(root.join("tmp").join("in-progress.eml"), "Subject: not yet\n\n")?;
    Ok(count)
}

/// The bytes of the files under `path`.
fn size_of(path: &Path) -> u64 {
    match fs::read_dir(path) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| size_of(&e.path())).sum(),
        Err(_) => fs::metadata(path).map_or(0, |m| m.len()),
    }
}

/// Compresses `path` into `path.gz` with the system's gzip and removes the original.
fn gzip(path: &Path) -> Result<()> {
    check(Command::new("gzip").arg("-f").arg(path))
}

fn ensure_pyspark() -> Result<()> {
    if succeeds(Command::new("python3").args(["-c", "import pyspark"])) {
        return Ok(());
    }
    println!("spark-test: installing pyspark (python3 -m pip install pyspark==4.3.0)");
    check(Command::new("python3").args(["-m", "pip", "install", "--quiet", "pyspark==4.3.0"]))
}

fn ensure_java() -> Result<()> {
    if succeeds(Command::new("java").arg("-version")) {
        return Ok(());
    }
    println!("spark-test: installing Java (apt-get install -y openjdk-17-jre-headless)");
    let root = std::env::var("USER").is_ok_and(|u| u == "root")
        || succeeds(Command::new("sh").args(["-c", "test \"$(id -u)\" -eq 0"]));
    let apt = |args: &[&str]| {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        check(&mut command)
    };
    apt(&["update"])?;
    apt(&["install", "-y", "openjdk-17-jre-headless"])
}

fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn check(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

#[allow(clippy::cast_precision_loss)]
fn mb(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}
