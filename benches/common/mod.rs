//! What the benchmarks share: a sandbox, the three clients under comparison, and the
//! hand-written baseline calls.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use credits_sandbox::Sandbox;
use credits_sdk::api::Client;
use credits_sdk::api::Pipeline;
use credits_sdk::{AccountRef, AddCredits, ApiKey, CreateAccount, CreditsClient};
use credits_sdk::{DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_USER_AGENT};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The connect timeout every client uses, so connection settings are identical.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The reqwest client the SDK builds for itself, rebuilt with the same settings for the
/// baseline and the generated client.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).tcp_nodelay(true).build().expect("reqwest client")
}

/// The three ways of calling the API that are compared.
#[derive(Clone)]
pub struct Clients {
    pub facade: CreditsClient,
    pub builders: Client,
    pub baseline: Baseline,
}

impl Clients {
    pub fn new(sandbox: &Sandbox) -> Clients {
        Clients::for_url(sandbox.base_url(), sandbox.api_key())
    }

    /// The three clients for a server at `base_url` (another process's sandbox) with `key`.
    pub fn for_url(base_url: &str, key: &str) -> Clients {
        let facade = CreditsClient::builder().api_key(key).base_url(base_url).build().expect("facade");
        let builders = Client::new_with_client(base_url, http_client(), Pipeline::new(ApiKey::new(key).expect("key")));
        let baseline = Baseline { http: http_client(), base_url: base_url.to_owned(), key: key.to_owned() };
        Clients { facade, builders, baseline }
    }
}

/// An account with plenty of credits, for benchmarks that spend.
pub async fn rich_account(client: &CreditsClient) -> String {
    let created = client.create_account(CreateAccount::new("Bench")).await.expect("create account").account;
    client.add_credits(AddCredits::new(AccountRef::id(&created.id), 1_000_000_000)).await.expect("fund");
    created.id
}

/// Hand-written calls with reqwest and serde_json: what a user would write without the SDK.
#[derive(Clone)]
pub struct Baseline {
    pub http: reqwest::Client,
    pub base_url: String,
    pub key: String,
}

// The baseline decodes the same fields the SDK's types hold, as a user who needs the whole
// answer would write them; `reserve_and_confirm_ids_only` reads just the ids, for reference.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    pub account_id: String,
    pub external_id: Option<String>,
    pub balance: f64,
    pub reserved: f64,
    pub available: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub id: String,
    pub account_id: Option<String>,
    pub amount: f64,
    pub status: String,
    pub actual_amount: Option<f64>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Deserialize)]
struct Created {
    reservation: Reservation,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirmed {
    pub success: Option<bool>,
    pub reservation_id: String,
    pub transaction_id: String,
    pub account_id: Option<String>,
    pub actual_amount: Option<f64>,
    pub released_amount: Option<f64>,
    pub balance: Option<f64>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
struct CreatedIdOnly {
    reservation: IdOnly,
}

#[derive(Deserialize)]
struct ConfirmedIdOnly {
    #[serde(rename = "transactionId")]
    transaction_id: String,
}

impl Baseline {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base_url))
            .header("x-api-key", &self.key)
            .header("user-agent", DEFAULT_USER_AGENT)
            .timeout(DEFAULT_ATTEMPT_TIMEOUT)
    }

    fn post(&self, path: &str, body: serde_json::Value) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base_url))
            .header("x-api-key", &self.key)
            .header("user-agent", DEFAULT_USER_AGENT)
            .header("content-type", "application/json")
            .timeout(DEFAULT_ATTEMPT_TIMEOUT)
            .body(serde_json::to_vec(&body).expect("json"))
    }

    pub async fn get_balance(&self, account_id: &str) -> Balance {
        let response = self.get("/v1/accounts/balance").query(&[("accountId", account_id)]).send().await.expect("send");
        assert!(response.status().is_success(), "{}", response.status());
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("decode")
    }

    async fn send_json<T: serde::de::DeserializeOwned>(&self, path: &str, body: serde_json::Value) -> T {
        let response = self.post(path, body).send().await.expect("send");
        assert!(response.status().is_success(), "{}", response.status());
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("decode")
    }

    pub async fn reserve_and_confirm(&self, account_id: &str) -> Confirmed {
        let create = serde_json::json!({ "accountId": account_id, "amount": 10 });
        let created: Created = self.send_json("/v1/reservations/create", create).await;
        let confirm = serde_json::json!({ "reservationId": created.reservation.id, "actualAmount": 7 });
        self.send_json("/v1/reservations/confirm", confirm).await
    }

    pub async fn reserve_and_confirm_ids_only(&self, account_id: &str) -> String {
        let create = serde_json::json!({ "accountId": account_id, "amount": 10 });
        let created: CreatedIdOnly = self.send_json("/v1/reservations/create", create).await;
        let confirm = serde_json::json!({ "reservationId": created.reservation.id, "actualAmount": 7 });
        let confirmed: ConfirmedIdOnly = self.send_json("/v1/reservations/confirm", confirm).await;
        confirmed.transaction_id
    }
}

/// The calls the per-call benchmarks compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    GetBalance,
    ReserveConfirm,
}

/// The ways of making a call: 0 hand-written, 1 builders, 2 facade, 3 hand-written reading
/// only the ids (reserve + confirm only).
pub const HAND: usize = 0;
pub const BUILDERS: usize = 1;
pub const FACADE: usize = 2;
pub const HAND_IDS_ONLY: usize = 3;

impl Clients {
    /// Makes `operation` once the `variant` way; `false` when that way does not apply.
    pub async fn call_once(&self, operation: Operation, variant: usize, account_id: &str) -> bool {
        match (operation, variant) {
            (Operation::GetBalance, HAND) => drop(self.baseline.get_balance(account_id).await),
            (Operation::GetBalance, BUILDERS) => {
                drop(self.builders.get_balance().account_id(account_id).send().await.expect("balance"))
            }
            (Operation::GetBalance, FACADE) => {
                drop(self.facade.get_balance(AccountRef::id(account_id)).await.expect("balance"))
            }
            // Reading the balance has no "ids only" form: the baseline reads four numbers.
            (Operation::GetBalance, _) => return false,
            (Operation::ReserveConfirm, HAND) => drop(self.baseline.reserve_and_confirm(account_id).await),
            (Operation::ReserveConfirm, BUILDERS) => {
                drop(builders_reserve_and_confirm(&self.builders, account_id).await)
            }
            (Operation::ReserveConfirm, FACADE) => drop(facade_reserve_and_confirm(&self.facade, account_id).await),
            (Operation::ReserveConfirm, _) => drop(self.baseline.reserve_and_confirm_ids_only(account_id).await),
        }
        true
    }
}

/// The facade's reserve + confirm pair.
pub async fn facade_reserve_and_confirm(client: &CreditsClient, account_id: &str) -> String {
    let reservation = client
        .create_reservation(credits_sdk::CreateReservation::new(AccountRef::id(account_id), 10))
        .await
        .expect("reserve")
        .reservation;
    client.confirm_reservation(&reservation.id, 7).await.expect("confirm").transaction_id
}

/// The generated builders' reserve + confirm pair.
pub async fn builders_reserve_and_confirm(client: &Client, account_id: &str) -> String {
    let reserve = credits_sdk::Amount::try_from(10).expect("amount");
    let actual = credits_sdk::Amount::try_from(7).expect("amount");
    let reservation = client
        .create_reservation()
        .body_map(|b| b.account_id(Some(account_id.to_owned())).amount(reserve))
        .send()
        .await
        .expect("reserve")
        .into_inner()
        .reservation;
    client
        .confirm_reservation()
        .body_map(|b| b.reservation_id(reservation.id).actual_amount(actual))
        .send()
        .await
        .expect("confirm")
        .into_inner()
        .transaction_id
}

/// Runs `pairs` calls of `one_pair` spread over `tasks` concurrent tasks; returns the wall time.
pub async fn run_concurrently<F, Fut>(tasks: usize, pairs: usize, one_pair: F) -> Duration
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let one_pair = Arc::new(one_pair);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let one_pair = one_pair.clone();
            let share = pairs / tasks + usize::from(task < pairs % tasks);
            tokio::spawn(async move {
                for _ in 0..share {
                    one_pair(task).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task");
    }
    started.elapsed()
}

/// A keep-alive HTTP/1.1 connection that writes pre-built requests and reads responses by
/// `content-length`: the least a client can do, so its throughput approaches the server's.
pub struct RawConnection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl RawConnection {
    pub async fn open(address: std::net::SocketAddr) -> RawConnection {
        let stream = TcpStream::connect(address).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawConnection { stream, buffer: Vec::with_capacity(4096) }
    }

    pub async fn post(&mut self, path: &str, key: &str, body: &str) -> &[u8] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: sandbox\r\nx-api-key: {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await.expect("write");
        self.buffer.clear();
        loop {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buffer.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).expect("head");
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().expect("length"))
                    })
                    .expect("content-length");
                if self.buffer.len() >= end + 4 + length {
                    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                    return &self.buffer[end + 4..end + 4 + length];
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The reservation id in a create response, found without a JSON parser.
pub fn reservation_id(body: &[u8]) -> String {
    let text = std::str::from_utf8(body).expect("utf8");
    let start = text.find("\"id\":\"").expect("id") + 6;
    text[start..start + text[start..].find('"').expect("end")].to_owned()
}
