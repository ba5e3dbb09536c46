//! Fuzz target `extract`: see [`harness::extract_message`] for what it checks.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::extract_message(data));
