//! What the prose of a bounce gives: the recipients it names, with the diagnostic, codes and
//! remote host it gives for each, and the facts it states once for all of them. Plain data,
//! so the message view can keep the one reading of a message that every step shares.

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

/// Everything the prose gives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Finding {
    pub(crate) recipients: Vec<Found>,
    pub(crate) format: String,
    pub(crate) reporting_mta: Option<String>,
    /// A diagnostic the notice states once for all recipients.
    pub(crate) global: Option<String>,
}
