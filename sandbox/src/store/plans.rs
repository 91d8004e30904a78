//! Plans: create, list, archive, assign to an account, and the account's assignments.

use credits_types::webhooks::EventType;
use std::num::NonZeroU64;

use chrono::{DateTime, Months, TimeDelta, Utc};
use credits_types::types::{self, PlanInterval};
use credits_types::{PlanStartMode, TransactionType};
use rust_decimal::Decimal;
use serde_json::Value;

use super::accounts::Metadata;
use super::{AccountRef, Project, known, new_id, non_empty};
use crate::error::ApiError;
use crate::money::{self, credits_out, usd_out};
use crate::spec::wire;

/// A stored plan.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PlanRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) description: Option<String>,
    #[serde(with = "super::snapshot::exact")]
    pub(super) credits: Decimal,
    #[serde(with = "super::snapshot::exact_option", default)]
    pub(super) price: Option<Decimal>,
    pub(super) interval: PlanInterval,
    pub(super) occurrences: Option<NonZeroU64>,
    pub(super) accumulate: bool,
    pub(super) is_active: bool,
}

/// A stored assignment of a plan to an account.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AccountPlanRow {
    pub(super) id: String,
    pub(super) account_id: String,
    pub(super) plan_id: String,
    pub(super) active: bool,
    pub(super) started_at: DateTime<Utc>,
    pub(super) expires_at: Option<DateTime<Utc>>,
    /// Grants made so far.
    pub(super) grants: u64,
    /// The index of the next period boundary (boundary `k` is `started_at` + k intervals).
    pub(super) next_boundary: u32,
    /// When the next period event is due; `None` once the assignment is over.
    pub(super) next_event: Option<DateTime<Utc>>,
    /// Credits granted by this assignment and not yet spent: what a reset takes back.
    #[serde(with = "super::snapshot::exact")]
    pub(super) unused: Decimal,
}

/// Period boundary `k` of an assignment anchored at `anchor`: `anchor` + k days, weeks or
/// months (a month from the 31st lands on the month's last day, always counted from the
/// anchor so that days do not drift). `None` beyond the calendar.
pub(super) fn boundary(anchor: DateTime<Utc>, interval: PlanInterval, k: u32) -> Option<DateTime<Utc>> {
    match interval {
        PlanInterval::X1d => anchor.checked_add_signed(TimeDelta::try_days(i64::from(k))?),
        PlanInterval::Week => anchor.checked_add_signed(TimeDelta::try_weeks(i64::from(k))?),
        PlanInterval::Month => anchor.checked_add_months(Months::new(k)),
    }
}

/// The billing period as plan lists say it (`daily`, `weekly`, `monthly`).
fn billing_period(interval: PlanInterval) -> &'static str {
    match interval {
        PlanInterval::X1d => "daily",
        PlanInterval::Week => "weekly",
        PlanInterval::Month => "monthly",
    }
}

impl PlanRow {
    fn to_wire(&self) -> Result<types::Plan, ApiError> {
        wire!(types::Plan {
            id: self.id.clone(),
            name: Some(self.name.clone()),
            description: self.description.clone(),
            credits: Some(credits_out(self.credits)),
            price: self.price.map(usd_out),
            billing_period: Some(billing_period(self.interval).into()),
            interval: Some(self.interval.to_string()),
            occurrences: self.occurrences.map(|n| i64::try_from(n.get()).unwrap_or(i64::MAX)),
            accumulate: Some(self.accumulate),
            is_active: Some(self.is_active),
        })
    }
}

impl Project {
    /// The seeded "Pro" plan: 1000 credits monthly, 49.99 USD.
    pub(super) fn seed_plan(&mut self) {
        self.plans.push(PlanRow {
            id: new_id("plan_"),
            name: "Pro".into(),
            description: Some("1000 credits every month".into()),
            credits: Decimal::from(1000),
            price: Some(Decimal::new(4999, 2)),
            interval: PlanInterval::Month,
            occurrences: None,
            accumulate: false,
            is_active: true,
        });
    }

    pub(super) fn plan(&self, plan_id: &str) -> Result<&PlanRow, ApiError> {
        self.plans
            .iter()
            .find(|p| p.id == plan_id)
            .ok_or_else(|| ApiError::not_found("plan_not_found", format!("no plan `{plan_id}`")))
    }

    /// The plan of an assignment, abridged.
    fn account_plan_to_wire(&self, row: &AccountPlanRow) -> Result<types::AccountPlan, ApiError> {
        let plan = self.plan(&row.plan_id).ok();
        let plan = plan
            .map(|p| {
                wire!(types::PlanSummary {
                    id: p.id.clone(),
                    name: Some(p.name.clone()),
                    credits: Some(credits_out(p.credits)),
                })
            })
            .transpose()?;
        wire!(types::AccountPlan {
            id: row.id.clone(),
            account_id: Some(row.account_id.clone()),
            plan_id: row.plan_id.clone(),
            active: row.active,
            started_at: Some(row.started_at),
            expires_at: row.expires_at,
            plan,
        })
    }

    /// Creates a plan.
    pub fn create_plan(&mut self, request: types::CreatePlanRequest) -> Result<types::Plan, ApiError> {
        non_empty("name", &request.name)?;
        // The spec types `occurrences` as int64: a larger count is refused, not clamped.
        if request.occurrences.is_some_and(|n| i64::try_from(n.get()).is_err()) {
            return Err(ApiError::invalid(format!("occurrences must be at most {}", i64::MAX)));
        }
        let row = PlanRow {
            id: new_id("plan_"),
            name: request.name,
            description: None,
            credits: request.amount.get().to_decimal(),
            price: None,
            interval: request.interval,
            occurrences: request.occurrences,
            accumulate: request.accumulate.unwrap_or(false),
            is_active: request.mark_as_active.unwrap_or(true),
        };
        let plan = row.to_wire()?;
        self.plans.push(row);
        Ok(plan)
    }

    /// Every plan, archived ones included.
    pub fn list_plans(&self) -> Result<Vec<types::Plan>, ApiError> {
        self.plans.iter().map(PlanRow::to_wire).collect()
    }

    /// Archives a plan (idempotent).
    pub fn archive_plan(&mut self, plan_id: &str) -> Result<types::Plan, ApiError> {
        non_empty("planId", plan_id)?;
        let plan = self
            .plans
            .iter_mut()
            .find(|p| p.id == plan_id)
            .ok_or_else(|| ApiError::not_found("plan_not_found", format!("no plan `{plan_id}`")))?;
        plan.is_active = false;
        plan.to_wire()
    }

    /// Assigns a plan, deactivating the account's previous active assignment.
    pub fn assign_plan(
        &mut self,
        request: types::AssignPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<types::AssignPlanResponse, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        non_empty("planId", &request.plan_id)?;
        let start_mode = request.start_mode.unwrap_or(PlanStartMode::NextPeriod);
        let unknown = start_mode.is_unknown();
        let start_mode = known("startMode", start_mode, unknown)?;
        let account_id = self.account_id(account)?;
        let plan = self.plan(&request.plan_id)?.clone();
        if !plan.is_active {
            return Err(ApiError::conflict("plan_archived", format!("plan `{}` is archived", plan.id)));
        }
        if let Some(previous) = self.indexes.active_plan.remove(&account_id) {
            let row = &mut self.account_plans[previous];
            row.active = false;
            row.expires_at = Some(now);
            if let Some(due) = row.next_event.take() {
                self.indexes.plan_events.remove(&(due, previous));
            }
            self.emit(EventType::PlanRemoved, |p| p.account_plan_to_wire(&p.account_plans[previous]));
        }
        let index = self.account_plans.len();
        self.account_plans.push(AccountPlanRow {
            id: new_id("accountPlan_"),
            account_id: account_id.clone(),
            plan_id: plan.id.clone(),
            active: true,
            started_at: now,
            expires_at: None,
            grants: 0,
            next_boundary: 1,
            next_event: None,
            unused: Decimal::ZERO,
        });
        self.indexes.active_plan.insert(account_id, index);
        let granted = if start_mode == PlanStartMode::Immediate {
            self.account_plans[index].next_boundary = 0;
            self.plan_event(index, now)
        } else {
            self.schedule(index);
            Decimal::ZERO
        };
        let account_plan = self.account_plan_to_wire(&self.account_plans[index])?;
        self.emit(EventType::PlanAssigned, |_| Ok(account_plan.clone()));
        wire!(types::AssignPlanResponse {
            success: Some(true),
            account_plan: Some(account_plan),
            credits_granted: Some(credits_out(granted)),
        })
    }

    /// Puts the assignment's next boundary on the event queue, or ends it when there is none.
    fn schedule(&mut self, index: usize) {
        let row = &self.account_plans[index];
        let interval = self.plan(&row.plan_id).map(|p| p.interval).ok();
        let due = interval.and_then(|interval| boundary(row.started_at, interval, row.next_boundary));
        self.account_plans[index].next_event = due;
        if let Some(due) = due {
            self.indexes.plan_events.insert((due, index));
        }
    }

    /// Runs the plan events due at or before `now`, in time order, each after expiring the
    /// reservations due before it. Returns when none is left.
    pub(super) fn run_plan_events(&mut self, now: DateTime<Utc>) {
        while let Some(&(due, index)) = self.indexes.plan_events.first() {
            if due > now {
                break;
            }
            self.indexes.plan_events.remove(&(due, index));
            self.expire(due);
            self.plan_event(index, due);
        }
    }

    /// Period boundary of assignment `index` at `at`: takes back the unused plan credits
    /// unless the plan accumulates, then grants the plan's credits, or ends the assignment
    /// once `occurrences` grants were made. Answers the credits granted.
    fn plan_event(&mut self, index: usize, at: DateTime<Utc>) -> Decimal {
        let Ok(plan) = self.plan(&self.account_plans[index].plan_id).cloned() else { return Decimal::ZERO };
        let row = &self.account_plans[index];
        let (account_id, assignment_id, period) = (row.account_id.clone(), row.id.clone(), row.next_boundary);
        let metadata = |kind: &str| {
            let mut metadata = Metadata::new();
            metadata.insert("planId".into(), Value::String(plan.id.clone()));
            metadata.insert("accountPlanId".into(), Value::String(assignment_id.clone()));
            metadata.insert("period".into(), Value::from(period));
            metadata.insert("planEvent".into(), Value::String(kind.into()));
            Some(metadata)
        };
        if !plan.accumulate && row.grants > 0 {
            // Never more than is available: credits held by reservations stay held.
            let available = self.index_of(AccountRef::Id(&account_id)).map(|i| self.available(i)).unwrap_or_default();
            let forfeit = row.unused.min(available);
            if forfeit > Decimal::ZERO {
                let description = Some(format!("Unused plan credits expired: {}", plan.name));
                let _ = self.move_credits(
                    AccountRef::Id(&account_id),
                    TransactionType::Debit,
                    forfeit,
                    description,
                    metadata("reset"),
                    None,
                    at,
                );
            }
            self.account_plans[index].unused = Decimal::ZERO;
        }
        if plan.occurrences.is_some_and(|n| self.account_plans[index].grants >= n.get()) {
            let row = &mut self.account_plans[index];
            row.active = false;
            row.expires_at = Some(at);
            row.next_event = None;
            self.indexes.active_plan.remove(&account_id);
            self.emit(EventType::PlanRemoved, |p| p.account_plan_to_wire(&p.account_plans[index]));
            return Decimal::ZERO;
        }
        let description = Some(format!("Plan grant: {}", plan.name));
        let granted = self
            .move_credits(
                AccountRef::Id(&account_id),
                TransactionType::Credit,
                plan.credits,
                description,
                metadata("grant"),
                None,
                at,
            )
            .map(|_| plan.credits)
            .unwrap_or(Decimal::ZERO);
        let row = &mut self.account_plans[index];
        row.grants += 1;
        row.unused = money::add(row.unused, granted).unwrap_or(row.unused);
        row.next_boundary = row.next_boundary.saturating_add(1);
        self.schedule(index);
        granted
    }

    /// A debit spends the account's unused plan credits first.
    pub(super) fn spend_plan_credits(&mut self, account_id: &str, amount: Decimal) {
        if let Some(&index) = self.indexes.active_plan.get(account_id) {
            let row = &mut self.account_plans[index];
            row.unused = money::sub(row.unused, amount).unwrap_or(Decimal::ZERO).max(Decimal::ZERO);
        }
    }

    /// An account's assignments, newest first.
    pub fn account_plans(&self, account: AccountRef<'_>) -> Result<Vec<types::AccountPlan>, ApiError> {
        let account_id = self.account_id(account)?;
        self.account_plans
            .iter()
            .rev()
            .filter(|p| p.account_id == account_id)
            .map(|p| self.account_plan_to_wire(p))
            .collect()
    }
}
