//! A count or a percentage of a population, as in `maxUnavailable: 2` or `canary: "10%"`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An absolute count, or a percentage resolved against a population size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountOrPercent {
    /// A fixed number of members.
    Count(u32),
    /// A percentage (0–100) of the population.
    Percent(u8),
}

/// Why a count-or-percent value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountOrPercentError {
    #[error("{0:?} is neither a whole number nor a percentage like \"25%\"")]
    Malformed(String),
    #[error("{0:?}: a percentage must be between 0% and 100%")]
    PercentOutOfRange(String),
}

impl CountOrPercent {
    /// The number of members, rounding a percentage up (used for canaries: 10% of 5 is 1).
    pub fn resolve_up(self, population: usize) -> usize {
        match self {
            CountOrPercent::Count(n) => (n as usize).min(population),
            CountOrPercent::Percent(p) => (population * p as usize).div_ceil(100),
        }
    }

    /// The number of members, rounding a percentage down (used for limits such as
    /// `maxFailures`: 10% of 5 is 0).
    pub fn resolve_down(self, population: usize) -> usize {
        match self {
            CountOrPercent::Count(n) => (n as usize).min(population),
            CountOrPercent::Percent(p) => population * p as usize / 100,
        }
    }
}

impl FromStr for CountOrPercent {
    type Err = CountOrPercentError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if let Some(number) = s.strip_suffix('%') {
            let value: u32 = number
                .trim()
                .parse()
                .map_err(|_| CountOrPercentError::Malformed(input.to_string()))?;
            return u8::try_from(value)
                .ok()
                .filter(|p| *p <= 100)
                .map(CountOrPercent::Percent)
                .ok_or_else(|| CountOrPercentError::PercentOutOfRange(input.to_string()));
        }
        s.parse()
            .map(CountOrPercent::Count)
            .map_err(|_| CountOrPercentError::Malformed(input.to_string()))
    }
}

impl fmt::Display for CountOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountOrPercent::Count(n) => write!(f, "{n}"),
            CountOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for CountOrPercent {
    /// A count is written as a number and a percentage as a string, like Kubernetes' IntOrString.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            CountOrPercent::Count(n) => serializer.serialize_u32(*n),
            CountOrPercent::Percent(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for CountOrPercent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u32),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(CountOrPercent::Count(n)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counts_and_percentages() {
        assert_eq!("2".parse(), Ok(CountOrPercent::Count(2)));
        assert_eq!("25%".parse(), Ok(CountOrPercent::Percent(25)));
        assert_eq!("100%".parse(), Ok(CountOrPercent::Percent(100)));
        assert!(matches!(
            "101%".parse::<CountOrPercent>(),
            Err(CountOrPercentError::PercentOutOfRange(_))
        ));
        assert!(matches!(
            "two".parse::<CountOrPercent>(),
            Err(CountOrPercentError::Malformed(_))
        ));
        assert!(matches!(
            "-1".parse::<CountOrPercent>(),
            Err(CountOrPercentError::Malformed(_))
        ));
    }

    #[test]
    fn resolves_against_a_population() {
        assert_eq!(CountOrPercent::Percent(10).resolve_up(5), 1);
        assert_eq!(CountOrPercent::Percent(10).resolve_down(5), 0);
        assert_eq!(CountOrPercent::Percent(50).resolve_up(7), 4);
        assert_eq!(CountOrPercent::Percent(50).resolve_down(7), 3);
        assert_eq!(CountOrPercent::Count(10).resolve_up(3), 3);
        assert_eq!(CountOrPercent::Count(0).resolve_down(3), 0);
    }

    #[test]
    fn deserializes_numbers_and_strings() {
        let n: CountOrPercent = serde_json::from_str("3").expect("number");
        let p: CountOrPercent = serde_json::from_str("\"30%\"").expect("percent");
        assert_eq!(
            (n, p),
            (CountOrPercent::Count(3), CountOrPercent::Percent(30))
        );
        assert_eq!(serde_json::to_string(&p).expect("serialize"), "\"30%\"");
        assert!(serde_json::from_str::<CountOrPercent>("\"150%\"").is_err());
    }
}
