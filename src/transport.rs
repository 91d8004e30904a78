//! The request pipeline every call goes through, whether it comes from a generated builder or
//! from the facade. It lives in progenitor's [`ClientHooks`] so that both paths behave the
//! same: it adds the API key and user agent, refuses to send the key in clear text, applies
//! the per-request timeout, retries what is safe to retry (see [`crate::retry`]), keeps
//! non-JSON error bodies readable, and traces every attempt.

use std::cell::Cell;
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Request, Response, StatusCode};
use tracing::Instrument;

use crate::api::{Client, Error};
use crate::config::ApiKey;
use crate::retry::{self, RetryPolicy};

/// The header that carries the API key.
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// The `User-Agent` sent by the SDK: `credits-sdk-rust/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("credits-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// The per-attempt timeout when none is configured. The whole call, retries and waits
/// included, is bounded by [`RetryPolicy::max_elapsed`] (30 s by default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

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
/// A client that follows redirects anyway still cannot hand another origin's answer to your
/// code: the pipeline refuses it. But by then the key has been sent there, so don't.
///
/// ```
/// use credits_sdk::transport::{http_client_builder, Transport};
/// use credits_sdk::{api::Client, ApiKey};
///
/// let http = http_client_builder().pool_max_idle_per_host(4).build()?;
/// let client = Client::new_with_client("https://api.credits.dev", http, Transport::new(ApiKey::new("sk_test_1")?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
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

/// Per-client state of the pipeline: the generated [`Client`]'s inner value.
///
/// Build one to use the generated client directly; the facade builds its own.
///
/// ```
/// use credits_sdk::transport::Transport;
/// use credits_sdk::{ApiKey, RetryPolicy};
///
/// let transport = Transport::new(ApiKey::new("sk_test_123").unwrap())
///     .with_retry(RetryPolicy::default().max_attempts(5))
///     .with_timeout(std::time::Duration::from_secs(10));
/// assert!(!format!("{transport:?}").contains("sk_test_123"));
/// ```
#[derive(Clone, Debug)]
pub struct Transport {
    /// The key as a header value, built once and marked sensitive (its `Debug` says
    /// `Sensitive`).
    api_key_header: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
    allow_insecure_http: bool,
    max_response_bytes: usize,
}

impl Transport {
    /// A pipeline that authenticates with `api_key`, with the default timeout and retries.
    pub fn new(api_key: ApiKey) -> Self {
        // ApiKey::new already checked that the key is a valid header value.
        let mut api_key_header =
            HeaderValue::from_str(api_key.expose()).unwrap_or_else(|_| HeaderValue::from_static(""));
        api_key_header.set_sensitive(true);
        Self {
            api_key_header,
            user_agent: HeaderValue::from_static(DEFAULT_USER_AGENT),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
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
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Prefixes the SDK's `User-Agent` with your application's, e.g. `myapp/1.2`.
    pub fn with_user_agent(mut self, application: &str) -> Result<Self, crate::Error> {
        let value = format!("{application} {DEFAULT_USER_AGENT}");
        self.user_agent = HeaderValue::from_str(&value)
            .map_err(|_| crate::Error::Config(format!("user agent {application:?} is not a valid header value")))?;
        Ok(self)
    }

    /// Allows `http://` base URLs on hosts other than loopback, sending the key in clear text.
    /// Off by default.
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
}

/// Whether a URL may carry the API key: HTTPS always, HTTP only to a loopback host.
pub(crate) fn is_secure_target(url: &reqwest::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

tokio::task_local! {
    /// What one facade call tells the pipeline, and what the pipeline tells it back.
    static CALL: CallContext;
}

/// Per-call settings and observations, scoped to one facade call.
#[derive(Debug)]
pub(crate) struct CallContext {
    /// A timeout for this call's attempts that overrides the client's.
    timeout: Option<Duration>,
    /// What the pipeline saw, left for the caller to read when the call ends.
    observed: Cell<Observed>,
}

/// What the pipeline saw of one call.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Observed {
    /// The status of the last response, if one arrived.
    pub status: Option<StatusCode>,
    /// The number of attempts sent (more than 1 means the call was retried).
    pub attempts: u32,
    /// Why the pipeline refused the last response, if it did.
    pub refused: Option<Refused>,
}

/// Runs one generated request with its own per-attempt timeout, overriding the client's.
///
/// ```no_run
/// # async fn run(client: credits_sdk::api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use credits_sdk::transport::with_timeout;
/// let balance = with_timeout(Duration::from_secs(2), client.get_balance().external_id("user_456").send()).await?;
/// # Ok(()) }
/// ```
pub fn with_timeout<F: Future>(timeout: Duration, call: F) -> impl Future<Output = F::Output> {
    CALL.scope(CallContext { timeout: Some(timeout), observed: Cell::new(Observed::default()) }, call)
}

/// `call` with per-call settings in scope, returning its output and what the pipeline saw. A
/// combinator rather than an `async fn`, so the (large) generated future is held once instead
/// of once per layer of async state.
pub(crate) fn scoped<F: Future>(timeout: Option<Duration>, call: F) -> impl Future<Output = (F::Output, Observed)> {
    use futures::FutureExt;
    // The closure runs inside the scope, when the call has finished.
    let observed = call.map(|output| (output, CALL.with(|c| c.observed.get())));
    CALL.scope(CallContext { timeout, observed: Cell::new(Observed::default()) }, observed)
}

impl ClientHooks<Transport> for Client {
    async fn pre<E>(&self, request: &mut Request, _info: &OperationInfo) -> Result<(), Error<E>> {
        let transport = self.inner();
        if !transport.allow_insecure_http && !is_secure_target(request.url()) {
            return Err(Error::Custom(format!(
                "refusing to send the API key in clear text to {}://{}; use https, a loopback host, \
                 or allow insecure http explicitly",
                request.url().scheme(),
                request.url().host_str().unwrap_or("")
            )));
        }
        let headers = request.headers_mut();
        // progenitor adds `api-version: <info.version>`; the Credits API has no such header.
        headers.remove("api-version");
        headers.insert(API_KEY_HEADER, transport.api_key_header.clone());
        headers.insert(USER_AGENT, transport.user_agent.clone());
        let per_call = CALL.try_with(|c| c.timeout).ok().flatten();
        *request.timeout_mut() = Some(per_call.unwrap_or(transport.timeout));
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let span = tracing::info_span!(
            "credits.request",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let retry_safe = crate::operations::find(info.operation_id).is_some_and(|op| op.retry_safe);
        let (result, observed) =
            send_with_retries(self.client(), self.inner(), request, retry_safe).instrument(span).await;
        let _ = CALL.try_with(|c| c.observed.set(observed));
        result
    }

    async fn post<E>(&self, result: &reqwest::Result<Response>, _info: &OperationInfo) -> Result<(), Error<E>> {
        match result.as_ref().ok().and_then(|response| response.extensions().get::<Refused>()) {
            Some(refused) => Err(Error::Custom(refused.to_string())),
            None => Ok(()),
        }
    }
}

/// A response the pipeline refused to hand to the generated code, and why. It travels in the
/// extensions of a body-less stand-in response (which a server cannot forge) from `exec` to
/// `post`, which turns it into an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The body was longer than the configured limit.
    TooLarge {
        /// The response's status.
        status: StatusCode,
        /// The limit in bytes.
        limit: usize,
    },
    /// The response came from another origin than the request's: a `reqwest::Client` supplied
    /// by the user followed a redirect.
    OtherOrigin {
        /// The response's status.
        status: StatusCode,
    },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::TooLarge { status, limit } => {
                write!(f, "the {status} response body is larger than the limit of {limit} bytes")
            }
            Refused::OtherOrigin { status } => write!(
                f,
                "the {status} response came from another origin than the request's (the HTTP client followed a \
                 redirect); build it with credits_sdk::transport::http_client_builder(), which follows none"
            ),
        }
    }
}

/// Sends `request`, retrying as the transport's policy and the operation's safety allow, within
/// the policy's total time budget. Each response's body is read here, within the attempt's
/// timeout and the size limit, so that a body that fails to arrive is retried like any other
/// failed attempt of a safe operation. Returns the last outcome and what was observed.
async fn send_with_retries(
    client: &reqwest::Client,
    transport: &Transport,
    mut request: Request,
    retry_safe: bool,
) -> (reqwest::Result<Response>, Observed) {
    let policy = &transport.retry;
    let started = Instant::now();
    let deadline = started + policy.max_elapsed_time();
    let attempt_timeout = request.timeout().copied().unwrap_or(transport.timeout);
    let origin = request.url().origin();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        // The last attempt gets only what is left of the budget.
        *request.timeout_mut() = Some(attempt_timeout.min(deadline.saturating_duration_since(Instant::now())));
        // Keep a copy for the next attempt while one may follow (bodies here are in memory).
        let spare = if attempt < policy.attempts() { request.try_clone() } else { None };
        let sent_at = Instant::now();
        let outcome = match client.execute(request).await {
            Ok(response) => receive(response, &origin, transport.max_response_bytes).await,
            Err(error) => Err(error),
        };
        let latency_ms = u64::try_from(sent_at.elapsed().as_millis()).unwrap_or(u64::MAX);

        let wait = match &outcome {
            Ok(response) => {
                let status = response.status();
                tracing::debug!(attempt, status = status.as_u16(), latency_ms, "response");
                if response.extensions().get::<Refused>().is_some() || !retry::should_retry_status(status, retry_safe) {
                    None
                } else {
                    match policy.retry_after(response.headers()) {
                        Ok(asked) => Some(asked.unwrap_or_else(|| policy.backoff(attempt))),
                        Err(()) => None,
                    }
                }
            }
            Err(error) => {
                tracing::debug!(attempt, error = %error, latency_ms, "transport error");
                retry::should_retry_error(error, retry_safe).then(|| policy.backoff(attempt))
            }
        };

        match (wait, spare) {
            (Some(wait), Some(spare)) if Instant::now() + wait < deadline => {
                tracing::info!(attempt, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "retrying");
                tokio::time::sleep(wait).await;
                request = spare;
            }
            _ => {
                let span = tracing::Span::current();
                span.record("attempts", attempt);
                let status = outcome.as_ref().ok().map(Response::status);
                if let Some(status) = status {
                    span.record("status", status.as_u16());
                }
                let refused = outcome.as_ref().ok().and_then(|r| r.extensions().get::<Refused>().copied());
                return (outcome, Observed { status, attempts: attempt, refused });
            }
        }
    }
}

/// Reads a response's body into memory: a success body up to `limit` bytes (a longer one is
/// refused), an error body up to [`ERROR_BODY_READ_LIMIT`] (the rest is dropped; the status is
/// what matters). The body is read in chunks, so memory stays within about twice the limit
/// whatever the server sends; a body that stalls ends with the attempt's timeout.
async fn receive(mut response: Response, origin: &url::Origin, limit: usize) -> reqwest::Result<Response> {
    let status = response.status();
    if response.url().origin() != *origin {
        return Ok(stand_in(status, Refused::OtherOrigin { status }));
    }
    if !status.is_success() {
        return Ok(readable_error_body(response, limit.min(ERROR_BODY_READ_LIMIT)).await);
    }
    let declared = response.content_length().and_then(|n| usize::try_from(n).ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(stand_in(status, Refused::TooLarge { status, limit }));
    }
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Ok(stand_in(status, Refused::TooLarge { status, limit }));
        }
        bytes.extend_from_slice(&chunk);
    }
    let headers = std::mem::take(response.headers_mut());
    Ok(rebuild(status, headers, bytes))
}

/// A body-less response that carries why the real one was refused.
fn stand_in(status: StatusCode, refused: Refused) -> Response {
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = status;
    response.extensions_mut().insert(refused);
    Response::from(response)
}

/// The most of an error body read into memory; errors carry an excerpt of it anyway.
const ERROR_BODY_READ_LIMIT: usize = 64 * 1024;

/// Makes an error response's body valid JSON, so that a proxy's HTML page or a plain-text
/// error reaches the caller as text instead of a decode failure that loses the status. Reads
/// at most `limit` bytes (and at most one chunk more).
async fn readable_error_body(mut response: Response, limit: usize) -> Response {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut bytes = Vec::new();
    let mut read_error = None;
    while bytes.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) => {
                read_error = Some(error);
                break;
            }
        }
    }
    if read_error.is_none() && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
        return rebuild(status, headers, bytes);
    }
    let mut text = crate::error::excerpt(&bytes);
    if let Some(error) = read_error {
        text.push_str(&format!(" [the body could not be read to the end: {error}]"));
    }
    rebuild(status, headers, serde_json::Value::String(text).to_string().into_bytes())
}

fn rebuild(status: StatusCode, mut headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Response {
    headers.remove(reqwest::header::CONTENT_LENGTH);
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Response::from(response)
}
