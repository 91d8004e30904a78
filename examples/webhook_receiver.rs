//! A webhook receiver (axum): verifies each delivery with the SDK, handles it once per event
//! id, and answers 2xx only after the event is handled (any other answer makes Credits, or the
//! sandbox, deliver it again later).
//!
//! ```sh
//! cargo run --example webhook_receiver              # demo: an in-process sandbox delivers to it
//! CREDITS_WEBHOOK_SECRET=whsec_... PORT=3000 cargo run --example webhook_receiver   # serve
//! ```
//!
//! Serving, it listens on `127.0.0.1:$PORT/webhooks` until Ctrl-C; point a sandbox at it with
//! `credits-sandbox --webhook http://127.0.0.1:3000/webhooks --webhook-secret whsec_...`. The demo starts a sandbox that
//! delivers to the receiver, puts a hold that lapses, moves the sandbox clock past its expiry,
//! prints what was handled and exits.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use credits_sandbox::Sandbox;
use credits_sdk::webhooks::{Event, Verifier};
use credits_sdk::{AccountRef, AddCredits, CreateAccount, CreateReservation, CreditsClient, DeductCredits};

/// What the handler shares: the verifier and the ids of the events already handled. A real
/// service keeps the ids in its database, written in the same transaction as the effect.
struct Receiver {
    verifier: Verifier,
    handled: Mutex<HashSet<String>>,
    done: tokio::sync::Notify,
}

async fn webhook(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let event = match receiver.verifier.verify(&headers, &body) {
        Ok(event) => event,
        Err(error) => {
            // Not from Credits, altered, or replayed: refuse it (it is not retried as valid).
            eprintln!("refused a delivery: {error}");
            return StatusCode::BAD_REQUEST;
        }
    };
    // Events can arrive twice (an answer lost on the way back) and out of order: handle each
    // id once, and read state from the resource (`data`), not from the arrival order.
    if !receiver.handled.lock().unwrap_or_else(|p| p.into_inner()).insert(event.id().to_owned()) {
        return StatusCode::OK;
    }
    match &event {
        Event::ReservationExpired(e) => {
            println!("hold {} of {} credits expired unconfirmed: release the job it guarded", e.data.id, e.data.amount)
        }
        Event::BalanceDebited(e) if e.data.available < 10 => {
            println!("account {} is low on credits: {} left", e.data.account_id, e.data.available)
        }
        other => println!("{} {}", other.type_name(), other.id()),
    }
    if matches!(event, Event::ReservationExpired(_)) {
        receiver.done.notify_one();
    }
    // Only now, with the event handled, the 2xx.
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serve = std::env::var("CREDITS_WEBHOOK_SECRET").ok();
    let secret = serve.clone().unwrap_or_else(|| "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned());
    let receiver = Arc::new(Receiver {
        verifier: Verifier::new(&secret)?,
        handled: Mutex::default(),
        done: tokio::sync::Notify::new(),
    });
    let port: u16 = match (&serve, std::env::var("PORT")) {
        (Some(_), Ok(port)) => port.parse()?,
        _ => 0,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let url = format!("http://{}/webhooks", listener.local_addr()?);
    let app = axum::Router::new().route("/webhooks", axum::routing::post(webhook)).with_state(receiver.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if serve.is_some() {
        println!("receiving webhooks on {url} (Ctrl-C to stop)");
        tokio::signal::ctrl_c().await?;
        return Ok(());
    }

    // The demo: a sandbox delivering to this receiver, on a clock the demo moves.
    let sandbox = Sandbox::builder()
        .manual_clock("2026-03-01T09:00:00Z".parse()?)
        .webhook(&url)
        .webhook_secret(&secret)
        .start()
        .await?;
    let client = CreditsClient::builder().api_key(sandbox.api_key()).base_url(sandbox.base_url()).build()?;
    let account = client.create_account(CreateAccount::new("Webhook demo").external_id("webhook_demo")).await?;
    let account = AccountRef::from(&account.account);
    client.add_credits(AddCredits::new(&account, 15)).await?;
    client.deduct_credits(DeductCredits::new(&account, 8)).await?;
    client.create_reservation(CreateReservation::new(&account, 5).expires_in(Duration::from_secs(60))).await?;
    sandbox.advance(Duration::from_secs(61))?;
    tokio::time::timeout(Duration::from_secs(10), receiver.done.notified()).await?;
    let handled = receiver.handled.lock().unwrap_or_else(|p| p.into_inner()).len();
    println!("handled {handled} events");
    server.abort();
    Ok(())
}
