//! Wire types: request bodies and response bodies, camelCase exactly as `openapi.yaml`.
//!
//! Optional request fields that the spec does not mark nullable reject an explicit `null`
//! (see [`present`]); `metadata` is nullable and accepts it.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

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
    pub amount: f64,
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
    pub amount: f64,
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
    pub amount: f64,
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
    pub audio_duration_seconds: Option<f64>,
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
    pub amount: f64,
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
    pub actual_amount: f64,
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
    pub audio_duration_seconds: Option<f64>,
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
    pub balance: f64,
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
    pub balance: f64,
    /// Held by pending reservations.
    pub reserved: f64,
    /// `balance - reserved`.
    pub available: f64,
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
    pub credits: f64,
    /// Price.
    pub price: Option<f64>,
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
    pub credits: f64,
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
    pub amount: f64,
    /// What it is for.
    pub description: Option<String>,
    /// Balance after the entry.
    pub balance_after: f64,
    /// Free-form metadata.
    pub metadata: Option<Metadata>,
    /// The reservation it confirmed.
    pub reservation_id: Option<String>,
    /// Embedded reservation (`include=reservation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation: Option<Value>,
    /// Embedded usage records (`include=usage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Vec<Value>>,
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
    pub audio_duration_seconds: Option<f64>,
    /// What it was.
    pub description: Option<String>,
    /// Cost in USD.
    pub estimated_cost_usd: f64,
    /// Recorded at.
    pub created_at: String,
}

/// One model's share of a summary.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    /// Cost in USD.
    pub cost_usd: f64,
    /// Records.
    pub count: i64,
}

/// Usage totals.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    /// Total cost.
    pub total_cost_usd: f64,
    /// Total input tokens.
    pub total_input_tokens: u64,
    /// Total output tokens.
    pub total_output_tokens: u64,
    /// Records summarised.
    pub total_records: i64,
    /// Cost by context.
    pub by_context: std::collections::BTreeMap<String, f64>,
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
    pub amount: f64,
    /// Status.
    pub status: ReservationStatus,
    /// Charged amount once confirmed.
    pub actual_amount: Option<f64>,
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
    pub input_per_million: f64,
    /// Output.
    pub output_per_million: f64,
    /// Cached input.
    pub cached_input_per_million: f64,
}

/// Audio price per second.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioPricing {
    /// USD per second.
    pub per_second: f64,
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
    pub input_per_million: Option<f64>,
    /// Output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_per_million: Option<f64>,
    /// Cached input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_input_per_million: Option<f64>,
    /// Per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_second: Option<f64>,
}
