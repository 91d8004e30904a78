//! Models: the price list, one model, and cost estimates.

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::models;
use crate::money::Exact;
use crate::state::non_empty;
use crate::wire::{self, CalculateCostRequest, CostEstimate};

/// `GET /v1/models` → `{success, models}` filtered by `provider`/`tier`, or
/// `{success, model}` with `modelId` (404 `model_not_found` when unknown).
pub async fn list(_project: CurrentProject, query: ApiQuery) -> Result<Response, ApiError> {
    if let Some(model_id) = query.string("modelId") {
        let model = models::find(model_id)?;
        return Ok(Json(wire::success("model", model)).into_response());
    }
    let provider = query.string("provider");
    let tier = query.string("tier");
    let list: Vec<_> = models::catalogue()
        .into_iter()
        .filter(|m| provider.is_none_or(|p| m.provider == p))
        .filter(|m| tier.is_none_or(|t| m.tier == t))
        .collect();
    Ok(Json(wire::success("models", list)).into_response())
}

/// `POST /v1/models/calculate` → `{success, modelId, modelName, estimatedCostUsd, pricing}`.
pub async fn calculate(
    _project: CurrentProject,
    ApiJson(request): ApiJson<CalculateCostRequest>,
) -> Result<Json<CostEstimate>, ApiError> {
    non_empty("modelId", &request.model_id)?;
    let usage = models::usage_from_request(
        request.usage_type,
        request.input_tokens,
        request.output_tokens,
        request.cached_tokens,
        request.audio_duration_seconds.as_ref(),
    )?;
    let model = models::find(&request.model_id)?;
    let cost = models::cost(&model, usage)?;
    Ok(Json(CostEstimate {
        success: true,
        model_id: model.model_id,
        model_name: model.display_name,
        estimated_cost_usd: Exact(cost.usd),
        pricing: cost.pricing,
    }))
}
