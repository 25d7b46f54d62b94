//! Durations as people write them in resources: `90s`, `15m`, `2h30m`, `7d`, `2w`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration with one-second resolution.
///
/// Written as one or more `<number><unit>` terms with units `s`, `m`, `h`, `d` (24 hours) and
/// `w` (7 days), largest first, e.g. `1d12h`. `0` alone means zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    seconds: u64,
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error("duration {input:?}: expected a number at offset {offset}")]
    MissingNumber { input: String, offset: usize },
    #[error("duration {input:?}: missing unit after {number} (use s, m, h, d or w)")]
    MissingUnit { input: String, number: u64 },
    #[error("duration {input:?}: unknown unit {unit:?} (use s, m, h, d or w)")]
    UnknownUnit { input: String, unit: String },
    #[error("duration {input:?}: units must go from largest to smallest, each at most once")]
    UnitOrder { input: String },
    #[error("duration {input:?} is too large")]
    Overflow { input: String },
}

/// The longest duration, in seconds: what a `chrono::TimeDelta` holds (about 292 million years).
const MAX_SECONDS: u64 = chrono::TimeDelta::MAX.num_seconds().unsigned_abs();

const UNITS: [(char, u64); 5] = [
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

impl Duration {
    /// Zero seconds.
    pub const ZERO: Duration = Duration { seconds: 0 };

    /// A duration of whole seconds.
    pub const fn from_secs(seconds: u64) -> Duration {
        Duration { seconds }
    }

    /// A duration of whole minutes.
    pub const fn from_mins(minutes: u64) -> Duration {
        Duration {
            seconds: minutes * 60,
        }
    }

    /// A duration of whole hours.
    pub const fn from_hours(hours: u64) -> Duration {
        Duration {
            seconds: hours * 3_600,
        }
    }

    /// A duration of whole days (24 hours each).
    pub const fn from_days(days: u64) -> Duration {
        Duration {
            seconds: days * 86_400,
        }
    }

    /// The length in seconds.
    pub const fn as_secs(self) -> u64 {
        self.seconds
    }

    /// The same length as a `chrono::TimeDelta`, for arithmetic on instants.
    pub fn to_chrono(self) -> chrono::TimeDelta {
        // Parsed durations fit (longer ones are an Overflow); a larger `from_secs` saturates
        // instead of panicking as `TimeDelta::seconds` does past about 292 million years.
        i64::try_from(self.seconds)
            .ok()
            .and_then(chrono::TimeDelta::try_seconds)
            .unwrap_or(chrono::TimeDelta::MAX)
    }

    /// The same length as a `std::time::Duration`.
    pub const fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DurationError::Empty);
        }
        if s == "0" {
            return Ok(Duration::ZERO);
        }
        let overflow = || DurationError::Overflow {
            input: input.to_string(),
        };
        let bytes = s.as_bytes();
        let mut pos = 0;
        let mut total: u64 = 0;
        let mut last_unit_rank: Option<usize> = None;
        while pos < bytes.len() {
            let start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            if start == pos {
                return Err(DurationError::MissingNumber {
                    input: input.to_string(),
                    offset: start,
                });
            }
            let number: u64 = s[start..pos].parse().map_err(|_| overflow())?;
            let unit_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
                pos += 1;
            }
            let unit = &s[unit_start..pos];
            if unit.is_empty() {
                return Err(DurationError::MissingUnit {
                    input: input.to_string(),
                    number,
                });
            }
            let Some(rank) = UNITS
                .iter()
                .position(|(u, _)| unit.len() == 1 && unit.starts_with(*u))
            else {
                return Err(DurationError::UnknownUnit {
                    input: input.to_string(),
                    unit: unit.to_string(),
                });
            };
            if last_unit_rank.is_some_and(|last| rank <= last) {
                return Err(DurationError::UnitOrder {
                    input: input.to_string(),
                });
            }
            last_unit_rank = Some(rank);
            let seconds = number.checked_mul(UNITS[rank].1).ok_or_else(overflow)?;
            total = total.checked_add(seconds).ok_or_else(overflow)?;
        }
        // The longest a `chrono::TimeDelta` holds, so that instants can be computed with it.
        if total > MAX_SECONDS {
            return Err(overflow());
        }
        Ok(Duration { seconds: total })
    }
}

impl fmt::Display for Duration {
    /// The canonical form: largest units first, zero terms left out (`1d12h`, `0s`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.seconds;
        // Weeks are only used when the whole duration is weeks: "14d" reads better than "2w" mixed.
        for (unit, size) in UNITS {
            if unit == 'w' && !rest.is_multiple_of(size) {
                continue;
            }
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_combined_terms() {
        assert_eq!("90s".parse(), Ok(Duration::from_secs(90)));
        assert_eq!("15m".parse(), Ok(Duration::from_mins(15)));
        assert_eq!("2h30m".parse(), Ok(Duration::from_mins(150)));
        assert_eq!("7d".parse(), Ok(Duration::from_days(7)));
        assert_eq!("2w".parse(), Ok(Duration::from_days(14)));
        assert_eq!("1d12h".parse(), Ok(Duration::from_hours(36)));
        assert_eq!("0".parse(), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_malformed_input_with_a_reason() {
        assert_eq!("".parse::<Duration>(), Err(DurationError::Empty));
        assert!(matches!(
            "7".parse::<Duration>(),
            Err(DurationError::MissingUnit { number: 7, .. })
        ));
        assert!(matches!(
            "7y".parse::<Duration>(),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            "h".parse::<Duration>(),
            Err(DurationError::MissingNumber { .. })
        ));
        assert!(matches!(
            "30m2h".parse::<Duration>(),
            Err(DurationError::UnitOrder { .. })
        ));
        assert!(matches!(
            "1h1h".parse::<Duration>(),
            Err(DurationError::UnitOrder { .. })
        ));
        assert!(matches!(
            "-5m".parse::<Duration>(),
            Err(DurationError::MissingNumber { .. })
        ));
        assert!(matches!(
            "99999999999999999999w".parse::<Duration>(),
            Err(DurationError::Overflow { .. })
        ));
        assert!(matches!(
            "1ms".parse::<Duration>(),
            Err(DurationError::UnknownUnit { .. })
        ));
    }

    #[test]
    fn durations_longer_than_a_time_delta_are_an_overflow_not_a_panic() {
        let longest = chrono::TimeDelta::MAX.num_seconds();
        let fits: Duration = format!("{longest}s").parse().expect("the longest fits");
        assert_eq!(fits.to_chrono().num_seconds(), longest);
        for text in ["594221474836486m", &format!("{}s", longest + 1)] {
            assert!(
                matches!(
                    text.parse::<Duration>(),
                    Err(DurationError::Overflow { .. })
                ),
                "{text}"
            );
        }
        assert_eq!(
            Duration::from_secs(u64::MAX).to_chrono(),
            chrono::TimeDelta::MAX
        );
    }

    #[test]
    fn displays_canonically_and_round_trips() {
        for (text, canonical) in [
            ("90s", "1m30s"),
            ("2w", "2w"),
            ("1d12h", "1d12h"),
            ("15d", "15d"),
            ("0", "0s"),
        ] {
            let d: Duration = text.parse().expect("valid");
            assert_eq!(d.to_string(), canonical);
            assert_eq!(canonical.parse::<Duration>(), Ok(d));
        }
    }
}
