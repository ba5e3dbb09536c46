//! Combining the results of shards without their inputs (`bounce-triage merge`): summaries
//! add up, suppression states merge. Partial groups merge in
//! [`aggregate::partial`](crate::aggregate::partial).
//!
//! Every merge here is commutative and associative (`tests/merge.rs`), so a cluster job may
//! merge its shards in any order and any tree shape.

use std::collections::{BTreeMap, BTreeSet};

use bounce_model::{Problem, Summary};

use crate::state::{
    Attempt, Attempts, DomainCounter, QuotaCounter, SuppressionState, MAX_ATTEMPTS,
    MAX_DOMAIN_ADDRESSES,
};

/// The sum of summaries: counts add, and the lists (failed inputs, problems, preambles) are
/// joined in (path, offset) order — one run's order over the same files in path order.
#[must_use]
pub fn merge_summaries(parts: Vec<Summary>) -> Summary {
    let mut total = Summary::default();
    for part in parts {
        total.merge(part);
    }
    for list in [&mut total.failed_inputs, &mut total.problems, &mut total.preambles] {
        list.sort_by(problem_order);
    }
    total
}

/// (path, offset), then message and text, so that equal places still sort one way.
fn problem_order(a: &Problem, b: &Problem) -> std::cmp::Ordering {
    a.source
        .path
        .cmp(&b.source.path)
        .then(a.source.offset.cmp(&b.source.offset))
        .then(a.source.message.cmp(&b.source.message))
        .then_with(|| a.error.cmp(&b.error))
}

/// The merge of suppression states, as if one run had seen every shard's records:
/// - quota counters per address: the attempts of both, one per original message (same
///   Message-ID or Original-Envelope-Id; of two DSNs of one original the later one, ties to
///   the later place in the archive), the latest [`MAX_ATTEMPTS`] kept; the latest delivery
///   of either resets the failures before it;
/// - no-route counters per domain: attempts alike, addresses united (the smallest
///   [`MAX_DOMAIN_ADDRESSES`] kept).
#[must_use]
pub fn merge_states(parts: Vec<SuppressionState>) -> SuppressionState {
    let mut quota: BTreeMap<String, Vec<QuotaCounter>> = BTreeMap::new();
    let mut unroutable: BTreeMap<String, Vec<DomainCounter>> = BTreeMap::new();
    for part in parts {
        for (address, counter) in part.quota {
            quota.entry(address).or_default().push(counter);
        }
        for (domain, counter) in part.unroutable {
            unroutable.entry(domain).or_default().push(counter);
        }
    }
    let mut merged = SuppressionState::default();
    for (address, counters) in quota {
        let last_delivery = counters.iter().filter_map(|c| c.last_delivery).max();
        let attempts = merge_attempts(counters.into_iter().map(|c| c.attempts));
        let mut counter = QuotaCounter { attempts, last_delivery };
        counter.prune();
        if !counter.attempts.is_empty() || counter.last_delivery.is_some() {
            merged.quota.insert(address, counter);
        }
    }
    for (domain, counters) in unroutable {
        let mut addresses = BTreeSet::new();
        let mut lists = Vec::new();
        for counter in counters {
            addresses.extend(counter.addresses);
            lists.push(counter.attempts);
        }
        let addresses = addresses.into_iter().take(MAX_DOMAIN_ADDRESSES).collect();
        merged.unroutable.insert(
            domain,
            DomainCounter { attempts: merge_attempts(lists.into_iter()), addresses },
        );
    }
    merged
}

/// The attempts of several lists, one per original, the latest [`MAX_ATTEMPTS`], oldest
/// first; the same whatever the order of the lists.
fn merge_attempts(lists: impl Iterator<Item = Attempts>) -> Attempts {
    let mut all: Vec<Attempt> = lists.flat_map(|l| l.attempts).collect();
    all.sort_by(attempt_order);
    all.dedup();
    // In ascending order, a later attempt of a known original replaces it: the survivor of
    // each original is its greatest attempt, as `Attempts::add` keeps the later DSN.
    let mut kept: Vec<Attempt> = Vec::new();
    for attempt in all {
        match kept.iter_mut().find(|k| k.same_original(&attempt)) {
            Some(known) => *known = attempt,
            None => kept.push(attempt),
        }
    }
    kept.sort_by(attempt_order);
    if kept.len() > MAX_ATTEMPTS {
        kept.drain(..kept.len() - MAX_ATTEMPTS);
    }
    Attempts { attempts: kept }
}

/// Time, then place in the archive, then the rest: a total order on attempts.
fn attempt_order(a: &Attempt, b: &Attempt) -> std::cmp::Ordering {
    let key = |x: &Attempt| {
        (
            x.time,
            x.evidence.source.path.clone(),
            x.evidence.source.offset,
            x.evidence.source.message,
            x.evidence.recipient.clone(),
        )
    };
    key(a).cmp(&key(b)).then_with(|| {
        let rest = |x: &Attempt| {
            (
                x.message_id.clone(),
                x.envelope_id.clone(),
                x.reason.clone(),
                x.rule_id.clone(),
                x.evidence.message_id.clone(),
                x.evidence.timestamp.clone(),
                x.evidence.diagnostic.clone(),
            )
        };
        rest(a).cmp(&rest(b))
    })
}
