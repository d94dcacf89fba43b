//! Units of simulated time, at the bottom of the house: every layer counts
//! in seconds and cuts time into these.

/// Seconds in a day.
pub const DAY_SECS: f64 = 86_400.0;
/// Seconds in one simulated year: 365 days, as the model fixes it.
pub const YEAR_SECS: f64 = 365.0 * DAY_SECS;
