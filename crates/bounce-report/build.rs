//! Embeds every built-in template: lists the workspace's `templates/` folder and writes
//! `BUILTIN`, a table of (file name, description, `include_str!`) in file name order, into
//! `OUT_DIR`. The description is the text of the template's first line, a minijinja comment
//! `{#- description -#}`, so adding a template is adding the file.

#![allow(clippy::print_stdout)] // A build script talks to cargo on stdout.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let folder = manifest.join("../../templates").canonicalize().expect("the templates folder");
    println!("cargo:rerun-if-changed={}", folder.display());
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("a readable templates folder")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut table = String::from(
        "/// The built-in templates, embedded at build time: file name, description and source.\n\
         const BUILTIN: &[(&str, &str, &str)] = &[\n",
    );
    for path in &paths {
        let name = path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 file name");
        let text = std::fs::read_to_string(path).expect("a UTF-8 template");
        let first = text.lines().next().unwrap_or_default().trim();
        let description = first
            .strip_prefix("{#-")
            .and_then(|rest| rest.strip_suffix("-#}"))
            .map(str::trim)
            .filter(|description| !description.is_empty())
            .unwrap_or_else(|| {
                panic!("templates/{name}: the first line is not `{{#- description -#}}`")
            });
        let source = path.display().to_string();
        let _ = writeln!(table, "    ({name:?}, {description:?}, include_str!({source:?})),");
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("builtin_templates.rs"), table).expect("OUT_DIR is writable");
}
