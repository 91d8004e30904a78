//! Models: the price list, one model, and cost estimates.

use axum::Json;
use axum::response::{IntoResponse, Response};
use credits_types::types;

use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::money::usd_out;
use crate::spec::{self, wire};
use crate::store::models;
use crate::store::non_empty;

/// `GET /v1/models` → `{success, models}` filtered by `provider`/`tier`, or
/// `{success, model}` with `modelId` (404 `model_not_found` when unknown).
pub async fn list(_project: CurrentProject, query: ApiQuery) -> Result<Response, ApiError> {
    if let Some(model_id) = query.string("modelId") {
        let model = models::find(model_id)?;
        let response = wire!(types::ModelsResponse { success: Some(true), model: Some(model), models: Vec::new() })?;
        return Ok(Json(response).into_response());
    }
    let provider = query.string("provider");
    let tier = query.string("tier");
    let list: Vec<types::Model> = models::catalogue()?
        .iter()
        .filter(|m| provider.is_none_or(|p| m.provider.as_deref() == Some(p)))
        .filter(|m| tier.is_none_or(|t| m.tier.as_deref() == Some(t)))
        .cloned()
        .collect();
    // Not the generated `ModelsResponse`, which would leave out an empty list.
    Ok(Json(spec::success("models", list)).into_response())
}

/// `POST /v1/models/calculate` → `{success, modelId, modelName, estimatedCostUsd, pricing}`.
pub async fn calculate(
    _project: CurrentProject,
    ApiJson(request, numbers): ApiJson<types::CalculateCostRequest>,
) -> Result<Json<types::CalculateCostResponse>, ApiError> {
    non_empty("modelId", &request.model_id)?;
    let usage = models::usage_from_request(
        request.usage_type,
        request.input_tokens,
        request.output_tokens,
        request.cached_tokens,
        numbers.get("audioDurationSeconds"),
    )?;
    let model = models::find(&request.model_id)?;
    let cost = models::cost(&model, &usage)?;
    Ok(Json(wire!(types::CalculateCostResponse {
        success: Some(true),
        model_id: model.model_id,
        model_name: model.display_name,
        estimated_cost_usd: usd_out(cost.usd),
        pricing: Some(cost.pricing),
    })?))
}
