//! Saved state: a project's whole state as versioned JSON, and back.
//!
//! Export writes every row as stored (exact decimals as exact JSON numbers, times as RFC
//! 3339). Import reads a file completely, checks it (format and version, unique ids, every
//! reference, every amount within the limits, each account's ledger adding up to its
//! balance, holds within balances, at most one active plan per account) and builds a new
//! project; only a project that passed every check replaces the old one, so a bad file
//! changes nothing.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use credits_types::types::PlanInterval;
use credits_types::{ReservationStatus, TransactionType};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::accounts::{AccountRow, TransactionRow};
use super::plans::{AccountPlanRow, PlanRow};
use super::reservations::ReservationRow;
use super::usage::UsageRow;
use super::{Indexes, Project, models};
use crate::money::{self, MAX_CREDIT_PLACES, MAX_CREDITS};

/// The `format` of a saved project.
pub const STATE_FORMAT: &str = "credits-sandbox-project";

/// The version of the saved-state format this sandbox writes and reads.
pub const STATE_VERSION: u32 = 1;

/// The deepest nesting a saved state may have. The API accepts request bodies nested within
/// serde_json's limit (127 levels), so metadata is at most 126 deep; a state file holds it at
/// most 6 levels further in (file, projects, project, rows, row, field). A file nested deeper
/// than this cannot be one the sandbox wrote.
pub const MAX_STATE_DEPTH: usize = 128 + 8;

/// Parses saved state (a project, or a whole state file) as `what`: one strict JSON document
/// (no repeated key) nested at most [`MAX_STATE_DEPTH`] levels, then typed. serde_json's own
/// limit of 128 would refuse the deepest metadata the API accepts; it is lifted here only after
/// the depth was bounded by a scan that does not recurse, so the parse cannot exhaust the stack.
pub(crate) fn parse_state<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    let depth = nesting_depth(text.as_bytes());
    if depth > MAX_STATE_DEPTH {
        return Err(format!(
            "not {what}: nested {depth} levels deep, more than the {MAX_STATE_DEPTH} saved state can have"
        ));
    }
    let mut strict = serde_json::Deserializer::from_str(text);
    strict.disable_recursion_limit();
    crate::extract::strict_document(&mut strict).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut typed = serde_json::Deserializer::from_str(text);
    typed.disable_recursion_limit();
    T::deserialize(&mut typed).map_err(|e| format!("not {what}: {e}"))
}

/// The deepest nesting of arrays and objects in a JSON text (strings skipped), without
/// recursion.
fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in bytes {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The most plan periods a loaded assignment may have due at the clock's time: a load catches
/// up on them at once (grants, resets), so an assignment started in the distant past would
/// hold the server for as long as it takes; one that far behind is refused instead.
pub const MAX_CATCH_UP_PERIODS: i64 = 10_000;

/// About how many periods of `interval` lie from `from` to `to` (0 if `to` is earlier): days,
/// weeks, or months counted as 28 days (so never fewer than there are).
fn periods_between(from: DateTime<Utc>, to: DateTime<Utc>, interval: PlanInterval) -> i64 {
    let days = (to - from).num_days().max(0);
    match interval {
        PlanInterval::X1d => days,
        PlanInterval::Week => days / 7,
        PlanInterval::Month => days / 28,
    }
}

/// Exact decimals in saved state, written and read like the API's credits.
pub(super) mod exact {
    use credits_types::Credits;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        Credits::from_decimal(*value).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        Credits::deserialize(deserializer).map(Credits::to_decimal)
    }
}

/// Optional exact decimals in saved state.
pub(super) mod exact_option {
    use credits_types::Credits;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        value.map(Credits::from_decimal).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        Option::<Credits>::deserialize(deserializer).map(|v| v.map(Credits::to_decimal))
    }
}

/// One project's saved state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Snapshot<'a> {
    format: Cow<'a, str>,
    version: u32,
    accounts: Cow<'a, [AccountRow]>,
    transactions: Cow<'a, [TransactionRow]>,
    reservations: Cow<'a, [ReservationRow]>,
    plans: Cow<'a, [PlanRow]>,
    account_plans: Cow<'a, [AccountPlanRow]>,
    usage: Cow<'a, [UsageRow]>,
    /// Endpoints and unfinished deliveries (absent from files written before webhooks).
    #[serde(default)]
    webhooks: Cow<'a, super::webhooks::Webhooks>,
}

/// Why saved state was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError(pub String);

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StateError {}

fn fail<T>(message: impl Into<String>) -> Result<T, StateError> {
    Err(StateError(message.into()))
}

/// Checks that every id of `rows` is non-empty and unique.
fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<HashSet<&'a str>, StateError> {
    let mut seen = HashSet::new();
    for id in ids {
        if id.is_empty() {
            return fail(format!("{what}: an empty id"));
        }
        if !seen.insert(id) {
            return fail(format!("{what}: id `{id}` appears twice"));
        }
    }
    Ok(seen)
}

/// An amount of credits as a request could carry it.
fn amount(what: &str, value: Decimal) -> Result<(), StateError> {
    if value <= Decimal::ZERO || value > MAX_CREDITS || value.normalize().scale() > MAX_CREDIT_PLACES {
        return fail(format!(
            "{what}: amount {value} is not greater than 0 and at most {MAX_CREDITS} with at most {MAX_CREDIT_PLACES} decimal places"
        ));
    }
    Ok(())
}

impl Project {
    /// The project's whole state as JSON text (exact numbers).
    pub fn export_state(&self) -> String {
        let snapshot = Snapshot {
            format: Cow::Borrowed(STATE_FORMAT),
            version: STATE_VERSION,
            accounts: Cow::Borrowed(&self.accounts),
            transactions: Cow::Borrowed(&self.transactions),
            reservations: Cow::Borrowed(&self.reservations),
            plans: Cow::Borrowed(&self.plans),
            account_plans: Cow::Borrowed(&self.account_plans),
            usage: Cow::Borrowed(&self.usage),
            webhooks: Cow::Borrowed(&self.webhooks),
        };
        // Rows hold only strings, numbers, times and string-keyed maps: this cannot fail.
        serde_json::to_string_pretty(&snapshot).unwrap_or_default()
    }

    /// A project with the state in `text`, keeping this project's clock and TTL; an error
    /// naming the first problem if the text is not a valid saved state.
    pub fn load_state(&self, text: &str) -> Result<Project, StateError> {
        let snapshot: Snapshot<'static> = parse_state(text, "a saved sandbox project").map_err(StateError)?;
        if snapshot.format != STATE_FORMAT {
            return fail(format!("`format` is `{}`, not `{STATE_FORMAT}`", snapshot.format));
        }
        if snapshot.version != STATE_VERSION {
            return fail(format!(
                "version {} is not supported (this sandbox reads version {STATE_VERSION})",
                snapshot.version
            ));
        }
        let mut project = Project::new(std::time::Duration::ZERO, self.clock.clone());
        project.reservation_ttl = self.reservation_ttl;
        project.accounts = snapshot.accounts.into_owned();
        project.transactions = snapshot.transactions.into_owned();
        project.reservations = snapshot.reservations.into_owned();
        project.plans = snapshot.plans.into_owned();
        project.account_plans = snapshot.account_plans.into_owned();
        project.usage = snapshot.usage.into_owned();
        project.webhooks = snapshot.webhooks.into_owned();
        project.webhooks.validate().map_err(StateError)?;
        project.webhooks.restore(project.now(), self.webhooks_wake());
        project.validate_and_index()?;
        Ok(project)
    }

    /// Checks every row and reference of a loaded project and builds its indexes.
    fn validate_and_index(&mut self) -> Result<(), StateError> {
        let now = self.now();
        let mut indexes = Indexes::default();
        unique("accounts", self.accounts.iter().map(|a| a.id.as_str()))?;
        for (i, account) in self.accounts.iter().enumerate() {
            if account.name.is_empty() {
                return fail(format!("account `{}`: an empty name", account.id));
            }
            if account.balance < Decimal::ZERO || account.balance > MAX_CREDITS {
                return fail(format!("account `{}`: balance {} out of range", account.id, account.balance));
            }
            indexes.account_by_id.insert(account.id.clone(), i);
            if let Some(external) = &account.external_id
                && indexes.account_by_external_id.insert(external.clone(), i).is_some()
            {
                return fail(format!("externalId `{external}` appears twice"));
            }
        }
        unique("transactions", self.transactions.iter().map(|t| t.id.as_str()))?;
        let transactions: HashMap<&str, &TransactionRow> =
            self.transactions.iter().map(|t| (t.id.as_str(), t)).collect();
        let mut running: HashMap<&str, Decimal> = HashMap::new();
        for (i, t) in self.transactions.iter().enumerate() {
            let what = format!("transaction `{}`", t.id);
            if !indexes.account_by_id.contains_key(&t.account_id) {
                return fail(format!("{what}: unknown account `{}`", t.account_id));
            }
            amount(&what, t.amount)?;
            let sum = running.entry(t.account_id.as_str()).or_default();
            *sum = match t.kind {
                TransactionType::Credit => money::add(*sum, t.amount),
                TransactionType::Debit => money::sub(*sum, t.amount),
                _ => return fail(format!("{what}: unknown type `{}`", t.kind)),
            }
            .filter(|s| *s >= Decimal::ZERO && *s <= MAX_CREDITS)
            .ok_or_else(|| StateError(format!("{what}: the ledger leaves the range 0 to {MAX_CREDITS}")))?;
            if t.balance_after != *sum {
                return fail(format!("{what}: balanceAfter {} is not the running sum {}", t.balance_after, sum));
            }
            indexes.transactions_by_account.entry(t.account_id.clone()).or_default().push(i);
        }
        for account in &self.accounts {
            let sum = running.get(account.id.as_str()).copied().unwrap_or_default();
            if sum != account.balance {
                return fail(format!(
                    "account `{}`: balance {} is not the sum of its ledger {sum}",
                    account.id, account.balance
                ));
            }
        }
        unique("reservations", self.reservations.iter().map(|r| r.id.as_str()))?;
        let mut held: HashMap<&str, Decimal> = HashMap::new();
        for (i, r) in self.reservations.iter().enumerate() {
            let what = format!("reservation `{}`", r.id);
            if !indexes.account_by_id.contains_key(&r.account_id) {
                return fail(format!("{what}: unknown account `{}`", r.account_id));
            }
            amount(&what, r.amount)?;
            match &r.status {
                ReservationStatus::Pending => {
                    let sum = held.entry(r.account_id.as_str()).or_default();
                    *sum = money::add(*sum, r.amount).unwrap_or(Decimal::MAX);
                    indexes.pending.insert(i);
                }
                ReservationStatus::Confirmed => {
                    let actual =
                        r.actual_amount.ok_or_else(|| StateError(format!("{what}: confirmed without actualAmount")))?;
                    amount(&what, actual)?;
                    if actual > r.amount {
                        return fail(format!("{what}: actualAmount above the amount"));
                    }
                    let Some(t) = r.transaction_id.as_deref().and_then(|t| transactions.get(t)) else {
                        return fail(format!("{what}: confirmed without an existing transaction"));
                    };
                    // The confirm's own debit: of this account, for the actual amount.
                    if t.account_id != r.account_id || t.kind != TransactionType::Debit || t.amount != actual {
                        return fail(format!(
                            "{what}: its transaction `{}` is not a debit of {actual} from account `{}`",
                            t.id, r.account_id
                        ));
                    }
                }
                ReservationStatus::Cancelled | ReservationStatus::Expired => {}
                other => return fail(format!("{what}: unknown status `{other}`")),
            }
            indexes.reservation_by_id.insert(r.id.clone(), i);
        }
        // A transaction that names a reservation is the debit that reservation's confirm wrote
        // (ids are unique, so a reservation is charged at most once).
        for t in &self.transactions {
            let Some(reservation_id) = t.reservation_id.as_deref() else { continue };
            let what = format!("transaction `{}`", t.id);
            let confirmed_by_it =
                indexes.reservation_by_id.get(reservation_id).map(|&i| &self.reservations[i]).is_some_and(|r| {
                    r.status == ReservationStatus::Confirmed && r.transaction_id.as_deref() == Some(t.id.as_str())
                });
            if !confirmed_by_it {
                return fail(format!("{what}: names reservation `{reservation_id}`, which it did not confirm"));
            }
        }
        for account in &self.accounts {
            if held.get(account.id.as_str()).is_some_and(|h| *h > account.balance) {
                return fail(format!("account `{}`: pending reservations hold more than its balance", account.id));
            }
        }
        unique("plans", self.plans.iter().map(|p| p.id.as_str()))?;
        let plans: HashMap<&str, &PlanRow> = self.plans.iter().map(|p| (p.id.as_str(), p)).collect();
        for plan in &self.plans {
            amount(&format!("plan `{}`", plan.id), plan.credits)?;
        }
        unique("account plans", self.account_plans.iter().map(|p| p.id.as_str()))?;
        for (i, a) in self.account_plans.iter().enumerate() {
            let what = format!("account plan `{}`", a.id);
            let (true, Some(plan)) = (indexes.account_by_id.contains_key(&a.account_id), plans.get(a.plan_id.as_str()))
            else {
                return fail(format!("{what}: unknown account or plan"));
            };
            if a.unused < Decimal::ZERO || a.unused > MAX_CREDITS {
                return fail(format!("{what}: unused credits {} out of range", a.unused));
            }
            // One grant per period begun, and never more than the plan's occurrences.
            let most_grants = plan.occurrences.map_or(u64::MAX, |n| n.get()).min(u64::from(a.next_boundary) + 1);
            if a.grants > most_grants {
                return fail(format!("{what}: {} grants, more than its periods allow", a.grants));
            }
            if let Some(due) = a.next_event {
                if due < a.started_at || a.expires_at.is_some_and(|end| due > end) {
                    return fail(format!("{what}: next period due {due}, outside its start and end"));
                }
                let behind = periods_between(due, now, plan.interval);
                if behind > MAX_CATCH_UP_PERIODS {
                    return fail(format!(
                        "{what}: {behind} periods are due by now, more than the {MAX_CATCH_UP_PERIODS} a load \
                         catches up on (move the state's times or start the sandbox with an earlier --clock-start)"
                    ));
                }
            }
            if a.active {
                if indexes.active_plan.insert(a.account_id.clone(), i).is_some() {
                    return fail(format!("account `{}`: two active plans", a.account_id));
                }
                if let Some(due) = a.next_event {
                    indexes.plan_events.insert((due, i));
                }
            }
        }
        unique("usage", self.usage.iter().map(|u| u.id.as_str()))?;
        for u in &self.usage {
            let what = format!("usage `{}`", u.id);
            if u.account_id.as_ref().is_some_and(|a| !indexes.account_by_id.contains_key(a))
                || u.transaction_id.as_deref().is_some_and(|t| !transactions.contains_key(t))
            {
                return fail(format!("{what}: unknown account or transaction"));
            }
            if u.context.is_unknown() || u.usage_type.is_unknown() || models::find(&u.model_id).is_err() {
                return fail(format!("{what}: unknown context, usage type or model"));
            }
            if u.cost < Decimal::ZERO {
                return fail(format!("{what}: negative cost"));
            }
        }
        self.indexes = indexes;
        Ok(())
    }
}
