//! What leaves the generated client, operation by operation, compared with the documented curl
//! examples of the Credits API reference; each request is answered with the documented example
//! response, which must decode.

mod support;

use credits_sdk::Credits;
use credits_sdk::api::types;
use credits_sdk::{PlanStartMode, ReservationStatus, TransactionType, UsageContext, UsageType};
use serde_json::json;
use support::capture::{Capture, Captured, TEST_KEY};
use support::usd;

/// Checks what every request must carry, and returns its query as sorted `key=value` pairs.
fn assert_sent(request: &Captured, method: &str, path: &str) -> Vec<String> {
    assert_eq!(request.method.as_str(), method, "method");
    assert_eq!(request.path, path, "path");
    assert_eq!(request.header("x-api-key"), Some(TEST_KEY), "X-API-Key header");
    assert!(
        request.header("user-agent").is_some_and(|ua| ua.starts_with("credits-sdk-rust/")),
        "User-Agent names the SDK: {:?}",
        request.header("user-agent")
    );
    assert_eq!(request.header("api-version"), None, "the Credits API has no api-version header");
    if method == "POST" {
        assert_eq!(request.header("content-type"), Some("application/json"));
    } else {
        assert!(request.body.is_empty(), "a GET has no body");
    }
    let mut pairs: Vec<String> =
        request.query.as_deref().unwrap_or("").split('&').filter(|p| !p.is_empty()).map(str::to_owned).collect();
    pairs.sort();
    pairs
}

// ----- accounts ------------------------------------------------------------------------------

#[tokio::test]
async fn create_account_posts_the_documented_body_and_reads_the_success_envelope() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "account": {"id": "acc_abc123", "developerId": "dev_xxx", "externalId": "user_123",
            "name": "John Doe", "email": "john@example.com", "balance": 0, "metadata": null,
            "createdAt": "2024-01-15T10:00:00Z", "updatedAt": "2024-01-15T10:00:00Z"}}"#,
    );
    let created = capture
        .client()
        .create_account()
        .body_map(|b| b.name("John Doe").external_id(Some("user_123".into())).email(Some("john@example.com".into())))
        .send()
        .await
        .unwrap()
        .into_inner();

    let request = capture.take_one();
    assert_eq!(assert_sent(&request, "POST", "/v1/accounts/create"), Vec::<String>::new());
    assert_eq!(request.json(), json!({"name": "John Doe", "externalId": "user_123", "email": "john@example.com"}));
    assert_eq!(created.account.id, "acc_abc123");
    assert_eq!(created.account.metadata, None);
    assert_eq!(created.success, Some(true));
}

#[tokio::test]
async fn list_accounts_reads_accounts_without_a_success_field() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"accounts": [{"id": "acc_abc123", "externalId": "user_123", "name": "John Doe", "balance": 500}]}"#,
    );
    let listed = capture.client().list_accounts().send().await.unwrap().into_inner();

    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/accounts"), Vec::<String>::new());
    assert_eq!(listed.accounts.len(), 1);
    assert_eq!(listed.accounts[0].balance, 500);
}

#[tokio::test]
async fn get_account_sends_the_id_in_the_query_and_reads_a_bare_account() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"id": "acc_abc123", "externalId": "user_123", "balance": 500, "createdAt": "2024-01-15T10:00:00Z"}"#,
    );
    let account = capture.client().get_account().account_id("acc_abc123").send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/accounts/get"), ["accountId=acc_abc123"]);
    assert_eq!(account.external_id.as_deref(), Some("user_123"));

    capture.client().get_account().external_id("user_456").send().await.unwrap();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/accounts/get"), ["externalId=user_456"]);
}

#[tokio::test]
async fn get_balance_accepts_either_id_and_reads_reserved_and_available() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"accountId": "acc_123", "externalId": "user_123", "balance": 1000, "reserved": 150, "available": 850}"#,
    );
    let balance = capture.client().get_balance().external_id("user_123").send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/accounts/balance"), ["externalId=user_123"]);
    assert_eq!(
        (balance.balance, balance.reserved, balance.available),
        (Credits::from(1000), Credits::from(150), Credits::from(850))
    );

    capture.client().get_balance().account_id("acc_123").send().await.unwrap();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/accounts/balance"), ["accountId=acc_123"]);
}

#[tokio::test]
async fn get_account_plans_reads_assignments_with_a_null_expiry() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "plans": [{"id": "accountPlan_123", "accountId": "acc_123", "planId": "plan_abc123",
            "active": true, "startedAt": "2024-01-01T00:00:00Z", "expiresAt": null,
            "plan": {"id": "plan_abc123", "name": "Pro", "credits": 10000}}]}"#,
    );
    let plans = capture.client().get_account_plans().account_id("acc_123").send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/accounts/plans"), ["accountId=acc_123"]);
    assert!(plans.plans[0].active);
    assert_eq!(plans.plans[0].expires_at, None);
    assert_eq!(plans.plans[0].plan.as_ref().and_then(|p| p.credits), Some(Credits::from(10000)));
}

// ----- credits -------------------------------------------------------------------------------

#[tokio::test]
async fn add_credits_sends_whole_amounts_as_integers() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "accountId": "acc_123", "externalId": "user_123", "balance": 1500, "added": 500}"#,
    );
    let mut metadata = serde_json::Map::new();
    metadata.insert("paymentId".into(), json!("pay_123"));
    let added = capture
        .client()
        .add_credits()
        .body_map(|b| {
            b.account_id(Some("acc_123".into()))
                .amount(credits_sdk::Amount::try_from(500).unwrap())
                .description(Some("Credit purchase".into()))
                .payment_method(Some("stripe".into()))
                .metadata(Some(metadata))
        })
        .send()
        .await
        .unwrap()
        .into_inner();

    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/accounts/credits/add");
    let raw = std::str::from_utf8(&request.body).unwrap();
    assert!(raw.contains(r#""amount":500,"#) || raw.ends_with(r#""amount":500}"#), "500, not 500.0: {raw}");
    assert_eq!(
        request.json(),
        json!({"accountId": "acc_123", "amount": 500, "description": "Credit purchase", "paymentMethod": "stripe",
               "metadata": {"paymentId": "pay_123"}})
    );
    assert_eq!((added.balance, added.added), (Credits::from(1500), Some(Credits::from(500))));
}

#[tokio::test]
async fn deduct_credits_posts_the_sdk_guide_body() {
    let capture = Capture::start().await;
    capture.reply(200, r#"{"success": true, "accountId": "acc_123", "balance": 950, "deducted": 50}"#);
    let deducted = capture
        .client()
        .deduct_credits()
        .body_map(|b| {
            b.external_id(Some("user_456".into()))
                .amount(credits_sdk::Amount::try_from(50).unwrap())
                .description(Some("API usage".into()))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/accounts/credits/deduct");
    assert_eq!(request.json(), json!({"externalId": "user_456", "amount": 50, "description": "API usage"}));
    assert_eq!(deducted.balance, Some(credits_sdk::Credits::from(950)));
}

// ----- plans ---------------------------------------------------------------------------------

#[tokio::test]
async fn create_plan_sends_amount_and_interval_and_reads_credits() {
    let capture = Capture::start().await;
    capture.reply(200, r#"{"success": true, "plan": {"id": "plan_abc123", "name": "Pro", "credits": 10000, "interval": "month", "isActive": true}}"#);
    let created = capture
        .client()
        .create_plan()
        .body_map(|b| {
            b.name("Pro")
                .amount(credits_sdk::Amount::try_from(10000).unwrap())
                .interval(types::PlanInterval::Month)
                .accumulate(Some(true))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/plans/create");
    assert_eq!(request.json(), json!({"name": "Pro", "amount": 10000, "interval": "month", "accumulate": true}));
    assert_eq!(created.plan.credits, Some(Credits::from(10000)));
    assert_eq!(created.plan.is_active, Some(true));
}

#[tokio::test]
async fn list_plans_reads_the_documented_plan_fields() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "plans": [{"id": "plan_abc123", "name": "Pro", "description": "For growing applications",
            "credits": 10000, "price": 49.99, "billingPeriod": "monthly", "isActive": true}]}"#,
    );
    let plans = capture.client().list_plans().send().await.unwrap().into_inner();
    assert_sent(&capture.take_one(), "GET", "/v1/plans");
    assert_eq!(plans.plans[0].price, Some(usd("49.99")));
    assert_eq!(plans.plans[0].billing_period.as_deref(), Some("monthly"));
}

#[tokio::test]
async fn archive_plan_posts_the_plan_id() {
    let capture = Capture::start().await;
    capture.reply(200, r#"{"success": true, "plan": {"id": "plan_abc123", "name": "Pro", "isActive": false}}"#);
    let archived =
        capture.client().archive_plan().body_map(|b| b.plan_id("plan_abc123")).send().await.unwrap().into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/plans/archive");
    assert_eq!(request.json(), json!({"planId": "plan_abc123"}));
    assert_eq!(archived.plan.and_then(|p| p.is_active), Some(false));
}

#[tokio::test]
async fn assign_plan_sends_start_mode_immediate() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "accountPlan": {"id": "accountPlan_123", "accountId": "acc_123", "planId": "plan_abc123", "active": true,
            "startedAt": "2024-01-01T00:00:00Z", "expiresAt": null}, "creditsGranted": 10000}"#,
    );
    let assigned = capture
        .client()
        .assign_plan_to_account()
        .body_map(|b| {
            b.external_id(Some("user_456".into())).plan_id("plan_abc123").start_mode(Some(PlanStartMode::Immediate))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/accounts/plans/assign");
    assert_eq!(request.json(), json!({"externalId": "user_456", "planId": "plan_abc123", "startMode": "immediate"}));
    assert_eq!(assigned.account_plan.map(|p| p.id).as_deref(), Some("accountPlan_123"));
}

// ----- transactions --------------------------------------------------------------------------

#[tokio::test]
async fn list_transactions_sends_limit_and_offset_and_reads_the_page() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"items": [{"id": "txn_xyz789", "accountId": "acc_123", "type": "debit", "amount": 50, "description": "Chat completion",
            "balanceAfter": 450, "metadata": {}, "createdAt": "2024-01-15T10:00:00Z"}],
            "pagination": {"limit": 50, "offset": 0, "totalCount": 1, "hasMore": false}}"#,
    );
    let page = capture
        .client()
        .list_transactions()
        .account_id("acc_123")
        .limit(std::num::NonZeroU64::new(50).unwrap())
        .offset(0)
        .include("reservation,usage")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        assert_sent(&capture.take_one(), "GET", "/v1/transactions"),
        ["accountId=acc_123", "include=reservation%2Cusage", "limit=50", "offset=0"]
    );
    assert_eq!(page.items[0].type_, TransactionType::Debit);
    assert_eq!(page.items[0].balance_after, Some(Credits::from(450)));
    assert!(!page.pagination.has_more);
    assert_eq!(page.pagination.total_count, 1);
}

#[tokio::test]
async fn list_transactions_sends_dates_as_rfc3339() {
    let capture = Capture::start().await;
    capture.reply(200, r#"{"items": [], "pagination": {"limit": 50, "offset": 0, "totalCount": 0, "hasMore": false}}"#);
    let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap().to_utc();
    capture.client().list_transactions().start_date(start).send().await.unwrap();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/transactions"), ["startDate=2024-01-01T00%3A00%3A00Z"]);
}

#[tokio::test]
async fn create_transaction_posts_the_documented_refund() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "transaction": {"id": "txn_xyz789", "accountId": "acc_123", "type": "credit", "amount": 100,
            "balanceAfter": 550, "createdAt": "2024-01-15T10:00:00Z"}}"#,
    );
    let mut metadata = serde_json::Map::new();
    metadata.insert("reason".into(), json!("customer_request"));
    metadata.insert("refundId".into(), json!("ref_123"));
    let created = capture
        .client()
        .create_transaction()
        .body_map(|b| {
            b.account_id(Some("acc_123".into()))
                .amount(credits_sdk::Amount::try_from(100).unwrap())
                .type_(types::ManualTransactionType::Credit)
                .description(Some("Manual adjustment - refund".into()))
                .metadata(Some(metadata))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/transactions/create");
    assert_eq!(
        request.json(),
        json!({"accountId": "acc_123", "amount": 100, "type": "credit", "description": "Manual adjustment - refund",
               "metadata": {"reason": "customer_request", "refundId": "ref_123"}})
    );
    assert_eq!(created.transaction.balance_after, Some(Credits::from(550)));
}

// ----- usage ---------------------------------------------------------------------------------

#[tokio::test]
async fn record_usage_posts_the_documented_customer_record() {
    let capture = Capture::start().await;
    capture.reply(200, r#"{"success": true, "usageRecord": {"id": "usage_abc123", "accountId": "acc_123", "modelId": "gpt-4o", "estimatedCostUsd": 0.0425}}"#);
    let recorded = capture
        .client()
        .record_usage()
        .body_map(|b| {
            b.context(Some(UsageContext::Customer))
                .account_id(Some("acc_123".into()))
                .transaction_id(Some("txn_xyz789".into()))
                .model_id("gpt-4o")
                .usage_type(Some(UsageType::Text))
                .input_tokens(Some(1500))
                .output_tokens(Some(500))
                .cached_tokens(Some(200))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/usage/record");
    assert_eq!(
        request.json(),
        json!({"context": "customer", "accountId": "acc_123", "transactionId": "txn_xyz789", "modelId": "gpt-4o",
               "usageType": "text", "inputTokens": 1500, "outputTokens": 500, "cachedTokens": 200})
    );
    assert_eq!(recorded.usage_record.estimated_cost_usd, Some(usd("0.0425")));
}

#[tokio::test]
async fn get_usage_lists_records_and_summarises_with_the_summary_flag() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "usageRecords": [{"id": "usage_abc123", "context": "customer", "accountId": "acc_123", "modelId": "gpt-4o",
            "inputTokens": 1500, "outputTokens": 500, "estimatedCostUsd": 0.0425, "createdAt": "2024-01-15T10:00:00Z"}]}"#,
    );
    let usage =
        capture.client().get_usage().account_id("acc_123").model_id("gpt-4o").send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/usage"), ["accountId=acc_123", "modelId=gpt-4o"]);
    assert_eq!(usage.usage_records.len(), 1);

    capture.reply(
        200,
        r#"{"success": true, "summary": {"totalCostUsd": 12.45, "totalInputTokens": 1250000, "totalOutputTokens": 450000,
            "byContext": {"customer": 11.20, "system": 1.25},
            "byModel": {"gpt-4o": {"costUsd": 8.50, "count": 120}, "gpt-4o-mini": {"costUsd": 3.95, "count": 850}}}}"#,
    );
    let summary =
        capture.client().get_usage().summary(true).context(UsageContext::Customer).send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/usage"), ["context=customer", "summary=true"]);
    let summary = summary.summary.expect("summary");
    assert_eq!(summary.total_cost_usd, Some(usd("12.45")));
    assert_eq!(summary.by_model["gpt-4o-mini"].count, Some(850));
    assert_eq!(summary.by_context["system"], usd("1.25"));
}

// ----- reservations --------------------------------------------------------------------------

#[tokio::test]
async fn create_reservation_posts_operation_and_model_and_reads_a_reservation_without_created_at() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "reservation": {"id": "res_abc123", "accountId": "acc_123", "amount": 100, "status": "pending",
            "expiresAt": "2024-01-15T10:05:00Z", "metadata": {"operation": "chat-completion", "model": "gpt-4o"}}}"#,
    );
    let created = capture
        .client()
        .create_reservation()
        .body_map(|b| {
            b.account_id(Some("acc_123".into()))
                .amount(credits_sdk::Amount::try_from(100).unwrap())
                .operation(Some("chat-completion".into()))
                .model(Some("gpt-4o".into()))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/reservations/create");
    assert_eq!(
        request.json(),
        json!({"accountId": "acc_123", "amount": 100, "operation": "chat-completion", "model": "gpt-4o"})
    );
    assert_eq!(created.reservation.status, ReservationStatus::Pending);
    assert_eq!(created.reservation.created_at, None);
}

#[tokio::test]
async fn list_reservations_sends_active_only() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "reservations": [{"id": "res_abc123", "accountId": "acc_123", "amount": 100, "status": "pending",
            "createdAt": "2024-01-15T10:00:00Z", "expiresAt": "2024-01-15T10:05:00Z"}]}"#,
    );
    let listed =
        capture.client().list_reservations().account_id("acc_123").active_only(true).send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/reservations"), ["accountId=acc_123", "activeOnly=true"]);
    assert_eq!(listed.reservations[0].id, "res_abc123");
}

#[tokio::test]
async fn confirm_reservation_posts_the_actual_amount() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "reservationId": "res_abc123", "transactionId": "txn_xyz789", "accountId": "acc_123"}"#,
    );
    let confirmed = capture
        .client()
        .confirm_reservation()
        .body_map(|b| b.reservation_id("res_abc123").actual_amount(credits_sdk::Amount::try_from(85).unwrap()))
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/reservations/confirm");
    assert_eq!(request.json(), json!({"reservationId": "res_abc123", "actualAmount": 85}));
    assert_eq!(confirmed.transaction_id, "txn_xyz789");
    assert_eq!(confirmed.account_id.as_deref(), Some("acc_123"));
}

#[tokio::test]
async fn cancel_reservation_posts_the_reservation_id() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "reservationId": "res_abc123", "releasedAmount": 100, "status": "cancelled"}"#,
    );
    let cancelled = capture
        .client()
        .cancel_reservation()
        .body_map(|b| b.reservation_id("res_abc123"))
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/reservations/cancel");
    assert_eq!(request.json(), json!({"reservationId": "res_abc123"}));
    assert_eq!(cancelled.status, Some(ReservationStatus::Cancelled));
}

// ----- models --------------------------------------------------------------------------------

#[tokio::test]
async fn list_models_sends_filters_and_reads_nested_pricing() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "models": [{"modelId": "gpt-4o", "provider": "openai", "displayName": "GPT-4o", "modelType": "multimodal",
            "pricing": {"text": {"inputPerMillion": 2.5, "outputPerMillion": 10, "cachedInputPerMillion": 1.25}, "contextWindow": 128000},
            "tier": "flagship"}]}"#,
    );
    let models = capture.client().list_models().provider("openai").tier("flagship").send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/models"), ["provider=openai", "tier=flagship"]);
    let model = &models.models[0];
    let pricing = model.pricing.as_ref().expect("pricing");
    assert_eq!(pricing.text.as_ref().and_then(|t| t.input_per_million), Some(usd("2.5")));
    assert_eq!(pricing.context_window, Some(128000));
}

#[tokio::test]
async fn get_model_sends_model_id_and_reads_a_single_model() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "model": {"modelId": "gpt-4o", "provider": "openai", "displayName": "GPT-4o",
            "pricing": {"text": {"inputPerMillion": 2.5, "outputPerMillion": 10}}}}"#,
    );
    let one = capture.client().list_models().model_id("gpt-4o").send().await.unwrap().into_inner();
    assert_eq!(assert_sent(&capture.take_one(), "GET", "/v1/models"), ["modelId=gpt-4o"]);
    assert_eq!(one.model.expect("model").display_name.as_deref(), Some("GPT-4o"));
}

#[tokio::test]
async fn calculate_cost_posts_token_counts_and_reads_flat_pricing() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "modelId": "gpt-4o", "modelName": "GPT-4o", "estimatedCostUsd": 0.0175,
            "pricing": {"inputPerMillion": 2.5, "outputPerMillion": 10, "cachedInputPerMillion": 1.25}}"#,
    );
    let estimate = capture
        .client()
        .calculate_cost()
        .body_map(|b| b.model_id("gpt-4o").input_tokens(Some(5000)).output_tokens(Some(1000)).cached_tokens(Some(2000)))
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/models/calculate");
    assert_eq!(
        request.json(),
        json!({"modelId": "gpt-4o", "inputTokens": 5000, "outputTokens": 1000, "cachedTokens": 2000})
    );
    assert_eq!(estimate.estimated_cost_usd, usd("0.0175"));
    assert_eq!(estimate.model_name.as_deref(), Some("GPT-4o"));
}

// ----- default headers -----------------------------------------------------------------------

#[tokio::test]
async fn default_headers_reach_every_request_from_facade_and_builders_without_replacing_the_sdks() {
    let capture = Capture::start().await;
    capture.reply(200, r#"{"accountId": "acc_1", "balance": 10, "reserved": 0, "available": 10}"#);
    let client = credits_sdk::CreditsClient::builder()
        .api_key(TEST_KEY)
        .base_url(capture.base_url())
        .default_header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .default_header("X-Tenant", "first")
        .default_header("x-tenant", "acme")
        .build()
        .unwrap();
    client.get_balance(credits_sdk::AccountRef::id("acc_1")).await.unwrap();
    let request = capture.take_one();
    assert_sent(&request, "GET", "/v1/accounts/balance");
    assert_eq!(request.header("traceparent"), Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
    assert_eq!(request.headers.get_all("x-tenant").iter().collect::<Vec<_>>(), ["acme"], "the last value wins");

    // Builder users: the pipeline's setting; a header the request sets itself keeps its value.
    let pipeline = credits_sdk::api::Pipeline::new(credits_sdk::ApiKey::new(TEST_KEY).unwrap())
        .with_default_header("x-tenant", "acme")
        .unwrap()
        .with_default_header("content-type", "text/plain")
        .unwrap();
    let builders = credits_sdk::api::Client::new_with_client(capture.base_url(), reqwest::Client::new(), pipeline);
    capture.reply(200, r#"{"success": true, "plan": {"id": "plan_1", "name": "Pro", "isActive": false}}"#);
    builders.archive_plan().body_map(|b| b.plan_id("plan_1")).send().await.unwrap();
    let request = capture.take_one();
    assert_sent(&request, "POST", "/v1/plans/archive");
    assert_eq!(request.header("x-tenant"), Some("acme"));

    // What the SDK sets is refused, with the name and never the value in the error.
    for name in ["X-API-Key", "user-agent", "Host", "content-length"] {
        let refused = credits_sdk::CreditsClient::builder()
            .api_key(TEST_KEY)
            .default_header(name, "value-xyz")
            .build()
            .unwrap_err();
        assert!(matches!(refused, credits_sdk::Error::Config(_)), "{refused:?}");
        assert!(!refused.to_string().contains("value-xyz"), "{refused}");
    }
}
