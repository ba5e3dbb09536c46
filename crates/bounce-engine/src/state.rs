//! Counters that carry suppression decisions from one run to the next (`--state FILE`).
//!
//! A daily audit sees each bounce once; to suppress an address after its third consecutive
//! quota failure, or a domain after its second NXDOMAIN, the earlier attempts must be
//! remembered. The state is JSON, versioned, and bounded: each counter keeps at most
//! [`MAX_ATTEMPTS`] attempts and each domain at most [`MAX_DOMAIN_ADDRESSES`] addresses.

use std::collections::{BTreeMap, BTreeSet};

use bounce_model::{Record, Sample};
use serde::{Deserialize, Serialize};

/// The state format written by this version.
pub const STATE_VERSION: u32 = 1;
/// Attempts kept per counter.
pub const MAX_ATTEMPTS: usize = 16;
/// Addresses remembered per unroutable domain.
pub const MAX_DOMAIN_ADDRESSES: usize = 10_000;

/// Why a state file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Not valid state JSON.
    #[error("invalid state file: {0}")]
    Json(#[from] serde_json::Error),
    /// Written by an unknown version.
    #[error("unsupported state version {0} (expected {STATE_VERSION})")]
    Version(u32),
}

/// One delivery attempt of one original message, as seen in a failure DSN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The original's Message-ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The DSN's Original-Envelope-Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope_id: Option<String>,
    /// The attempt time, seconds since the epoch (UTC), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    /// The reason of the record.
    pub reason: String,
    /// The rule that classified the record.
    pub rule_id: String,
    /// Where the bounce is.
    pub evidence: Sample,
}

impl Attempt {
    /// The attempt a failure record stands for.
    #[must_use]
    pub fn of(record: &Record, time: Option<i64>) -> Self {
        Attempt {
            message_id: record.original.message_id.clone(),
            envelope_id: record.original.envelope_id.clone(),
            time,
            reason: record.reason().map(|r| r.as_str().to_owned()).unwrap_or_default(),
            rule_id: record.verdict.as_ref().map(|v| v.rule_id.clone()).unwrap_or_default(),
            evidence: crate::aggregate::sample_of(record),
        }
    }

    /// Whether both attempts are the same original message (same Message-ID or envelope id):
    /// a delayed and a failed DSN of one message are one attempt. Attempts that name neither
    /// are the same only when they are the same bounce.
    #[must_use]
    pub fn same_original(&self, other: &Attempt) -> bool {
        let same =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(x), Some(y)) if x == y);
        if same(&self.message_id, &other.message_id) || same(&self.envelope_id, &other.envelope_id)
        {
            return true;
        }
        let anonymous = |a: &Attempt| a.message_id.is_none() && a.envelope_id.is_none();
        anonymous(self) && anonymous(other) && self.evidence.source == other.evidence.source
    }
}

/// A list of distinct attempts, oldest first, bounded to [`MAX_ATTEMPTS`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    /// The attempts.
    pub attempts: Vec<Attempt>,
}

impl Attempts {
    /// Adds an attempt unless it is one already counted; a later DSN of the same original
    /// replaces the evidence (the failed DSN wins over the delayed one).
    pub fn add(&mut self, attempt: Attempt) {
        if let Some(known) = self.attempts.iter_mut().find(|a| a.same_original(&attempt)) {
            if attempt.time >= known.time {
                *known = attempt;
            }
            return;
        }
        self.attempts.push(attempt);
        self.attempts.sort_by_key(|a| a.time);
        if self.attempts.len() > MAX_ATTEMPTS {
            let extra = self.attempts.len() - MAX_ATTEMPTS;
            self.attempts.drain(..extra);
        }
    }

    /// The number of distinct attempts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.attempts.len()
    }

    /// Whether no attempt is counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.attempts.is_empty()
    }

    /// The latest attempt.
    #[must_use]
    pub fn latest(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

/// Consecutive quota failures of one address since its last delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaCounter {
    /// The quota failures, distinct originals only.
    #[serde(flatten)]
    pub attempts: Attempts,
    /// The latest successful delivery seen (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_delivery: Option<i64>,
}

impl QuotaCounter {
    /// Drops the failures a delivery reset: those not after the last delivery (failures of
    /// unknown time are reset by any delivery).
    pub fn prune(&mut self) {
        if let Some(delivery) = self.last_delivery {
            self.attempts.attempts.retain(|a| a.time.is_some_and(|t| t > delivery));
        }
    }
}

/// No-route failures (NXDOMAIN, null MX, no MX and no address) of one recipient domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCounter {
    /// Distinct attempts to any address of the domain.
    #[serde(flatten)]
    pub attempts: Attempts,
    /// Addresses of the domain seen failing this way.
    pub addresses: BTreeSet<String>,
}

/// Everything carried between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionState {
    /// The format version ([`STATE_VERSION`]).
    pub version: u32,
    /// Quota counters by lowercase address.
    #[serde(default)]
    pub quota: BTreeMap<String, QuotaCounter>,
    /// No-route counters by lowercase domain.
    #[serde(default)]
    pub unroutable: BTreeMap<String, DomainCounter>,
}

impl Default for SuppressionState {
    fn default() -> Self {
        SuppressionState {
            version: STATE_VERSION,
            quota: BTreeMap::new(),
            unroutable: BTreeMap::new(),
        }
    }
}

impl SuppressionState {
    /// Reads a state written by [`SuppressionState::to_json`].
    ///
    /// # Errors
    /// Invalid JSON or an unknown version.
    pub fn from_json(text: &str) -> Result<Self, StateError> {
        let state: SuppressionState = serde_json::from_str(text)?;
        if state.version != STATE_VERSION {
            return Err(StateError::Version(state.version));
        }
        Ok(state)
    }

    /// The state as pretty JSON (keys sorted, so runs diff well).
    ///
    /// # Errors
    /// Never in practice; serialisation of these types cannot fail.
    pub fn to_json(&self) -> Result<String, StateError> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}
