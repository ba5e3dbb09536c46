//! Development tasks for bounce-triage: `cargo xtask codegen [--check]` and
//! `cargo xtask corpus [DIR] [--show N]`.
//!
//! Kept out of the shipped binary; its dependencies are few.
#![allow(clippy::print_stdout)]

mod bench;
mod codegen;
mod corpus;
mod fuzz;

use std::env;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<()> {
    let mut args: Vec<String> = env::args().skip(1).collect();
    if args.is_empty() {
        bail!("usage: cargo xtask codegen [--check] | corpus [DIR] [--show N]");
    }
    let task = args.remove(0);
    match task.as_str() {
        "bench" => bench::run(&args),
        "codegen" => codegen::run(&args, &project_root()),
        "corpus" => corpus::run(&args),
        "fuzz" => fuzz::run(&args),
        other => bail!("unknown task `{other}`; tasks: codegen, corpus"),
    }
}

/// The workspace root (the parent of the xtask crate).
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
