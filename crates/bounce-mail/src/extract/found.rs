//! What the prose of a bounce gives: the recipients it names and where (cheap, [`Mention`]),
//! the diagnostic, codes and remote host it gives for each (dearer, [`Found`]), and the facts
//! it states once for all of them. Plain data, so the message view can keep each reading of a
//! message, made on first use, for every step that asks.

use std::cell::OnceCell;

/// The readings of one message's prose, each made on first use (see `prose`).
#[derive(Debug, Default)]
pub(crate) struct Readings {
    /// The recipients the notice names.
    pub(crate) mentions: OnceCell<Vec<Mention>>,
    /// What the notice says about each of them and about all.
    pub(crate) finding: OnceCell<Finding>,
    /// The MTA family of the wording.
    pub(crate) format: OnceCell<String>,
    /// The first remote host the notice names anywhere.
    pub(crate) any_remote_host: OnceCell<Option<String>>,
    /// Whether the message reads like a bounce (`prose::looks_like_bounce`).
    pub(crate) looks_like_bounce: OnceCell<bool>,
}

/// One recipient found in the prose, with what the prose says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) recipient: String,
    pub(crate) diagnostic: Option<String>,
    /// Text around the recipient that may name the SMTP stage.
    pub(crate) context: Option<String>,
    pub(crate) reply: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) remote_mta: Option<String>,
    pub(crate) delayed: bool,
}

/// Where the notice names one recipient: the address as written, its cleaned form, the
/// bounds of its block and its context. Offsets are into the notice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mention {
    /// The recipient, without quotes, brackets or an address-type prefix.
    pub(crate) recipient: String,
    /// The address as the notice writes it.
    pub(crate) address: String,
    /// Where the address starts.
    pub(crate) pos: usize,
    /// Where its block ends (the next recipient's mention, or the end of the notice).
    pub(crate) end: usize,
    /// The start and end of the address's line.
    pub(crate) line_start: usize,
    pub(crate) line_end: usize,
    /// The start of the line above the address's: where its context starts.
    pub(crate) context_start: usize,
    /// Whether the address's line is a Sendmail summary entry (`550 <addr>... text`).
    pub(crate) sendmail_entry: bool,
    /// Text around the recipient that may name the SMTP stage (none for a field listing).
    pub(crate) context: Option<String>,
}

/// What the prose gives for each recipient it names (one [`Found`] per [`Mention`], in the
/// same order).
#[derive(Debug, Clone, Default)]
pub(crate) struct Finding {
    pub(crate) recipients: Vec<Found>,
    /// A diagnostic the notice states once for all recipients.
    pub(crate) global: Option<String>,
}
