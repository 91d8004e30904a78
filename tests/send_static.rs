//! Compile-time checks: every facade future, the transaction stream and the generated builders'
//! futures are `Send + 'static` once they own a client clone, so they can be `tokio::spawn`ed
//! from a multi-threaded runtime; the client and the error types cross threads. A regression
//! (an `Rc`, a `RefCell` or a borrowed argument held across an `.await`) fails to compile here.
//! Nothing is sent: the futures are created and dropped without being polled.

use std::time::Duration;

use credits_sdk::{
    AccountRef, AddCredits, AssignPlan, CalculateCost, CreateAccount, CreatePlan, CreateReservation, CreateTransaction,
    CreditsClient, DeductCredits, GetUsage, ListModels, ListReservations, ListTransactions, PlanInterval, RecordUsage,
    Spent, UsageContext,
};

fn assert_send_static<T: Send + 'static>(_: &T) {}

fn assert_shareable<T: Send + Sync + Clone + 'static>() {}

fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}

/// Moves a clone of `$client` into an `async move` block that awaits `$call`, and checks the
/// block is `Send + 'static`: it is only if the method's own future is `Send`.
macro_rules! send_static {
    ($client:expr, |$c:ident| $call:expr) => {{
        let $c = $client.clone();
        let future = async move { $call.await };
        assert_send_static(&future);
        drop(future);
    }};
}

#[test]
fn clients_and_errors_cross_threads() {
    assert_shareable::<CreditsClient>();
    assert_shareable::<credits_sdk::api::Client>();
    assert_shareable::<credits_sdk::api::Pipeline>();
    assert_error::<credits_sdk::Error>();
    assert_error::<credits_sdk::ReservationError<std::io::Error, String>>();
}

#[test]
fn every_facade_future_and_the_transaction_stream_are_send_and_static() {
    let client = CreditsClient::new("sk_test_send_static").unwrap();
    let alice = AccountRef::external("user_456");

    send_static!(client, |c| c.create_account(CreateAccount::new("Alice")));
    send_static!(client, |c| c.list_accounts());
    send_static!(client, |c| c.get_account(AccountRef::id("acc_1")));
    send_static!(client, |c| c.get_balance(AccountRef::external("user_456")));
    send_static!(client, |c| c.get_account_plans(AccountRef::id("acc_1")));
    send_static!(client, |c| c.add_credits(AddCredits::new(AccountRef::id("acc_1"), 10)));
    send_static!(client, |c| c.deduct_credits(DeductCredits::new(AccountRef::id("acc_1"), 10)));
    send_static!(client, |c| c.create_reservation(CreateReservation::new(AccountRef::id("acc_1"), 10)));
    send_static!(client, |c| c.list_reservations(ListReservations::new(AccountRef::id("acc_1"))));
    send_static!(client, |c| c.confirm_reservation("res_1", 5));
    send_static!(client, |c| c.cancel_reservation("res_1"));
    send_static!(client, |c| c.list_plans());
    send_static!(client, |c| c.create_plan(CreatePlan::new("Pro", 1000, PlanInterval::Month)));
    send_static!(client, |c| c.archive_plan("plan_1"));
    send_static!(client, |c| c.assign_plan_to_account(AssignPlan::new(AccountRef::id("acc_1"), "plan_1")));
    send_static!(client, |c| c.list_transactions(ListTransactions::new()));
    send_static!(client, |c| c.create_transaction(CreateTransaction::credit(AccountRef::id("acc_1"), 10)));
    send_static!(client, |c| c.record_usage(RecordUsage::system("gpt-4o")));
    send_static!(client, |c| c.get_usage(GetUsage::new()));
    send_static!(client, |c| c.get_usage_summary(UsageContext::Customer));
    send_static!(client, |c| c.list_models(ListModels::new()));
    send_static!(client, |c| c.get_model("gpt-4o"));
    send_static!(client, |c| c.calculate_cost(CalculateCost::new("gpt-4o")));
    send_static!(client, |c| c.with_reservation(CreateReservation::new(alice, 10), |_reservation| async {
        Ok::<_, std::io::Error>(Spent::new(5, "answer".to_owned()))
    }));

    // A handle with another attempt timeout, and the per-call wrapper.
    send_static!(client, |c| c.with_attempt_timeout(Duration::from_secs(1)).list_plans());
    send_static!(client, |c| credits_sdk::api::with_attempt_timeout(Duration::from_secs(1), c.list_plans()));

    // The stream owns its client clone already.
    let stream = client.stream_transactions(ListTransactions::new().limit(10));
    assert_send_static(&stream);
}

#[test]
fn generated_builder_futures_are_send_and_static() {
    let client = CreditsClient::new("sk_test_send_static").unwrap();
    let api = client.api().clone();
    send_static!(api, |a| a.get_balance().external_id("user_456").send());
    send_static!(api, |a| a.list_plans().send());
    send_static!(api, |a| a.archive_plan().body_map(|b| b.plan_id("plan_1")).send());
    send_static!(api, |a| credits_sdk::api::with_attempt_timeout(Duration::from_secs(1), a.list_models().send()));
}
