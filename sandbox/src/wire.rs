//! Wire types: request bodies and response bodies, camelCase exactly as `openapi.yaml`.
//!
//! Optional request fields that the spec does not mark nullable reject an explicit `null`
//! (see [`present`]); `metadata` is nullable and accepts it.
//!
//! Credits and dollars are exact: requests carry them as [`JsonNumber`] (the number's text,
//! checked by `money::credits`), responses as [`Exact`]. Responses are serialized straight to
//! text, never through a `serde_json::Value`, so that no number passes through a float.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::money::{Exact, JsonNumber};

/// Free-form metadata object.
pub type Metadata = Map<String, Value>;

/// Deserializes a field that may be absent but, when present, must not be `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

// ----- shared enums ---------------------------------------------------------------------

/// Direction of a ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionType {
    /// Credits added.
    Credit,
    /// Credits spent.
    Debit,
}

/// Whose usage a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageContext {
    /// An account's usage, billed.
    Customer,
    /// Your own usage.
    System,
}

/// What was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageType {
    /// Text tokens.
    #[serde(rename = "text")]
    Text,
    /// Speech to text seconds.
    #[serde(rename = "audio_stt")]
    AudioStt,
    /// Text to speech seconds.
    #[serde(rename = "audio_tts")]
    AudioTts,
    /// Embedding tokens.
    #[serde(rename = "embedding")]
    Embedding,
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Held, neither confirmed nor cancelled, not expired.
    Pending,
    /// Charged with an actual amount.
    Confirmed,
    /// Released by a cancel.
    Cancelled,
    /// Released because its TTL passed.
    Expired,
}

impl ReservationStatus {
    /// The wire value, e.g. `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// How often a plan grants its credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanInterval {
    /// Daily.
    #[serde(rename = "1d")]
    Day,
    /// Weekly.
    #[serde(rename = "week")]
    Week,
    /// Monthly.
    #[serde(rename = "month")]
    Month,
}

impl PlanInterval {
    /// The wire value (`1d`, `week`, `month`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "1d",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The billing period as plan lists say it (`daily`, `weekly`, `monthly`).
    pub fn billing_period(self) -> &'static str {
        match self {
            Self::Day => "daily",
            Self::Week => "weekly",
            Self::Month => "monthly",
        }
    }
}

/// When an assigned plan starts granting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    /// Grant the plan's credits now.
    Immediate,
    /// Wait for the next period (the default): nothing is granted now.
    #[default]
    NextPeriod,
}

// ----- requests -------------------------------------------------------------------------

/// `POST /v1/accounts/create`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAccountRequest {
    /// Display name (required).
    pub name: String,
    /// Your own id, unique in the project.
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<String>,
    /// Contact email.
    #[serde(default, deserialize_with = "present")]
    pub email: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `POST /v1/accounts/credits/add` and `/deduct`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditsRequest {
    /// The account's id.
    #[serde(default, deserialize_with = "present")]
    pub account_id: Option<String>,
    /// Your own id of the account.
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<String>,
    /// Credits to move (> 0).
    pub amount: JsonNumber,
    /// Why.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
    /// How it was paid (add only).
    #[serde(default, deserialize_with = "present")]
    pub payment_method: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `POST /v1/plans/create`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePlanRequest {
    /// The plan's name.
    pub name: String,
    /// Credits granted per interval.
    pub amount: JsonNumber,
    /// How often.
    pub interval: PlanInterval,
    /// How many grants in all; `null` for no limit.
    #[serde(default)]
    pub occurrences: Option<i64>,
    /// Whether unused credits roll over.
    #[serde(default, deserialize_with = "present")]
    pub accumulate: Option<bool>,
    /// Whether the plan is assignable once created (default true).
    #[serde(default, deserialize_with = "present")]
    pub mark_as_active: Option<bool>,
}

/// `POST /v1/plans/archive`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchivePlanRequest {
    /// The plan's id.
    pub plan_id: String,
}

/// `POST /v1/accounts/plans/assign`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignPlanRequest {
    /// The account's id.
    #[serde(default, deserialize_with = "present")]
    pub account_id: Option<String>,
    /// Your own id of the account.
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<String>,
    /// The plan to assign.
    pub plan_id: String,
    /// When it starts granting.
    #[serde(default, deserialize_with = "present")]
    pub start_mode: Option<StartMode>,
}

/// `POST /v1/transactions/create`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTransactionRequest {
    /// The account's id.
    #[serde(default, deserialize_with = "present")]
    pub account_id: Option<String>,
    /// Your own id of the account.
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<String>,
    /// Credits moved (> 0).
    pub amount: JsonNumber,
    /// Direction.
    #[serde(rename = "type")]
    pub kind: TransactionType,
    /// What it is for.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `POST /v1/usage/record`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordUsageRequest {
    /// Whose usage (default customer).
    #[serde(default, deserialize_with = "present")]
    pub context: Option<UsageContext>,
    /// The account's id.
    #[serde(default, deserialize_with = "present")]
    pub account_id: Option<String>,
    /// Your own id of the account.
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<String>,
    /// The charge it belongs to.
    #[serde(default, deserialize_with = "present")]
    pub transaction_id: Option<String>,
    /// The model used.
    pub model_id: String,
    /// What was used.
    #[serde(default, deserialize_with = "present")]
    pub usage_type: Option<UsageType>,
    /// Input tokens.
    #[serde(default, deserialize_with = "present")]
    pub input_tokens: Option<u64>,
    /// Output tokens.
    #[serde(default, deserialize_with = "present")]
    pub output_tokens: Option<u64>,
    /// Cached input tokens.
    #[serde(default, deserialize_with = "present")]
    pub cached_tokens: Option<u64>,
    /// Seconds of audio.
    #[serde(default, deserialize_with = "present")]
    pub audio_duration_seconds: Option<JsonNumber>,
    /// What the usage was.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
}

/// `POST /v1/reservations/create`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReservationRequest {
    /// The account's id.
    #[serde(default, deserialize_with = "present")]
    pub account_id: Option<String>,
    /// Your own id of the account.
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<String>,
    /// Credits to hold (> 0).
    pub amount: JsonNumber,
    /// Echoed in `metadata.operation`.
    #[serde(default, deserialize_with = "present")]
    pub operation: Option<String>,
    /// Echoed in `metadata.model`.
    #[serde(default, deserialize_with = "present")]
    pub model: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// Hold lifetime in seconds (1..=86400).
    #[serde(default, deserialize_with = "present")]
    pub expires_in_seconds: Option<i64>,
}

/// `POST /v1/reservations/confirm`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmReservationRequest {
    /// The reservation's id.
    pub reservation_id: String,
    /// Credits actually used (> 0, at most the reserved amount).
    pub actual_amount: JsonNumber,
}

/// `POST /v1/reservations/cancel`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelReservationRequest {
    /// The reservation's id.
    pub reservation_id: String,
}

/// `POST /v1/models/calculate`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalculateCostRequest {
    /// The model.
    pub model_id: String,
    /// Input tokens.
    #[serde(default, deserialize_with = "present")]
    pub input_tokens: Option<u64>,
    /// Output tokens.
    #[serde(default, deserialize_with = "present")]
    pub output_tokens: Option<u64>,
    /// Cached input tokens.
    #[serde(default, deserialize_with = "present")]
    pub cached_tokens: Option<u64>,
    /// What is priced.
    #[serde(default, deserialize_with = "present")]
    pub usage_type: Option<UsageType>,
    /// Seconds of audio.
    #[serde(default, deserialize_with = "present")]
    pub audio_duration_seconds: Option<JsonNumber>,
}

// ----- responses ------------------------------------------------------------------------

/// An account object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// `acc_…`.
    pub id: String,
    /// Always `dev_sandbox`.
    pub developer_id: String,
    /// Your own id.
    pub external_id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Current balance.
    pub balance: Exact,
    /// Free-form metadata.
    pub metadata: Option<Metadata>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// An account's balance.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// The account's id.
    pub account_id: String,
    /// Your own id.
    pub external_id: Option<String>,
    /// Balance.
    pub balance: Exact,
    /// Held by pending reservations.
    pub reserved: Exact,
    /// `balance - reserved`.
    pub available: Exact,
}

/// A plan object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// `plan_…`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Credits per interval.
    pub credits: Exact,
    /// Price.
    pub price: Option<Exact>,
    /// `daily`, `weekly`, `monthly`.
    pub billing_period: Option<String>,
    /// `1d`, `week`, `month`.
    pub interval: Option<String>,
    /// Grants in all.
    pub occurrences: Option<i64>,
    /// Roll over.
    pub accumulate: Option<bool>,
    /// False once archived.
    pub is_active: bool,
}

/// The abridged plan in an assignment.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// The plan's id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Credits.
    pub credits: Exact,
}

/// A plan assignment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPlan {
    /// `accountPlan_…`.
    pub id: String,
    /// The account's id.
    pub account_id: String,
    /// The plan's id.
    pub plan_id: String,
    /// Current plan of the account.
    pub active: bool,
    /// Start.
    pub started_at: String,
    /// End; `null` while active.
    pub expires_at: Option<String>,
    /// The plan, abridged.
    pub plan: PlanSummary,
}

/// A ledger entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// `txn_…`.
    pub id: String,
    /// The account's id.
    pub account_id: String,
    /// Direction.
    #[serde(rename = "type")]
    pub kind: TransactionType,
    /// Positive amount.
    pub amount: Exact,
    /// What it is for.
    pub description: Option<String>,
    /// Balance after the entry.
    pub balance_after: Exact,
    /// Free-form metadata.
    pub metadata: Option<Metadata>,
    /// The reservation it confirmed.
    pub reservation_id: Option<String>,
    /// Embedded reservation (`include=reservation`): the reservation, or `null` for an entry
    /// without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation: Option<Option<Reservation>>,
    /// Embedded usage records (`include=usage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Vec<UsageRecord>>,
    /// Written at.
    pub created_at: String,
}

/// `{limit, offset, totalCount, hasMore}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Items in the whole list.
    pub total_count: i64,
    /// Items follow this page.
    pub has_more: bool,
}

/// A usage record.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageRecord {
    /// `usage_…`.
    pub id: String,
    /// Whose usage.
    pub context: UsageContext,
    /// The account's id.
    pub account_id: Option<String>,
    /// The charge.
    pub transaction_id: Option<String>,
    /// The model.
    pub model_id: String,
    /// What was used.
    pub usage_type: UsageType,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cached tokens.
    pub cached_tokens: u64,
    /// Audio seconds.
    pub audio_duration_seconds: Option<Exact>,
    /// What it was.
    pub description: Option<String>,
    /// Cost in USD.
    pub estimated_cost_usd: Exact,
    /// Recorded at.
    pub created_at: String,
}

/// One model's share of a summary.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    /// Cost in USD.
    pub cost_usd: Exact,
    /// Records.
    pub count: i64,
}

/// Usage totals.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    /// Total cost.
    pub total_cost_usd: Exact,
    /// Total input tokens.
    pub total_input_tokens: u64,
    /// Total output tokens.
    pub total_output_tokens: u64,
    /// Records summarised.
    pub total_records: i64,
    /// Cost by context.
    pub by_context: std::collections::BTreeMap<String, Exact>,
    /// Cost and count by model.
    pub by_model: std::collections::BTreeMap<String, ModelUsage>,
}

/// A reservation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    /// `res_…`.
    pub id: String,
    /// The account's id.
    pub account_id: String,
    /// Held amount.
    pub amount: Exact,
    /// Status.
    pub status: ReservationStatus,
    /// Charged amount once confirmed.
    pub actual_amount: Option<Exact>,
    /// Metadata with `operation` and `model` merged in.
    pub metadata: Option<Metadata>,
    /// Created at.
    pub created_at: String,
    /// Lapses at.
    pub expires_at: Option<String>,
}

/// Token prices per million.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPricing {
    /// Input.
    pub input_per_million: Exact,
    /// Output.
    pub output_per_million: Exact,
    /// Cached input.
    pub cached_input_per_million: Exact,
}

/// Audio price per second.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioPricing {
    /// USD per second.
    pub per_second: Exact,
}

/// A model's prices keyed by usage type.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPricing {
    /// Text tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TokenPricing>,
    /// Embedding tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding: Option<TokenPricing>,
    /// Speech to text.
    #[serde(rename = "audio_stt", skip_serializing_if = "Option::is_none")]
    pub audio_stt: Option<AudioPricing>,
    /// Text to speech.
    #[serde(rename = "audio_tts", skip_serializing_if = "Option::is_none")]
    pub audio_tts: Option<AudioPricing>,
    /// Context window in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<i64>,
}

/// A model with its prices.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// Id, e.g. `gpt-4o`.
    pub model_id: String,
    /// e.g. `openai`.
    pub provider: String,
    /// e.g. `GPT-4o`.
    pub display_name: String,
    /// `text`, `multimodal`, `embedding`, `audio`.
    pub model_type: String,
    /// e.g. `flagship`.
    pub tier: String,
    /// Prices.
    pub pricing: ModelPricing,
}

/// Flat prices of an estimate.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlatPricing {
    /// Input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_per_million: Option<Exact>,
    /// Output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_per_million: Option<Exact>,
    /// Cached input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_input_per_million: Option<Exact>,
    /// Per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_second: Option<Exact>,
}

// ----- response envelopes ---------------------------------------------------------------

/// `{"success": true, "<key>": value}`, or `{"<key>": value}` for the bare lists.
#[derive(Debug)]
pub struct Envelope<T> {
    success: bool,
    key: &'static str,
    value: T,
}

/// `{"success": true, key: value}`.
pub fn success<T: Serialize>(key: &'static str, value: T) -> Envelope<T> {
    Envelope { success: true, key, value }
}

/// `{key: value}`, without `success` (e.g. `GET /v1/accounts`).
pub fn bare<T: Serialize>(key: &'static str, value: T) -> Envelope<T> {
    Envelope { success: false, key, value }
}

impl<T: Serialize> Serialize for Envelope<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1 + usize::from(self.success)))?;
        if self.success {
            map.serialize_entry("success", &true)?;
        }
        map.serialize_entry(self.key, &self.value)?;
        map.end()
    }
}

/// `GET /v1/transactions`: `{items, pagination}`.
#[derive(Debug, Serialize)]
pub struct TransactionPage {
    /// Newest first.
    pub items: Vec<Transaction>,
    /// Where the page is.
    pub pagination: Pagination,
}

/// Add or deduct: `{success, accountId, externalId, balance, added|deducted, transactionId}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditsMoved {
    /// Always true.
    pub success: bool,
    /// The account's id.
    pub account_id: String,
    /// Your own id.
    pub external_id: Option<String>,
    /// The balance after the move.
    pub balance: Exact,
    /// Credits added (add only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<Exact>,
    /// Credits deducted (deduct only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deducted: Option<Exact>,
    /// The ledger entry written.
    pub transaction_id: String,
}

/// `POST /v1/reservations/confirm`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationConfirmed {
    /// Always true.
    pub success: bool,
    /// The reservation.
    pub reservation_id: String,
    /// The debit written.
    pub transaction_id: String,
    /// The account's id.
    pub account_id: String,
    /// Credits charged.
    pub actual_amount: Exact,
    /// Credits released (reserved − charged).
    pub released_amount: Exact,
    /// The balance after the debit.
    pub balance: Exact,
}

/// `POST /v1/reservations/cancel`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationCancelled {
    /// Always true.
    pub success: bool,
    /// The reservation.
    pub reservation_id: String,
    /// The account's id.
    pub account_id: String,
    /// Credits released (all of them).
    pub released_amount: Exact,
    /// Always `cancelled`.
    pub status: ReservationStatus,
}

/// `POST /v1/accounts/plans/assign`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanAssigned {
    /// Always true.
    pub success: bool,
    /// The new assignment.
    pub account_plan: AccountPlan,
    /// Credits granted now (0 unless `startMode` is `immediate`).
    pub credits_granted: Exact,
}

/// `POST /v1/models/calculate`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostEstimate {
    /// Always true.
    pub success: bool,
    /// The model.
    pub model_id: String,
    /// Its display name.
    pub model_name: String,
    /// Cost in USD.
    pub estimated_cost_usd: Exact,
    /// The prices used.
    pub pricing: FlatPricing,
}
