//! The Rust SDK for the [Credits API](https://credits.dev/docs): prepaid credit accounts,
//! balances, reservations before LLM calls, usage tracking, plans, transactions and model
//! pricing.
//!
//! The client is generated at build time from the crate's `openapi.yaml`, a hand-maintained
//! OpenAPI 3.0 description of every Credits endpoint. There are three ways to use it:
//!
//! 1. **The facade**, [`CreditsClient`]: one method per API call, named after the TypeScript
//!    SDK's, with request types that refuse bad input before anything is sent.
//! 2. **The generated builders** in [`api`]: one method per operation of the spec, going
//!    through the same request pipeline.
//! 3. **Edit `openapi.yaml` and rebuild** when the API changes: the build checks the spec and
//!    regenerates the client; the compiler then lists what to update.
//!
//! ```no_run
//! use credits_sdk::{AccountRef, AddCredits, CreateReservation, CreditsClient, Spent};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = CreditsClient::from_env()?; // CREDITS_API_KEY, optional CREDITS_BASE_URL
//! let alice = AccountRef::external("user_456");
//! client.add_credits(AddCredits::new(&alice, 1000).description("Monthly plan purchase")).await?;
//! println!("available: {}", client.get_balance(&alice).await?.available);
//!
//! // Reserve, run the costly call, confirm what it used (or cancel if it failed).
//! let settled = client
//!     .with_reservation(CreateReservation::new(&alice, 500), |_reservation| async {
//!         Ok::<_, std::io::Error>(Spent::new(420, "the model's answer"))
//!     })
//!     .await?;
//! println!("{}", settled.value);
//! # Ok(()) }
//! ```
//!
//! Where to look:
//! - [`CreditsClient`] and [`ClientBuilder`]: every call, configuration, timeouts and retries
//!   ([`RetryPolicy`]).
//! - [`Error`]: one error type; [`ErrorCode`] for the API's codes.
//! - [`Credits`], [`Usd`], [`Amount`]: money is exact decimal, never `f64`.
//! - [`with_response`] and [`CallOptions`]: for what the spec does not know, the raw response
//!   of any call (status, headers, request id, undeclared fields) and extra body fields, query
//!   parameters and headers for one call.
//! - [`api`]: the generated client, its types ([`api::types`]) and the pipeline settings
//!   ([`api::Pipeline`]) for builder users. The types and the money values are defined in the
//!   `credits-types` crate (shared with the sandbox) and re-exported here.
//!
//! The guarantees at the edges: the API key is sent only to the base URL's origin, over HTTPS
//! or to loopback (no redirect is followed, no proxy sees it in clear text, it never appears
//! in `Debug` output, errors or logs); every response body is read within a size limit; a
//! call, retries included, ends within its time budget (30 s by default); only operations the
//! spec marks safe are retried after they may have reached the server.
//!
//! TLS is a Cargo feature: `rustls-aws-lc` (the default), `rustls-ring` (no aws-lc C build)
//! or `native-tls`. Types generated from the spec that no request uses are
//! `#[non_exhaustive]`, so fields the API adds to responses are not breaking changes.
//!
//! For a local server to develop and test against, see the `credits-sandbox` crate. The
//! repository's README has the long form: every guarantee with the test that checks it, the
//! decisions taken where the public API reference is silent, and the architecture.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Layers, each using only those above it in this list:
// values -> pipeline -> error -> api (generated) -> config -> client -> requests -> resources.
pub mod api;
mod client;
mod config;
mod error;
mod pipeline;
mod requests;
mod resources;
mod values;
pub mod webhooks;

pub use client::CreditsClient;
pub use config::{API_KEY_ENV, BASE_URL_ENV, ClientBuilder, DEFAULT_BASE_URL};
pub use error::{ApiError, Applied, BODY_EXCERPT_LIMIT, Error, Result, TransportError};
pub use pipeline::{
    ApiKey, ApiKeyError, CallOptions, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_USER_AGENT, InvalidHeader, NoResponse, RawResponse, RetryPolicy, UndeclaredField, UndeclaredFields,
    with_response,
};
pub use requests::AccountRef;
pub use resources::accounts::CreateAccount;
pub use resources::credits::{AddCredits, DeductCredits};
pub use resources::metered::{Billed, Metered, UsageOutcome};
pub use resources::models::{CalculateCost, ListModels};
pub use resources::plans::{AssignPlan, CreatePlan, PlanInterval};
pub use resources::reservation_guard::{ReservationError, Settled, Spent};
pub use resources::reservations::{CreateReservation, ListReservations};
pub use resources::stale_holds::{DEFAULT_HOLDER, HOLD_TAG, HOLDER_TAG, RUN_TAG, ReleasedHolds, StaleHolds};
pub use resources::transactions::{CreateTransaction, ListTransactions, MAX_PAGE_SIZE};
pub use resources::usage::{GetUsage, ModelUsage, RecordUsage, UsageError};
pub use values::{
    Amount, Credits, ErrorCode, InvalidAmount, InvalidDecimal, MAX_AMOUNT, MAX_DECIMAL_PLACES, MAX_SIGNIFICANT_DIGITS,
    ModelType, PlanStartMode, ReservationStatus, TransactionType, UsageContext, UsageType, Usd,
};

/// The HTTP client crate of the SDK's public signatures (`reqwest::Client`, `StatusCode`).
pub use reqwest;
/// The exact decimal type under [`Credits`] and [`Usd`].
pub use rust_decimal;

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
