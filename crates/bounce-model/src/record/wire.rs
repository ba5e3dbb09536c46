//! The JSON of a [`Record`]: one flat object that interleaves facts and verdict.
//!
//! The keys and their order are a contract older than the split into [`BounceFacts`] and
//! [`Verdict`]: the facts' keys in declaration order with the verdict's `status_inferred` right
//! after `status`, then `reason`, then the `verdict` object (the verdict's other fields, without
//! `reason` and `status_inferred`). serde's `flatten` cannot put a key of one struct between two
//! keys of another, so the record is written through a borrowed mirror of that layout and read
//! through an owned one. Both destructure the model structs without `..`: a field added there
//! does not compile until it has its place here.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{BounceFacts, Kind, Original, Record, Source, Stage, Verdict};
use crate::dns::DnsEvidence;
use crate::taxonomy::{Action, Category, Owner, Reason};

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RecordOut::of(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Record, D::Error> {
        RecordIn::deserialize(deserializer).map(RecordIn::into_record)
    }
}

fn is_empty_map(map: &&BTreeMap<String, String>) -> bool {
    map.is_empty()
}

fn is_empty_str(text: &&str) -> bool {
    text.is_empty()
}

fn is_empty_list(list: &&[String]) -> bool {
    list.is_empty()
}

/// A record as written.
#[derive(Serialize)]
#[serde(rename = "Record")]
struct RecordOut<'a> {
    source: &'a Source,
    recipient: &'a str,
    kind: Option<Kind>,
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_inferred: Option<&'a str>,
    reply_code: Option<&'a str>,
    diagnostic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnostic_type: Option<&'a str>,
    smtp_stage: Stage,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage_source: Option<&'a str>,
    reporting_mta: Option<&'a str>,
    remote_mta: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    received_from_mta: Option<&'a str>,
    action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_recipient: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arrival_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_attempt_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    will_retry_until: Option<&'a str>,
    format: &'a str,
    #[serde(skip_serializing_if = "is_empty_map")]
    vendor_fields: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce_message_id: Option<&'a str>,
    original: &'a Original,
    reason: Option<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<VerdictOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dns: Option<&'a DnsEvidence>,
}

/// The `verdict` object as written: the verdict without its reason and inferred status.
#[derive(Serialize)]
#[serde(rename = "Verdict")]
struct VerdictOut<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "is_empty_str")]
    rule_location: &'a str,
    category: Category,
    action: Action,
    owner: Owner,
    hard: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "is_empty_str")]
    fix: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
    #[serde(skip_serializing_if = "is_empty_list")]
    basis: &'a [String],
    #[serde(skip_serializing_if = "is_empty_list")]
    bounds: &'a [String],
}

impl<'a> RecordOut<'a> {
    fn of(record: &'a Record) -> RecordOut<'a> {
        let BounceFacts {
            source,
            recipient,
            kind,
            status,
            reply_code,
            diagnostic,
            diagnostic_type,
            smtp_stage,
            stage_source,
            reporting_mta,
            remote_mta,
            received_from_mta,
            action,
            original_recipient,
            arrival_date,
            last_attempt_date,
            timestamp,
            will_retry_until,
            format,
            vendor_fields,
            // Read by the rules, never written.
            notice: _,
            feedback_type,
            bounce_message_id,
            original,
        } = &record.facts;
        let verdict = record.verdict.as_ref();
        RecordOut {
            source,
            recipient,
            kind: *kind,
            status: status.as_deref(),
            status_inferred: verdict.and_then(|v| v.status_inferred.as_deref()),
            reply_code: reply_code.as_deref(),
            diagnostic: diagnostic.as_deref(),
            diagnostic_type: diagnostic_type.as_deref(),
            smtp_stage: *smtp_stage,
            stage_source: stage_source.as_deref(),
            reporting_mta: reporting_mta.as_deref(),
            remote_mta: remote_mta.as_deref(),
            received_from_mta: received_from_mta.as_deref(),
            action: action.as_deref(),
            original_recipient: original_recipient.as_deref(),
            arrival_date: arrival_date.as_deref(),
            last_attempt_date: last_attempt_date.as_deref(),
            timestamp: timestamp.as_deref(),
            will_retry_until: will_retry_until.as_deref(),
            format,
            vendor_fields,
            feedback_type: feedback_type.as_deref(),
            bounce_message_id: bounce_message_id.as_deref(),
            original,
            reason: verdict.map(|v| v.reason),
            verdict: verdict.map(VerdictOut::of),
            dns: record.dns.as_deref(),
        }
    }
}

impl<'a> VerdictOut<'a> {
    fn of(verdict: &'a Verdict) -> VerdictOut<'a> {
        let Verdict {
            // Written at the record's top level.
            reason: _,
            status_inferred: _,
            rule_id,
            rule_location,
            category,
            action,
            owner,
            hard,
            token,
            fix,
            provider,
            basis,
            bounds,
        } = verdict;
        VerdictOut {
            rule_id,
            rule_location,
            category: *category,
            action: *action,
            owner: *owner,
            hard: *hard,
            token: token.as_deref(),
            fix,
            provider: provider.as_deref(),
            basis,
            bounds,
        }
    }
}

/// A record as read: every key may be missing (it takes its default) and unknown keys,
/// `notice` among them, are ignored.
#[derive(Default, Deserialize)]
#[serde(default, rename = "Record")]
struct RecordIn {
    source: Source,
    recipient: String,
    kind: Option<Kind>,
    status: Option<String>,
    status_inferred: Option<String>,
    reply_code: Option<String>,
    diagnostic: Option<String>,
    diagnostic_type: Option<String>,
    smtp_stage: Stage,
    stage_source: Option<String>,
    reporting_mta: Option<String>,
    remote_mta: Option<String>,
    received_from_mta: Option<String>,
    action: Option<String>,
    original_recipient: Option<String>,
    arrival_date: Option<String>,
    last_attempt_date: Option<String>,
    timestamp: Option<String>,
    will_retry_until: Option<String>,
    format: String,
    vendor_fields: BTreeMap<String, String>,
    feedback_type: Option<String>,
    bounce_message_id: Option<String>,
    original: Original,
    reason: Option<Reason>,
    verdict: Option<VerdictIn>,
    dns: Option<Box<DnsEvidence>>,
}

/// The `verdict` object as read.
#[derive(Default, Deserialize)]
#[serde(default, rename = "Verdict")]
struct VerdictIn {
    rule_id: String,
    rule_location: String,
    category: Category,
    action: Action,
    owner: Owner,
    hard: bool,
    token: Option<String>,
    fix: String,
    provider: Option<String>,
    basis: Vec<String>,
    bounds: Vec<String>,
}

impl RecordIn {
    /// The record: a `reason` or a `verdict` object makes a verdict (a missing reason reads as
    /// `undefined`, a missing object as the default verdict); with neither the record is
    /// undecided and a stray `status_inferred` is dropped, since only the rules infer one.
    fn into_record(self) -> Record {
        let RecordIn {
            source,
            recipient,
            kind,
            status,
            status_inferred,
            reply_code,
            diagnostic,
            diagnostic_type,
            smtp_stage,
            stage_source,
            reporting_mta,
            remote_mta,
            received_from_mta,
            action,
            original_recipient,
            arrival_date,
            last_attempt_date,
            timestamp,
            will_retry_until,
            format,
            vendor_fields,
            feedback_type,
            bounce_message_id,
            original,
            reason,
            verdict,
            dns,
        } = self;
        let facts = BounceFacts {
            source,
            recipient,
            kind,
            status,
            reply_code,
            diagnostic,
            diagnostic_type,
            smtp_stage,
            stage_source,
            reporting_mta,
            remote_mta,
            received_from_mta,
            action,
            original_recipient,
            arrival_date,
            last_attempt_date,
            timestamp,
            will_retry_until,
            format,
            vendor_fields,
            notice: None,
            feedback_type,
            bounce_message_id,
            original,
        };
        let verdict = match (reason, verdict) {
            (None, None) => None,
            (reason, verdict) => {
                let VerdictIn {
                    rule_id,
                    rule_location,
                    category,
                    action,
                    owner,
                    hard,
                    token,
                    fix,
                    provider,
                    basis,
                    bounds,
                } = verdict.unwrap_or_default();
                Some(Verdict {
                    reason: reason.unwrap_or_default(),
                    status_inferred,
                    rule_id,
                    rule_location,
                    category,
                    action,
                    owner,
                    hard,
                    token,
                    fix,
                    provider,
                    basis,
                    bounds,
                })
            }
        };
        Record { facts, verdict, dns }
    }
}
