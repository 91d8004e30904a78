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
pub use crate::pipeline::{InvalidUserAgent, Pipeline, http_client_builder, with_attempt_timeout, with_options};

// The pipeline, plugged into the generated client. It lives in `crate::pipeline`, which knows
// nothing of the generated code; every operation's `send` (rewritten by `build.rs`, see
// `codegen/postprocess.rs`) builds its request with `request`, readies it with `prepare`,
// sends it through `exec`, refuses what the pipeline refused in `check` and decodes the body
// already read in `decode`.
impl progenitor_client::ClientHooks<Pipeline> for Client {}

/// Readies a request of the operation `info`: the key, the headers, the attempt timeout, the
/// call's options (in place of progenitor's `pre` hook, which is `async`).
fn prepare<E>(
    client: &Client,
    request: &mut reqwest::Request,
    info: &progenitor_client::OperationInfo,
) -> Result<(), progenitor_client::Error<E>> {
    use progenitor_client::ClientInfo;
    crate::pipeline::prepare(client.inner(), request, info.operation_id).map_err(progenitor_client::Error::Custom)
}

/// A request to `url` (what the generated code formats: the base URL, then the operation's
/// path), its URL parsed from the client's base URL parsed once when it can be.
fn request(client: &Client, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
    use progenitor_client::ClientInfo;
    match client.inner().base_url.join(client.baseurl(), &url) {
        Some(parsed) => client.client().request(method, parsed),
        None => client.client().request(method, url),
    }
}

/// Sends a readied request of the operation `info` through the pipeline: the response comes
/// back with its body read. (Not an `async fn`: that would add a layer holding the request.)
/// The future borrows `client` only (`+ 'a`), not `info`: each generated `send` lets `info`
/// go out of scope before awaiting it (`codegen/postprocess.rs`, `SmallState`).
///
/// `build` builds the request again, for a retry only (the generated code's own building,
/// `codegen/postprocess.rs`, `SmallState`): no copy is made up front.
fn exec<'a, E>(
    client: &'a Client,
    request: reqwest::Request,
    info: &progenitor_client::OperationInfo,
    build: impl Fn() -> Result<reqwest::Request, E> + Send + Sync + 'a,
) -> impl Future<Output = reqwest::Result<crate::pipeline::Received>> + 'a {
    use progenitor_client::ClientInfo;
    crate::pipeline::send(client.client(), client.inner(), request, info.operation_id, move || build().ok())
}

/// An error for a response the pipeline refused (too large, from another origin).
fn check(result: &reqwest::Result<crate::pipeline::Received>) -> Result<(), progenitor_client::Error<ErrorBody>> {
    match result.as_ref().ok().and_then(crate::pipeline::Received::refusal) {
        Some(refused) => Err(progenitor_client::Error::Custom(refused.to_string())),
        None => Ok(()),
    }
}

/// The response's value, decoded from the body the pipeline read (the bytes are not copied).
fn decode<T: serde::de::DeserializeOwned>(
    received: crate::pipeline::Received,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<ErrorBody>> {
    let (status, headers, body) = received.into_parts();
    match serde_json::from_slice(&body) {
        Ok(value) => Ok(progenitor_client::ResponseValue::new(value, status, headers)),
        Err(error) => Err(progenitor_client::Error::InvalidResponsePayload(body, error)),
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
