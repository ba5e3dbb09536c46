//! Fixture corpus of bounce-triage; the tests live in `tests/`.
