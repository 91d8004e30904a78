//! Request extractors that turn every malformed body or query into a 4xx JSON error.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON object body decoded into `T`. Rejects other content types (415), bodies that are
/// not a JSON object, and anything `T` refuses (400).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
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
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", rejection.body_text())
        })?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::invalid("the body must be a JSON object"));
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| ApiError::invalid(format!("invalid body: {e}")))
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
