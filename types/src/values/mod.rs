//! Values that travel on the wire and that the generated types are built from: exact money,
//! amounts you send, and the enums whose set of values the server may grow.

mod amount;
mod enums;
mod money;

pub use amount::{Amount, InvalidAmount, MAX_AMOUNT, MAX_DECIMAL_PLACES, MAX_SIGNIFICANT_DIGITS};
pub use enums::{ErrorCode, ModelType, PlanStartMode, ReservationStatus, TransactionType, UsageContext, UsageType};
pub use money::{Credits, InvalidDecimal, Usd};
