//! Credit amounts sent in requests.
//!
//! The API documents amounts as JSON numbers and every example is a whole number (`500`, not
//! `500.0`). [`Amount`] keeps that wire shape: whole amounts are written as integers, fractional
//! ones as decimals, and only finite positive values can be built, so a zero, negative or NaN
//! amount is refused before any request is sent.

use std::borrow::Cow;
use std::fmt;

/// The largest amount accepted: beyond 2^53 a credit count is no longer exact in JSON numbers.
pub const MAX_AMOUNT: f64 = 9_007_199_254_740_991.0;

/// A positive, finite amount of credits.
///
/// ```
/// use credits_sdk::Amount;
///
/// let amount = Amount::try_from(500).unwrap();
/// assert_eq!(serde_json::to_string(&amount).unwrap(), "500");
/// assert_eq!(serde_json::to_string(&Amount::try_from(2.5).unwrap()).unwrap(), "2.5");
/// assert!(Amount::try_from(0).is_err());
/// assert!(Amount::try_from(-3.0).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Amount(f64);

/// Why a value is not a valid [`Amount`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("an amount of credits must be a finite number greater than 0 and at most 2^53 - 1, got {0}")]
pub struct InvalidAmount(pub f64);

impl Amount {
    /// Checks that `value` is finite, greater than 0 and at most [`MAX_AMOUNT`].
    pub fn new(value: f64) -> Result<Self, InvalidAmount> {
        if value.is_finite() && value > 0.0 && value <= MAX_AMOUNT {
            Ok(Self(value))
        } else {
            Err(InvalidAmount(value))
        }
    }

    /// The amount as a number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<f64> for Amount {
    type Error = InvalidAmount;
    fn try_from(value: f64) -> Result<Self, InvalidAmount> {
        Self::new(value)
    }
}

macro_rules! amount_from_integer {
    ($($int:ty),+) => {$(
        impl TryFrom<$int> for Amount {
            type Error = InvalidAmount;
            // Amounts are far below 2^53, where integer to f64 conversion is exact.
            #[allow(clippy::cast_precision_loss)]
            fn try_from(value: $int) -> Result<Self, InvalidAmount> {
                Self::new(value as f64)
            }
        }
    )+};
}
amount_from_integer!(i32, i64, u32, u64);

impl From<Amount> for f64 {
    fn from(amount: Amount) -> f64 {
        amount.0
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Whole amounts go on the wire as integers, exactly like the documented examples.
        #[allow(clippy::cast_possible_truncation)]
        if self.0.fract() == 0.0 { serializer.serialize_i64(self.0 as i64) } else { serializer.serialize_f64(self.0) }
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
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
