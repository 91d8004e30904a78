//! What the sandbox adds to the types generated from `openapi.yaml`.
//!
//! Request and response bodies are the SDK's generated types (`credits_types::types`), made
//! of the SDK's exact values (`Credits`, `Usd`, `Amount`, the open enums). This module holds
//! only what those types cannot say:
//!
//! - the field rules of each request body ([`Body`]): which fields are money, checked on the
//!   number's text before decoding, and which the spec marks `nullable`;
//! - [`Envelope`], for the two lists whose generated envelope drops an empty array
//!   (`usageRecords`, `models`): the sandbox always writes the array;
//! - [`TransactionItem`] and [`TransactionList`], because the spec types the embedded
//!   `reservation` and `usage` of a transaction as free-form objects, which could only be
//!   filled through a `serde_json::Value` (a float for every number); the embedded objects are
//!   the generated `Reservation` and `UsageRecord`, written exactly.
//!
//! Envelopes are built in the handlers (`crate::routes`), from the generated response types;
//! the store returns the objects inside them. Response types are `#[non_exhaustive]`, so they
//! are built with [`wire!`] rather than struct literals.

use credits_types::types;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::extract::Body;

/// Builds a generated type of `credits_types::types` written as a struct literal, through
/// the type's generated builder: evaluates to `Result<T, ApiError>`.
///
/// The SDK marks its response types `#[non_exhaustive]` (a field the API adds later is then
/// no breaking change for its users), which forbids struct expressions outside the SDK. So
///
/// ```ignore
/// wire!(types::Balance { account_id: row.id.clone(), external_id, balance: credits_out(b), ... })?
/// ```
///
/// expands to `types::Balance::builder().account_id(row.id.clone()).external_id(external_id)...`
/// followed by the builder's `TryFrom` conversion into `types::Balance`:
///
/// - each field is a setter, so a misspelt or removed field does not compile; the shorthand
///   `field` stands for `field: field`, as in a literal;
/// - a field left out keeps the builder's default: `None` for an optional field (so `x: None`
///   is simply omitted), none for a required one, which makes the conversion fail;
/// - setters take any `T: TryInto<FieldType>`; pass values of the field's own type, as a
///   literal would, so that no conversion can fail at run time.
///
/// A failed conversion is a bug of the sandbox (a required field left out), never caused by a
/// request: it is answered as a 500 `internal_error` naming the type, through `?`.
macro_rules! wire {
    ($ty:path { $($field:ident $(: $value:expr)?),* $(,)? }) => {
        <$ty>::try_from(<$ty>::builder() $(.$field($crate::spec::wire!(@value $field $($value)?)))*)
            .map_err(|error| {
                $crate::error::ApiError::internal(format!("sandbox bug: incomplete `{}`: {error}", stringify!($ty)))
            })
    };
    // `field: value` passes `value`; the shorthand `field` passes the variable `field`.
    (@value $field:ident $value:expr) => {
        $value
    };
    (@value $field:ident) => {
        $field
    };
}
pub(crate) use wire;

impl Body for types::CreateAccountRequest {
    const NULLABLE: &'static [&'static str] = &["metadata"];
}

impl Body for types::AddCreditsRequest {
    const CREDITS: &'static [&'static str] = &["amount"];
    const NULLABLE: &'static [&'static str] = &["metadata"];
}

impl Body for types::DeductCreditsRequest {
    const CREDITS: &'static [&'static str] = &["amount"];
    const NULLABLE: &'static [&'static str] = &["metadata"];
}

impl Body for types::CreateTransactionRequest {
    const CREDITS: &'static [&'static str] = &["amount"];
    const NULLABLE: &'static [&'static str] = &["metadata"];
}

impl Body for types::CreatePlanRequest {
    const CREDITS: &'static [&'static str] = &["amount"];
    const NULLABLE: &'static [&'static str] = &["occurrences"];
}

impl Body for types::ArchivePlanRequest {}

impl Body for types::AssignPlanRequest {}

impl Body for types::CreateReservationRequest {
    const CREDITS: &'static [&'static str] = &["amount"];
    const NULLABLE: &'static [&'static str] = &["metadata"];
}

impl Body for types::ConfirmReservationRequest {
    const CREDITS: &'static [&'static str] = &["actualAmount"];
}

impl Body for types::CancelReservationRequest {}

impl Body for types::RecordUsageRequest {
    const SECONDS: &'static [&'static str] = &["audioDurationSeconds"];
}

impl Body for types::CalculateCostRequest {
    const SECONDS: &'static [&'static str] = &["audioDurationSeconds"];
}

/// `{"success": true, "<key>": value}`, for lists whose generated envelope would leave out an
/// empty array.
#[derive(Debug)]
pub struct Envelope<T> {
    key: &'static str,
    value: T,
}

/// `{"success": true, key: value}`.
pub fn success<T: Serialize>(key: &'static str, value: T) -> Envelope<T> {
    Envelope { key, value }
}

impl<T: Serialize> Serialize for Envelope<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("success", &true)?;
        map.serialize_entry(self.key, &self.value)?;
        map.end()
    }
}

/// A ledger entry with what `include=reservation,usage` embeds.
#[derive(Debug, Serialize)]
pub struct TransactionItem {
    /// The entry; its free-form `reservation` and `usage` are left empty.
    #[serde(flatten)]
    pub transaction: types::Transaction,
    /// `include=reservation`: the reservation, or `null` for an entry without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation: Option<Option<types::Reservation>>,
    /// `include=usage`: the usage records of the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Vec<types::UsageRecord>>,
}

/// `GET /v1/transactions`: the generated `TransactionPage` with [`TransactionItem`]s.
#[derive(Debug, Serialize)]
pub struct TransactionList {
    /// Newest first.
    pub items: Vec<TransactionItem>,
    /// Where the page is.
    pub pagination: types::Pagination,
}

#[cfg(test)]
mod tests {
    use schemars::Schema;

    use super::*;

    /// The properties of a generated request type whose schema is the SDK's `Amount` (the
    /// spec's `PositiveCredits`), read from the type's JSON schema.
    fn amount_fields<T: schemars::JsonSchema>() -> Vec<String> {
        let schema: Schema = schemars::schema_for!(T);
        let properties = schema.get("properties").and_then(|p| p.as_object()).cloned().unwrap_or_default();
        let mut fields: Vec<String> = properties
            .into_iter()
            .filter(|(_, property)| property.to_string().contains("#/$defs/Amount"))
            .map(|(name, _)| name)
            .collect();
        fields.sort();
        fields
    }

    fn listed<T: Body>() -> Vec<String> {
        T::CREDITS.iter().map(|s| s.to_string()).collect()
    }

    /// A spec edit that adds or renames an amount field fails here until the rules follow.
    #[test]
    fn every_amount_field_of_every_request_is_checked_as_credits() {
        macro_rules! check {
            ($($t:ty),+) => {$(
                assert_eq!(amount_fields::<$t>(), listed::<$t>(), stringify!($t));
            )+};
        }
        check!(
            types::CreateAccountRequest,
            types::AddCreditsRequest,
            types::DeductCreditsRequest,
            types::CreateTransactionRequest,
            types::CreatePlanRequest,
            types::ArchivePlanRequest,
            types::AssignPlanRequest,
            types::CreateReservationRequest,
            types::ConfirmReservationRequest,
            types::CancelReservationRequest,
            types::RecordUsageRequest,
            types::CalculateCostRequest
        );
        assert_eq!(listed::<types::ConfirmReservationRequest>(), ["actualAmount"]);
    }

    #[test]
    fn wire_builds_the_type_and_answers_a_missing_required_field_with_a_500() {
        let (limit, has_more) = (10_i64, false);
        let page = wire!(types::Pagination { limit, offset: 0_i64, total_count: 0_i64, has_more }).unwrap();
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            serde_json::json!({"limit": 10, "offset": 0, "totalCount": 0, "hasMore": false})
        );
        let error = wire!(types::Pagination { limit, offset: 0_i64, total_count: 0_i64 }).unwrap_err();
        assert_eq!((error.status.as_u16(), error.code), (500, "internal_error"));
        assert!(error.message.contains("types::Pagination") && error.message.contains("has_more"), "{}", error.message);
    }

    #[test]
    fn envelopes_always_write_the_list() {
        let text = serde_json::to_string(&success("usageRecords", Vec::<types::UsageRecord>::new())).unwrap();
        assert_eq!(text, r#"{"success":true,"usageRecords":[]}"#);
    }
}
