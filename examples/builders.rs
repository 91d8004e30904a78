//! The same flow as `quickstart`, with the generated builders only.
//!
//! ```sh
//! cargo run --example builders
//! ```
//!
//! Every operation of `openapi.yaml` is a method of `credits_sdk::api::Client` returning a
//! builder; requests go through the same pipeline (key, retries, tracing) as the facade.

use credits_sandbox::Sandbox;
use credits_sdk::api::Client;
use credits_sdk::api::Pipeline;
use credits_sdk::api::types;
use credits_sdk::{Amount, ApiKey, PlanStartMode, UsageContext};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    println!("Using an in-process sandbox at {}", sandbox.base_url());
    let client = Client::new_with_client(
        sandbox.base_url(),
        reqwest::Client::new(),
        Pipeline::new(ApiKey::new(sandbox.api_key())?),
    );

    let external_id = "user_456";
    let account = client
        .create_account()
        .body(types::CreateAccountRequest {
            name: "Alice".into(),
            external_id: Some(external_id.into()),
            email: Some("alice@example.com".into()),
            metadata: None,
        })
        .send()
        .await?
        .into_inner()
        .account;
    println!("1. created account {}", account.id);

    let plan = client
        .create_plan()
        .body_map(|b| b.name("Pro").amount(Amount::new(10_000).expect("positive")).interval(types::PlanInterval::Month))
        .send()
        .await?
        .into_inner()
        .plan;
    client
        .assign_plan_to_account()
        .body_map(|b| {
            b.external_id(Some(external_id.into())).plan_id(plan.id.clone()).start_mode(Some(PlanStartMode::Immediate))
        })
        .send()
        .await?;
    println!("2. assigned plan {}", plan.id);

    let added = client
        .add_credits()
        .body_map(|b| b.external_id(Some(external_id.into())).amount(Amount::new(500).expect("positive")))
        .send()
        .await?;
    println!("3. balance {}", added.balance);

    let balance = client.get_balance().external_id(external_id).send().await?;
    println!("4. available {}", balance.available);

    let reservation = client
        .create_reservation()
        .body_map(|b| b.external_id(Some(external_id.into())).amount(Amount::new(500).expect("positive")))
        .send()
        .await?
        .into_inner()
        .reservation;
    let confirmed = client
        .confirm_reservation()
        .body_map(|b| b.reservation_id(reservation.id.clone()).actual_amount(Amount::new(420).expect("positive")))
        .send()
        .await?
        .into_inner();
    println!("5-6. reserved {} and confirmed 420 in {}", reservation.id, confirmed.transaction_id);

    let usage = client
        .record_usage()
        .body_map(|b| {
            b.context(Some(UsageContext::Customer))
                .external_id(Some(external_id.into()))
                .transaction_id(Some(confirmed.transaction_id.clone()))
                .model_id("gpt-4o")
                .input_tokens(Some(1000))
                .output_tokens(Some(420))
        })
        .send()
        .await?;
    println!("7. usage cost ${:.6}", usage.usage_record.estimated_cost_usd.unwrap_or_default());

    let summary = client.get_usage().summary(true).context(UsageContext::Customer).send().await?.into_inner();
    println!("8. customer usage ${:.6}", summary.summary.and_then(|s| s.total_cost_usd).unwrap_or_default());

    let page = client.list_transactions().external_id(external_id).send().await?.into_inner();
    println!("9. {} transaction(s)", page.pagination.total_count);
    Ok(())
}
