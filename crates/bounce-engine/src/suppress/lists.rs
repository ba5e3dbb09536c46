//! The lists a suppression decides, held compactly: one entry per address, its address kept
//! once (as the key), the text that repeats across entries (reasons, rule ids, explanations,
//! paths, receivers) shared, and a [`ListEntry`] made only when one is read. An audit of a
//! million addresses holds about a third of what a million `ListEntry` values would.

use std::collections::HashSet;
use std::sync::Arc;

use bounce_model::{ListEntry, ListKind, Sample, Source};

/// Shares repeated text between entries.
#[derive(Debug, Default)]
pub(crate) struct Texts(HashSet<Arc<str>>);

impl Texts {
    /// The shared copy of `text`.
    pub(crate) fn share(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

/// A list entry without its address (the key it is stored under).
#[derive(Debug, Clone)]
pub(crate) struct Slim {
    pub(crate) list: Option<ListKind>,
    reason: Arc<str>,
    rule_id: Arc<str>,
    pub(crate) why: Arc<str>,
    attempts: u64,
    path: Arc<str>,
    message: u64,
    offset: u64,
    /// The recipient as the bounce wrote it, when that is not the address.
    recipient: Option<Box<str>>,
    message_id: Option<Box<str>>,
    timestamp: Option<Box<str>>,
    diagnostic: Option<Box<str>>,
}

impl Slim {
    pub(crate) fn of(entry: ListEntry, texts: &mut Texts) -> Slim {
        let ListEntry { address, list, reason, rule_id, why, attempts, evidence } = entry;
        let Sample { source, recipient, message_id, timestamp, diagnostic } = evidence;
        Slim {
            list,
            reason: texts.share(&reason),
            rule_id: texts.share(&rule_id),
            why: texts.share(&why),
            attempts,
            path: texts.share(&source.path),
            message: source.message,
            offset: source.offset,
            recipient: (recipient != address).then(|| recipient.into_boxed_str()),
            message_id: message_id.map(String::into_boxed_str),
            timestamp: timestamp.map(String::into_boxed_str),
            diagnostic: diagnostic.map(String::into_boxed_str),
        }
    }

    /// The entry of `address`.
    pub(crate) fn entry(&self, address: &str) -> ListEntry {
        ListEntry {
            address: address.to_owned(),
            list: self.list,
            reason: self.reason.to_string(),
            rule_id: self.rule_id.to_string(),
            why: self.why.to_string(),
            attempts: self.attempts,
            evidence: Sample {
                source: Source {
                    path: self.path.to_string(),
                    message: self.message,
                    offset: self.offset,
                },
                recipient: self.recipient.as_deref().unwrap_or(address).to_owned(),
                message_id: self.message_id.as_deref().map(str::to_owned),
                timestamp: self.timestamp.as_deref().map(str::to_owned),
                diagnostic: self.diagnostic.as_deref().map(str::to_owned),
            },
        }
    }
}

/// The suppression, keep and complaint lists, in that order, each sorted by address.
#[derive(Debug, Default)]
pub struct Lists {
    entries: Vec<(Box<str>, Slim)>,
}

impl Lists {
    pub(crate) fn new(mut entries: Vec<(Box<str>, Slim)>) -> Self {
        entries.sort_by(|a, b| a.1.list.cmp(&b.1.list).then_with(|| a.0.cmp(&b.0)));
        Lists { entries }
    }

    /// Entries in all lists.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether every list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries of one list.
    #[must_use]
    pub fn count(&self, kind: ListKind) -> usize {
        self.entries.iter().filter(|(_, e)| e.list == Some(kind)).count()
    }

    /// Every entry, in order, each made when it is read.
    pub fn iter(&self) -> impl Iterator<Item = ListEntry> + '_ {
        self.entries.iter().map(|(address, e)| e.entry(address))
    }

    /// The entries of one list, in order.
    pub fn of(&self, kind: ListKind) -> impl Iterator<Item = ListEntry> + '_ {
        self.entries
            .iter()
            .filter(move |(_, e)| e.list == Some(kind))
            .map(|(address, e)| e.entry(address))
    }

    /// Every entry, made at once.
    #[must_use]
    pub fn into_vec(self) -> Vec<ListEntry> {
        self.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_as_it_went_in() {
        let mut texts = Texts::default();
        let entry = ListEntry {
            address: "ann@example.com".into(),
            list: Some(ListKind::Suppress),
            reason: "userunknown".into(),
            rule_id: "generic.user-unknown".into(),
            why: "userunknown on a permanent failure (550 5.1.1)".into(),
            attempts: 1,
            evidence: Sample {
                source: Source { path: "a.mbox".into(), message: 3, offset: 912 },
                // As the bounce wrote it: not the lowercased address.
                recipient: "Ann@Example.com".into(),
                message_id: Some("<m1@example.org>".into()),
                timestamp: Some("2026-06-10T14:06:40Z".into()),
                diagnostic: Some("550 5.1.1 <Ann@Example.com>: User unknown".into()),
            },
        };
        let slim = Slim::of(entry.clone(), &mut texts);
        assert_eq!(slim.entry("ann@example.com"), entry);
        let same = ListEntry {
            evidence: Sample { recipient: entry.address.clone(), ..entry.evidence.clone() },
            ..entry.clone()
        };
        let other = Slim::of(same.clone(), &mut texts);
        assert!(other.recipient.is_none(), "the address is not stored twice");
        assert!(Arc::ptr_eq(&slim.why, &other.why), "repeated text is shared");
        assert_eq!(other.entry("ann@example.com"), same);
    }
}
