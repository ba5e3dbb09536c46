//! Running the pipeline for a command, the same way for every reading command: the progress
//! bar (drawn here and nowhere else), the count of inputs that could be opened, what the
//! failed inputs mean for the exit code, and the summary on stderr.

use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::output::eprint_line;
use anyhow::{bail, Result};
use bounce_engine::{Output, Pipeline, Progress};
use bounce_model::{Problem, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Exit code of a run in which some inputs could not be read.
pub(crate) const EXIT_PARTIAL: u8 = 3;

/// Exit code of a `--fail-on-incident` run in which a spike was flagged.
pub(crate) const EXIT_INCIDENT: u8 = 4;

/// What a run read.
pub(crate) struct Ran {
    /// Every message counted in its bucket, with the problems and the failed inputs.
    pub(crate) summary: Summary,
    /// Inputs opened and read (whole or in part).
    opened: usize,
}

/// Runs `pipeline`, handing `sink` every output in order (`false` stops the run), with a
/// progress bar on stderr when `progress` is asked for and stderr is a terminal.
pub(crate) fn run(
    pipeline: &Pipeline,
    progress: bool,
    mut sink: impl FnMut(Output) -> bool,
) -> Ran {
    let bar = if progress { progress_bar(pipeline.total_bytes()) } else { None };
    let started = Instant::now();
    let mut on_progress = |p: Progress| {
        if let Some(bar) = &bar {
            bar.set_position(p.bytes);
            let seconds = started.elapsed().as_secs_f64().max(1e-3);
            #[allow(clippy::cast_precision_loss)]
            let rate = p.messages as f64 / seconds;
            bar.set_message(format!("{} msgs, {rate:.0} msgs/s", p.messages));
        }
    };
    let mut opened = 0;
    let summary = pipeline.run_with_progress(
        |item| {
            if matches!(item, Output::Opened { .. }) {
                opened += 1;
            }
            sink(item)
        },
        &mut on_progress,
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(dns) = &pipeline.options().dns {
        if let Err(e) = dns.save() {
            eprint_line(&format!("error: {e}"));
        }
    }
    Ran { summary, opened }
}

impl Ran {
    /// An error when inputs were given and not one could be read: nothing was done, so the
    /// command stops with exit 1 before writing anything. The error names the input (every
    /// input, when there are several).
    pub(crate) fn require_input(&self) -> Result<()> {
        let failed = &self.summary.failed_inputs;
        if self.opened > 0 || failed.is_empty() {
            return Ok(());
        }
        if let [only] = failed.as_slice() {
            bail!("{}", input_error(only));
        }
        for problem in failed {
            eprint_line(&format!("error: {}", input_error(problem)));
        }
        bail!("none of the {} inputs could be read", failed.len())
    }

    /// Prints the inputs that could not be read, each as an `error:` line.
    pub(crate) fn print_input_errors(&self) {
        for problem in &self.summary.failed_inputs {
            eprint_line(&format!("error: {}", input_error(problem)));
        }
    }

    /// Prints the summary: the inputs that could not be read first, then every problem, then
    /// the counts, last, where the eye falls.
    pub(crate) fn print_summary(&self) {
        let s = &self.summary;
        self.print_input_errors();
        for p in &s.preambles {
            eprint_line(&format!("note: {}@{}: {}", p.source.path, p.source.offset, p.error));
        }
        print_problems(s);
        eprintln!(
            "messages {}: bounce {}, report {}, bounce-no-recipient {}, not-a-bounce {}, unparsed {}; records {}",
            s.messages, s.bounce, s.report, s.bounce_no_recipient, s.not_a_bounce, s.unparsed, s.records
        );
    }

    /// 4 for a flagged incident (when asked), 3 when some inputs could not be read, else 0.
    pub(crate) fn exit_code(&self, incident: bool) -> ExitCode {
        if incident {
            ExitCode::from(EXIT_INCIDENT)
        } else if self.summary.failed_inputs.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_PARTIAL)
        }
    }
}

/// Prints each message that needs attention as a `warning:` line.
pub(crate) fn print_problems(s: &Summary) {
    for p in &s.problems {
        eprint_line(&format!(
            "warning: {} message {} at byte {}: {}",
            p.source.path, p.source.message, p.source.offset, p.error
        ));
    }
}

/// An input that could not be read, in words that name it.
fn input_error(problem: &Problem) -> String {
    let source = &problem.source;
    if source.path.is_empty() {
        problem.error.clone()
    } else if source.offset > 0 {
        format!("{} at byte {}: {}", source.path, source.offset, problem.error)
    } else {
        format!("{}: {}", source.path, problem.error)
    }
}

/// A progress bar (bytes, messages/s, ETA) on stderr when it is a terminal.
fn progress_bar(total_bytes: u64) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {msg} ({bytes_per_sec}, ETA {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    Some(bar)
}
