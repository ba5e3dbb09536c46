//! The data model of bounce-triage: the [`BounceFacts`] a delivery report states about each
//! recipient it names, the [`Verdict`] the rules give them, the [`Record`] that pairs the two,
//! and the [`Summary`] of a run.
//!
//! This crate does no I/O and depends only on serde; every other crate speaks its types.
#![deny(missing_docs)]

#[macro_use]
mod names;

mod aggregate;
mod dimension;
mod dns;
mod record;
mod summary;
mod taxonomy;
pub mod time;
pub mod wording;

pub use aggregate::{
    Aggregates, Group, ListEntry, ListKind, Sample, Spike, TimeBucket, TimeSeries,
};
pub use dimension::Dimension;
pub use dns::{
    AbuseContact, AsnInfo, DnsEvidence, DomainDns, DomainStatus, IpDns, Listing, MxHost,
    RdapNetwork, RdapStatus, Tristate,
};
pub use record::{
    AuthResult, BounceFacts, DkimSignature, Kind, Original, Provenanced, Record, Source, Stage,
    Verdict,
};
pub use summary::{Bucket, Problem, Summary};
pub use taxonomy::{Action, Category, Owner, Reason};
