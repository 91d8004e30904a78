//! Usage: recording events and listing or summarising them.

use axum::Json;
use axum::response::{IntoResponse, Response};
use credits_types::types;

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::spec::{self, wire};
use crate::store::{AccountRef, UsageQuery};

/// `POST /v1/usage/record` → `{success, usageRecord}`.
pub async fn record(
    project: CurrentProject,
    ApiJson(request, numbers): ApiJson<types::RecordUsageRequest>,
) -> Result<Json<types::RecordUsageResponse>, ApiError> {
    let seconds = numbers.get("audioDurationSeconds");
    let usage_record = with_project(&project, |p, now| p.record_usage(request, seconds, now))?;
    Ok(Json(wire!(types::RecordUsageResponse { success: Some(true), usage_record })?))
}

/// `GET /v1/usage` → `{success, usageRecords}`, or `{success, summary}` with `summary=true`.
pub async fn list(project: CurrentProject, query: ApiQuery) -> Result<Response, ApiError> {
    let filters = UsageQuery {
        account: AccountRef::at_most_one(query.non_empty("accountId")?, query.non_empty("externalId")?)?,
        model_id: query.string("modelId"),
        context: query.enumeration("context")?,
        start: query.date_time("startDate")?,
        end: query.date_time("endDate")?,
    };
    if query.boolean("summary")?.unwrap_or(false) {
        let summary = with_project(&project, |p, _| p.usage_summary(&filters))?;
        let response =
            wire!(types::UsageResponse { success: Some(true), summary: Some(summary), usage_records: Vec::new() })?;
        Ok(Json(response).into_response())
    } else {
        let records = with_project(&project, |p, _| p.list_usage(&filters))?;
        // Not the generated `UsageResponse`, which would leave out an empty list.
        Ok(Json(spec::success("usageRecords", records)).into_response())
    }
}
