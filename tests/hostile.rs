//! The client against servers that misbehave on purpose, each started by the test on loopback:
//! redirects to other origins, bodies without end, stalls. Each test checks a promise of the
//! README: the key stays with its origin, memory and time stay bounded, retries follow the
//! operation's safety.

mod support;

use std::time::{Duration, Instant};

use credits_sdk::api::Client;
use credits_sdk::api::{Pipeline, http_client_builder};
use credits_sdk::{AccountRef, AddCredits, ApiKey, CreditsClient, Error, RetryPolicy};
use support::hostile::{Hostile, Reply};

const KEY: &str = "sk_hostile_secret_4242";
const BALANCE: &str = r#"{"accountId":"acc_1","balance":100,"reserved":0,"available":100}"#;

fn client(base_url: &str) -> CreditsClient {
    CreditsClient::builder().api_key(KEY).base_url(base_url).retry(fast()).build().expect("client")
}

/// A client with fast retries and a 300 ms attempt timeout, for servers that stall.
fn quick_client(base_url: &str) -> CreditsClient {
    CreditsClient::builder()
        .api_key(KEY)
        .base_url(base_url)
        .attempt_timeout(Duration::from_millis(300))
        .retry(fast())
        .build()
        .expect("client")
}

fn fast() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(5)).max_backoff(Duration::from_millis(20))
}

fn grant() -> AddCredits {
    AddCredits::new(AccountRef::external("user_1"), 500).description("refund")
}

/// What a call returned, reduced to what the tests compare.
async fn call(client: &CreditsClient, safe: bool) -> credits_sdk::Result<()> {
    if safe {
        client.get_balance(AccountRef::external("user_1")).await.map(drop)
    } else {
        client.add_credits(grant()).await.map(drop)
    }
}

// ----- redirects -----------------------------------------------------------------------------

#[tokio::test]
async fn no_redirect_is_followed_and_the_key_never_reaches_another_origin() {
    let elsewhere = Hostile::always(Reply::json(200, BALANCE)).await;
    for status in [301, 302, 303, 307, 308] {
        for safe in [true, false] {
            // Another port, another name for loopback, and the same origin under another path.
            for target in 0..3 {
                let location = match target {
                    0 => format!("{}/v1/balance", elsewhere.url()),
                    1 => format!("http://localhost:{}/v1/balance", elsewhere.port()),
                    _ => "/v1/elsewhere".to_owned(),
                };
                let api = {
                    let location = location.clone();
                    Hostile::start(move |_, _| Reply::redirect(status, &location)).await
                };
                let outcome = call(&client(&api.url()), safe).await;
                let Err(Error::Api(error)) = outcome else { panic!("{status} to {location}: {outcome:?}") };
                assert_eq!(error.status.as_u16(), status, "{location}");
                assert_eq!(error.location.as_deref(), Some(location.as_str()), "{status}");
                assert!(error.to_string().contains("not followed"), "{error}");
                let received = api.received();
                assert_eq!(received.len(), 1, "one request, no retry, no follow: {status} {location}");
                assert!(received[0].head.contains(KEY), "the key went to its own origin only");
            }
        }
    }
    assert!(elsewhere.received().is_empty(), "the other origin received {:?}", elsewhere.received());
}

#[tokio::test]
async fn the_generated_builders_follow_no_redirect_either() {
    let elsewhere = Hostile::always(Reply::json(200, BALANCE)).await;
    let location = format!("{}/v1/balance", elsewhere.url());
    let api = Hostile::always(Reply::redirect(307, &location)).await;
    let client = Client::new_with_client(
        &api.url(),
        http_client_builder().build().expect("http client"),
        Pipeline::new(ApiKey::new(KEY).expect("key")),
    );
    let outcome = client.get_balance().external_id("user_1").send().await;
    assert_eq!(outcome.err().and_then(|e| e.status()).map(|s| s.as_u16()), Some(307));
    assert!(elsewhere.received().is_empty());
}

#[tokio::test]
async fn a_users_client_that_follows_redirects_cannot_return_another_origins_answer() {
    let elsewhere = Hostile::always(Reply::json(200, BALANCE)).await;
    let location = format!("{}/v1/balance", elsewhere.url());
    let api = Hostile::always(Reply::redirect(302, &location)).await;
    let following = reqwest::Client::new(); // reqwest's default policy follows redirects
    let client = CreditsClient::builder().api_key(KEY).base_url(api.url()).http_client(following).build().unwrap();
    let outcome = client.get_balance(AccountRef::external("user_1")).await;
    assert!(
        matches!(&outcome, Err(Error::Config(message)) if message.contains("another origin")),
        "the other origin's answer is refused: {outcome:?}"
    );
    assert!(!format!("{outcome:?}").contains(KEY));
}

#[tokio::test]
async fn a_pipeline_shared_with_a_client_for_another_base_url_still_checks_the_origin() {
    // The pipeline remembers the base URL of its first request; a clone given to a client for
    // another base URL checks each response against that request's own URL instead.
    use progenitor_client::ClientInfo;
    let elsewhere = Hostile::always(Reply::json(200, BALANCE)).await;
    let first = Hostile::always(Reply::json(200, BALANCE)).await;
    let redirecting = Hostile::always(Reply::redirect(302, &format!("{}/v1/balance", elsewhere.url()))).await;
    let plain = Hostile::always(Reply::json(200, BALANCE)).await;
    let following = reqwest::Client::new(); // reqwest's default policy follows redirects
    let pipeline = Pipeline::new(ApiKey::new(KEY).expect("key"));
    let client = |url: String, pipeline: Pipeline| Client::new_with_client(&url, following.clone(), pipeline);
    let used = client(first.url(), pipeline);
    used.get_balance().external_id("user_1").send().await.expect("the first client's own answer");

    let other = client(redirecting.url(), used.inner().clone());
    let outcome = other.get_balance().external_id("user_1").send().await;
    assert!(
        matches!(&outcome, Err(progenitor_client::Error::Custom(message)) if message.contains("another origin")),
        "the other origin's answer is refused: {outcome:?}"
    );
    assert_eq!(elsewhere.received().len(), 1, "the user's client followed the redirect");
    // And a response from the request's own origin is accepted.
    let third = client(plain.url(), used.inner().clone());
    let balance = third.get_balance().external_id("user_1").send().await.expect("its own origin's answer");
    assert_eq!(balance.account_id, "acc_1");
    assert_eq!(plain.received().len(), 1);
}

// ----- response size -------------------------------------------------------------------------

fn stream(total: Option<u64>, chunked: bool, declared: bool) -> Reply {
    let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n");
    if chunked {
        head.push_str("transfer-encoding: chunked\r\n");
    } else if let (true, Some(total)) = (declared, total) {
        head.push_str(&format!("content-length: {total}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    Reply::Stream { head, total, chunked }
}

#[tokio::test]
async fn a_success_body_beyond_the_limit_is_a_typed_error_with_its_status() {
    const GIB: u64 = 1 << 30;
    let bodies = [
        ("1 GiB, declared", stream(Some(GIB), false, true)),
        ("1 GiB, until close", stream(Some(GIB), false, false)),
        ("endless, chunked", stream(None, true, false)),
    ];
    for (name, reply) in bodies {
        let server = Hostile::always(reply).await;
        let client =
            CreditsClient::builder().api_key(KEY).base_url(server.url()).max_response_bytes(64 * 1024).build().unwrap();
        let outcome = client.get_balance(AccountRef::external("user_1")).await;
        match outcome {
            Err(Error::ResponseTooLarge { status, limit }) => {
                assert_eq!((status.as_u16(), limit), (200, 64 * 1024), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(server.received().len(), 1, "{name}: a body too large is not retried");
    }
}

#[tokio::test]
async fn the_limit_is_exact_and_applies_to_the_builders_too() {
    let padded = |n: usize| format!("{BALANCE}{}", " ".repeat(n - BALANCE.len()));
    let (fits, over) = (padded(1024), padded(1025));
    let server = Hostile::start(move |n, _| Reply::json(200, if n == 0 { &fits } else { &over })).await;
    let client = CreditsClient::builder().api_key(KEY).base_url(server.url()).max_response_bytes(1024).build().unwrap();
    assert_eq!(client.get_balance(AccountRef::external("u")).await.expect("1024 bytes fit").available, 100);
    assert!(matches!(client.get_balance(AccountRef::external("u")).await, Err(Error::ResponseTooLarge { .. })));

    let builders = Client::new_with_client(
        &server.url(),
        http_client_builder().build().unwrap(),
        Pipeline::new(ApiKey::new(KEY).unwrap()).with_max_response_bytes(1024),
    );
    let outcome = builders.get_balance().external_id("u").send().await;
    assert!(
        matches!(&outcome, Err(progenitor_client::Error::Custom(m)) if m.contains("larger than the limit of 1024 bytes")),
        "{:?}",
        outcome.map(|r| r.into_inner())
    );
}

/// `body` as a chunked response, in chunks of `size` bytes.
fn in_chunks(body: &str, size: usize) -> Reply {
    let mut raw =
        String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
    for chunk in body.as_bytes().chunks(size) {
        raw.push_str(&format!("{:x}\r\n{}\r\n", chunk.len(), String::from_utf8_lossy(chunk)));
    }
    raw.push_str("0\r\n\r\n");
    Reply::Raw(raw.into_bytes())
}

#[tokio::test]
async fn a_body_in_many_chunks_is_read_whole_and_the_limit_counts_every_chunk() {
    // The pipeline keeps a one-chunk body as it came and joins several: both must decode the
    // same, exactly, and a body over the limit by one byte is refused however it is cut.
    let exact = r#"{"accountId":"acc_1","balance":100.123456789012,"reserved":0.5,"available":99.623456789012}"#;
    let padded = |n: usize| format!("{exact}{}", " ".repeat(n - exact.len()));
    for size in [1, 2, 7, 64, 1024] {
        let (fits, over) = (padded(1024), padded(1025));
        let server =
            Hostile::start(move |n, _| if n == 0 { in_chunks(&fits, size) } else { in_chunks(&over, size) }).await;
        let client =
            CreditsClient::builder().api_key(KEY).base_url(server.url()).max_response_bytes(1024).build().unwrap();
        let balance = client.get_balance(AccountRef::external("u")).await.expect("1024 bytes in chunks fit");
        assert_eq!(balance.balance.to_string(), "100.123456789012", "chunks of {size}");
        assert_eq!(balance.available.to_string(), "99.623456789012", "chunks of {size}");
        let outcome = client.get_balance(AccountRef::external("u")).await;
        assert!(matches!(outcome, Err(Error::ResponseTooLarge { limit: 1024, .. })), "chunks of {size}: {outcome:?}");
    }
}

#[tokio::test]
async fn an_endless_error_body_is_cut_and_keeps_its_status() {
    let head = String::from("HTTP/1.1 402 Payment Required\r\ntransfer-encoding: chunked\r\n\r\n");
    let server = Hostile::always(Reply::Stream { head, total: None, chunked: true }).await;
    let outcome = call(&client(&server.url()), false).await;
    let Err(Error::Api(error)) = outcome else { panic!("{outcome:?}") };
    assert_eq!(error.status.as_u16(), 402);
    assert!(error.body.len() <= credits_sdk::BODY_EXCERPT_LIMIT + 4);
}

// ----- time ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_stalled_server_cannot_stretch_a_call_beyond_the_default_budget() {
    // Default settings: 10 s per attempt, 3 attempts, the whole call within 30 s.
    let server = Hostile::always(Reply::Stall).await;
    let client = CreditsClient::builder().api_key(KEY).base_url(server.url()).build().unwrap();
    let started = Instant::now();
    let outcome = client.get_balance(AccountRef::external("user_1")).await;
    let elapsed = started.elapsed();
    assert!(matches!(&outcome, Err(Error::Transport(e)) if e.is_timeout()), "{outcome:?}");
    assert_eq!(server.received().len(), 3, "a safe read is tried three times");
    assert!(elapsed <= Duration::from_millis(30_250), "the call took {elapsed:?}, over its 30 s budget");
    assert!(elapsed >= Duration::from_secs(29), "the budget is used, not cut short: {elapsed:?}");
    eprintln!("stalled server, default settings: the call ended after {elapsed:?}");
}

#[tokio::test]
async fn the_budget_cuts_the_attempt_in_flight() {
    let server = Hostile::always(Reply::Stall).await;
    let client = CreditsClient::builder()
        .api_key(KEY)
        .base_url(server.url())
        .attempt_timeout(Duration::from_secs(20))
        .retry(RetryPolicy::default().max_elapsed(Duration::from_millis(800)))
        .build()
        .unwrap();
    let started = Instant::now();
    let outcome = client.get_balance(AccountRef::external("user_1")).await;
    let elapsed = started.elapsed();
    assert!(outcome.is_err());
    assert!(elapsed < Duration::from_millis(1_000), "a 20 s attempt inside an 0.8 s budget took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(790), "{elapsed:?}");
}

#[tokio::test]
async fn an_unsafe_write_to_a_stalled_server_is_sent_once() {
    let server = Hostile::always(Reply::Stall).await;
    let client = quick_client(&server.url());
    assert!(client.add_credits(grant()).await.is_err());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.received().len(), 1);
}

/// A head announcing 100 bytes of body, then 10 of them, then nothing.
fn half_a_body() -> Reply {
    let mut bytes = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n".to_vec();
    bytes.extend_from_slice(br#"{"accountI"#);
    Reply::PartialThenStall(bytes)
}

#[tokio::test]
async fn a_safe_call_whose_body_stalls_is_retried_and_an_unsafe_one_is_not() {
    let server = Hostile::start(|n, _| if n == 0 { half_a_body() } else { Reply::json(200, BALANCE) }).await;
    let client = quick_client(&server.url());
    let balance = client.get_balance(AccountRef::external("user_1")).await.expect("the retry gets the whole body");
    assert_eq!(balance.available, 100);
    assert_eq!(server.received().len(), 2);

    let server = Hostile::always(half_a_body()).await;
    let client = quick_client(&server.url());
    let outcome = client.add_credits(grant()).await;
    assert!(matches!(&outcome, Err(Error::Transport(e)) if e.is_timeout()), "{outcome:?}");
    assert!(outcome.as_ref().is_err_and(Error::maybe_applied), "it may have landed: look before retrying");
    assert!(!outcome.as_ref().is_err_and(Error::is_retryable), "a grant that may have landed is not retryable");
    assert_eq!(server.received().len(), 1, "a grant whose answer stalled may have landed: never resent");

    let server = Hostile::always(half_a_body()).await;
    let client = quick_client(&server.url());
    assert!(client.get_balance(AccountRef::external("user_1")).await.is_err());
    assert_eq!(server.received().len(), 3, "a safe read whose body never completes uses its three attempts");
}
