//! `credits trigger <event-type>` (`POST /_sandbox/webhooks/trigger`): makes the project emit
//! an event of a given type by doing what causes it, on an account of its own
//! (`externalId` [`TRIGGER_ACCOUNT`], created with 100 credits when first needed). The
//! events are real: the ledger changes as the API call would change it, and the other events
//! the change causes are sent too (a confirm also sends `transaction.created`).

use credits_types::types;
use credits_types::webhooks::EventType;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{AccountRef, Project, models, new_id};
use crate::error::ApiError;

/// The `externalId` of the account triggered events are about.
pub const TRIGGER_ACCOUNT: &str = "trigger_demo";

fn request<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::invalid(format!("trigger: {e}")))
}

impl Project {
    /// Does what emits `event_type` (see the module's docs).
    pub fn trigger(&mut self, event_type: EventType) -> Result<(), ApiError> {
        let now = self.now();
        self.catch_up(now);
        if event_type == EventType::AccountCreated {
            let name = new_id("trigger_");
            self.create_account(request(json!({ "name": "Triggered account", "externalId": name }))?, now)?;
            return Ok(());
        }
        let account = match self.account_id(AccountRef::External(TRIGGER_ACCOUNT)) {
            Ok(id) => id,
            Err(_) => {
                let created = self
                    .create_account(request(json!({ "name": "Trigger demo", "externalId": TRIGGER_ACCOUNT }))?, now)?;
                self.move_credits(
                    AccountRef::Id(&created.id),
                    credits_types::TransactionType::Credit,
                    Decimal::from(100),
                    Some("Trigger demo credits".into()),
                    None,
                    None,
                    now,
                )?;
                created.id
            }
        };
        let by_id = AccountRef::Id(&account);
        let hold = |project: &mut Self, seconds: u64| -> Result<String, ApiError> {
            let reservation = project.create_reservation(
                request(json!({ "accountId": account, "amount": 1, "expiresInSeconds": seconds }))?,
                now,
            )?;
            Ok(reservation.id)
        };
        match event_type {
            EventType::AccountUpdated | EventType::BalanceCredited | EventType::TransactionCreated => {
                let kind = credits_types::TransactionType::Credit;
                self.move_credits(by_id, kind, Decimal::from(10), Some("Triggered grant".into()), None, None, now)?;
            }
            EventType::BalanceDebited => {
                let kind = credits_types::TransactionType::Debit;
                self.move_credits(by_id, kind, Decimal::ONE, Some("Triggered deduction".into()), None, None, now)?;
            }
            EventType::ReservationCreated => {
                hold(self, 300)?;
            }
            EventType::ReservationConfirmed => {
                let id = hold(self, 300)?;
                self.confirm_reservation(request(json!({ "reservationId": id, "actualAmount": 1 }))?, now)?;
            }
            EventType::ReservationCancelled => {
                let id = hold(self, 300)?;
                self.cancel_reservation(request(json!({ "reservationId": id }))?)?;
            }
            EventType::ReservationExpired => {
                let id = hold(self, 1)?;
                self.expire_now(&id);
            }
            EventType::PlanAssigned | EventType::PlanRemoved => {
                let plan = match self.plans.iter().find(|p| p.is_active) {
                    Some(plan) => plan.id.clone(),
                    None => {
                        self.create_plan(request(
                            json!({ "name": "Trigger plan", "amount": 10, "interval": "month" }),
                        )?)?
                        .id
                    }
                };
                let assign = json!({ "accountId": account, "planId": plan, "startMode": "next_period" });
                self.assign_plan(request::<types::AssignPlanRequest>(assign.clone())?, now)?;
                if event_type == EventType::PlanRemoved {
                    // A second assignment replaces the first, which ends.
                    self.assign_plan(request(assign)?, now)?;
                }
            }
            EventType::UsageRecorded => {
                let kind = credits_types::TransactionType::Debit;
                let (_, transaction) =
                    self.move_credits(by_id, kind, Decimal::ONE, Some("Triggered usage".into()), None, None, now)?;
                let model = models::catalogue()?.first().map(|m| m.model_id.clone()).unwrap_or_default();
                let usage = json!({
                    "accountId": account, "transactionId": transaction, "modelId": model,
                    "usageType": "text", "inputTokens": 100, "outputTokens": 20, "description": "Triggered usage"
                });
                self.record_usage(request(usage)?, None, now)?;
            }
            _ => return Err(ApiError::invalid(format!("`{event_type}` cannot be triggered"))),
        }
        Ok(())
    }
}
