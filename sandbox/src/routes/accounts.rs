//! Accounts: create, list, get and balance.

use axum::Json;
use credits_types::types;

use super::with_project;
use crate::auth::CurrentProject;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::spec::wire;
use crate::store::AccountRef;

/// `POST /v1/accounts/create` → `{success, account}`.
pub async fn create(
    project: CurrentProject,
    ApiJson(request, _): ApiJson<types::CreateAccountRequest>,
) -> Result<Json<types::CreateAccountResponse>, ApiError> {
    let account = with_project(&project, |p, now| p.create_account(request, now))?;
    Ok(Json(wire!(types::CreateAccountResponse { success: Some(true), account })?))
}

/// `GET /v1/accounts` → `{accounts}`.
pub async fn list(project: CurrentProject, _query: ApiQuery) -> Result<Json<types::ListAccountsResponse>, ApiError> {
    let accounts = with_project(&project, |p, _| p.list_accounts())?;
    Ok(Json(wire!(types::ListAccountsResponse { accounts })?))
}

/// `GET /v1/accounts/get` → the bare account.
pub async fn get(project: CurrentProject, query: ApiQuery) -> Result<Json<types::Account>, ApiError> {
    let account = AccountRef::exactly_one(query.non_empty("accountId")?, query.non_empty("externalId")?)?;
    with_project(&project, |p, _| p.account(account)).map(Json)
}

/// `GET /v1/accounts/balance` → `{accountId, externalId, balance, reserved, available}`.
pub async fn balance(project: CurrentProject, query: ApiQuery) -> Result<Json<types::Balance>, ApiError> {
    let account = AccountRef::exactly_one(query.non_empty("accountId")?, query.non_empty("externalId")?)?;
    with_project(&project, |p, _| p.balance(account)).map(Json)
}
