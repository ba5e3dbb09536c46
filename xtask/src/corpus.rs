//! `cargo xtask corpus [DIR] [--show N]`: classify `DIR/corpus.mbox` and the `DIR/maildir/bsd`
//! files with the release binary and score both against `DIR/oracle.tsv`, with the rules of
//! `score.py` (the other reference version's reason or status counts too); then score the
//! labelled `../shared/corpus/php-bounce` archive as `score_labels.py` does ([`labels`]) and the
//! repository's own `tests/generalisation` set ([`generalisation`]). A corpus that is not there
//! is skipped with a note (CI has no `../shared`).

mod generalisation;
mod labels;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut show = 0usize;
    let mut dir: Option<PathBuf> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--show" => show = iter.next().context("--show needs a number")?.parse()?,
            other if other.starts_with('-') => bail!("unknown flag `{other}`"),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let root = crate::project_root();
    let dir = dir.unwrap_or_else(|| root.join("../shared/corpus/sisimai"));
    let binary = crate::build_binary(true)?;
    let mut summary = Vec::new();
    if dir.join("corpus.mbox").exists() {
        summary.extend(sisimai(&dir, &binary, show)?);
    } else {
        println!("note: {} not found: Sisimai corpus skipped", dir.join("corpus.mbox").display());
    }
    let php = root.join("../shared/corpus/php-bounce");
    if php.join("expected.tsv").exists() && php.join("corpus.mbox").exists() {
        summary.push(labels::run(&php, &binary, show)?);
    } else {
        println!("note: {} not found: php-bounce corpus skipped", php.display());
    }
    summary.push(generalisation::run(&root.join("tests/generalisation"), &binary, show)?);
    println!();
    for line in summary {
        println!("corpus: {line}");
    }
    Ok(())
}

/// Classifies an input with `classify -o OUT --quiet` and returns the parsed records, in
/// output order.
fn classify_to(binary: &Path, inputs: &[PathBuf], out: &Path) -> Result<Vec<Value>> {
    let status = Command::new(binary)
        .arg("classify")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .arg("--quiet")
        .status()
        .context("cannot run bounce-triage")?;
    if !status.success() && status.code() != Some(3) {
        bail!("bounce-triage classify failed with {status}");
    }
    let text = fs::read_to_string(out).with_context(|| format!("cannot read {}", out.display()))?;
    Ok(text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect())
}

/// The Sisimai corpus: the archive, the `maildir/bsd` files and their twins. Returns the
/// summary lines.
fn sisimai(dir: &Path, binary: &Path, show: usize) -> Result<Vec<String>> {
    let mbox = dir.join("corpus.mbox");
    let target = crate::target_dir();
    let out = target.join("corpus-records.jsonl");
    let started = std::time::Instant::now();
    let status = Command::new(binary)
        .arg("classify")
        .arg(&mbox)
        .arg("-o")
        .arg(&out)
        .arg("--quiet")
        .status()
        .context("cannot run bounce-triage")?;
    let elapsed = started.elapsed();
    if !status.success() && status.code() != Some(3) {
        bail!("bounce-triage classify failed with {status}");
    }
    println!(
        "classified {} in {:.2}s; records in {}",
        mbox.display(),
        elapsed.as_secs_f64(),
        out.display()
    );
    let archive = score(dir, &archive_records(dir, &out)?, "corpus.mbox", 0)?;
    let bsd_dir = dir.join("maildir/bsd");
    // The bsd files are classified once: scored against the oracle, then the twins' reference.
    let Some(bsd) = bsd_dir.is_dir().then(|| classify_folder(binary, &bsd_dir)).transpose()? else {
        return Ok(vec![archive]);
    };
    let bsd_summaries = summaries(&bsd);
    // A file that starts with a `From ` line is an mbox and may hold more than one message, as
    // the reference decoder reads it; in `corpus.mbox` such a file is one message with an
    // escaped `>From` line.
    let keyed: HashMap<String, Vec<Value>> =
        bsd.into_iter().map(|(name, v)| (format!("maildir/bsd/{name}"), v)).collect();
    let files = score(dir, &keyed, "maildir/bsd files", show)?;
    twins(dir, binary, &bsd_summaries)?;
    Ok(vec![archive, files])
}

/// The records of every file of a folder, by file name, in output order.
fn classify_folder(binary: &Path, folder: &Path) -> Result<BTreeMap<String, Vec<Value>>> {
    let output = Command::new(binary)
        .arg("classify")
        .arg(folder)
        .args(["--quiet", "--format", "jsonl"])
        .output()
        .with_context(|| format!("cannot classify {}", folder.display()))?;
    if !output.status.success() && output.status.code() != Some(3) {
        bail!("classify {} failed with {}", folder.display(), output.status);
    }
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let path = v.pointer("/source/path").and_then(Value::as_str).unwrap_or("");
        let name = path.rsplit('/').next().unwrap_or(path).to_string();
        out.entry(name).or_default().push(v);
    }
    Ok(out)
}

/// Per file name, the (recipient, status, reason, kind) of each record.
fn summaries(records: &BTreeMap<String, Vec<Value>>) -> BTreeMap<String, Vec<String>> {
    records
        .iter()
        .map(|(name, values)| {
            let keys = values
                .iter()
                .map(|v| {
                    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    format!(
                        "{}|{}|{}|{}",
                        text("recipient"),
                        text("status"),
                        text("reason"),
                        text("kind")
                    )
                })
                .collect();
            (name.clone(), keys)
        })
        .collect()
}

/// The `maildir/dos` and `maildir/mac` twins against `maildir/bsd`, `maildir/not` (no bounce
/// record expected) and `maildir/err` (no crash).
fn twins(dir: &Path, binary: &Path, bsd: &BTreeMap<String, Vec<String>>) -> Result<()> {
    let maildir = dir.join("maildir");
    for twin in ["dos", "mac"] {
        let folder = maildir.join(twin);
        let records = summaries(&classify_folder(binary, &folder)?);
        let mut names: Vec<String> = fs::read_dir(&folder)?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| maildir.join("bsd").join(n).exists())
            .collect();
        names.sort();
        let differing: Vec<&String> =
            names.iter().filter(|n| records.get(*n) != bsd.get(*n)).collect();
        println!(
            "twins {twin}: {} files with a bsd twin, {} differ {differing:?}",
            names.len(),
            differing.len()
        );
    }
    let not = summaries(&classify_folder(binary, &maildir.join("not"))?);
    let bounces: Vec<String> = not
        .iter()
        .filter(|(_, v)| v.iter().any(|k| k.ends_with("|bounce") || k.ends_with("|delay")))
        .map(|(n, _)| n.clone())
        .collect();
    println!("maildir/not: {} files with a bounce record {bounces:?}", bounces.len());
    let err = classify_folder(binary, &maildir.join("err"));
    println!("maildir/err: {}", if err.is_ok() { "ran without a crash" } else { "FAILED" });
    Ok(())
}

struct Row {
    eml: String,
    rcpt_index: usize,
    status: String,
    reason: String,
    module: String,
    alt_reason: Option<String>,
    alt_status: Option<String>,
}

fn read_rows(dir: &Path) -> Result<Vec<Row>> {
    let text = fs::read_to_string(dir.join("oracle.tsv")).context("cannot read oracle.tsv")?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(c_eml), Some(c_idx), Some(c_status), Some(c_reason), Some(c_module), Some(c_p5)) = (
        col("eml_path"),
        col("rcpt_index"),
        col("status"),
        col("reason"),
        col("module"),
        col("p5_check"),
    ) else {
        bail!("oracle.tsv lacks an expected column");
    };
    let mut rows = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| f.get(i).copied().unwrap_or("");
        if !get(c_eml).starts_with("maildir/bsd/") {
            continue;
        }
        // "differs:STATUS|REPLY|REASON|HARD": the other reference version's answer, which
        // score.py also accepts.
        let other: Vec<&str> = get(c_p5)
            .strip_prefix("differs:")
            .map(|rest| rest.split('|').collect())
            .unwrap_or_default();
        let alt_at = |i: usize| other.get(i).filter(|p| !p.is_empty()).map(|p| (*p).to_string());
        rows.push(Row {
            eml: get(c_eml).to_string(),
            rcpt_index: get(c_idx).parse().unwrap_or(0),
            status: get(c_status).to_string(),
            reason: get(c_reason).to_string(),
            module: get(c_module).to_string(),
            alt_reason: alt_at(2),
            alt_status: alt_at(0),
        });
    }
    Ok(rows)
}

fn is_scored_status(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        && !(parts[1] == "0" && parts[2].len() == 3 && parts[2].starts_with('9'))
}

/// Prints `label: hit/total (pct%)`, the one shape of every scorer's metric line.
fn ratio(label: &str, hit: usize, total: usize) {
    println!("{label}: {hit}/{total} ({:.1}%)", pct(hit, total));
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

/// Records of the archive run, keyed by the corpus file each message came from.
fn archive_records(dir: &Path, results: &Path) -> Result<HashMap<String, Vec<Value>>> {
    let index_text =
        fs::read_to_string(dir.join("corpus.index.tsv")).context("cannot read corpus.index.tsv")?;
    let index: HashMap<u64, String> = index_text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(n, p)| Some((n.parse().ok()?, p.to_string())))
        .collect();
    let mut records: HashMap<String, Vec<Value>> = HashMap::new();
    for line in fs::read_to_string(results)?.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let Some(n) = v.pointer("/source/message").and_then(Value::as_u64) else { continue };
        if let Some(path) = index.get(&n) {
            records.entry(path.clone()).or_default().push(v);
        }
    }
    Ok(records)
}

/// Scores records against the oracle; prints the figures under `label` and returns the
/// one-line summary.
fn score(
    dir: &Path,
    records: &HashMap<String, Vec<Value>>,
    label: &str,
    show: usize,
) -> Result<String> {
    let rows = read_rows(dir)?;
    let mut per_email: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *per_email.entry(r.eml.as_str()).or_default() += 1;
    }
    let extra: usize =
        per_email.iter().map(|(e, n)| records.get(*e).map_or(0, Vec::len).saturating_sub(*n)).sum();
    let (mut found, mut reason_ok, mut status_ok, mut status_total) = (0, 0, 0, 0);
    let mut bad_mod: BTreeMap<&str, usize> = BTreeMap::new();
    let mut all_mod: BTreeMap<&str, usize> = BTreeMap::new();
    let mut misses = Vec::new();
    for row in &rows {
        *all_mod.entry(&row.module).or_default() += 1;
        let scored = is_scored_status(&row.status);
        status_total += usize::from(scored);
        let got = records.get(&row.eml).and_then(|v| v.get(row.rcpt_index.saturating_sub(1)));
        let Some(got) = got else {
            *bad_mod.entry(&row.module).or_default() += 1;
            misses
                .push(format!("MISS\t{}\t{}\tmissing\t{}\t", row.eml, row.rcpt_index, row.reason));
            continue;
        };
        found += 1;
        let text = |k: &str| got.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let status = Some(text("status"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| text("status_inferred"));
        if scored {
            if status == row.status || row.alt_status.as_deref() == Some(status.as_str()) {
                status_ok += 1;
            } else {
                misses.push(format!(
                    "STATUS\t{}\t{}\tstatus\t{}\t{}",
                    row.eml, row.rcpt_index, row.status, status
                ));
            }
        }
        let reason = text("reason");
        if reason == row.reason || row.alt_reason.as_deref() == Some(reason.as_str()) {
            reason_ok += 1;
        } else {
            *bad_mod.entry(&row.module).or_default() += 1;
            misses.push(format!(
                "MISS\t{}\t{}\treason\t{}\t{}\t{}\t{}",
                row.eml,
                row.rcpt_index,
                row.reason,
                reason,
                status,
                text("diagnostic").chars().take(160).collect::<String>()
            ));
        }
    }
    let total = rows.len();
    println!("{label}:");
    println!(
        "oracle rows: {total}; with a record: {found} ({:.1}%); extra records: {extra}",
        pct(found, total)
    );
    println!("reason agrees: {reason_ok}/{total} ({:.1}%)", pct(reason_ok, total));
    println!(
        "status agrees: {status_ok}/{status_total} ({:.1}%, standard codes only)",
        pct(status_ok, status_total)
    );
    let mut worst: Vec<(&str, usize)> = bad_mod.into_iter().collect();
    worst.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !worst.is_empty() {
        let list: Vec<String> = worst
            .iter()
            .take(10)
            .map(|(m, b)| format!("{m} {b}/{}", all_mod.get(m).copied().unwrap_or(0)))
            .collect();
        println!("worst modules: {}", list.join(", "));
    }
    for m in misses.iter().take(show) {
        println!("{m}");
    }
    Ok(format!(
        "sisimai {label}: reason {:.1}% status {:.1}% records {:.1}% extra {extra}",
        pct(reason_ok, total),
        pct(status_ok, status_total),
        pct(found, total)
    ))
}
