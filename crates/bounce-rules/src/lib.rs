//! The rules DSL (in progress; see issue 3).
