//! bounce-report: see ARCHITECTURE.md.
