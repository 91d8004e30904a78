//! Usage: recording events and listing or summarising them.

use axum::Json;
use serde_json::{Value, json};

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::{AccountRef, UsageQuery};
use crate::wire::RecordUsageRequest;

/// `POST /v1/usage/record` → `{success, usageRecord}`.
pub async fn record(
    project: CurrentProject,
    ApiJson(request): ApiJson<RecordUsageRequest>,
) -> Result<Json<Value>, ApiError> {
    let record = with_project(&project, |p, now| p.record_usage(request, now))?;
    Ok(Json(json!({ "success": true, "usageRecord": record })))
}

/// `GET /v1/usage` → `{success, usageRecords}`, or `{success, summary}` with `summary=true`.
pub async fn list(project: CurrentProject, query: ApiQuery) -> Result<Json<Value>, ApiError> {
    let filters = UsageQuery {
        account: AccountRef::at_most_one(query.non_empty("accountId")?, query.non_empty("externalId")?)?,
        model_id: query.string("modelId"),
        context: query.enumeration("context")?,
        start: query.date_time("startDate")?,
        end: query.date_time("endDate")?,
    };
    if query.boolean("summary")?.unwrap_or(false) {
        let summary = with_project(&project, |p, _| p.usage_summary(&filters))?;
        Ok(Json(json!({ "success": true, "summary": summary })))
    } else {
        let records = with_project(&project, |p, _| p.list_usage(&filters))?;
        Ok(Json(json!({ "success": true, "usageRecords": records })))
    }
}
