//! The wire types of the [Credits API](https://credits.dev/docs), shared by the
//! [`credits-sdk`](https://docs.rs/credits-sdk) client and the
//! [`credits-sandbox`](https://docs.rs/credits-sandbox) server.
//!
//! - [`types`]: every request and response body of the API, generated at build time by
//!   progenitor from the `openapi.yaml` this package ships (the SDK's own spec), with the same
//!   settings as the SDK's client. Types no request uses (responses and what they contain) are
//!   `#[non_exhaustive]`: read their fields; to make one, decode it or use its builder
//!   (`types::Balance::builder()`), so that fields the API adds later are not breaking.
//! - The values those types are made of: exact money ([`Credits`], [`Usd`]), the amounts a
//!   request sends ([`Amount`]), and the enums whose set of values the server may grow
//!   ([`ReservationStatus`], [`ErrorCode`]...).
//!
//! Most programs use these through `credits-sdk`, which re-exports them
//! (`credits_sdk::Credits`, `credits_sdk::api::types`); depend on this crate directly to
//! speak the wire format without the client, as the sandbox does.
//!
//! ```
//! use credits_types::{Credits, types};
//!
//! let balance: types::Balance = serde_json::from_str(
//!     r#"{"accountId": "acc_1", "balance": 100.1, "reserved": 0.1, "available": 100}"#,
//! )?;
//! assert_eq!(balance.available + balance.reserved, "100.1".parse::<Credits>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! How the types may be made, which is what lets a response grow without a breaking release:
//! a request type takes a struct literal, a response type only its builder (or decoding).
//!
//! ```
//! use credits_types::types;
//!
//! let request = types::ArchivePlanRequest { plan_id: "plan_1".into() };
//! let page: types::Pagination =
//!     types::Pagination::builder().has_more(false).limit(20).offset(0).total_count(0).try_into()?;
//! # let _ = (request, page);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```compile_fail,E0639
//! // A response type is `#[non_exhaustive]`: no struct literal outside this crate.
//! let page = credits_types::types::Pagination { has_more: false, limit: 20, offset: 0, total_count: 0 };
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod values;
pub mod webhooks;

pub use values::{
    Amount, Credits, ErrorCode, InvalidAmount, InvalidDecimal, MAX_AMOUNT, MAX_DECIMAL_PLACES, MAX_SIGNIFICANT_DIGITS,
    ModelType, PlanStartMode, ReservationStatus, TransactionType, UsageContext, UsageType, Usd,
};

/// The exact decimal type under [`Credits`] and [`Usd`].
pub use rust_decimal;

include!(concat!(env!("OUT_DIR"), "/types.rs"));
