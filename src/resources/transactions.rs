//! Transactions: the ledger, one page at a time or as a lazily paged stream, and manual
//! entries.

use std::num::NonZeroU64;

use futures::Stream;

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::{Error, Result};
use crate::requests::parts::{
    AccountAmount, DateWindow, PendingMetadata, description_setter, metadata_setter, window_setter,
};
use crate::requests::{AccountQuery, AccountRef};
use crate::values::{Amount, InvalidAmount};

/// The largest page the API serves.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which transactions to list: every filter is optional.
///
/// ```
/// use credits_sdk::{AccountRef, ListTransactions};
///
/// let recent = ListTransactions::new().account(AccountRef::id("acc_abc123")).limit(20).offset(0);
/// # let _ = recent;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ListTransactions {
    account: Option<AccountRef>,
    limit: Option<u64>,
    offset: Option<u64>,
    window: DateWindow,
    include: Vec<String>,
}

impl ListTransactions {
    /// All transactions of the project.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this account's transactions.
    pub fn account(mut self, account: impl Into<AccountRef>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Page size, 1 to 100 (the API's default is 50).
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Items to skip.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    window_setter!();

    /// Embeds related records for audit, e.g. `"reservation"` or `"usage"`.
    pub fn include(mut self, related: impl Into<String>) -> Self {
        self.include.push(related.into());
        self
    }

    fn page_size(&self) -> Result<Option<NonZeroU64>> {
        match self.limit {
            None => Ok(None),
            Some(limit @ 1..=MAX_PAGE_SIZE) => Ok(NonZeroU64::new(limit)),
            Some(limit) => Err(Error::invalid(format!("limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}"))),
        }
    }
}

/// A manual ledger entry: [`CreateTransaction::credit`] or [`CreateTransaction::debit`], then
/// the optional setters.
///
/// ```
/// use credits_sdk::{AccountRef, CreateTransaction};
///
/// let refund = CreateTransaction::credit(AccountRef::external("user_456"), 100)
///     .description("Refund")
///     .metadata(serde_json::json!({ "reason": "support" }));
/// # let _ = refund;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CreateTransaction {
    target: AccountAmount,
    kind: types::ManualTransactionType,
    description: Option<String>,
    metadata: PendingMetadata,
}

impl CreateTransaction {
    /// A manual credit of `amount` (greater than 0) to `account`.
    pub fn credit(account: impl Into<AccountRef>, amount: impl TryInto<Amount, Error = InvalidAmount>) -> Self {
        Self::new(AccountAmount::new(account, amount), types::ManualTransactionType::Credit)
    }

    /// A manual debit of `amount` (greater than 0) from `account`.
    pub fn debit(account: impl Into<AccountRef>, amount: impl TryInto<Amount, Error = InvalidAmount>) -> Self {
        Self::new(AccountAmount::new(account, amount), types::ManualTransactionType::Debit)
    }

    fn new(target: AccountAmount, kind: types::ManualTransactionType) -> Self {
        Self { target, kind, description: None, metadata: PendingMetadata::default() }
    }

    description_setter!("What the entry is for, e.g. `Refund`.");
    metadata_setter!();
}

impl CreditsClient {
    /// Lists one page of transactions, newest first (`GET /v1/transactions`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, ListTransactions};
    /// let page = client.list_transactions(ListTransactions::new().account(AccountRef::id("acc_abc123")).limit(20)).await?;
    /// println!("{} of {}", page.items.len(), page.pagination.total_count);
    /// # Ok(()) }
    /// ```
    pub async fn list_transactions(&self, query: ListTransactions) -> Result<types::TransactionPage> {
        let mut request = self.api().list_transactions();
        if let Some(account) = &query.account {
            request = request.for_account(account)?;
        }
        if let Some(limit) = query.page_size()? {
            request = request.limit(limit);
        }
        if let Some(offset) = query.offset {
            request = request.offset(offset);
        }
        if let Some(start) = query.window.start {
            request = request.start_date(start);
        }
        if let Some(end) = query.window.end {
            request = request.end_date(end);
        }
        if !query.include.is_empty() {
            request = request.include(query.include.join(","));
        }
        self.call(request.send()).await
    }

    /// Every transaction matching `query`, fetched lazily one page at a time (`limit` is the
    /// page size, `offset` where to start). At most one page is held in memory; the stream
    /// ends after the page that says `hasMore: false`, and stops at the first error.
    ///
    /// The API pages by offset over a newest-first list, so transactions written while the
    /// stream runs shift later pages: an item may then be yielded twice (never skipped, since
    /// new items land before the ones already read). Use [`ListTransactions::between`] with an
    /// end date in the past for an exact snapshot.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use futures::TryStreamExt;
    /// use credits_sdk::{AccountRef, ListTransactions};
    /// let mut all = std::pin::pin!(client.stream_transactions(ListTransactions::new().account(AccountRef::id("acc_1"))));
    /// while let Some(transaction) = all.try_next().await? {
    ///     println!("{} {}", transaction.id, transaction.amount);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream_transactions(
        &self,
        query: ListTransactions,
    ) -> impl Stream<Item = Result<types::Transaction>> + Send + 'static {
        struct Pager {
            client: CreditsClient,
            query: ListTransactions,
            page: std::vec::IntoIter<types::Transaction>,
            more: bool,
        }
        let start = Pager { client: self.clone(), query, page: Vec::new().into_iter(), more: true };
        futures::stream::try_unfold(start, |mut pager| async move {
            loop {
                if let Some(transaction) = pager.page.next() {
                    return Ok(Some((transaction, pager)));
                }
                if !pager.more {
                    return Ok(None);
                }
                let page = pager.client.list_transactions(pager.query.clone()).await?;
                let fetched = page.items.len() as u64;
                // An empty page that claims more would loop forever: treat it as the end.
                pager.more = page.pagination.has_more && fetched > 0;
                pager.query.offset = Some(pager.query.offset.unwrap_or(0) + fetched);
                pager.page = page.items.into_iter();
            }
        })
    }

    /// Writes a manual ledger entry (`POST /v1/transactions/create`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, CreateTransaction};
    /// let entry = client.create_transaction(CreateTransaction::credit(AccountRef::external("user_456"), 100)).await?;
    /// println!("balance after: {:?}", entry.transaction.balance_after);
    /// # Ok(()) }
    /// ```
    pub async fn create_transaction(&self, entry: CreateTransaction) -> Result<types::CreateTransactionResponse> {
        let metadata = entry.metadata.get()?;
        let (account_id, external_id, amount) = entry.target.into_wire()?;
        let body = types::CreateTransactionRequest {
            account_id,
            external_id,
            amount,
            type_: entry.kind,
            description: entry.description,
            metadata,
        };
        self.call(self.api().create_transaction().body(body).send()).await
    }
}
