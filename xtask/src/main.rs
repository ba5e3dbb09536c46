//! Development tasks for bounce-triage: `cargo xtask codegen [--check]`,
//! `cargo xtask corpus [DIR] [--show N]`, `cargo xtask bench [...]`, `cargo xtask fuzz [...]`
//! and `cargo xtask spark-test [--release] [--mb N] [--keep]`.
//!
//! Kept out of the shipped binary; its dependencies are few.
#![allow(clippy::print_stdout)]

mod bench;
mod bench_dns;
mod bench_sources;
mod codegen;
mod corpus;
mod fuzz;
mod spark_test;

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
        bail!(
            "usage: cargo xtask codegen [--check] | corpus [DIR] [--show N] | bench [--size MB] [--real PATH] [--threads LIST] [--compare CMD] | fuzz [...] | spark-test [--release] [--mb N] [--keep]"
        );
    }
    let task = args.remove(0);
    match task.as_str() {
        "bench" => bench::run(&args),
        "bench-sources" => bench_sources::run(&args),
        "codegen" => codegen::run(&args, &project_root()),
        "corpus" => corpus::run(&args),
        "fuzz" => fuzz::run(&args),
        "spark-test" => spark_test::run(&args),
        other => {
            bail!(
                "unknown task `{other}`; tasks: bench, bench-sources, codegen, corpus, fuzz, spark-test"
            )
        }
    }
}

/// The workspace root (the parent of the xtask crate).
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Builds the `bounce-triage` binary (release or debug) and returns its path, honouring
/// `CARGO_TARGET_DIR`.
pub(crate) fn build_binary(release: bool) -> Result<PathBuf> {
    let root = project_root();
    let mut args = vec!["build", "--quiet", "-p", "bounce-cli"];
    if release {
        args.push("--release");
    }
    let status = std::process::Command::new(env!("CARGO"))
        .args(&args)
        .current_dir(&root)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run cargo build: {e}"))?;
    if !status.success() {
        bail!("cargo build failed");
    }
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join(format!("bounce-triage{}", std::env::consts::EXE_SUFFIX)))
}

/// The cargo target folder (`CARGO_TARGET_DIR`, else `target/` of the workspace).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from)
}
