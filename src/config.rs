//! How a [`CreditsClient`](crate::CreditsClient) is configured: [`ClientBuilder`] and the
//! defaults it starts from. Building happens in `client.rs`, the layer above.

use std::fmt;

use crate::pipeline::RetryPolicy;

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
///     .attempt_timeout(Duration::from_secs(5))
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
    pub(crate) api_key: Option<String>,
    pub(crate) base_url: String,
    pub(crate) timeout: std::time::Duration,
    pub(crate) connect_timeout: std::time::Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: Option<String>,
    pub(crate) http_client: Option<reqwest::Client>,
    pub(crate) allow_insecure_http: bool,
    pub(crate) max_response_bytes: usize,
    /// `(name, value)`, checked by `build`; values never shown in `Debug`.
    pub(crate) default_headers: Vec<(String, String)>,
    /// The holder name guarded reservations are tagged with.
    pub(crate) holder: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: crate::pipeline::DEFAULT_ATTEMPT_TIMEOUT,
            connect_timeout: crate::pipeline::DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: None,
            http_client: None,
            allow_insecure_http: false,
            max_response_bytes: crate::pipeline::DEFAULT_MAX_RESPONSE_BYTES,
            default_headers: Vec::new(),
            holder: crate::resources::stale_holds::DEFAULT_HOLDER.to_owned(),
        }
    }
}

impl ClientBuilder {
    /// The name this service's guarded reservations are tagged with (`creditsSdkHolder` in
    /// their metadata; default `credits-sdk`), so that
    /// [`release_stale_holds`](crate::CreditsClient::release_stale_holds) finds the holds a
    /// crashed run of the same service left, and only those. Give each service that shares a
    /// project its own name.
    pub fn holder(mut self, name: impl Into<String>) -> Self {
        self.holder = name.into();
        self
    }

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
    pub fn attempt_timeout(mut self, timeout: std::time::Duration) -> Self {
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
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
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
    /// [`api::http_client_builder`](crate::api::http_client_builder) to keep the
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

    /// Adds a header to every request, e.g. a tracing or tenant header your infrastructure
    /// expects; a second call with the same name replaces the value. Refused by
    /// [`build`](Self::build) with [`Error::Config`](crate::Error::Config): `x-api-key`,
    /// `user-agent` (use [`api_key`](Self::api_key) and [`user_agent`](Self::user_agent)),
    /// `host`, `content-length`, and names or values not valid in HTTP. Values are treated as
    /// secrets: they never appear in `Debug` output, errors or logs.
    ///
    /// ```
    /// let client = credits_sdk::CreditsClient::builder()
    ///     .api_key("sk_test_123")
    ///     .default_header("x-tenant", "acme")
    ///     .build()?;
    /// assert!(credits_sdk::CreditsClient::builder().api_key("sk_1").default_header("Host", "x").build().is_err());
    /// # Ok::<(), credits_sdk::Error>(())
    /// ```
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// Allows an `http://` base URL on a host other than loopback, which sends the API key in
    /// clear text. Off by default.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
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
            .field("holder", &self.holder)
            .field("default_headers", &self.default_headers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
