//! Plans: list, create, archive, and assignment to accounts.

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::Result;
use crate::requests::AccountRef;
use crate::requests::validate;
use crate::values::PlanStartMode;
use crate::values::{Amount, InvalidAmount};

pub use crate::api::types::PlanInterval;

/// A new recurring plan: [`CreatePlan::new`] with its name, credits per period and period.
///
/// ```
/// use credits_sdk::{CreatePlan, PlanInterval};
///
/// let pro = CreatePlan::new("Pro", 10_000, PlanInterval::Month).accumulate(true);
/// # let _ = pro;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CreatePlan {
    name: String,
    amount: std::result::Result<Amount, InvalidAmount>,
    interval: PlanInterval,
    occurrences: Option<std::num::NonZeroU64>,
    accumulate: Option<bool>,
    active: Option<bool>,
}

impl CreatePlan {
    /// A plan granting `credits` every `interval`.
    pub fn new(
        name: impl Into<String>,
        credits: impl TryInto<Amount, Error = InvalidAmount>,
        interval: PlanInterval,
    ) -> Self {
        Self {
            name: name.into(),
            amount: credits.try_into(),
            interval,
            occurrences: None,
            accumulate: None,
            active: None,
        }
    }

    /// Stops after this many grants (default: no limit).
    pub fn occurrences(mut self, grants: std::num::NonZeroU64) -> Self {
        self.occurrences = Some(grants);
        self
    }

    /// Whether unused credits roll over to the next period.
    pub fn accumulate(mut self, accumulate: bool) -> Self {
        self.accumulate = Some(accumulate);
        self
    }

    /// Whether the plan can be assigned once created (default true).
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }
}

/// A plan assignment: [`AssignPlan::new`] with the account and plan, then the start mode.
///
/// ```
/// use credits_sdk::{AccountRef, AssignPlan};
///
/// let upgrade = AssignPlan::new(AccountRef::external("user_456"), "plan_abc123").immediate();
/// # let _ = upgrade;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct AssignPlan {
    account: AccountRef,
    plan_id: String,
    start_mode: Option<PlanStartMode>,
}

impl AssignPlan {
    /// Assigns `plan_id` to `account`, replacing its active plan.
    pub fn new(account: impl Into<AccountRef>, plan_id: impl Into<String>) -> Self {
        Self { account: account.into(), plan_id: plan_id.into(), start_mode: None }
    }

    /// Grants the plan's credits now (`startMode: immediate`).
    pub fn immediate(self) -> Self {
        self.start_mode(PlanStartMode::Immediate)
    }

    /// Sets the start mode explicitly.
    pub fn start_mode(mut self, mode: PlanStartMode) -> Self {
        self.start_mode = Some(mode);
        self
    }
}

impl CreditsClient {
    /// Lists the project's plans, archived ones included (`GET /v1/plans`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// let plans = client.list_plans().await?.plans;
    /// let assignable: Vec<_> = plans.iter().filter(|p| p.is_active != Some(false)).collect();
    /// # Ok(()) }
    /// ```
    pub async fn list_plans(&self) -> Result<types::ListPlansResponse> {
        self.call(self.api().list_plans().send()).await
    }

    /// Creates a recurring plan (`POST /v1/plans/create`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{CreatePlan, PlanInterval};
    /// let plan = client.create_plan(CreatePlan::new("Pro", 10_000, PlanInterval::Month)).await?.plan;
    /// # Ok(()) }
    /// ```
    pub async fn create_plan(&self, plan: CreatePlan) -> Result<types::PlanResponse> {
        let body = types::CreatePlanRequest {
            name: validate::non_empty("plan name", &plan.name)?,
            amount: validate::amount("credits", &plan.amount)?,
            interval: plan.interval,
            occurrences: plan.occurrences,
            accumulate: plan.accumulate,
            mark_as_active: plan.active,
        };
        self.call(self.api().create_plan().body(body).send()).await
    }

    /// Archives a plan: it can no longer be assigned (`POST /v1/plans/archive`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// client.archive_plan("plan_abc123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn archive_plan(&self, plan_id: impl AsRef<str>) -> Result<types::ArchivePlanResponse> {
        let body = types::ArchivePlanRequest { plan_id: validate::non_empty("plan id", plan_id.as_ref())? };
        self.call(self.api().archive_plan().body(body).send()).await
    }

    /// Assigns a plan to an account (`POST /v1/accounts/plans/assign`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, AssignPlan};
    /// let plans = client.list_plans().await?.plans;
    /// client.assign_plan_to_account(AssignPlan::new(AccountRef::external("user_456"), &plans[0].id).immediate()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn assign_plan_to_account(&self, assignment: AssignPlan) -> Result<types::AssignPlanResponse> {
        let (account_id, external_id) = assignment.account.into_wire()?;
        let body = types::AssignPlanRequest {
            account_id,
            external_id,
            plan_id: validate::non_empty("plan id", &assignment.plan_id)?,
            start_mode: assignment.start_mode,
        };
        self.call(self.api().assign_plan_to_account().body(body).send()).await
    }
}
