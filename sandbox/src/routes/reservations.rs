//! Reservations: hold, list, confirm and cancel.

use axum::Json;
use credits_types::types;

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::spec::wire;
use crate::store::AccountRef;

/// `POST /v1/reservations/create` → `{success, reservation}`.
pub async fn create(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::CreateReservationRequest>,
) -> Result<Json<types::CreateReservationResponse>, ApiError> {
    let reservation = with_project(&project, |p, now| p.create_reservation(request, now))?;
    Ok(Json(wire!(types::CreateReservationResponse { success: Some(true), reservation })?))
}

/// `GET /v1/reservations` → `{success, reservations}`, newest first.
pub async fn list(project: CurrentProject, query: ApiQuery) -> Result<Json<types::ListReservationsResponse>, ApiError> {
    let account = AccountRef::exactly_one(query.non_empty("accountId")?, query.non_empty("externalId")?)?;
    let active_only = query.boolean("activeOnly")?.unwrap_or(false);
    let reservations = with_project(&project, |p, _| p.list_reservations(account, active_only))?;
    Ok(Json(wire!(types::ListReservationsResponse { success: Some(true), reservations })?))
}

/// `POST /v1/reservations/confirm` → `{success, reservationId, transactionId, accountId,
/// actualAmount, releasedAmount, balance}`.
pub async fn confirm(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::ConfirmReservationRequest>,
) -> Result<Json<types::ConfirmReservationResponse>, ApiError> {
    with_project(&project, |p, now| p.confirm_reservation(request, now)).map(Json)
}

/// `POST /v1/reservations/cancel` → `{success, reservationId, accountId, releasedAmount, status}`.
pub async fn cancel(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::CancelReservationRequest>,
) -> Result<Json<types::CancelReservationResponse>, ApiError> {
    with_project(&project, |p, _| p.cancel_reservation(request)).map(Json)
}
