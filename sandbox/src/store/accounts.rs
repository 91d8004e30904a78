//! Accounts and the ledger: accounts, balances, credits added and deducted, manual entries and
//! the paginated transaction list.

use chrono::{DateTime, Utc};
use credits_types::TransactionType;
use credits_types::types::{self, ManualTransactionType};
use credits_types::webhooks::EventType;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{AccountRef, DEVELOPER_ID, Project, new_id, non_empty, within};
use crate::error::ApiError;
use crate::exact::Exact;
use crate::money::{self, MAX_CREDITS, credits_out};
use crate::spec::{TransactionItem, TransactionList, wire};

/// Free-form metadata object.
pub type Metadata = Map<String, Value>;

/// A stored account.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AccountRow {
    pub(super) id: String,
    pub(super) external_id: Option<String>,
    pub(super) name: String,
    pub(super) email: Option<String>,
    pub(super) metadata: Option<Metadata>,
    #[serde(with = "super::snapshot::exact")]
    pub(super) balance: Decimal,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

/// A stored ledger entry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TransactionRow {
    pub(super) id: String,
    pub(super) account_id: String,
    pub(super) kind: TransactionType,
    #[serde(with = "super::snapshot::exact")]
    pub(super) amount: Decimal,
    pub(super) description: Option<String>,
    #[serde(with = "super::snapshot::exact")]
    pub(super) balance_after: Decimal,
    pub(super) metadata: Option<Metadata>,
    pub(super) reservation_id: Option<String>,
    pub(super) created_at: DateTime<Utc>,
}

/// Filters of `GET /v1/transactions`.
#[derive(Debug, Default)]
pub struct TransactionQuery<'a> {
    /// One account, or the whole project.
    pub account: Option<AccountRef<'a>>,
    /// At or after.
    pub start: Option<DateTime<Utc>>,
    /// At or before.
    pub end: Option<DateTime<Utc>>,
    /// Page size (1..=100).
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Embed the reservation.
    pub include_reservation: bool,
    /// Embed the usage records.
    pub include_usage: bool,
}

/// `details` of a credit refused for the balance limit.
#[derive(Serialize)]
struct BalanceLimit {
    balance: Exact,
    requested: Exact,
    maximum: Exact,
}

impl AccountRow {
    fn to_wire(&self) -> Result<types::Account, ApiError> {
        wire!(types::Account {
            id: self.id.clone(),
            developer_id: Some(DEVELOPER_ID.to_string()),
            external_id: self.external_id.clone(),
            name: Some(self.name.clone()),
            email: self.email.clone(),
            balance: credits_out(self.balance),
            metadata: self.metadata.clone(),
            created_at: Some(self.created_at),
            updated_at: Some(self.updated_at),
        })
    }
}

impl Project {
    /// The sum of the account's pending reservations. Each was at most the account's
    /// `available` when made, so the sum stays within the balance and is exact.
    pub(super) fn reserved(&self, account_id: &str) -> Decimal {
        self.indexes
            .pending
            .iter()
            .map(|&i| &self.reservations[i])
            .filter(|r| r.account_id == account_id)
            .fold(Decimal::ZERO, |sum, r| money::add(sum, r.amount).unwrap_or(MAX_CREDITS))
    }

    /// `balance − reserved` of an account: never negative, because every debit and hold is
    /// checked against it.
    pub(super) fn available(&self, index: usize) -> Decimal {
        let row = &self.accounts[index];
        money::sub(row.balance, self.reserved(&row.id)).unwrap_or(Decimal::ZERO).max(Decimal::ZERO)
    }

    /// Creates an account; 409 `duplicate_external_id` when the external id is taken.
    pub fn create_account(
        &mut self,
        request: types::CreateAccountRequest,
        now: DateTime<Utc>,
    ) -> Result<types::Account, ApiError> {
        non_empty("name", &request.name)?;
        if let Some(external) = &request.external_id {
            non_empty("externalId", external)?;
            if self.indexes.account_by_external_id.contains_key(external) {
                return Err(ApiError::conflict(
                    "duplicate_external_id",
                    format!("an account with externalId `{external}` already exists"),
                ));
            }
        }
        let row = AccountRow {
            id: new_id("acc_"),
            external_id: request.external_id,
            name: request.name,
            email: request.email,
            metadata: request.metadata,
            balance: Decimal::ZERO,
            created_at: now,
            updated_at: now,
        };
        let account = row.to_wire()?;
        let index = self.accounts.len();
        self.indexes.account_by_id.insert(row.id.clone(), index);
        if let Some(external) = &row.external_id {
            self.indexes.account_by_external_id.insert(external.clone(), index);
        }
        self.accounts.push(row);
        self.emit(EventType::AccountCreated, |_| Ok(account.clone()));
        Ok(account)
    }

    /// Every account, oldest first.
    pub fn list_accounts(&self) -> Result<Vec<types::Account>, ApiError> {
        self.accounts.iter().map(AccountRow::to_wire).collect()
    }

    /// One account.
    pub fn account(&self, account: AccountRef<'_>) -> Result<types::Account, ApiError> {
        self.index_of(account).and_then(|i| self.accounts[i].to_wire())
    }

    /// Balance, reserved and available of one account.
    pub fn balance(&self, account: AccountRef<'_>) -> Result<types::Balance, ApiError> {
        let index = self.index_of(account)?;
        let row = &self.accounts[index];
        wire!(types::Balance {
            account_id: row.id.clone(),
            external_id: row.external_id.clone(),
            balance: credits_out(row.balance),
            reserved: credits_out(self.reserved(&row.id)),
            available: credits_out(self.available(index)),
        })
    }

    /// Moves credits and writes the ledger entry, in exact decimal arithmetic. A debit is
    /// checked against `available` (402 `insufficient_credits`); a credit that would take the
    /// balance beyond [`MAX_CREDITS`] is refused (400 `invalid_request`). `amount` has been
    /// validated by [`money::credits`]. Returns the account's index and the new entry's id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn move_credits(
        &mut self,
        account: AccountRef<'_>,
        kind: TransactionType,
        amount: Decimal,
        description: Option<String>,
        metadata: Option<Metadata>,
        reservation_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(usize, String), ApiError> {
        let index = self.index_of(account)?;
        let kind_is_credit = kind == TransactionType::Credit;
        let old_balance = self.accounts[index].balance;
        let balance = match kind {
            TransactionType::Credit => match money::add(old_balance, amount) {
                Some(balance) if balance <= MAX_CREDITS => balance,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "adding {} would take the balance beyond the maximum of {MAX_CREDITS}",
                        Exact(amount)
                    ))
                    .with_details(&BalanceLimit {
                        balance: Exact(old_balance),
                        requested: Exact(amount),
                        maximum: Exact(MAX_CREDITS),
                    }));
                }
            },
            TransactionType::Debit => {
                let available = self.available(index);
                if amount > available {
                    return Err(ApiError::insufficient(available, amount));
                }
                let balance =
                    money::sub(old_balance, amount).ok_or_else(|| ApiError::insufficient(available, amount))?;
                let account_id = self.accounts[index].id.clone();
                self.spend_plan_credits(&account_id, amount);
                balance
            }
            TransactionType::Unknown(other) => {
                return Err(ApiError::invalid(format!("`type` has an unknown value `{other}`")));
            }
            _ => return Err(ApiError::invalid("`type` has an unknown value")),
        };
        let row = &mut self.accounts[index];
        row.balance = balance;
        row.updated_at = now;
        let transaction = TransactionRow {
            id: new_id("txn_"),
            account_id: row.id.clone(),
            kind,
            amount,
            description,
            balance_after: balance,
            metadata,
            reservation_id,
            created_at: now,
        };
        let id = transaction.id.clone();
        self.indexes
            .transactions_by_account
            .entry(transaction.account_id.clone())
            .or_default()
            .push(self.transactions.len());
        self.transactions.push(transaction);
        self.emit_credit_movement(index, kind_is_credit);
        Ok((index, id))
    }

    /// The events of a credit movement on account `index` (its newest transaction).
    fn emit_credit_movement(&mut self, index: usize, credit: bool) {
        self.emit(EventType::TransactionCreated, |p| {
            p.transactions.last().map_or_else(|| Err(ApiError::invalid("")), TransactionRow::to_wire)
        });
        let balance = if credit { EventType::BalanceCredited } else { EventType::BalanceDebited };
        self.emit(balance, |p| p.balance(AccountRef::Id(&p.accounts[index].id)));
        self.emit(EventType::AccountUpdated, |p| p.accounts[index].to_wire());
    }

    /// `POST /v1/accounts/credits/add`: a `credit` entry; `paymentMethod` goes into metadata.
    pub fn add_credits(
        &mut self,
        request: types::AddCreditsRequest,
        now: DateTime<Utc>,
    ) -> Result<types::AddCreditsResponse, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        let amount = request.amount.get().to_decimal();
        let mut metadata = request.metadata;
        if let Some(method) = request.payment_method {
            metadata.get_or_insert_with(Metadata::new).insert("paymentMethod".into(), Value::String(method));
        }
        let (index, transaction_id) =
            self.move_credits(account, TransactionType::Credit, amount, request.description, metadata, None, now)?;
        let row = &self.accounts[index];
        wire!(types::AddCreditsResponse {
            success: Some(true),
            account_id: row.id.clone(),
            external_id: row.external_id.clone(),
            balance: credits_out(row.balance),
            added: Some(credits_out(amount)),
            transaction_id: Some(transaction_id),
        })
    }

    /// `POST /v1/accounts/credits/deduct`: a `debit` entry, checked against `available`.
    pub fn deduct_credits(
        &mut self,
        request: types::DeductCreditsRequest,
        now: DateTime<Utc>,
    ) -> Result<types::DeductCreditsResponse, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        let amount = request.amount.get().to_decimal();
        let (index, transaction_id) = self.move_credits(
            account,
            TransactionType::Debit,
            amount,
            request.description,
            request.metadata,
            None,
            now,
        )?;
        let row = &self.accounts[index];
        wire!(types::DeductCreditsResponse {
            success: Some(true),
            account_id: Some(row.id.clone()),
            external_id: row.external_id.clone(),
            balance: Some(credits_out(row.balance)),
            deducted: Some(credits_out(amount)),
            transaction_id: Some(transaction_id),
        })
    }

    /// A manual ledger entry.
    pub fn create_transaction(
        &mut self,
        request: types::CreateTransactionRequest,
        now: DateTime<Utc>,
    ) -> Result<types::Transaction, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        let kind = match request.type_ {
            ManualTransactionType::Credit => TransactionType::Credit,
            ManualTransactionType::Debit => TransactionType::Debit,
        };
        let amount = request.amount.get().to_decimal();
        let (_, id) = self.move_credits(account, kind, amount, request.description, request.metadata, None, now)?;
        let row = self.transactions.last().filter(|t| t.id == id).ok_or_else(|| ApiError::internal("lost entry"))?;
        row.to_wire()
    }

    fn transaction_item(
        &self,
        row: &TransactionRow,
        with_reservation: bool,
        with_usage: bool,
    ) -> Result<TransactionItem, ApiError> {
        let reservation = with_reservation
            .then(|| {
                row.reservation_id
                    .as_ref()
                    .and_then(|id| self.indexes.reservation_by_id.get(id))
                    .map(|&i| self.reservations[i].to_wire())
                    .transpose()
            })
            .transpose()?;
        let usage = with_usage
            .then(|| {
                self.usage
                    .iter()
                    .filter(|u| u.transaction_id.as_deref() == Some(row.id.as_str()))
                    .map(|u| u.to_wire())
                    .collect()
            })
            .transpose()?;
        Ok(TransactionItem { transaction: row.to_wire()?, reservation, usage })
    }

    /// One page of the ledger, newest first.
    pub fn list_transactions(&self, query: &TransactionQuery<'_>) -> Result<TransactionList, ApiError> {
        let account_id = query.account.map(|account| self.account_id(account)).transpose()?;
        let offset = query.offset.max(0);
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(query.limit).unwrap_or(0);
        let dated = query.start.is_some() || query.end.is_some();
        let (total, page): (usize, Vec<&TransactionRow>) = match &account_id {
            // One account, no date filter: its index gives the count and the page directly.
            Some(id) if !dated => {
                let rows = self.indexes.transactions_by_account.get(id).map(Vec::as_slice).unwrap_or_default();
                (rows.len(), rows.iter().rev().skip(skip).take(take).map(|&i| &self.transactions[i]).collect())
            }
            _ => {
                let matching: Vec<&TransactionRow> = self
                    .transactions
                    .iter()
                    .rev()
                    .filter(|t| account_id.as_ref().is_none_or(|id| &t.account_id == id))
                    .filter(|t| within(t.created_at, query.start, query.end))
                    .collect();
                (matching.len(), matching.into_iter().skip(skip).take(take).collect())
            }
        };
        let total = total as i64;
        let items = page
            .into_iter()
            .map(|t| self.transaction_item(t, query.include_reservation, query.include_usage))
            .collect::<Result<Vec<_>, _>>()?;
        let shown = items.len() as i64;
        let pagination = wire!(types::Pagination {
            limit: query.limit,
            offset,
            total_count: total,
            has_more: offset.saturating_add(shown) < total,
        })?;
        Ok(TransactionList { items, pagination })
    }
}

impl TransactionRow {
    pub(super) fn to_wire(&self) -> Result<types::Transaction, ApiError> {
        wire!(types::Transaction {
            id: self.id.clone(),
            account_id: Some(self.account_id.clone()),
            type_: self.kind.clone(),
            amount: credits_out(self.amount),
            description: self.description.clone(),
            balance_after: Some(credits_out(self.balance_after)),
            metadata: self.metadata.clone(),
            reservation_id: self.reservation_id.clone(),
            created_at: Some(self.created_at),
        })
    }
}
