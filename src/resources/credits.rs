//! Credits: grants and deductions without a reservation.

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::Result;
use crate::requests::AccountRef;
use crate::requests::parts::{AccountAmount, PendingMetadata, description_setter, metadata_setter};
use crate::values::{Amount, InvalidAmount};

/// A grant of credits: [`AddCredits::new`] with the account and amount, then the optional
/// setters.
///
/// ```
/// use credits_sdk::{AccountRef, AddCredits};
///
/// let grant = AddCredits::new(AccountRef::external("user_456"), 1000)
///     .description("Monthly plan purchase")
///     .payment_method("stripe")
///     .metadata(serde_json::json!({ "paymentId": "pay_xxx" }));
/// # let _ = grant;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct AddCredits {
    target: AccountAmount,
    description: Option<String>,
    payment_method: Option<String>,
    metadata: PendingMetadata,
}

impl AddCredits {
    /// Grants `amount` (greater than 0) credits to `account`.
    pub fn new(account: impl Into<AccountRef>, amount: impl TryInto<Amount, Error = InvalidAmount>) -> Self {
        Self {
            target: AccountAmount::new(account, amount),
            description: None,
            payment_method: None,
            metadata: PendingMetadata::default(),
        }
    }

    description_setter!("Why the credits are granted, e.g. `Credit purchase`.");
    metadata_setter!();

    /// How they were paid for, e.g. `stripe`.
    pub fn payment_method(mut self, method: impl Into<String>) -> Self {
        self.payment_method = Some(method.into());
        self
    }
}

/// A deduction of credits: [`DeductCredits::new`] with the account and amount, then the
/// optional setters.
///
/// ```
/// use credits_sdk::{AccountRef, DeductCredits};
///
/// let charge = DeductCredits::new(AccountRef::id("acc_123"), 50).description("API usage");
/// # let _ = charge;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct DeductCredits {
    target: AccountAmount,
    description: Option<String>,
    metadata: PendingMetadata,
}

impl DeductCredits {
    /// Deducts `amount` (greater than 0) credits from `account`.
    pub fn new(account: impl Into<AccountRef>, amount: impl TryInto<Amount, Error = InvalidAmount>) -> Self {
        Self { target: AccountAmount::new(account, amount), description: None, metadata: PendingMetadata::default() }
    }

    description_setter!("What the credits paid for, e.g. `API usage`.");
    metadata_setter!();
}

impl CreditsClient {
    /// Grants credits (`POST /v1/accounts/credits/add`). Not retried after the request may
    /// have reached the server: a retry could grant twice.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, AddCredits};
    /// let added = client.add_credits(AddCredits::new(AccountRef::external("user_456"), 1000)).await?;
    /// println!("balance now {}", added.balance);
    /// # Ok(()) }
    /// ```
    pub async fn add_credits(&self, grant: AddCredits) -> Result<types::AddCreditsResponse> {
        let metadata = grant.metadata.get()?;
        let (account_id, external_id, amount) = grant.target.into_wire()?;
        let body = types::AddCreditsRequest {
            account_id,
            external_id,
            amount,
            description: grant.description,
            payment_method: grant.payment_method,
            metadata,
        };
        self.call(self.api().add_credits().body(body).send()).await
    }

    /// Deducts credits without a reservation (`POST /v1/accounts/credits/deduct`). Refused
    /// with `insufficient_credits` when the available balance is too low.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, DeductCredits};
    /// let charged = client.deduct_credits(DeductCredits::new(AccountRef::id("acc_123"), 50)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn deduct_credits(&self, charge: DeductCredits) -> Result<types::DeductCreditsResponse> {
        let metadata = charge.metadata.get()?;
        let (account_id, external_id, amount) = charge.target.into_wire()?;
        let body =
            types::DeductCreditsRequest { account_id, external_id, amount, description: charge.description, metadata };
        self.call(self.api().deduct_credits().body(body).send()).await
    }
}
