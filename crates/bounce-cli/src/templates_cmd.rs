//! `bounce-triage templates`: list the report templates, export the built-ins to edit them.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

/// Subcommands of `templates`.
#[derive(Debug, Subcommand)]
pub(crate) enum TemplatesCommand {
    /// List the templates: the built-ins, plus those of `--templates DIR` if given.
    List {
        /// Also list the templates in DIR (overriding built-ins of the same file name).
        #[arg(long = "templates", value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Copy the built-in templates into DIR to edit them; use them with `report --templates DIR`.
    Export {
        /// The folder to write to (created if missing).
        dir: PathBuf,
        /// Replace files that already exist.
        #[arg(long)]
        force: bool,
    },
}

pub(crate) fn run(cmd: &TemplatesCommand) -> Result<ExitCode> {
    match cmd {
        TemplatesCommand::List { templates } => {
            let set = crate::report::load_templates(
                templates.as_deref(),
                crate::read_capped::DEFAULT_MAX_FILE_BYTES,
            )?;
            let mut out = String::new();
            for info in set.list() {
                let _ = writeln!(
                    out,
                    "{:<22} {:<9} {}",
                    info.name,
                    info.origin.as_str(),
                    info.description
                );
            }
            crate::output::print_stdout(&out)?;
        }
        TemplatesCommand::Export { dir, force } => {
            fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
            let builtins = bounce_report::builtin_templates();
            if !force {
                let existing: Vec<String> = builtins
                    .iter()
                    .map(|(name, _)| dir.join(name))
                    .filter(|p| p.exists())
                    .map(|p| p.display().to_string())
                    .collect();
                if !existing.is_empty() {
                    bail!("would overwrite {} (use --force)", existing.join(", "));
                }
            }
            for (name, source) in builtins {
                let path = dir.join(name);
                crate::output::write_atomic(&path, source.as_bytes())?;
                crate::output::eprint_line(&format!("wrote {}", path.display()));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
