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
//! See `sandbox/README.md` for the error codes and the decisions taken where the public
//! reference is silent.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;
mod auth;
mod error;
mod extract;
mod faults;
mod models;
mod routes;
mod server;
mod state;
mod wire;

pub use faults::{Fault, FaultHandle, FaultSpec};
pub use server::{DEFAULT_RESERVATION_TTL, Sandbox, SandboxBuilder, generate_api_key};
