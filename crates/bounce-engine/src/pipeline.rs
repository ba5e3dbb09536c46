//! The one pipeline every archive-reading command runs: inputs → source → facts → verdict →
//! sink, in input order, over a bounded window processed in parallel.
//!
//! [`ReadOptions`] is built once from what the user typed; [`Pipeline::new`] loads the rules
//! and finds the inputs; [`Pipeline::run`] streams [`Output`]s to a sink and returns the
//! [`Summary`]. `explain` is the same pipeline with [`ReadOptions::trace`] on.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc;

use bounce_mail::extract::ExtractOptions;
use bounce_mail::input::{self, InputFile};
use bounce_mail::split::MboxFormat;
use bounce_model::{Bucket, Problem, Record, Source, Summary};
use bounce_rules::{Explanation, RuleLimits, RuleSet, RulesErrors};
use rayon::prelude::*;

use crate::filter::RecordFilter;
use crate::shard::{is_gzip, Plan, Shard};
use crate::source::{Reading, RecordSource, Registry, SourceEvent, Unit};

/// Everything a run needs to know, resolved once from the command line.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// What the user pointed at: files, directories, Maildirs, `-` for stdin.
    pub inputs: Vec<PathBuf>,
    /// The input format by name (`--input-format`); `None` sniffs each input.
    pub input_format: Option<String>,
    /// The mbox dialect of mbox inputs.
    pub mbox_format: MboxFormat,
    /// Units (messages, lines) larger than this are skipped and listed as unparsed.
    pub max_message_bytes: u64,
    /// What the extraction captures and its per-message limits.
    pub extract: ExtractOptions,
    /// User rule files and folders, before the built-in rules.
    pub rules: Vec<PathBuf>,
    /// Caps on the user's rule files and their literals.
    pub rule_limits: RuleLimits,
    /// Which records reach the sink (the summary still counts every message).
    pub filter: RecordFilter,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    /// Units in flight at once (the memory window).
    pub window: usize,
    /// Bytes in flight at once, whichever limit comes first.
    pub window_bytes: usize,
    /// Explain every record (the winning rule and the losers) and report every message.
    pub trace: bool,
    /// The zone of log timestamps that carry none (`--log-timezone`; `None` is UTC).
    pub log_timezone: Option<String>,
    /// The year of log timestamps that carry none (`--log-year`; `None` guesses this year).
    pub log_year: Option<i16>,
    /// Subscriber keys to addresses (`--join`), for exports that name subscribers by key.
    pub join: Option<std::sync::Arc<crate::source::SubscriberJoin>>,
    /// Which shard of the inputs this run reads (`--shard K/N`; 1/1 reads everything).
    pub shard: Shard,
    /// The DNS client of `--resolve`: each window's records are resolved (one question per
    /// distinct name or IP per run) and carry their `dns` evidence; the rules then also see the
    /// recipient domain's MX hosts. `None` (the default) touches no network.
    pub dns: Option<std::sync::Arc<bounce_dns::Dns>>,
    /// Encodes each record where it is classified, on a worker (the sink's own output form, e.g.
    /// a JSON line): the pipeline then hands out [`Output::Encoded`] instead of
    /// [`Output::Record`], so the thread that emits does not encode. `None` when the encoding
    /// fails (the sink encodes it itself then). Not with `dns` or `trace`.
    pub encode: Option<Encode>,
    /// With [`ReadOptions::encode`]: whether the sink needs the records beside their
    /// encodings (true by default). When it does not, a worker drops each record once it is
    /// encoded and filtered, and the pipeline hands out [`Output::Lines`], the records of one
    /// unit as encoded lines: the thread that emits then neither moves nor frees records.
    pub keep_records: bool,
}

/// How [`ReadOptions::encode`] encodes a record: appends its encoding to the buffer and says
/// whether it could (a failed encoding may leave bytes behind; the pipeline drops them).
pub type Encode = fn(&Record, &mut Vec<u8>) -> bool;

/// Room for one record's encoding, reserved before it is written (a JSON line of a record is
/// about a kilobyte): the buffer then grows once, not doubling from nothing.
const ENCODED_ROOM: usize = 1536;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            inputs: Vec::new(),
            input_format: None,
            mbox_format: MboxFormat::default(),
            max_message_bytes: input::ReadOptions::default().max_message_bytes,
            extract: ExtractOptions::default(),
            rules: Vec::new(),
            rule_limits: RuleLimits::default(),
            filter: RecordFilter::default(),
            threads: None,
            window: 512,
            window_bytes: 64 << 20,
            trace: false,
            log_timezone: None,
            log_year: None,
            join: None,
            shard: Shard::WHOLE,
            dns: None,
            encode: None,
            keep_records: true,
        }
    }
}

/// Why a pipeline could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The rules do not compile.
    #[error("the rules do not compile")]
    Rules(RulesErrors),
    /// `--input-format` names no known format.
    #[error("{0}")]
    InputFormat(String),
    /// `--shard K/N` with N > 1 cannot split these inputs.
    #[error("{0}")]
    Shard(String),
}

/// What the pipeline hands out, in input order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// One classified record.
    Record(Box<Record>),
    /// A unit that needs attention (unparsed, no recipient, oversize, a warning).
    Problem(Problem),
    /// An input was opened and is read as `format`.
    Opened {
        /// The input, as shown to the user.
        path: String,
        /// The name of the source reading it.
        format: &'static str,
    },
    /// With [`ReadOptions::trace`]: a record with how the rules decided it.
    Traced {
        /// The record, classified.
        record: Box<Record>,
        /// The evidence the rules saw, the winner and the losers.
        explanation: Box<Explanation>,
    },
    /// With [`ReadOptions::encode`]: one classified record and its encoding.
    Encoded {
        /// The record.
        record: Box<Record>,
        /// What [`ReadOptions::encode`] made of it.
        encoded: Vec<u8>,
    },
    /// With [`ReadOptions::encode`] and without [`ReadOptions::keep_records`]: the records of
    /// one unit that the filter keeps, each encoded and ended by a line feed.
    Lines {
        /// How many records the lines are.
        records: usize,
        /// The encodings, one per line.
        lines: Vec<u8>,
    },
    /// With [`ReadOptions::trace`]: a unit that gave no record, with its bucket.
    Unit {
        /// Where it is.
        source: Source,
        /// Its bucket.
        bucket: Bucket,
        /// Why, when the source says.
        problem: Option<String>,
    },
}

/// How far a run has got, reported after every window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the inputs consumed so far (decompressed bytes for gzip input).
    pub bytes: u64,
    /// Units processed so far.
    pub messages: u64,
}

/// Inputs, rules and sources, ready to run.
#[derive(Debug)]
pub struct Pipeline {
    options: ReadOptions,
    rules: RuleSet,
    registry: Registry,
    files: Vec<InputFile>,
    missing: Vec<Problem>,
}

impl Pipeline {
    /// Loads the built-in and user rules and finds the inputs, with the built-in sources.
    ///
    /// # Errors
    /// When the rules do not compile or the input format is unknown.
    pub fn new(options: ReadOptions) -> Result<Pipeline, PipelineError> {
        let rules = RuleSet::load_limited(&options.rules, options.rule_limits)
            .map_err(PipelineError::Rules)?;
        Pipeline::with_rules(options, rules, Registry::builtin())
    }

    /// A pipeline over already compiled rules and a registry of sources.
    ///
    /// # Errors
    /// When the input format is unknown.
    pub fn with_rules(
        options: ReadOptions,
        rules: RuleSet,
        registry: Registry,
    ) -> Result<Pipeline, PipelineError> {
        if let Some(name) = &options.input_format {
            if registry.get(name).is_none() {
                return Err(PipelineError::InputFormat(registry.unknown(name)));
            }
        }
        let mut files = Vec::new();
        let mut missing = Vec::new();
        for found in input::discover(&options.inputs) {
            match found {
                Ok(file) => files.push(file),
                Err(e) => missing.push(Problem { source: Source::default(), error: e.to_string() }),
            }
        }
        check_shardable(options.shard, &files)?;
        Ok(Pipeline { options, rules, registry, files, missing })
    }

    /// The rules the pipeline classifies with.
    #[must_use]
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The options it was built from.
    #[must_use]
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// The inputs found, in reading order; a caller may rename how they are shown.
    pub fn inputs_mut(&mut self) -> &mut [InputFile] {
        &mut self.files
    }

    /// The total size on disk of the inputs (stdin counts as 0), for progress bars.
    #[must_use]
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().filter_map(file_size).sum()
    }

    /// Runs over every input, calling `sink` for every output in order; `sink` returns
    /// `false` to stop early (e.g. on a broken pipe). Returns the summary.
    pub fn run<S>(&self, sink: S) -> Summary
    where
        S: FnMut(Output) -> bool,
    {
        self.run_with_progress(sink, &mut |_| {})
    }

    /// Like [`Pipeline::run`], and calls `progress` after every window.
    pub fn run_with_progress<S>(&self, mut sink: S, progress: &mut dyn FnMut(Progress)) -> Summary
    where
        S: FnMut(Output) -> bool,
    {
        let pool = self
            .options
            .threads
            .and_then(|n| rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build().ok());
        let mut summary = Summary::default();
        summary.failed_inputs.extend(self.missing.iter().cloned());
        let mut bytes_before = 0u64;
        for file in &self.files {
            let plan = self.options.shard.plan(file);
            if plan == Plan::Skip {
                bytes_before += file_size(file).unwrap_or(0);
                continue;
            }
            let mut reader = FileRun {
                pipeline: self,
                pool: pool.as_ref(),
                file,
                window: Vec::with_capacity(self.options.window),
                window_bytes: 0,
                plan,
                in_flight: VecDeque::with_capacity(IN_FLIGHT),
            };
            let (position, stopped) = reader.run(&mut summary, &mut sink, bytes_before, progress);
            bytes_before += file_size(file).unwrap_or(position).max(position);
            progress(Progress { bytes: bytes_before, messages: summary.messages });
            if stopped {
                break;
            }
        }
        summary
    }

    /// Reads one unit and pairs the facts of each record with the rules' verdict (a record
    /// that already carries one, from an earlier run, keeps it): what a worker does.
    fn process(&self, source_impl: &dyn RecordSource, pending: &Pending) -> Processed {
        let mut reading = source_impl.read(&pending.unit, &pending.source, &self.options);
        let mut explanations = Vec::new();
        if self.options.dns.is_some() {
            // Classified after the window's names are resolved (`resolve_and_classify`).
            return Processed { reading, explanations, encoded: Vec::new(), lines: None };
        }
        for record in &mut reading.records {
            if self.options.trace {
                explanations.push(self.rules.explain(&record.facts));
            }
            if record.verdict.is_none() {
                record.verdict = Some(self.rules.classify(&record.facts));
            }
        }
        let encoded = match self.options.encode {
            Some(encode) if !self.options.trace => {
                if !self.options.keep_records {
                    if let Some(lines) = self.lines(encode, &reading.records) {
                        // Freed here, by the thread that made them.
                        reading.records = Vec::new();
                        let lines = Some(lines);
                        return Processed { reading, explanations, encoded: Vec::new(), lines };
                    }
                }
                let one = |record: &Record| {
                    let mut encoded = Vec::with_capacity(ENCODED_ROOM);
                    encode(record, &mut encoded).then_some(encoded)
                };
                reading.records.iter().map(one).collect()
            }
            _ => Vec::new(),
        };
        Processed { reading, explanations, encoded, lines: None }
    }

    /// The records the filter keeps as encoded lines, with the count of all records; `None`
    /// when one of them cannot be encoded (the records are handed out then, as without
    /// [`ReadOptions::keep_records`]).
    fn lines(&self, encode: Encode, records: &[Record]) -> Option<Lines> {
        let mut lines = Lines { read: records.len(), kept: 0, bytes: Vec::new() };
        for record in records.iter().filter(|r| self.options.filter.keeps(r)) {
            lines.bytes.reserve(ENCODED_ROOM);
            if !encode(record, &mut lines.bytes) {
                return None;
            }
            lines.bytes.push(b'\n');
            lines.kept += 1;
        }
        Some(lines)
    }
}

impl Pipeline {
    /// With `--resolve`: attaches each record's DNS evidence (the window was prefetched) and
    /// classifies it with the recipient domain's MX hosts as a further provider input.
    fn resolve_and_classify(&self, dns: &bounce_dns::Dns, processed: &mut Processed) {
        let operator = |host: &str| self.rules.operator_of_host(host).map(str::to_owned);
        for record in &mut processed.reading.records {
            if record.dns.is_none() {
                record.dns = dns.evidence(&record.facts, &operator).map(Box::new);
            }
            let mx: Vec<String> = record
                .dns
                .as_ref()
                .map(|d| d.mx_hosts().map(str::to_owned).collect())
                .unwrap_or_default();
            if self.options.trace {
                processed.explanations.push(self.rules.explain_with_mx(&record.facts, &mx));
            }
            if record.verdict.is_none() {
                record.verdict = Some(self.rules.classify_with_mx(&record.facts, &mx));
            }
        }
    }
}

/// A unit waiting in the window, with where it came from.
struct Pending {
    source: Source,
    unit: Unit,
}

/// A unit read and classified.
struct Processed {
    reading: Reading,
    explanations: Vec<Explanation>,
    /// Each record's encoding, with [`ReadOptions::encode`] (else empty).
    encoded: Vec<Option<Vec<u8>>>,
    /// The records as lines instead, without [`ReadOptions::keep_records`].
    lines: Option<Lines>,
}

/// The records of one unit as encoded lines (see [`ReadOptions::keep_records`]).
struct Lines {
    /// Records the unit gave (the summary counts them all).
    read: usize,
    /// Records the filter kept: the lines.
    kept: usize,
    bytes: Vec<u8>,
}

/// The state of reading one input.
struct FileRun<'a> {
    pipeline: &'a Pipeline,
    pool: Option<&'a rayon::ThreadPool>,
    file: &'a InputFile,
    window: Vec<Pending>,
    window_bytes: usize,
    /// What of the file this run's shard reads.
    plan: Plan,
    /// The windows being processed in the pool while the next one is read, oldest first (at
    /// most [`IN_FLIGHT`]).
    in_flight: VecDeque<mpsc::Receiver<Done>>,
}

/// Windows handed to the pool at once: two, so that the workers start on the next window while
/// the last units of the one before are finished, and are never left waiting for the reader.
const IN_FLIGHT: usize = 2;

/// A window processed in the pool: its units (for their sources) and their results.
type Done = (Vec<Pending>, Vec<Processed>);

impl<'a> FileRun<'a> {
    /// Reads the input to its end (or until the sink stops); returns the stream position
    /// reached and whether the run must stop.
    fn run<S>(
        &mut self,
        summary: &mut Summary,
        sink: &mut S,
        bytes_before: u64,
        progress: &mut dyn FnMut(Progress),
    ) -> (u64, bool)
    where
        S: FnMut(Output) -> bool,
    {
        let options = &self.pipeline.options;
        let path = self.file.display.clone();
        let problem = |message: u64, offset: u64, error: String| Problem {
            source: Source { path: path.clone(), message, offset },
            error,
        };
        let stream = match input::open_decoded(self.file) {
            Ok(stream) => stream,
            Err(e) => {
                if self.plan.owns_file_start() {
                    summary.failed_inputs.push(problem(0, 0, e.to_string()));
                }
                return (0, false);
            }
        };
        let pipeline: &'a Pipeline = self.pipeline;
        let registry = &pipeline.registry;
        let (source_impl, stream) =
            match registry.choose(self.file, stream, options.input_format.as_deref()) {
                Ok(chosen) => chosen,
                Err(e) => {
                    if self.plan.owns_file_start() {
                        summary.failed_inputs.push(problem(0, 0, e));
                    }
                    return (0, false);
                }
            };
        if !sink(Output::Opened { path: path.clone(), format: source_impl.name() }) {
            return (0, true);
        }
        // The reading thread reads (and emits) while the pool processes the window before:
        // unless DNS answers are awaited per window, or this thread is itself a pool's worker
        // (waiting for the pool there could wait for itself).
        let overlap = options.dns.is_none() && rayon::current_thread_index().is_none();
        let at = (bytes_before, stream);
        match (overlap, self.pool) {
            (false, _) => self.read_units(None, source_impl, at, summary, sink, progress),
            (true, Some(pool)) => pool.in_place_scope(|scope| {
                self.read_units(Some(scope), source_impl, at, summary, sink, progress)
            }),
            (true, None) => rayon::in_place_scope(|scope| {
                self.read_units(Some(scope), source_impl, at, summary, sink, progress)
            }),
        }
    }

    /// Cuts the stream into units and hands them to the pool window by window (in `scope`, the
    /// next window is read while the last one is processed); returns as [`FileRun::run`].
    fn read_units<'s, S>(
        &mut self,
        scope: Option<&rayon::Scope<'s>>,
        source_impl: &'a dyn RecordSource,
        (bytes_before, stream): (u64, input::Stream),
        summary: &mut Summary,
        sink: &mut S,
        progress: &mut dyn FnMut(Progress),
    ) -> (u64, bool)
    where
        S: FnMut(Output) -> bool,
        'a: 's,
    {
        let options = &self.pipeline.options;
        let path = self.file.display.clone();
        let problem = |message: u64, offset: u64, error: String| Problem {
            source: Source { path: path.clone(), message, offset },
            error,
        };
        let mut number = 0u64;
        let mut position = 0u64;
        let plan = self.plan;
        let size = file_size(self.file).unwrap_or(u64::MAX);
        for event in source_impl.units(stream, self.file, options) {
            // A shard reads the units before its range only to number them (see `shard`).
            match &event {
                SourceEvent::Unit(Unit { offset, .. })
                | SourceEvent::Oversize { offset, .. }
                | SourceEvent::Counted { offset, .. }
                    if !plan.owns(*offset) =>
                {
                    if plan.is_past(*offset) {
                        break;
                    }
                    number += match event {
                        SourceEvent::Counted { rows, .. } => rows,
                        _ => 1,
                    };
                    continue;
                }
                SourceEvent::Preamble { offset, .. } if !plan.owns(*offset) => continue,
                SourceEvent::Error { offset, .. } if !plan.reports_error_at(*offset, size) => {
                    break;
                }
                _ => {}
            }
            match event {
                SourceEvent::Unit(unit) => {
                    number += 1;
                    self.window_bytes += unit.bytes.len();
                    position = unit.offset + unit.bytes.len() as u64;
                    let source =
                        Source { path: path.clone(), message: number, offset: unit.offset };
                    self.window.push(Pending { source, unit });
                    if self.window.len() >= options.window
                        || self.window_bytes >= options.window_bytes
                    {
                        let go_on = match scope {
                            Some(scope) => self.dispatch(scope, source_impl, summary, sink),
                            None => self.flush(source_impl, summary, sink),
                        };
                        progress(Progress {
                            bytes: bytes_before + position,
                            messages: summary.messages,
                        });
                        if !go_on {
                            return (position, true);
                        }
                    }
                }
                SourceEvent::Counted { bucket, rows, .. } => {
                    number += rows;
                    summary.count_rows(bucket, rows);
                }
                SourceEvent::Preamble { offset, len } => summary.preambles.push(problem(
                    0,
                    offset,
                    format!("{len} bytes before the first `From ` line are not a message"),
                )),
                SourceEvent::Oversize { offset, len, limit } => {
                    number += 1;
                    position = offset + len;
                    let p = problem(
                        number,
                        offset,
                        format!("message of {len} bytes exceeds the limit of {limit} bytes"),
                    );
                    if !self.flush(source_impl, summary, sink) {
                        return (position, true);
                    }
                    summary.count(Bucket::Unparsed);
                    summary.problems.push(p.clone());
                    if !sink(Output::Problem(p)) {
                        return (position, true);
                    }
                }
                SourceEvent::Error { offset, error } => {
                    let go_on = self.flush(source_impl, summary, sink);
                    summary.failed_inputs.push(problem(number, offset, error));
                    return (position, !go_on);
                }
            }
        }
        let go_on = self.flush(source_impl, summary, sink);
        (position, !go_on)
    }

    /// Processes the window in parallel and emits its results in order.
    fn flush<S>(
        &mut self,
        source_impl: &dyn RecordSource,
        summary: &mut Summary,
        sink: &mut S,
    ) -> bool
    where
        S: FnMut(Output) -> bool,
    {
        self.window_bytes = 0;
        if !self.emit_in_flight(summary, sink) {
            return false;
        }
        if self.window.is_empty() {
            return true;
        }
        let pipeline = self.pipeline;
        let window = &self.window;
        let work = || -> Vec<Processed> {
            window.par_iter().map(|p| pipeline.process(source_impl, p)).collect()
        };
        let mut results = match self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        };
        if let Some(dns) = pipeline.options.dns.as_deref() {
            dns.prefetch(results.iter().flat_map(|p| p.reading.records.iter().map(|r| &r.facts)));
            let mut classify = || {
                results.par_iter_mut().for_each(|p| pipeline.resolve_and_classify(dns, p));
            };
            match self.pool {
                Some(pool) => pool.install(classify),
                None => classify(),
            }
        }
        let sources = self.window.drain(..).map(|p| p.source);
        for (processed, source) in results.into_iter().zip(sources) {
            if !emit(pipeline, processed, source, summary, sink) {
                return false;
            }
        }
        true
    }
}

impl<'a> FileRun<'a> {
    /// Hands the full window to the pool, to be processed while the next one is read; when
    /// [`IN_FLIGHT`] windows are already there, waits for the oldest and emits its results.
    fn dispatch<'s, S>(
        &mut self,
        scope: &rayon::Scope<'s>,
        source_impl: &'a dyn RecordSource,
        summary: &mut Summary,
        sink: &mut S,
    ) -> bool
    where
        S: FnMut(Output) -> bool,
        'a: 's,
    {
        self.window_bytes = 0;
        let capacity = self.window.len();
        let window = std::mem::replace(&mut self.window, Vec::with_capacity(capacity));
        let (sender, receiver) = mpsc::channel();
        let pipeline: &'a Pipeline = self.pipeline;
        scope.spawn(move |_| {
            let results = window.par_iter().map(|p| pipeline.process(source_impl, p)).collect();
            // The receiver is gone only when the run stopped: nobody wants the results.
            let _ = sender.send((window, results));
        });
        self.in_flight.push_back(receiver);
        while self.in_flight.len() > IN_FLIGHT {
            if !self.emit_oldest(summary, sink) {
                return false;
            }
        }
        true
    }

    /// Waits for the oldest window in the pool and emits its results.
    fn emit_oldest<S>(&mut self, summary: &mut Summary, sink: &mut S) -> bool
    where
        S: FnMut(Output) -> bool,
    {
        match self.in_flight.pop_front().map(|receiver| receiver.recv()) {
            None => true,
            Some(Ok(done)) => self.emit_done(done, summary, sink),
            // A worker panicked: the scope passes the panic on when it ends.
            Some(Err(_)) => false,
        }
    }

    /// Waits for the windows in the pool, oldest first, and emits their results.
    fn emit_in_flight<S>(&mut self, summary: &mut Summary, sink: &mut S) -> bool
    where
        S: FnMut(Output) -> bool,
    {
        while !self.in_flight.is_empty() {
            if !self.emit_oldest(summary, sink) {
                return false;
            }
        }
        true
    }

    /// Emits a processed window's results in order.
    fn emit_done<S>(&mut self, (window, results): Done, summary: &mut Summary, sink: &mut S) -> bool
    where
        S: FnMut(Output) -> bool,
    {
        let sources = window.into_iter().map(|p| p.source);
        for (processed, source) in results.into_iter().zip(sources) {
            if !emit(self.pipeline, processed, source, summary, sink) {
                return false;
            }
        }
        true
    }
}

/// Counts one processed unit and hands its problem and records to `sink`.
fn emit<S>(
    pipeline: &Pipeline,
    processed: Processed,
    source: Source,
    summary: &mut Summary,
    sink: &mut S,
) -> bool
where
    S: FnMut(Output) -> bool,
{
    let Processed { reading, explanations, encoded, lines } = processed;
    summary.count(reading.bucket);
    // Unparsed units and bounces without a recipient are always listed; other units are
    // listed when the source warns (e.g. recipients over the limit).
    if matches!(reading.bucket, Bucket::Unparsed | Bucket::BounceNoRecipient)
        || reading.problem.is_some()
    {
        let problem =
            Problem { source: source.clone(), error: reading.problem.clone().unwrap_or_default() };
        summary.problems.push(problem.clone());
        if !pipeline.options.trace && !sink(Output::Problem(problem)) {
            return false;
        }
    }
    if pipeline.options.trace && reading.records.is_empty() {
        return sink(Output::Unit { source, bucket: reading.bucket, problem: reading.problem });
    }
    if let Some(Lines { read, kept, bytes }) = lines {
        summary.records += read as u64;
        return kept == 0 || sink(Output::Lines { records: kept, lines: bytes });
    }
    let mut explanations = explanations.into_iter();
    let mut encoded = encoded.into_iter();
    for record in reading.records {
        summary.records += 1;
        let encoding = encoded.next().flatten();
        if !pipeline.options.filter.keeps(&record) {
            continue;
        }
        let output = match (explanations.next(), encoding) {
            (Some(explanation), _) => {
                Output::Traced { record: Box::new(record), explanation: Box::new(explanation) }
            }
            (None, Some(encoded)) => Output::Encoded { record: Box::new(record), encoded },
            (None, None) => Output::Record(Box::new(record)),
        };
        if !sink(output) {
            return false;
        }
    }
    true
}

/// Refuses `--shard K/N` with N > 1 over inputs it cannot split: standard input (no byte
/// ranges) and a single gzip file (a gzip stream cannot be entered mid-way, so it is
/// sharded per file).
fn check_shardable(shard: Shard, files: &[InputFile]) -> Result<(), PipelineError> {
    if shard.count <= 1 {
        return Ok(());
    }
    if files.iter().any(InputFile::is_stdin) {
        return Err(PipelineError::Shard(format!(
            "--shard {shard}: standard input cannot be sharded (it has no byte ranges); \
             give files"
        )));
    }
    if let [file] = files {
        if is_gzip(file) {
            return Err(PipelineError::Shard(format!(
                "--shard {shard}: {} is one gzip stream, which cannot be entered mid-way; \
                 gzip input is sharded per file: give several files, or use --shard 1/1",
                file.display
            )));
        }
    }
    Ok(())
}

/// The size of an input on disk, if it is a file (not stdin).
fn file_size(file: &InputFile) -> Option<u64> {
    if file.is_stdin() {
        return None;
    }
    std::fs::metadata(&file.path).ok().map(|m| m.len())
}
