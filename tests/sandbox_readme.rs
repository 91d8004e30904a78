//! The sandbox README's example ("Testing with the clock"), kept compiling and passing: the SDK's
//! client against a sandbox on a manual clock, through a reservation expiry and a plan
//! renewal, without sleeping.

use std::time::Duration;

use credits_sandbox::Sandbox;
use credits_sandbox::chrono::{DateTime, Utc};
use credits_sdk::{AccountRef, AssignPlan, CreateAccount, CreatePlan, CreateReservation, CreditsClient, PlanInterval};

#[tokio::test]
async fn a_hold_expires_and_the_plan_renews_as_the_clock_moves() -> Result<(), Box<dyn std::error::Error>> {
    let start: DateTime<Utc> = "2025-01-31T09:00:00Z".parse()?;
    let sandbox = Sandbox::builder().manual_clock(start).start().await?;
    let client = CreditsClient::builder().api_key(sandbox.api_key()).base_url(sandbox.base_url()).build()?;

    let alice = AccountRef::external("alice");
    client.create_account(CreateAccount::new("Alice").external_id("alice")).await?;
    let plan = client.create_plan(CreatePlan::new("Pro", 1000, PlanInterval::Month)).await?.plan;
    client.assign_plan_to_account(AssignPlan::new(&alice, &plan.id).immediate()).await?; // 1000 now

    // A hold for a minute that nobody confirms.
    client.create_reservation(CreateReservation::new(&alice, 300).expires_in(Duration::from_secs(60))).await?;
    assert_eq!(client.get_balance(&alice).await?.available, 700);
    sandbox.advance(Duration::from_secs(60))?;
    assert_eq!(client.get_balance(&alice).await?.available, 1000); // the hold expired

    // Spend 250, then pass the month boundary (February 28th: months count from the 31st).
    client.deduct_credits(credits_sdk::DeductCredits::new(&alice, 250)).await?;
    sandbox.set_time("2025-02-28T09:00:00Z".parse()?)?;
    let balance = client.get_balance(&alice).await?;
    assert_eq!(balance.balance, 1000); // 750 unused plan credits reset, 1000 granted
    let ledger = client.list_transactions(credits_sdk::ListTransactions::new().account(&alice)).await?;
    assert_eq!(ledger.items[0].description.as_deref(), Some("Plan grant: Pro"));
    assert_eq!(ledger.items[0].created_at, Some("2025-02-28T09:00:00Z".parse()?));
    Ok(())
}
