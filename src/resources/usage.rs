//! Usage: record usage events, list them, and summarise them.

use std::time::Instant;

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::{Applied, Error, Result};
use crate::pipeline::CallReport;
use crate::requests::parts::{DateWindow, TokenCounts, description_setter, token_setters, window_setter};
use crate::requests::validate;
use crate::requests::{AccountQuery, AccountRef};
use crate::values::UsageContext;

/// One usage event. [`RecordUsage::customer`] ties it to an account and the transaction that
/// paid for it (usually from a confirm); [`RecordUsage::system`] is your own usage.
///
/// ```
/// use credits_sdk::{AccountRef, RecordUsage, UsageType};
///
/// let chat = RecordUsage::customer(AccountRef::id("acc_123"), "txn_xyz789", "gpt-4o")
///     .usage_type(UsageType::Text)
///     .tokens(1000, 420)
///     .description("Chat completion");
/// let internal = RecordUsage::system("text-embedding-3-small").tokens(5000, 0);
/// # let _ = (chat, internal);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct RecordUsage {
    customer: Option<(AccountRef, String)>,
    model_id: String,
    counts: TokenCounts,
    description: Option<String>,
}

impl RecordUsage {
    /// An account's usage of `model_id`, paid for by `transaction_id`.
    pub fn customer(
        account: impl Into<AccountRef>,
        transaction_id: impl Into<String>,
        model_id: impl Into<String>,
    ) -> Self {
        Self::new(Some((account.into(), transaction_id.into())), model_id.into())
    }

    /// Your own internal usage of `model_id`.
    pub fn system(model_id: impl Into<String>) -> Self {
        Self::new(None, model_id.into())
    }

    /// An account's `usage` of a model, paid for by `transaction_id`: what
    /// [`CreditsClient::metered`] records after its confirm.
    ///
    /// ```
    /// use credits_sdk::{AccountRef, ModelUsage, RecordUsage};
    /// let usage = ModelUsage::new("gpt-4o").tokens(1000, 420);
    /// let record = RecordUsage::for_transaction(AccountRef::id("acc_123"), "txn_xyz789", usage);
    /// # let _ = record;
    /// ```
    pub fn for_transaction(
        account: impl Into<AccountRef>,
        transaction_id: impl Into<String>,
        usage: ModelUsage,
    ) -> Self {
        let ModelUsage { model_id, counts, description } = usage;
        Self { customer: Some((account.into(), transaction_id.into())), model_id, counts, description }
    }

    fn new(customer: Option<(AccountRef, String)>, model_id: String) -> Self {
        Self { customer, model_id, counts: TokenCounts::default(), description: None }
    }

    /// The transaction the usage belongs to (`None` for system usage).
    pub fn transaction_id(&self) -> Option<&str> {
        self.customer.as_ref().map(|(_, transaction)| transaction.as_str())
    }

    token_setters!();
    description_setter!("What the usage was, e.g. `Chat completion`.");

    fn into_body(self) -> Result<types::RecordUsageRequest> {
        let (context, account_id, external_id, transaction_id) = match self.customer {
            Some((account, transaction)) => {
                let (account_id, external_id) = account.into_wire()?;
                validate::require_non_empty("transaction id", &transaction)?;
                (UsageContext::Customer, account_id, external_id, Some(transaction))
            }
            None => (UsageContext::System, None, None, None),
        };
        Ok(types::RecordUsageRequest {
            context: Some(context),
            account_id,
            external_id,
            transaction_id,
            model_id: validate::non_empty("model id", &self.model_id)?,
            audio_duration_seconds: self.counts.audio_seconds()?,
            usage_type: self.counts.usage_type,
            input_tokens: self.counts.input,
            output_tokens: self.counts.output,
            cached_tokens: self.counts.cached,
            description: self.description,
        })
    }
}

/// What a model was used for, without the account and transaction it is billed to: the usage
/// that [`Metered`](crate::Metered) work reports, recorded by [`CreditsClient::metered`] with
/// the confirm's transaction.
///
/// ```
/// use credits_sdk::{ModelUsage, UsageType};
/// let usage = ModelUsage::new("gpt-4o").usage_type(UsageType::Text).tokens(1000, 420).description("Chat completion");
/// # let _ = usage;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ModelUsage {
    model_id: String,
    counts: TokenCounts,
    description: Option<String>,
}

impl ModelUsage {
    /// Usage of `model_id` (e.g. `gpt-4o`); set the tokens or audio seconds next.
    pub fn new(model_id: impl Into<String>) -> Self {
        Self { model_id: model_id.into(), counts: TokenCounts::default(), description: None }
    }

    token_setters!();
    description_setter!("What the usage was, e.g. `Chat completion`.");
}

/// How many times [`CreditsClient::record_usage_once`] sends a record whose earlier attempts
/// are known (by a look-up) not to have landed.
const RECORD_TRIES: u32 = 3;

/// Why [`CreditsClient::record_usage_once`] (or
/// [`record_usage_if_absent`](CreditsClient::record_usage_if_absent)) did not return the
/// record: known not recorded, or unknown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The usage is known **not** to be recorded: refused, never sent, or each attempt looked
    /// up and found absent. Recording it again cannot count it twice.
    #[error("the usage was not recorded: {0}")]
    NotRecorded(#[source] Error),
    /// Whether the usage was recorded is **unknown**: an attempt may have landed and the
    /// look-up could not tell. Settle it with
    /// [`record_usage_if_absent`](CreditsClient::record_usage_if_absent), never with a plain
    /// [`record_usage`](CreditsClient::record_usage).
    #[error("the usage may or may not be recorded: {0}")]
    Unknown(#[source] Error),
}

impl UsageError {
    /// The error behind it.
    pub fn error(&self) -> &Error {
        match self {
            UsageError::NotRecorded(error) | UsageError::Unknown(error) => error,
        }
    }

    /// Whether the outcome is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, UsageError::Unknown(_))
    }
}

fn unreadable() -> Error {
    Error::Decode {
        status: None,
        reason: "the listed usage records do not all say which transaction they belong to".into(),
        excerpt: String::new(),
    }
}

/// What a look-up of the records of one transaction found.
enum Lookup {
    Found(Box<types::UsageRecord>),
    /// No record carries the transaction's id, and every record says which transaction it
    /// belongs to.
    Absent,
    /// No record carries the transaction's id, but some records do not say which transaction
    /// they belong to (the documented list items omit `transactionId`): one of them may be it.
    Unreadable,
}

fn find_record(records: Vec<types::UsageRecord>, transaction_id: &str) -> Lookup {
    let mut unreadable = false;
    for record in records {
        match record.transaction_id.as_deref() {
            Some(id) if id == transaction_id => return Lookup::Found(Box::new(record)),
            Some(_) => {}
            None => unreadable = true,
        }
    }
    if unreadable { Lookup::Unreadable } else { Lookup::Absent }
}

/// Which usage records to list or summarise: every filter is optional.
///
/// A [`UsageContext`] converts into a query, so `client.get_usage_summary(UsageContext::Customer)`
/// reads like the TypeScript SDK's `getUsageSummary("customer")`.
///
/// ```
/// use credits_sdk::{AccountRef, UsageContext, GetUsage};
///
/// let query = GetUsage::new().account(AccountRef::external("user_456")).context(UsageContext::Customer);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct GetUsage {
    account: Option<AccountRef>,
    model_id: Option<String>,
    context: Option<UsageContext>,
    window: DateWindow,
}

impl GetUsage {
    /// All usage of the project.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this account's usage.
    pub fn account(mut self, account: impl Into<AccountRef>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Only this model's usage.
    pub fn model(mut self, model_id: impl Into<String>) -> Self {
        self.model_id = Some(model_id.into());
        self
    }

    /// Only customer or only system usage.
    pub fn context(mut self, context: UsageContext) -> Self {
        self.context = Some(context);
        self
    }

    window_setter!();
}

impl From<UsageContext> for GetUsage {
    fn from(context: UsageContext) -> Self {
        GetUsage::new().context(context)
    }
}

impl CreditsClient {
    /// Records a usage event; its cost comes from the built-in model prices
    /// (`POST /v1/usage/record`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, RecordUsage};
    /// let record = client.record_usage(RecordUsage::customer(AccountRef::id("acc_1"), "txn_1", "gpt-4o").tokens(1000, 420)).await?;
    /// println!("cost: ${:?}", record.usage_record.estimated_cost_usd);
    /// # Ok(()) }
    /// ```
    pub async fn record_usage(&self, usage: RecordUsage) -> Result<types::RecordUsageResponse> {
        let body = usage.into_body()?;
        self.call(self.api().record_usage().body(body).send()).await
    }

    /// Records a customer's usage **exactly once**, even when an attempt's outcome is unknown.
    ///
    /// `POST /v1/usage/record` is not safe to repeat: after a timeout, a connection reset once
    /// the request was sent, or a 5xx, the record may have landed, and sending it again would
    /// count the usage twice. So this method looks before it tries again: it lists the
    /// account's usage of the same model (`GET /v1/usage`) and returns the record already
    /// written for the same `transactionId` if there is one; only when there is none does it
    /// send the record again. All of it, attempts and look-ups, within one call budget
    /// ([`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed)), at most 3 sends.
    ///
    /// It rests on one assumption (INFERRED, the reference does not say): **one usage record
    /// per transaction**. A record carrying this `transactionId` is taken to be this one, so
    /// record each confirmed transaction's usage once (several records for one charge would be
    /// mistaken for each other). The look-up also needs the listed records to carry their
    /// `transactionId` (the documented list example omits it): when a record of the same
    /// account and model does not say which transaction it belongs to, the outcome stays
    /// unknown rather than risk a second record.
    ///
    /// - `Ok(record)`: recorded once, by this call or an attempt of it whose answer was lost.
    /// - `Err(UsageError::NotRecorded(e))`: known not to be recorded (refused, never sent, or
    ///   looked up and absent after every attempt); fix the cause, or try again later.
    /// - `Err(UsageError::Unknown(e))`: even the look-up could not tell within the budget.
    ///   Resolve it later with [`record_usage_if_absent`](Self::record_usage_if_absent), which
    ///   looks first.
    ///
    /// Usage without a customer ([`RecordUsage::system`]) has no transaction to look up by:
    /// it is refused (`NotRecorded` with `InvalidInput`); use [`record_usage`](Self::record_usage).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> Result<(), credits_sdk::UsageError> {
    /// use credits_sdk::{AccountRef, RecordUsage};
    /// let record = client
    ///     .record_usage_once(RecordUsage::customer(AccountRef::id("acc_1"), "txn_1", "gpt-4o").tokens(1000, 420))
    ///     .await?;
    /// println!("recorded {}", record.id);
    /// # Ok(()) }
    /// ```
    pub async fn record_usage_once(&self, usage: RecordUsage) -> std::result::Result<types::UsageRecord, UsageError> {
        self.record_once(usage, false).await
    }

    /// Like [`record_usage_once`](Self::record_usage_once), but looks first: records the usage
    /// only if no record of its transaction exists yet. Use it to settle a record whose outcome
    /// was [unknown](UsageError::Unknown), e.g. from a queue of records to retry, or after a
    /// restart. One more request than `record_usage_once` when the record is absent.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> Result<(), credits_sdk::UsageError> {
    /// use credits_sdk::{AccountRef, RecordUsage};
    /// let usage = RecordUsage::customer(AccountRef::id("acc_1"), "txn_1", "gpt-4o").tokens(1000, 420);
    /// let record = client.record_usage_if_absent(usage).await?;
    /// # Ok(()) }
    /// ```
    pub async fn record_usage_if_absent(
        &self,
        usage: RecordUsage,
    ) -> std::result::Result<types::UsageRecord, UsageError> {
        self.record_once(usage, true).await
    }

    async fn record_once(
        &self,
        usage: RecordUsage,
        look_first: bool,
    ) -> std::result::Result<types::UsageRecord, UsageError> {
        let Some((account, transaction_id)) = usage.customer.clone() else {
            return Err(UsageError::NotRecorded(Error::invalid(
                "usage without a customer has no transaction to look up by; use record_usage",
            )));
        };
        // Checked once, before anything is sent.
        usage.clone().into_body().map_err(UsageError::NotRecorded)?;
        let lookup = GetUsage::new().account(account).model(usage.model_id.clone()).context(UsageContext::Customer);
        let within = self.until(Instant::now() + self.call_budget());
        let look = |error: Option<Error>| {
            let (within, lookup, transaction_id) = (&within, lookup.clone(), transaction_id.as_str());
            async move {
                match within.get_usage(lookup).await {
                    Ok(records) => match find_record(records, transaction_id) {
                        Lookup::Found(record) => Ok(Some(*record)),
                        Lookup::Absent => Ok(None),
                        Lookup::Unreadable => Err(UsageError::Unknown(error.unwrap_or_else(unreadable))),
                    },
                    // Not learned: the outcome stays unknown.
                    Err(lookup_error) => Err(UsageError::Unknown(error.unwrap_or(lookup_error))),
                }
            }
        };
        if look_first && let Some(record) = look(None).await? {
            return Ok(record);
        }
        for _ in 0..RECORD_TRIES {
            let error = match within.record_usage(usage.clone()).await {
                Ok(recorded) => return Ok(recorded.usage_record),
                Err(error) if error.applied() == Applied::No => return Err(UsageError::NotRecorded(error)),
                Err(error) => error,
            };
            // The record may have landed: look before sending it again.
            match look(Some(error)).await {
                Ok(Some(record)) => return Ok(record),
                Ok(None) => {}
                Err(unknown) => return Err(unknown),
            }
        }
        Err(UsageError::NotRecorded(Error::invalid(format!(
            "the usage was not recorded: {RECORD_TRIES} attempts failed, and each was looked up and found absent"
        ))))
    }

    /// Lists usage records (`GET /v1/usage`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, UsageContext, GetUsage};
    /// let records = client.get_usage(GetUsage::new().account(AccountRef::external("user_456")).context(UsageContext::Customer)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_usage(&self, query: impl Into<GetUsage>) -> Result<Vec<types::UsageRecord>> {
        let (response, _) = self.usage_request(query.into(), false).await;
        Ok(response?.usage_records)
    }

    /// Summarises usage: totals, by context and by model (`GET /v1/usage?summary=true`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::UsageContext;
    /// let summary = client.get_usage_summary(UsageContext::Customer).await?;
    /// println!("spent ${:?}", summary.total_cost_usd);
    /// # Ok(()) }
    /// ```
    pub async fn get_usage_summary(&self, query: impl Into<GetUsage>) -> Result<types::UsageSummary> {
        let (response, observed) = self.usage_request(query.into(), true).await;
        let response = response?;
        match response.summary {
            Some(summary) => Ok(summary),
            None => Err(Error::missing_member(observed.status, "summary", &response)),
        }
    }

    async fn usage_request(&self, query: GetUsage, summary: bool) -> (Result<types::UsageResponse>, CallReport) {
        let mut request = self.api().get_usage();
        if let Some(account) = &query.account {
            request = match request.for_account(account) {
                Ok(request) => request,
                Err(error) => return (Err(error), CallReport::default()),
            };
        }
        if let Some(model) = &query.model_id {
            match validate::non_empty("model id", model) {
                Ok(model) => request = request.model_id(model),
                Err(error) => return (Err(error), CallReport::default()),
            }
        }
        if let Some(context) = query.context {
            request = request.context(context);
        }
        if let Some(start) = query.window.start {
            request = request.start_date(start);
        }
        if let Some(end) = query.window.end {
            request = request.end_date(end);
        }
        if summary {
            request = request.summary(true);
        }
        self.call_observed(request.send()).await
    }
}
