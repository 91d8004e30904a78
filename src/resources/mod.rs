//! The facade's calls, one module per API area, each an `impl CreditsClient` block with the
//! request types of its calls. Request types are named after their call (`AddCredits` for
//! `add_credits`, `ListTransactions` for `list_transactions`); a call returns the API's
//! response type as documented, envelope included, except where one path serves two calls
//! (`get_usage` / `get_usage_summary`, `list_models` / `get_model`), which return the member
//! they are about.

pub(crate) mod accounts;
#[cfg(test)]
mod coverage;
pub(crate) mod credits;
pub(crate) mod metered;
pub(crate) mod models;
pub(crate) mod plans;
pub(crate) mod reservation_guard;
pub(crate) mod reservations;
pub(crate) mod stale_holds;
pub(crate) mod transactions;
pub(crate) mod usage;
