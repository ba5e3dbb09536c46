//! Phrase sets matched in one pass with Aho-Corasick (ASCII case-insensitive), so reading a
//! bounce costs one scan per question instead of one `find` per phrase.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A compiled set of phrases.
pub(crate) struct Phrases {
    automaton: AhoCorasick,
}

impl Phrases {
    pub(crate) fn new(phrases: &[&str]) -> Phrases {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(phrases)
            .expect("phrase sets are small literal sets");
        Phrases { automaton }
    }

    /// Whether any phrase occurs in `text`.
    pub(crate) fn any(&self, text: &str) -> bool {
        self.automaton.is_match(text)
    }

    /// Every occurrence, leftmost first: (phrase index, byte offset).
    pub(crate) fn iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.automaton.find_iter(text).map(|m| (m.pattern().as_usize(), m.start()))
    }

    /// The lowest phrase index found in `text` (list order is priority order). Matches are
    /// leftmost-first, so a phrase hidden inside an earlier, overlapping match is not seen;
    /// the sets using this hold phrases that do not overlap.
    pub(crate) fn best(&self, text: &str) -> Option<usize> {
        self.automaton.find_iter(text).map(|m| m.pattern().as_usize()).min()
    }
}

/// Builds a lazily compiled phrase set.
macro_rules! phrase_set {
    ($name:ident, $list:expr) => {
        pub(crate) static $name: LazyLock<Phrases> = LazyLock::new(|| Phrases::new($list));
    };
}

phrase_set!(ORIGINAL_SET, super::prose::ORIGINAL_MARKERS);
phrase_set!(BOUNCE_TEXT_SET, super::prose::BOUNCE_TEXT);
phrase_set!(BOUNCE_SUBJECT_SET, super::prose::BOUNCE_SUBJECT);
phrase_set!(DELAY_TEXT_SET, super::prose::DELAY_TEXT);
/// The markers of the MTA families, in priority order.
pub(crate) static FAMILY_SET: LazyLock<Phrases> = LazyLock::new(|| {
    let markers: Vec<&str> = super::prose::FAMILIES.iter().map(|(_, m)| *m).collect();
    Phrases::new(&markers)
});
