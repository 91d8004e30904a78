//! Exact JSON numbers: [`Exact`], a [`Decimal`] written as a bare JSON number, and
//! [`to_raw`], which serializes a value to JSON text keeping those numbers exact. Below both
//! `money` and `error`, which use it.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A [`Decimal`] written as an exact JSON number (`500`, `0.1`, `-2.25`), never as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Exact(pub Decimal);

impl From<Decimal> for Exact {
    fn from(value: Decimal) -> Self {
        Exact(value)
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `Decimal`'s Display never uses an exponent; normalizing drops trailing zeros and
        // turns -0 into 0, so the text is a valid JSON number.
        let raw = RawValue::from_string(self.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Serializes `value` to JSON text, keeping [`Exact`] numbers exact.
pub fn to_raw<T: Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    // Only a map with non-string keys fails to serialize; the sandbox has none.
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}
