//! [`CreditsClient::with_reservation`]: reserve, run the costly call, then confirm or cancel,
//! so that credits are never left held by a call that failed.

use std::fmt;

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::Error;
use crate::resources::reservations::CreateReservation;
use crate::values::Credits;

/// What the guarded work used, and what it produced.
///
/// ```
/// use credits_sdk::Spent;
/// let spent = Spent::new(420, "the model's answer");
/// assert_eq!(spent.credits, 420);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Spent<T> {
    /// Credits actually used: confirmed if greater than 0, otherwise the reservation is
    /// cancelled.
    pub credits: Credits,
    /// The work's result, handed back to the caller.
    pub value: T,
}

impl<T> Spent<T> {
    /// `credits` used to produce `value`: an integer or [`Credits`] (convert a float
    /// explicitly with `Credits::try_from`).
    pub fn new(credits: impl Into<Credits>, value: T) -> Self {
        Self { credits: credits.into(), value }
    }
}

/// The outcome of guarded work that succeeded.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settled<T> {
    /// The work's result.
    pub value: T,
    /// The reservation as it was created.
    pub reservation: types::Reservation,
    /// The confirmation, or `None` when the work used nothing and the reservation was
    /// cancelled instead.
    pub confirmation: Option<types::ConfirmReservationResponse>,
}

/// Why guarded work did not settle.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReservationError<E, T> {
    /// The reservation could not be made (e.g. `insufficient_credits`); the work did not run.
    Reserve(Error),
    /// The work failed; the reservation was cancelled, or `cancel` says why it could not be
    /// (it then expires after its TTL).
    Work {
        /// The work's error.
        error: E,
        /// The cancellation's error, if cancelling failed.
        cancel: Option<Error>,
    },
    /// The work succeeded but the confirmation failed even after retries (or the work spent
    /// more than was reserved). The work's result is kept.
    ///
    /// - `cancel: None`: nothing was charged; the reservation was cancelled so that no credits
    ///   stay held.
    /// - `cancel: Some(_)`: the reservation could not be cancelled either, so its state is
    ///   **unknown**: the confirm may have landed. Look the reservation up before charging
    ///   again. (A confirm that landed but whose answer was lost is recognised, through the
    ///   cancel's refusal, and reported as success, never as this error.)
    Confirm {
        /// The confirmation's error.
        error: Error,
        /// The work's result.
        value: T,
        /// The reservation that could not be confirmed.
        reservation_id: String,
        /// The cancellation's error, if cancelling failed too.
        cancel: Option<Error>,
    },
}

impl<E: fmt::Display, T> fmt::Display for ReservationError<E, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReservationError::Reserve(error) => write!(f, "could not reserve credits: {error}"),
            ReservationError::Work { error, cancel: None } => write!(f, "{error} (reservation cancelled)"),
            ReservationError::Work { error, cancel: Some(cancel) } => {
                write!(f, "{error} (and the reservation could not be cancelled: {cancel})")
            }
            ReservationError::Confirm { error, reservation_id, cancel: None, .. } => {
                write!(f, "could not confirm reservation {reservation_id}: {error} (reservation cancelled)")
            }
            ReservationError::Confirm { error, reservation_id, cancel: Some(cancel), .. } => {
                write!(
                    f,
                    "could not confirm reservation {reservation_id}: {error} (and it could not be cancelled: {cancel})"
                )
            }
        }
    }
}

impl<E: std::error::Error + 'static, T: fmt::Debug> std::error::Error for ReservationError<E, T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReservationError::Reserve(error) | ReservationError::Confirm { error, .. } => Some(error),
            ReservationError::Work { error, .. } => Some(error),
        }
    }
}

/// Cancels the reservation if dropped while armed: covers a panic in the work and a caller
/// that drops the future midway.
struct CancelOnDrop {
    client: CreditsClient,
    reservation_id: Option<String>,
}

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.reservation_id = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.reservation_id.take() else { return };
        // Drop cannot await; hand the cancellation to the runtime, if there still is one.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            runtime.spawn(async move {
                if let Err(error) = client.cancel_reservation(&id).await {
                    tracing::warn!(reservation = %id, %error, "could not cancel an abandoned reservation");
                }
            });
        }
    }
}

/// What cancelling a reservation whose confirm failed found.
enum Release {
    /// Cancelled: the confirm did not land and nothing was charged.
    Released,
    /// The reservation was already confirmed for the same amount: the confirm landed.
    AlreadyConfirmed(types::ConfirmReservationResponse),
    /// The cancel failed too; the last error.
    Failed(Error),
}

/// How many times the guard tries to cancel after a failed confirm, each try with the
/// client's retries, before it reports the reservation's state as unknown.
const RELEASE_TRIES: u32 = 3;

impl CreditsClient {
    /// Cancels a reservation whose confirm for `credits` failed, recognising a confirm that
    /// landed anyway: the cancel is then refused with the reservation `confirmed` for the same
    /// amount. A cancel whose outcome is unknown (timeouts, 5xx) is tried again.
    async fn release_after_failed_confirm(&self, reservation_id: &str, credits: Credits) -> Release {
        let mut last = None;
        for _ in 0..RELEASE_TRIES {
            match self.cancel_reservation(reservation_id).await {
                Ok(_) => return Release::Released,
                Err(Error::Api(api)) if !crate::pipeline::retry::is_retryable_status(api.status) => {
                    return match crate::resources::reservations::landed_confirmation(&api, reservation_id, credits) {
                        Some(confirmation) => Release::AlreadyConfirmed(confirmation),
                        None => Release::Failed(Error::Api(api)),
                    };
                }
                Err(error) if error.is_retryable() => last = Some(error),
                Err(error) => return Release::Failed(error),
            }
        }
        Release::Failed(last.unwrap_or_else(|| Error::invalid("the reservation could not be cancelled")))
    }

    /// Reserves credits, runs `work`, then confirms with what it spent, or cancels if it
    /// failed, so credits are never left held by a failed call.
    ///
    /// - `Ok(Spent { credits, value })` with `credits > 0`: the reservation is confirmed for
    ///   `credits` (the rest is released); with `credits == 0` it is cancelled. Spending more
    ///   than was reserved charges nothing: the reservation is cancelled and
    ///   [`ReservationError::Confirm`] returns the value with an `InvalidInput` error.
    /// - `Err(e)`: the reservation is cancelled and `e` is returned in
    ///   [`ReservationError::Work`].
    /// - **Panic** in `work`: the reservation is cancelled in the background on the current
    ///   Tokio runtime, and the panic continues to unwind.
    /// - **Cancellation** (the returned future is dropped, e.g. by `tokio::time::timeout` or
    ///   `select!`) after the reservation was made, during the work or while confirming: the
    ///   reservation is cancelled in the background the same way (a cancel that races a
    ///   confirm that landed is refused, so nothing is undone). Dropped while the reservation
    ///   is being created, or without a runtime (e.g. during shutdown), it stays held until it
    ///   expires (5 minutes by default, see [`CreateReservation::expires_in`]).
    ///
    /// ```no_run
    /// # async fn call_llm(_: &str) -> Result<(String, u32), std::io::Error> { Ok((String::new(), 1)) }
    /// # async fn run(client: credits_sdk::CreditsClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use credits_sdk::{AccountRef, CreateReservation, Spent};
    ///
    /// let settled = client
    ///     .with_reservation(CreateReservation::new(AccountRef::external("user_456"), 500), |reservation| async move {
    ///         let (answer, credits_used) = call_llm(&reservation.id).await?;
    ///         Ok::<_, std::io::Error>(Spent::new(credits_used, answer))
    ///     })
    ///     .await?;
    /// println!("{}", settled.value);
    /// # Ok(()) }
    /// ```
    pub async fn with_reservation<F, Fut, T, E>(
        &self,
        reservation: CreateReservation,
        work: F,
    ) -> Result<Settled<T>, ReservationError<E, T>>
    where
        F: FnOnce(types::Reservation) -> Fut,
        Fut: Future<Output = Result<Spent<T>, E>>,
    {
        let reservation = self.create_reservation(reservation).await.map_err(ReservationError::Reserve)?.reservation;
        // Armed until the reservation is settled: dropping this future at any await below
        // (in the work, or while confirming or cancelling) still releases the credits.
        let mut guard = CancelOnDrop { client: self.clone(), reservation_id: Some(reservation.id.clone()) };

        let outcome = work(reservation.clone()).await;
        let settled = match outcome {
            Err(error) => {
                let cancel = self.cancel_reservation(&reservation.id).await.err();
                Err(ReservationError::Work { error, cancel })
            }
            Ok(Spent { credits, value }) if credits.is_zero() => match self.cancel_reservation(&reservation.id).await {
                Ok(_) => Ok(Settled { value, reservation, confirmation: None }),
                Err(error) => {
                    Err(ReservationError::Confirm { error, value, reservation_id: reservation.id, cancel: None })
                }
            },
            Ok(Spent { credits, value }) => {
                let confirmed = if credits > reservation.amount {
                    Err(Error::invalid(format!(
                        "the work spent {credits} credits but only {} were reserved",
                        reservation.amount
                    )))
                } else {
                    self.confirm_reservation(&reservation.id, credits).await
                };
                match confirmed {
                    Ok(confirmation) => Ok(Settled { value, reservation, confirmation: Some(confirmation) }),
                    Err(error) => match self.release_after_failed_confirm(&reservation.id, credits).await {
                        // The confirm landed after all (an attempt whose answer was lost).
                        Release::AlreadyConfirmed(confirmation) => {
                            Ok(Settled { value, reservation, confirmation: Some(confirmation) })
                        }
                        Release::Released => Err(ReservationError::Confirm {
                            error,
                            value,
                            reservation_id: reservation.id,
                            cancel: None,
                        }),
                        Release::Failed(cancel) => Err(ReservationError::Confirm {
                            error,
                            value,
                            reservation_id: reservation.id,
                            cancel: Some(cancel),
                        }),
                    },
                }
            }
        };
        guard.disarm();
        settled
    }
}
