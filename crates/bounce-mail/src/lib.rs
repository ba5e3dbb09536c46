//! Reading bounce archives and extracting per-recipient evidence.
//!
//! [`split`] cuts mbox archives into messages, [`input`] finds the messages of files,
//! directories, Maildirs, gzip streams and stdin, and [`extract`] turns one message into
//! [`bounce_model::BounceFacts`]: what each bounce states. This crate knows nothing about rules.
#![deny(missing_docs)]

pub mod extract;
#[allow(missing_docs)]
pub mod input;
#[allow(missing_docs)]
pub mod split;
