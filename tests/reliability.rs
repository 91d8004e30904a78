//! Retries, timeouts and the no-double-charge rule, shown with the sandbox's fault injection.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use credits_sandbox::{Fault, Sandbox};
use credits_sdk::ErrorCode;
use credits_sdk::api::Client;
use credits_sdk::api::Pipeline;
use credits_sdk::{
    AccountRef, AddCredits, ApiKey, CreateReservation, CreateTransaction, Credits, CreditsClient, DeductCredits, Error,
    ListTransactions, ReservationError, RetryPolicy, Spent, TransactionType,
};
use futures::TryStreamExt;
use serde_json::json;
use support::{client_for, client_with_timeout, fast_retries, funded_account, sandbox};

fn status(code: u16) -> Fault {
    Fault::Status { status: code, retry_after: None, after_write: false }
}

fn drop_connection(after_write: bool) -> Fault {
    Fault::DropConnection { after_write }
}

// ----- reads are retried ---------------------------------------------------------------------

#[tokio::test]
async fn a_read_survives_503s_within_the_retry_budget() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100).await;
    let before = sandbox.request_count();
    sandbox.faults().fail_next(2, Fault::unavailable("0"));
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!(balance.available, 100);
    assert_eq!(sandbox.request_count() - before, 3, "two 503s, then the answer");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (sandbox, client) = sandbox().await;
    sandbox.faults().fail_next(1, Fault::rate_limited("1"));
    let started = Instant::now();
    client.list_plans().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_not_waited_for() {
    let (sandbox, _) = sandbox().await;
    let client = client_for(&sandbox, fast_retries().max_retry_after(Duration::from_secs(2)));
    sandbox.faults().fail_next(1, Fault::rate_limited("120"));
    let started = Instant::now();
    let error = client.list_plans().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_read_survives_a_dropped_connection_and_a_delay_past_the_timeout() {
    // Set up with the default timeout; only the client under test has the short one.
    let (sandbox, setup) = sandbox().await;
    let client = client_with_timeout(&sandbox, Duration::from_secs(1));
    let account = funded_account(&setup, 100).await;
    sandbox.faults().fail_next(1, drop_connection(false));
    sandbox.faults().fail_next(1, Fault::Delay(Duration::from_secs(4)));
    let before = sandbox.request_count();
    assert_eq!(client.get_balance(&account).await.unwrap().balance, 100);
    assert!(sandbox.request_count() - before >= 3, "a dropped connection, a timeout, then the answer");
}

#[tokio::test]
async fn retries_stop_after_the_configured_attempts() {
    let (sandbox, _) = sandbox().await;
    let client = client_for(&sandbox, fast_retries().max_attempts(4));
    sandbox.faults().fail_next(10, status(503));
    let before = sandbox.request_count();
    let error = client.list_accounts().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.code(), Some(&ErrorCode::from("injected_fault")));
    assert_eq!(sandbox.request_count() - before, 4);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let (sandbox, _) = sandbox().await;
    let client = client_for(&sandbox, RetryPolicy::disabled());
    sandbox.faults().fail_next(1, status(503));
    let before = sandbox.request_count();
    assert!(client.list_accounts().await.unwrap_err().is_retryable());
    assert_eq!(sandbox.request_count() - before, 1);
}

#[tokio::test]
async fn a_per_call_timeout_overrides_the_clients() {
    let (sandbox, client) = sandbox().await;
    sandbox.faults().fail_next(5, Fault::Delay(Duration::from_millis(500)));
    let quick = client.with_attempt_timeout(Duration::from_millis(100));
    let started = Instant::now();
    let error = quick.list_plans().await.unwrap_err();
    assert!(matches!(&error, Error::Transport(e) if e.is_timeout()), "{error:?}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    sandbox.faults().clear();
    client.list_plans().await.expect("the client's own timeout is unchanged");
}

/// A loopback address that refuses connections: the port is bound (so nothing else takes it)
/// but never listened on.
fn refusing_address() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = socket.local_addr().unwrap();
    (socket, address)
}

#[tokio::test]
async fn a_connection_refused_is_a_retryable_transport_error() {
    let (_socket, address) = refusing_address();
    let client = CreditsClient::builder()
        .api_key("sk_1")
        .base_url(format!("http://{address}"))
        .retry(fast_retries())
        .build()
        .unwrap();
    let error = client.list_plans().await.unwrap_err();
    assert!(matches!(&error, Error::Transport(e) if e.is_connect()), "{error:?}");
    assert!(error.is_retryable());
}

// ----- unsafe writes are never repeated once they may have landed ----------------------------

async fn credits_of(client: &CreditsClient, account: &AccountRef) -> Vec<Credits> {
    let query = ListTransactions::new().account(account).limit(100);
    let all: Vec<_> = client.stream_transactions(query).try_collect().await.unwrap();
    all.iter().filter(|t| t.type_ == TransactionType::Credit).map(|t| t.amount).collect()
}

#[tokio::test]
async fn a_grant_is_not_retried_after_a_503() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    sandbox.faults().fail_next(1, status(503));
    let before = sandbox.request_count();
    let error = client.add_credits(AddCredits::new(&account, 10)).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(sandbox.request_count() - before, 1, "sent once");
    assert!(credits_of(&client, &account).await.is_empty());
}

#[tokio::test]
async fn a_grant_whose_connection_dropped_after_the_write_is_applied_once() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    sandbox.faults().fail_next(1, drop_connection(true));
    let error = client.add_credits(AddCredits::new(&account, 10)).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(
        credits_of(&client, &account).await,
        [Credits::from(10)],
        "applied by the server, not repeated by the client"
    );
    assert_eq!(client.get_balance(&account).await.unwrap().balance, 10);
}

#[tokio::test]
async fn a_grant_is_retried_after_a_429() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    sandbox.faults().fail_next(1, Fault::rate_limited("0"));
    client.add_credits(AddCredits::new(&account, 10)).await.unwrap();
    assert_eq!(credits_of(&client, &account).await, [Credits::from(10)]);
}

#[tokio::test]
async fn a_grant_is_retried_when_the_connection_was_never_made() {
    // Bind a port, then close it: connecting fails before anything is sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = CreditsClient::builder()
        .api_key("sk_1")
        .base_url(format!("http://{address}"))
        .retry(fast_retries())
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.add_credits(AddCredits::new(AccountRef::id("acc_1"), 10)).await.unwrap_err();
    assert!(matches!(&error, Error::Transport(e) if e.is_connect()), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_confirm_whose_answer_was_lost_is_recognised_on_retry_and_charges_once() {
    for lost in [Fault::Status { status: 503, retry_after: None, after_write: true }, drop_connection(true)] {
        let (sandbox, client) = sandbox().await;
        let account = funded_account(&client, 1000).await;
        let reservation = client.create_reservation(CreateReservation::new(&account, 100)).await.unwrap().reservation;
        sandbox.faults().fail_next(1, lost.clone());
        let confirmed =
            client.confirm_reservation(&reservation.id, 60).await.unwrap_or_else(|e| panic!("{lost:?}: {e}"));
        assert!(confirmed.transaction_id.starts_with("txn_"));
        let ledger: Vec<_> =
            client.stream_transactions(ListTransactions::new().account(&account)).try_collect().await.unwrap();
        let debits: Vec<_> =
            ledger.iter().filter(|t| t.type_ == TransactionType::Debit).map(|t| t.id.as_str()).collect();
        assert_eq!(debits, [confirmed.transaction_id.as_str()], "{lost:?}: the transaction the server wrote");
        let balance = client.get_balance(&account).await.unwrap();
        assert_eq!((balance.balance, balance.reserved), (Credits::from(940), Credits::ZERO), "{lost:?}");
        // A second confirm of the same amount is the same confirmation, charging nothing more;
        // one of another amount is refused.
        let again = client.confirm_reservation(&reservation.id, 60).await.unwrap();
        assert_eq!(again.transaction_id, confirmed.transaction_id, "{lost:?}");
        assert_eq!(
            client.confirm_reservation(&reservation.id, 61).await.unwrap_err().code(),
            Some(&ErrorCode::ReservationNotPending)
        );
        assert_eq!(client.get_balance(&account).await.unwrap().balance, Credits::from(940), "{lost:?}");
    }
}

#[tokio::test]
async fn a_cancel_whose_answer_was_lost_is_recognised_on_retry() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let reservation = client.create_reservation(CreateReservation::new(&account, 100)).await.unwrap().reservation;
    sandbox.faults().fail_next(1, Fault::Status { status: 503, retry_after: None, after_write: true });
    client.cancel_reservation(&reservation.id).await.unwrap();
    assert_eq!(client.get_balance(&account).await.unwrap().reserved, 0);
    // Cancelling again is idempotent; confirming the cancelled reservation is refused.
    client.cancel_reservation(&reservation.id).await.unwrap();
    assert_eq!(
        client.confirm_reservation(&reservation.id, 1).await.unwrap_err().code(),
        Some(&ErrorCode::ReservationNotPending)
    );
}

#[tokio::test]
async fn a_confirm_is_retried_after_a_503_and_charges_once() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let reservation = client.create_reservation(CreateReservation::new(&account, 100)).await.unwrap().reservation;
    sandbox.faults().fail_next(1, Fault::unavailable("0"));
    client.confirm_reservation(&reservation.id, 60).await.unwrap();
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!((balance.balance, balance.reserved), (Credits::from(940), Credits::ZERO));
}

// ----- the generated builders get the same pipeline ------------------------------------------

#[tokio::test]
async fn the_generated_builders_retry_reads_and_not_unsafe_writes() {
    let (sandbox, facade) = sandbox().await;
    let account = funded_account(&facade, 100).await;
    let account_id = account.account_id().unwrap().to_owned();
    let transport = Pipeline::new(ApiKey::new(sandbox.api_key()).unwrap()).with_retry(fast_retries());
    let client = Client::new_with_client(sandbox.base_url(), reqwest::Client::new(), transport);

    sandbox.faults().fail_next(2, status(503));
    let before = sandbox.request_count();
    let balance = client.get_balance().account_id(account_id.clone()).send().await.unwrap();
    assert_eq!(balance.available, 100);
    assert_eq!(sandbox.request_count() - before, 3, "retried like the facade");

    sandbox.faults().fail_next(1, status(503));
    let amount = credits_sdk::Amount::try_from(10).unwrap();
    let result = client.add_credits().body_map(|b| b.account_id(Some(account_id.clone())).amount(amount)).send().await;
    assert_eq!(result.unwrap_err().status().map(|s| s.as_u16()), Some(503));
    assert_eq!(facade.get_balance(&account).await.unwrap().balance, 100, "not granted, not retried");
}

// ----- the soak ------------------------------------------------------------------------------

/// The balance a ledger sums to, and the amounts of its entries tagged `{tag: n}` in their
/// metadata, by `n`.
fn tally(ledger: &[credits_sdk::api::types::Transaction], tag: &str) -> (Credits, HashMap<u64, Vec<Credits>>) {
    let mut balance = Credits::ZERO;
    let mut by_tag: HashMap<u64, Vec<Credits>> = HashMap::new();
    for transaction in ledger {
        balance += if transaction.type_ == TransactionType::Credit { transaction.amount } else { -transaction.amount };
        if let Some(n) = transaction.metadata.as_ref().and_then(|m| m.get(tag)).and_then(|v| v.as_u64()) {
            by_tag.entry(n).or_default().push(transaction.amount);
        }
    }
    (balance, by_tag)
}

/// What one write was meant to do, and what the client saw.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Seen {
    Succeeded,
    Failed,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_of_mixed_writes_under_faults_never_applies_a_write_twice() {
    const WRITES: u64 = 2_000;
    const TASKS: u64 = 16;
    let sandbox = Sandbox::start().await.unwrap();
    let client = client_with_timeout(&sandbox, Duration::from_secs(5));
    let account = funded_account(&client, 1_000_000).await;

    sandbox.faults().set_random(
        0.10,
        vec![
            status(503),
            status(500),
            Fault::rate_limited("0"),
            Fault::Status { status: 500, retry_after: None, after_write: true },
            Fault::Status { status: 503, retry_after: None, after_write: true },
            drop_connection(false),
            drop_connection(true),
            Fault::Delay(Duration::from_millis(5)),
        ],
        7,
    );

    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (client, account, next) = (client.clone(), account.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= WRITES {
                    return seen;
                }
                let tag = json!({ "soak": n });
                let amount = 1 + n % 5;
                let outcome = match n % 4 {
                    0 => client.add_credits(AddCredits::new(&account, amount).metadata(&tag)).await.map(|_| ()),
                    1 => client.deduct_credits(DeductCredits::new(&account, amount).metadata(&tag)).await.map(|_| ()),
                    2 => client
                        .create_transaction(CreateTransaction::credit(&account, amount).metadata(&tag))
                        .await
                        .map(|_| ()),
                    _ => client
                        .create_transaction(CreateTransaction::debit(&account, amount).metadata(&tag))
                        .await
                        .map(|_| ()),
                };
                seen.push((n, if outcome.is_ok() { Seen::Succeeded } else { Seen::Failed }));
            }
        }));
    }
    let mut seen = HashMap::new();
    for task in tasks {
        seen.extend(task.await.unwrap());
    }
    sandbox.faults().clear();
    assert!(sandbox.faults().injected() > 100, "faults were injected: {}", sandbox.faults().injected());

    let ledger: Vec<_> =
        client.stream_transactions(ListTransactions::new().account(&account).limit(100)).try_collect().await.unwrap();
    let (balance, by_tag) = tally(&ledger, "soak");
    let applied: HashMap<u64, usize> = by_tag.iter().map(|(n, amounts)| (*n, amounts.len())).collect();

    let twice: Vec<_> = applied.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "writes applied more than once: {twice:?}");
    let succeeded: Vec<u64> = seen.iter().filter(|(_, s)| **s == Seen::Succeeded).map(|(n, _)| *n).collect();
    let missing: Vec<_> = succeeded.iter().filter(|n| !applied.contains_key(n)).collect();
    assert!(missing.is_empty(), "writes the client saw succeed are missing from the ledger: {missing:?}");
    let failed = seen.len() - succeeded.len();
    let applied_failures = applied.len() - succeeded.len();
    assert!(applied_failures <= failed, "only failures after the write may have landed");
    assert_eq!(seen.len() as u64, WRITES);
    assert!(failed > 0 && failed < 400, "about 10% of writes face a fault, some are retried: {failed} failed");

    let server = client.get_balance(&account).await.unwrap();
    assert!(server.balance == balance, "the balance is the sum of the ledger: {} vs {balance}", server.balance);
    eprintln!(
        "soak: {WRITES} writes, {} succeeded, {failed} failed ({applied_failures} of them landed before failing), {} faults",
        succeeded.len(),
        sandbox.faults().injected()
    );
}

// ----- the reservation guard under faults ----------------------------------------------------

#[tokio::test]
async fn the_guard_reports_success_for_a_confirm_that_landed_before_its_retries_failed() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let confirm_attempts = [
        Fault::Status { status: 503, retry_after: None, after_write: true }, // lands, answer lost
        status(503),
        status(500),
    ];
    let faults = sandbox.faults();
    let settled = client
        .with_reservation(CreateReservation::new(&account, 100), |_| async move {
            for fault in confirm_attempts {
                faults.fail_next(1, fault);
            }
            Ok::<_, std::io::Error>(Spent::new(60, "answer"))
        })
        .await
        .unwrap_or_else(|e| panic!("the confirm landed, so the guard succeeds: {e}"));
    let confirmation = settled.confirmation.expect("confirmed");
    assert!(confirmation.transaction_id.starts_with("txn_"));
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!((balance.balance, balance.reserved), (Credits::from(940), Credits::ZERO), "charged once, nothing held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_of_guarded_reservations_under_faults_never_misreports_a_charge() {
    const CALLS: u64 = 2_000;
    const TASKS: u64 = 16;
    let sandbox = Sandbox::start().await.unwrap();
    let client = client_with_timeout(&sandbox, Duration::from_secs(5));
    let account = funded_account(&client, 10_000_000).await;
    sandbox.faults().set_random(
        0.20,
        vec![
            status(503),
            status(500),
            Fault::Status { status: 500, retry_after: None, after_write: true },
            Fault::Status { status: 503, retry_after: None, after_write: true },
            drop_connection(false),
            drop_connection(true),
            Fault::Delay(Duration::from_millis(3)),
        ],
        11,
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
                let request = CreateReservation::new(&account, 10).metadata(json!({ "guard": n }));
                let outcome = client
                    .with_reservation(request, |_| async move { Ok::<_, std::io::Error>(Spent::new(spent, n)) })
                    .await;
                let seen_as = match outcome {
                    Ok(settled) => {
                        assert!(settled.confirmation.is_some());
                        Guarded::Charged(spent)
                    }
                    Err(ReservationError::Reserve(_)) => Guarded::NotReserved,
                    Err(ReservationError::Confirm { cancel: None, .. }) => Guarded::Refused,
                    Err(ReservationError::Confirm { cancel: Some(_), .. }) => Guarded::Unknown,
                    Err(ReservationError::Work { .. }) => unreachable!("the work never fails"),
                    Err(other) => panic!("an outcome this test does not know: {other:?}"),
                };
                seen.push((n, seen_as));
            }
        }));
    }
    let mut seen = HashMap::new();
    for task in tasks {
        seen.extend(task.await.unwrap());
    }
    sandbox.faults().clear();
    assert!(sandbox.faults().injected() > 300, "faults were injected: {}", sandbox.faults().injected());

    let ledger: Vec<_> =
        client.stream_transactions(ListTransactions::new().account(&account).limit(100)).try_collect().await.unwrap();
    let (balance, charged) = tally(&ledger, "guard");
    let twice: Vec<_> = charged.iter().filter(|(_, charges)| charges.len() > 1).collect();
    assert!(twice.is_empty(), "reservations charged twice: {twice:?}");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (n, seen_as) in &seen {
        let charge = charged.get(n).map(|c| c[0]);
        match seen_as {
            Guarded::Charged(spent) => assert_eq!(charge, Some(Credits::from(*spent)), "call {n} reported charged"),
            Guarded::NotReserved | Guarded::Refused => {
                assert_eq!(charge, None, "call {n} reported {seen_as:?} but was charged")
            }
            Guarded::Unknown => {}
        }
        *counts.entry(seen_as.name()).or_default() += 1;
    }
    assert_eq!(seen.len() as u64, CALLS);
    assert_eq!(counts.get("unknown").copied().unwrap_or(0), 0, "no outcome left unknown: {counts:?}");
    let server = client.get_balance(&account).await.unwrap();
    assert!(server.balance == balance, "the balance is the sum of the ledger");
    eprintln!("guard soak: {CALLS} guarded calls, {counts:?}, {} faults", sandbox.faults().injected());
}

/// What one guarded call reported.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Guarded {
    Charged(u32),
    NotReserved,
    Refused,
    Unknown,
}

impl Guarded {
    fn name(&self) -> &'static str {
        match self {
            Guarded::Charged(_) => "charged",
            Guarded::NotReserved => "not reserved",
            Guarded::Refused => "refused",
            Guarded::Unknown => "unknown",
        }
    }
}

// ----- writes whose outcome is unknown -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_reported_retryable_was_never_applied_in_a_storm_of_faults() {
    const TASKS: u64 = 64;
    const WRITES_PER_TASK: u64 = 25;
    let sandbox = Sandbox::start().await.unwrap();
    let client = client_with_timeout(&sandbox, Duration::from_secs(5));
    let account = funded_account(&client, 1_000_000).await;
    sandbox.faults().set_random(
        0.20,
        vec![
            status(503),
            status(500),
            Fault::rate_limited("0"),
            Fault::Status { status: 500, retry_after: None, after_write: true },
            Fault::Status { status: 503, retry_after: None, after_write: true },
            drop_connection(false),
            drop_connection(true),
        ],
        23,
    );
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (client, account) = (client.clone(), account.clone());
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for i in 0..WRITES_PER_TASK {
                let n = task * WRITES_PER_TASK + i;
                let tag = json!({ "storm": n });
                let outcome = if n.is_multiple_of(2) {
                    client.add_credits(AddCredits::new(&account, 1).metadata(&tag)).await.map(|_| ())
                } else {
                    client.deduct_credits(DeductCredits::new(&account, 1).metadata(&tag)).await.map(|_| ())
                };
                if let Err(error) = outcome {
                    failures.push((n, error.is_retryable(), error.maybe_applied(), error.operation()));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        failures.extend(task.await.unwrap());
    }
    sandbox.faults().clear();
    let ledger: Vec<_> =
        client.stream_transactions(ListTransactions::new().account(&account).limit(100)).try_collect().await.unwrap();
    let (_, applied) = tally(&ledger, "storm");

    let retryable_but_applied: Vec<_> =
        failures.iter().filter(|(n, retryable, ..)| *retryable && applied.contains_key(n)).collect();
    assert!(retryable_but_applied.is_empty(), "reported retryable, yet applied: {retryable_but_applied:?}");
    let not_applied_but_applied: Vec<_> =
        failures.iter().filter(|(n, _, maybe, _)| !*maybe && applied.contains_key(n)).collect();
    assert!(not_applied_but_applied.is_empty(), "reported not applied, yet applied: {not_applied_but_applied:?}");
    assert!(failures.iter().all(|(.., operation)| operation.is_some()), "facade errors name their operation");
    let ambiguous = failures.iter().filter(|(_, _, maybe, _)| *maybe).count();
    let ambiguous_applied = failures.iter().filter(|(n, _, maybe, _)| *maybe && applied.contains_key(n)).count();
    let retryable = failures.iter().filter(|(_, retryable, ..)| *retryable).count();
    assert!(ambiguous_applied > 0, "some ambiguous writes landed: the storm tested the rule");
    eprintln!(
        "storm: {} writes, {} failed: {retryable} reported retryable (none applied), {ambiguous} maybe applied \
         ({ambiguous_applied} of them were)",
        TASKS * WRITES_PER_TASK,
        failures.len()
    );
}

#[tokio::test]
async fn an_error_says_whether_its_write_may_have_landed_and_whether_repeating_is_safe() {
    let (sandbox, _) = sandbox().await;
    let client = client_for(&sandbox, RetryPolicy::disabled());
    let account = funded_account(&client, 100).await;
    sandbox.faults().fail_next(1, Fault::Status { status: 503, retry_after: None, after_write: true });
    let grant = client.add_credits(AddCredits::new(&account, 5)).await.unwrap_err();
    assert!(grant.is_transient() && grant.maybe_applied(), "{grant:?}");
    assert!(!grant.is_retryable() && !grant.is_safe_to_repeat(), "a grant that may have landed: {grant:?}");
    assert_eq!((grant.applied(), grant.operation()), (credits_sdk::Applied::Maybe, Some("add_credits")));

    sandbox.faults().fail_next(1, status(503));
    let read = client.get_balance(&account).await.unwrap_err();
    assert!(read.maybe_applied() && read.is_retryable(), "a read is safe to repeat: {read:?}");

    sandbox.faults().fail_next(1, Fault::rate_limited("0"));
    let limited = client.deduct_credits(DeductCredits::new(&account, 5)).await.unwrap_err();
    assert!(!limited.maybe_applied() && limited.is_retryable(), "a 429 was not applied: {limited:?}");

    let refused = client.deduct_credits(DeductCredits::new(&account, 10_000)).await.unwrap_err();
    assert_eq!(refused.applied(), credits_sdk::Applied::No);
    assert!(!refused.is_retryable());
    let balance = client.get_balance(&account).await.unwrap().balance;
    assert_eq!(balance, Credits::from(105), "the grant landed once, nothing else did");
}

#[tokio::test]
async fn a_callers_repeat_of_a_confirm_or_cancel_that_landed_succeeds() {
    let (sandbox, _) = sandbox().await;
    let client = client_for(&sandbox, RetryPolicy::disabled());
    let account = funded_account(&client, 1000).await;

    let hold = client.create_reservation(CreateReservation::new(&account, 100)).await.unwrap().reservation;
    sandbox.faults().fail_next(1, drop_connection(true));
    let lost = client.confirm_reservation(&hold.id, 40).await.unwrap_err();
    assert!(lost.maybe_applied() && lost.is_retryable(), "a confirm is safe to repeat: {lost:?}");
    let repeated = client.confirm_reservation(&hold.id, 40).await.expect("the same confirm already landed");
    assert!(repeated.transaction_id.starts_with("txn_"));
    let other_amount = client.confirm_reservation(&hold.id, 41).await.unwrap_err();
    assert_eq!(other_amount.code(), Some(&ErrorCode::ReservationNotPending), "another amount is refused");

    let hold = client.create_reservation(CreateReservation::new(&account, 100)).await.unwrap().reservation;
    sandbox.faults().fail_next(1, drop_connection(true));
    assert!(client.cancel_reservation(&hold.id).await.is_err());
    client.cancel_reservation(&hold.id).await.expect("the same cancel already landed");
    let confirm_after_cancel = client.confirm_reservation(&hold.id, 40).await.unwrap_err();
    assert_eq!(confirm_after_cancel.code(), Some(&ErrorCode::ReservationNotPending));

    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!((balance.balance, balance.reserved), (Credits::from(960), Credits::ZERO), "charged once");
}

// ----- the guard's edges ---------------------------------------------------------------------

#[tokio::test]
async fn a_guard_that_spent_nothing_and_could_not_cancel_says_the_hold_may_remain() {
    let (sandbox, _) = sandbox().await;
    let client = client_for(&sandbox, RetryPolicy::disabled());
    let account = funded_account(&client, 1000).await;
    let faults = sandbox.faults();
    let outcome = client
        .with_reservation(CreateReservation::new(&account, 100), |_| async move {
            faults.fail_next(10, status(503));
            Ok::<_, std::io::Error>(Spent::new(0, "nothing used"))
        })
        .await;
    sandbox.faults().clear();
    let Err(ReservationError::Release { error, value, reservation_id }) = outcome else {
        panic!("the hold could not be released: {outcome:?}")
    };
    assert_eq!((error.status().map(|s| s.as_u16()), value), (Some(503), "nothing used"));
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!((balance.balance, balance.reserved), (Credits::from(1000), Credits::from(100)), "held, not charged");
    client.cancel_reservation(&reservation_id).await.expect("the reservation it names is the one held");
}

#[tokio::test]
async fn a_guarded_call_against_a_stalled_api_ends_within_twice_the_call_budget() {
    const BUDGET: Duration = Duration::from_millis(600);
    let (sandbox, setup) = sandbox().await;
    let account = funded_account(&setup, 1000).await;
    let client = CreditsClient::builder()
        .api_key(sandbox.api_key())
        .base_url(sandbox.base_url())
        .retry(fast_retries().max_elapsed(BUDGET))
        .build()
        .unwrap();
    let faults = sandbox.faults();
    let started = Instant::now();
    let outcome = client
        .with_reservation(CreateReservation::new(&account, 100), |_| async move {
            // Everything after the reservation stalls: the confirm and every cancel.
            faults.fail_next(100, Fault::Delay(Duration::from_secs(5)));
            Ok::<_, std::io::Error>(Spent::new(10, ()))
        })
        .await;
    let took = started.elapsed();
    sandbox.faults().clear();
    assert!(matches!(&outcome, Err(ReservationError::Confirm { cancel: Some(_), .. })), "{outcome:?}");
    // Reserving took one budget at most, settling shares one more; 300 ms for the machine.
    assert!(took < 2 * BUDGET + Duration::from_millis(300), "took {took:?}");
}

#[test]
fn guards_dropped_before_their_runtime_shuts_down_are_named_in_a_warning_and_by_shutdown() {
    let logs = support::LogCapture::default();
    let _default = tracing::subscriber::set_default(logs.subscriber());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (sandbox, client, account) = runtime.block_on(async {
        let (sandbox, client) = sandbox().await;
        let account = funded_account(&client, 1000).await;
        (sandbox, client, account)
    });
    let held = runtime.block_on(async {
        let (started, ready) = tokio::sync::oneshot::channel();
        let (client, account) = (client.clone(), account.clone());
        let guarded = tokio::spawn(async move {
            let request = CreateReservation::new(&account, 100);
            let _ = client
                .with_reservation(request, |reservation| async move {
                    let _ = started.send(reservation.id);
                    futures::future::pending::<Result<Spent<()>, std::io::Error>>().await
                })
                .await;
        });
        let id = ready.await.unwrap();
        guarded.abort();
        let _ = guarded.await;
        id
    });
    // The abort handed the cancel to the runtime, which now shuts down before running it.
    let other = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    drop(runtime);
    let left = other.block_on(client.shutdown());
    assert_eq!(left, vec![held.clone()], "shutdown names the hold left");
    assert!(logs.text().contains(&held) && logs.text().contains("stays held"), "{}", logs.text());
    drop(sandbox);
}

#[tokio::test]
async fn shutdown_waits_for_the_cancels_of_dropped_guards() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    sandbox.faults().fail_next(1, Fault::Delay(Duration::from_millis(5)));
    for _ in 0..5 {
        let guarded = client.with_reservation(CreateReservation::new(&account, 100), |_| async {
            futures::future::pending::<Result<Spent<()>, std::io::Error>>().await
        });
        assert!(tokio::time::timeout(Duration::from_millis(100), guarded).await.is_err());
    }
    assert!(client.shutdown().await.is_empty(), "every dropped guard's hold was cancelled");
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!(balance.reserved, Credits::ZERO, "no hold is left once shutdown returns");
}
