//! Plans: create, list, archive, assign to an account, and the account's assignments.

use std::num::NonZeroU64;

use chrono::{DateTime, Utc};
use credits_sdk::api::types::{self, PlanInterval};
use credits_sdk::{PlanStartMode, TransactionType};
use rust_decimal::Decimal;
use serde_json::Value;

use super::accounts::Metadata;
use super::{AccountRef, Project, known, new_id, non_empty};
use crate::error::ApiError;
use crate::money::{credits_out, usd_out};

/// A stored plan.
#[derive(Debug, Clone)]
pub(super) struct PlanRow {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) credits: Decimal,
    pub(super) price: Option<Decimal>,
    pub(super) interval: PlanInterval,
    pub(super) occurrences: Option<NonZeroU64>,
    pub(super) accumulate: bool,
    pub(super) is_active: bool,
}

/// A stored assignment of a plan to an account.
#[derive(Debug, Clone)]
pub(super) struct AccountPlanRow {
    pub(super) id: String,
    pub(super) account_id: String,
    pub(super) plan_id: String,
    pub(super) active: bool,
    pub(super) started_at: DateTime<Utc>,
    pub(super) expires_at: Option<DateTime<Utc>>,
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
    fn to_wire(&self) -> types::Plan {
        types::Plan {
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
        }
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

    fn plan(&self, plan_id: &str) -> Result<&PlanRow, ApiError> {
        self.plans
            .iter()
            .find(|p| p.id == plan_id)
            .ok_or_else(|| ApiError::not_found("plan_not_found", format!("no plan `{plan_id}`")))
    }

    /// The plan of an assignment, abridged.
    fn account_plan_to_wire(&self, row: &AccountPlanRow) -> types::AccountPlan {
        let plan = self.plan(&row.plan_id).ok();
        types::AccountPlan {
            id: row.id.clone(),
            account_id: Some(row.account_id.clone()),
            plan_id: row.plan_id.clone(),
            active: row.active,
            started_at: Some(row.started_at),
            expires_at: row.expires_at,
            plan: plan.map(|p| types::PlanSummary {
                id: p.id.clone(),
                name: Some(p.name.clone()),
                credits: Some(credits_out(p.credits)),
            }),
        }
    }

    /// Creates a plan.
    pub fn create_plan(&mut self, request: types::CreatePlanRequest) -> Result<types::Plan, ApiError> {
        non_empty("name", &request.name)?;
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
        let plan = row.to_wire();
        self.plans.push(row);
        Ok(plan)
    }

    /// Every plan, archived ones included.
    pub fn list_plans(&self) -> Vec<types::Plan> {
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
        Ok(plan.to_wire())
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
        let assignment_id = new_id("accountPlan_");
        let mut granted = Decimal::ZERO;
        if start_mode == PlanStartMode::Immediate {
            let mut metadata = Metadata::new();
            metadata.insert("planId".into(), Value::String(plan.id.clone()));
            metadata.insert("accountPlanId".into(), Value::String(assignment_id.clone()));
            self.move_credits(
                AccountRef::Id(&account_id),
                TransactionType::Credit,
                plan.credits,
                Some(format!("Plan grant: {}", plan.name)),
                Some(metadata),
                None,
                now,
            )?;
            granted = plan.credits;
        }
        for previous in self.account_plans.iter_mut().filter(|p| p.account_id == account_id && p.active) {
            previous.active = false;
            previous.expires_at = Some(now);
        }
        let row = AccountPlanRow {
            id: assignment_id,
            account_id,
            plan_id: plan.id.clone(),
            active: true,
            started_at: now,
            expires_at: None,
        };
        let account_plan = self.account_plan_to_wire(&row);
        self.account_plans.push(row);
        Ok(types::AssignPlanResponse { success: Some(true), account_plan, credits_granted: Some(credits_out(granted)) })
    }

    /// An account's assignments, newest first.
    pub fn account_plans(&self, account: AccountRef<'_>) -> Result<Vec<types::AccountPlan>, ApiError> {
        let account_id = self.account_id(account)?;
        Ok(self
            .account_plans
            .iter()
            .rev()
            .filter(|p| p.account_id == account_id)
            .map(|p| self.account_plan_to_wire(p))
            .collect())
    }
}
