//! The engine of bounce-triage: streams the messages of every input, extracts and classifies
//! them in parallel, and hands records out in input order.
//!
//! This is the only crate that runs threads. Messages are read in batches (a bounded window of
//! in-flight messages), each batch is processed with rayon, and its results are emitted in
//! message order, so the output does not depend on the thread count and memory does not grow
//! with the archive.
#![deny(missing_docs)]

use bounce_mail::extract::{extract, ExtractOptions};
use bounce_mail::input::{self, InputFile, ReadOptions};
use bounce_mail::split::Event;
use bounce_model::{Bucket, Problem, Record, Source, Summary};
use rayon::prelude::*;

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How inputs are read (mbox flavour, size limits).
    pub read: ReadOptions,
    /// What the extraction captures.
    pub extract: ExtractOptions,
    /// Messages in flight at once (the memory window).
    pub window: usize,
    /// Bytes in flight at once, whichever limit comes first.
    pub window_bytes: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            read: ReadOptions::default(),
            extract: ExtractOptions::default(),
            window: 512,
            window_bytes: 64 << 20,
        }
    }
}

/// What the engine hands out, in input order.
#[derive(Debug)]
pub enum Output {
    /// One classified record.
    Record(Box<Record>),
    /// A message that needs attention (unparsed, no recipient, preamble, oversize).
    Problem(Problem),
}

/// A raw message waiting in the window.
struct Pending {
    source: Source,
    bytes: Vec<u8>,
}

/// Runs the extraction and classification over `inputs`, calling `sink` for every output in
/// order, and returns the summary. `classify` applies the rules to a record; it must be pure.
///
/// `sink` returns `false` to stop early (e.g. on a broken pipe).
pub fn run<C, S>(
    inputs: &[InputFile],
    options: &EngineOptions,
    classify: &C,
    mut sink: S,
) -> Summary
where
    C: Fn(&mut Record) + Sync,
    S: FnMut(Output) -> bool,
{
    let mut summary = Summary::default();
    let mut stopped = false;
    for file in inputs {
        if stopped {
            break;
        }
        let messages = match input::open(file, &options.read) {
            Ok(m) => m,
            Err(e) => {
                summary.failed_inputs.push(Problem {
                    source: Source { path: file.display.clone(), message: 0, offset: 0 },
                    error: e.to_string(),
                });
                continue;
            }
        };
        let mut window: Vec<Pending> = Vec::with_capacity(options.window);
        let mut window_bytes = 0usize;
        let mut number = 0u64;
        for event in messages {
            match event {
                Event::Message(raw) => {
                    number += 1;
                    window_bytes += raw.bytes.len();
                    window.push(Pending {
                        source: Source {
                            path: file.display.clone(),
                            message: number,
                            offset: raw.offset,
                        },
                        bytes: raw.bytes,
                    });
                    if window.len() >= options.window || window_bytes >= options.window_bytes {
                        stopped = !flush(&mut window, options, classify, &mut summary, &mut sink);
                        window_bytes = 0;
                        if stopped {
                            break;
                        }
                    }
                }
                Event::Preamble { offset, len } => summary.preambles.push(Problem {
                    source: Source { path: file.display.clone(), message: 0, offset },
                    error: format!("{len} bytes before the first `From ` line are not a message"),
                }),
                Event::Oversize { offset, len, limit } => {
                    number += 1;
                    let problem = Problem {
                        source: Source { path: file.display.clone(), message: number, offset },
                        error: format!("message of {len} bytes exceeds the limit of {limit} bytes"),
                    };
                    stopped = !flush(&mut window, options, classify, &mut summary, &mut sink);
                    window_bytes = 0;
                    summary.count(Bucket::Unparsed);
                    summary.problems.push(problem.clone());
                    if stopped || !sink(Output::Problem(problem)) {
                        stopped = true;
                        break;
                    }
                }
                Event::Error { offset, error } => {
                    stopped = !flush(&mut window, options, classify, &mut summary, &mut sink);
                    summary.failed_inputs.push(Problem {
                        source: Source { path: file.display.clone(), message: number, offset },
                        error,
                    });
                    break;
                }
            }
        }
        if !stopped {
            stopped = !flush(&mut window, options, classify, &mut summary, &mut sink);
        }
    }
    summary
}

/// Processes the window in parallel and emits its results in order.
fn flush<C, S>(
    window: &mut Vec<Pending>,
    options: &EngineOptions,
    classify: &C,
    summary: &mut Summary,
    sink: &mut S,
) -> bool
where
    C: Fn(&mut Record) + Sync,
    S: FnMut(Output) -> bool,
{
    let results: Vec<_> = window
        .par_iter()
        .map(|p| {
            let mut ex = extract(&p.bytes, &p.source, &options.extract);
            for record in &mut ex.records {
                classify(record);
            }
            ex
        })
        .collect();
    let sources: Vec<Source> = window.drain(..).map(|p| p.source).collect();
    for (ex, source) in results.into_iter().zip(sources) {
        summary.count(ex.bucket);
        if matches!(ex.bucket, Bucket::Unparsed | Bucket::BounceNoRecipient) {
            let problem = Problem { source, error: ex.problem.unwrap_or_default() };
            summary.problems.push(problem.clone());
            if !sink(Output::Problem(problem)) {
                return false;
            }
        }
        for record in ex.records {
            summary.records += 1;
            if !sink(Output::Record(Box::new(record))) {
                return false;
            }
        }
    }
    true
}
