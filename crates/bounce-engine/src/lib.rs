//! The engine of bounce-triage: streams the messages of every input, extracts and classifies
//! them in parallel, and hands records out in input order.
//!
//! This is the only crate that runs threads. Messages are read in batches (a bounded window of
//! in-flight messages), each batch is processed with rayon, and its results are emitted in
//! message order, so the output does not depend on the thread count and memory does not grow
//! with the archive. Work runs on a pool of `threads` workers owned by the run (never rayon's
//! global pool), so two runs with different thread counts can share a process.
//!
//! Besides the stream of records, the crate folds records into bounded accumulators:
//! [`aggregate`] for incident groups, time series and spikes, [`suppress`] for the
//! reason-aware suppression, keep and complaint lists, with counters carried between runs by
//! [`state`].
#![deny(missing_docs)]

pub mod aggregate;
mod csv_input;
pub mod state;
pub mod suppress;
pub mod time;

pub use csv_input::{read_deliveries, read_sent, CsvError, SentCounts};

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
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            read: ReadOptions::default(),
            extract: ExtractOptions::default(),
            window: 512,
            window_bytes: 64 << 20,
            threads: None,
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

/// How far a run has got, reported after every window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the inputs consumed so far (decompressed bytes for gzip input).
    pub bytes: u64,
    /// Messages processed so far.
    pub messages: u64,
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
pub fn run<C, S>(inputs: &[InputFile], options: &EngineOptions, classify: &C, sink: S) -> Summary
where
    C: Fn(&mut Record) + Sync,
    S: FnMut(Output) -> bool,
{
    run_with_progress(inputs, options, classify, sink, &mut |_| {})
}

/// Like [`run`], and calls `progress` after every window with the bytes and messages done.
pub fn run_with_progress<C, S>(
    inputs: &[InputFile],
    options: &EngineOptions,
    classify: &C,
    mut sink: S,
    progress: &mut dyn FnMut(Progress),
) -> Summary
where
    C: Fn(&mut Record) + Sync,
    S: FnMut(Output) -> bool,
{
    let pool = options
        .threads
        .and_then(|n| rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build().ok());
    let mut ctx = Context { options, classify, pool: pool.as_ref() };
    let mut summary = Summary::default();
    let mut stopped = false;
    let mut bytes_before = 0u64;
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
        let mut position = 0u64;
        for event in messages {
            match event {
                Event::Message(raw) => {
                    number += 1;
                    window_bytes += raw.bytes.len();
                    position = raw.offset + raw.bytes.len() as u64;
                    window.push(Pending {
                        source: Source {
                            path: file.display.clone(),
                            message: number,
                            offset: raw.offset,
                        },
                        bytes: raw.bytes,
                    });
                    if window.len() >= options.window || window_bytes >= options.window_bytes {
                        stopped = !ctx.flush(&mut window, &mut summary, &mut sink);
                        window_bytes = 0;
                        progress(Progress {
                            bytes: bytes_before + position,
                            messages: summary.messages,
                        });
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
                    position = offset + len;
                    stopped = !ctx.flush(&mut window, &mut summary, &mut sink);
                    window_bytes = 0;
                    summary.count(Bucket::Unparsed);
                    summary.problems.push(problem.clone());
                    if stopped || !sink(Output::Problem(problem)) {
                        stopped = true;
                        break;
                    }
                }
                Event::Error { offset, error } => {
                    stopped = !ctx.flush(&mut window, &mut summary, &mut sink);
                    summary.failed_inputs.push(Problem {
                        source: Source { path: file.display.clone(), message: number, offset },
                        error,
                    });
                    break;
                }
            }
        }
        if !stopped {
            stopped = !ctx.flush(&mut window, &mut summary, &mut sink);
        }
        bytes_before += file_size(file).unwrap_or(position).max(position);
        progress(Progress { bytes: bytes_before, messages: summary.messages });
    }
    summary
}

/// The size of an input on disk, if it is a file (not stdin).
fn file_size(file: &InputFile) -> Option<u64> {
    if file.is_stdin() {
        return None;
    }
    std::fs::metadata(&file.path).ok().map(|m| m.len())
}

/// The total size on disk of `inputs` (stdin counts as 0), for progress bars.
#[must_use]
pub fn total_bytes(inputs: &[InputFile]) -> u64 {
    inputs.iter().filter_map(file_size).sum()
}

/// What every window of a run needs.
struct Context<'a, C> {
    options: &'a EngineOptions,
    classify: &'a C,
    pool: Option<&'a rayon::ThreadPool>,
}

impl<C> Context<'_, C>
where
    C: Fn(&mut Record) + Sync,
{
    /// Processes the window in parallel and emits its results in order.
    fn flush<S>(&mut self, window: &mut Vec<Pending>, summary: &mut Summary, sink: &mut S) -> bool
    where
        S: FnMut(Output) -> bool,
    {
        if window.is_empty() {
            return true;
        }
        let options = self.options;
        let classify = self.classify;
        let work = || -> Vec<_> {
            window
                .par_iter()
                .map(|p| {
                    let mut ex = extract(&p.bytes, &p.source, &options.extract);
                    for record in &mut ex.records {
                        classify(record);
                    }
                    ex
                })
                .collect()
        };
        let results = match self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        };
        emit(results, window, summary, sink)
    }
}

/// Hands the results of a window to `sink` in message order and counts them.
fn emit<S>(
    results: Vec<bounce_mail::extract::Extraction>,
    window: &mut Vec<Pending>,
    summary: &mut Summary,
    sink: &mut S,
) -> bool
where
    S: FnMut(Output) -> bool,
{
    let sources: Vec<Source> = window.drain(..).map(|p| p.source).collect();
    for (ex, source) in results.into_iter().zip(sources) {
        summary.count(ex.bucket);
        // Unparsed messages and bounces without a recipient are always listed; other
        // messages are listed when the extraction warns (e.g. recipients over the limit).
        if matches!(ex.bucket, Bucket::Unparsed | Bucket::BounceNoRecipient) || ex.problem.is_some()
        {
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

/// Spikes (default thresholds) and the reason-aware suppression, keep and complaint lists of
/// a set of records already in memory, as `report` needs them.
#[must_use]
pub fn spikes_and_lists(
    records: &[Record],
) -> (Vec<bounce_model::Spike>, Vec<bounce_model::ListEntry>) {
    let mut aggregator = aggregate::Aggregator::new(aggregate::AggregateOptions::default(), None);
    let mut suppressor = suppress::Suppressor::new(
        suppress::SuppressOptions::default(),
        state::SuppressionState::default(),
    );
    for record in records {
        aggregator.add(record);
        suppressor.add(record);
    }
    let spikes = aggregator.finish().spikes;
    let (lists, _) = suppressor.finish(&spikes);
    (spikes, lists)
}
