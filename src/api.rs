//! The client generated from `openapi.yaml` by progenitor at build time.
//!
//! Every operation of the spec is a method on [`Client`] returning a builder: set its
//! parameters, then `.send().await`. Requests go through the SDK's request pipeline, configured by
//! [`Pipeline`], so they carry the API key and behave exactly like the facade's calls: build the
//! HTTP client with [`http_client_builder`] to keep its protections (no redirects, no proxy
//! for clear-text requests). Errors are `progenitor_client::Error<ErrorBody>`; `?` turns them
//! into [`crate::Error`].
//!
//! ```no_run
//! use credits_sdk::api::{Client, Pipeline, http_client_builder};
//! use credits_sdk::ApiKey;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new_with_client(
//!     "https://api.credits.dev",
//!     http_client_builder().build()?,
//!     Pipeline::new(ApiKey::new("sk_live_...")?),
//! );
//! let balance = client.get_balance().external_id("user_456").send().await?;
//! println!("available: {}", balance.available);
//! # Ok(()) }
//! ```
//!

// Doc comments here are the spec's prose, written as Markdown for OpenAPI tools, not rustdoc.
#![allow(missing_docs, unused_mut, clippy::all, clippy::pedantic, rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]
#![allow(rustdoc::invalid_html_tags)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));

pub use crate::error::ErrorBody;
pub use crate::pipeline::{InvalidUserAgent, Pipeline, http_client_builder, with_attempt_timeout};

/// The pipeline, plugged into the generated client. It lives in `crate::pipeline`, which knows
/// nothing of the generated code; these hooks only hand each request over.
impl progenitor_client::ClientHooks<Pipeline> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &progenitor_client::OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        crate::pipeline::prepare(self.inner(), request).map_err(progenitor_client::Error::Custom)
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &progenitor_client::OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        crate::pipeline::send(self.client(), self.inner(), request, info.operation_id).await
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &progenitor_client::OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        crate::pipeline::check_response(result).map_err(progenitor_client::Error::Custom)
    }
}

/// Whether the spec marks the operation `operation_id` safe to repeat
/// (`x-credits-retry-safe`: repeating it can never apply it twice); `None` for an unknown
/// operation.
///
/// ```
/// assert_eq!(credits_sdk::api::is_retry_safe("get_balance"), Some(true));
/// assert_eq!(credits_sdk::api::is_retry_safe("deduct_credits"), Some(false));
/// ```
pub fn is_retry_safe(operation_id: &str) -> Option<bool> {
    crate::pipeline::operations::find(operation_id).map(|op| op.retry_safe)
}
