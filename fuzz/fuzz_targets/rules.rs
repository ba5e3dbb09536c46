//! Fuzz target `rules`: see [`harness::rules`] for what it checks.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::rules(data));
