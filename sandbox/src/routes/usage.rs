//! Usage: recording events and listing or summarising them.

use axum::Json;
use axum::response::{IntoResponse, Response};

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::{AccountRef, UsageQuery};
use crate::wire::{self, Envelope, RecordUsageRequest, UsageRecord};

/// `POST /v1/usage/record` → `{success, usageRecord}`.
pub async fn record(
    project: CurrentProject,
    ApiJson(request): ApiJson<RecordUsageRequest>,
) -> Result<Json<Envelope<UsageRecord>>, ApiError> {
    let record = with_project(&project, |p, now| p.record_usage(request, now))?;
    Ok(Json(wire::success("usageRecord", record)))
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
        Ok(Json(wire::success("summary", summary)).into_response())
    } else {
        let records = with_project(&project, |p, _| p.list_usage(&filters))?;
        Ok(Json(wire::success("usageRecords", records)).into_response())
    }
}
