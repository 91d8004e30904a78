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

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.credits.dev";

/// The environment variable [`CreditsClient::from_env`](crate::CreditsClient::from_env) reads
/// the key from.
pub const API_KEY_ENV: &str = "CREDITS_API_KEY";

/// The environment variable that overrides the base URL in
/// [`CreditsClient::from_env`](crate::CreditsClient::from_env).
pub const BASE_URL_ENV: &str = "CREDITS_BASE_URL";

/// Builds a [`CreditsClient`](crate::CreditsClient).
///
/// ```
/// use std::time::Duration;
/// use credits_sdk::{CreditsClient, RetryPolicy};
///
/// let client = CreditsClient::builder()
///     .api_key("sk_test_123")
///     .base_url("http://127.0.0.1:8787")
///     .timeout(Duration::from_secs(5))
///     .connect_timeout(Duration::from_secs(2))
///     .retry(RetryPolicy::default().max_attempts(4))
///     .user_agent("billing-service/2.1")
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8787");
/// # Ok::<(), credits_sdk::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: String,
    timeout: std::time::Duration,
    connect_timeout: std::time::Duration,
    retry: crate::RetryPolicy,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    allow_insecure_http: bool,
    max_response_bytes: usize,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: crate::transport::DEFAULT_TIMEOUT,
            connect_timeout: crate::transport::DEFAULT_CONNECT_TIMEOUT,
            retry: crate::RetryPolicy::default(),
            user_agent: None,
            http_client: None,
            allow_insecure_http: false,
            max_response_bytes: crate::transport::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl ClientBuilder {
    /// The API key (required).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API's base URL; default `https://api.credits.dev`. `http://` is accepted for
    /// loopback hosts only, unless [`allow_insecure_http`](Self::allow_insecure_http).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The time one attempt may take, from connecting to the end of the body; default 10 s.
    /// The whole call, retries and waits included, stays within the retry policy's
    /// [`max_elapsed`](crate::RetryPolicy::max_elapsed) (default 30 s), which also cuts an
    /// attempt short: raise both for slow networks.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time a connection may take to open; default 10 s. Ignored with
    /// [`http_client`](Self::http_client), whose own settings apply.
    pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failed requests are retried; see [`RetryPolicy`](crate::RetryPolicy).
    pub fn retry(mut self, retry: crate::RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Your application's name and version, sent before the SDK's in `User-Agent`.
    pub fn user_agent(mut self, application: impl Into<String>) -> Self {
        self.user_agent = Some(application.into());
        self
    }

    /// A `reqwest::Client` of your own (proxy, pool or TLS settings). The SDK still adds the
    /// key, user agent, timeouts, retries and the size limit. Build it from
    /// [`transport::http_client_builder`](crate::transport::http_client_builder) to keep the
    /// SDK's protections: a client that follows redirects sends the key to wherever they point
    /// (the pipeline then refuses the answer, but too late for the key), and one that sends
    /// `http://` requests through a proxy shows the key to it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The largest response body read; default 8 MiB. A longer success body ends the call with
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge) (memory stays within about
    /// twice the limit); a longer error body is cut to its first 64 KiB.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Allows an `http://` base URL on a host other than loopback, which sends the API key in
    /// clear text. Off by default.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<crate::CreditsClient, crate::Error> {
        use crate::Error;
        let api_key = ApiKey::new(self.api_key.ok_or_else(|| Error::Config("no API key was given".into()))?)?;
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base_url).map_err(|e| Error::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!("base URL {base_url:?} must be http or https")));
        }
        if !self.allow_insecure_http && !crate::transport::is_secure_target(&parsed) {
            return Err(Error::Config(format!(
                "base URL {base_url:?} would send the API key in clear text; use https, a loopback host, \
                 or allow_insecure_http(true)"
            )));
        }
        let http = match self.http_client {
            Some(client) => client,
            None => crate::transport::http_client_builder()
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?,
        };
        let mut transport = crate::transport::Transport::new(api_key)
            .with_timeout(self.timeout)
            .with_retry(self.retry)
            .with_insecure_http(self.allow_insecure_http)
            .with_max_response_bytes(self.max_response_bytes);
        if let Some(application) = &self.user_agent {
            transport = transport.with_user_agent(application)?;
        }
        Ok(crate::CreditsClient::from_api(crate::api::Client::new_with_client(&base_url, http, transport)))
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}
