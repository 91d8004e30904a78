//! Credits: direct grants and deductions, without a reservation.

use axum::Json;
use credits_types::types;

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::ApiJson;

/// `POST /v1/accounts/credits/add`: writes a `credit` transaction.
pub async fn add(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::AddCreditsRequest>,
) -> Result<Json<types::AddCreditsResponse>, ApiError> {
    with_project(&project, |p, now| p.add_credits(request, now)).map(Json)
}

/// `POST /v1/accounts/credits/deduct`: writes a `debit` transaction, checked against `available`.
pub async fn deduct(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::DeductCreditsRequest>,
) -> Result<Json<types::DeductCreditsResponse>, ApiError> {
    with_project(&project, |p, now| p.deduct_credits(request, now)).map(Json)
}
