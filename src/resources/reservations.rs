//! Reservations: hold credits before a costly call, then confirm or cancel.

use std::time::Duration;

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::{ApiError, Error, Result};
use crate::requests::parts::{AccountAmount, PendingMetadata, metadata_setter};
use crate::requests::validate;
use crate::requests::{AccountQuery, AccountRef};
use crate::values::Credits;
use crate::values::{Amount, InvalidAmount};
use crate::values::{ErrorCode, ReservationStatus};
use serde::Deserialize as _;

/// A hold on credits: [`CreateReservation::new`] with the account and amount, then the
/// optional setters.
///
/// ```
/// use std::time::Duration;
/// use credits_sdk::{AccountRef, CreateReservation};
///
/// let hold = CreateReservation::new(AccountRef::external("user_456"), 500)
///     .operation("chat-completion")
///     .model("gpt-4o")
///     .metadata(serde_json::json!({ "requestId": "req_123" }))
///     .expires_in(Duration::from_secs(120));
/// # let _ = hold;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CreateReservation {
    target: AccountAmount,
    operation: Option<String>,
    model: Option<String>,
    metadata: PendingMetadata,
    expires_in: Option<Duration>,
}

impl CreateReservation {
    /// Holds `amount` (greater than 0) credits of `account`.
    pub fn new(account: impl Into<AccountRef>, amount: impl TryInto<Amount, Error = InvalidAmount>) -> Self {
        Self {
            target: AccountAmount::new(account, amount),
            operation: None,
            model: None,
            metadata: PendingMetadata::default(),
            expires_in: None,
        }
    }

    /// What the credits are held for, e.g. `chat-completion` (echoed in `metadata.operation`).
    pub fn operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    /// The model to be called, e.g. `gpt-4o` (echoed in `metadata.model`).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    metadata_setter!();

    /// How long the hold lasts if not confirmed (1 s to 24 h; default 5 minutes).
    pub fn expires_in(mut self, ttl: Duration) -> Self {
        self.expires_in = Some(ttl);
        self
    }

    /// The account to hold credits of.
    pub(crate) fn account(&self) -> &AccountRef {
        &self.target.account
    }

    /// Tags the hold as the SDK's guard's, for [`CreditsClient::find_stale_holds`].
    pub(crate) fn tagged(mut self, holder: &crate::resources::stale_holds::Holder, hold: &str) -> Result<Self> {
        self.metadata.tag(&holder.tags(hold))?;
        Ok(self)
    }

    fn into_body(self) -> Result<types::CreateReservationRequest> {
        let metadata = self.metadata.get()?;
        let (account_id, external_id, amount) = self.target.into_wire()?;
        let expires_in_seconds = match self.expires_in {
            None => None,
            Some(ttl) if ttl.as_secs() <= 86_400 && ttl.as_secs() >= 1 => std::num::NonZeroU64::new(ttl.as_secs()),
            Some(ttl) => return Err(Error::invalid(format!("expires_in must be 1 s to 24 h, got {ttl:?}"))),
        };
        Ok(types::CreateReservationRequest {
            account_id,
            external_id,
            amount,
            operation: self.operation,
            model: self.model,
            metadata,
            expires_in_seconds,
        })
    }
}

/// Which reservations to list: one account's, optionally only the active ones.
///
/// ```
/// use credits_sdk::{AccountRef, ListReservations};
///
/// let pending = ListReservations::new(AccountRef::id("acc_123")).active_only();
/// # let _ = pending;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ListReservations {
    account: AccountRef,
    active_only: bool,
}

impl ListReservations {
    /// All reservations of `account`.
    pub fn new(account: impl Into<AccountRef>) -> Self {
        Self { account: account.into(), active_only: false }
    }

    /// Only pending reservations that have not expired.
    pub fn active_only(mut self) -> Self {
        self.active_only = true;
        self
    }
}

impl<T: Into<AccountRef>> From<T> for ListReservations {
    fn from(account: T) -> Self {
        ListReservations::new(account)
    }
}

impl CreditsClient {
    /// Holds credits before a costly call (`POST /v1/reservations/create`). Refused with
    /// `insufficient_credits` when the available balance is too low.
    ///
    /// See [`with_reservation`](Self::with_reservation) for a guard that always confirms or
    /// cancels.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, CreateReservation};
    /// let hold = client.create_reservation(CreateReservation::new(AccountRef::external("user_456"), 500)).await?;
    /// // ... call the LLM ...
    /// client.confirm_reservation(&hold.reservation.id, 420).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_reservation(&self, reservation: CreateReservation) -> Result<types::CreateReservationResponse> {
        let body = reservation.into_body()?;
        self.call(self.api().create_reservation().body(body).send()).await
    }

    /// Lists an account's reservations (`GET /v1/reservations`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use credits_sdk::{AccountRef, ListReservations};
    /// let all = client.list_reservations(AccountRef::id("acc_123")).await?;
    /// let pending = client.list_reservations(ListReservations::new(AccountRef::id("acc_123")).active_only()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_reservations(
        &self,
        query: impl Into<ListReservations>,
    ) -> Result<types::ListReservationsResponse> {
        let query = query.into();
        let mut request = self.api().list_reservations().for_account(&query.account)?;
        if query.active_only {
            request = request.active_only(true);
        }
        self.call(request.send()).await
    }

    /// Confirms a reservation with the amount actually used: charges it and releases the rest
    /// (`POST /v1/reservations/confirm`).
    ///
    /// Retried like a read (a second confirm is refused, so a retry cannot charge twice). When
    /// the API refuses it because the reservation is already confirmed with the same amount
    /// (a retry whose first attempt landed, or the caller's own repeat of a confirm whose
    /// answer was lost), the call succeeds with that confirmation (`releasedAmount` and
    /// `balance` are then unknown): confirming is idempotent for the same amount.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// let confirmed = client.confirm_reservation("res_abc123", 420).await?;
    /// println!("charged in {}", confirmed.transaction_id);
    /// # Ok(()) }
    /// ```
    pub async fn confirm_reservation(
        &self,
        reservation_id: impl AsRef<str>,
        actual_amount: impl TryInto<Amount, Error = InvalidAmount>,
    ) -> Result<types::ConfirmReservationResponse> {
        let body = types::ConfirmReservationRequest {
            reservation_id: validate::non_empty("reservation id", reservation_id.as_ref())?,
            actual_amount: validate::amount("actual amount", &actual_amount.try_into())?,
        };
        let actual = body.actual_amount.get();
        match self.call(self.api().confirm_reservation().body(body).send()).await {
            // An earlier attempt or call landed: the reservation is already confirmed for `actual`.
            Err(Error::Api(api)) => landed_confirmation(&api, reservation_id.as_ref(), actual).ok_or(Error::Api(api)),
            other => other,
        }
    }

    /// Cancels a reservation and releases all of its credits (`POST /v1/reservations/cancel`).
    /// A cancel refused because the reservation is already cancelled (a retry whose first
    /// attempt landed, or the caller's own repeat) succeeds: cancelling is idempotent.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// client.cancel_reservation("res_abc123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel_reservation(
        &self,
        reservation_id: impl AsRef<str>,
    ) -> Result<types::CancelReservationResponse> {
        let reservation_id = validate::non_empty("reservation id", reservation_id.as_ref())?;
        let body = types::CancelReservationRequest { reservation_id: reservation_id.clone() };
        match self.call(self.api().cancel_reservation().body(body).send()).await {
            // An earlier attempt or call landed: the reservation is already cancelled.
            Err(Error::Api(api)) => match landed(&api, "cancelled") {
                // The response types are `#[non_exhaustive]`: built through their builder,
                // whose conversion fails only for a required field left unset (none here);
                // were it to fail, the server's own answer is returned instead.
                Some(details) => types::CancelReservationResponse::builder()
                    .success(Some(true))
                    .reservation_id(Some(reservation_id))
                    .account_id(details.get("accountId").and_then(|a| a.as_str()).map(str::to_owned))
                    .status(Some(ReservationStatus::Cancelled))
                    .try_into()
                    .map_err(|_| Error::Api(api)),
                None => Err(Error::Api(api)),
            },
            other => other,
        }
    }
}

/// The confirmation that a 409 `reservation_not_pending` error shows already happened: the
/// reservation is `confirmed` for exactly `actual`. The error then means that an earlier
/// confirm of the same amount landed (its answer was lost), not that this one was refused.
pub(crate) fn landed_confirmation(
    error: &ApiError,
    reservation_id: &str,
    actual: Credits,
) -> Option<types::ConfirmReservationResponse> {
    let details = landed(error, "confirmed")?;
    let landed_amount = Credits::deserialize(details.get("actualAmount")?).ok()?;
    if landed_amount != actual {
        return None;
    }
    // Built through the builder (the type is `#[non_exhaustive]`); every required field is set.
    types::ConfirmReservationResponse::builder()
        .success(Some(true))
        .reservation_id(reservation_id.to_owned())
        .transaction_id(details.get("transactionId")?.as_str()?.to_owned())
        .account_id(details.get("accountId").and_then(|a| a.as_str()).map(str::to_owned))
        .actual_amount(Some(actual))
        .try_into()
        .ok()
}

/// The error details of a `reservation_not_pending` refusal whose reservation is already in
/// `status`: what a repeated confirm or cancel sees when an earlier one landed.
pub(crate) fn landed<'a>(error: &'a ApiError, status: &str) -> Option<&'a serde_json::Map<String, serde_json::Value>> {
    if error.status.as_u16() != 409 || error.code != Some(ErrorCode::ReservationNotPending) {
        return None;
    }
    let details = error.details.as_ref()?.as_object()?;
    (details.get("status").and_then(|s| s.as_str()) == Some(status)).then_some(details)
}
