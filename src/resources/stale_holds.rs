//! Stale holds: the reservations a crashed or redeployed process left pending, found by the
//! tag the SDK's guards put on every hold they make, and released.
//!
//! [`with_reservation`](CreditsClient::with_reservation) and [`metered`](CreditsClient::metered)
//! tag each reservation's `metadata` with the client's holder name
//! ([`ClientBuilder::holder`](crate::ClientBuilder::holder)) and its run (one per built client):
//! `{"creditsSdkHolder": "checkout", "creditsSdkRun": "run_…", "creditsSdkHold": "17"}` (the
//! last numbers the hold within its run, so that a hold whose creation's answer was lost is
//! found and used rather than left held). A hold is *stale* when it is
//! still pending, carries this holder's tag from another run, and was created before a cut-off.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::api::types;
use crate::client::CreditsClient;
use crate::error::{Error, Result};
use crate::requests::AccountRef;
use crate::resources::reservations::ListReservations;
use crate::values::ReservationStatus;

/// The metadata key naming the holder of a guarded reservation.
pub const HOLDER_TAG: &str = "creditsSdkHolder";
/// The metadata key naming the run (one built client) of a guarded reservation.
pub const RUN_TAG: &str = "creditsSdkRun";
/// The metadata key naming one guarded reservation within its run, so that a hold whose
/// creation's answer was lost can be found.
pub const HOLD_TAG: &str = "creditsSdkHold";
/// The holder name of a client built without [`ClientBuilder::holder`](crate::ClientBuilder::holder).
pub const DEFAULT_HOLDER: &str = "credits-sdk";

/// Who makes a client's guarded holds: a holder name the service chooses, and a run id unique
/// to one built client (shared by its clones).
#[derive(Debug)]
pub(crate) struct Holder {
    pub(crate) name: String,
    pub(crate) run: String,
    /// The next hold's number within the run.
    next: AtomicU64,
}

impl Holder {
    pub(crate) fn new(name: impl Into<String>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let run = format!("run_{:x}_{:x}_{:x}", std::process::id(), nanos, NEXT.fetch_add(1, Ordering::Relaxed));
        Self { name: name.into(), run, next: AtomicU64::new(1) }
    }

    /// A new hold's number, unique within the run.
    pub(crate) fn next_hold(&self) -> String {
        self.next.fetch_add(1, Ordering::Relaxed).to_string()
    }

    pub(crate) fn tags<'a>(&'a self, hold: &'a str) -> [(&'a str, &'a str); 3] {
        [(HOLDER_TAG, &self.name), (RUN_TAG, &self.run), (HOLD_TAG, hold)]
    }

    /// Whether `reservation` is the hold numbered `hold` of this run.
    pub(crate) fn made(&self, reservation: &types::Reservation, hold: &str) -> bool {
        let tag = |key: &str| reservation.metadata.as_ref().and_then(|m| m.get(key)).and_then(|v| v.as_str());
        tag(RUN_TAG) == Some(self.run.as_str()) && tag(HOLD_TAG) == Some(hold)
    }
}

/// When a tagged hold counts as stale.
#[derive(Clone, Debug)]
enum Cutoff {
    Age(Duration),
    Before(DateTime<Utc>),
}

/// Which holds count as stale: pending, tagged by this client's holder, from another run, and
/// older than a cut-off; in the given accounts, or in every account of the project.
///
/// ```
/// use std::time::Duration;
/// use credits_sdk::{AccountRef, StaleHolds};
///
/// // At start-up: holds this service made more than 10 minutes ago, in any account.
/// let stale = StaleHolds::older_than(Duration::from_secs(600));
/// // Or only in one account.
/// let one = StaleHolds::older_than(Duration::from_secs(600)).account(AccountRef::external("user_456"));
/// # let _ = (stale, one);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct StaleHolds {
    cutoff: Cutoff,
    accounts: Vec<AccountRef>,
    holder: Option<String>,
}

impl StaleHolds {
    /// Holds created more than `age` ago, by this machine's clock (keep `age` well above the
    /// longest guarded work and any clock skew with the API).
    pub fn older_than(age: Duration) -> Self {
        Self { cutoff: Cutoff::Age(age), accounts: Vec::new(), holder: None }
    }

    /// Holds created before `instant`, as the API dates them (`createdAt`).
    pub fn created_before(instant: DateTime<Utc>) -> Self {
        Self { cutoff: Cutoff::Before(instant), accounts: Vec::new(), holder: None }
    }

    /// Only this account's holds (repeat for several); without it, every account of the
    /// project is looked at (`GET /v1/accounts`, then one list per account).
    pub fn account(mut self, account: impl Into<AccountRef>) -> Self {
        self.accounts.push(account.into());
        self
    }

    /// Another holder's holds than this client's (e.g. a service renamed since).
    pub fn holder(mut self, name: impl Into<String>) -> Self {
        self.holder = Some(name.into());
        self
    }

    fn before(&self) -> Result<DateTime<Utc>> {
        match &self.cutoff {
            Cutoff::Before(instant) => Ok(*instant),
            Cutoff::Age(age) => chrono::Duration::from_std(*age)
                .ok()
                .and_then(|age| Utc::now().checked_sub_signed(age))
                .ok_or_else(|| Error::invalid(format!("the age {age:?} is too large"))),
        }
    }
}

/// What [`CreditsClient::release_stale_holds`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReleasedHolds {
    /// The stale holds found, as listed.
    pub found: Vec<types::Reservation>,
    /// The ids of the holds cancelled (or found already gone: cancelled or expired meanwhile).
    pub released: Vec<String>,
    /// The holds that could not be cancelled, with why (a hold confirmed meanwhile is here,
    /// with the API's refusal: it was not stale after all).
    pub failed: Vec<(String, Error)>,
}

impl CreditsClient {
    /// Lists the stale holds without touching them: the dry run of
    /// [`release_stale_holds`](Self::release_stale_holds).
    ///
    /// A hold is stale when it is pending, tagged by this client's holder (or the one given)
    /// but not by this client's own run, and created before the cut-off. Reservations the SDK
    /// did not make (no tag), made by another holder, or in accounts not asked about are never
    /// listed.
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use std::time::Duration;
    /// use credits_sdk::StaleHolds;
    /// for hold in client.find_stale_holds(&StaleHolds::older_than(Duration::from_secs(600))).await? {
    ///     println!("{} holds {} of {:?} since {:?}", hold.id, hold.amount, hold.account_id, hold.created_at);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn find_stale_holds(&self, which: &StaleHolds) -> Result<Vec<types::Reservation>> {
        let before = which.before()?;
        let holder = which.holder.as_deref().unwrap_or(&self.holder.name);
        let accounts = if which.accounts.is_empty() {
            self.list_accounts().await?.accounts.into_iter().map(|account| AccountRef::id(account.id)).collect()
        } else {
            which.accounts.clone()
        };
        let mut stale = Vec::new();
        for account in accounts {
            let listed = self.list_reservations(ListReservations::new(account).active_only()).await?.reservations;
            stale.extend(listed.into_iter().filter(|hold| self.is_stale(hold, holder, before)));
        }
        Ok(stale)
    }

    fn is_stale(&self, hold: &types::Reservation, holder: &str, before: DateTime<Utc>) -> bool {
        let tag = |key: &str| hold.metadata.as_ref().and_then(|m| m.get(key)).and_then(|v| v.as_str());
        hold.status == ReservationStatus::Pending
            && tag(HOLDER_TAG) == Some(holder)
            && tag(RUN_TAG).is_some_and(|run| run != self.holder.run)
            && hold.created_at.is_some_and(|created| created < before)
    }

    /// Finds the stale holds (see [`find_stale_holds`](Self::find_stale_holds)) and cancels
    /// each, releasing its credits. Run it at a service's start-up, with an age above the
    /// longest guarded work: the holds of a process that crashed or was redeployed between
    /// reserve and confirm are released instead of locking the customer's credits until they
    /// expire.
    ///
    /// A hold confirmed between the listing and its cancel is not undone (the API refuses to
    /// cancel it; it is reported in `failed`).
    ///
    /// ```no_run
    /// # async fn run(client: credits_sdk::CreditsClient) -> credits_sdk::Result<()> {
    /// use std::time::Duration;
    /// use credits_sdk::StaleHolds;
    /// let done = client.release_stale_holds(&StaleHolds::older_than(Duration::from_secs(600))).await?;
    /// println!("released {} stale holds, {} failed", done.released.len(), done.failed.len());
    /// # Ok(()) }
    /// ```
    pub async fn release_stale_holds(&self, which: &StaleHolds) -> Result<ReleasedHolds> {
        let found = self.find_stale_holds(which).await?;
        let mut done = ReleasedHolds::default();
        for hold in &found {
            match self.cancel_reservation(&hold.id).await {
                Ok(_) => done.released.push(hold.id.clone()),
                Err(Error::Api(api)) if crate::resources::reservations::landed(&api, "expired").is_some() => {
                    done.released.push(hold.id.clone())
                }
                Err(error) => done.failed.push((hold.id.clone(), error)),
            }
        }
        done.found = found;
        Ok(done)
    }
}
