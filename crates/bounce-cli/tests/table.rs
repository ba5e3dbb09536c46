//! The terminal table of `classify`: recipient, action, reason and owner first, as wide as
//! the terminal (`COLUMNS`, or 100, when stdout is not one), long cells cut with `…`.

use std::path::Path;
use std::process::Command;

/// The table of the bundled sample archive at `columns`.
fn table(columns: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["classify", "examples/bounces.mbox", "--format", "table", "--quiet"])
        .env("COLUMNS", columns)
        .output()
        .expect("bounce-triage runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn the_table_leads_with_the_answer_and_fits_100_columns() {
    let text = table("100");
    assert!(widest(&text) <= 100, "{text}");
    let header: Vec<&str> = text.lines().next().expect("a header").split_whitespace().collect();
    assert_eq!(header[..6], ["RECIPIENT", "ACTION", "REASON", "OWNER", "CODE", "PROVIDER"]);
    insta::assert_snapshot!("classify_table_100_columns", text);
}

#[test]
fn the_table_fits_narrow_and_wide_terminals() {
    let narrow = table("60");
    assert!(widest(&narrow) <= 60, "{narrow}");
    assert!(narrow.starts_with("RECIPIENT"), "{narrow}");
    assert!(narrow.contains('…'), "long cells are cut with an ellipsis: {narrow}");
    let wide = table("200");
    assert!(widest(&wide) <= 200, "{wide}");
    assert!(wide.lines().next().is_some_and(|h| h.ends_with("DIAGNOSTIC")), "{wide}");
    assert!(wide.contains(" 550-5.1.1 The email account that you tri"), "{wide}");
}
