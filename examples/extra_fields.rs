//! Reads what the spec does not know: the balance of one account, with every field of the
//! answer that `openapi.yaml` does not declare, then the request id and status.
//!
//! ```sh
//! cargo run --example extra_fields                        # against an in-process sandbox
//! CREDITS_API_KEY=sk_... CREDITS_EXTERNAL_ID=user_456 cargo run --example extra_fields
//! ```
//!
//! With `CREDITS_API_KEY` set it asks `CREDITS_BASE_URL` (default the real API) for the account
//! `CREDITS_EXTERNAL_ID` (default `user_demo`, the sandbox's demo account). The sandbox answers
//! only what the spec declares, so there it prints no undeclared field; the real API may.

use credits_sandbox::Sandbox;
use credits_sdk::{AccountRef, CreditsClient, with_response};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sandbox) = match std::env::var_os("CREDITS_API_KEY") {
        Some(_) => (CreditsClient::from_env()?, None),
        None => {
            let sandbox = Sandbox::builder().seed(true).start().await?;
            let client = CreditsClient::builder().api_key(sandbox.api_key()).base_url(sandbox.base_url()).build()?;
            (client, Some(sandbox))
        }
    };
    let external_id = std::env::var("CREDITS_EXTERNAL_ID").unwrap_or_else(|_| "user_demo".to_owned());

    let (balance, response) = with_response(client.get_balance(AccountRef::external(&external_id))).await?;
    println!("{external_id}: balance {}, available {}", balance.balance, balance.available);
    let undeclared = response.undeclared_fields();
    if undeclared.is_empty() {
        println!("(the answer has no field the spec does not declare)");
    }
    for field in undeclared.iter() {
        // The pointer without its leading `/`: `loyaltyTier`, `limits/daily`.
        println!("{} = {}", field.pointer.trim_start_matches('/'), field.value);
    }
    println!("request id {}", response.request_id().unwrap_or("(none)"));
    println!("status {}", response.status());
    Ok(())
}
