//! Models: the price list, one model, and cost estimates.

use axum::Json;
use serde_json::{Value, json};

use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::models;
use crate::state::non_empty;
use crate::wire::CalculateCostRequest;

/// `GET /v1/models` → `{success, models}` filtered by `provider`/`tier`, or
/// `{success, model}` with `modelId` (404 `model_not_found` when unknown).
pub async fn list(_project: CurrentProject, query: ApiQuery) -> Result<Json<Value>, ApiError> {
    if let Some(model_id) = query.string("modelId") {
        let model = models::find(model_id)?;
        return Ok(Json(json!({ "success": true, "model": model })));
    }
    let provider = query.string("provider");
    let tier = query.string("tier");
    let list: Vec<_> = models::catalogue()
        .into_iter()
        .filter(|m| provider.is_none_or(|p| m.provider == p))
        .filter(|m| tier.is_none_or(|t| m.tier == t))
        .collect();
    Ok(Json(json!({ "success": true, "models": list })))
}

/// `POST /v1/models/calculate` → `{success, modelId, modelName, estimatedCostUsd, pricing}`.
pub async fn calculate(
    _project: CurrentProject,
    ApiJson(request): ApiJson<CalculateCostRequest>,
) -> Result<Json<Value>, ApiError> {
    non_empty("modelId", &request.model_id)?;
    let usage = models::usage_from_request(
        request.usage_type,
        request.input_tokens,
        request.output_tokens,
        request.cached_tokens,
        request.audio_duration_seconds,
    )?;
    let model = models::find(&request.model_id)?;
    let cost = models::cost(&model, usage)?;
    Ok(Json(json!({
        "success": true,
        "modelId": model.model_id,
        "modelName": model.display_name,
        "estimatedCostUsd": cost.usd,
        "pricing": cost.pricing,
    })))
}
