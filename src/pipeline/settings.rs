//! The pipeline's per-client settings: the API key, user agent, timeouts, retry policy and
//! limits, held by the generated client as its inner value; and the HTTP client the SDK uses.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::retry::RetryPolicy;

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

/// Why an application name cannot go in the `User-Agent` header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("user agent {0:?} is not a valid header value")]
pub struct InvalidUserAgent(String);

/// Why a header cannot be added to every request with
/// [`Pipeline::with_default_header`] or `ClientBuilder::default_header`. The header's value
/// never appears in it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidHeader {
    /// The SDK or the HTTP client sets this header itself.
    #[error(
        "the header {0:?} is set by the SDK (x-api-key, user-agent) or the HTTP client (host, content-length) and cannot be a default header"
    )]
    Reserved(String),
    /// The name is not a valid HTTP header name.
    #[error("{0:?} is not a valid HTTP header name")]
    Name(String),
    /// The value cannot be sent in an HTTP header (a control character, say).
    #[error("the value of header {0:?} cannot be sent in an HTTP header")]
    Value(String),
}

/// Headers a default header may not replace: the SDK's own and the HTTP client's framing.
const RESERVED_HEADERS: &[&str] = &["x-api-key", "user-agent", "host", "content-length"];

/// Checks a default header and makes it ready to send, its value marked sensitive so that no
/// `Debug` output or log shows it.
pub(crate) fn default_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), InvalidHeader> {
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| InvalidHeader::Name(name.to_owned()))?;
    if RESERVED_HEADERS.contains(&name.as_str()) {
        return Err(InvalidHeader::Reserved(name.as_str().to_owned()));
    }
    let mut value = HeaderValue::from_str(value).map_err(|_| InvalidHeader::Value(name.as_str().to_owned()))?;
    value.set_sensitive(true);
    Ok((name, value))
}

/// The header that carries the API key.
pub(crate) const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// The `User-Agent` sent by the SDK: `credits-sdk-rust/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("credits-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// The per-attempt timeout when none is configured. The whole call, retries and waits
/// included, is bounded by [`RetryPolicy::max_elapsed`] (30 s by default).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The connect timeout of [`http_client_builder`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response body read when none is configured: 8 MiB, far above any Credits
/// response (lists hold at most 100 items).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// A `reqwest::ClientBuilder` with the settings the SDK's own HTTP client uses; start from it
/// when you bring your own client, to keep the protections:
///
/// - **no redirects**: a 3xx reaches the caller as an error carrying its `Location`, so the
///   `X-API-Key` header is never sent to another origin (reqwest's default policy would follow
///   up to 10 redirects and forward the key);
/// - **proxies only for `https://`**: `HTTPS_PROXY` / `ALL_PROXY` (and `NO_PROXY`) from the
///   environment apply to HTTPS requests, whose key stays inside the TLS tunnel; `http://`
///   requests (a loopback sandbox) always connect directly, so a proxy never sees the key in
///   clear text. `HTTP_PROXY` is ignored;
/// - a 10 s connect timeout and `TCP_NODELAY`.
///
/// With the `rustls-ring` feature (and not `rustls-aws-lc`), reqwest has no rustls crypto
/// provider of its own: this function installs `ring` as the process's default provider,
/// unless one is installed already. A `reqwest::Client` built another way needs a provider
/// installed first (`rustls::crypto::ring::default_provider().install_default()`).
///
/// A client that follows redirects anyway still cannot hand another origin's answer to your
/// code: the pipeline refuses it. But by then the key has been sent there, so don't.
///
/// ```
/// use credits_sdk::api::{http_client_builder, Client, Pipeline};
/// use credits_sdk::ApiKey;
///
/// let http = http_client_builder().pool_max_idle_per_host(4).build()?;
/// let client = Client::new_with_client("https://api.credits.dev", http, Pipeline::new(ApiKey::new("sk_test_1")?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .tcp_nodelay(true);
    if let Some(proxy) = https_proxy_from_env(|name| std::env::var(name).ok()) {
        builder = builder.proxy(proxy);
    }
    builder
}

/// Installs `ring` as rustls's process-wide provider when it is the only one compiled in and
/// the application has not chosen one.
#[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc")))]
fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed a provider first; that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Nothing to install: reqwest brings its provider (aws-lc-rs) or uses native TLS.
#[cfg(not(all(feature = "rustls-ring", not(feature = "rustls-aws-lc"))))]
fn install_tls_provider() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_headers_refuse_what_the_sdk_and_http_client_set() {
        for name in ["x-api-key", "X-API-Key", "User-Agent", "host", "Content-Length", " user-agent "] {
            assert!(matches!(default_header(name, "v"), Err(InvalidHeader::Reserved(_))), "{name}");
        }
        assert!(matches!(default_header("bad name", "v"), Err(InvalidHeader::Name(_))));
        assert!(matches!(default_header("", "v"), Err(InvalidHeader::Name(_))));
        let refused = default_header("x-trace", "secret\nvalue").unwrap_err();
        assert_eq!(refused, InvalidHeader::Value("x-trace".into()));
        assert!(!refused.to_string().contains("secret"), "{refused}");
    }

    /// With ring as the only rustls provider compiled in, reqwest has none of its own: the
    /// SDK's HTTP client must install it, or building a client fails (CI runs this test with
    /// `--no-default-features --features rustls-ring`).
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc")))]
    #[test]
    fn with_ring_alone_the_http_client_installs_ring_as_the_provider() {
        let client = http_client_builder().build();
        assert!(client.is_ok(), "{client:?}");
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    #[test]
    fn default_header_values_are_sensitive() {
        let (name, value) = default_header("Traceparent", "00-abc-def-01").unwrap();
        assert_eq!(name.as_str(), "traceparent");
        assert!(value.is_sensitive());
        let pipeline =
            Pipeline::new(ApiKey::new("sk_1").unwrap()).with_default_header("x-tenant", "acme-secret").unwrap();
        assert!(!format!("{pipeline:?}").contains("acme-secret"));
    }
}

/// The proxy for HTTPS requests named by the environment, if any.
fn https_proxy_from_env(var: impl Fn(&str) -> Option<String>) -> Option<reqwest::Proxy> {
    let url = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .into_iter()
        .find_map(|name| var(name).filter(|value| !value.trim().is_empty()))?;
    match reqwest::Proxy::https(url.as_str()) {
        Ok(proxy) => Some(proxy.no_proxy(reqwest::NoProxy::from_env())),
        Err(error) => {
            tracing::warn!(%error, "ignoring the HTTPS proxy named by the environment");
            None
        }
    }
}

/// Per-client state of the pipeline: the generated [`Client`](crate::api::Client)'s inner value.
///
/// Build one to use the generated client directly; the facade builds its own.
///
/// ```
/// use credits_sdk::api::Pipeline;
/// use credits_sdk::{ApiKey, RetryPolicy};
///
/// let pipeline = Pipeline::new(ApiKey::new("sk_test_123").unwrap())
///     .with_retry(RetryPolicy::default().max_attempts(5))
///     .with_attempt_timeout(std::time::Duration::from_secs(10));
/// assert!(!format!("{pipeline:?}").contains("sk_test_123"));
/// ```
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// The key as a header value, built once and marked sensitive (its `Debug` says
    /// `Sensitive`).
    pub(super) api_key_header: HeaderValue,
    pub(super) user_agent: HeaderValue,
    pub(super) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(super) allow_insecure_http: bool,
    pub(super) max_response_bytes: usize,
    /// Added to every request that does not set them itself; values marked sensitive.
    pub(super) default_headers: HeaderMap,
    /// The base URL of the client holding this pipeline, parsed once.
    pub(crate) base_url: super::BaseUrl,
}

impl Pipeline {
    /// A pipeline that authenticates with `api_key`, with the default timeout and retries.
    pub fn new(api_key: ApiKey) -> Self {
        // ApiKey::new already checked that the key is a valid header value.
        let mut api_key_header =
            HeaderValue::from_str(api_key.expose()).unwrap_or_else(|_| HeaderValue::from_static(""));
        api_key_header.set_sensitive(true);
        Self {
            api_key_header,
            user_agent: HeaderValue::from_static(DEFAULT_USER_AGENT),
            timeout: DEFAULT_ATTEMPT_TIMEOUT,
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            default_headers: HeaderMap::new(),
            base_url: super::BaseUrl::default(),
        }
    }

    /// Sets how failed requests are retried.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the largest response body read; a longer success body ends the call with an error
    /// (`Error::ResponseTooLarge` in the facade), a longer error body is cut.
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sets the time one attempt may take, from sending to the end of the body. The whole call
    /// stays within the retry policy's [`max_elapsed`](RetryPolicy::max_elapsed).
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Prefixes the SDK's `User-Agent` with your application's, e.g. `myapp/1.2`.
    pub fn with_user_agent(mut self, application: &str) -> Result<Self, InvalidUserAgent> {
        let value = format!("{application} {DEFAULT_USER_AGENT}");
        self.user_agent = HeaderValue::from_str(&value).map_err(|_| InvalidUserAgent(application.to_owned()))?;
        Ok(self)
    }

    /// Adds a header to every request, e.g. a tracing or tenant header your infrastructure
    /// expects; a second call with the same name replaces the value. A header the generated
    /// request sets itself (`content-type`, `accept`) keeps the request's value.
    ///
    /// Refused: `x-api-key` and `user-agent` (the SDK's; use [`ApiKey`] and
    /// [`with_user_agent`](Self::with_user_agent)), `host` and `content-length` (the HTTP
    /// client's), and names or values that are not valid in HTTP. The value is marked
    /// sensitive: it never appears in `Debug` output, errors or logs.
    ///
    /// ```
    /// use credits_sdk::api::Pipeline;
    /// use credits_sdk::ApiKey;
    ///
    /// let pipeline = Pipeline::new(ApiKey::new("sk_test_123")?).with_default_header("x-tenant", "acme")?;
    /// assert!(!format!("{pipeline:?}").contains("acme"));
    /// assert!(Pipeline::new(ApiKey::new("sk_test_123")?).with_default_header("X-Api-Key", "other").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_default_header(mut self, name: &str, value: &str) -> Result<Self, InvalidHeader> {
        let (name, value) = default_header(name, value)?;
        self.default_headers.insert(name, value);
        Ok(self)
    }

    /// Allows `http://` base URLs on hosts other than loopback, sending the key in clear text.
    /// Off by default.
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
}
