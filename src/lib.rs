#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The generated client and the pieces it is generated against.
pub mod amount;
pub mod api;
mod money;
pub mod open_enum;
pub mod operations;

// The request pipeline shared by the generated client and the facade.
pub mod config;
pub mod error;
pub mod retry;
pub mod transport;

// The facade: the client, then one module per API area.
mod account_ref;
mod accounts;
mod client;
mod credits;
mod models;
mod plans;
mod reservation_guard;
mod reservations;
mod transactions;
mod usage;
mod validate;

pub use account_ref::AccountRef;
pub use accounts::CreateAccount;
pub use amount::{Amount, InvalidAmount};
pub use client::CreditsClient;
pub use config::{ApiKey, ClientBuilder};
pub use credits::{AddCredits, DeductCredits};
pub use error::{ApiError, Error, Result};
pub use models::{CostQuery, ModelFilter};
pub use money::{Credits, InvalidDecimal, Usd};
pub use open_enum::{ModelType, PlanStartMode, ReservationStatus, TransactionType, UsageContext, UsageType};
pub use plans::{AssignPlan, CreatePlan, PlanInterval};
pub use reservation_guard::{ReservationError, Settled, Spent};
pub use reservations::{CreateReservation, ListReservations};
pub use retry::RetryPolicy;
/// The exact decimal type under [`Credits`] and [`Usd`].
pub use rust_decimal;
pub use transactions::{CreateTransaction, TransactionQuery};
pub use usage::{RecordUsage, UsageQuery};

/// The request and response types of the Credits API, generated from `openapi.yaml`.
pub use api::types;
