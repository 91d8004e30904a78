//! The typical Credits flow, end to end, with the facade.
//!
//! ```sh
//! cargo run --example quickstart                      # against an in-process sandbox
//! CREDITS_API_KEY=sk_... cargo run --example quickstart   # against https://api.credits.dev
//! ```
//!
//! With `CREDITS_API_KEY` set it talks to `CREDITS_BASE_URL` (default the real API), and
//! creates a real account and plan there.

use credits_sandbox::Sandbox;
use credits_sdk::{
    AccountRef, AddCredits, AssignPlan, CreateAccount, CreatePlan, CreateReservation, CreditsClient, GetUsage,
    ListTransactions, Metered, ModelUsage, PlanInterval, UsageContext, UsageOutcome,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the sandbox alive for the whole run: it stops when dropped.
    let (client, _sandbox) = match std::env::var_os("CREDITS_API_KEY") {
        Some(_) => {
            // A key is set: a configuration problem (e.g. a bad CREDITS_BASE_URL) is an error.
            let client = CreditsClient::from_env()?;
            println!("Using the Credits API at {}", client.base_url());
            (client, None)
        }
        None => {
            let sandbox = Sandbox::start().await?;
            println!("CREDITS_API_KEY is not set: using an in-process sandbox at {}", sandbox.base_url());
            let client = CreditsClient::builder().api_key(sandbox.api_key()).base_url(sandbox.base_url()).build()?;
            (client, Some(sandbox))
        }
    };

    // 1. One account per end user, named by your own user id.
    let external_id = format!("user_{}", std::process::id());
    let account = client
        .create_account(CreateAccount::new("Alice").external_id(&external_id).email("alice@example.com"))
        .await?
        .account;
    println!("1. created account {} for {external_id}", account.id);
    let alice = AccountRef::external(&external_id);

    // 2. Assign a plan, granting its credits now.
    let plan = client.create_plan(CreatePlan::new("Pro", 10_000, PlanInterval::Month)).await?.plan;
    client.assign_plan_to_account(AssignPlan::new(&alice, &plan.id).immediate()).await?;
    println!("2. assigned plan {} ({} credits)", plan.id, plan.credits.unwrap_or_default());

    // 3. A one-off grant.
    let added = client.add_credits(AddCredits::new(&alice, 500).description("Welcome bonus")).await?;
    println!("3. added 500 credits, balance {}", added.balance);

    // 4. Check what can be spent before a costly call.
    let balance = client.get_balance(&alice).await?;
    println!("4. balance {}, reserved {}, available {}", balance.balance, balance.reserved, balance.available);

    // 5-7. The billing flow of one LLM call, in one guarded call: reserve 500 credits, call the
    // model, confirm what it really cost, and record its usage with the confirm's transaction
    // (exactly once, even when an answer is lost). A failed model call cancels the hold.
    let billed = client
        .metered(
            CreateReservation::new(&alice, 500).operation("chat-completion").model("gpt-4o"),
            |reservation| async move {
                println!("5. reserved {} credits in {}", reservation.amount, reservation.id);
                let (answer, input_tokens, output_tokens) = call_the_model("Hello!").await?;
                let usage =
                    ModelUsage::new("gpt-4o").tokens(input_tokens, output_tokens).description("Chat completion");
                Ok::<_, std::io::Error>(Metered::new(420, usage, answer))
            },
        )
        .await?;
    if let Some(confirmed) = &billed.confirmation {
        println!("6. confirmed 420 credits in transaction {}", confirmed.transaction_id);
    }
    match &billed.usage {
        UsageOutcome::Recorded(record) => {
            println!("7. recorded usage costing ${:.6}", record.estimated_cost_usd.unwrap_or_default())
        }
        // The charge stands either way; a production service would queue the record and settle
        // it later with `client.record_usage_if_absent(record)`.
        other => println!("7. the usage is not recorded yet: {other:?}"),
    }

    // 8. Usage summary and the account's usage.
    let summary = client.get_usage_summary(UsageContext::Customer).await?;
    let records = client.get_usage(GetUsage::new().account(&alice)).await?;
    println!(
        "8. customer usage: ${:.6} over {} record(s) of this account",
        summary.total_cost_usd.unwrap_or_default(),
        records.len()
    );

    // 9. The ledger.
    let page = client.list_transactions(ListTransactions::new().account(&alice).limit(20)).await?;
    println!("9. {} transaction(s):", page.pagination.total_count);
    for transaction in &page.items {
        println!(
            "   {:<6} {:>8} -> balance {:>8}  {}",
            transaction.type_,
            transaction.amount,
            transaction.balance_after.unwrap_or_default(),
            transaction.description.as_deref().unwrap_or("")
        );
    }
    let final_balance = client.get_balance(&alice).await?;
    println!("Done: available {}", final_balance.available);
    Ok(())
}

/// Stands in for the LLM call: the answer and its input and output tokens.
async fn call_the_model(prompt: &str) -> Result<(String, u64, u64), std::io::Error> {
    Ok((format!("echo: {prompt}"), 1000, 420))
}
