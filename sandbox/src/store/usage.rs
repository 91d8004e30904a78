//! Usage: records with their exact cost, the filtered list, and the summary.

use credits_types::webhooks::EventType;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use credits_types::types;
use credits_types::{UsageContext, UsageType};
use rust_decimal::Decimal;

use super::models;
use super::{AccountRef, Project, known, new_id, non_empty, within};
use crate::error::ApiError;
use crate::money::{self, seconds_out, usd_out};
use crate::spec::wire;

/// A stored usage record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct UsageRow {
    pub(super) id: String,
    pub(super) context: UsageContext,
    pub(super) account_id: Option<String>,
    pub(super) transaction_id: Option<String>,
    pub(super) model_id: String,
    pub(super) usage_type: UsageType,
    pub(super) input_tokens: u64,
    pub(super) output_tokens: u64,
    pub(super) cached_tokens: u64,
    #[serde(with = "super::snapshot::exact_option", default)]
    pub(super) audio_seconds: Option<Decimal>,
    pub(super) description: Option<String>,
    #[serde(with = "super::snapshot::exact")]
    pub(super) cost: Decimal,
    pub(super) created_at: DateTime<Utc>,
}

impl UsageRow {
    pub(super) fn to_wire(&self) -> Result<types::UsageRecord, ApiError> {
        wire!(types::UsageRecord {
            id: self.id.clone(),
            context: Some(self.context.clone()),
            account_id: self.account_id.clone(),
            transaction_id: self.transaction_id.clone(),
            model_id: Some(self.model_id.clone()),
            usage_type: Some(self.usage_type.clone()),
            input_tokens: Some(self.input_tokens),
            output_tokens: Some(self.output_tokens),
            cached_tokens: Some(self.cached_tokens),
            audio_duration_seconds: self.audio_seconds.map(seconds_out),
            description: self.description.clone(),
            estimated_cost_usd: Some(usd_out(self.cost)),
            created_at: Some(self.created_at),
        })
    }
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

impl Project {
    /// Records usage with its cost. Customer context needs an account and a transaction of
    /// that account (400 otherwise); system context needs neither but checks what it is given.
    /// `audio_seconds` is the exact `audioDurationSeconds`, read from the request's text.
    pub fn record_usage(
        &mut self,
        request: types::RecordUsageRequest,
        audio_seconds: Option<Decimal>,
        now: DateTime<Utc>,
    ) -> Result<types::UsageRecord, ApiError> {
        let context = request.context.unwrap_or(UsageContext::Customer);
        let unknown = context.is_unknown();
        let context = known("context", context, unknown)?;
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
            audio_seconds,
        )?;
        if context == UsageContext::Customer {
            if account.is_none() {
                return Err(ApiError::invalid("customer usage needs `accountId` or `externalId`"));
            }
            if request.transaction_id.is_none() {
                return Err(ApiError::invalid("customer usage needs `transactionId`"));
            }
        }
        let account_id = account.map(|account| self.account_id(account)).transpose()?;
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
        let cost = models::cost(&model, &usage)?;
        let row = UsageRow {
            id: new_id("usage_"),
            context,
            account_id,
            transaction_id: request.transaction_id,
            model_id: model.model_id,
            usage_type: cost.usage_type,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_tokens: usage.cached_tokens,
            audio_seconds: usage.audio_seconds,
            description: request.description,
            cost: cost.usd,
            created_at: now,
        };
        let record = row.to_wire()?;
        self.usage.push(row);
        self.emit(EventType::UsageRecorded, |_| Ok(record.clone()));
        Ok(record)
    }

    fn matching_usage<'a>(&'a self, query: &'a UsageQuery<'a>) -> Result<Vec<&'a UsageRow>, ApiError> {
        if let Some(context) = &query.context {
            known("context", context, context.is_unknown())?;
        }
        let account_id = query.account.map(|account| self.account_id(account)).transpose()?;
        Ok(self
            .usage
            .iter()
            .rev()
            .filter(|u| account_id.is_none() || u.account_id == account_id)
            .filter(|u| query.model_id.is_none_or(|m| u.model_id == m))
            .filter(|u| query.context.as_ref().is_none_or(|c| &u.context == c))
            .filter(|u| within(u.created_at, query.start, query.end))
            .collect())
    }

    /// Usage records matching the filters, newest first.
    pub fn list_usage(&self, query: &UsageQuery<'_>) -> Result<Vec<types::UsageRecord>, ApiError> {
        self.matching_usage(query)?.into_iter().map(UsageRow::to_wire).collect()
    }

    /// Totals of the usage records matching the filters, summed exactly. A total beyond what
    /// a `Decimal` holds exactly (hundreds of thousands of records of absurd size) is refused
    /// with 400 rather than rounded; narrower filters then give exact totals.
    pub fn usage_summary(&self, query: &UsageQuery<'_>) -> Result<types::UsageSummary, ApiError> {
        let records = self.matching_usage(query)?;
        let too_large =
            || ApiError::invalid("the usage totals are too large to sum exactly; narrow the filters or dates");
        let add = |total: &mut Decimal, cost: Decimal| -> Result<(), ApiError> {
            *total = money::add(*total, cost).ok_or_else(too_large)?;
            Ok(())
        };
        let (mut total, mut customer, mut system) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut by_model: BTreeMap<String, (Decimal, i64)> = BTreeMap::new();
        let (mut input_tokens, mut output_tokens) = (0_u64, 0_u64);
        for record in &records {
            add(&mut total, record.cost)?;
            add(if record.context == UsageContext::Customer { &mut customer } else { &mut system }, record.cost)?;
            let model = by_model.entry(record.model_id.clone()).or_default();
            add(&mut model.0, record.cost)?;
            model.1 += 1;
            input_tokens = input_tokens.saturating_add(record.input_tokens).min(i64::MAX as u64);
            output_tokens = output_tokens.saturating_add(record.output_tokens).min(i64::MAX as u64);
        }
        let by_context: HashMap<String, credits_types::Usd> =
            [("customer".to_string(), usd_out(customer)), ("system".to_string(), usd_out(system))].into();
        let by_model = by_model
            .into_iter()
            .map(|(id, (cost, count))| {
                Ok((id, wire!(types::ModelUsage { cost_usd: Some(usd_out(cost)), count: Some(count) })?))
            })
            .collect::<Result<HashMap<_, _>, ApiError>>()?;
        wire!(types::UsageSummary {
            total_cost_usd: Some(usd_out(total)),
            total_input_tokens: Some(input_tokens),
            total_output_tokens: Some(output_tokens),
            total_records: Some(records.len() as i64),
            by_context,
            by_model,
        })
    }
}
