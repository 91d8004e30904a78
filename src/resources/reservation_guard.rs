//! [`CreditsClient::with_reservation`]: reserve, run the costly call, then confirm or cancel,
//! so that credits are never left held by a call that failed.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::Error;
use crate::requests::AccountRef;
use crate::resources::reservations::{CreateReservation, ListReservations, landed};
use crate::resources::usage::{ModelUsage, RecordUsage};
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
    /// When the creation's outcome was unknown, the guard looked for the hold by its tag and
    /// used it if found; this error with [`maybe_applied`](Error::maybe_applied) means even
    /// that look-up failed: a hold may exist until it expires (or
    /// [`release_stale_holds`](CreditsClient::release_stale_holds), run by another run of the
    /// service, releases it).
    Reserve(Error),
    /// The work failed; the reservation was cancelled, or `cancel` says why it could not be
    /// (it then stays held until it expires). Nothing was charged.
    Work {
        /// The work's error.
        error: E,
        /// The cancellation's error, if cancelling failed.
        cancel: Option<Error>,
    },
    /// The work succeeded but the confirmation failed even after retries (or the work spent
    /// more than was reserved). The work's result is kept.
    ///
    /// - `cancel: None`: nothing was charged, and the hold is known to be gone (cancelled, or
    ///   expired).
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
    /// The work succeeded and spent nothing, so nothing was charged, but the reservation could
    /// not be cancelled: it may still hold its credits until it expires. The work's result is
    /// kept.
    Release {
        /// The cancellation's error.
        error: Error,
        /// The work's result.
        value: T,
        /// The reservation that may still be held.
        reservation_id: String,
    },
}

impl<E, T> ReservationError<E, T> {
    /// The same error with the work's result, where it has one, converted by `f`.
    pub(crate) fn map_value<U>(self, f: impl FnOnce(T) -> U) -> ReservationError<E, U> {
        match self {
            ReservationError::Reserve(error) => ReservationError::Reserve(error),
            ReservationError::Work { error, cancel } => ReservationError::Work { error, cancel },
            ReservationError::Confirm { error, value, reservation_id, cancel } => {
                ReservationError::Confirm { error, value: f(value), reservation_id, cancel }
            }
            ReservationError::Release { error, value, reservation_id } => {
                ReservationError::Release { error, value: f(value), reservation_id }
            }
        }
    }
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
            ReservationError::Release { error, reservation_id, .. } => {
                write!(f, "the work spent nothing, but reservation {reservation_id} could not be cancelled: {error}")
            }
        }
    }
}

impl<E: std::error::Error + 'static, T: fmt::Debug> std::error::Error for ReservationError<E, T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReservationError::Reserve(error)
            | ReservationError::Confirm { error, .. }
            | ReservationError::Release { error, .. } => Some(error),
            ReservationError::Work { error, .. } => Some(error),
        }
    }
}

/// Cancels the reservation if dropped while armed: covers a panic in the work and a caller
/// that drops the future midway. When the work's usage is known (a metered call dropped while
/// confirming) and the cancel finds the confirm landed, it records that usage instead.
struct CancelOnDrop {
    client: CreditsClient,
    reservation_id: Option<String>,
    /// The account and the usage to record if the confirm turns out to have landed.
    usage: Option<(AccountRef, ModelUsage)>,
}

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.reservation_id = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.reservation_id.take() else { return };
        let releases = self.client.releases.clone();
        // Drop cannot await; hand the cancellation to the runtime, if there still is one.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            releases.left_held(id, "no Tokio runtime to cancel it on");
            return;
        };
        let client = self.client.clone();
        let usage = self.usage.take();
        let mut release = PendingRelease::new(releases, id);
        runtime.spawn(async move {
            let id = release.id.clone();
            match client.cancel_reservation(&id).await {
                Ok(_) => release.finish(),
                Err(Error::Api(api)) if landed(&api, "expired").is_some() => release.finish(),
                Err(Error::Api(api)) if landed(&api, "confirmed").is_some() => {
                    // The confirm landed before the future was dropped: the charge stands.
                    release.finish();
                    let Some((account, usage)) = usage else { return };
                    let Some(details) = landed(&api, "confirmed") else { return };
                    let Some(transaction) = details.get("transactionId").and_then(|t| t.as_str()) else {
                        tracing::warn!(reservation = %id, "a dropped metered call was charged, but the API did not say by which transaction: its usage is not recorded");
                        return;
                    };
                    let account = details.get("accountId").and_then(|a| a.as_str()).map_or(account, AccountRef::id);
                    let record = RecordUsage::for_transaction(account, transaction, usage);
                    if let Err(error) = client.record_usage_if_absent(record).await {
                        tracing::warn!(reservation = %id, %error, "could not record the usage of a dropped metered call");
                    }
                }
                Err(error) => {
                    tracing::warn!(reservation = %id, %error, "could not cancel an abandoned reservation");
                }
            }
        });
    }
}

/// The background cancellations of abandoned reservations, shared by a client's clones, so
/// that [`CreditsClient::shutdown`] can wait for them and name the holds left.
#[derive(Debug, Default)]
pub(crate) struct Releases {
    state: std::sync::Mutex<ReleaseState>,
    changed: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct ReleaseState {
    /// Cancellations running in the background.
    in_flight: usize,
    /// Reservations left held: their cancellation failed or never ran.
    held: Vec<String>,
}

impl Releases {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReleaseState> {
        // The state stays consistent whatever panicked while holding the lock.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a reservation left held, with a warning naming it.
    fn left_held(&self, id: String, why: &str) {
        tracing::warn!(reservation = %id, "an abandoned reservation stays held until it expires: {why}");
        self.lock().held.push(id);
        self.changed.notify_waiters();
    }
}

/// One task running in the background for a client, counted until it is dropped so that
/// [`CreditsClient::shutdown`] waits for it.
pub(crate) struct InFlight(Arc<Releases>);

impl InFlight {
    pub(crate) fn new(releases: Arc<Releases>) -> Self {
        releases.lock().in_flight += 1;
        Self(releases)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().in_flight -= 1;
        self.0.changed.notify_waiters();
    }
}

/// One background cancellation. Its drop settles the books: a task dropped unfinished (its
/// runtime shut down before it ran) or whose cancel failed leaves the reservation held, and
/// says so.
struct PendingRelease {
    releases: Arc<Releases>,
    id: String,
    done: bool,
    /// Dropped after the books are settled, which wakes [`CreditsClient::shutdown`].
    _running: InFlight,
}

impl PendingRelease {
    fn new(releases: Arc<Releases>, id: String) -> Self {
        Self { _running: InFlight::new(releases.clone()), releases, id, done: false }
    }

    /// The reservation was cancelled.
    fn finish(&mut self) {
        self.done = true;
    }
}

impl Drop for PendingRelease {
    fn drop(&mut self) {
        if !self.done {
            let why = if std::thread::panicking() || tokio::runtime::Handle::try_current().is_err() {
                "the runtime shut down before it was cancelled"
            } else {
                "its cancellation failed"
            };
            self.releases.left_held(std::mem::take(&mut self.id), why);
        }
    }
}

/// What cancelling a reservation found.
enum Release {
    /// The hold is gone: cancelled (now or by an earlier attempt) or expired. Nothing was
    /// charged.
    Released,
    /// The reservation was already confirmed for the amount spent: the confirm landed.
    AlreadyConfirmed(types::ConfirmReservationResponse),
    /// The cancel failed; the last error.
    Failed(Error),
}

/// How many times the guard tries to cancel, each try with the client's retries, before it
/// reports the reservation's state as unknown (all within the settlement's budget).
const RELEASE_TRIES: u32 = 3;

impl CreditsClient {
    /// Cancels a reservation, recognising a hold already gone (cancelled or expired) and,
    /// when the work `spent` credits whose confirm failed, a confirm that landed anyway: the
    /// cancel is then refused with the reservation `confirmed` for the same amount. A cancel
    /// whose outcome is unknown (timeouts, 5xx) is tried again (cancelling is safe to repeat).
    async fn release(&self, reservation_id: &str, spent: Option<Credits>) -> Release {
        use crate::resources::reservations::landed_confirmation;
        let mut last = None;
        for _ in 0..RELEASE_TRIES {
            match self.cancel_reservation(reservation_id).await {
                Ok(_) => return Release::Released,
                Err(Error::Api(api)) if !api.status.is_server_error() && api.status.as_u16() != 429 => {
                    if landed(&api, "expired").is_some() {
                        return Release::Released;
                    }
                    return match spent.and_then(|credits| landed_confirmation(&api, reservation_id, credits)) {
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

    /// The pending hold numbered `hold` of this client's run in `account`, if a look-up (within
    /// one call budget) finds it.
    async fn find_hold(&self, account: &AccountRef, hold: &str) -> Option<types::Reservation> {
        let within = self.until(Instant::now() + self.call_budget());
        let listed = within.list_reservations(ListReservations::new(account.clone()).active_only()).await.ok()?;
        listed.reservations.into_iter().find(|reservation| self.holder.made(reservation, hold))
    }

    /// Waits for the background cancellations of abandoned reservations (guards whose future
    /// was dropped, or whose work panicked) and returns the ids of the reservations left held:
    /// those whose cancel failed, or never ran because their runtime had shut down or there
    /// was none. Each of those was also logged as a warning. Call it before a program ends, so
    /// that the last cancellations run before the runtime goes (a cancellation handed to a
    /// runtime that shuts down is dropped). It ends within one call budget of the last
    /// cancellation's start; the client stays usable, and the returned ids are not reported
    /// again.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) {
    /// // ... the program's work ...
    /// for id in client.shutdown().await {
    ///     eprintln!("reservation {id} stays held until it expires");
    /// }
    /// # }
    /// ```
    pub async fn shutdown(&self) -> Vec<String> {
        loop {
            let changed = self.releases.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.releases.lock();
                if state.in_flight == 0 {
                    return std::mem::take(&mut state.held);
                }
            }
            changed.await;
        }
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
    ///   is being created, it stays held until it expires (5 minutes by default, see
    ///   [`CreateReservation::expires_in`]). Dropped without a runtime, or just before the
    ///   runtime shuts down (the end of `main` or of a test), the background cancel cannot run:
    ///   a warning names the reservation, and [`shutdown`](Self::shutdown) lists it. Await
    ///   [`shutdown`](Self::shutdown) before the program ends to let the cancels finish.
    ///
    /// **Time.** Creating the reservation takes at most one call budget
    /// ([`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed), 30 s by default);
    /// settling it afterwards (the confirm, and the cancels that follow a failed one) shares one
    /// more. So the guard adds at most twice the call budget to the work's own time, however
    /// the API stalls; a step cut short by the budget is reported like any failed step.
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
        self.guarded(reservation, work, |_| None).await
    }

    /// [`with_reservation`](Self::with_reservation), with the usage behind the work's value
    /// (`usage_of`), recorded in the background if the future is dropped after its confirm
    /// landed.
    pub(crate) async fn guarded<F, Fut, T, E>(
        &self,
        reservation: CreateReservation,
        work: F,
        usage_of: impl FnOnce(&T) -> Option<ModelUsage>,
    ) -> Result<Settled<T>, ReservationError<E, T>>
    where
        F: FnOnce(types::Reservation) -> Fut,
        Fut: Future<Output = Result<Spent<T>, E>>,
    {
        let hold = self.holder.next_hold();
        let reservation = reservation.tagged(&self.holder, &hold).map_err(ReservationError::Reserve)?;
        let account = reservation.account().clone();
        let reservation = match self.create_reservation(reservation).await {
            Ok(created) => created.reservation,
            // The hold may exist (its answer was lost): find it by its tag and use it.
            Err(error) if error.maybe_applied() => match self.find_hold(&account, &hold).await {
                Some(found) => found,
                None => return Err(ReservationError::Reserve(error)),
            },
            Err(error) => return Err(ReservationError::Reserve(error)),
        };
        // Armed until the reservation is settled: dropping this future at any await below
        // (in the work, or while confirming or cancelling) still releases the credits.
        let mut guard =
            CancelOnDrop { client: self.clone(), reservation_id: Some(reservation.id.clone()), usage: None };

        let outcome = work(reservation.clone()).await;
        if let Ok(spent) = &outcome {
            let account = reservation.account_id.clone().map_or(account, AccountRef::id);
            guard.usage = usage_of(&spent.value).map(|usage| (account, usage));
        }
        // Settling shares one call budget, whatever the API does.
        let settle = self.until(Instant::now() + self.call_budget());
        let settled = match outcome {
            Err(error) => {
                let cancel = match settle.release(&reservation.id, None).await {
                    Release::Failed(cancel) => Some(cancel),
                    Release::Released | Release::AlreadyConfirmed(_) => None,
                };
                Err(ReservationError::Work { error, cancel })
            }
            Ok(Spent { credits, value }) if credits.is_zero() => match settle.release(&reservation.id, None).await {
                Release::Released | Release::AlreadyConfirmed(_) => {
                    Ok(Settled { value, reservation, confirmation: None })
                }
                Release::Failed(error) => {
                    Err(ReservationError::Release { error, value, reservation_id: reservation.id })
                }
            },
            Ok(Spent { credits, value }) => {
                let confirmed = if credits > reservation.amount {
                    Err(Error::invalid(format!(
                        "the work spent {credits} credits but only {} were reserved",
                        reservation.amount
                    )))
                } else {
                    settle.confirm_reservation(&reservation.id, credits).await
                };
                match confirmed {
                    Ok(confirmation) => Ok(Settled { value, reservation, confirmation: Some(confirmation) }),
                    Err(error) => match settle.release(&reservation.id, Some(credits)).await {
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
