//! The engine of bounce-triage: the one [`Pipeline`] every command runs (inputs → record
//! source → facts → verdict → sink), and the accumulators that fold its records.
//!
//! This is the only crate that runs threads. Inputs are read by a [`source::RecordSource`]
//! chosen by content ([`source::Registry`]); units (messages, lines) are read in batches (a bounded window of
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
mod filter;
pub mod gaps;
pub mod merge;
mod pipeline;
pub mod shard;
pub mod source;
pub mod state;
pub mod suppress;
pub mod time;

pub use bounce_mail::extract::{record_from_text, ExtractOptions, Limits, TextFacts};
pub use bounce_mail::input::InputFile;
pub use bounce_mail::split::MboxFormat;
pub use csv_input::{read_deliveries, read_sent, CsvError, SentCounts};
pub use filter::RecordFilter;
pub use pipeline::{Encode, Output, Pipeline, PipelineError, Progress, ReadOptions};
pub use shard::Shard;
