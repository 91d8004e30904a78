//! Transactions: the paginated ledger and manual entries.

use axum::Json;
use credits_types::types;

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::spec::{TransactionList, wire};
use crate::store::{AccountRef, TransactionQuery};

/// Page size when `limit` is absent.
const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
const MAX_LIMIT: i64 = 100;

/// `GET /v1/transactions` → `{items, pagination}`, newest first.
pub async fn list(project: CurrentProject, query: ApiQuery) -> Result<Json<TransactionList>, ApiError> {
    let include = query.string("include").unwrap_or("");
    let included = |name: &str| include.split(',').any(|part| part.trim() == name);
    let filters = TransactionQuery {
        account: AccountRef::at_most_one(query.non_empty("accountId")?, query.non_empty("externalId")?)?,
        start: query.date_time("startDate")?,
        end: query.date_time("endDate")?,
        limit: query.integer("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
        offset: query.integer("offset", 0, i64::MAX)?.unwrap_or(0),
        include_reservation: included("reservation"),
        include_usage: included("usage"),
    };
    with_project(&project, |p, _| p.list_transactions(&filters)).map(Json)
}

/// `POST /v1/transactions/create` → `{success, transaction}`.
pub async fn create(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::CreateTransactionRequest>,
) -> Result<Json<types::CreateTransactionResponse>, ApiError> {
    let transaction = with_project(&project, |p, now| p.create_transaction(request, now))?;
    Ok(Json(wire!(types::CreateTransactionResponse { success: Some(true), transaction })?))
}
