//! One attempt, one entry: records with the same
//! [`attempt_key`](bounce_model::BounceFacts::attempt_key) (the webhook event, the MTA log line
//! and the DSN of one message and recipient) count once in the report, as the aggregator
//! counts them once in the groups. The first such record stands for the attempt; the later
//! ones ("repeats") add what it lacks:
//! - to its group: the evidence fields it left empty are no longer counted as missing, and
//!   the sending IPs, remote MTAs and From domains the repeats state join the group's;
//! - to its evidence, when it is read back: each field the first record left empty is taken
//!   from a repeat, its source naming the repeat's file and position, and an "Also reported
//!   by" field lists where the repeats are.
//!
//! Memory: about 40 bytes per failure that names a Message-ID or envelope id, and a few more
//! per repeat (at most [`REPEAT_CAP`] are merged into one attempt's evidence).

use std::collections::HashMap;
use std::io;

use super::build::{EvidenceStore, Interner};
use crate::evidence::{ConfirmRow, EvidenceView, Field, FROM_MTA};

/// Repeats whose evidence is merged into one attempt's; further ones are counted only.
pub(super) const REPEAT_CAP: usize = 16;

/// The label of the evidence field that lists an attempt's other reports.
pub(super) const ALSO_REPORTED: &str = "Also reported by";

/// What the builder remembers of an attempt's first record.
#[derive(Debug)]
pub(super) struct FirstOf {
    /// The record's index.
    pub(super) index: usize,
    /// Its group (an index into the builder's groups).
    pub(super) group: usize,
    /// The evidence fields it left empty, by label id (the first 64 labels).
    pub(super) missing: u64,
}

/// The attempts seen, by key, and the ids of evidence labels.
#[derive(Debug, Default)]
pub(super) struct Attempts {
    seen: HashMap<u64, FirstOf>,
    labels: Interner,
}

impl Attempts {
    /// The id of an evidence label (ids past 63 have no bit in a mask).
    pub(super) fn label(&mut self, label: &str) -> u32 {
        self.labels.id(label)
    }

    /// The mask of the fields `evidence` leaves empty.
    pub(super) fn missing_mask(&mut self, evidence: &EvidenceView) -> u64 {
        let mut mask = 0u64;
        for f in evidence.fields.iter().filter(|f| !f.filled) {
            let id = self.label(&f.label);
            if id < 64 {
                mask |= 1 << id;
            }
        }
        mask
    }

    /// Remembers the first record of the attempt `key`.
    pub(super) fn insert(&mut self, key: u64, first: FirstOf) {
        self.seen.insert(key, first);
    }

    /// Splits the borrow: the attempt `key` and the label ids.
    pub(super) fn with_labels(&mut self, key: u64) -> Option<(&mut FirstOf, &Interner)> {
        let Attempts { seen, labels } = self;
        seen.get_mut(&key).map(|first| (first, &*labels))
    }
}

/// An [`EvidenceStore`] that reads an attempt's first record with its repeats merged in.
#[derive(Debug)]
pub(super) struct Merging<S> {
    /// The store of every record's own evidence.
    pub(super) inner: S,
    /// First record → its repeats (at most [`REPEAT_CAP`]).
    repeats: HashMap<usize, Vec<usize>>,
}

impl<S> Merging<S> {
    pub(super) fn new(inner: S) -> Self {
        Merging { inner, repeats: HashMap::new() }
    }

    /// Notes that record `repeat` reports the attempt of record `first`.
    pub(super) fn repeat(&mut self, first: usize, repeat: usize) {
        let repeats = self.repeats.entry(first).or_default();
        if repeats.len() < REPEAT_CAP {
            repeats.push(repeat);
        }
    }
}

impl<S: EvidenceStore> EvidenceStore for Merging<S> {
    fn put(
        &mut self,
        index: usize,
        evidence: &EvidenceView,
        confirm: Option<&ConfirmRow>,
    ) -> io::Result<()> {
        self.inner.put(index, evidence, confirm)
    }

    fn get(&mut self, index: usize) -> io::Result<Option<(EvidenceView, Option<ConfirmRow>)>> {
        let Some((mut evidence, mut confirm)) = self.inner.get(index)? else { return Ok(None) };
        let Some(repeats) = self.repeats.get(&index).cloned() else {
            return Ok(Some((evidence, confirm)));
        };
        let mut places = Vec::with_capacity(repeats.len());
        for j in repeats {
            let Some((other, other_confirm)) = self.inner.get(j)? else { continue };
            merge_evidence(&mut evidence, &other);
            if let (Some(row), Some(other_row)) = (confirm.as_mut(), other_confirm.as_ref()) {
                merge_confirm(row, other_row, &other.location);
            }
            places.push(other.location);
        }
        if !places.is_empty() {
            let value = places.join("; ");
            let at = evidence.fields.len().saturating_sub(1);
            evidence.fields.insert(
                at,
                Field {
                    label: ALSO_REPORTED.to_string(),
                    text: value.clone(),
                    value,
                    filled: true,
                    uncertain: false,
                    source: "the same Message-ID (or envelope id), recipient and outcome".into(),
                },
            );
        }
        Ok(Some((evidence, confirm)))
    }
}

/// `field` of the record at `location`, its source naming that record.
fn taken_from(field: &Field, location: &str) -> Field {
    let source = if field.source.is_empty() {
        format!("from {location}")
    } else {
        format!("{}, from {location}", field.source)
    };
    Field { source, ..field.clone() }
}

/// Fills what `first` leaves empty from `other` (a report of the same attempt).
fn merge_evidence(first: &mut EvidenceView, other: &EvidenceView) {
    for f in other.fields.iter().filter(|f| f.filled && f.label != ALSO_REPORTED) {
        match first.fields.iter_mut().find(|g| g.label == f.label) {
            Some(g) if !g.filled => *g = taken_from(f, &other.location),
            Some(_) => {}
            None => {
                // Before the last field (the rule), where optional fields go.
                let at = first.fields.len().saturating_sub(1);
                first.fields.insert(at, taken_from(f, &other.location));
            }
        }
    }
    if first.diagnostic == FROM_MTA && other.diagnostic != FROM_MTA {
        first.diagnostic = format!("{} (from {})", other.diagnostic, other.location);
    }
}

/// Fills the empty fields of a confirm row from another report of the same attempt.
fn merge_confirm(row: &mut ConfirmRow, other: &ConfirmRow, location: &str) {
    let pairs = [
        (&mut row.sending_ip, &other.sending_ip),
        (&mut row.helo, &other.helo),
        (&mut row.pool, &other.pool),
        (&mut row.ptr, &other.ptr),
    ];
    for (mine, theirs) in pairs {
        if !mine.filled && theirs.filled {
            *mine = taken_from(theirs, location);
        }
    }
}
