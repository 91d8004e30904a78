//! The `/v1` router: one module per API area, each a set of thin handlers over [`Project`].
//!
//! Handlers decode requests into the spec's generated types (`credits_types::types`,
//! through [`crate::extract::ApiJson`]) and build the response envelopes (`{success, account}`
//! and the like) from the generated response types: envelopes are built here, in the
//! handlers, and nowhere else; the store answers the objects inside them.

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};

use crate::auth::CurrentProject;
use crate::error::{self, ApiError};
use crate::store::Project;

mod accounts;
mod credits;
mod models;
mod plans;
mod reservations;
mod transactions;
mod usage;

/// Every `/v1` route. Authentication is layered on by the server.
pub fn api() -> Router {
    Router::new()
        .route("/v1/accounts/create", post(accounts::create))
        .route("/v1/accounts", get(accounts::list))
        .route("/v1/accounts/get", get(accounts::get))
        .route("/v1/accounts/balance", get(accounts::balance))
        .route("/v1/accounts/plans", get(plans::account_plans))
        .route("/v1/accounts/credits/add", post(credits::add))
        .route("/v1/accounts/credits/deduct", post(credits::deduct))
        .route("/v1/plans", get(plans::list))
        .route("/v1/plans/create", post(plans::create))
        .route("/v1/plans/archive", post(plans::archive))
        .route("/v1/accounts/plans/assign", post(plans::assign))
        .route("/v1/transactions", get(transactions::list))
        .route("/v1/transactions/create", post(transactions::create))
        .route("/v1/usage/record", post(usage::record))
        .route("/v1/usage", get(usage::list))
        .route("/v1/reservations/create", post(reservations::create))
        .route("/v1/reservations", get(reservations::list))
        .route("/v1/reservations/confirm", post(reservations::confirm))
        .route("/v1/reservations/cancel", post(reservations::cancel))
        .route("/v1/models", get(models::list))
        .route("/v1/models/calculate", post(models::calculate))
        .method_not_allowed_fallback(error::method_not_allowed)
}

/// Runs `operation` on the locked project at the sandbox clock's time, after bringing the
/// project up to that time (expiring due reservations). The lock is held for the whole
/// operation, so concurrent requests see each other's writes whole.
fn with_project<T>(
    project: &CurrentProject,
    operation: impl FnOnce(&mut Project, DateTime<Utc>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut project = project.lock();
    let now = project.now();
    project.catch_up(now);
    operation(&mut project, now)
}
