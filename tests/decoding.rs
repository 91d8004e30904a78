//! Malformed responses never panic: arbitrary bytes, truncated JSON, HTML error pages and
//! wrong-typed JSON, as the body of every operation's response, become errors that carry the
//! status and a bounded excerpt of the body.

mod support;

use std::sync::OnceLock;

use credits_sdk::BODY_EXCERPT_LIMIT;
use credits_sdk::{
    AccountRef, AddCredits, AssignPlan, CalculateCost, CreateAccount, CreatePlan, CreateReservation, CreateTransaction,
    CreditsClient, DeductCredits, Error, GetUsage, ListModels, ListTransactions, PlanInterval, RecordUsage,
    RetryPolicy, UsageContext,
};
use futures::TryStreamExt;
use proptest::prelude::*;
use support::capture::Capture;

/// Calls facade method number `which` (every method, 24 in all) and drops its value.
async fn call(client: &CreditsClient, which: usize) -> Result<(), Error> {
    let account = AccountRef::id("acc_1");
    match which {
        0 => client.create_account(CreateAccount::new("A")).await.map(drop),
        1 => client.list_accounts().await.map(drop),
        2 => client.get_account(account).await.map(drop),
        3 => client.get_balance(account).await.map(drop),
        4 => client.get_account_plans(account).await.map(drop),
        5 => client.add_credits(AddCredits::new(account, 1)).await.map(drop),
        6 => client.deduct_credits(DeductCredits::new(account, 1)).await.map(drop),
        7 => client.list_plans().await.map(drop),
        8 => client.create_plan(CreatePlan::new("P", 1, PlanInterval::Month)).await.map(drop),
        9 => client.archive_plan("plan_1").await.map(drop),
        10 => client.assign_plan_to_account(AssignPlan::new(account, "plan_1")).await.map(drop),
        11 => client.list_transactions(ListTransactions::new()).await.map(drop),
        12 => client.stream_transactions(ListTransactions::new()).try_collect::<Vec<_>>().await.map(drop),
        13 => client.create_transaction(CreateTransaction::credit(account, 1)).await.map(drop),
        14 => client.record_usage(RecordUsage::system("gpt-4o")).await.map(drop),
        15 => client.get_usage(GetUsage::new()).await.map(drop),
        16 => client.get_usage_summary(UsageContext::Customer).await.map(drop),
        17 => client.create_reservation(CreateReservation::new(account, 1)).await.map(drop),
        18 => client.list_reservations(account).await.map(drop),
        19 => client.confirm_reservation("res_1", 1).await.map(drop),
        20 => client.cancel_reservation("res_1").await.map(drop),
        21 => client.list_models(ListModels::new()).await.map(drop),
        22 => client.get_model("gpt-4o").await.map(drop),
        _ => client.calculate_cost(CalculateCost::new("gpt-4o")).await.map(drop),
    }
}
const METHODS: usize = 24;

struct World {
    /// The three properties run on parallel threads; each case holds this while it uses the
    /// shared listener.
    turn: std::sync::Mutex<()>,
    runtime: tokio::runtime::Runtime,
    capture: Capture,
    client: CreditsClient,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let capture = runtime.block_on(Capture::start());
        let client = CreditsClient::builder()
            .api_key("sk_test_decoding")
            .base_url(capture.base_url())
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        World { turn: std::sync::Mutex::new(()), runtime, capture, client }
    })
}

/// Bodies that are not valid JSON for any response type.
fn malformed_body() -> impl Strategy<Value = Vec<u8>> {
    let documented = r#"{"success": true, "reservation": {"id": "res_1", "amount": 100, "status": "pending"}, "items": [], "pagination": {"limit": 1, "offset": 0, "totalCount": 0, "hasMore": false}}"#;
    prop_oneof![
        // Arbitrary bytes that are not JSON.
        proptest::collection::vec(any::<u8>(), 1..600)
            .prop_filter("not JSON", |b| serde_json::from_slice::<serde_json::Value>(b).is_err()),
        // A valid document cut short.
        (1..documented.len() - 1).prop_map(move |cut| documented.as_bytes()[..cut].to_vec()),
        // A proxy's HTML error page, of any size.
        (0..5000usize).prop_map(
            |pad| format!("<html><body><h1>502 Bad Gateway</h1>{}</body></html>", "x".repeat(pad)).into_bytes()
        ),
    ]
}

/// JSON of the wrong shape for every response type: wrong-typed required fields.
fn wrong_typed_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(r#"[]"#.to_owned()),
        Just(r#""text""#.to_owned()),
        Just(r#"42"#.to_owned()),
        Just(r#"null"#.to_owned()),
        Just(r#"{"id": 5, "balance": "lots", "accounts": {}, "items": 3, "pagination": [], "plans": "x", "reservations": 1,
                "reservation": [], "account": 1, "plan": true, "transaction": 1, "usageRecord": 2, "usageRecords": {},
                "summary": 3, "models": 1, "model": [], "reservationId": 1, "transactionId": 2, "estimatedCostUsd": "x",
                "accountPlan": 0, "accountId": [], "reserved": {}, "available": []}"#.to_owned()),
    ]
    .prop_map(String::into_bytes)
}

fn check_bounded(text: &str) -> Result<(), TestCaseError> {
    prop_assert!(text.chars().count() <= BODY_EXCERPT_LIMIT + 1, "excerpt of {} chars", text.chars().count());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_malformed_success_body_is_a_decode_error_with_the_status(which in 0..METHODS, body in malformed_body()) {
        let world = world();
        let _turn = world.turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        world.capture.reply_bytes(200, body);
        let result = world.runtime.block_on(call(&world.client, which));
        match result {
            Err(Error::Decode { status, excerpt, .. }) => {
                prop_assert_eq!(status.map(|s| s.as_u16()), Some(200));
                check_bounded(&excerpt)?;
            }
            other => prop_assert!(false, "method {which}: expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_typed_success_body_never_panics(which in 0..METHODS, body in wrong_typed_body()) {
        let world = world();
        let _turn = world.turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        world.capture.reply_bytes(200, body);
        let result = world.runtime.block_on(call(&world.client, which));
        match result {
            Err(Error::Decode { excerpt, .. }) => check_bounded(&excerpt)?,
            // A few shapes have only optional fields, so some wrong documents still decode.
            Ok(()) => {}
            Err(other) => prop_assert!(false, "method {which}: unexpected {other:?}"),
        }
    }

    #[test]
    fn any_error_body_keeps_the_status_and_a_bounded_body(
        which in 0..METHODS,
        status in prop_oneof![Just(400u16), Just(404), Just(429), Just(500), Just(502), Just(503)],
        body in prop_oneof![malformed_body(), wrong_typed_body()],
    ) {
        let world = world();
        let _turn = world.turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        world.capture.reply_bytes(status, body);
        let result = world.runtime.block_on(call(&world.client, which));
        match result {
            Err(Error::Api(api)) => {
                prop_assert_eq!(api.status.as_u16(), status);
                check_bounded(&api.body)?;
                check_bounded(&api.message)?;
            }
            other => prop_assert!(false, "method {which}: expected an API error, got {other:?}"),
        }
    }
}

/// Balances decode to the exact decimal the server wrote: no float in between.
#[tokio::test]
async fn balances_decode_exactly_whatever_digits_the_server_writes() {
    use support::hostile::{Hostile, Reply};
    let bodies = [
        // 17 significant digits: a float would read 1.612.
        (
            r#"{"accountId":"a","balance":1.6119999999999999,"reserved":0,"available":1.6119999999999999}"#,
            "1.6119999999999999",
        ),
        // 2^53 + 1: a float would read 2^53.
        (
            r#"{"accountId":"a","balance":9007199254740993,"reserved":0,"available":9007199254740993}"#,
            "9007199254740993",
        ),
        (r#"{"accountId":"a","balance":0.30,"reserved":0.1,"available":0.2}"#, "0.2"),
        // A number sent as a string is read too.
        (r#"{"accountId":"a","balance":"12.5","reserved":"0","available":"12.5"}"#, "12.5"),
    ];
    for (body, available) in bodies {
        let server = Hostile::always(Reply::json(200, body)).await;
        let client = CreditsClient::builder().api_key("sk_test_1").base_url(server.url()).build().unwrap();
        let balance = client.get_balance(AccountRef::external("user_1")).await.unwrap();
        assert_eq!(balance.available.to_string(), available, "{body}");
        assert_eq!(balance.balance - balance.reserved, balance.available, "{body}: exact arithmetic");
    }
}
