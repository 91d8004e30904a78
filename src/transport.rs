//! The request pipeline every call goes through, whether it comes from a generated builder or
//! from the facade: authentication, user agent and tracing live here, in progenitor's
//! [`ClientHooks`], so both paths behave the same.

use std::time::Instant;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::api::{Client, Error};
use crate::config::ApiKey;

/// The header that carries the API key.
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// The `User-Agent` sent when none is configured: `credits-sdk-rust/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("credits-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// Per-client state of the pipeline: the generated [`Client`]'s inner value.
#[derive(Clone, Debug)]
pub struct Transport {
    api_key: ApiKey,
    user_agent: HeaderValue,
}

impl Transport {
    /// A pipeline that authenticates with `api_key`.
    pub fn new(api_key: ApiKey) -> Self {
        Self { api_key, user_agent: HeaderValue::from_static(DEFAULT_USER_AGENT) }
    }

    fn api_key_header(&self) -> HeaderValue {
        // ApiKey::new already checked that the key is a valid header value.
        let mut value = HeaderValue::from_str(self.api_key.expose()).unwrap_or_else(|_| HeaderValue::from_static(""));
        value.set_sensitive(true);
        value
    }
}

impl ClientHooks<Transport> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, _info: &OperationInfo) -> Result<(), Error<E>> {
        let transport = self.inner();
        let headers = request.headers_mut();
        // progenitor adds `api-version: <info.version>`; the Credits API has no such header.
        headers.remove("api-version");
        headers.insert(API_KEY_HEADER, transport.api_key_header());
        headers.insert(USER_AGENT, transport.user_agent.clone());
        Ok(())
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "credits.request",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
        );
        async {
            let started = Instant::now();
            let result = self.client().execute(request).await;
            let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match &result {
                Ok(response) => {
                    tracing::debug!(status = response.status().as_u16(), latency_ms, "response")
                }
                Err(error) => tracing::debug!(error = %error, latency_ms, "transport error"),
            }
            result
        }
        .instrument(span)
        .await
    }
}
