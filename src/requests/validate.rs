//! Argument checks run before any request is built, so bad input never reaches the server.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::values::{Amount, InvalidAmount};

/// A JSON object built from any `Serialize` value.
pub(crate) type Metadata = Map<String, Value>;

/// Refuses an empty or blank `value`.
pub(crate) fn require_non_empty(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() { Err(Error::invalid(format!("{what} must not be empty"))) } else { Ok(()) }
}

/// A copy of `value`, if it is not empty or blank.
pub(crate) fn non_empty(what: &str, value: &str) -> Result<String> {
    require_non_empty(what, value).map(|()| value.to_owned())
}

/// The amount, or an invalid-input error naming the field.
pub(crate) fn amount(what: &str, amount: &std::result::Result<Amount, InvalidAmount>) -> Result<Amount> {
    amount.clone().map_err(|e| Error::invalid(format!("{what}: {e}")))
}

/// Seconds of audio, if finite and not negative.
pub(crate) fn audio_seconds(seconds: f64) -> Result<f64> {
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(seconds)
    } else {
        Err(Error::invalid(format!("audio seconds must be a finite number ≥ 0, got {seconds}")))
    }
}

/// Turns user metadata into the JSON object the API takes.
pub(crate) fn metadata(value: impl Serialize) -> Result<Metadata> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::invalid(format!("metadata must serialize to a JSON object, not {other}"))),
        Err(e) => Err(Error::invalid(format!("metadata cannot be serialized: {e}"))),
    }
}
