//! Credit amounts sent in requests.
//!
//! The API documents amounts as JSON numbers and every example is a whole number (`500`, not
//! `500.0`). [`Amount`] keeps that wire shape: it is an exact [`Credits`] value, written as an
//! integer when whole and as its exact decimal text otherwise, and only values the API can
//! take are built, so a zero, negative, NaN or over-precise amount is refused before any
//! request is sent.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::values::Credits;

/// The largest amount accepted, 2^53 − 1: the largest whole number every JSON reader,
/// including JavaScript's, keeps exactly.
pub const MAX_AMOUNT: u64 = 9_007_199_254_740_991;

/// The most significant digits of an amount with a fractional part: every decimal of 15
/// digits survives a JSON reader that reads numbers as 64-bit floats, as JavaScript does.
pub const MAX_SIGNIFICANT_DIGITS: u32 = 15;

/// The most digits after the decimal point (the sandbox's ledger precision; assumed for the
/// real API, which documents only whole amounts).
pub const MAX_DECIMAL_PLACES: u32 = 12;

/// A positive amount of credits the API can take exactly.
///
/// - greater than 0 and at most [`MAX_AMOUNT`] (2^53 − 1);
/// - a whole number, or a decimal of at most [`MAX_DECIMAL_PLACES`] digits after the point and
///   at most [`MAX_SIGNIFICANT_DIGITS`] significant digits (`0.1`, `2.5`, `123456.789`), so
///   that no server, even one reading JSON numbers as floats, rounds it. A more precise value
///   is refused with [`InvalidAmount`], never rounded.
///
/// ```
/// use credits_types::{Amount, Credits};
///
/// let amount = Amount::try_from(500).unwrap();
/// assert_eq!(serde_json::to_string(&amount).unwrap(), "500");
/// assert_eq!(serde_json::to_string(&Amount::try_from(2.5).unwrap()).unwrap(), "2.5");
/// assert_eq!(amount.get(), Credits::from(500));
/// assert!(Amount::try_from(0).is_err());
/// assert!(Amount::try_from(-3.0).is_err());
/// assert!("1234.123456789012".parse::<Amount>().is_err()); // 16 significant digits
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Credits);

/// Why a value is not a valid [`Amount`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a valid amount of credits: {reason}")]
pub struct InvalidAmount {
    value: String,
    reason: &'static str,
}

impl InvalidAmount {
    fn new(value: impl fmt::Display, reason: &'static str) -> Self {
        Self { value: value.to_string(), reason }
    }
}

impl Amount {
    /// Checks that `value` is greater than 0, at most [`MAX_AMOUNT`], and whole or of at most
    /// [`MAX_SIGNIFICANT_DIGITS`] significant digits.
    pub fn new(value: impl Into<Credits>) -> Result<Self, InvalidAmount> {
        let value = value.into();
        let decimal = value.to_decimal().normalize();
        if !value.is_positive() {
            return Err(InvalidAmount::new(value, "it must be greater than 0"));
        }
        if value > MAX_AMOUNT {
            return Err(InvalidAmount::new(value, "it must be at most 2^53 - 1"));
        }
        if decimal.scale() > MAX_DECIMAL_PLACES {
            return Err(InvalidAmount::new(value, "it has more than 12 digits after the decimal point"));
        }
        if decimal.scale() > 0 && significant_digits(decimal.mantissa()) > MAX_SIGNIFICANT_DIGITS {
            return Err(InvalidAmount::new(value, "a fractional amount has at most 15 significant digits"));
        }
        Ok(Self(value))
    }

    /// The amount as exact credits.
    pub fn get(self) -> Credits {
        self.0
    }
}

fn significant_digits(mantissa: i128) -> u32 {
    mantissa.unsigned_abs().checked_ilog10().map_or(1, |log| log + 1)
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<Amount> for Credits {
    fn from(amount: Amount) -> Credits {
        amount.0
    }
}

impl TryFrom<Credits> for Amount {
    type Error = InvalidAmount;
    fn try_from(value: Credits) -> Result<Self, InvalidAmount> {
        Self::new(value)
    }
}

impl TryFrom<f64> for Amount {
    type Error = InvalidAmount;
    /// The shortest decimal that reads back as `value` (`0.1_f64` is `0.1`), checked.
    fn try_from(value: f64) -> Result<Self, InvalidAmount> {
        let credits = Credits::try_from(value).map_err(|_| InvalidAmount::new(value, "it must be a finite number"))?;
        Self::new(credits)
    }
}

impl FromStr for Amount {
    type Err = InvalidAmount;
    fn from_str(text: &str) -> Result<Self, InvalidAmount> {
        let credits: Credits = text.parse().map_err(|_| InvalidAmount::new(text, "it is not a decimal number"))?;
        Self::new(credits)
    }
}

macro_rules! amount_from_integer {
    ($($int:ty),+) => {$(
        impl TryFrom<$int> for Amount {
            type Error = InvalidAmount;
            fn try_from(value: $int) -> Result<Self, InvalidAmount> {
                Self::new(Credits::from(value))
            }
        }
    )+};
}
amount_from_integer!(i32, i64, u32, u64, usize);

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::new(Credits::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Amount")
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number", "exclusiveMinimum": 0, "maximum": MAX_AMOUNT })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_precision() {
        assert!(Amount::try_from(MAX_AMOUNT).is_ok());
        assert!(Amount::try_from(MAX_AMOUNT + 1).is_err());
        assert!(Amount::try_from(f64::NAN).is_err());
        assert!("0.000000000001".parse::<Amount>().is_ok(), "12 places");
        assert!("0.0000000000001".parse::<Amount>().is_err(), "13 places");
        assert!("123456789.123456".parse::<Amount>().is_ok(), "15 digits");
        assert!("123456789.1234567".parse::<Amount>().is_err(), "16 digits");
        assert_eq!("2.50".parse::<Amount>().unwrap().to_string(), "2.5");
        let error = Amount::try_from(-1_i64).unwrap_err().to_string();
        assert_eq!(error, "-1 is not a valid amount of credits: it must be greater than 0");
    }

    #[test]
    fn every_documented_example_amount_is_exact() {
        for (text, wire) in [("500", "500"), ("100", "100"), ("1000", "1000"), ("50", "50"), ("0.5", "0.5")] {
            let amount: Amount = text.parse().unwrap();
            assert_eq!(serde_json::to_string(&amount).unwrap(), wire);
            assert_eq!(serde_json::from_str::<Amount>(wire).unwrap(), amount);
        }
    }
}
