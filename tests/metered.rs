//! The whole billing flow: `metered` (reserve, work, confirm, record usage), usage recorded
//! exactly once (`record_usage_once`, `record_usage_if_absent`) and stale holds, against the
//! sandbox and its fault injection.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use credits_sandbox::{Fault, Sandbox};
use credits_sdk::api::types::{Transaction, UsageRecord};
use credits_sdk::{
    AccountRef, Billed, CreateReservation, Credits, CreditsClient, Error, GetUsage, HOLDER_TAG, ListReservations,
    ListTransactions, Metered, ModelUsage, RUN_TAG, RecordUsage, ReservationError, ReservationStatus, StaleHolds,
    TransactionType, UsageContext, UsageError, UsageOutcome,
};
use futures::TryStreamExt;
use serde_json::json;
use support::{client_with_timeout, funded_account, sandbox};

fn after_write(status: u16) -> Fault {
    Fault::Status { status, retry_after: None, after_write: true }
}

fn before_write(status: u16) -> Fault {
    Fault::Status { status, retry_after: None, after_write: false }
}

/// The id of a confirmed charge of `account`, to record usage against.
async fn a_charge(client: &CreditsClient, account: &AccountRef) -> String {
    let hold = client.create_reservation(CreateReservation::new(account, 10)).await.unwrap();
    client.confirm_reservation(&hold.reservation.id, 7).await.unwrap().transaction_id
}

/// The account's customer usage records, by transaction id.
async fn records_by_transaction(client: &CreditsClient, account: &AccountRef) -> HashMap<String, Vec<UsageRecord>> {
    let records = client.get_usage(GetUsage::new().account(account).context(UsageContext::Customer)).await.unwrap();
    let mut by_transaction: HashMap<String, Vec<UsageRecord>> = HashMap::new();
    for record in records {
        let transaction = record.transaction_id.clone().expect("the sandbox lists each record's transaction");
        by_transaction.entry(transaction).or_default().push(record);
    }
    by_transaction
}

fn chat(account: &AccountRef, transaction: &str) -> RecordUsage {
    RecordUsage::customer(account, transaction, "gpt-4o").tokens(1000, 420).description("Chat completion")
}

// ----- usage recorded exactly once -----------------------------------------------------------

#[tokio::test]
async fn a_record_whose_answer_was_lost_is_found_and_not_sent_again() {
    for fault in [after_write(503), after_write(500), Fault::DropConnection { after_write: true }] {
        let (sandbox, client) = sandbox().await;
        let account = funded_account(&client, 100).await;
        let transaction = a_charge(&client, &account).await;
        sandbox.faults().fail_next(1, fault.clone());
        let before = sandbox.request_count();
        let record = client.record_usage_once(chat(&account, &transaction)).await.unwrap();
        assert_eq!(record.transaction_id.as_deref(), Some(transaction.as_str()));
        assert_eq!(sandbox.request_count() - before, 2, "{fault:?}: one record, one look-up, no second record");
        let records = records_by_transaction(&client, &account).await;
        assert_eq!(records[&transaction].len(), 1, "{fault:?}: recorded once");
        assert_eq!(records[&transaction][0].id, record.id, "{fault:?}: the record found is the one written");
    }
}

#[tokio::test]
async fn a_record_that_did_not_land_is_looked_up_then_sent_again() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100).await;
    let transaction = a_charge(&client, &account).await;
    sandbox.faults().fail_next(1, before_write(503));
    let before = sandbox.request_count();
    client.record_usage_once(chat(&account, &transaction)).await.unwrap();
    assert_eq!(sandbox.request_count() - before, 3, "a record, a look-up that finds nothing, a record");
    assert_eq!(records_by_transaction(&client, &account).await[&transaction].len(), 1);
}

#[tokio::test]
async fn attempts_that_all_fail_and_are_all_absent_are_reported_not_recorded() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100).await;
    let transaction = a_charge(&client, &account).await;
    // Every record fails before its write; every look-up answers.
    for _ in 0..3 {
        sandbox.faults().fail_next(1, before_write(502));
        sandbox.faults().fail_next(1, Fault::Delay(Duration::from_millis(1)));
    }
    let error = client.record_usage_once(chat(&account, &transaction)).await.unwrap_err();
    assert!(matches!(error, UsageError::NotRecorded(_)), "{error:?}");
    assert!(!records_by_transaction(&client, &account).await.contains_key(&transaction), "nothing recorded");
    // Recording it again now cannot count it twice.
    client.record_usage_once(chat(&account, &transaction)).await.unwrap();
    assert_eq!(records_by_transaction(&client, &account).await[&transaction].len(), 1);
}

#[tokio::test]
async fn when_even_the_look_up_fails_the_outcome_is_unknown_and_settled_later_by_looking_first() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100).await;
    let transaction = a_charge(&client, &account).await;
    sandbox.faults().fail_next(1, after_write(503));
    sandbox.faults().fail_next(20, before_write(503));
    let error = client.record_usage_once(chat(&account, &transaction)).await.unwrap_err();
    assert!(error.is_unknown(), "the record landed, but nothing could tell: {error:?}");
    assert!(error.error().maybe_applied());
    sandbox.faults().clear();
    let before = sandbox.request_count();
    let settled = client.record_usage_if_absent(chat(&account, &transaction)).await.unwrap();
    assert_eq!(sandbox.request_count() - before, 1, "one look-up found it: nothing sent");
    let records = records_by_transaction(&client, &account).await;
    assert_eq!(records[&transaction].len(), 1, "recorded once");
    assert_eq!(records[&transaction][0].id, settled.id);
    // Looking first when it is absent records it.
    let other = a_charge(&client, &account).await;
    client.record_usage_if_absent(chat(&account, &other)).await.unwrap();
    assert_eq!(records_by_transaction(&client, &account).await[&other].len(), 1);
}

#[tokio::test]
async fn usage_that_cannot_be_looked_up_is_refused_before_anything_is_sent() {
    let (sandbox, client) = sandbox().await;
    let before = sandbox.request_count();
    let system = client.record_usage_once(RecordUsage::system("gpt-4o").tokens(1, 1)).await.unwrap_err();
    assert!(matches!(system, UsageError::NotRecorded(Error::InvalidInput(_))), "{system:?}");
    let empty = client.record_usage_once(RecordUsage::customer(AccountRef::id("acc_1"), "", "gpt-4o")).await;
    assert!(matches!(empty, Err(UsageError::NotRecorded(Error::InvalidInput(_)))), "{empty:?}");
    assert_eq!(sandbox.request_count(), before, "nothing was sent");
}

// ----- the metered flow ----------------------------------------------------------------------

fn usage() -> ModelUsage {
    ModelUsage::new("gpt-4o").tokens(1000, 420).description("Chat completion")
}

#[tokio::test]
async fn a_metered_call_reserves_confirms_and_records_the_usage_of_its_charge() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let billed = client
        .metered(CreateReservation::new(&account, 500).model("gpt-4o"), |reservation| async move {
            assert_eq!(reservation.amount, 500);
            Ok::<_, std::io::Error>(Metered::new(42, usage(), "answer"))
        })
        .await
        .unwrap();
    assert!(billed.is_complete());
    assert_eq!(billed.value, "answer");
    let confirmation = billed.confirmation.as_ref().expect("charged");
    let UsageOutcome::Recorded(record) = &billed.usage else { panic!("not recorded: {:?}", billed.usage) };
    assert_eq!(record.transaction_id.as_deref(), Some(confirmation.transaction_id.as_str()));
    assert_eq!(record.account_id, billed.reservation.account_id);
    assert_eq!((record.input_tokens, record.output_tokens), (Some(1000), Some(420)));
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!((balance.balance, balance.reserved), (Credits::from(958), Credits::ZERO));
    // The hold carried the SDK's tags beside the caller's fields.
    let metadata = billed.reservation.metadata.as_ref().expect("tagged");
    assert_eq!(metadata.get(HOLDER_TAG), Some(&json!("credits-sdk")));
    assert!(metadata.get(RUN_TAG).and_then(|r| r.as_str()).is_some_and(|r| r.starts_with("run_")));
}

#[tokio::test]
async fn metered_work_that_spends_nothing_or_fails_records_no_usage() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let free = client
        .metered(CreateReservation::new(&account, 100), |_| async {
            Ok::<_, std::io::Error>(Metered::new(0, usage(), ()))
        })
        .await
        .unwrap();
    assert!(matches!(free.usage, UsageOutcome::NotCharged) && free.confirmation.is_none());
    let failed = client
        .metered(CreateReservation::new(&account, 100), |_| async {
            Err::<Metered<()>, _>(std::io::Error::other("the model is down"))
        })
        .await
        .unwrap_err();
    assert!(matches!(failed, ReservationError::Work { cancel: None, .. }), "{failed:?}");
    assert!(records_by_transaction(&client, &account).await.is_empty(), "no usage without a charge");
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!((balance.balance, balance.reserved), (Credits::from(1000), Credits::ZERO));
}

#[tokio::test]
async fn a_usage_failure_never_hides_the_charge_behind_it() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let (faults, sandbox_faults) = (sandbox.faults(), sandbox.faults().clone());
    let billed = client
        .metered(CreateReservation::new(&account, 100), move |_| async move {
            // Reserve is done; the confirm goes through; then every record and look-up fails.
            sandbox_faults.fail_next(1, Fault::Delay(Duration::from_millis(1)));
            sandbox_faults.fail_next(1, after_write(503));
            sandbox_faults.fail_next(50, before_write(503));
            Ok::<_, std::io::Error>(Metered::new(30, usage(), ()))
        })
        .await
        .expect("the charge landed, so the call reports it");
    faults.clear();
    let confirmation = billed.confirmation.as_ref().expect("charged");
    let UsageOutcome::Unknown { record, .. } = billed.usage else { panic!("{:?}", billed.usage) };
    assert_eq!(record.transaction_id(), Some(confirmation.transaction_id.as_str()));
    assert_eq!(client.get_balance(&account).await.unwrap().balance, Credits::from(970), "charged once");
    // Settled later, by looking first: the record that landed is found.
    client.record_usage_if_absent(record).await.unwrap();
    assert_eq!(records_by_transaction(&client, &account).await[&confirmation.transaction_id].len(), 1);
}

#[tokio::test]
async fn metadata_keys_of_the_sdk_are_refused_before_anything_is_sent() {
    let (sandbox, client) = sandbox().await;
    let before = sandbox.request_count();
    let hold = CreateReservation::new(AccountRef::id("acc_1"), 10).metadata(json!({ HOLDER_TAG: "someone" }));
    let refused = client.metered(hold, |_| async { Ok::<_, std::io::Error>(Metered::new(1, usage(), ())) }).await;
    assert!(matches!(refused, Err(ReservationError::Reserve(Error::InvalidInput(ref m))) if m.contains(HOLDER_TAG)));
    assert_eq!(sandbox.request_count(), before);
}

/// What one metered call of the soak reported.
#[derive(Clone, Debug, PartialEq)]
enum Reported {
    /// Charged, usage recorded: `(spent, transaction, usage record)`.
    Settled(u32, String, String),
    /// Charged, usage known not recorded, or unknown.
    ChargedUsageMissing(u32, String),
    ChargedUsageUnknown(u32, String),
    /// Nothing charged.
    NotCharged,
    /// The charge is unknown.
    Unknown,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_of_metered_calls_under_faults_records_each_charge_s_usage_exactly_once() {
    const CALLS: u64 = 2_000;
    const TASKS: u64 = 16;
    let sandbox = Sandbox::start().await.unwrap();
    let client = client_with_timeout(&sandbox, Duration::from_secs(5));
    let account = funded_account(&client, 10_000_000).await;
    sandbox.faults().set_random(
        0.15,
        vec![
            before_write(503),
            before_write(500),
            after_write(500),
            after_write(503),
            Fault::DropConnection { after_write: false },
            Fault::DropConnection { after_write: true },
            Fault::Delay(Duration::from_millis(3)),
        ],
        23,
    );

    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (client, account, next) = (client.clone(), account.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= CALLS {
                    return seen;
                }
                let spent = 1 + (n % 7) as u32;
                let hold = CreateReservation::new(&account, 10).metadata(json!({ "call": n }));
                let outcome = client
                    .metered(hold, |_| async move { Ok::<_, std::io::Error>(Metered::new(spent, usage(), n)) })
                    .await;
                seen.push((n, reported(outcome, spent)));
            }
        }));
    }
    let mut seen = HashMap::new();
    for task in tasks {
        seen.extend(task.await.unwrap());
    }
    sandbox.faults().clear();
    assert_eq!(seen.len() as u64, CALLS);
    assert!(sandbox.faults().injected() > 500, "faults were injected: {}", sandbox.faults().injected());

    // The server's books.
    let ledger: Vec<Transaction> =
        client.stream_transactions(ListTransactions::new().account(&account).limit(100)).try_collect().await.unwrap();
    let mut balance = Credits::ZERO;
    let mut charges: HashMap<u64, Vec<&Transaction>> = HashMap::new();
    for transaction in &ledger {
        balance += if transaction.type_ == TransactionType::Credit { transaction.amount } else { -transaction.amount };
        if let Some(n) = transaction.metadata.as_ref().and_then(|m| m.get("call")).and_then(|v| v.as_u64()) {
            charges.entry(n).or_default().push(transaction);
        }
    }
    let usage = records_by_transaction(&client, &account).await;
    let charged_transactions: HashMap<&str, u64> =
        charges.iter().flat_map(|(n, list)| list.iter().map(move |t| (t.id.as_str(), *n))).collect();

    // No charge twice, no usage twice, no usage without a confirmed charge.
    assert!(charges.values().all(|list| list.len() == 1), "a reservation charged twice");
    for (transaction, records) in &usage {
        assert_eq!(records.len(), 1, "transaction {transaction} has {} usage records", records.len());
        assert!(charged_transactions.contains_key(transaction.as_str()), "usage of {transaction} without a charge");
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (n, reported) in &seen {
        let charge = charges.get(n).map(|list| list[0]);
        let name = match reported {
            Reported::Settled(spent, transaction, record) => {
                let charge = charge.unwrap_or_else(|| panic!("call {n} reported settled but was not charged"));
                assert_eq!((charge.amount, &charge.id), (Credits::from(*spent), transaction), "call {n}");
                assert_eq!(usage.get(transaction).map(|r| r[0].id.as_str()), Some(record.as_str()), "call {n}");
                "settled"
            }
            Reported::ChargedUsageMissing(spent, transaction) => {
                assert_eq!(charge.map(|c| (c.amount, &c.id)), Some((Credits::from(*spent), transaction)), "call {n}");
                assert!(!usage.contains_key(transaction), "call {n} reported its usage missing but it was recorded");
                "charged, usage not recorded"
            }
            Reported::ChargedUsageUnknown(spent, transaction) => {
                assert_eq!(charge.map(|c| (c.amount, &c.id)), Some((Credits::from(*spent), transaction)), "call {n}");
                "charged, usage unknown"
            }
            Reported::NotCharged => {
                assert!(charge.is_none(), "call {n} reported not charged but was charged");
                "not charged"
            }
            Reported::Unknown => "charge unknown",
        };
        *counts.entry(name).or_default() += 1;
    }
    let server = client.get_balance(&account).await.unwrap();
    assert!(server.balance == balance, "the balance is the sum of the ledger");
    // Holds whose creation's answer was lost were found and used; only those whose look-up
    // failed too may wait for their expiry.
    let left = client.list_reservations(ListReservations::new(&account).active_only()).await.unwrap().reservations;
    let left_held: Credits = left.iter().map(|r| r.amount).sum();
    assert_eq!(server.reserved, left_held, "every credit held is in a listed pending hold");
    sandbox.advance(Duration::from_secs(301)).unwrap();
    assert_eq!(client.get_balance(&account).await.unwrap().reserved, Credits::ZERO, "none outlives its expiry");
    assert!(counts.get("settled").copied().unwrap_or(0) > (CALLS as usize) * 3 / 4, "most calls settle: {counts:?}");
    eprintln!(
        "metered soak: {CALLS} calls, {counts:?}; {} charges, {} usage records, {} holds left to expire, {} faults injected",
        charges.len(),
        usage.len(),
        left.len(),
        sandbox.faults().injected()
    );
}

fn reported(outcome: Result<Billed<u64>, ReservationError<std::io::Error, u64>>, spent: u32) -> Reported {
    match outcome {
        Ok(billed) => {
            let transaction = billed.confirmation.expect("the work always spends").transaction_id;
            match billed.usage {
                UsageOutcome::Recorded(record) => Reported::Settled(spent, transaction, record.id),
                UsageOutcome::NotRecorded { .. } => Reported::ChargedUsageMissing(spent, transaction),
                UsageOutcome::Unknown { .. } => Reported::ChargedUsageUnknown(spent, transaction),
                other => panic!("an outcome this test does not know: {other:?}"),
            }
        }
        Err(ReservationError::Reserve(_)) | Err(ReservationError::Confirm { cancel: None, .. }) => Reported::NotCharged,
        Err(ReservationError::Confirm { cancel: Some(_), .. }) => Reported::Unknown,
        Err(other) => panic!("an outcome this test does not know: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metered_call_dropped_at_any_point_leaves_no_hold_and_no_usage_for_a_cancelled_hold() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100_000).await;
    // Every request takes a little while, so that a deadline lands inside each step.
    sandbox.faults().set_random(1.0, vec![Fault::Delay(Duration::from_millis(4))], 5);
    let mut dropped = 0;
    for step in 0..60u64 {
        let hold = CreateReservation::new(&account, 10).metadata(json!({ "call": step }));
        let call = client.metered(hold, |_| async move {
            tokio::time::sleep(Duration::from_millis(3)).await;
            Ok::<_, std::io::Error>(Metered::new(5, usage(), ()))
        });
        if tokio::time::timeout(Duration::from_micros(step * 500), call).await.is_err() {
            dropped += 1;
        }
    }
    assert!(client.shutdown().await.is_empty(), "every dropped hold was cancelled");
    sandbox.faults().clear();
    assert!(dropped > 20, "most calls were dropped midway: {dropped}");

    let ledger: Vec<Transaction> =
        client.stream_transactions(ListTransactions::new().account(&account).limit(100)).try_collect().await.unwrap();
    let charged: HashMap<&str, &Transaction> =
        ledger.iter().filter(|t| t.type_ == TransactionType::Debit).map(|t| (t.id.as_str(), t)).collect();
    let usage = records_by_transaction(&client, &account).await;
    for (transaction, records) in &usage {
        assert_eq!(records.len(), 1, "one record per charge");
        assert!(charged.contains_key(transaction.as_str()), "usage of {transaction} without a charge");
    }
    // A call dropped after its confirm still gets its usage: the record finishes in the background.
    for transaction in charged.keys() {
        assert!(usage.contains_key(*transaction), "the charge {transaction} has no usage record");
    }
    // Holds dropped while being created stay until they expire, as documented; none other.
    let pending = client.list_reservations(ListReservations::new(&account).active_only()).await.unwrap();
    sandbox.advance(Duration::from_secs(301)).unwrap();
    let after_ttl = client.list_reservations(ListReservations::new(&account).active_only()).await.unwrap();
    assert!(after_ttl.reservations.is_empty(), "no hold outlives its expiry");
    eprintln!(
        "dropped {dropped} of 60 metered calls: {} charges, {} usage records, {} holds left to expire",
        charged.len(),
        usage.len(),
        pending.reservations.len()
    );
}

// ----- stale holds ---------------------------------------------------------------------------

fn tags(holder: &str, run: &str) -> serde_json::Value {
    json!({ HOLDER_TAG: holder, RUN_TAG: run, "operation": "chat" })
}

#[tokio::test]
async fn stale_holds_are_found_in_a_dry_run_and_released_and_nothing_else_is_touched() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = CreditsClient::builder()
        .api_key(sandbox.api_key())
        .base_url(sandbox.base_url())
        .retry(support::fast_retries())
        .holder("checkout")
        .build()
        .unwrap();
    let (mine, other_account) = (funded_account(&client, 10_000).await, funded_account(&client, 10_000).await);
    let hold = |account: &AccountRef, amount: u32, metadata: serde_json::Value| {
        let client = client.clone();
        let request =
            CreateReservation::new(account, amount).metadata(metadata).expires_in(Duration::from_secs(86_400));
        async move { client.create_reservation(request).await.unwrap().reservation }
    };
    // What a crashed run of this service left, and what must survive.
    let crashed =
        [hold(&mine, 11, tags("checkout", "run_dead")).await, hold(&mine, 12, tags("checkout", "run_old")).await];
    let untagged = hold(&mine, 13, json!({ "operation": "chat" })).await;
    let other_holder = hold(&mine, 14, tags("search", "run_dead")).await;
    let elsewhere = hold(&other_account, 15, tags("checkout", "run_dead")).await;
    let confirmed = hold(&mine, 16, tags("checkout", "run_dead")).await;
    client.confirm_reservation(&confirmed.id, 16).await.unwrap();
    sandbox.advance(Duration::from_secs(3600)).unwrap();
    let recent = hold(&mine, 17, tags("checkout", "run_dead")).await;
    let cutoff = recent.created_at.expect("dated");
    // This run's own holds are its live guards': never stale.
    let (client_for_work, account_for_work) = (client.clone(), mine.clone());
    let (found, own) = client
        .with_reservation(CreateReservation::new(&mine, 18), |own| async move {
            let which = StaleHolds::created_before(cutoff + chrono::Duration::hours(1)).account(&account_for_work);
            let found = client_for_work.find_stale_holds(&which).await.unwrap();
            Ok::<_, std::io::Error>(credits_sdk::Spent::new(0, (found, own.id)))
        })
        .await
        .unwrap()
        .value;
    let ids = |holds: &[credits_sdk::api::types::Reservation]| {
        let mut ids: Vec<String> = holds.iter().map(|h| h.id.clone()).collect();
        ids.sort();
        ids
    };
    let mut expected = vec![crashed[0].id.clone(), crashed[1].id.clone(), recent.id.clone()];
    expected.sort();
    assert_eq!(ids(&found), expected, "tagged by this holder, another run, pending, before the cut-off");
    assert!(!ids(&found).contains(&own), "this run's own hold is not stale");

    // Dry run: listed, nothing changed.
    let which = StaleHolds::created_before(cutoff).account(&mine).account(&other_account).holder("checkout");
    let dry = client.find_stale_holds(&StaleHolds::created_before(cutoff).account(&mine)).await.unwrap();
    let mut crashed_ids = vec![crashed[0].id.clone(), crashed[1].id.clone()];
    crashed_ids.sort();
    assert_eq!(ids(&dry), crashed_ids, "the recent hold is after the cut-off");
    assert_eq!(client.get_balance(&mine).await.unwrap().reserved, Credits::from(11 + 12 + 13 + 14 + 17));

    // Released: only this account's crashed holds (the other account is only looked at when asked).
    let done = client.release_stale_holds(&StaleHolds::created_before(cutoff).account(&mine)).await.unwrap();
    let mut released = done.released.clone();
    released.sort();
    assert_eq!(released, crashed_ids);
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    let status = |id: &str| {
        let account = if id == elsewhere.id { other_account.clone() } else { mine.clone() };
        status_of(client.clone(), account, id.to_owned())
    };
    for id in &crashed_ids {
        assert_eq!(status(id).await, Some(ReservationStatus::Cancelled));
    }
    for survivor in [&untagged, &other_holder, &recent, &elsewhere] {
        assert_eq!(status(&survivor.id).await, Some(ReservationStatus::Pending), "{} untouched", survivor.id);
    }
    assert_eq!(status(&confirmed.id).await, Some(ReservationStatus::Confirmed));
    assert_eq!(client.get_balance(&mine).await.unwrap().reserved, Credits::from(13 + 14 + 17));

    // Asked about both accounts, the other one's crashed hold is found too, and nothing else.
    let both = client.find_stale_holds(&which).await.unwrap();
    assert_eq!(ids(&both), vec![elsewhere.id.clone()]);
    // Without accounts, every account of the project is looked at.
    let everywhere = client.find_stale_holds(&StaleHolds::created_before(cutoff)).await.unwrap();
    assert_eq!(ids(&everywhere), vec![elsewhere.id.clone()]);
}

async fn status_of(client: CreditsClient, account: AccountRef, id: String) -> Option<ReservationStatus> {
    let listed = client.list_reservations(&account).await.unwrap().reservations;
    listed.into_iter().find(|r| r.id == id).map(|r| r.status)
}

#[tokio::test]
async fn stale_holds_by_age_and_an_empty_holder_is_refused() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100).await;
    let request = CreateReservation::new(&account, 10).metadata(tags("credits-sdk", "run_dead"));
    client.create_reservation(request).await.unwrap();
    let young = client.find_stale_holds(&StaleHolds::older_than(Duration::from_secs(3600)).account(&account)).await;
    assert!(young.unwrap().is_empty(), "a hold made just now is not an hour old");
    let old = client.find_stale_holds(&StaleHolds::older_than(Duration::ZERO).account(&account)).await.unwrap();
    assert_eq!(old.len(), 1);
    let huge = client.find_stale_holds(&StaleHolds::older_than(Duration::MAX)).await;
    assert!(matches!(huge, Err(Error::InvalidInput(_))), "{huge:?}");
    let empty = CreditsClient::builder().api_key("sk_test_1").base_url("http://127.0.0.1:9").holder(" ").build();
    assert!(matches!(empty, Err(Error::Config(_))));
}

#[tokio::test]
async fn a_hold_whose_creation_answer_was_lost_is_found_by_its_tag_and_used() {
    for fault in [after_write(503), Fault::DropConnection { after_write: true }] {
        let (sandbox, client) = sandbox().await;
        let account = funded_account(&client, 1000).await;
        sandbox.faults().fail_next(1, fault.clone());
        let billed = client
            .metered(CreateReservation::new(&account, 100), |_| async {
                Ok::<_, std::io::Error>(Metered::new(40, usage(), ()))
            })
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert!(billed.is_complete(), "{fault:?}");
        let all = client.list_reservations(&account).await.unwrap().reservations;
        assert_eq!(all.len(), 1, "{fault:?}: one hold, created once and used");
        assert_eq!(all[0].status, ReservationStatus::Confirmed);
        let balance = client.get_balance(&account).await.unwrap();
        assert_eq!((balance.balance, balance.reserved), (Credits::from(960), Credits::ZERO), "{fault:?}");
    }
}
