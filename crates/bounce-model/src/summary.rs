//! The accounting of a run: every message lands in exactly one bucket.

use serde::{Deserialize, Serialize};

use crate::record::Source;

named_enum! {
    /// The bucket a message lands in.
    Bucket {
        /// At least one failed or delayed recipient.
        Bounce = "bounce",
        /// A success DSN, auto-reply or complaint.
        Report = "report",
        /// Clearly a bounce, but no recipient could be found.
        BounceNoRecipient = "bounce-no-recipient",
        /// Not a bounce.
        NotABounce = "not-a-bounce",
        /// The message could not be parsed.
        Unparsed = "unparsed",
    }
}

/// A message that needs the user's attention, with where to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Where the message is.
    pub source: Source,
    /// What went wrong.
    pub error: String,
}

/// Counts of a run; the buckets add up to `messages`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Messages read.
    pub messages: u64,
    /// Messages with at least one failed or delayed recipient.
    pub bounce: u64,
    /// Success DSNs, auto-replies and complaints.
    pub report: u64,
    /// Bounces in which no recipient was found.
    pub bounce_no_recipient: u64,
    /// Messages that are not bounces.
    pub not_a_bounce: u64,
    /// Messages that could not be parsed.
    pub unparsed: u64,
    /// Records written.
    pub records: u64,
    /// Inputs that could not be read at all (path and error).
    pub failed_inputs: Vec<Problem>,
    /// Bounces without recipients and unparsed messages, with path and offset.
    pub problems: Vec<Problem>,
    /// Bytes found before the first `From ` line of an mbox, with path and offset.
    pub preambles: Vec<Problem>,
}

impl Summary {
    /// Counts a message in its bucket.
    pub fn count(&mut self, bucket: Bucket) {
        self.count_rows(bucket, 1);
    }

    /// Counts `rows` messages (or log rows) in one bucket.
    pub fn count_rows(&mut self, bucket: Bucket, rows: u64) {
        self.messages += rows;
        let counter = match bucket {
            Bucket::Bounce => &mut self.bounce,
            Bucket::Report => &mut self.report,
            Bucket::BounceNoRecipient => &mut self.bounce_no_recipient,
            Bucket::NotABounce => &mut self.not_a_bounce,
            Bucket::Unparsed => &mut self.unparsed,
        };
        *counter += rows;
    }

    /// Whether the buckets add up to the messages read.
    #[must_use]
    pub fn adds_up(&self) -> bool {
        self.bounce + self.report + self.bounce_no_recipient + self.not_a_bounce + self.unparsed
            == self.messages
    }

    /// Adds another summary's counts and lists to this one.
    pub fn merge(&mut self, other: Summary) {
        self.messages += other.messages;
        self.bounce += other.bounce;
        self.report += other.report;
        self.bounce_no_recipient += other.bounce_no_recipient;
        self.not_a_bounce += other.not_a_bounce;
        self.unparsed += other.unparsed;
        self.records += other.records;
        self.failed_inputs.extend(other.failed_inputs);
        self.problems.extend(other.problems);
        self.preambles.extend(other.preambles);
    }
}
