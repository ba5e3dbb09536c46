//! The bundled sample archive (`examples/bounces.mbox`) gives the reasons its README promises:
//! every one-recipient message's first reason word in `examples/README.md` is the reason the
//! built-in rules give it, so the documentation a new user reads stays true.

use std::collections::BTreeMap;
use std::path::Path;

#[path = "../fixtures/hostile/builders.rs"]
mod builders;

use bounce_engine::ReadOptions;

/// `message number -> reason` from the README table (`| N | date | MTA | text | reason · ... |`).
fn promised() -> BTreeMap<u64, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("examples/README.md")).expect("README readable");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let number = cells.get(1)?.parse::<u64>().ok()?;
            let reason = cells.get(5)?.split('·').next()?.trim().to_owned();
            Some((number, reason))
        })
        .collect()
}

#[test]
fn the_sample_archive_gives_the_reasons_its_readme_promises() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let archive = root.join("examples/bounces.mbox");
    let result = builders::run_engine(&[&archive], &ReadOptions::default());
    let promised = promised();
    assert!(promised.len() >= 60, "the README table was not read: {} rows", promised.len());
    let mut per_message: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for record in &result.records {
        let reason = record.reason().map_or("-", |r| r.as_str()).to_owned();
        per_message.entry(record.source.message).or_default().push(reason);
    }
    let mut wrong = Vec::new();
    for (number, reason) in &promised {
        match per_message.get(number).map(Vec::as_slice) {
            Some([only]) if only != reason => {
                wrong.push(format!("#{number}: {only}, README {reason}"))
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "the sample archive and its README disagree: {wrong:#?}");
}
