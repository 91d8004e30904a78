#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amount;
pub mod api;
pub mod config;
pub mod open_enum;
pub mod operations;
pub mod transport;

pub use amount::Amount;
pub use config::ApiKey;

/// The request and response types of the Credits API, generated from `openapi.yaml`.
pub use api::types;
