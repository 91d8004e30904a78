//! [`CreditsClient::metered`]: the whole billing flow of an LLM call in one guarded call:
//! reserve, run the work, confirm what it spent, then record its usage with the confirm's
//! transaction, exactly once.

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::Error;
use crate::requests::AccountRef;
use crate::resources::reservation_guard::{InFlight, ReservationError, Settled, Spent};
use crate::resources::reservations::CreateReservation;
use crate::resources::usage::{ModelUsage, RecordUsage, UsageError};
use crate::values::Credits;

/// What metered work used: the credits to charge, the model usage to record with the charge,
/// and the work's result.
///
/// ```
/// use credits_sdk::{Metered, ModelUsage};
/// let used = Metered::new(42, ModelUsage::new("gpt-4o").tokens(1000, 420), "the model's answer");
/// assert_eq!(used.credits, 42);
/// ```
#[derive(Clone, Debug)]
pub struct Metered<T> {
    /// Credits actually used: confirmed if greater than 0, otherwise the reservation is
    /// cancelled (and no usage is recorded: there is no charge to tie it to).
    pub credits: Credits,
    /// The usage to record for the charge.
    pub usage: ModelUsage,
    /// The work's result, handed back to the caller.
    pub value: T,
}

impl<T> Metered<T> {
    /// `credits` used, the `usage` behind them, and the work's `value`.
    pub fn new(credits: impl Into<Credits>, usage: ModelUsage, value: T) -> Self {
        Self { credits: credits.into(), usage, value }
    }
}

/// The outcome of metered work whose charge is settled: confirmed (or cancelled, when it
/// spent nothing). What happened to its usage record is in [`usage`](Self::usage): a charge
/// that landed is reported here even when its usage record failed.
#[derive(Debug)]
#[non_exhaustive]
pub struct Billed<T> {
    /// The work's result.
    pub value: T,
    /// The reservation as it was created.
    pub reservation: types::Reservation,
    /// The confirmation, or `None` when the work spent nothing and the hold was cancelled.
    pub confirmation: Option<types::ConfirmReservationResponse>,
    /// The usage record's outcome.
    pub usage: UsageOutcome,
}

impl<T> Billed<T> {
    /// Whether everything is settled: charged and its usage recorded, or nothing charged.
    pub fn is_complete(&self) -> bool {
        matches!(self.usage, UsageOutcome::Recorded(_) | UsageOutcome::NotCharged)
    }
}

/// What happened to the usage record of a [`metered`](CreditsClient::metered) call.
#[derive(Debug)]
#[non_exhaustive]
pub enum UsageOutcome {
    /// Recorded once, tied to the confirm's transaction.
    Recorded(types::UsageRecord),
    /// The work spent nothing, so nothing was charged and no usage was recorded.
    NotCharged,
    /// The charge landed but its usage is **not** recorded (known absent): `record` it again
    /// with [`record_usage_once`](CreditsClient::record_usage_once).
    NotRecorded {
        /// Why.
        error: Error,
        /// The record to send again.
        record: RecordUsage,
    },
    /// The charge landed; whether its usage was recorded is **unknown**. Settle it with
    /// [`record_usage_if_absent`](CreditsClient::record_usage_if_absent)`(record)`, which looks
    /// first, never with a plain `record_usage`.
    Unknown {
        /// Why.
        error: Error,
        /// The record to settle.
        record: RecordUsage,
    },
}

/// Finishes a usage record in the background if the call recording it is dropped: the charge
/// already landed, so its usage must not vanish with the caller's future.
struct RecordOnDrop {
    client: CreditsClient,
    record: Option<RecordUsage>,
}

impl Drop for RecordOnDrop {
    fn drop(&mut self) {
        let Some(record) = self.record.take() else { return };
        let transaction = record.transaction_id().unwrap_or_default().to_owned();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(%transaction, "the usage of a charge may not be recorded: no Tokio runtime to finish it on");
            return;
        };
        let client = self.client.clone();
        let running = InFlight::new(client.releases.clone());
        runtime.spawn(async move {
            let _running = running;
            if let Err(error) = client.record_usage_if_absent(record).await {
                tracing::warn!(%transaction, %error, "could not finish the usage record of a dropped metered call");
            }
        });
    }
}

impl CreditsClient {
    /// The whole billing flow of an LLM call: reserves credits, runs `work`, confirms what it
    /// spent, then records its usage with the confirm's `transactionId`, exactly once.
    ///
    /// `work` gets the reservation and returns [`Metered`]: the credits used, the
    /// [`ModelUsage`] (model, usage type, tokens) and its value. Reserving, running and
    /// settling the charge behave exactly as in [`with_reservation`](Self::with_reservation)
    /// (cancelled on a failure, a panic or a dropped future; the same errors, the same time
    /// budget). Then, when something was charged, the usage is recorded through
    /// [`record_usage_once`](Self::record_usage_once): an attempt whose outcome is unknown is
    /// looked up before it is sent again, within one more call budget.
    ///
    /// - `Ok(billed)`: the charge is settled; [`billed.usage`](Billed::usage) says whether its
    ///   usage is recorded, known not recorded, or unknown ([`Billed::is_complete`]).
    /// - `Err(ReservationError)`: nothing was charged (or, for `Confirm { cancel: Some(_) }`,
    ///   the charge is unknown), and no usage was recorded.
    /// - **Dropped** while recording the usage, or while confirming when the confirm landed:
    ///   the charge stands, and its usage is recorded in the background (looking first), like
    ///   the cancels of dropped guards; [`shutdown`](Self::shutdown) waits for it. Dropped
    ///   earlier: as `with_reservation`, and no usage is ever recorded for a hold that was
    ///   cancelled.
    ///
    /// ```no_run
    /// # async fn call_llm(_: &str) -> Result<(String, u64, u64), std::io::Error> { Ok((String::new(), 1, 1)) }
    /// # async fn run(client: credits_sdk::CreditsClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use credits_sdk::{AccountRef, CreateReservation, Metered, ModelUsage, UsageOutcome};
    ///
    /// let billed = client
    ///     .metered(CreateReservation::new(AccountRef::external("user_456"), 500), |_reservation| async move {
    ///         let (answer, input, output) = call_llm("Hello").await?;
    ///         let usage = ModelUsage::new("gpt-4o").tokens(input, output).description("Chat completion");
    ///         Ok::<_, std::io::Error>(Metered::new(42, usage, answer))
    ///     })
    ///     .await?;
    /// if let UsageOutcome::Unknown { record, .. } = billed.usage {
    ///     // Queue it and settle it later with `client.record_usage_if_absent(record)`.
    /// #   let _ = record;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn metered<F, Fut, T, E>(
        &self,
        reservation: CreateReservation,
        work: F,
    ) -> Result<Billed<T>, ReservationError<E, T>>
    where
        F: FnOnce(types::Reservation) -> Fut,
        Fut: Future<Output = Result<Metered<T>, E>>,
    {
        let requested = reservation.account().clone();
        let settled = self
            .guarded(
                reservation,
                move |reservation| {
                    let work = work(reservation);
                    async move {
                        let Metered { credits, usage, value } = work.await?;
                        Ok(Spent::new(credits, (usage, value)))
                    }
                },
                |(usage, _)| Some(usage.clone()),
            )
            .await
            .map_err(|error| error.map_value(|(_, value)| value))?;
        let Settled { value: (usage, value), reservation, confirmation } = settled;
        let Some(confirmed) = &confirmation else {
            return Ok(Billed { value, reservation, confirmation, usage: UsageOutcome::NotCharged });
        };
        // The account as the API names it, else as the caller did.
        let account =
            confirmed.account_id.clone().or_else(|| reservation.account_id.clone()).map_or(requested, AccountRef::id);
        let record = RecordUsage::for_transaction(account, confirmed.transaction_id.clone(), usage);
        // Armed while recording: a dropped future still gets its usage recorded.
        let mut pending = RecordOnDrop { client: self.clone(), record: Some(record.clone()) };
        let recorded = self.record_usage_once(record.clone()).await;
        pending.record = None;
        let usage = match recorded {
            Ok(recorded) => UsageOutcome::Recorded(recorded),
            Err(UsageError::NotRecorded(error)) => UsageOutcome::NotRecorded { error, record },
            Err(UsageError::Unknown(error)) => UsageOutcome::Unknown { error, record },
        };
        if !matches!(usage, UsageOutcome::Recorded(_)) {
            tracing::warn!(transaction = %confirmed.transaction_id, "a charge landed without its usage record being known to be written");
        }
        Ok(Billed { value, reservation, confirmation, usage })
    }
}
