//! The SDK's generated type for each named request or response schema of the spec, to decode a
//! body exactly as the SDK does (from its text). Shared by the contract check and the tests.

#![allow(dead_code)]

use credits_sdk::api::types;

/// Decodes `text` as `T`, dropping the value.
fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<(), String> {
    serde_json::from_str::<T>(text).map(drop).map_err(|e| e.to_string())
}

/// Decodes a body's text into one SDK type, or says why it cannot.
pub type Decoder = fn(&str) -> Result<(), String>;

/// A function that decodes a body of the named schema into the SDK's type, or `None` for a
/// schema this table does not list (a new schema must be added here).
pub fn decoder(schema: &str) -> Option<Decoder> {
    Some(match schema {
        "CreateAccountRequest" => decode::<types::CreateAccountRequest>,
        "CreateAccountResponse" => decode::<types::CreateAccountResponse>,
        "ListAccountsResponse" => decode::<types::ListAccountsResponse>,
        "Account" => decode::<types::Account>,
        "Balance" => decode::<types::Balance>,
        "AccountPlansResponse" => decode::<types::AccountPlansResponse>,
        "AddCreditsRequest" => decode::<types::AddCreditsRequest>,
        "AddCreditsResponse" => decode::<types::AddCreditsResponse>,
        "DeductCreditsRequest" => decode::<types::DeductCreditsRequest>,
        "DeductCreditsResponse" => decode::<types::DeductCreditsResponse>,
        "ListPlansResponse" => decode::<types::ListPlansResponse>,
        "CreatePlanRequest" => decode::<types::CreatePlanRequest>,
        "PlanResponse" => decode::<types::PlanResponse>,
        "ArchivePlanRequest" => decode::<types::ArchivePlanRequest>,
        "ArchivePlanResponse" => decode::<types::ArchivePlanResponse>,
        "AssignPlanRequest" => decode::<types::AssignPlanRequest>,
        "AssignPlanResponse" => decode::<types::AssignPlanResponse>,
        "TransactionPage" => decode::<types::TransactionPage>,
        "CreateTransactionRequest" => decode::<types::CreateTransactionRequest>,
        "CreateTransactionResponse" => decode::<types::CreateTransactionResponse>,
        "RecordUsageRequest" => decode::<types::RecordUsageRequest>,
        "RecordUsageResponse" => decode::<types::RecordUsageResponse>,
        "UsageResponse" => decode::<types::UsageResponse>,
        "CreateReservationRequest" => decode::<types::CreateReservationRequest>,
        "CreateReservationResponse" => decode::<types::CreateReservationResponse>,
        "ListReservationsResponse" => decode::<types::ListReservationsResponse>,
        "ConfirmReservationRequest" => decode::<types::ConfirmReservationRequest>,
        "ConfirmReservationResponse" => decode::<types::ConfirmReservationResponse>,
        "CancelReservationRequest" => decode::<types::CancelReservationRequest>,
        "CancelReservationResponse" => decode::<types::CancelReservationResponse>,
        "ModelsResponse" => decode::<types::ModelsResponse>,
        "CalculateCostRequest" => decode::<types::CalculateCostRequest>,
        "CalculateCostResponse" => decode::<types::CalculateCostResponse>,
        "ErrorBody" => decode::<credits_sdk::api::ErrorBody>,
        _ => return None,
    })
}

/// The schema name of a media type object (`{"schema": {"$ref": ".../Name"}}`).
pub fn schema_name(media: &serde_json::Value) -> Option<&str> {
    media.pointer("/schema/$ref").and_then(serde_json::Value::as_str).and_then(|r| r.rsplit('/').next())
}
