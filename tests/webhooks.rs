//! Webhooks end to end: the sandbox emits and delivers signed events, the SDK's verifier
//! checks and decodes them. Receivers are axum servers started by each test on loopback.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use credits_sandbox::{Sandbox, WebhookDeliveryState};
use credits_sdk::webhooks::{
    DEFAULT_TOLERANCE, Event, EventType, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier, WebhookError,
};
use credits_sdk::{CreateAccount, CreateReservation, CreditsClient};
use support::{client_for, fast_retries, funded_account};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One POST as a receiver got it.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// A receiver on loopback that records every POST and answers what `answer(n)` says for the
/// n-th (0-based) one.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Receiver {
    async fn start(answer: impl Fn(usize) -> StatusCode + Send + Sync + 'static) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::on(listener, answer)
    }

    fn on(listener: tokio::net::TcpListener, answer: impl Fn(usize) -> StatusCode + Send + Sync + 'static) -> Receiver {
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let log = received.clone();
        let answer = Arc::new(answer);
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (log, answer) = (log.clone(), answer.clone());
                async move {
                    let mut log = log.lock().unwrap();
                    let n = log.len();
                    log.push(Received { headers, body });
                    answer(n)
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Receiver { url, received, _stop: stop }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (at most 10 s) until `done` holds for what was received.
    async fn until(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: got {}", received.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Waits (at most 10 s) until `done` holds for the sandbox's deliveries.
async fn until_deliveries(
    sandbox: &Sandbox,
    what: &str,
    done: impl Fn(&[credits_sandbox::WebhookDelivery]) -> bool,
) -> Vec<credits_sandbox::WebhookDelivery> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let deliveries = sandbox.webhook_deliveries(sandbox.api_key());
        if done(&deliveries) {
            return deliveries;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {deliveries:#?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn verify(verifier: &Verifier, received: &Received) -> Event {
    verifier.verify(&received.headers, &received.body).unwrap_or_else(|e| panic!("a delivery did not verify: {e}"))
}

async fn sandbox_with(receiver: &Receiver) -> (Sandbox, CreditsClient) {
    delivering_to(&receiver.url).await
}

/// A sandbox on a manual clock delivering to `url` signed with [`SECRET`], and a client of it.
async fn delivering_to(url: &str) -> (Sandbox, CreditsClient) {
    let sandbox = Sandbox::builder()
        .manual_clock("2026-03-01T00:00:00Z".parse().unwrap())
        .webhook(url)
        .webhook_secret(SECRET)
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox, fast_retries());
    (sandbox, client)
}

async fn trigger(sandbox: &Sandbox, event_type: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/_sandbox/webhooks/trigger", sandbox.base_url()))
        .header("x-api-key", sandbox.api_key())
        .json(&serde_json::json!({ "type": event_type }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_event_type_arrives_signed_and_decodes_into_its_typed_variant() {
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (sandbox, _client) = sandbox_with(&receiver).await;
    for event_type in EventType::ALL {
        let answer = trigger(&sandbox, event_type.as_str()).await;
        assert_eq!(answer.status(), 200, "trigger {event_type}: {}", answer.text().await.unwrap());
    }
    let verifier = Verifier::new(sandbox.webhook_secret()).unwrap();
    let received = receiver
        .until("every type", |got| {
            let types: HashSet<String> = got
                .iter()
                .filter_map(|r| verifier.verify(&r.headers, &r.body).ok())
                .map(|e| e.type_name().to_owned())
                .collect();
            EventType::ALL.iter().all(|t| types.contains(t.as_str()))
        })
        .await;
    let mut seen = HashSet::new();
    for delivery in &received {
        let event = verify(&verifier, delivery);
        let event_type = event.event_type().expect("every type the sandbox sends is known");
        assert_eq!(event.type_name(), event_type.as_str());
        assert_eq!(delivery.headers.get(ID_HEADER).unwrap(), event.id());
        assert!(event.id().starts_with("evt_"));
        // The variant carries the resource in its own type.
        match &event {
            Event::ReservationExpired(e) => assert_eq!(e.data.status, credits_sdk::ReservationStatus::Expired),
            Event::ReservationConfirmed(e) => assert_eq!(e.data.status, credits_sdk::ReservationStatus::Confirmed),
            Event::ReservationCancelled(e) => assert_eq!(e.data.status, credits_sdk::ReservationStatus::Cancelled),
            Event::BalanceDebited(e) | Event::BalanceCredited(e) => {
                assert_eq!(e.data.available + e.data.reserved, e.data.balance)
            }
            Event::UsageRecorded(e) => assert!(e.data.transaction_id.is_some()),
            Event::Unknown(e) => panic!("the sandbox sent an unknown type {}", e.event_type),
            _ => {}
        }
        seen.insert(event_type);
    }
    assert_eq!(seen.len(), EventType::ALL.len());
    // Ids are unique per event.
    let ids: HashSet<&str> = received.iter().map(|r| r.headers[ID_HEADER].to_str().unwrap()).collect();
    assert_eq!(ids.len(), received.len());
}

#[tokio::test]
async fn api_calls_emit_their_events_and_an_expiry_is_sent_when_the_clock_passes_it() {
    let receiver = Receiver::start(|_| StatusCode::NO_CONTENT).await;
    let (sandbox, client) = sandbox_with(&receiver).await;
    let verifier = Verifier::new(SECRET).unwrap();
    let account = funded_account(&client, 100).await;
    let hold = client
        .create_reservation(CreateReservation::new(&account, 10).expires_in(Duration::from_secs(60)))
        .await
        .unwrap();
    let events = |got: &[Received]| got.iter().map(|r| verify(&verifier, r)).collect::<Vec<_>>();
    receiver
        .until("the create events", |got| events(got).iter().any(|e| matches!(e, Event::ReservationCreated(_))))
        .await;
    let before = sandbox.request_count();
    sandbox.advance(Duration::from_secs(61)).unwrap();
    let got =
        receiver.until("the expiry", |got| events(got).iter().any(|e| matches!(e, Event::ReservationExpired(_)))).await;
    assert_eq!(sandbox.request_count(), before, "the expiry was sent without any API request");
    let expired = events(&got)
        .into_iter()
        .find_map(|e| if let Event::ReservationExpired(e) = e { Some(e) } else { None })
        .unwrap();
    assert_eq!(expired.data.id, hold.reservation.id);
    assert_eq!(expired.data.amount.to_string(), "10");
    let types: Vec<String> = events(&got).iter().map(|e| e.type_name().to_owned()).collect();
    for expected in
        ["account.created", "transaction.created", "balance.credited", "account.updated", "reservation.created"]
    {
        assert!(types.iter().any(|t| t == expected), "{expected} missing from {types:?}");
    }
}

#[tokio::test]
async fn a_receiver_that_fails_the_first_attempts_gets_the_event_after_the_backoff_with_the_same_id() {
    let receiver = Receiver::start(|n| if n < 3 { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }).await;
    let (sandbox, client) = sandbox_with(&receiver).await;
    client.create_account(CreateAccount::new("Retried").external_id("retried")).await.unwrap();
    let schedule = credits_sandbox::WEBHOOK_RETRY_SCHEDULE;
    for (attempt, wait) in schedule.iter().take(3).enumerate() {
        receiver.until("an attempt", |got| got.len() > attempt).await;
        until_deliveries(&sandbox, "the attempt to be recorded", |d| d[0].attempts as usize == attempt + 1).await;
        // Not before its time: a moment short of the wait, nothing more is sent.
        sandbox.advance(*wait - Duration::from_secs(1)).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), attempt + 1, "attempt {} came before its backoff", attempt + 2);
        sandbox.advance(Duration::from_secs(1)).unwrap();
    }
    let got = receiver.until("the fourth attempt", |got| got.len() == 4).await;
    let deliveries = until_deliveries(&sandbox, "delivered", |d| d[0].state == WebhookDeliveryState::Delivered).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].attempts, 4);
    assert_eq!(deliveries[0].last_status.as_deref(), Some("HTTP 200"));
    let verifier = Verifier::new(SECRET).unwrap();
    let ids: HashSet<String> = got.iter().map(|r| verify(&verifier, r).id().to_owned()).collect();
    assert_eq!(ids.len(), 1, "every attempt carries the same event id");
    assert!(got.windows(2).all(|w| w[0].body == w[1].body), "every attempt sends the same body");
    tokio::time::sleep(Duration::from_millis(300)).await;
    sandbox.advance(Duration::from_secs(86_400)).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 4, "nothing is sent after a 2xx");
}

#[tokio::test]
async fn a_resent_event_arrives_again_with_the_same_id_and_body_as_a_duplicate_would() {
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (sandbox, client) = sandbox_with(&receiver).await;
    client.create_account(CreateAccount::new("Resent").external_id("resent")).await.unwrap();
    let done = |d: &[credits_sandbox::WebhookDelivery]| {
        !d.is_empty() && d.iter().all(|d| d.state == WebhookDeliveryState::Delivered)
    };
    let delivered = until_deliveries(&sandbox, "the account's events", done).await;
    let created = delivered.iter().find(|d| d.event_type == "account.created").expect("account.created delivered");
    let before = receiver.received().len();

    let answer = reqwest::Client::new()
        .post(format!("{}/_sandbox/webhooks/resend", sandbox.base_url()))
        .header("x-api-key", sandbox.api_key())
        .json(&serde_json::json!({ "eventId": created.event_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(answer, serde_json::json!({ "eventId": created.event_id, "deliveries": 1 }));

    let got = receiver.until("the resent event", |got| got.len() == before + 1).await;
    let verifier = Verifier::new(SECRET).unwrap();
    let copies: Vec<&Received> =
        got.iter().filter(|r| verify(&verifier, r).id() == created.event_id.as_str()).collect();
    assert_eq!(copies.len(), 2, "the original and the resent copy, under one id");
    assert_eq!(copies[0].body, copies[1].body, "the resent copy is the same event");
    assert_eq!(copies[0].headers[ID_HEADER], copies[1].headers[ID_HEADER]);
    let deliveries =
        until_deliveries(&sandbox, "the resend delivered", |d| d.len() == delivered.len() + 1 && done(d)).await;
    assert_eq!(deliveries.iter().filter(|d| d.event_id == created.event_id).count(), 2);

    let unknown = sandbox.resend_webhook(sandbox.api_key(), "evt_never_made").unwrap_err();
    assert!(unknown.contains("evt_never_made"), "{unknown}");
    assert!(sandbox.resend_webhook("sk_no_such_project", &created.event_id).is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), before + 1, "a refused resend sends nothing");
}

#[tokio::test]
async fn a_receiver_that_never_answers_2xx_is_given_up_after_the_bounded_schedule() {
    let receiver = Receiver::start(|_| StatusCode::SERVICE_UNAVAILABLE).await;
    let (sandbox, client) = sandbox_with(&receiver).await;
    client.create_account(CreateAccount::new("Doomed")).await.unwrap();
    let attempts = credits_sandbox::WEBHOOK_RETRY_SCHEDULE.len() + 1;
    for (done, wait) in credits_sandbox::WEBHOOK_RETRY_SCHEDULE.iter().enumerate() {
        until_deliveries(&sandbox, "an attempt", |d| d[0].attempts as usize == done + 1).await;
        sandbox.advance(*wait).unwrap();
    }
    let deliveries = until_deliveries(&sandbox, "failed", |d| d[0].state == WebhookDeliveryState::Failed).await;
    assert_eq!(deliveries[0].attempts as usize, attempts);
    assert_eq!(deliveries[0].last_status.as_deref(), Some("HTTP 503"));
    sandbox.advance(Duration::from_secs(7 * 86_400)).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), attempts);
}

#[tokio::test]
async fn a_receiver_down_while_100_events_are_emitted_gets_all_of_them_once_it_is_back() {
    // A port with nothing listening on it (yet).
    let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = parked.local_addr().unwrap();
    drop(parked);
    let url = format!("http://{address}/hooks");
    let (sandbox, client) = delivering_to(&url).await;
    for i in 0..100 {
        client.create_account(CreateAccount::new(format!("Down {i}"))).await.unwrap();
    }
    let deliveries = until_deliveries(&sandbox, "a first attempt of each", |d| {
        d.len() == 100 && d.iter().all(|d| d.attempts == 1 && d.state == WebhookDeliveryState::Pending)
    })
    .await;
    assert!(deliveries.iter().all(|d| d.last_status.as_deref() == Some("connection refused")), "{deliveries:?}");

    let receiver = Receiver::on(tokio::net::TcpListener::bind(address).await.unwrap(), |_| StatusCode::OK);
    assert_eq!(receiver.url, url);
    sandbox.advance(credits_sandbox::WEBHOOK_RETRY_SCHEDULE[0]).unwrap();
    let got = receiver.until("all 100", |got| got.len() >= 100).await;
    until_deliveries(&sandbox, "all delivered", |d| d.iter().all(|d| d.state == WebhookDeliveryState::Delivered)).await;
    // More time passes: nothing is sent twice.
    for wait in credits_sandbox::WEBHOOK_RETRY_SCHEDULE {
        sandbox.advance(wait).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_after = receiver.received();
    assert_eq!(got_after.len(), got.len());
    let verifier = Verifier::new(SECRET).unwrap();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for r in &got_after {
        let event = verify(&verifier, r);
        assert!(matches!(event, Event::AccountCreated(_)));
        *by_id.entry(event.id().to_owned()).or_default() += 1;
    }
    assert_eq!(by_id.len(), 100, "every event arrived");
    assert!(by_id.values().all(|&n| n == 1), "none arrived twice: {by_id:?}");
    let sent: HashSet<String> = deliveries.iter().map(|d| d.event_id.clone()).collect();
    assert_eq!(sent, by_id.keys().cloned().collect::<HashSet<_>>(), "the same ids as first emitted");
}

#[tokio::test]
async fn saved_state_keeps_undelivered_events_and_a_new_sandbox_delivers_them() {
    let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = parked.local_addr().unwrap();
    drop(parked);
    let (first, client) = delivering_to(&format!("http://{address}/hooks")).await;
    for i in 0..5 {
        client.create_account(CreateAccount::new(format!("Saved {i}"))).await.unwrap();
    }
    let pending =
        until_deliveries(&first, "first attempts", |d| d.len() == 5 && d.iter().all(|d| d.attempts == 1)).await;
    let saved = first.export_all();
    drop(first);

    let receiver = Receiver::on(tokio::net::TcpListener::bind(address).await.unwrap(), |_| StatusCode::OK);
    let second =
        Sandbox::builder().manual_clock("2026-03-01T00:00:00Z".parse().unwrap()).state(saved).start().await.unwrap();
    second.advance(Duration::from_secs(5)).unwrap();
    let got = receiver.until("the saved events", |got| got.len() >= 5).await;
    let verifier = Verifier::new(SECRET).unwrap();
    let ids: HashSet<String> = got.iter().map(|r| verify(&verifier, r).id().to_owned()).collect();
    let expected: HashSet<String> = pending.iter().map(|d| d.event_id.clone()).collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_stalled_receiver_never_slows_or_fails_the_api_calls_that_emit_events() {
    // Every delivery hangs: the receiver accepts, reads and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let sandbox = Sandbox::builder().webhook(&url).webhook_secret(SECRET).start().await.unwrap();
    // Faults on the API too (refusals the SDK retries, delays): the events follow what was
    // applied, nothing else.
    let faults =
        vec![credits_sandbox::Fault::rate_limited("0"), credits_sandbox::Fault::Delay(Duration::from_millis(20))];
    sandbox.faults().set_random(0.2, faults, 7);
    let client = client_for(&sandbox, fast_retries().max_attempts(10));
    let account = funded_account(&client, 1_000).await;
    for _ in 0..50 {
        let hold = client.create_reservation(CreateReservation::new(&account, 1)).await.unwrap();
        client.confirm_reservation(&hold.reservation.id, 1).await.unwrap();
    }
    let injected = sandbox.faults().injected();
    sandbox.faults().clear();
    assert!(injected > 0, "faults were injected");
    let deliveries = sandbox.webhook_deliveries(sandbox.api_key());
    assert!(accepted.load(Ordering::SeqCst) > 0, "deliveries were attempted");
    assert!(
        deliveries.iter().all(|d| d.state != WebhookDeliveryState::Delivered),
        "no delivery was answered, yet every API call completed"
    );
    let balance = client.get_balance(&account).await.unwrap();
    assert_eq!(balance.balance.to_string(), "950");
    // One reservation.confirmed event per confirm that landed.
    let confirmed = deliveries.iter().filter(|d| d.event_type == "reservation.confirmed").count();
    assert_eq!(confirmed, 50);
    // The hung attempts end at the attempt timeout, as failures to retry.
    let deadline = tokio::time::Instant::now() + credits_sandbox::WEBHOOK_ATTEMPT_TIMEOUT + Duration::from_secs(10);
    loop {
        let deliveries = sandbox.webhook_deliveries(sandbox.api_key());
        if deliveries.iter().any(|d| d.last_status.as_deref() == Some("timed out")) {
            assert!(deliveries.iter().all(|d| d.state != WebhookDeliveryState::Delivered));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no attempt timed out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_receiver_that_redirects_is_a_failed_attempt_and_the_redirect_is_not_followed() {
    let target = Receiver::start(|_| StatusCode::OK).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let location = target.url.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move || {
            let location = location.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, location)]) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (sandbox, client) = delivering_to(&url).await;
    client.create_account(CreateAccount::new("Redirected")).await.unwrap();
    let deliveries = until_deliveries(&sandbox, "the attempt", |d| d.len() == 1 && d[0].attempts == 1).await;
    assert_eq!(deliveries[0].last_status.as_deref(), Some("HTTP 307"));
    assert_eq!(deliveries[0].state, WebhookDeliveryState::Pending, "retried later, as any non-2xx");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(target.received().is_empty(), "the redirect was not followed");
}

/// A delivery signed now with `SECRET`, for the verifier tests.
fn signed(body: &[u8], id: &str, at: i64) -> HeaderMap {
    let verifier = Verifier::new(SECRET).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(ID_HEADER, id.parse().unwrap());
    headers.insert(TIMESTAMP_HEADER, at.to_string().parse().unwrap());
    headers.insert(SIGNATURE_HEADER, verifier.sign(id, at, body).unwrap().parse().unwrap());
    headers
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

const BODY: &[u8] = br#"{"id":"evt_1","type":"balance.credited","createdAt":"2026-01-01T00:00:00Z","data":{"accountId":"acc_1","balance":10.000000000001,"reserved":0,"available":10.000000000001}}"#;

#[test]
fn the_verifier_accepts_a_good_delivery_and_keeps_amounts_exact() {
    let event = Verifier::new(SECRET).unwrap().verify(&signed(BODY, "evt_1", now_secs()), BODY).unwrap();
    let Event::BalanceCredited(event) = event else { panic!("wrong variant") };
    assert_eq!(event.data.balance.to_string(), "10.000000000001");
    // Several signatures (a secret rotation): any one matching is enough.
    let mut headers = signed(BODY, "evt_1", now_secs());
    let good = headers[SIGNATURE_HEADER].to_str().unwrap().to_owned();
    headers.insert(SIGNATURE_HEADER, format!("v1,AAAA v2,xyz {good}").parse().unwrap());
    assert!(Verifier::new(SECRET).unwrap().verify(&headers, BODY).is_ok());
}

#[test]
fn an_unknown_event_type_is_kept_whole_not_refused() {
    let body = br#"{"id":"evt_9","type":"invoice.paid","createdAt":"2026-01-01T00:00:00Z","data":{"total":0.1000000000000000055}}"#;
    let event = Verifier::new(SECRET).unwrap().verify(&signed(body, "evt_9", now_secs()), body).unwrap();
    let Event::Unknown(unknown) = &event else { panic!("expected Unknown") };
    assert_eq!(unknown.event_type, "invoice.paid");
    assert_eq!(unknown.json.get().as_bytes(), body, "the raw JSON, digits included");
    assert_eq!(event.id(), "evt_9");
}

#[test]
fn every_bad_delivery_is_refused_with_its_typed_error() {
    let verifier = Verifier::new(SECRET).unwrap();
    let now = now_secs();
    let good = signed(BODY, "evt_1", now);
    for missing in [ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER] {
        let mut headers = good.clone();
        headers.remove(missing);
        assert!(matches!(verifier.verify(&headers, BODY), Err(WebhookError::MissingHeader(h)) if h == missing));
    }
    let mut headers = good.clone();
    headers.insert(TIMESTAMP_HEADER, "yesterday".parse().unwrap());
    assert!(matches!(verifier.verify(&headers, BODY), Err(WebhookError::MalformedHeader(TIMESTAMP_HEADER))));

    let tolerance = DEFAULT_TOLERANCE.as_secs() as i64;
    let stale = signed(BODY, "evt_1", now - tolerance - 5);
    assert!(matches!(verifier.verify(&stale, BODY), Err(WebhookError::StaleTimestamp { .. })));
    let future = signed(BODY, "evt_1", now + tolerance + 5);
    assert!(matches!(verifier.verify(&future, BODY), Err(WebhookError::FutureTimestamp { .. })));
    // A wider tolerance accepts the same old delivery; an explicit clock too.
    assert!(verifier.clone().tolerance(Duration::from_secs(3600)).verify(&stale, BODY).is_ok());
    let then = SystemTime::UNIX_EPOCH + Duration::from_secs((now - tolerance - 5) as u64);
    assert!(verifier.verify_at(&stale, BODY, then).is_ok());

    let mut tampered = BODY.to_vec();
    let at = tampered.len() - 3;
    tampered[at] = b'2';
    assert!(matches!(verifier.verify(&good, &tampered), Err(WebhookError::BadSignature)));
    let mut other_id = good.clone();
    other_id.insert(ID_HEADER, "evt_2".parse().unwrap());
    assert!(matches!(verifier.verify(&other_id, BODY), Err(WebhookError::BadSignature)));
    let wrong_key = Verifier::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    assert!(matches!(wrong_key.verify(&good, BODY), Err(WebhookError::BadSignature)));
    let mut unversioned = good.clone();
    let bare = good[SIGNATURE_HEADER].to_str().unwrap().trim_start_matches("v1,").to_owned();
    unversioned.insert(SIGNATURE_HEADER, bare.parse().unwrap());
    assert!(matches!(verifier.verify(&unversioned, BODY), Err(WebhookError::BadSignature)));

    let small = verifier.clone().max_body_bytes(64);
    assert!(matches!(small.verify(&good, BODY), Err(WebhookError::BodyTooLarge { limit: 64 })));

    let not_json = b"{\"id\": \"evt_1\", oops";
    assert!(matches!(verifier.verify(&signed(not_json, "evt_1", now), not_json), Err(WebhookError::MalformedEvent(_))));
    let wrong_data =
        br#"{"id":"evt_1","type":"balance.credited","createdAt":"2026-01-01T00:00:00Z","data":{"balance":"lots"}}"#;
    assert!(matches!(
        verifier.verify(&signed(wrong_data, "evt_1", now), wrong_data),
        Err(WebhookError::MalformedEvent(_))
    ));
    assert!(matches!(verifier.verify(&signed(BODY, "evt_other", now), BODY), Err(WebhookError::IdMismatch)));

    for secret in ["", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!not-base64", "whsec_c2hvcnQ="] {
        assert!(matches!(Verifier::new(secret), Err(WebhookError::MalformedSecret)), "{secret:?}");
    }
}

#[test]
fn the_secret_never_shows_in_debug_or_errors() {
    let verifier = Verifier::new(SECRET).unwrap();
    let key_part = SECRET.trim_start_matches("whsec_");
    let debug = format!("{verifier:?}");
    assert!(!debug.contains(key_part), "{debug}");
    assert!(debug.contains("redacted"));
    let errors = [
        Verifier::new(&format!("{SECRET}!")).unwrap_err(),
        verifier.verify(&HeaderMap::new(), BODY).unwrap_err(),
        verifier.verify(&signed(b"{}", "evt_1", now_secs()), BODY).unwrap_err(),
    ];
    for error in errors {
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(key_part), "{text}");
        }
    }
}

#[tokio::test]
async fn the_sandbox_refuses_endpoints_off_loopback_and_bad_secrets() {
    for url in ["http://example.com/hooks", "http://10.0.0.1/hooks", "https://127.0.0.1/hooks", "ftp://127.0.0.1/"] {
        let error = Sandbox::builder().webhook(url).start().await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{url}");
    }
    let error = Sandbox::builder().webhook_secret("whsec_short").start().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let sandbox = Sandbox::start().await.unwrap();
    assert!(sandbox.add_webhook("http://192.168.1.1/hooks").is_err());
    assert!(sandbox.add_webhook("http://localhost:9/hooks").is_ok());
    assert!(sandbox.webhook_secret().starts_with("whsec_"));
    assert!(Verifier::new(sandbox.webhook_secret()).is_ok(), "the generated secret is valid");
    // Registration over HTTP, checked the same way; a trigger without endpoint is refused.
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}/_sandbox/webhooks", sandbox.base_url()))
        .header("x-api-key", sandbox.api_key())
        .json(&serde_json::json!({ "url": "http://evil.example/hooks" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let unknown = trigger(&sandbox, "invoice.paid").await;
    assert_eq!(unknown.status(), 400);
    assert!(unknown.text().await.unwrap().contains("reservation.expired"), "the error lists the known types");
}
