//! Project state and ledger logic: accounts, balances, reservations, transactions, plans and
//! usage. Pure functions over a [`Project`]; every operation validates before it writes.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::models;
use crate::money::{self, Exact, MAX_CREDITS};
use crate::wire::{self, Metadata, ReservationStatus, TransactionType, UsageContext};

/// The developer id every sandbox account carries.
pub const DEVELOPER_ID: &str = "dev_sandbox";

/// The longest a reservation may last: 86 400 s, the most `expiresInSeconds` allows.
pub const MAX_RESERVATION_TTL: Duration = Duration::from_secs(86_400);

/// A fresh id: `prefix` followed by 20 random alphanumerics.
pub fn new_id(prefix: &str) -> String {
    let suffix: String = std::iter::repeat_with(fastrand::alphanumeric).take(20).collect();
    format!("{prefix}{suffix}")
}

/// RFC 3339 UTC with milliseconds, e.g. `2024-01-15T10:00:00.000Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Checks a required id-like string is not empty.
pub fn non_empty<'a>(name: &str, value: &'a str) -> Result<&'a str, ApiError> {
    if value.is_empty() { Err(ApiError::invalid(format!("`{name}` must not be empty"))) } else { Ok(value) }
}

/// How a request names an account: exactly one of `accountId` and `externalId`.
#[derive(Debug, Clone, Copy)]
pub enum AccountRef<'a> {
    /// By `acc_…` id.
    Id(&'a str),
    /// By your own id.
    External(&'a str),
}

impl<'a> AccountRef<'a> {
    /// Exactly one of the two, non-empty; 400 `invalid_request` otherwise.
    pub fn exactly_one(account_id: Option<&'a str>, external_id: Option<&'a str>) -> Result<Self, ApiError> {
        Self::at_most_one(account_id, external_id)?.ok_or_else(|| ApiError::invalid("give `accountId` or `externalId`"))
    }

    /// One of the two or neither (for project-wide lists); both is 400 `invalid_request`.
    pub fn at_most_one(account_id: Option<&'a str>, external_id: Option<&'a str>) -> Result<Option<Self>, ApiError> {
        match (account_id, external_id) {
            (Some(_), Some(_)) => Err(ApiError::invalid("give `accountId` or `externalId`, not both")),
            (Some(id), None) => non_empty("accountId", id).map(|id| Some(Self::Id(id))),
            (None, Some(id)) => non_empty("externalId", id).map(|id| Some(Self::External(id))),
            (None, None) => Ok(None),
        }
    }
}

/// A stored account.
#[derive(Debug, Clone)]
struct AccountRow {
    id: String,
    external_id: Option<String>,
    name: String,
    email: Option<String>,
    metadata: Option<Metadata>,
    balance: Decimal,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct ReservationRow {
    id: String,
    account_id: String,
    amount: Decimal,
    status: ReservationStatus,
    actual_amount: Option<Decimal>,
    /// The debit written by the confirmation, once confirmed.
    transaction_id: Option<String>,
    metadata: Option<Metadata>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct TransactionRow {
    id: String,
    account_id: String,
    kind: TransactionType,
    amount: Decimal,
    description: Option<String>,
    balance_after: Decimal,
    metadata: Option<Metadata>,
    reservation_id: Option<String>,
    created_at: DateTime<Utc>,
}

/// Lookups that keep every call O(1) or O(pending) however long the project runs: without
/// them each call scanned every reservation ever made, and a long benchmark slowed down.
#[derive(Debug, Default)]
struct Indexes {
    account_by_id: HashMap<String, usize>,
    account_by_external_id: HashMap<String, usize>,
    reservation_by_id: HashMap<String, usize>,
    /// Reservations still pending: the only ones expiry and `reserved` need to look at.
    pending: BTreeSet<usize>,
    /// Each account's transactions, oldest first, so a page of one account's ledger costs
    /// O(page) rather than a scan of the whole project.
    transactions_by_account: HashMap<String, Vec<usize>>,
}

#[derive(Debug, Clone)]
struct UsageRow {
    record: wire::UsageRecord,
    created_at: DateTime<Utc>,
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

/// Filters of `GET /v1/usage`.
#[derive(Debug, Default)]
pub struct UsageQuery<'a> {
    /// One account, or all.
    pub account: Option<AccountRef<'a>>,
    /// One model.
    pub model_id: Option<&'a str>,
    /// One context.
    pub context: Option<UsageContext>,
    /// At or after.
    pub start: Option<DateTime<Utc>>,
    /// At or before.
    pub end: Option<DateTime<Utc>>,
}

/// The state of one project (one API key).
#[derive(Debug)]
pub struct Project {
    reservation_ttl: chrono::TimeDelta,
    accounts: Vec<AccountRow>,
    plans: Vec<wire::Plan>,
    account_plans: Vec<wire::AccountPlan>,
    transactions: Vec<TransactionRow>,
    reservations: Vec<ReservationRow>,
    usage: Vec<UsageRow>,
    indexes: Indexes,
}

fn within(t: DateTime<Utc>, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> bool {
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
}

impl Project {
    /// An empty project whose reservations last `reservation_ttl` unless a request says
    /// otherwise. A TTL beyond [`MAX_RESERVATION_TTL`] is cut to it (the builder refuses one).
    pub fn new(reservation_ttl: Duration) -> Self {
        let reservation_ttl = chrono::TimeDelta::from_std(reservation_ttl.min(MAX_RESERVATION_TTL))
            .unwrap_or(chrono::TimeDelta::seconds(300));
        Self {
            reservation_ttl,
            accounts: Vec::new(),
            plans: Vec::new(),
            account_plans: Vec::new(),
            transactions: Vec::new(),
            reservations: Vec::new(),
            usage: Vec::new(),
            indexes: Indexes::default(),
        }
    }

    /// Adds the demo data: account `user_demo` with 1000 credits and a "Pro" plan.
    pub fn seed(&mut self) {
        let now = Utc::now();
        let request = wire::CreateAccountRequest {
            name: "Demo User".into(),
            external_id: Some("user_demo".into()),
            email: Some("demo@example.com".into()),
            metadata: None,
        };
        if let Ok(account) = self.create_account(request, now) {
            let _ = self.move_credits(
                AccountRef::Id(&account.id),
                TransactionType::Credit,
                Decimal::from(1000),
                Some("Demo credits".into()),
                None,
                None,
                now,
            );
        }
        if let Ok(mut plan) =
            self.insert_plan("Pro".into(), Decimal::from(1000), wire::PlanInterval::Month, None, false, true)
        {
            plan.price = Some(Exact(Decimal::new(4999, 2)));
            plan.description = Some("1000 credits every month".into());
            if let Some(stored) = self.plans.iter_mut().find(|p| p.id == plan.id) {
                *stored = plan;
            }
        }
    }

    /// Marks pending reservations whose time has passed as expired. Called on every access,
    /// so expiry needs no background task.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        let lapsed: Vec<usize> =
            self.indexes.pending.iter().copied().filter(|&i| self.reservations[i].expires_at <= now).collect();
        for index in lapsed {
            self.set_status(index, ReservationStatus::Expired);
        }
    }

    /// Changes a reservation's status, keeping the pending index in step.
    fn set_status(&mut self, index: usize, status: ReservationStatus) {
        self.reservations[index].status = status;
        if status == ReservationStatus::Pending {
            self.indexes.pending.insert(index);
        } else {
            self.indexes.pending.remove(&index);
        }
    }

    fn index_of(&self, account: AccountRef<'_>) -> Result<usize, ApiError> {
        let found = match account {
            AccountRef::Id(id) => self.indexes.account_by_id.get(id),
            AccountRef::External(id) => self.indexes.account_by_external_id.get(id),
        };
        found.copied().ok_or_else(|| ApiError::not_found("account_not_found", "no such account"))
    }

    /// The sum of the account's pending reservations. Each was at most the account's
    /// `available` when made, so the sum stays within the balance and is exact.
    fn reserved(&self, account_id: &str) -> Decimal {
        self.indexes
            .pending
            .iter()
            .map(|&i| &self.reservations[i])
            .filter(|r| r.account_id == account_id)
            .fold(Decimal::ZERO, |sum, r| money::add(sum, r.amount).unwrap_or(MAX_CREDITS))
    }

    /// `balance − reserved` of an account: never negative, because every debit and hold is
    /// checked against it.
    fn available(&self, index: usize) -> Decimal {
        let row = &self.accounts[index];
        money::sub(row.balance, self.reserved(&row.id)).unwrap_or(Decimal::ZERO).max(Decimal::ZERO)
    }

    fn account_json(row: &AccountRow) -> wire::Account {
        wire::Account {
            id: row.id.clone(),
            developer_id: DEVELOPER_ID.into(),
            external_id: row.external_id.clone(),
            name: Some(row.name.clone()),
            email: row.email.clone(),
            balance: Exact(row.balance),
            metadata: row.metadata.clone(),
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
        }
    }

    /// Creates an account; 409 `duplicate_external_id` when the external id is taken.
    pub fn create_account(
        &mut self,
        request: wire::CreateAccountRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::Account, ApiError> {
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
        let account = Self::account_json(&row);
        let index = self.accounts.len();
        self.indexes.account_by_id.insert(row.id.clone(), index);
        if let Some(external) = &row.external_id {
            self.indexes.account_by_external_id.insert(external.clone(), index);
        }
        self.accounts.push(row);
        Ok(account)
    }

    /// Every account, oldest first.
    pub fn list_accounts(&self) -> Vec<wire::Account> {
        self.accounts.iter().map(Self::account_json).collect()
    }

    /// One account.
    pub fn account(&self, account: AccountRef<'_>) -> Result<wire::Account, ApiError> {
        self.index_of(account).map(|i| Self::account_json(&self.accounts[i]))
    }

    /// Balance, reserved and available of one account.
    pub fn balance(&self, account: AccountRef<'_>) -> Result<wire::Balance, ApiError> {
        let index = self.index_of(account)?;
        let row = &self.accounts[index];
        Ok(wire::Balance {
            account_id: row.id.clone(),
            external_id: row.external_id.clone(),
            balance: Exact(row.balance),
            reserved: Exact(self.reserved(&row.id)),
            available: Exact(self.available(index)),
        })
    }

    /// Moves credits and writes the ledger entry, in exact decimal arithmetic. A debit is
    /// checked against `available` (402 `insufficient_credits`); a credit that would take the
    /// balance beyond [`MAX_CREDITS`] is refused (400 `invalid_request`). `amount` has been
    /// validated by [`money::credits`]. Returns the account's index and the transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn move_credits(
        &mut self,
        account: AccountRef<'_>,
        kind: TransactionType,
        amount: Decimal,
        description: Option<String>,
        metadata: Option<Metadata>,
        reservation_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(usize, wire::Transaction), ApiError> {
        let index = self.index_of(account)?;
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
                money::sub(old_balance, amount).ok_or_else(|| ApiError::insufficient(available, amount))?
            }
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
        let json = self.transaction_json(&transaction, false, false);
        self.indexes
            .transactions_by_account
            .entry(transaction.account_id.clone())
            .or_default()
            .push(self.transactions.len());
        self.transactions.push(transaction);
        Ok((index, json))
    }

    /// Add or deduct credits: `{success, accountId, externalId, balance, added|deducted, transactionId}`.
    pub fn add_or_deduct(
        &mut self,
        request: wire::CreditsRequest,
        kind: TransactionType,
        now: DateTime<Utc>,
    ) -> Result<wire::CreditsMoved, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        let amount = money::credits("amount", &request.amount)?;
        let mut metadata = request.metadata;
        if let Some(method) = request.payment_method {
            metadata.get_or_insert_with(Metadata::new).insert("paymentMethod".into(), Value::String(method));
        }
        let (index, transaction) =
            self.move_credits(account, kind, amount, request.description, metadata, None, now)?;
        let row = &self.accounts[index];
        let moved = Some(Exact(amount));
        let credit = kind == TransactionType::Credit;
        Ok(wire::CreditsMoved {
            success: true,
            account_id: row.id.clone(),
            external_id: row.external_id.clone(),
            balance: Exact(row.balance),
            added: if credit { moved } else { None },
            deducted: if credit { None } else { moved },
            transaction_id: transaction.id,
        })
    }

    /// A manual ledger entry.
    pub fn create_transaction(
        &mut self,
        request: wire::CreateTransactionRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::Transaction, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        let amount = money::credits("amount", &request.amount)?;
        self.move_credits(account, request.kind, amount, request.description, request.metadata, None, now)
            .map(|(_, transaction)| transaction)
    }

    fn transaction_json(&self, row: &TransactionRow, with_reservation: bool, with_usage: bool) -> wire::Transaction {
        let reservation = with_reservation.then(|| {
            row.reservation_id
                .as_ref()
                .and_then(|id| self.indexes.reservation_by_id.get(id).map(|&i| &self.reservations[i]))
                .map(Self::reservation_json)
        });
        let usage = with_usage.then(|| {
            self.usage
                .iter()
                .filter(|u| u.record.transaction_id.as_deref() == Some(row.id.as_str()))
                .map(|u| u.record.clone())
                .collect()
        });
        wire::Transaction {
            id: row.id.clone(),
            account_id: row.account_id.clone(),
            kind: row.kind,
            amount: Exact(row.amount),
            description: row.description.clone(),
            balance_after: Exact(row.balance_after),
            metadata: row.metadata.clone(),
            reservation_id: row.reservation_id.clone(),
            reservation,
            usage,
            created_at: timestamp(row.created_at),
        }
    }

    /// One page of the ledger, newest first.
    pub fn list_transactions(
        &self,
        query: &TransactionQuery<'_>,
    ) -> Result<(Vec<wire::Transaction>, wire::Pagination), ApiError> {
        let account_id = match query.account {
            Some(account) => Some(self.accounts[self.index_of(account)?].id.clone()),
            None => None,
        };
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
            .map(|t| self.transaction_json(t, query.include_reservation, query.include_usage))
            .collect::<Vec<_>>();
        let shown = items.len() as i64;
        let pagination = wire::Pagination {
            limit: query.limit,
            offset,
            total_count: total,
            has_more: offset.saturating_add(shown) < total,
        };
        Ok((items, pagination))
    }

    // ----- reservations ---------------------------------------------------------------

    fn reservation_json(row: &ReservationRow) -> wire::Reservation {
        wire::Reservation {
            id: row.id.clone(),
            account_id: row.account_id.clone(),
            amount: Exact(row.amount),
            status: row.status,
            actual_amount: row.actual_amount.map(Exact),
            metadata: row.metadata.clone(),
            created_at: timestamp(row.created_at),
            expires_at: Some(timestamp(row.expires_at)),
        }
    }

    /// Holds credits; 402 `insufficient_credits` when `available` is lower than `amount`.
    pub fn create_reservation(
        &mut self,
        request: wire::CreateReservationRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::Reservation, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        let amount = money::credits("amount", &request.amount)?;
        let ttl = match request.expires_in_seconds {
            Some(seconds @ 1..=86_400) => chrono::TimeDelta::try_seconds(seconds),
            Some(_) => None,
            None => Some(self.reservation_ttl),
        };
        let expires_at = ttl
            .and_then(|ttl| now.checked_add_signed(ttl))
            .ok_or_else(|| ApiError::invalid("`expiresInSeconds` must be from 1 to 86400"))?;
        let index = self.index_of(account)?;
        let account_id = self.accounts[index].id.clone();
        let available = self.available(index);
        if amount > available {
            return Err(ApiError::insufficient(available, amount));
        }
        let mut metadata = request.metadata;
        for (key, value) in [("operation", request.operation), ("model", request.model)] {
            if let Some(value) = value {
                metadata.get_or_insert_with(Metadata::new).insert(key.into(), Value::String(value));
            }
        }
        let row = ReservationRow {
            id: new_id("res_"),
            account_id,
            amount,
            status: ReservationStatus::Pending,
            actual_amount: None,
            transaction_id: None,
            metadata,
            created_at: now,
            expires_at,
        };
        let json = Self::reservation_json(&row);
        let index = self.reservations.len();
        self.indexes.reservation_by_id.insert(row.id.clone(), index);
        self.indexes.pending.insert(index);
        self.reservations.push(row);
        Ok(json)
    }

    /// An account's reservations, newest first.
    pub fn list_reservations(
        &self,
        account: AccountRef<'_>,
        active_only: bool,
    ) -> Result<Vec<wire::Reservation>, ApiError> {
        let account_id = &self.accounts[self.index_of(account)?].id;
        Ok(self
            .reservations
            .iter()
            .rev()
            .filter(|r| &r.account_id == account_id)
            .filter(|r| !active_only || r.status == ReservationStatus::Pending)
            .map(Self::reservation_json)
            .collect())
    }

    fn pending_reservation(&self, reservation_id: &str) -> Result<usize, ApiError> {
        non_empty("reservationId", reservation_id)?;
        let index = self.indexes.reservation_by_id.get(reservation_id).copied().ok_or_else(|| {
            ApiError::not_found("reservation_not_found", format!("no reservation `{reservation_id}`"))
        })?;
        match self.reservations[index].status {
            ReservationStatus::Pending => Ok(index),
            ReservationStatus::Expired => Err(ApiError::conflict("reservation_expired", "the reservation has expired")),
            status => {
                // What the reservation became, so a client whose first attempt landed but whose
                // answer was lost can recognise its own confirmation or cancellation.
                let row = &self.reservations[index];
                let details = NotPending {
                    status,
                    account_id: &row.account_id,
                    actual_amount: row.actual_amount.map(Exact),
                    transaction_id: row.transaction_id.as_deref(),
                };
                Err(ApiError::conflict("reservation_not_pending", format!("the reservation is {}", status.as_str()))
                    .with_details(&details))
            }
        }
    }

    /// Charges `actualAmount` (a `debit` with `reservationId`) and releases the rest.
    pub fn confirm_reservation(
        &mut self,
        request: wire::ConfirmReservationRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::ReservationConfirmed, ApiError> {
        let actual = money::credits("actualAmount", &request.actual_amount)?;
        let index = self.pending_reservation(&request.reservation_id)?;
        let reservation = self.reservations[index].clone();
        if actual > reservation.amount {
            let (reserved, requested) = (Exact(reservation.amount), Exact(actual));
            return Err(ApiError::invalid(format!("actualAmount {requested} exceeds the reserved amount {reserved}"))
                .with_details(&Exceeds { reserved, requested }));
        }
        // The hold stops counting before the debit, so the debit is checked against
        // available + this hold, which always covers `actual`.
        self.set_status(index, ReservationStatus::Confirmed);
        self.reservations[index].actual_amount = Some(actual);
        let mut metadata = reservation.metadata.clone();
        if metadata.as_ref().is_some_and(|m| m.is_empty()) {
            metadata = None;
        }
        let moved = self.move_credits(
            AccountRef::Id(&reservation.account_id),
            TransactionType::Debit,
            actual,
            Some("Reservation confirmed".into()),
            metadata,
            Some(reservation.id.clone()),
            now,
        );
        let (account_index, transaction) = match moved {
            Ok(moved) => moved,
            Err(error) => {
                self.set_status(index, ReservationStatus::Pending);
                self.reservations[index].actual_amount = None;
                return Err(error);
            }
        };
        self.reservations[index].transaction_id = Some(transaction.id.clone());
        Ok(wire::ReservationConfirmed {
            success: true,
            reservation_id: reservation.id,
            transaction_id: transaction.id,
            account_id: reservation.account_id,
            actual_amount: Exact(actual),
            // actual <= amount, both exact with at most 12 places: the difference is exact.
            released_amount: Exact(money::sub(reservation.amount, actual).unwrap_or(Decimal::ZERO)),
            balance: Exact(self.accounts[account_index].balance),
        })
    }

    /// Releases a pending reservation entirely.
    pub fn cancel_reservation(
        &mut self,
        request: wire::CancelReservationRequest,
    ) -> Result<wire::ReservationCancelled, ApiError> {
        let index = self.pending_reservation(&request.reservation_id).map_err(|error| {
            if error.code == "reservation_expired" {
                ApiError::conflict("reservation_not_pending", "the reservation has expired")
                    .with_details(&Expired { status: ReservationStatus::Expired })
            } else {
                error
            }
        })?;
        self.set_status(index, ReservationStatus::Cancelled);
        let reservation = &self.reservations[index];
        Ok(wire::ReservationCancelled {
            success: true,
            reservation_id: reservation.id.clone(),
            account_id: reservation.account_id.clone(),
            released_amount: Exact(reservation.amount),
            status: ReservationStatus::Cancelled,
        })
    }

    // ----- plans ----------------------------------------------------------------------

    /// Creates a plan.
    pub fn create_plan(&mut self, request: wire::CreatePlanRequest) -> Result<wire::Plan, ApiError> {
        non_empty("name", &request.name)?;
        let credits = money::credits("amount", &request.amount)?;
        if request.occurrences.is_some_and(|n| n < 1) {
            return Err(ApiError::invalid("`occurrences` must be at least 1"));
        }
        self.insert_plan(
            request.name,
            credits,
            request.interval,
            request.occurrences,
            request.accumulate.unwrap_or(false),
            request.mark_as_active.unwrap_or(true),
        )
    }

    fn insert_plan(
        &mut self,
        name: String,
        credits: Decimal,
        interval: wire::PlanInterval,
        occurrences: Option<i64>,
        accumulate: bool,
        is_active: bool,
    ) -> Result<wire::Plan, ApiError> {
        let plan = wire::Plan {
            id: new_id("plan_"),
            name,
            description: None,
            credits: Exact(credits),
            price: None,
            billing_period: Some(interval.billing_period().into()),
            interval: Some(interval.as_str().into()),
            occurrences,
            accumulate: Some(accumulate),
            is_active,
        };
        self.plans.push(plan.clone());
        Ok(plan)
    }

    /// Every plan, archived ones included.
    pub fn list_plans(&self) -> Vec<wire::Plan> {
        self.plans.clone()
    }

    /// Archives a plan (idempotent).
    pub fn archive_plan(&mut self, plan_id: &str) -> Result<wire::Plan, ApiError> {
        non_empty("planId", plan_id)?;
        let plan = self
            .plans
            .iter_mut()
            .find(|p| p.id == plan_id)
            .ok_or_else(|| ApiError::not_found("plan_not_found", format!("no plan `{plan_id}`")))?;
        plan.is_active = false;
        Ok(plan.clone())
    }

    /// Assigns a plan, deactivating the account's previous active assignment.
    pub fn assign_plan(
        &mut self,
        request: wire::AssignPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::PlanAssigned, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        non_empty("planId", &request.plan_id)?;
        let index = self.index_of(account)?;
        let plan = self
            .plans
            .iter()
            .find(|p| p.id == request.plan_id)
            .cloned()
            .ok_or_else(|| ApiError::not_found("plan_not_found", format!("no plan `{}`", request.plan_id)))?;
        if !plan.is_active {
            return Err(ApiError::conflict("plan_archived", format!("plan `{}` is archived", plan.id)));
        }
        let account_id = self.accounts[index].id.clone();
        let assignment_id = new_id("accountPlan_");
        let mut granted = Decimal::ZERO;
        if request.start_mode.unwrap_or_default() == wire::StartMode::Immediate {
            let mut metadata = Metadata::new();
            metadata.insert("planId".into(), Value::String(plan.id.clone()));
            metadata.insert("accountPlanId".into(), Value::String(assignment_id.clone()));
            self.move_credits(
                AccountRef::Id(&account_id),
                TransactionType::Credit,
                plan.credits.0,
                Some(format!("Plan grant: {}", plan.name)),
                Some(metadata),
                None,
                now,
            )?;
            granted = plan.credits.0;
        }
        for previous in self.account_plans.iter_mut().filter(|p| p.account_id == account_id && p.active) {
            previous.active = false;
            previous.expires_at = Some(timestamp(now));
        }
        let assignment = wire::AccountPlan {
            id: assignment_id,
            account_id,
            plan_id: plan.id.clone(),
            active: true,
            started_at: timestamp(now),
            expires_at: None,
            plan: wire::PlanSummary { id: plan.id, name: plan.name, credits: plan.credits },
        };
        self.account_plans.push(assignment.clone());
        Ok(wire::PlanAssigned { success: true, account_plan: assignment, credits_granted: Exact(granted) })
    }

    /// An account's assignments, newest first.
    pub fn account_plans(&self, account: AccountRef<'_>) -> Result<Vec<wire::AccountPlan>, ApiError> {
        let account_id = &self.accounts[self.index_of(account)?].id;
        Ok(self.account_plans.iter().rev().filter(|p| &p.account_id == account_id).cloned().collect())
    }

    // ----- usage ----------------------------------------------------------------------

    /// Records usage with its cost. Customer context needs an account and a transaction of
    /// that account (400 otherwise); system context needs neither but checks what it is given.
    pub fn record_usage(
        &mut self,
        request: wire::RecordUsageRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::UsageRecord, ApiError> {
        let context = request.context.unwrap_or(UsageContext::Customer);
        let account = AccountRef::at_most_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        non_empty("modelId", &request.model_id)?;
        if let Some(id) = &request.transaction_id {
            non_empty("transactionId", id)?;
        }
        let usage = models::usage_from_request(
            request.usage_type,
            request.input_tokens,
            request.output_tokens,
            request.cached_tokens,
            request.audio_duration_seconds.as_ref(),
        )?;
        if context == UsageContext::Customer {
            if account.is_none() {
                return Err(ApiError::invalid("customer usage needs `accountId` or `externalId`"));
            }
            if request.transaction_id.is_none() {
                return Err(ApiError::invalid("customer usage needs `transactionId`"));
            }
        }
        let account_id = match account {
            Some(account) => Some(self.accounts[self.index_of(account)?].id.clone()),
            None => None,
        };
        if let Some(id) = &request.transaction_id {
            let transaction = self
                .transactions
                .iter()
                .find(|t| &t.id == id)
                .ok_or_else(|| ApiError::invalid(format!("transaction `{id}` does not exist")))?;
            if account_id.as_ref().is_some_and(|a| a != &transaction.account_id) {
                return Err(ApiError::invalid(format!("transaction `{id}` belongs to another account")));
            }
        }
        let model = models::find(&request.model_id)?;
        let cost = models::cost(&model, usage)?;
        let record = wire::UsageRecord {
            id: new_id("usage_"),
            context,
            account_id,
            transaction_id: request.transaction_id,
            model_id: model.model_id,
            usage_type: cost.usage_type,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_tokens: usage.cached_tokens,
            audio_duration_seconds: usage.audio_seconds.map(Exact),
            description: request.description,
            estimated_cost_usd: Exact(cost.usd),
            created_at: timestamp(now),
        };
        self.usage.push(UsageRow { record: record.clone(), created_at: now });
        Ok(record)
    }

    /// Usage records matching the filters, newest first.
    pub fn list_usage(&self, query: &UsageQuery<'_>) -> Result<Vec<wire::UsageRecord>, ApiError> {
        let account_id = match query.account {
            Some(account) => Some(self.accounts[self.index_of(account)?].id.clone()),
            None => None,
        };
        Ok(self
            .usage
            .iter()
            .rev()
            .filter(|u| account_id.is_none() || u.record.account_id == account_id)
            .filter(|u| query.model_id.is_none_or(|m| u.record.model_id == m))
            .filter(|u| query.context.is_none_or(|c| u.record.context == c))
            .filter(|u| within(u.created_at, query.start, query.end))
            .map(|u| u.record.clone())
            .collect())
    }

    /// Totals of the usage records matching the filters, summed exactly. A total beyond what
    /// a `Decimal` holds exactly (hundreds of thousands of records of absurd size) is refused
    /// with 400 rather than rounded; narrower filters then give exact totals.
    pub fn usage_summary(&self, query: &UsageQuery<'_>) -> Result<wire::UsageSummary, ApiError> {
        let records = self.list_usage(query)?;
        let too_large =
            || ApiError::invalid("the usage totals are too large to sum exactly; narrow the filters or dates");
        let add = |total: &mut Decimal, cost: Decimal| -> Result<(), ApiError> {
            *total = money::add(*total, cost).ok_or_else(too_large)?;
            Ok(())
        };
        let (mut total, mut customer, mut system) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut by_model: std::collections::BTreeMap<String, (Decimal, i64)> = Default::default();
        let (mut input_tokens, mut output_tokens) = (0_u64, 0_u64);
        for record in &records {
            let cost = record.estimated_cost_usd.0;
            add(&mut total, cost)?;
            add(if record.context == UsageContext::Customer { &mut customer } else { &mut system }, cost)?;
            let model = by_model.entry(record.model_id.clone()).or_default();
            add(&mut model.0, cost)?;
            model.1 += 1;
            input_tokens = input_tokens.saturating_add(record.input_tokens).min(i64::MAX as u64);
            output_tokens = output_tokens.saturating_add(record.output_tokens).min(i64::MAX as u64);
        }
        Ok(wire::UsageSummary {
            total_cost_usd: Exact(total),
            total_input_tokens: input_tokens,
            total_output_tokens: output_tokens,
            total_records: records.len() as i64,
            by_context: [("customer".to_string(), Exact(customer)), ("system".to_string(), Exact(system))].into(),
            by_model: by_model
                .into_iter()
                .map(|(id, (cost, count))| (id, wire::ModelUsage { cost_usd: Exact(cost), count }))
                .collect(),
        })
    }
}

/// `details` of a credit refused for the balance limit.
#[derive(Serialize)]
struct BalanceLimit {
    balance: Exact,
    requested: Exact,
    maximum: Exact,
}

/// `details` of a confirmation above the reserved amount.
#[derive(Serialize)]
struct Exceeds {
    reserved: Exact,
    requested: Exact,
}

/// `details` of a confirm or cancel of a reservation that is no longer pending.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotPending<'a> {
    status: ReservationStatus,
    account_id: &'a str,
    actual_amount: Option<Exact>,
    transaction_id: Option<&'a str>,
}

/// `details` of a cancel of an expired reservation.
#[derive(Serialize)]
struct Expired {
    status: ReservationStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    fn project_with_account(balance: &str) -> (Project, String) {
        let mut project = Project::new(Duration::from_secs(300));
        let now = Utc::now();
        let request = wire::CreateAccountRequest { name: "A".into(), external_id: None, email: None, metadata: None };
        let account = project.create_account(request, now).unwrap();
        project
            .move_credits(AccountRef::Id(&account.id), TransactionType::Credit, d(balance), None, None, None, now)
            .unwrap();
        (project, account.id)
    }

    #[test]
    fn a_debit_larger_than_available_is_refused_and_changes_nothing() {
        let (mut project, id) = project_with_account("10");
        let error = project
            .move_credits(AccountRef::Id(&id), TransactionType::Debit, d("11"), None, None, None, Utc::now())
            .unwrap_err();
        assert_eq!(error.code, "insufficient_credits");
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().balance, Exact(d("10")));
        assert_eq!(project.transactions.len(), 1);
    }

    #[test]
    fn a_credit_beyond_the_maximum_balance_is_refused_and_changes_nothing() {
        let (mut project, id) = project_with_account("9007199254740990.5");
        let error = project
            .move_credits(
                AccountRef::Id(&id),
                TransactionType::Credit,
                d("0.500000000001"),
                None,
                None,
                None,
                Utc::now(),
            )
            .unwrap_err();
        assert_eq!(error.code, "invalid_request");
        project
            .move_credits(AccountRef::Id(&id), TransactionType::Credit, d("0.5"), None, None, None, Utc::now())
            .unwrap();
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().balance, Exact(MAX_CREDITS));
        assert_eq!(project.transactions.len(), 2);
    }

    #[test]
    fn expired_reservations_stop_counting_as_reserved() {
        let (mut project, id) = project_with_account("10");
        let now = Utc::now();
        let request = wire::CreateReservationRequest {
            account_id: Some(id.clone()),
            external_id: None,
            amount: serde_json::from_str("4").unwrap(),
            operation: None,
            model: None,
            metadata: None,
            expires_in_seconds: Some(1),
        };
        project.create_reservation(request, now).unwrap();
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().available, Exact(d("6")));
        project.expire(now + chrono::TimeDelta::seconds(2));
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().available, Exact(d("10")));
    }
}
