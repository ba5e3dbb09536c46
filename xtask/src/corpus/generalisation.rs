//! The generalisation set kept in the repository (`tests/generalisation`): hand-written bounces
//! of servers and wordings the rules were not written from, with the verdict that is right per
//! RFC 3463/5321 and provider documentation in `expected.tsv` (`file, recipient, reason, class,
//! permanence, suppress, note`). Scores reason, coarse class, permanence, recipients found,
//! addresses wrongly suppressed and suppressions missed.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::labels::{coarse, permanence, read_tsv, text};
use super::{pct, ratio};

/// A recipient as compared: lower case, without angle brackets.
fn normalise(address: &str) -> String {
    address.trim().trim_matches(['<', '>']).to_lowercase()
}

/// The verdict's action of a record (`verdict.action`).
fn action(record: &Value) -> &str {
    record.pointer("/verdict/action").and_then(Value::as_str).unwrap_or("")
}

/// What a record said, for a miss line: reason, action, rule and the start of the diagnostic.
fn describe(record: &Value) -> String {
    let rule = record.pointer("/verdict/rule_id").and_then(Value::as_str).unwrap_or("-");
    let diagnostic: String = text(record, "diagnostic").chars().take(90).collect();
    format!(
        "[{} {} {} rule={rule} diag={diagnostic:?}]",
        text(record, "recipient"),
        text(record, "reason"),
        action(record)
    )
}

/// Counters of the set.
#[derive(Default)]
struct Tally {
    rows: usize,
    recipients: usize,
    recipients_found: usize,
    reason_ok: usize,
    class_ok: usize,
    permanence: usize,
    permanence_ok: usize,
    suppress_expected: usize,
    suppress_missed: usize,
    suppressed_records: usize,
    wrongly_suppressed: usize,
}

/// Classifies every `.eml` of `dir`, scores the records against `dir/expected.tsv`, prints the
/// figures (and with `show` the misses) and returns the summary line.
pub(super) fn run(dir: &Path, binary: &Path, show: usize) -> Result<String> {
    let expected = read_tsv(&dir.join("expected.tsv"))?;
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    let on_disk: Vec<String> = files.iter().map(|p| file_name(&p.to_string_lossy())).collect();
    for row in &expected {
        if !on_disk.contains(&field(row, "file")) {
            bail!("expected.tsv names {}, which is not in {}", field(row, "file"), dir.display());
        }
    }
    let unlabelled: Vec<&String> =
        on_disk.iter().filter(|f| !expected.iter().any(|r| &field(r, "file") == *f)).collect();
    let out = crate::target_dir().join("generalisation-records.jsonl");
    let records = super::classify_to(binary, &files, &out)?;
    println!("classified {} files of {}; records in {}", files.len(), dir.display(), out.display());
    let mut by_file: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for record in &records {
        let path = record.pointer("/source/path").and_then(Value::as_str).unwrap_or("");
        by_file.entry(file_name(path)).or_default().push(record);
    }
    let mut tally = Tally::default();
    let mut misses = Vec::new();
    for row in &expected {
        tally.rows += 1;
        let file = field(row, "file");
        let recs = by_file.get(&file).map_or(&[][..], Vec::as_slice);
        let wrong = if field(row, "class") == "not-a-bounce" {
            score_report(row, recs, &mut tally)
        } else {
            score_bounce(row, recs, &mut tally)
        };
        if !wrong.is_empty() {
            misses.push(format!("MISS\t{file}\t{}", wrong.join("; ")));
        }
    }
    wrongly_suppressed(&records, &expected, &mut tally, &mut misses);
    print_figures(&tally, &unlabelled);
    for miss in misses.iter().take(show) {
        println!("{miss}");
    }
    Ok(format!(
        "generalisation: reason {:.1}% class {:.1}% permtemp {:.1}% recipients {:.1}% \
         wrongly suppressed {} missed suppress {}/{}",
        pct(tally.reason_ok, tally.rows),
        pct(tally.class_ok, tally.rows),
        pct(tally.permanence_ok, tally.permanence),
        pct(tally.recipients_found, tally.recipients),
        tally.wrongly_suppressed,
        tally.suppress_missed,
        tally.suppress_expected
    ))
}

/// A row labelled not-a-bounce: right when no record of the file is a bounce, whatever address
/// a report record names (nothing to suppress or retry). Returns what was wrong.
fn score_report(row: &HashMap<String, String>, recs: &[&Value], tally: &mut Tally) -> Vec<String> {
    let reason_label = field(row, "reason");
    let reasons = field_list(&reason_label);
    let bounces = recs.iter().filter(|r| coarse(text(r, "reason")) != "not-a-bounce").count();
    let reason_right = bounces == 0
        && (recs.is_empty() || recs.iter().any(|r| reasons.contains(&text(r, "reason"))));
    tally.reason_ok += usize::from(reason_right);
    tally.class_ok += usize::from(bounces == 0);
    if reason_right {
        return Vec::new();
    }
    let got: Vec<String> = recs.iter().map(|r| describe(r)).collect();
    vec![format!("reason {} got {}", reasons.join("|"), got.join(" "))]
}

/// A bounced recipient: found, reason, coarse class, permanence and suppression. Returns what
/// was wrong.
fn score_bounce(row: &HashMap<String, String>, recs: &[&Value], tally: &mut Tally) -> Vec<String> {
    let (reason_label, class_label) = (field(row, "reason"), field(row, "class"));
    let reasons = field_list(&reason_label);
    let classes = field_list(&class_label);
    let want_permanence = field(row, "permanence");
    let want_suppress = field(row, "suppress") == "yes";
    tally.recipients += 1;
    tally.permanence += usize::from(!want_permanence.is_empty());
    tally.suppress_expected += usize::from(want_suppress);
    let wanted: Vec<String> = field(row, "recipient").split('|').map(normalise).collect();
    let Some(record) = recs.iter().find(|r| wanted.contains(&normalise(text(r, "recipient"))))
    else {
        tally.suppress_missed += usize::from(want_suppress);
        let got: Vec<String> = recs.iter().map(|r| describe(r)).collect();
        let got = if got.is_empty() { "none".to_string() } else { got.join(" ") };
        return vec![format!("recipient {} not found; records {got}", field(row, "recipient"))];
    };
    tally.recipients_found += 1;
    let mut wrong = Vec::new();
    let reason = text(record, "reason");
    if reasons.contains(&reason) {
        tally.reason_ok += 1;
    } else {
        wrong.push(format!("reason {} got {reason}", reasons.join("|")));
    }
    if classes.contains(&coarse(reason)) {
        tally.class_ok += 1;
    } else {
        wrong.push(format!("class {} got {}", classes.join("|"), coarse(reason)));
    }
    if !want_permanence.is_empty() {
        if permanence(record) == want_permanence {
            tally.permanence_ok += 1;
        } else {
            wrong.push(format!("permanence {want_permanence} got {}", permanence(record)));
        }
    }
    if want_suppress && action(record) != "suppress" {
        tally.suppress_missed += 1;
        wrong.push(format!("MISSED SUPPRESS got action {}", action(record)));
    }
    if !wrong.is_empty() {
        wrong.push(describe(record));
    }
    wrong
}

/// Every suppression of a bounce the tool decided that the labels do not call for, including
/// addresses the labels do not list at all (a sender taken for a recipient, say). A complaint's
/// `suppress` puts the complainant on the complaint list (taxonomy: stop marketing mail to
/// them), which the bounce labels do not judge.
fn wrongly_suppressed(
    records: &[Value],
    expected: &[HashMap<String, String>],
    tally: &mut Tally,
    misses: &mut Vec<String>,
) {
    for record in records {
        if action(record) != "suppress" || text(record, "kind") == "complaint" {
            continue;
        }
        tally.suppressed_records += 1;
        let file = file_name(record.pointer("/source/path").and_then(Value::as_str).unwrap_or(""));
        let recipient = normalise(text(record, "recipient"));
        let allowed = expected.iter().any(|row| {
            field(row, "file") == file
                && field(row, "suppress") == "yes"
                && field(row, "recipient").split('|').any(|a| normalise(a) == recipient)
        });
        if !allowed {
            tally.wrongly_suppressed += 1;
            misses.push(format!("WRONGLY-SUPPRESSED\t{file}\t{}", describe(record)));
        }
    }
}

/// A column of a label row, empty when missing.
fn field(row: &HashMap<String, String>, key: &str) -> String {
    row.get(key).cloned().unwrap_or_default()
}

/// The last component of a path as the records give it.
fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// The `|`-separated alternatives of a label (the first is the preferred one).
fn field_list(value: &str) -> Vec<&str> {
    value.split('|').filter(|v| !v.is_empty()).collect()
}

fn print_figures(t: &Tally, unlabelled: &[&String]) {
    println!("tests/generalisation:");
    println!("rows: {}; files without a label: {unlabelled:?}", t.rows);
    ratio("recipients found", t.recipients_found, t.recipients);
    ratio("reason right", t.reason_ok, t.rows);
    ratio("coarse class right", t.class_ok, t.rows);
    ratio("permanent/temporary right", t.permanence_ok, t.permanence);
    println!(
        "wrongly suppressed: {} of {} suppressed records; missed suppress: {}/{}",
        t.wrongly_suppressed, t.suppressed_records, t.suppress_missed, t.suppress_expected
    );
}
