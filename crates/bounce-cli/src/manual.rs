//! `bounce-triage completions SHELL` (clap_complete) and `bounce-triage man` (clap_mangen):
//! both generated from the same clap definition as `--help`, so they never drift from it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::args::OUTPUT;
use crate::output::{print_stdout, write_atomic};

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell. Install, e.g. for bash:
    /// `bounce-triage completions bash > ~/.local/share/bash-completion/completions/bounce-triage`.
    #[arg(value_enum, value_name = "SHELL")]
    pub(crate) shell: Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write bounce-triage.1 and one page per subcommand (bounce-triage-classify.1, …) into
    /// DIR instead of printing the main page.
    #[arg(long, value_name = "DIR", help_heading = OUTPUT)]
    pub(crate) dir: Option<PathBuf>,
}

/// Prints the completion script of `args.shell`.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<ExitCode> {
    let mut command = crate::Cli::command();
    let mut script = Vec::new();
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    clap_complete::generate(args.shell, &mut command, "bounce-triage", &mut script);
    print_stdout(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the main manual page, or writes every page into `--dir`.
pub(crate) fn man(args: &ManArgs) -> Result<ExitCode> {
    let mut command = crate::Cli::command().disable_help_subcommand(true);
    command.build();
    match &args.dir {
        None => print_stdout(&render(&command)?)?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
            write_pages(&command, dir)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The roff page of one command.
fn render(command: &clap::Command) -> Result<String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page).context("cannot render the page")?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// Writes the page of `command` and of each of its subcommands, depth first.
fn write_pages(command: &clap::Command, dir: &Path) -> Result<()> {
    let man = clap_mangen::Man::new(command.clone());
    let path = dir.join(man.get_filename());
    write_atomic(&path, render(command)?.as_bytes())?;
    crate::output::eprint_line(&format!("wrote {}", path.display()));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    Ok(())
}
