//! Reason-aware suppression, following the taxonomy's action table (section 3):
//!
//! | reasons | decision |
//! |---|---|
//! | userunknown, hasmoved, suspend | suppress on a permanent failure (5xx, or hard when no code) |
//! | hostunknown, notaccept | suppress once the domain failed on `confirm` distinct attempts, or at once when a live lookup of the same run (`--resolve`) answers NXDOMAIN or null MX; keep when the domain now routes (MX or address fallback); SERVFAIL and timeouts confirm nothing |
//! | mailboxfull | suppress after `soft_limit` consecutive quota failures; a delivery resets |
//! | spike window (decided over many messages) | keep: quarantine the pattern, retest |
//! | everything else that failed | keep, with the table's why |
//! | suppressed | already suppressed by the sending service: listed as suppress |
//! | delivered | resets the quota counter |
//! | vacation | ignored |
//! | feedback (complaint records) | complaint list, unless the rules keep it (auth-failure and not-spam reports) |
//!
//! The delayed and failed DSNs of one original (same Message-ID or Original-Envelope-Id) are
//! one attempt. Only `mailboxfull` counts as a quota failure: other 451/452 replies
//! (greylisting, too many recipients) have other reasons and never count.

mod lists;

use std::collections::HashMap;
use std::sync::Arc;

use bounce_model::{Action, DomainStatus, Kind, ListEntry, ListKind, Reason, Record, Spike};

use crate::aggregate::{receiver_of, sample_of};
use crate::state::{Attempt, SuppressionState, MAX_DOMAIN_ADDRESSES};
use crate::time::parse_rfc3339;
pub use lists::Lists;
use lists::{Slim, Texts};

/// Settings of the suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuppressOptions {
    /// Distinct attempts that confirm a no-route domain (`--confirm`, default 2).
    pub confirm: usize,
    /// Consecutive quota failures that suppress a full mailbox (`--soft-limit`, default 3).
    pub soft_limit: usize,
}

impl Default for SuppressOptions {
    fn default() -> Self {
        SuppressOptions { confirm: 2, soft_limit: 3 }
    }
}

/// A list entry with what the spike check needs.
#[derive(Debug, Clone)]
struct Decision {
    entry: Slim,
    receiver: Arc<str>,
    time: Option<i64>,
}

/// Folds records into suppression, keep and complaint decisions.
#[derive(Debug, Default)]
pub struct Suppressor {
    options: SuppressOptions,
    state: SuppressionState,
    suppress: HashMap<String, Decision>,
    keep: HashMap<String, Decision>,
    complaints: HashMap<String, Slim>,
    receivers: HashMap<String, Arc<str>>,
    texts: Texts,
}

impl Suppressor {
    /// A suppressor continuing from `state` (use `SuppressionState::default()` for none).
    #[must_use]
    pub fn new(options: SuppressOptions, state: SuppressionState) -> Self {
        Suppressor { options, state, ..Suppressor::default() }
    }

    /// Folds one record in.
    pub fn add(&mut self, record: &Record) {
        let address = record.recipient.trim().to_ascii_lowercase();
        if address.is_empty() {
            return;
        }
        let time = record.timestamp.as_deref().and_then(parse_rfc3339);
        let reason = record.reason().unwrap_or(Reason::Undefined);
        match record.kind {
            Some(Kind::Complaint) if !keeps(record) => return self.complaint(address, record),
            // Feedback that is not a complaint (auth-failure, not-spam): the rules keep it.
            Some(Kind::Complaint) => return,
            Some(Kind::Delivered) => return self.add_delivery_at(&address, time),
            Some(Kind::AutoReply) => return,
            _ => {}
        }
        match reason {
            Reason::Feedback => self.complaint(address, record),
            Reason::Delivered => self.add_delivery_at(&address, time),
            Reason::Vacation => {}
            Reason::UserUnknown | Reason::HasMoved | Reason::Suspend
                if is_permanent(record) && action_of(record) == Some(Action::Suppress) =>
            {
                let why = format!(
                    "{reason} on a permanent failure ({}): the address is invalid",
                    code_of(record)
                );
                self.decide_suppress(address, record, time, why, 1);
            }
            Reason::Suppressed if action_of(record) == Some(Action::Suppress) => {
                let why = "already on the sending service's suppression list".to_owned();
                self.decide_suppress(address, record, time, why, 1);
            }
            Reason::HostUnknown | Reason::NotAccept
                if action_of(record) == Some(Action::SuppressAfterConfirmation) =>
            {
                match dns_confirmation(record) {
                    Some(DnsConfirmation::Dead(why)) => {
                        return self.decide_suppress(address, record, time, why, 1);
                    }
                    Some(DnsConfirmation::Routes(why)) => {
                        // The domain routes now: earlier no-route attempts (this run's or the
                        // state's) are stale, as a delivery makes quota failures stale.
                        let domain = record.recipient_domain().to_ascii_lowercase();
                        self.state.unroutable.remove(&domain);
                        return self.decide_keep(address, record, time, why, 1);
                    }
                    None => {}
                }
                let domain = record.recipient_domain().to_ascii_lowercase();
                let counter = self.state.unroutable.entry(domain).or_default();
                counter.attempts.add(Attempt::of(record, time));
                if counter.addresses.len() < MAX_DOMAIN_ADDRESSES {
                    counter.addresses.insert(address.clone());
                }
                let receiver = self.texts.share(&receiver_of(record));
                self.receivers.insert(address, receiver);
            }
            Reason::MailboxFull => {
                self.state
                    .quota
                    .entry(address.clone())
                    .or_default()
                    .attempts
                    .add(Attempt::of(record, time));
                let receiver = self.texts.share(&receiver_of(record));
                self.receivers.insert(address, receiver);
            }
            other => {
                let why = keep_why(other, record);
                self.decide_keep(address, record, time, why, 1);
            }
        }
    }

    /// Records a successful delivery to `address` at `time` (from `--deliveries`).
    pub fn add_delivery(&mut self, address: &str, time: i64) {
        self.add_delivery_at(&address.trim().to_ascii_lowercase(), Some(time));
    }

    fn add_delivery_at(&mut self, address: &str, time: Option<i64>) {
        if let Some(counter) = self.state.quota.get_mut(address) {
            let time =
                time.or_else(|| counter.attempts.latest().and_then(|a| a.time)).unwrap_or(i64::MIN);
            counter.last_delivery = Some(counter.last_delivery.map_or(time, |t| t.max(time)));
            if time == i64::MIN {
                counter.attempts.attempts.clear();
            }
        } else if let Some(time) = time {
            self.state.quota.entry(address.to_owned()).or_default().last_delivery = Some(time);
        }
    }

    fn complaint(&mut self, address: String, record: &Record) {
        let entry = entry_of(
            &address,
            ListKind::Complaint,
            record,
            "the recipient complained (feedback report): stop marketing mail".to_owned(),
            1,
        );
        let entry = Slim::of(entry, &mut self.texts);
        self.complaints.insert(address, entry);
    }

    fn decide_suppress(
        &mut self,
        address: String,
        record: &Record,
        time: Option<i64>,
        why: String,
        attempts: u64,
    ) {
        // The first decision stands.
        if self.suppress.contains_key(&address) {
            return;
        }
        let decision = self.decision(&address, ListKind::Suppress, record, time, why, attempts);
        self.suppress.insert(address, decision);
    }

    fn decide_keep(
        &mut self,
        address: String,
        record: &Record,
        time: Option<i64>,
        why: String,
        attempts: u64,
    ) {
        // The latest decision stands.
        if self.keep.get(&address).is_some_and(|known| known.time > time) {
            return;
        }
        let decision = self.decision(&address, ListKind::Keep, record, time, why, attempts);
        self.keep.insert(address, decision);
    }

    fn decision(
        &mut self,
        address: &str,
        list: ListKind,
        record: &Record,
        time: Option<i64>,
        why: String,
        attempts: u64,
    ) -> Decision {
        let entry = Slim::of(entry_of(address, list, record, why, attempts), &mut self.texts);
        Decision { entry, receiver: self.texts.share(&receiver_of(record)), time }
    }

    /// Decides the counted cases, moves decisions inside a flagged spike window to the keep
    /// list, and returns the lists (suppress, keep, complaint; each sorted by address) and the
    /// state to save for the next run.
    #[must_use]
    pub fn finish(self, spikes: &[Spike]) -> (Vec<ListEntry>, SuppressionState) {
        let (lists, state) = self.finish_lists(spikes);
        (lists.into_vec(), state)
    }

    /// [`Suppressor::finish`] with the lists held compactly: an entry is made when read.
    #[must_use]
    pub fn finish_lists(mut self, spikes: &[Spike]) -> (Lists, SuppressionState) {
        let options = self.options;
        let mut counted: Vec<(String, Attempt, String, u64, bool)> = Vec::new();
        for (address, counter) in &mut self.state.quota {
            counter.prune();
            let Some(latest) = counter.attempts.latest() else { continue };
            let n = counter.attempts.len();
            counted.push((
                address.clone(),
                latest.clone(),
                format!(
                    "mailbox full on {n} consecutive attempts since the last delivery (limit {})",
                    options.soft_limit
                ),
                n as u64,
                n >= options.soft_limit,
            ));
        }
        for (domain, counter) in &self.state.unroutable {
            let Some(latest) = counter.attempts.latest() else { continue };
            let n = counter.attempts.len();
            let confirmed = n >= options.confirm;
            for address in &counter.addresses {
                counted.push((address.clone(), latest.clone(), format!(
                    "recipient domain {domain} has no route ({}) on {n} distinct attempts (confirmation needs {})",
                    latest.reason, options.confirm
                ), n as u64, confirmed));
            }
        }
        for (address, attempt, why, n, decided) in counted {
            let receiver = match self.receivers.get(&address) {
                Some(receiver) => Arc::clone(receiver),
                None => self.texts.share(address.rsplit_once('@').map_or("", |(_, d)| d)),
            };
            let list = if decided { ListKind::Suppress } else { ListKind::Keep };
            let why = if decided { why } else { format!("{why}: not yet, keep and retry") };
            let entry = ListEntry {
                address: address.clone(),
                list: Some(list),
                reason: attempt.reason.clone(),
                rule_id: attempt.rule_id.clone(),
                why,
                attempts: n,
                evidence: attempt.evidence.clone(),
            };
            let entry = Slim::of(entry, &mut self.texts);
            let decision = Decision { entry, receiver, time: attempt.time };
            if decided {
                self.suppress.entry(address).or_insert(decision);
            } else {
                self.keep.entry(address).or_insert(decision);
            }
        }
        let mut suppress: Vec<(String, Decision)> = self.suppress.into_iter().collect();
        let mut keep: HashMap<String, Decision> = self.keep;
        let texts = &mut self.texts;
        suppress.retain(|(address, decision)| {
            let Some(spike) = spike_covering(spikes, decision) else { return true };
            let mut moved = decision.clone();
            moved.entry.list = Some(ListKind::Keep);
            moved.entry.why = texts.share(&format!(
                "inside a {} spike at {} ({} to {}): quarantine the pattern and retest; was: {}",
                spike.category,
                spike.provider,
                spike.window_start,
                spike.window_end,
                decision.entry.why
            ));
            keep.insert(address.clone(), moved);
            false
        });
        for (address, _) in &suppress {
            keep.remove(address);
        }
        let mut entries: Vec<(Box<str>, Slim)> =
            Vec::with_capacity(suppress.len() + keep.len() + self.complaints.len());
        entries.extend(suppress.into_iter().map(|(a, d)| (a.into_boxed_str(), d.entry)));
        entries.extend(keep.into_iter().map(|(a, d)| (a.into_boxed_str(), d.entry)));
        entries.extend(self.complaints.into_iter().map(|(a, e)| (a.into_boxed_str(), e)));
        self.state.quota.retain(|_, c| !c.attempts.is_empty() || c.last_delivery.is_some());
        (Lists::new(entries), self.state)
    }
}

/// What a live lookup of the recipient domain (`--resolve`) says about a dead-domain verdict.
enum DnsConfirmation {
    /// NXDOMAIN or null MX on a permanent failure: suppress on this first bounce.
    Dead(String),
    /// The domain now has a working route: keep, not suppressed on DNS grounds.
    Routes(String),
}

/// Whether the record's DNS evidence confirms or refutes its dead-domain verdict; `None` when
/// there is none, or it proves nothing (SERVFAIL, timeout, no route), or the failure was not
/// permanent (a 4xx is never a hard suppression, whatever DNS says).
fn dns_confirmation(record: &Record) -> Option<DnsConfirmation> {
    let domain = record.dns.as_ref()?.domain.as_ref()?;
    let status = domain.status?;
    let when = format!(
        "{}, queried {} via {}{}",
        domain.name,
        domain.queried_at,
        domain.resolver,
        if domain.cached { ", from the DNS cache" } else { "" }
    );
    if status.is_dead() && is_permanent(record) {
        let what = if status == DomainStatus::NullMx {
            "null MX (RFC 7505): the domain accepts no mail"
        } else {
            "NXDOMAIN: the domain does not exist"
        };
        return Some(DnsConfirmation::Dead(format!(
            "{} on a permanent failure ({}), confirmed by DNS on the first bounce: {what} ({when})",
            record.reason().unwrap_or(Reason::Undefined),
            code_of(record)
        )));
    }
    if status.routes() {
        let route = if domain.mx.is_empty() {
            format!("address fallback {}", domain.addresses.join(" "))
        } else {
            let hosts: Vec<String> =
                domain.mx.iter().map(|m| format!("{} {}", m.preference, m.host)).collect();
            format!("MX {}", hosts.join(", "))
        };
        return Some(DnsConfirmation::Routes(format!(
            "{} ({}), but the domain routes now ({route}; {when}): keep and retry, not suppressed on DNS grounds",
            record.reason().unwrap_or(Reason::Undefined),
            code_of(record)
        )));
    }
    None
}

/// The spike whose window and receiver hold the decision's evidence, if any.
fn spike_covering<'s>(spikes: &'s [Spike], decision: &Decision) -> Option<&'s Spike> {
    let time = decision.time?;
    spikes.iter().find(|spike| {
        *spike.provider == *decision.receiver
            && parse_rfc3339(&spike.window_start).is_some_and(|start| time >= start)
            && parse_rfc3339(&spike.window_end).is_some_and(|end| time < end)
    })
}

/// Whether the rules' verdict explicitly keeps the address (a feedback report that is not a
/// recipient's complaint, such as an auth-failure or not-spam report).
fn keeps(record: &Record) -> bool {
    record.verdict.as_ref().is_some_and(|v| v.action == bounce_model::Action::Keep)
}

/// Whether the failure is permanent: the basic reply code's first digit decides, then the
/// enhanced status, then the rules' `hard` flag. Delayed DSNs are never permanent.
#[must_use]
pub fn is_permanent(record: &Record) -> bool {
    if record.kind == Some(Kind::Delay) {
        return false;
    }
    let first = |code: &Option<String>| code.as_deref().and_then(|c| c.trim().chars().next());
    match first(&record.reply_code).or_else(|| first(&record.status)) {
        Some(digit) => digit == '5',
        None => record.verdict.as_ref().is_some_and(|v| v.hard),
    }
}

fn code_of(record: &Record) -> String {
    let parts: Vec<&str> =
        [record.reply_code.as_deref(), record.status.as_deref()].into_iter().flatten().collect();
    if parts.is_empty() {
        "hard".to_owned()
    } else {
        parts.join(" ")
    }
}

/// The action the rules' verdict gives the record.
fn action_of(record: &Record) -> Option<Action> {
    record.verdict.as_ref().map(|v| v.action)
}

/// Why an address that failed for `reason` must be kept (the taxonomy's action column, or
/// the bounds that kept the verdict from suppressing).
#[must_use]
pub fn keep_why(reason: Reason, record: &Record) -> String {
    if let Some(bounds) = record.verdict.as_ref().map(|v| &v.bounds).filter(|b| !b.is_empty()) {
        return format!("{reason} ({}): {}", code_of(record), bounds.join("; "));
    }
    let text = match reason {
        Reason::UserUnknown | Reason::HasMoved | Reason::Suspend => {
            return format!("{reason} on a temporary failure ({}): retry, suppress only on a permanent one", code_of(record));
        }
        Reason::Speeding | Reason::TooManyConn => "rate limit, greylisting or 421: throttle, retry with backoff",
        Reason::NoRelaying => "relay denied or wrong route: fix MX, transport map, smart host, connector or relay permission first",
        Reason::Blocked | Reason::BadReputation | Reason::Rejected => "blocklist, reputation or sender refused: pause affected traffic and fix the sender",
        Reason::AuthFailure | Reason::RequirePtr | Reason::FailedStartTls | Reason::SecurityError => {
            "sender authentication (SPF, DKIM, DMARC, PTR, TLS, credentials): repair the sending path before retrying"
        }
        Reason::SpamDetected | Reason::VirusDetected | Reason::ContentError | Reason::NotCompliantRfc
        | Reason::PolicyViolation | Reason::MesgTooBig | Reason::ExceedLimit => "content or policy: test a plain version and fix the message",
        Reason::Filtered => "the recipient's own filter or setting: report, keep",
        Reason::NetworkError | Reason::Expired | Reason::SystemError | Reason::SystemFull | Reason::MailerError
        | Reason::SyntaxError => "transient or receiver-side failure (including SERVFAIL and resolver timeouts): retry; escalate when it persists",
        _ => "undecided: collect the full DSN and write a rule",
    };
    text.to_owned()
}

fn entry_of(
    address: &str,
    list: ListKind,
    record: &Record,
    why: String,
    attempts: u64,
) -> ListEntry {
    ListEntry {
        address: address.to_owned(),
        list: Some(list),
        reason: record
            .reason()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_else(|| "undefined".to_owned()),
        rule_id: record.verdict.as_ref().map(|v| v.rule_id.clone()).unwrap_or_default(),
        why,
        attempts,
        evidence: sample_of(record),
    }
}
