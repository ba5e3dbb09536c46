//! UTC instants as seconds since the Unix epoch; the functions live in `bounce_model::time`
//! and are re-exported here for the engine's callers.

pub use bounce_model::time::{
    civil_from_days, days_from_civil, floor_to, format_rfc3339, parse_rfc3339, DAY, HOUR,
};
