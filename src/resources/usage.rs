//! Usage: record usage events, list them, and summarise them.

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::{Error, Result};
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

    fn new(customer: Option<(AccountRef, String)>, model_id: String) -> Self {
        Self { customer, model_id, counts: TokenCounts::default(), description: None }
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
