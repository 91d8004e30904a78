//! Credits: direct grants and deductions, without a reservation.

use axum::Json;

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::wire::{CreditsMoved, CreditsRequest, TransactionType};

/// `POST /v1/accounts/credits/add`: writes a `credit` transaction.
pub async fn add(
    project: CurrentProject,
    ApiJson(request): ApiJson<CreditsRequest>,
) -> Result<Json<CreditsMoved>, ApiError> {
    with_project(&project, |p, now| p.add_or_deduct(request, TransactionType::Credit, now)).map(Json)
}

/// `POST /v1/accounts/credits/deduct`: writes a `debit` transaction, checked against `available`.
pub async fn deduct(
    project: CurrentProject,
    ApiJson(request): ApiJson<CreditsRequest>,
) -> Result<Json<CreditsMoved>, ApiError> {
    if request.payment_method.is_some() {
        return Err(ApiError::invalid("`paymentMethod` is not accepted by deduct"));
    }
    with_project(&project, |p, now| p.add_or_deduct(request, TransactionType::Debit, now)).map(Json)
}
