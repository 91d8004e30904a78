//! Values that travel on the wire and that the generated types are built from: exact money,
//! amounts you send, and the enums whose set of values the server may grow. They live in
//! `credits-types` (shared with the sandbox) and are re-exported at the crate root.

pub use credits_types::{
    Amount, Credits, ErrorCode, InvalidAmount, InvalidDecimal, MAX_AMOUNT, MAX_DECIMAL_PLACES, MAX_SIGNIFICANT_DIGITS,
    ModelType, PlanStartMode, ReservationStatus, TransactionType, UsageContext, UsageType, Usd,
};
