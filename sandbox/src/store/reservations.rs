//! Reservations: holds on credits, confirmed into a debit, cancelled, or expired by the clock.

use chrono::{DateTime, Utc};
use credits_types::types;
use credits_types::webhooks::EventType;
use credits_types::{ReservationStatus, TransactionType};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use super::accounts::Metadata;
use super::{AccountRef, Project, new_id, non_empty};
use crate::error::ApiError;
use crate::exact::Exact;
use crate::money::{self, credits_out};
use crate::spec::wire;

/// The longest `expiresInSeconds` a request may ask for.
const MAX_EXPIRES_IN_SECONDS: u64 = 86_400;

/// A stored reservation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ReservationRow {
    pub(super) id: String,
    pub(super) account_id: String,
    #[serde(with = "super::snapshot::exact")]
    pub(super) amount: Decimal,
    pub(super) status: ReservationStatus,
    #[serde(with = "super::snapshot::exact_option", default)]
    pub(super) actual_amount: Option<Decimal>,
    /// The debit written by the confirmation, once confirmed.
    pub(super) transaction_id: Option<String>,
    pub(super) metadata: Option<Metadata>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) expires_at: DateTime<Utc>,
}

impl ReservationRow {
    pub(super) fn to_wire(&self) -> Result<types::Reservation, ApiError> {
        wire!(types::Reservation {
            id: self.id.clone(),
            account_id: Some(self.account_id.clone()),
            amount: credits_out(self.amount),
            status: self.status.clone(),
            actual_amount: self.actual_amount.map(credits_out),
            metadata: self.metadata.clone(),
            created_at: Some(self.created_at),
            expires_at: Some(self.expires_at),
        })
    }
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
    status: &'a ReservationStatus,
    account_id: &'a str,
    actual_amount: Option<Exact>,
    transaction_id: Option<&'a str>,
}

/// `details` of a cancel of an expired reservation.
#[derive(Serialize)]
struct Expired {
    status: ReservationStatus,
}

impl Project {
    /// Marks pending reservations whose time has passed as expired. Called on every access,
    /// so expiry needs no background task.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        let lapsed: Vec<usize> =
            self.indexes.pending.iter().copied().filter(|&i| self.reservations[i].expires_at <= now).collect();
        for index in lapsed {
            self.set_status(index, ReservationStatus::Expired);
            self.emit(EventType::ReservationExpired, |p| p.reservations[index].to_wire());
        }
    }

    /// Lets the pending reservation `id` lapse now (for `trigger`).
    pub(super) fn expire_now(&mut self, id: &str) {
        if let Some(&index) = self.indexes.reservation_by_id.get(id) {
            let now = self.now();
            self.reservations[index].expires_at = now;
            self.expire(now);
        }
    }

    /// Changes a reservation's status, keeping the pending index in step.
    fn set_status(&mut self, index: usize, status: ReservationStatus) {
        let pending = status == ReservationStatus::Pending;
        self.reservations[index].status = status;
        if pending {
            self.indexes.pending.insert(index);
        } else {
            self.indexes.pending.remove(&index);
        }
    }

    /// Holds credits; 402 `insufficient_credits` when `available` is lower than `amount`.
    pub fn create_reservation(
        &mut self,
        request: types::CreateReservationRequest,
        now: DateTime<Utc>,
    ) -> Result<types::Reservation, ApiError> {
        let account = AccountRef::exactly_one(request.account_id.as_deref(), request.external_id.as_deref())?;
        let amount = request.amount.get().to_decimal();
        let ttl = match request.expires_in_seconds.map(|s| s.get()) {
            Some(seconds @ 1..=MAX_EXPIRES_IN_SECONDS) => {
                i64::try_from(seconds).ok().and_then(chrono::TimeDelta::try_seconds)
            }
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
        let reservation = row.to_wire()?;
        let index = self.reservations.len();
        self.indexes.reservation_by_id.insert(row.id.clone(), index);
        self.indexes.pending.insert(index);
        self.reservations.push(row);
        self.emit(EventType::ReservationCreated, |_| Ok(reservation.clone()));
        Ok(reservation)
    }

    /// An account's reservations, newest first.
    pub fn list_reservations(
        &self,
        account: AccountRef<'_>,
        active_only: bool,
    ) -> Result<Vec<types::Reservation>, ApiError> {
        let account_id = self.account_id(account)?;
        self.reservations
            .iter()
            .rev()
            .filter(|r| r.account_id == account_id)
            .filter(|r| !active_only || r.status == ReservationStatus::Pending)
            .map(ReservationRow::to_wire)
            .collect()
    }

    fn pending_reservation(&self, reservation_id: &str) -> Result<usize, ApiError> {
        non_empty("reservationId", reservation_id)?;
        let index = self.indexes.reservation_by_id.get(reservation_id).copied().ok_or_else(|| {
            ApiError::not_found("reservation_not_found", format!("no reservation `{reservation_id}`"))
        })?;
        let row = &self.reservations[index];
        match &row.status {
            ReservationStatus::Pending => Ok(index),
            ReservationStatus::Expired => Err(ApiError::conflict("reservation_expired", "the reservation has expired")),
            status => {
                // What the reservation became, so a client whose first attempt landed but whose
                // answer was lost can recognise its own confirmation or cancellation.
                let details = NotPending {
                    status,
                    account_id: &row.account_id,
                    actual_amount: row.actual_amount.map(Exact),
                    transaction_id: row.transaction_id.as_deref(),
                };
                Err(ApiError::conflict("reservation_not_pending", format!("the reservation is {status}"))
                    .with_details(&details))
            }
        }
    }

    /// Charges `actualAmount` (a `debit` with `reservationId`) and releases the rest.
    pub fn confirm_reservation(
        &mut self,
        request: types::ConfirmReservationRequest,
        now: DateTime<Utc>,
    ) -> Result<types::ConfirmReservationResponse, ApiError> {
        let actual = request.actual_amount.get().to_decimal();
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
        let (account_index, transaction_id) = match moved {
            Ok(moved) => moved,
            Err(error) => {
                self.set_status(index, ReservationStatus::Pending);
                self.reservations[index].actual_amount = None;
                return Err(error);
            }
        };
        self.reservations[index].transaction_id = Some(transaction_id.clone());
        self.emit(EventType::ReservationConfirmed, |p| p.reservations[index].to_wire());
        wire!(types::ConfirmReservationResponse {
            success: Some(true),
            reservation_id: reservation.id,
            transaction_id,
            account_id: Some(reservation.account_id),
            actual_amount: Some(credits_out(actual)),
            // actual <= amount, both exact with at most 12 places: the difference is exact.
            released_amount: Some(credits_out(money::sub(reservation.amount, actual).unwrap_or(Decimal::ZERO))),
            balance: Some(credits_out(self.accounts[account_index].balance)),
        })
    }

    /// Releases a pending reservation entirely.
    pub fn cancel_reservation(
        &mut self,
        request: types::CancelReservationRequest,
    ) -> Result<types::CancelReservationResponse, ApiError> {
        let index = self.pending_reservation(&request.reservation_id).map_err(|error| {
            if error.code == "reservation_expired" {
                ApiError::conflict("reservation_not_pending", "the reservation has expired")
                    .with_details(&Expired { status: ReservationStatus::Expired })
            } else {
                error
            }
        })?;
        self.set_status(index, ReservationStatus::Cancelled);
        self.emit(EventType::ReservationCancelled, |p| p.reservations[index].to_wire());
        let reservation = &self.reservations[index];
        wire!(types::CancelReservationResponse {
            success: Some(true),
            reservation_id: Some(reservation.id.clone()),
            account_id: Some(reservation.account_id.clone()),
            released_amount: Some(credits_out(reservation.amount)),
            status: Some(ReservationStatus::Cancelled),
        })
    }
}
