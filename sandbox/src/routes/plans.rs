//! Plans: create, list, archive, assign, and an account's assignment history.

use axum::Json;
use credits_types::types;

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::spec::wire;
use crate::store::AccountRef;

/// `POST /v1/plans/create` → `{success, plan}`.
pub async fn create(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::CreatePlanRequest>,
) -> Result<Json<types::PlanResponse>, ApiError> {
    let plan = with_project(&project, |p, _| p.create_plan(request))?;
    Ok(Json(wire!(types::PlanResponse { success: Some(true), plan })?))
}

/// `GET /v1/plans` → `{success, plans}`, archived ones included.
pub async fn list(project: CurrentProject, _query: ApiQuery) -> Result<Json<types::ListPlansResponse>, ApiError> {
    let plans = with_project(&project, |p, _| p.list_plans())?;
    Ok(Json(wire!(types::ListPlansResponse { success: Some(true), plans })?))
}

/// `POST /v1/plans/archive` → `{success, plan}`; idempotent.
pub async fn archive(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::ArchivePlanRequest>,
) -> Result<Json<types::ArchivePlanResponse>, ApiError> {
    let plan = with_project(&project, |p, _| p.archive_plan(&request.plan_id))?;
    Ok(Json(wire!(types::ArchivePlanResponse { success: Some(true), plan: Some(plan) })?))
}

/// `POST /v1/accounts/plans/assign` → `{success, accountPlan, creditsGranted}`.
pub async fn assign(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::AssignPlanRequest>,
) -> Result<Json<types::AssignPlanResponse>, ApiError> {
    with_project(&project, |p, now| p.assign_plan(request, now)).map(Json)
}

/// `GET /v1/accounts/plans` → `{success, plans}` (assignments, newest first).
pub async fn account_plans(
    project: CurrentProject,
    query: ApiQuery,
) -> Result<Json<types::AccountPlansResponse>, ApiError> {
    let account = AccountRef::exactly_one(query.non_empty("accountId")?, query.non_empty("externalId")?)?;
    let plans = with_project(&project, |p, _| p.account_plans(account))?;
    Ok(Json(wire!(types::AccountPlansResponse { success: Some(true), plans })?))
}
