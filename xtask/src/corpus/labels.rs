//! The labelled corpora (`../shared/corpus/php-bounce`): classify `corpus.mbox` and score the
//! records against `expected.tsv` exactly as `score_labels.py` does, so both print the same
//! figures for the same run: recipients found, messages with every recipient, coarse class,
//! non-bounces left alone and permanent/temporary.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::{pct, ratio};

/// The coarse class of a reason, as `COARSE` in `score_labels.py`; an unknown or missing
/// reason is `other`.
pub(super) fn coarse(reason: &str) -> &'static str {
    match reason {
        "userunknown" | "hasmoved" | "suspend" => "hard-invalid-recipient",
        "mailboxfull" => "soft-mailbox-full",
        "blocked" | "badreputation" | "requireptr" | "rejected" | "policyviolation"
        | "filtered" => "policy-or-reputation",
        "norelaying" => "relay-or-routing",
        "authfailure" | "securityerror" | "failedstarttls" => "auth",
        "spamdetected" | "contenterror" | "virusdetected" | "mesgtoobig" | "notcompliantrfc" => {
            "content"
        }
        "expired" | "networkerror" | "toomanyconn" | "speeding" | "systemerror" | "systemfull"
        | "onhold" => "transient",
        "hostunknown" | "notaccept" => "dns",
        "delivered" | "vacation" | "feedback" => "not-a-bounce",
        _ => "other",
    }
}

/// A string field of a record, empty when missing or not a string.
pub(super) fn text<'a>(record: &'a Value, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A field as Python's `or` chain sees it: a non-empty string or a non-zero number.
fn truthy(record: &Value, key: &str) -> Option<String> {
    match record.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.as_f64() != Some(0.0) => Some(n.to_string()),
        _ => None,
    }
}

/// Permanent or temporary as the scripts read a record: the stated status, else the inferred
/// one, else the reply code; a delay record without any is temporary; `?` when nothing says.
pub(super) fn permanence(record: &Value) -> &'static str {
    let code = ["status", "deliverystatus", "status_inferred", "reply_code"]
        .iter()
        .find_map(|k| truthy(record, k))
        .unwrap_or_default();
    // A code starting with neither 5 nor 4 leaves a delay record temporary.
    if code.starts_with('5') {
        "permanent"
    } else if code.starts_with('4') || text(record, "kind") == "delay" {
        "temporary"
    } else {
        "?"
    }
}

/// The most common item, ties going to the one seen first (Python's `Counter.most_common`).
fn majority<'a>(items: &[&'a str]) -> Option<&'a str> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(seen, _)| seen == item) {
            Some((_, n)) => *n += 1,
            None => counts.push((item, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(item, _)| item)
}

/// Reads a tab-separated file with a header line into rows keyed by column name.
pub(super) fn read_tsv(path: &Path) -> Result<Vec<HashMap<String, String>>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| ((*h).to_string(), v.to_string()))
                .collect()
        })
        .collect())
}

/// Counters of one source (the `source` column): recipients and classes right and scored.
#[derive(Default)]
struct PerSource {
    recipients_hit: usize,
    recipients: usize,
    class_hit: usize,
    classes: usize,
}

/// The counters of `score_labels.py`, named as there: hits and totals of recipients,
/// messages with every recipient, classes, non-bounces and permanent/temporary.
#[derive(Default)]
struct Figures {
    rc_hit: usize,
    rc_tot: usize,
    msg_hit: usize,
    msg_tot: usize,
    cls_hit: usize,
    cls_tot: usize,
    nb_hit: usize,
    nb_tot: usize,
    dl_hit: usize,
    dl_tot: usize,
}

/// `corpus.index.tsv`: the file name of each message number of `corpus.mbox`.
fn read_index(dir: &Path) -> Result<HashMap<String, u64>> {
    Ok(fs::read_to_string(dir.join("corpus.index.tsv"))
        .context("cannot read corpus.index.tsv")?
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            let n = f.next()?.parse().ok()?;
            Some((f.next()?.to_string(), n))
        })
        .collect())
}

/// Prints the metric lines as `score_labels.py` does, so that the two can be compared.
fn print_figures(name: &str, f: &Figures, per_source: &BTreeMap<String, PerSource>) {
    println!("{name} (as score_labels.py):");
    ratio("recipients found", f.rc_hit, f.rc_tot);
    ratio("messages with every recipient", f.msg_hit, f.msg_tot);
    ratio("coarse class right", f.cls_hit, f.cls_tot);
    println!("non-bounces left alone: {}/{}", f.nb_hit, f.nb_tot);
    ratio("permanent/temporary right (where a status was given)", f.dl_hit, f.dl_tot);
    for (src, s) in per_source {
        println!(
            "  {src}: recipients {}/{} ({:.1}%), class {}/{} ({:.1}%)",
            s.recipients_hit,
            s.recipients,
            pct(s.recipients_hit, s.recipients),
            s.class_hit,
            s.classes,
            pct(s.class_hit, s.classes)
        );
    }
}

/// Permanent/temporary of a message: its first bounce record against the `delivery` label,
/// when the label says one of the two and a bounce record exists.
fn score_delivery(
    delivery: &str,
    first: Option<&&Value>,
    f: &mut Figures,
    misses: &mut Vec<String>,
    file: &str,
) {
    let Some(first) = first else { return };
    if !matches!(delivery, "permanent" | "temporary") {
        return;
    }
    f.dl_tot += 1;
    if permanence(first) == delivery {
        f.dl_hit += 1;
    } else {
        misses.push(format!("MISS\t{file}\tpermanence\t{delivery}\t{}", permanence(first)));
    }
}

/// Classifies `dir/corpus.mbox`, prints the figures of `score_labels.py` and returns the
/// summary line.
pub(super) fn run(dir: &Path, binary: &Path, show: usize) -> Result<String> {
    let name = dir.file_name().map_or_else(|| "labels".into(), |n| n.to_string_lossy());
    let out = crate::target_dir().join(format!("{name}-records.jsonl"));
    let records = super::classify_to(binary, &[dir.join("corpus.mbox")], &out)?;
    println!("classified {}; records in {}", dir.join("corpus.mbox").display(), out.display());
    let index = read_index(dir)?;
    let mut by_message: HashMap<u64, Vec<&Value>> = HashMap::new();
    for record in &records {
        if let Some(n) = record.pointer("/source/message").and_then(Value::as_u64) {
            by_message.entry(n).or_default().push(record);
        }
    }
    let expected = read_tsv(&dir.join("expected.tsv"))?;
    let field = |row: &HashMap<String, String>, k: &str| row.get(k).cloned().unwrap_or_default();
    let mut f = Figures::default();
    let mut misses: Vec<String> = Vec::new();
    let mut per_source: BTreeMap<String, PerSource> = BTreeMap::new();
    for row in &expected {
        let file = field(row, "file");
        let Some(n) = index.get(&file) else { continue };
        let recs = by_message.get(n).map_or(&[][..], Vec::as_slice);
        let reasons: Vec<&str> = recs.iter().map(|r| text(r, "reason")).collect();
        let bounces: Vec<&Value> =
            recs.iter().copied().filter(|r| coarse(text(r, "reason")) != "not-a-bounce").collect();
        let found: HashSet<String> = bounces
            .iter()
            .map(|r| text(r, "recipient").to_lowercase().trim_matches(['<', '>']).to_string())
            .collect();
        match field(row, "is_bounce").as_str() {
            "no" => {
                f.nb_tot += 1;
                if bounces.is_empty() {
                    f.nb_hit += 1;
                } else {
                    misses.push(format!("MISS\t{file}\tnot-a-bounce\t{reasons:?}"));
                }
                continue;
            }
            "yes" => {}
            _ => continue,
        }
        // Like Python's defaultdict, a source gets a line only once something of it is scored.
        let mut source = PerSource::default();
        let mut scored = false;
        let wanted = field(row, "expected_recipients");
        let wanted: Vec<&str> = wanted.split(',').filter(|x| !x.is_empty()).collect();
        if !wanted.is_empty() {
            scored = true;
            f.msg_tot += 1;
            let hit = wanted.iter().filter(|x| x.split('|').any(|a| found.contains(a))).count();
            f.rc_tot += wanted.len();
            f.rc_hit += hit;
            source.recipients_hit += hit;
            source.recipients += wanted.len();
            if hit == wanted.len() {
                f.msg_hit += 1;
            } else {
                let mut got: Vec<&String> = found.iter().collect();
                got.sort();
                misses.push(format!("MISS\t{file}\trecipients\t{wanted:?}\t{got:?}"));
            }
        }
        let class = field(row, "coarse_class");
        if !class.is_empty() {
            scored = true;
            f.cls_tot += 1;
            source.classes += 1;
            let accepted: Vec<&str> = class.split('|').collect();
            let predicted: Vec<&str> = bounces.iter().map(|r| coarse(text(r, "reason"))).collect();
            if majority(&predicted).is_some_and(|p| accepted.contains(&p)) {
                f.cls_hit += 1;
                source.class_hit += 1;
            } else {
                misses.push(format!("MISS\t{file}\tclass\t{accepted:?}\t{reasons:?}"));
            }
        }
        if scored {
            let total = per_source.entry(field(row, "source")).or_default();
            total.recipients_hit += source.recipients_hit;
            total.recipients += source.recipients;
            total.class_hit += source.class_hit;
            total.classes += source.classes;
        }
        score_delivery(&field(row, "delivery"), bounces.first(), &mut f, &mut misses, &file);
    }
    print_figures(&name, &f, &per_source);
    for miss in misses.iter().take(show) {
        println!("{miss}");
    }
    Ok(format!(
        "{name}: recipients {:.1}% class {:.1}% nonbounce {}/{} permtemp {:.1}%",
        pct(f.rc_hit, f.rc_tot),
        pct(f.cls_hit, f.cls_tot),
        f.nb_hit,
        f.nb_tot,
        pct(f.dl_hit, f.dl_tot)
    ))
}
