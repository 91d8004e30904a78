//! Project state and ledger logic, one file per API area: `accounts` (accounts, balances and
//! the ledger), `reservations`, `plans`, `usage` and `models` (the price list and the cost
//! formula). Each area adds its operations to [`Project`] in its own `impl` block.
//!
//! The state keeps exact [`Decimal`]s; operations take the generated request types and answer
//! the generated response objects (`credits_types::types`), converting money at the edge
//! (`crate::money::credits_out`, `usd_out`). Every operation validates before it writes.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::clock::Clock;
use crate::error::ApiError;

mod accounts;
pub mod models;
mod plans;
mod reservations;
mod snapshot;
mod trigger;
mod usage;
mod view;
pub mod webhooks;

pub use accounts::TransactionQuery;
pub(crate) use snapshot::parse_state;
pub use snapshot::{STATE_FORMAT, STATE_VERSION, StateError};
pub use usage::UsageQuery;
pub use view::View;

use accounts::{AccountRow, TransactionRow};
use plans::{AccountPlanRow, PlanRow};
use reservations::ReservationRow;
use usage::UsageRow;

/// The developer id every sandbox account carries.
pub const DEVELOPER_ID: &str = "dev_sandbox";

/// The longest a reservation may last: 86 400 s, the most `expiresInSeconds` allows.
pub const MAX_RESERVATION_TTL: Duration = Duration::from_secs(86_400);

/// A fresh id: `prefix` followed by 20 random alphanumerics.
pub fn new_id(prefix: &str) -> String {
    let suffix: String = std::iter::repeat_with(fastrand::alphanumeric).take(20).collect();
    format!("{prefix}{suffix}")
}

/// Checks a required id-like string is not empty.
pub fn non_empty<'a>(name: &str, value: &'a str) -> Result<&'a str, ApiError> {
    if value.is_empty() { Err(ApiError::invalid(format!("`{name}` must not be empty"))) } else { Ok(value) }
}

/// An open enum value sent in a request must be one the spec lists: 400 otherwise.
fn known<T: std::fmt::Display>(name: &str, value: T, unknown: bool) -> Result<T, ApiError> {
    if unknown { Err(ApiError::invalid(format!("`{name}` has an unknown value `{value}`"))) } else { Ok(value) }
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
    /// The next period event of every running plan assignment: (due, assignment index).
    plan_events: BTreeSet<(DateTime<Utc>, usize)>,
    /// Each account's active plan assignment.
    active_plan: HashMap<String, usize>,
}

/// The state of one project (one API key).
#[derive(Debug)]
pub struct Project {
    clock: Clock,
    reservation_ttl: chrono::TimeDelta,
    accounts: Vec<AccountRow>,
    plans: Vec<PlanRow>,
    account_plans: Vec<AccountPlanRow>,
    transactions: Vec<TransactionRow>,
    reservations: Vec<ReservationRow>,
    usage: Vec<UsageRow>,
    webhooks: webhooks::Webhooks,
    indexes: Indexes,
}

fn within(t: DateTime<Utc>, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> bool {
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
}

impl Project {
    /// An empty project whose reservations last `reservation_ttl` unless a request says
    /// otherwise. A TTL beyond [`MAX_RESERVATION_TTL`] is cut to it (the builder refuses one).
    pub fn new(reservation_ttl: Duration, clock: Clock) -> Self {
        let reservation_ttl = chrono::TimeDelta::from_std(reservation_ttl.min(MAX_RESERVATION_TTL))
            .unwrap_or(chrono::TimeDelta::seconds(300));
        Self {
            clock,
            reservation_ttl,
            accounts: Vec::new(),
            plans: Vec::new(),
            account_plans: Vec::new(),
            transactions: Vec::new(),
            reservations: Vec::new(),
            usage: Vec::new(),
            webhooks: webhooks::Webhooks::default(),
            indexes: Indexes::default(),
        }
    }

    /// Adds the demo data: account `user_demo` with 1000 credits and a "Pro" plan.
    pub fn seed(&mut self, now: DateTime<Utc>) {
        let request = credits_types::types::CreateAccountRequest {
            name: "Demo User".into(),
            external_id: Some("user_demo".into()),
            email: Some("demo@example.com".into()),
            metadata: None,
        };
        if let Ok(account) = self.create_account(request, now) {
            let _ = self.move_credits(
                AccountRef::Id(&account.id),
                credits_types::TransactionType::Credit,
                Decimal::from(1000),
                Some("Demo credits".into()),
                None,
                None,
                now,
            );
        }
        self.seed_plan();
    }

    /// The sandbox clock's time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Brings the project up to `now`: runs the plan periods that began (grants, resets, ends)
    /// and expires the reservations whose time has passed, in time order. Run before every
    /// operation, so nothing time-based needs a background task.
    pub fn catch_up(&mut self, now: DateTime<Utc>) {
        self.run_plan_events(now);
        self.expire(now);
    }

    fn index_of(&self, account: AccountRef<'_>) -> Result<usize, ApiError> {
        let found = match account {
            AccountRef::Id(id) => self.indexes.account_by_id.get(id),
            AccountRef::External(id) => self.indexes.account_by_external_id.get(id),
        };
        found.copied().ok_or_else(|| ApiError::not_found("account_not_found", "no such account"))
    }

    /// The `acc_…` id of an account named either way.
    fn account_id(&self, account: AccountRef<'_>) -> Result<String, ApiError> {
        self.index_of(account).map(|i| self.accounts[i].id.clone())
    }
}

/// A project's saved state, after bringing it up to the clock's time.
pub(crate) fn export_project(project: &Mutex<Project>) -> String {
    let mut project = project.lock().unwrap_or_else(PoisonError::into_inner);
    let now = project.now();
    project.catch_up(now);
    project.export_state()
}

/// Replaces a project's state with checked saved state; nothing changes on an error.
pub(crate) fn import_project(project: &Mutex<Project>, text: &str) -> Result<(), StateError> {
    let mut project = project.lock().unwrap_or_else(PoisonError::into_inner);
    let loaded = project.load_state(text)?;
    *project = loaded;
    if let Some(wake) = &project.webhooks_wake() {
        wake.notify_one();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use credits_types::types;
    use credits_types::{Amount, Credits, TransactionType};

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    fn project_with_account(balance: &str) -> (Project, String) {
        let mut project = Project::new(Duration::from_secs(300), Clock::default());
        let now = Utc::now();
        let request = types::CreateAccountRequest { name: "A".into(), external_id: None, email: None, metadata: None };
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
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().balance, Credits::from(10));
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
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().balance.to_decimal(), crate::money::MAX_CREDITS);
        assert_eq!(project.transactions.len(), 2);
    }

    #[test]
    fn expired_reservations_stop_counting_as_reserved() {
        let (mut project, id) = project_with_account("10");
        let now = Utc::now();
        let request = types::CreateReservationRequest {
            account_id: Some(id.clone()),
            external_id: None,
            amount: Amount::try_from(4).unwrap(),
            operation: None,
            model: None,
            metadata: None,
            expires_in_seconds: std::num::NonZeroU64::new(1),
        };
        project.create_reservation(request, now).unwrap();
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().available, Credits::from(6));
        project.expire(now + chrono::TimeDelta::seconds(2));
        assert_eq!(project.balance(AccountRef::Id(&id)).unwrap().available, Credits::from(10));
    }
}
