//! Accounts: create, list, get, balance and plan history.

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::Result;
use crate::requests::parts::{PendingMetadata, metadata_setter};
use crate::requests::validate;
use crate::requests::{AccountQuery, AccountRef};

/// A new account; build it with [`CreateAccount::new`] and the optional setters.
///
/// ```
/// use credits_sdk::CreateAccount;
///
/// let request = CreateAccount::new("Alice")
///     .external_id("user_456")
///     .email("alice@example.com")
///     .metadata(serde_json::json!({ "plan": "free" }));
/// # let _ = request;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CreateAccount {
    name: String,
    external_id: Option<String>,
    email: Option<String>,
    metadata: PendingMetadata,
}

impl CreateAccount {
    /// An account with this display name.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), external_id: None, email: None, metadata: PendingMetadata::default() }
    }

    /// Your own id of the user (e.g. your database id); unique in the project.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// A contact email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    metadata_setter!();

    fn into_body(self) -> Result<types::CreateAccountRequest> {
        Ok(types::CreateAccountRequest {
            name: validate::non_empty("name", &self.name)?,
            external_id: self.external_id.as_deref().map(|id| validate::non_empty("external id", id)).transpose()?,
            email: self.email,
            metadata: self.metadata.get()?,
        })
    }
}

impl CreditsClient {
    /// Creates an account for one of your users (`POST /v1/accounts/create`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::CreateAccount;
    /// let created = client.create_account(CreateAccount::new("Alice").external_id("user_456")).await?;
    /// println!("created {}", created.account.id);
    /// # Ok(()) }
    /// ```
    pub async fn create_account(&self, account: CreateAccount) -> Result<types::CreateAccountResponse> {
        let body = account.into_body()?;
        self.call(self.api().create_account().body(body).send()).await
    }

    /// Lists every account of the project (`GET /v1/accounts`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// for account in client.list_accounts().await?.accounts {
    ///     println!("{} {}", account.id, account.balance);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_accounts(&self) -> Result<types::ListAccountsResponse> {
        self.call(self.api().list_accounts().send()).await
    }

    /// Gets one account by its id or your external id (`GET /v1/accounts/get`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::AccountRef;
    /// let account = client.get_account(AccountRef::external("user_456")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_account(&self, account: impl Into<AccountRef>) -> Result<types::Account> {
        let request = self.api().get_account().for_account(&account.into())?;
        self.call(request.send()).await
    }

    /// Gets an account's balance, reserved and available credits (`GET /v1/accounts/balance`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::AccountRef;
    /// let balance = client.get_balance(AccountRef::external("user_456")).await?;
    /// assert_eq!(balance.available, balance.balance - balance.reserved);
    /// # Ok(()) }
    /// ```
    pub async fn get_balance(&self, account: impl Into<AccountRef>) -> Result<types::Balance> {
        let request = self.api().get_balance().for_account(&account.into())?;
        self.call(request.send()).await
    }

    /// Lists an account's plan assignments, current and past (`GET /v1/accounts/plans`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::AccountRef;
    /// let history = client.get_account_plans(AccountRef::id("acc_123")).await?;
    /// let current = history.plans.iter().find(|p| p.active);
    /// # Ok(()) }
    /// ```
    pub async fn get_account_plans(&self, account: impl Into<AccountRef>) -> Result<types::AccountPlansResponse> {
        let request = self.api().get_account_plans().for_account(&account.into())?;
        self.call(request.send()).await
    }
}
