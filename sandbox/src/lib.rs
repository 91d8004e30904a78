//! A stateful local server that behaves like the Credits API (credits.dev), for tests and
//! development: accounts, ledger, reservations, plans, usage and model prices, speaking the
//! wire format of `openapi.yaml`, with fault injection for client tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = credits_sandbox::Sandbox::start().await?;
//! // Point your client at sandbox.base_url() with the X-API-Key sandbox.api_key().
//! sandbox.faults().fail_next(1, credits_sandbox::Fault::unavailable("1"));
//! # Ok(()) }
//! ```
//!
//! Money is exact: amounts are read from the digits of the JSON numbers and kept as decimals
//! (at most [`MAX_CREDITS`], with at most [`MAX_CREDIT_PLACES`] decimal places), and
//! responses carry exact JSON numbers. The server bounds what a client can hold: connections
//! without a request in progress are closed after the header-read timeout, and at most
//! `max_connections` are served at once.
//!
//! For development it has a controllable clock ([`SandboxBuilder::manual_clock`],
//! [`Sandbox::advance`]) that drives reservation expiry and plan periods, saved state
//! ([`Sandbox::export_state`], [`Sandbox::import_state`]) and a live ledger page at
//! `/_sandbox/`.
//!
//! Requests and responses are the types generated from `openapi.yaml` for the SDK
//! (`credits_types::types`). See `sandbox/README.md` for the layout, the error codes, the
//! limits and the decisions taken where the public reference is silent.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;
mod auth;
mod clock;
mod delivery;
mod error;
mod exact;
mod extract;
mod faults;
mod loopback;
mod money;
mod routes;
mod server;
mod spec;
mod store;

pub use chrono;
pub use clock::{ClockError, MAX_CLOCK_STEP};
pub use delivery::ATTEMPT_TIMEOUT as WEBHOOK_ATTEMPT_TIMEOUT;
pub use faults::{Fault, FaultHandle, FaultSpec};
pub use loopback::{is_loopback_host, is_loopback_ip};
pub use money::{MAX_CREDIT_PLACES, MAX_CREDITS, MAX_SECONDS_PLACES};
pub use server::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_RESERVATION_TTL, MAX_HEADER_BYTES,
    MAX_HEADER_READ_TIMEOUT, MAX_HEADERS, MAX_RESERVATION_TTL, MAX_URI_BYTES, STATE_FILE_FORMAT, Sandbox,
    SandboxBuilder, generate_api_key,
};
pub use store::webhooks::{
    DELIVERY_LOG, Delivery as WebhookDelivery, DeliveryState as WebhookDeliveryState,
    MAX_ENDPOINTS as MAX_WEBHOOK_ENDPOINTS, MAX_PENDING_DELIVERIES, RETRY_SCHEDULE as WEBHOOK_RETRY_SCHEDULE,
};
pub use store::{STATE_FORMAT, STATE_VERSION, StateError};
