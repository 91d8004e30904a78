//! What the live ledger page (`/_sandbox/`) shows of a project: a read-only summary with
//! every amount as its exact decimal text, so the page never shows a float's rounding.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::Project;
use crate::money;

/// How many of the newest ledger entries, reservations and usage records the page shows.
const RECENT: usize = 50;

fn exact(value: Decimal) -> String {
    value.normalize().to_string()
}

fn time(value: DateTime<Utc>) -> String {
    value.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The page's data for one project.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    now: String,
    accounts: Vec<AccountView>,
    transaction_count: usize,
    transactions: Vec<TransactionView>,
    reservations: Vec<ReservationView>,
    plans: Vec<PlanView>,
    assignments: Vec<AssignmentView>,
    usage: UsageView,
    webhooks: super::webhooks::WebhookView,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountView {
    id: String,
    external_id: Option<String>,
    name: String,
    balance: String,
    reserved: String,
    available: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionView {
    id: String,
    account_id: String,
    kind: String,
    amount: String,
    balance_after: String,
    description: Option<String>,
    created_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReservationView {
    id: String,
    account_id: String,
    amount: String,
    actual_amount: Option<String>,
    status: String,
    created_at: String,
    expires_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanView {
    id: String,
    name: String,
    credits: String,
    interval: String,
    occurrences: Option<u64>,
    accumulate: bool,
    active: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentView {
    id: String,
    account_id: String,
    plan: String,
    active: bool,
    started_at: String,
    expires_at: Option<String>,
    grants: u64,
    next_period: Option<String>,
    unused_plan_credits: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageView {
    records: usize,
    total_cost_usd: String,
    recent: Vec<UsageRecordView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageRecordView {
    id: String,
    account_id: Option<String>,
    context: String,
    model_id: String,
    usage_type: String,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: String,
    created_at: String,
}

impl Project {
    /// The page's view of the project at `now` (already caught up by the caller).
    pub fn view(&self, now: DateTime<Utc>) -> View {
        let accounts = self
            .accounts
            .iter()
            .enumerate()
            .map(|(index, a)| AccountView {
                id: a.id.clone(),
                external_id: a.external_id.clone(),
                name: a.name.clone(),
                balance: exact(a.balance),
                reserved: exact(self.reserved(&a.id)),
                available: exact(self.available(index)),
            })
            .collect();
        let transactions = self
            .transactions
            .iter()
            .rev()
            .take(RECENT)
            .map(|t| TransactionView {
                id: t.id.clone(),
                account_id: t.account_id.clone(),
                kind: t.kind.to_string(),
                amount: exact(t.amount),
                balance_after: exact(t.balance_after),
                description: t.description.clone(),
                created_at: time(t.created_at),
            })
            .collect();
        let reservations = self
            .reservations
            .iter()
            .rev()
            .take(RECENT)
            .map(|r| ReservationView {
                id: r.id.clone(),
                account_id: r.account_id.clone(),
                amount: exact(r.amount),
                actual_amount: r.actual_amount.map(exact),
                status: r.status.to_string(),
                created_at: time(r.created_at),
                expires_at: time(r.expires_at),
            })
            .collect();
        let plans = self
            .plans
            .iter()
            .map(|p| PlanView {
                id: p.id.clone(),
                name: p.name.clone(),
                credits: exact(p.credits),
                interval: p.interval.to_string(),
                occurrences: p.occurrences.map(|n| n.get()),
                accumulate: p.accumulate,
                active: p.is_active,
            })
            .collect();
        let assignments = self
            .account_plans
            .iter()
            .rev()
            .map(|a| AssignmentView {
                id: a.id.clone(),
                account_id: a.account_id.clone(),
                plan: self.plan(&a.plan_id).map(|p| p.name.clone()).unwrap_or_default(),
                active: a.active,
                started_at: time(a.started_at),
                expires_at: a.expires_at.map(time),
                grants: a.grants,
                next_period: a.next_event.filter(|_| a.active).map(time),
                unused_plan_credits: exact(a.unused),
            })
            .collect();
        let total = self.usage.iter().try_fold(Decimal::ZERO, |sum, u| money::add(sum, u.cost));
        let usage = UsageView {
            records: self.usage.len(),
            total_cost_usd: total.map_or_else(|| "too large to sum exactly".into(), exact),
            recent: self
                .usage
                .iter()
                .rev()
                .take(RECENT)
                .map(|u| UsageRecordView {
                    id: u.id.clone(),
                    account_id: u.account_id.clone(),
                    context: u.context.to_string(),
                    model_id: u.model_id.clone(),
                    usage_type: u.usage_type.to_string(),
                    input_tokens: u.input_tokens,
                    output_tokens: u.output_tokens,
                    cost_usd: exact(u.cost),
                    created_at: time(u.created_at),
                })
                .collect(),
        };
        View {
            now: time(now),
            accounts,
            transaction_count: self.transactions.len(),
            transactions,
            reservations,
            plans,
            assignments,
            usage,
            webhooks: self.webhook_view(RECENT),
        }
    }
}
