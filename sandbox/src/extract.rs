//! Request extractors that turn every malformed body or query into a 4xx JSON error.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::ApiError;
use crate::money;

/// How long a handler waits for a request body once it starts reading it; put in the request
/// extensions by the server (the header-read timeout). Without it, bodies are read unbounded.
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub Duration);

/// A request body type and the rules of its fields that its Rust type cannot carry. The
/// request types are generated from `openapi.yaml` (`credits_types::types`); the rules are
/// listed next to them in `crate::spec`. Every list defaults to empty.
pub trait Body: DeserializeOwned {
    /// Fields holding an amount of credits: each must be a JSON number accepted by
    /// [`money::credits`] (checked on its text, with the limits in the error's `details`).
    const CREDITS: &'static [&'static str] = &[];
    /// Fields holding an exact quantity of seconds, checked by [`money::quantity`]; their
    /// exact values are handed to the handler in [`Numbers`].
    const SECONDS: &'static [&'static str] = &[];
    /// Fields the spec marks `nullable`. Any other field sent as `null` is refused (400):
    /// the generated types would read it as absent.
    const NULLABLE: &'static [&'static str] = &[];
}

/// The exact values of a body's number fields, read from their JSON text.
#[derive(Debug, Default)]
pub struct Numbers(Vec<(&'static str, Decimal)>);

impl Numbers {
    /// The exact value of field `name`, if it was sent.
    pub fn get(&self, name: &str) -> Option<Decimal> {
        self.0.iter().find(|(field, _)| *field == name).map(|(_, value)| *value)
    }
}

/// A JSON object body decoded into `T`. Rejects other content types (415), bodies that are
/// not a single well-formed JSON object or repeat a key in any object at any depth (400),
/// bodies that do not arrive within the read timeout (408), a `null` where `T` allows none,
/// money fields out of range (400, with the limits), and anything `T` refuses (400). Money is
/// checked on the number's text before `T` decodes it, so nothing is ever rounded.
pub struct ApiJson<T>(pub T, pub Numbers);

impl<S: Send + Sync, T: Body> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" && !mime.ends_with("+json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON with Content-Type: application/json",
            ));
        }
        let timeout = request.extensions().get::<BodyReadTimeout>().copied();
        let read = Bytes::from_request(request, state);
        let read = match timeout {
            Some(BodyReadTimeout(limit)) => tokio::time::timeout(limit, read).await.map_err(|_| {
                ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", "the request body did not arrive in time")
            })?,
            None => read.await,
        };
        let bytes = read.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", rejection.body_text())
            } else {
                ApiError::invalid(format!("the body could not be read: {}", rejection.body_text()))
            }
        })?;
        let is_object = strict_json(&bytes).map_err(|e| {
            if e.is_data() {
                ApiError::invalid(format!("invalid body: {e}"))
            } else {
                ApiError::invalid(format!("malformed JSON body: {e}"))
            }
        })?;
        if !is_object {
            return Err(ApiError::invalid("the body must be a JSON object"));
        }
        let numbers = check_fields::<T>(&bytes)?;
        serde_json::from_slice(&bytes)
            .map(|body| ApiJson(body, numbers))
            .map_err(|e| ApiError::invalid(format!("invalid body: {e}")))
    }
}

/// Applies `T`'s field rules to the top level of a body already known to be an object.
fn check_fields<T: Body>(bytes: &[u8]) -> Result<Numbers, ApiError> {
    let fields: HashMap<String, &RawValue> =
        serde_json::from_slice(bytes).map_err(|e| ApiError::invalid(format!("invalid body: {e}")))?;
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    for name in names {
        if fields[name].get() == "null" && !T::NULLABLE.contains(&name.as_str()) {
            return Err(ApiError::invalid(format!("`{name}` must not be null")));
        }
    }
    let mut numbers = Vec::new();
    for &name in T::CREDITS {
        if let Some(raw) = fields.get(name) {
            numbers.push((name, money::credits(name, raw.get())?));
        }
    }
    for &name in T::SECONDS {
        if let Some(raw) = fields.get(name) {
            numbers.push((name, money::quantity(name, raw.get(), money::MAX_SECONDS_PLACES)?));
        }
    }
    Ok(Numbers(numbers))
}

/// Checks that `bytes` is one well-formed JSON document in which no object repeats a key, at
/// any depth (`{"amount": 1, "amount": 500}` must not grant 500). Returns whether the document
/// is an object. serde_json's nesting limit (128) bounds the recursion.
pub fn strict_json(bytes: &[u8]) -> Result<bool, serde_json::Error> {
    strict_document(&mut serde_json::Deserializer::from_slice(bytes))
}

/// [`strict_json`] on a deserializer set up by the caller (a saved state's lifts the nesting
/// limit, having bounded the depth itself).
pub(crate) fn strict_document<'de, R: serde_json::de::Read<'de>>(
    deserializer: &mut serde_json::Deserializer<R>,
) -> Result<bool, serde_json::Error> {
    let is_object = Strict.deserialize(&mut *deserializer)?;
    deserializer.end()?;
    Ok(is_object)
}

/// Walks one JSON value, refusing duplicate keys; yields whether it was an object.
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element_seed(Strict)?.is_some() {}
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value_seed(Strict)?;
            if let Some(key) = seen.replace(key) {
                return Err(A::Error::custom(format_args!("duplicate key `{key}`")));
            }
        }
        Ok(true)
    }
}

/// The query string as name → value (the last value wins on repeats), with typed getters
/// that reject bad values with 400 `invalid_request`.
pub struct ApiQuery(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|e| ApiError::invalid(format!("malformed query string: {e}")))?;
        Ok(ApiQuery(pairs.into_iter().collect()))
    }
}

impl ApiQuery {
    /// A string parameter, as given.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A string parameter that, when present, must not be empty.
    pub fn non_empty(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.string(name) {
            Some("") => Err(ApiError::invalid(format!("`{name}` must not be empty"))),
            other => Ok(other),
        }
    }

    /// A `true`/`false` parameter.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.string(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid(format!("`{name}` must be true or false, not `{other}`"))),
        }
    }

    /// An integer parameter within `min..=max`.
    pub fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.string(name) else { return Ok(None) };
        match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(format!("`{name}` must be an integer from {min} to {max}"))),
        }
    }

    /// An RFC 3339 date-time parameter.
    pub fn date_time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(raw) = self.string(name) else { return Ok(None) };
        DateTime::parse_from_rfc3339(raw)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| ApiError::invalid(format!("`{name}` must be an RFC 3339 date-time")))
    }

    /// An enum parameter decoded through serde, e.g. `context=customer`.
    pub fn enumeration<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ApiError> {
        let Some(raw) = self.string(name) else { return Ok(None) };
        serde_json::from_value(serde_json::Value::String(raw.to_owned()))
            .map(Some)
            .map_err(|_| ApiError::invalid(format!("`{name}` has an unknown value `{raw}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::strict_json;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(strict_json(br#"{"amount": 1, "amount": 500}"#).unwrap_err().is_data());
        assert!(strict_json(br#"{"metadata": {"a": {"b": 1, "b": 2}}}"#).is_err());
        assert!(strict_json(br#"{"list": [{"x": 1}, {"x": 2, "y": 3, "x": 4}]}"#).is_err());
        assert!(strict_json(br#"{"a\u0062": 1, "ab": 2}"#).is_err(), "escapes are compared decoded");
        assert!(strict_json(br#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#).unwrap());
        assert!(!strict_json(b"[1, 2]").unwrap(), "an array is not an object");
        assert!(strict_json(b"{} {}").is_err());
        assert!(strict_json(&[b'['; 200]).is_err(), "nesting is bounded");
    }
}
