//! Durations written with units: "250ms", "10s", "5m", "2h", "30d", "1y".

use crate::units::{DAY_SECS, YEAR_SECS};
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// The longest duration accepted [s]: a billion years, far beyond any
/// trajectory, yet far from overflowing when added to simulated time.
pub const MAX_SECS: f64 = 1e9 * YEAR_SECS;

/// A non-negative length of time [s], parsed from a string with a unit.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Duration(pub f64);

impl Duration {
    /// The length in seconds [s].
    pub fn secs(self) -> f64 {
        self.0
    }
}

/// Parses "10s", "1.5h", "30d"… into seconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let text = text.trim();
    // The unit is the trailing letters, so that "1e3s" is 1,000 seconds.
    let split = text.char_indices().rev().find(|(_, c)| !c.is_alphabetic()).map_or(0, |(i, c)| i + c.len_utf8());
    if split == text.len() {
        return Err(format!(
            "duration '{text}' has no unit: write it as e.g. \"30s\", \"5m\", \"2h\", \"30d\" or \"1y\""
        ));
    }
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3_600.0,
        "d" => DAY_SECS,
        "w" => 7.0 * DAY_SECS,
        "y" => YEAR_SECS,
        _ => {
            return Err(format!("duration '{text}' has unknown unit '{unit}': use ms, s, m, h, d, w or y"));
        }
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("duration '{text}' does not start with a number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("duration '{text}' must be a finite, non-negative number"));
    }
    let secs = value * scale;
    if secs > MAX_SECS {
        return Err(format!(
            "duration '{text}' is longer than the longest a simulation can use (1e9 years); for a failure that never happens write \"never\""
        ));
    }
    Ok(secs)
}

/// Formats seconds with the largest unit that keeps the number readable.
pub fn format_duration(secs: f64) -> String {
    let (value, unit) = if secs >= YEAR_SECS {
        (secs / YEAR_SECS, "y")
    } else if secs >= DAY_SECS {
        (secs / DAY_SECS, "d")
    } else if secs >= 3_600.0 {
        (secs / 3_600.0, "h")
    } else if secs >= 60.0 {
        (secs / 60.0, "m")
    } else {
        (secs, "s")
    };
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{unit}")
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration with a unit, such as \"30s\", \"5m\", \"2h\", \"30d\" or \"1y\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                parse_duration(v).map(Duration).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                Err(E::custom(format!("duration {v} has no unit: write it as a string, e.g. \"{v}s\"")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                if !v.is_finite() {
                    return Err(E::custom(format!("duration {v} is not a length of time: write e.g. \"30s\"")));
                }
                Err(E::custom(format!("duration {v} has no unit: write it as a string, e.g. \"{v}s\"")))
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(0.25));
        assert_eq!(parse_duration("10s"), Ok(10.0));
        assert_eq!(parse_duration("5m"), Ok(300.0));
        assert_eq!(parse_duration("1.5h"), Ok(5_400.0));
        assert_eq!(parse_duration("30d"), Ok(2_592_000.0));
        assert_eq!(parse_duration("1w"), Ok(604_800.0));
        assert_eq!(parse_duration("1y"), Ok(31_536_000.0));
    }

    #[test]
    fn rejects_missing_or_unknown_units_and_negatives() {
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("10q").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("-5m").unwrap_err().contains("non-negative"));
        assert!(parse_duration("m").unwrap_err().contains("number"));
        // Letters beyond ASCII are not units, and never split a character.
        for text in ["5µs", "１m", "5ｍ", "é", "60µs", "５m"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }

    #[test]
    fn formats_readably() {
        assert_eq!(format_duration(28.0), "28s");
        assert_eq!(format_duration(5_400.0), "1.5h");
        assert_eq!(format_duration(YEAR_SECS), "1y");
    }
}
