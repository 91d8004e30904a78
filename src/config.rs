//! Configuration values shared by the generated client and the facade.

use std::fmt;

/// A Credits API key. Its value never appears in `Debug` or `Display` output.
///
/// ```
/// let key = credits_sdk::ApiKey::new("sk_test_123").unwrap();
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Why a string cannot be an API key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// The key is empty or only whitespace.
    #[error("the API key is empty")]
    Empty,
    /// The key has characters that cannot be sent in an HTTP header.
    #[error("the API key has characters that cannot be sent in an HTTP header")]
    NotAHeaderValue,
}

impl ApiKey {
    /// Wraps a key, refusing values that could not be sent as the `X-API-Key` header.
    pub fn new(key: impl Into<String>) -> Result<Self, ApiKeyError> {
        let key = key.into();
        if key.trim().is_empty() {
            return Err(ApiKeyError::Empty);
        }
        if reqwest::header::HeaderValue::from_str(&key).is_err() {
            return Err(ApiKeyError::NotAHeaderValue);
        }
        Ok(Self(key))
    }

    /// The key itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
