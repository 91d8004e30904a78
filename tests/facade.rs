//! The facade against the sandbox: every method, with the state changes it must make.

mod support;

use std::time::Duration;

use credits_sdk::ErrorCode;
use credits_sdk::{
    AccountRef, AddCredits, AssignPlan, CalculateCost, CreateAccount, CreatePlan, CreateReservation, CreateTransaction,
    Credits, CreditsClient, DeductCredits, Error, GetUsage, ListModels, ListReservations, ListTransactions,
    PlanInterval, RecordUsage, ReservationError, ReservationStatus, Spent, TransactionType, UsageContext,
};
use futures::TryStreamExt;
use serde_json::json;
use support::{funded_account, sandbox};

/// Three exact amounts, to compare with `available`.
fn credits3(balance: i64, reserved: i64, available: i64) -> (Credits, Credits, Credits) {
    (balance.into(), reserved.into(), available.into())
}

async fn available(client: &CreditsClient, account: &AccountRef) -> (Credits, Credits, Credits) {
    let balance = client.get_balance(account).await.unwrap();
    assert_eq!(balance.available, balance.balance - balance.reserved, "available = balance - reserved");
    (balance.balance, balance.reserved, balance.available)
}

// ----- accounts ------------------------------------------------------------------------------

#[tokio::test]
async fn an_account_is_created_and_found_by_either_id() {
    let (_sandbox, client) = sandbox().await;
    let created = client
        .create_account(
            CreateAccount::new("Alice")
                .external_id("user_456")
                .email("alice@example.com")
                .metadata(json!({"plan": "free"})),
        )
        .await
        .unwrap()
        .account;
    assert!(created.id.starts_with("acc_"), "{}", created.id);
    assert_eq!(created.balance, 0);

    let by_id = client.get_account(AccountRef::id(&created.id)).await.unwrap();
    let by_external = client.get_account(AccountRef::external("user_456")).await.unwrap();
    assert_eq!(by_id, by_external);
    assert_eq!(by_id.email.as_deref(), Some("alice@example.com"));

    let listed = client.list_accounts().await.unwrap().accounts;
    assert_eq!(listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [created.id.as_str()]);
    assert_eq!(available(&client, &AccountRef::external("user_456")).await, credits3(0, 0, 0));
}

#[tokio::test]
async fn a_duplicate_external_id_is_refused_with_a_typed_error() {
    let (_sandbox, client) = sandbox().await;
    client.create_account(CreateAccount::new("Alice").external_id("user_dup")).await.unwrap();
    let error = client.create_account(CreateAccount::new("Alice again").external_id("user_dup")).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(error.code(), Some(&ErrorCode::DuplicateExternalId));
    assert!(!error.is_retryable());
    assert_eq!(client.list_accounts().await.unwrap().accounts.len(), 1, "nothing was written");
}

#[tokio::test]
async fn an_unknown_account_is_a_404_api_error() {
    let (_sandbox, client) = sandbox().await;
    let error = client.get_balance(AccountRef::id("acc_missing")).await.unwrap_err();
    let api = error.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.code, Some(ErrorCode::AccountNotFound));
    assert!(!api.message.is_empty());
    assert!(api.body.contains("account_not_found"), "raw body kept: {}", api.body);
}

// ----- credits -------------------------------------------------------------------------------

#[tokio::test]
async fn adding_and_deducting_move_the_balance_and_write_the_ledger() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    let added = client
        .add_credits(
            AddCredits::new(&account, 1000)
                .description("purchase")
                .payment_method("stripe")
                .metadata(json!({"paymentId": "pay_1"})),
        )
        .await
        .unwrap();
    assert_eq!((added.balance, added.added), (Credits::from(1000), Some(Credits::from(1000))));
    let deducted = client.deduct_credits(DeductCredits::new(&account, 50).description("API usage")).await.unwrap();
    assert_eq!(deducted.balance, Some(Credits::from(950)));
    assert_eq!(available(&client, &account).await, credits3(950, 0, 950));

    let page = client.list_transactions(ListTransactions::new().account(&account)).await.unwrap();
    let kinds: Vec<_> = page.items.iter().map(|t| (t.type_.clone(), t.amount, t.balance_after)).collect();
    assert_eq!(
        kinds,
        [
            (TransactionType::Debit, Credits::from(50), Some(Credits::from(950))),
            (TransactionType::Credit, Credits::from(1000), Some(Credits::from(1000)))
        ]
    );
}

#[tokio::test]
async fn deducting_more_than_available_is_refused_and_changes_nothing() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100).await;
    client.create_reservation(CreateReservation::new(&account, 80)).await.unwrap();
    let error = client.deduct_credits(DeductCredits::new(&account, 30)).await.unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::InsufficientCredits));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(402));
    assert_eq!(available(&client, &account).await, credits3(100, 80, 20));
}

// ----- reservations --------------------------------------------------------------------------

#[tokio::test]
async fn confirm_charges_the_actual_amount_and_releases_the_rest() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let reservation = client
        .create_reservation(CreateReservation::new(&account, 500).operation("chat-completion").model("gpt-4o"))
        .await
        .unwrap()
        .reservation;
    assert_eq!(reservation.status, ReservationStatus::Pending);
    assert_eq!(reservation.metadata.as_ref().and_then(|m| m.get("model")), Some(&json!("gpt-4o")));
    assert_eq!(available(&client, &account).await, credits3(1000, 500, 500));

    let confirmed = client.confirm_reservation(&reservation.id, 420).await.unwrap();
    assert!(confirmed.transaction_id.starts_with("txn_"));
    assert_eq!(confirmed.account_id.as_deref(), account.account_id());
    assert_eq!(available(&client, &account).await, credits3(580, 0, 580), "balance before minus the actual amount");

    // Confirming is idempotent for the same amount: the same confirmation, nothing more charged.
    let again = client.confirm_reservation(&reservation.id, 420).await.unwrap();
    assert_eq!(again.transaction_id, confirmed.transaction_id);
    let other = client.confirm_reservation(&reservation.id, 400).await.unwrap_err();
    assert_eq!(other.code(), Some(&ErrorCode::ReservationNotPending));
    assert_eq!(available(&client, &account).await, credits3(580, 0, 580), "a second confirm charges nothing");
}

#[tokio::test]
async fn cancel_releases_everything_and_list_shows_the_states() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let kept = client.create_reservation(CreateReservation::new(&account, 100)).await.unwrap().reservation;
    let dropped = client.create_reservation(CreateReservation::new(&account, 200)).await.unwrap().reservation;
    client.cancel_reservation(&dropped.id).await.unwrap();
    assert_eq!(available(&client, &account).await, credits3(1000, 100, 900));

    let all = client.list_reservations(&account).await.unwrap().reservations;
    assert_eq!(all.len(), 2);
    let active = client.list_reservations(ListReservations::new(&account).active_only()).await.unwrap().reservations;
    assert_eq!(active.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [kept.id.as_str()]);
    let cancelled = all.iter().find(|r| r.id == dropped.id).unwrap();
    assert_eq!(cancelled.status, ReservationStatus::Cancelled);

    // Cancelling is idempotent; cancelling a confirmed reservation is refused.
    client.cancel_reservation(&dropped.id).await.unwrap();
    client.confirm_reservation(&kept.id, 10).await.unwrap();
    assert_eq!(client.cancel_reservation(&kept.id).await.unwrap_err().code(), Some(&ErrorCode::ReservationNotPending));
}

#[tokio::test]
async fn reserving_more_than_available_is_refused() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 100).await;
    let error = client.create_reservation(CreateReservation::new(&account, 101)).await.unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::InsufficientCredits));
    assert_eq!(available(&client, &account).await, credits3(100, 0, 100));
}

// ----- the reservation guard -----------------------------------------------------------------

#[tokio::test]
async fn with_reservation_confirms_what_the_work_spent() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let settled = client
        .with_reservation(CreateReservation::new(&account, 500), |reservation| async move {
            assert_eq!(reservation.amount, 500);
            Ok::<_, std::io::Error>(Spent::new(120, "answer"))
        })
        .await
        .unwrap();
    assert_eq!(settled.value, "answer");
    assert!(settled.confirmation.is_some());
    assert_eq!(available(&client, &account).await, credits3(880, 0, 880));
}

#[tokio::test]
async fn with_reservation_cancels_when_the_work_fails() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let result = client
        .with_reservation(CreateReservation::new(&account, 500), |_| async {
            Err::<Spent<()>, _>(std::io::Error::other("the LLM timed out"))
        })
        .await;
    match result {
        Err(ReservationError::Work { error, cancel: None }) => assert_eq!(error.to_string(), "the LLM timed out"),
        other => panic!("expected a cancelled work error, got {other:?}"),
    }
    assert_eq!(available(&client, &account).await, credits3(1000, 0, 1000), "nothing held, nothing charged");
}

#[tokio::test]
async fn with_reservation_cancels_when_nothing_was_spent() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let settled = client
        .with_reservation(CreateReservation::new(&account, 500), |_| async {
            Ok::<_, std::io::Error>(Spent::new(0, ()))
        })
        .await
        .unwrap();
    assert!(settled.confirmation.is_none());
    assert_eq!(available(&client, &account).await, credits3(1000, 0, 1000));
}

#[tokio::test]
async fn with_reservation_does_not_run_the_work_without_credits() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 10).await;
    let mut ran = false;
    let result = client
        .with_reservation(CreateReservation::new(&account, 500), |_| {
            ran = true;
            async { Ok::<_, std::io::Error>(Spent::new(1, ())) }
        })
        .await;
    assert!(
        matches!(result, Err(ReservationError::Reserve(ref e)) if e.code() == Some(&ErrorCode::InsufficientCredits))
    );
    assert!(!ran);
}

async fn wait_until_released(client: &CreditsClient, account: &AccountRef) -> (Credits, Credits, Credits) {
    for _ in 0..500 {
        let state = available(client, account).await;
        if state.1.is_zero() {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    available(client, account).await
}

#[tokio::test]
async fn with_reservation_cancels_when_the_caller_gives_up() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let (started, work_started) = tokio::sync::oneshot::channel();
    let slow = client.with_reservation(CreateReservation::new(&account, 500), |_| async move {
        let _ = started.send(());
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok::<_, std::io::Error>(Spent::new(500, ()))
    });
    // Give up once the work is running, i.e. once the credits are held.
    tokio::select! {
        _ = slow => panic!("the work cannot finish"),
        _ = work_started => {}
    }
    assert_eq!(wait_until_released(&client, &account).await, credits3(1000, 0, 1000));
}

#[tokio::test]
async fn with_reservation_charges_nothing_when_the_work_overspends() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let result = client
        .with_reservation(CreateReservation::new(&account, 100), |_| async {
            Ok::<_, std::io::Error>(Spent::new(150, "v"))
        })
        .await;
    match result {
        Err(ReservationError::Confirm { error: Error::InvalidInput(_), value: "v", cancel: None, .. }) => {}
        other => panic!("expected an overspend refusal, got {other:?}"),
    }
    assert_eq!(available(&client, &account).await, credits3(1000, 0, 1000));
}

#[tokio::test]
async fn with_reservation_cancels_when_the_work_panics() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let task_client = client.clone();
    let task_account = account.clone();
    let task = tokio::spawn(async move {
        task_client
            .with_reservation(CreateReservation::new(&task_account, 500), |_| async {
                if true {
                    panic!("bug in the work");
                }
                Ok::<_, std::io::Error>(Spent::new(1, ()))
            })
            .await
    });
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(wait_until_released(&client, &account).await, credits3(1000, 0, 1000));
}

// ----- plans ---------------------------------------------------------------------------------

#[tokio::test]
async fn an_immediate_plan_assignment_grants_its_credits_and_shows_in_the_history() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    let starter = client.create_plan(CreatePlan::new("Starter", 100, PlanInterval::Month)).await.unwrap().plan;
    let pro =
        client.create_plan(CreatePlan::new("Pro", 10_000, PlanInterval::Month).accumulate(true)).await.unwrap().plan;
    assert_eq!(pro.credits, Some(Credits::from(10_000)));
    let listed = client.list_plans().await.unwrap().plans;
    assert_eq!(listed.len(), 2);

    client.assign_plan_to_account(AssignPlan::new(&account, &starter.id)).await.unwrap();
    assert_eq!(available(&client, &account).await.0, 0, "next_period grants nothing now");
    let assigned = client.assign_plan_to_account(AssignPlan::new(&account, &pro.id).immediate()).await.unwrap();
    assert_eq!(assigned.account_plan.map(|p| p.plan_id), Some(pro.id.clone()));
    assert_eq!(available(&client, &account).await.0, 10_000);

    let history = client.get_account_plans(&account).await.unwrap().plans;
    let active: Vec<_> = history.iter().filter(|p| p.active).map(|p| p.plan_id.as_str()).collect();
    assert_eq!(history.len(), 2);
    assert_eq!(active, [pro.id.as_str()], "the new plan replaced the old one");
}

#[tokio::test]
async fn an_archived_plan_cannot_be_assigned() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    let plan = client.create_plan(CreatePlan::new("Old", 10, PlanInterval::Week)).await.unwrap().plan;
    let archived = client.archive_plan(&plan.id).await.unwrap().plan;
    assert_eq!(archived.and_then(|p| p.is_active), Some(false));
    let error = client.assign_plan_to_account(AssignPlan::new(&account, &plan.id).immediate()).await.unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::PlanArchived));
    assert_eq!(available(&client, &account).await.0, 0);
}

// ----- transactions --------------------------------------------------------------------------

#[tokio::test]
async fn the_stream_yields_exactly_total_count_for_any_page_size() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    for n in 1..=23 {
        client
            .create_transaction(CreateTransaction::credit(&account, n).description(format!("grant {n}")))
            .await
            .unwrap();
    }
    let total = client
        .list_transactions(ListTransactions::new().account(&account).limit(1))
        .await
        .unwrap()
        .pagination
        .total_count;
    assert_eq!(total, 23);
    for page_size in [1, 7, 100] {
        let streamed: Vec<_> = client
            .stream_transactions(ListTransactions::new().account(&account).limit(page_size))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(streamed.len() as i64, total, "page size {page_size}");
        let ids: std::collections::HashSet<_> = streamed.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), 23, "no transaction twice at page size {page_size}");
    }
}

#[tokio::test]
async fn list_transactions_pages_with_limit_and_offset() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    for n in 1..=5 {
        client.create_transaction(CreateTransaction::credit(&account, n)).await.unwrap();
    }
    let first = client.list_transactions(ListTransactions::new().account(&account).limit(2)).await.unwrap();
    assert_eq!((first.items.len(), first.pagination.has_more), (2, true));
    let last = client.list_transactions(ListTransactions::new().account(&account).limit(2).offset(4)).await.unwrap();
    assert_eq!((last.items.len(), last.pagination.has_more), (1, false));
    assert_eq!(last.pagination.offset, 4);
}

#[tokio::test]
async fn a_manual_debit_moves_the_balance_down() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 500).await;
    let debit = client
        .create_transaction(
            CreateTransaction::debit(&account, 120).description("adjustment").metadata(json!({"reason": "support"})),
        )
        .await
        .unwrap()
        .transaction;
    assert_eq!((debit.type_, debit.balance_after), (TransactionType::Debit, Some(Credits::from(380))));
    assert_eq!(available(&client, &account).await.0, 380);
}

// ----- usage ---------------------------------------------------------------------------------

#[tokio::test]
async fn usage_is_recorded_listed_and_summarised() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 1000).await;
    let reservation = client.create_reservation(CreateReservation::new(&account, 100)).await.unwrap().reservation;
    let confirmed = client.confirm_reservation(&reservation.id, 42).await.unwrap();

    let customer = client
        .record_usage(
            RecordUsage::customer(&account, &confirmed.transaction_id, "gpt-4o")
                .tokens(5000, 1000)
                .cached_tokens(2000)
                .description("chat"),
        )
        .await
        .unwrap()
        .usage_record;
    let estimate =
        client.calculate_cost(CalculateCost::new("gpt-4o").tokens(5000, 1000).cached_tokens(2000)).await.unwrap();
    assert_eq!(customer.estimated_cost_usd, Some(estimate.estimated_cost_usd), "recorded cost = calculated cost");
    client.record_usage(RecordUsage::system("gpt-4o-mini").tokens(100, 10)).await.unwrap();

    let mine = client.get_usage(GetUsage::new().account(&account)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].transaction_id.as_deref(), Some(confirmed.transaction_id.as_str()));
    assert_eq!(client.get_usage(UsageContext::System).await.unwrap().len(), 1);

    let all = client.get_usage_summary(GetUsage::new()).await.unwrap();
    assert_eq!(all.total_input_tokens, Some(5100));
    assert_eq!(all.by_model.len(), 2);
    let customers = client.get_usage_summary(UsageContext::Customer).await.unwrap();
    assert_eq!(customers.total_cost_usd, Some(estimate.estimated_cost_usd));
    assert_eq!(customers.by_model["gpt-4o"].count, Some(1));
    assert_eq!(available(&client, &account).await.0, 958, "recording usage moves no credits");
}

#[tokio::test]
async fn customer_usage_needs_a_transaction_of_that_account() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    let error =
        client.record_usage(RecordUsage::customer(&account, "txn_unknown", "gpt-4o").tokens(1, 1)).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(client.get_usage(GetUsage::new()).await.unwrap().is_empty());
}

// ----- models --------------------------------------------------------------------------------

#[tokio::test]
async fn models_are_listed_filtered_fetched_and_priced() {
    let (_sandbox, client) = sandbox().await;
    let models = client.list_models(ListModels::new()).await.unwrap();
    assert!(models.iter().any(|m| m.model_id == "gpt-4o"));
    let openai = client.list_models(ListModels::new().provider("openai")).await.unwrap();
    assert!(!openai.is_empty() && openai.len() < models.len());
    assert!(openai.iter().all(|m| m.provider.as_deref() == Some("openai")));

    let gpt4o = client.get_model("gpt-4o").await.unwrap();
    assert_eq!(gpt4o.display_name.as_deref(), Some("GPT-4o"));
    let estimate =
        client.calculate_cost(CalculateCost::new("gpt-4o").tokens(5000, 1000).cached_tokens(2000)).await.unwrap();
    assert!(
        estimate.estimated_cost_usd == "0.0175".parse::<credits_sdk::Usd>().unwrap(),
        "the documented example: {}",
        estimate.estimated_cost_usd
    );
    assert_eq!(client.get_model("no-such-model").await.unwrap_err().code(), Some(&ErrorCode::ModelNotFound));
}

// ----- bad input never leaves the client -----------------------------------------------------

#[tokio::test]
async fn invalid_input_is_refused_before_any_request_is_sent() {
    let (sandbox, client) = sandbox().await;
    let before = sandbox.request_count();
    let refusals: Vec<Error> = vec![
        client.add_credits(AddCredits::new(AccountRef::id("acc_1"), 0)).await.unwrap_err(),
        client.add_credits(AddCredits::new(AccountRef::id("acc_1"), -5)).await.unwrap_err(),
        client.deduct_credits(DeductCredits::new(AccountRef::id("acc_1"), f64::NAN)).await.unwrap_err(),
        client.create_reservation(CreateReservation::new(AccountRef::external(""), 10)).await.unwrap_err(),
        client
            .create_reservation(CreateReservation::new(AccountRef::id("acc_1"), 10).expires_in(Duration::ZERO))
            .await
            .unwrap_err(),
        client.confirm_reservation("", 10).await.unwrap_err(),
        client.confirm_reservation("res_1", 0).await.unwrap_err(),
        client.cancel_reservation("  ").await.unwrap_err(),
        client.get_balance(AccountRef::id("")).await.unwrap_err(),
        client.get_account(AccountRef::external(" ")).await.unwrap_err(),
        client.create_account(CreateAccount::new("")).await.unwrap_err(),
        client.create_account(CreateAccount::new("Bob").metadata(vec![1, 2, 3])).await.unwrap_err(),
        client.create_plan(CreatePlan::new("Free", 0, PlanInterval::Month)).await.unwrap_err(),
        client.archive_plan("").await.unwrap_err(),
        client.create_transaction(CreateTransaction::debit(AccountRef::id("acc_1"), -1.5)).await.unwrap_err(),
        client.record_usage(RecordUsage::customer(AccountRef::id("acc_1"), "", "gpt-4o")).await.unwrap_err(),
        client.record_usage(RecordUsage::system("gpt-4o").audio_seconds(-1.0)).await.unwrap_err(),
        client.list_transactions(ListTransactions::new().limit(0)).await.unwrap_err(),
        client.list_transactions(ListTransactions::new().limit(101)).await.unwrap_err(),
        client.get_model("").await.unwrap_err(),
        client.calculate_cost(CalculateCost::new("gpt-4o").audio_seconds(f64::INFINITY)).await.unwrap_err(),
    ];
    for error in &refusals {
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        assert!(error.to_string().starts_with("invalid input: "), "{error}");
    }
    assert_eq!(sandbox.request_count(), before, "the sandbox received no request");
}

// ----- the client itself ---------------------------------------------------------------------

#[test]
fn the_client_is_cheap_to_clone_and_shareable_across_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<CreditsClient>();
}

#[tokio::test]
async fn clones_share_the_client_and_the_builders_mix_with_the_facade() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 300).await;
    let clone = client.clone();
    let via_builders =
        clone.api().get_balance().account_id(account.account_id().unwrap()).send().await.unwrap().into_inner();
    assert_eq!(via_builders, client.get_balance(&account).await.unwrap());
}

#[tokio::test]
async fn a_wrong_key_is_a_401_that_does_not_echo_the_key() {
    let (sandbox, _) = sandbox().await;
    let client =
        CreditsClient::builder().api_key("sk_wrong_secret_value").base_url(sandbox.base_url()).build().unwrap();
    let error = client.list_accounts().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.code(), Some(&ErrorCode::Unauthorized));
    assert!(!format!("{error} {error:?}").contains("sk_wrong_secret_value"));
}

// ----- exact money ---------------------------------------------------------------------------

#[tokio::test]
async fn fractional_credits_add_up_exactly_and_the_reported_available_can_be_spent_to_zero() {
    let (_sandbox, client) = sandbox().await;
    let account = funded_account(&client, 0).await;
    client.add_credits(AddCredits::new(&account, "0.3".parse::<Credits>().unwrap())).await.unwrap();
    for _ in 0..3 {
        // With floats the third deduction of 0.1 from 0.3 is refused: 0.3 - 0.1 - 0.1 < 0.1.
        client.deduct_credits(DeductCredits::new(&account, 0.1)).await.expect("exact: 0.1 is left");
    }
    assert!(client.get_balance(&account).await.unwrap().balance.is_zero());

    client.add_credits(AddCredits::new(&account, "1.611999999999".parse::<Credits>().unwrap())).await.unwrap();
    let hold = client.create_reservation(CreateReservation::new(&account, 0.7)).await.unwrap();
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!(balance.available.to_string(), "0.911999999999");
    // Deducting exactly what the server reported as available succeeds and leaves nothing.
    client.deduct_credits(DeductCredits::new(&account, balance.available)).await.unwrap();
    assert!(client.get_balance(&account).await.unwrap().available.is_zero());
    client.confirm_reservation(&hold.reservation.id, "0.25".parse::<Credits>().unwrap()).await.unwrap();
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!((balance.balance.to_string(), balance.reserved), ("0.45".to_owned(), Credits::ZERO));

    // The ledger sums to the balance, exactly.
    let ledger: Vec<_> =
        client.stream_transactions(ListTransactions::new().account(&account)).try_collect().await.unwrap();
    let sum: Credits =
        ledger.iter().map(|t| if t.type_ == TransactionType::Credit { t.amount } else { -t.amount }).sum();
    assert_eq!(sum, balance.balance);
}

#[tokio::test]
async fn amounts_the_api_could_round_are_refused_before_sending() {
    let (sandbox, client) = sandbox().await;
    let account = funded_account(&client, 10).await;
    let before = sandbox.request_count();
    for amount in ["0.0000000000001", "1234.123456789012", "9007199254740992", "0", "-1"] {
        let amount: Credits = amount.parse().unwrap();
        let error = client.add_credits(AddCredits::new(&account, amount)).await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{amount}: {error:?}");
    }
    assert!(matches!(client.deduct_credits(DeductCredits::new(&account, f64::NAN)).await, Err(Error::InvalidInput(_))));
    assert_eq!(sandbox.request_count(), before, "nothing was sent");
}
