//! Aggregates over many records: incident groups, time series, spikes and suppression lists.
//! The engine computes them; reports render them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::Source;

/// A sample record of a group: enough to find and quote it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Where the bounce is.
    pub source: Source,
    /// The failed recipient.
    pub recipient: String,
    /// The original's Message-ID, if returned.
    pub message_id: Option<String>,
    /// The attempt time in UTC (RFC 3339), if known.
    pub timestamp: Option<String>,
    /// The full diagnostic text.
    pub diagnostic: Option<String>,
}

/// Records sharing one key (category, reason, provider, rejecting host, sending IP, token, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The key: field name to value (`category`, `reason`, `provider`, `remote_mta`,
    /// `sending_ip`, `token`, `recipient_domain`, `sender_domain`, `header:<name>`).
    pub key: BTreeMap<String, String>,
    /// Records in the group.
    pub count: u64,
    /// Distinct recipients in the group.
    pub recipients: u64,
    /// Earliest attempt time (UTC, RFC 3339).
    pub first_seen: Option<String>,
    /// Latest attempt time (UTC, RFC 3339).
    pub last_seen: Option<String>,
    /// Distinct providers that gave this response (1 = one receiver only).
    pub providers: u64,
    /// A few samples with message IDs and full diagnostic text.
    pub samples: Vec<Sample>,
}

/// One bucket of a time series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeBucket {
    /// Start of the bucket (UTC, RFC 3339).
    pub start: String,
    /// Records in the bucket.
    pub count: u64,
    /// Bounce rate in the bucket when sent counts are known (0.0–1.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// Counts over time for one series (a provider or a category).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeSeries {
    /// `provider` or `category`.
    pub dimension: String,
    /// The provider or category name.
    pub name: String,
    /// Bucket width: `hour` or `day`.
    pub bucket: String,
    /// The buckets in time order.
    pub buckets: Vec<TimeBucket>,
}

/// A window where a provider's count is far above its own recent baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// The provider (or receiving domain).
    pub provider: String,
    /// The category of the spiking records.
    pub category: String,
    /// Window start (UTC, RFC 3339).
    pub window_start: String,
    /// Window end (UTC, RFC 3339).
    pub window_end: String,
    /// Records in the window.
    pub count: u64,
    /// The baseline count per window.
    pub baseline: f64,
    /// Bounce rate in the window, when sent counts are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Normal bounce rate for the same receiver, when sent counts are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_rate: Option<f64>,
}

named_enum! {
    /// Which list an address lands on.
    ListKind {
        /// Suppress the address.
        Suppress = "suppress",
        /// Keep the address although it bounced.
        Keep = "keep",
        /// The recipient complained.
        Complaint = "complaint",
    }
}

/// One address on a suppression, keep or complaint list, with its evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// The address.
    pub address: String,
    /// Which list.
    pub list: Option<ListKind>,
    /// The reason of the deciding record.
    pub reason: String,
    /// The rule that decided.
    pub rule_id: String,
    /// Why the address is on this list (human text).
    pub why: String,
    /// Attempts counted (for confirmation and consecutive soft failures).
    pub attempts: u64,
    /// The deciding bounce.
    pub evidence: Sample,
}

/// Everything the engine aggregates for reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    /// Incident groups, largest first.
    pub groups: Vec<Group>,
    /// Time series per provider and per category.
    pub series: Vec<TimeSeries>,
    /// Flagged spikes.
    pub spikes: Vec<Spike>,
    /// Suppression, keep and complaint lists.
    pub lists: Vec<ListEntry>,
    /// Failure records left out of the groups and series because they report an attempt an
    /// earlier record already counted (the same message, recipient and kind from another
    /// source, or a retry logged again: [`crate::BounceFacts::attempt_key`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub merged: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
