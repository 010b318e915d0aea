//! Exact fractions for vote thresholds.
//!
//! A quorum of "2/3" must never become 0.6666 and round the wrong way at a meeting of 15
//! members, so thresholds stay as integer ratios and comparisons cross-multiply.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A fraction in (0, 1], such as `2/3` or `3/4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fraction {
    numerator: u32,
    denominator: u32,
}

/// Why a text is not a fraction in (0, 1].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FractionError {
    /// The text is not of the form `a/b` with whole numbers, nor a whole `1`.
    #[error("'{0}' is not a fraction: write it as a/b, for example 2/3")]
    Malformed(String),
    /// The value is zero, negative or greater than one.
    #[error("'{0}' is outside (0, 1]: a threshold must be more than 0 and at most 1")]
    OutOfRange(String),
}

impl Fraction {
    /// Builds a fraction, refusing anything outside (0, 1].
    pub fn new(numerator: u32, denominator: u32) -> Result<Fraction, FractionError> {
        if denominator == 0 || numerator == 0 || numerator > denominator {
            return Err(FractionError::OutOfRange(format!(
                "{numerator}/{denominator}"
            )));
        }
        Ok(Fraction {
            numerator,
            denominator,
        })
    }

    /// The numerator.
    pub fn numerator(self) -> u32 {
        self.numerator
    }

    /// The denominator.
    pub fn denominator(self) -> u32 {
        self.denominator
    }

    /// Whether `count / base >= self`, computed exactly.
    pub fn is_reached_by(self, count: u64, base: u64) -> bool {
        count * u64::from(self.denominator) >= base * u64::from(self.numerator)
    }

    /// Whether `count / base > self`, computed exactly.
    pub fn is_exceeded_by(self, count: u64, base: u64) -> bool {
        count * u64::from(self.denominator) > base * u64::from(self.numerator)
    }

    /// The smallest whole count that reaches this fraction of `base`.
    pub fn minimum_count_of(self, base: u64) -> u64 {
        (base * u64::from(self.numerator)).div_ceil(u64::from(self.denominator))
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.numerator, self.denominator)
    }
}

impl FromStr for Fraction {
    type Err = FractionError;

    fn from_str(text: &str) -> Result<Fraction, FractionError> {
        let trimmed = text.trim();
        if trimmed == "1" {
            return Fraction::new(1, 1);
        }
        let (numerator, denominator) = trimmed
            .split_once('/')
            .ok_or_else(|| FractionError::Malformed(text.to_string()))?;
        let numerator: i64 = numerator
            .trim()
            .parse()
            .map_err(|_| FractionError::Malformed(text.to_string()))?;
        let denominator: i64 = denominator
            .trim()
            .parse()
            .map_err(|_| FractionError::Malformed(text.to_string()))?;
        if numerator <= 0 || denominator <= 0 || numerator > denominator {
            return Err(FractionError::OutOfRange(text.to_string()));
        }
        let numerator =
            u32::try_from(numerator).map_err(|_| FractionError::OutOfRange(text.to_string()))?;
        let denominator =
            u32::try_from(denominator).map_err(|_| FractionError::OutOfRange(text.to_string()))?;
        Fraction::new(numerator, denominator)
    }
}

impl Serialize for Fraction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_compares_exactly() {
        let two_thirds: Fraction = "2/3".parse().unwrap_or_else(|error| panic!("{error}"));
        assert!(two_thirds.is_reached_by(10, 15));
        assert!(!two_thirds.is_reached_by(9, 15));
        assert!(!two_thirds.is_exceeded_by(10, 15));
        assert_eq!(two_thirds.minimum_count_of(15), 10);
        assert_eq!(two_thirds.minimum_count_of(16), 11);
    }

    #[test]
    fn refuses_values_outside_zero_one() {
        for text in ["0/3", "4/3", "-1/2", "1/0", "abc", "2:3", ""] {
            assert!(
                text.parse::<Fraction>().is_err(),
                "{text} should be refused"
            );
        }
        assert!("1".parse::<Fraction>().is_ok());
    }
}
