//! Embeds every built-in rule file: walks the workspace's `rules/` folder for `*.rules` files
//! and writes `BUILTIN_FILES`, an `include_str!` table in load order, into `OUT_DIR`.
//!
//! The order is `rules/load-order` first (the files whose place matters), then every other file
//! in sorted path order, so adding a rule file is adding the file. A build script rather than a
//! checked-in table from `cargo xtask codegen`: a fresh clone builds offline with nothing to
//! regenerate, and a new or removed file cannot leave a stale table behind.

#![allow(clippy::print_stdout)] // A build script talks to cargo on stdout.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let rules = root.join("rules");
    // A directory here is scanned recursively by cargo: adding a file reruns the script.
    println!("cargo:rerun-if-changed={}", rules.display());
    let mut found = Vec::new();
    walk(&rules, &mut found);
    let mut relative: Vec<String> = found
        .iter()
        .map(|path| {
            let inside = path.strip_prefix(&rules).expect("found below rules/");
            inside.to_string_lossy().replace('\\', "/")
        })
        .collect();
    relative.sort();
    let order_path = rules.join("load-order");
    let order_text = std::fs::read_to_string(&order_path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", order_path.display()));
    let mut ordered: Vec<String> = Vec::new();
    for line in order_text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        assert!(relative.iter().any(|r| r == line), "rules/load-order: no file rules/{line}");
        assert!(!ordered.iter().any(|o| o == line), "rules/load-order: {line} is listed twice");
        ordered.push(line.to_owned());
    }
    let rest: Vec<String> = relative.into_iter().filter(|r| !ordered.contains(r)).collect();
    ordered.extend(rest);
    let mut table = String::from(
        "/// The built-in rule files, embedded at build time: `(path, text)` in load order\n\
         /// (`rules/load-order`, then the other files of `rules/` in sorted path order).\n\
         pub const BUILTIN_FILES: &[(&str, &str)] = &[\n",
    );
    for name in &ordered {
        let path = rules.join(name).canonicalize().expect("a file that was just listed");
        let shown = format!("rules/{name}");
        let _ = writeln!(table, "    ({shown:?}, include_str!({:?})),", path.display().to_string());
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("builtin_rules.rs"), table).expect("OUT_DIR is writable");
}

/// Every `*.rules` file below `dir`.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            walk(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rules") {
            found.push(path);
        }
    }
}
