//! [`CreditsClient`]: the ergonomic facade over the generated client.

use std::sync::Arc;

use std::time::{Duration, Instant};

use progenitor_client::ResponseValue;

use crate::api;
use crate::config::{API_KEY_ENV, BASE_URL_ENV, ClientBuilder};
use crate::error::{Error, ErrorBody, Result};
use crate::pipeline::{ApiKey, CallOptions, CallReport, CallSettings, Pipeline};

/// The Credits API client.
///
/// Cheap to clone (clones share one connection pool), `Send + Sync`. Every method delegates to
/// the generated builders of [`api::Client`], reachable through [`api`](Self::api), and returns
/// the generated types of [`crate::api::types`].
///
/// ```no_run
/// use credits_sdk::{AccountRef, CreditsClient};
///
/// # async fn run() -> credits_sdk::Result<()> {
/// let client = CreditsClient::new("sk_live_...")?;
/// let balance = client.get_balance(AccountRef::external("user_456")).await?;
/// println!("{} available", balance.available);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct CreditsClient {
    api: Arc<api::Client>,
    /// What every call of this handle asks of the pipeline (an attempt timeout, a deadline a
    /// guarded call's steps share, per-call options), if anything.
    settings: Option<Arc<CallSettings>>,
    /// Cancellations of abandoned reservations still running in the background.
    pub(crate) releases: Arc<crate::resources::reservation_guard::Releases>,
    /// The holder and run the guards tag their reservations with.
    pub(crate) holder: Arc<crate::resources::stale_holds::Holder>,
}

impl CreditsClient {
    /// A client for the production API with default settings.
    pub fn new(api_key: impl Into<String>) -> Result<Self> {
        Self::builder().api_key(api_key).build()
    }

    /// A builder for the base URL, timeouts, retries, user agent or HTTP client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `CREDITS_API_KEY` and, if set, `CREDITS_BASE_URL`.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let key = var(API_KEY_ENV).ok_or_else(|| Error::Config(format!("{API_KEY_ENV} is not set")))?;
        let mut builder = Self::builder().api_key(key);
        if let Some(url) = var(BASE_URL_ENV) {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// Wraps a generated client, keeping its transport settings.
    pub fn from_api(api: api::Client) -> Self {
        Self::from_parts(api, crate::resources::stale_holds::DEFAULT_HOLDER)
    }

    fn from_parts(api: api::Client, holder: &str) -> Self {
        Self {
            api: Arc::new(api),
            settings: None,
            releases: Arc::default(),
            holder: Arc::new(crate::resources::stale_holds::Holder::new(holder)),
        }
    }

    /// The generated client, to use its builders directly; requests go through the same
    /// pipeline.
    pub fn api(&self) -> &api::Client {
        &self.api
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&*self.api)
    }

    /// A handle whose calls use `timeout` per attempt instead of the client's (the call's
    /// time budget still applies); it shares the connection pool.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use std::time::{Duration, Instant};
    /// let quick = client.with_attempt_timeout(Duration::from_millis(500));
    /// let models = quick.list_models(credits_sdk::ListModels::new()).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_attempt_timeout(&self, timeout: Duration) -> Self {
        Self { settings: Some(CallSettings::with_timeout(self.settings.as_ref(), timeout)), ..self.clone() }
    }

    /// A handle whose calls apply `options` ([`CallOptions`]: extra body fields, query
    /// parameters and headers, an attempt timeout, a retry policy) to every request they send;
    /// it shares the connection pool. The options replace any the handle had.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, CallOptions};
    /// let traced = client.with_options(CallOptions::new().extra_header("x-trace-id", "trace-123"));
    /// let balance = traced.get_balance(AccountRef::external("user_456")).await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self { settings: Some(CallSettings::with_options(self.settings.as_ref(), Arc::new(options))), ..self.clone() }
    }

    /// A handle whose calls all end by `deadline`, retries included (or sooner, by the
    /// client's own budget); it shares the connection pool.
    pub(crate) fn until(&self, deadline: Instant) -> Self {
        Self { settings: Some(CallSettings::with_deadline(self.settings.as_ref(), deadline)), ..self.clone() }
    }

    /// The total time budget of one call (the retry policy's `max_elapsed`).
    pub(crate) fn call_budget(&self) -> Duration {
        progenitor_client::ClientInfo::inner(&*self.api).retry.max_elapsed_time()
    }

    /// Runs one generated request through the pipeline and converts its outcome.
    pub(crate) fn call<T>(&self, request: impl Future<Output = GeneratedResult<T>>) -> impl Future<Output = Result<T>> {
        self.scoped(request, |result, observed| outcome(result, &observed))
    }

    /// Like [`call`](Self::call), also returning what the pipeline saw (status, attempts).
    pub(crate) fn call_observed<T>(
        &self,
        request: impl Future<Output = GeneratedResult<T>>,
    ) -> impl Future<Output = (Result<T>, CallReport)> {
        self.scoped(request, |result, observed| (outcome(result, &observed), observed))
    }

    /// The request with this handle's settings in scope, its outcome handed to `finish`. One
    /// future rather than `async` blocks or combinators: each layer around the generated
    /// future holds (and moves) it again, and is one more state to poll through.
    fn scoped<F: Future, T>(
        &self,
        request: F,
        finish: impl FnOnce(F::Output, CallReport) -> T,
    ) -> impl Future<Output = T> {
        crate::pipeline::scoped(self.settings.clone(), request, finish)
    }
}

/// A generated request's outcome as the facade returns it.
fn outcome<T>(result: GeneratedResult<T>, observed: &CallReport) -> Result<T> {
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(error) => Err(Error::from_generated(error, observed)),
    }
}

/// What a generated builder's `send()` returns.
type GeneratedResult<T> = std::result::Result<ResponseValue<T>, progenitor_client::Error<ErrorBody>>;

impl ClientBuilder {
    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<CreditsClient> {
        let api_key = ApiKey::new(self.api_key.ok_or_else(|| Error::Config("no API key was given".into()))?)?;
        if self.holder.trim().is_empty() {
            return Err(Error::Config("the holder name must not be empty".into()));
        }
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base_url).map_err(|e| Error::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!("base URL {base_url:?} must be http or https")));
        }
        if !self.allow_insecure_http && !crate::pipeline::is_loopback_or_https(&parsed) {
            return Err(Error::Config(format!(
                "base URL {base_url:?} would send the API key in clear text; use https, a loopback host, \
                 or allow_insecure_http(true)"
            )));
        }
        let http = match self.http_client {
            Some(client) => client,
            None => crate::pipeline::http_client_builder()
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?,
        };
        let mut pipeline = Pipeline::new(api_key)
            .with_attempt_timeout(self.timeout)
            .with_retry(self.retry)
            .with_insecure_http(self.allow_insecure_http)
            .with_max_response_bytes(self.max_response_bytes);
        if let Some(application) = &self.user_agent {
            pipeline = pipeline.with_user_agent(application).map_err(|e| Error::Config(e.to_string()))?;
        }
        for (name, value) in &self.default_headers {
            pipeline = pipeline.with_default_header(name, value).map_err(|e| Error::Config(e.to_string()))?;
        }
        Ok(CreditsClient::from_parts(api::Client::new_with_client(&base_url, http, pipeline), &self.holder))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn from_env_reads_the_key_and_the_optional_base_url() {
        let client = CreditsClient::from_vars(vars(&[(API_KEY_ENV, "sk_1")])).unwrap();
        assert_eq!(client.base_url(), crate::config::DEFAULT_BASE_URL);
        let local =
            CreditsClient::from_vars(vars(&[(API_KEY_ENV, "sk_1"), (BASE_URL_ENV, "http://localhost:8787/")])).unwrap();
        assert_eq!(local.base_url(), "http://localhost:8787");
        assert!(matches!(CreditsClient::from_vars(vars(&[])), Err(Error::Config(m)) if m.contains(API_KEY_ENV)));
    }

    #[test]
    fn a_plain_http_base_url_is_refused_unless_it_is_loopback_or_allowed() {
        let remote = CreditsClient::builder().api_key("sk_1").base_url("http://api.example.com").build();
        assert!(matches!(remote, Err(Error::Config(m)) if m.contains("clear text")));
        for local in ["http://127.0.0.1:1", "http://[::1]:1", "http://localhost", "https://api.example.com"] {
            assert!(CreditsClient::builder().api_key("sk_1").base_url(local).build().is_ok(), "{local}");
        }
        let allowed =
            CreditsClient::builder().api_key("sk_1").base_url("http://10.0.0.5").allow_insecure_http(true).build();
        assert!(allowed.is_ok());
        assert!(CreditsClient::builder().api_key("sk_1").base_url("ftp://x").build().is_err());
        assert!(CreditsClient::builder().api_key("").build().is_err());
    }
}
