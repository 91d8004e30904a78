//! Shared helpers: a sandbox plus a small JSON client speaking to it over real HTTP.
//!
//! Numbers are read exactly: [`number`] finds a number in the response text and parses its
//! digits as a `Decimal`, never through a float.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Display;

use credits_sandbox::{Sandbox, SandboxBuilder};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use serde_json::{Value, json};

pub struct Api {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    pub key: String,
}

/// A decimal from its text (plain or with an exponent, as the SDK's `Credits` may write a
/// small value: `1e-12`) or an integer: `d("0.1")`, `d(500)`.
pub fn d(value: impl Display) -> Decimal {
    let text = value.to_string();
    Decimal::from_str_exact(&text).or_else(|_| Decimal::from_scientific(&text)).expect("a decimal literal")
}

/// A UTC time from RFC 3339 text: `at("2025-01-15T10:00:00Z")`.
pub fn at(text: &str) -> credits_sandbox::chrono::DateTime<credits_sandbox::chrono::Utc> {
    credits_sandbox::chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time").to_utc()
}

/// The exact number at a JSON pointer (`/balance`, `/items/0/amount`) of a response text.
/// Panics unless it is a bare JSON number (not a string).
pub fn number(text: &str, pointer: &str) -> Decimal {
    let raw = raw_at(text, pointer).unwrap_or_else(|| panic!("no `{pointer}` in {text}"));
    assert!(
        raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()),
        "`{pointer}` is not a JSON number: {raw} in {text}"
    );
    Decimal::from_str_exact(raw)
        .or_else(|_| Decimal::from_scientific(raw))
        .unwrap_or_else(|e| panic!("`{pointer}` = {raw}: {e}"))
}

/// The raw JSON text at a pointer, walking objects and arrays without parsing numbers.
pub fn raw_at<'a>(text: &'a str, pointer: &str) -> Option<&'a str> {
    let mut current: &'a RawValue = serde_json::from_str(text).ok()?;
    for part in pointer.split('/').skip(1) {
        let inner = current.get();
        current = if inner.starts_with('{') {
            let object: HashMap<String, &'a RawValue> = serde_json::from_str(inner).ok()?;
            object.get(part).copied()?
        } else if inner.starts_with('[') {
            let array: Vec<&'a RawValue> = serde_json::from_str(inner).ok()?;
            array.get(part.parse::<usize>().ok()?).copied()?
        } else {
            return None;
        };
    }
    Some(current.get())
}

impl Api {
    pub async fn start() -> Self {
        Self::with(Sandbox::builder()).await
    }

    pub async fn with(builder: SandboxBuilder) -> Self {
        let sandbox = builder.start().await.expect("sandbox starts");
        let key = sandbox.api_key().to_owned();
        Self { sandbox, http: reqwest::Client::new(), key }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let (status, text) = self.get_text(path, query).await;
        (status, serde_json::from_str(&text).unwrap())
    }

    /// A GET answering the status and the exact response text.
    pub async fn get_text(&self, path: &str, query: &[(&str, &str)]) -> (u16, String) {
        let response = self.http.get(self.url(path)).header("X-API-Key", &self.key).query(query).send().await.unwrap();
        decode_text(response).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.http.post(self.url(path)).header("X-API-Key", &self.key).json(&body).send().await.unwrap();
        decode(response).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<String>) -> (u16, Value) {
        let (status, text) = self.post_text_as(path, content_type, body).await;
        (status, serde_json::from_str(&text).unwrap())
    }

    /// A JSON POST of `body` as given (so numbers keep their exact text), answering the status
    /// and the exact response text.
    pub async fn post_text(&self, path: &str, body: impl Into<String>) -> (u16, String) {
        self.post_text_as(path, "application/json", body).await
    }

    async fn post_text_as(&self, path: &str, content_type: &str, body: impl Into<String>) -> (u16, String) {
        let response = self
            .http
            .post(self.url(path))
            .header("X-API-Key", &self.key)
            .header("Content-Type", content_type)
            .body(body.into())
            .send()
            .await
            .unwrap();
        decode_text(response).await
    }

    /// Creates an account with `credits` and returns its id.
    pub async fn account_with(&self, external_id: &str, credits: impl Display) -> String {
        let (status, body) =
            self.post("/v1/accounts/create", json!({ "name": "Test", "externalId": external_id })).await;
        assert_eq!(status, 200, "{body}");
        let id = body["account"]["id"].as_str().unwrap().to_owned();
        if d(&credits) > Decimal::ZERO {
            let (status, body) = self.add(&id, credits).await;
            assert_eq!(status, 200, "{body}");
        }
        id
    }

    /// Creates an account without an external id and returns its id.
    pub async fn account(&self) -> String {
        let (status, body) = self.post("/v1/accounts/create", json!({ "name": "Anonymous" })).await;
        assert_eq!(status, 200, "{body}");
        body["account"]["id"].as_str().unwrap().to_owned()
    }

    /// `POST /v1/accounts/credits/add` with the amount's exact text.
    pub async fn add(&self, account_id: &str, amount: impl Display) -> (u16, String) {
        self.post_text("/v1/accounts/credits/add", format!(r#"{{"accountId": "{account_id}", "amount": {amount}}}"#))
            .await
    }

    /// `POST /v1/accounts/credits/deduct` with the amount's exact text.
    pub async fn deduct(&self, account_id: &str, amount: impl Display) -> (u16, String) {
        self.post_text("/v1/accounts/credits/deduct", format!(r#"{{"accountId": "{account_id}", "amount": {amount}}}"#))
            .await
    }

    /// `(balance, reserved, available)` of an account, exactly, after checking that they are
    /// JSON numbers with `available = balance - reserved >= 0`.
    pub async fn balance(&self, account_id: &str) -> (Decimal, Decimal, Decimal) {
        let (status, text) = self.get_text("/v1/accounts/balance", &[("accountId", account_id)]).await;
        assert_eq!(status, 200, "{text}");
        let (balance, reserved, available) =
            (number(&text, "/balance"), number(&text, "/reserved"), number(&text, "/available"));
        assert_eq!(available, balance - reserved, "available = balance - reserved: {text}");
        assert!(available >= Decimal::ZERO, "available is never negative: {text}");
        (balance, reserved, available)
    }

    pub async fn reserve(&self, account_id: &str, amount: impl Display) -> String {
        let (status, text) = self
            .post_text("/v1/reservations/create", format!(r#"{{"accountId": "{account_id}", "amount": {amount}}}"#))
            .await;
        assert_eq!(status, 200, "{text}");
        raw_at(&text, "/reservation/id").unwrap().trim_matches('"').to_owned()
    }

    /// Every ledger entry of an account, oldest first, as `(type, amount, balanceAfter)`.
    pub async fn ledger(&self, account_id: &str) -> Vec<(String, Decimal, Decimal)> {
        let mut entries = Vec::new();
        let mut offset = 0;
        loop {
            let offset_text = offset.to_string();
            let (status, text) = self
                .get_text("/v1/transactions", &[("accountId", account_id), ("limit", "100"), ("offset", &offset_text)])
                .await;
            assert_eq!(status, 200, "{text}");
            let page: Value = serde_json::from_str(&text).unwrap();
            let items = page["items"].as_array().unwrap();
            for (i, item) in items.iter().enumerate() {
                entries.push((
                    item["type"].as_str().unwrap().to_owned(),
                    number(&text, &format!("/items/{i}/amount")),
                    number(&text, &format!("/items/{i}/balanceAfter")),
                ));
            }
            offset += items.len();
            if page["pagination"]["hasMore"] != json!(true) {
                break;
            }
        }
        entries.reverse();
        entries
    }

    /// Checks `balance == sum of the ledger` exactly, and that each entry's `balanceAfter`
    /// is the running sum. Returns the balance.
    pub async fn check_ledger(&self, account_id: &str) -> Decimal {
        let (balance, _, _) = self.balance(account_id).await;
        let mut sum = Decimal::ZERO;
        for (kind, amount, after) in self.ledger(account_id).await {
            assert!(amount > Decimal::ZERO, "ledger amounts are positive");
            sum = if kind == "credit" { sum + amount } else { sum - amount };
            assert_eq!(after, sum, "balanceAfter is the running sum");
        }
        assert_eq!(balance, sum, "balance == sum of the ledger");
        balance
    }
}

pub async fn decode(response: reqwest::Response) -> (u16, Value) {
    let (status, text) = decode_text(response).await;
    (status, serde_json::from_str(&text).unwrap())
}

/// The status and text of a response, after checking that it is JSON.
pub async fn decode_text(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = response.text().await.unwrap();
    assert!(content_type.starts_with("application/json"), "status {status}: non-JSON body {text:?}");
    (status, text)
}

/// Asserts the spec's error body and returns its code.
pub fn error_code(status: u16, body: &Value, expected_status: u16, expected_code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["success"], json!(false), "{body}");
    assert_eq!(body["error"]["code"], json!(expected_code), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

/// [`error_code`] for a response text.
pub fn error_text(status: u16, text: &str, expected_status: u16, expected_code: &str) {
    error_code(status, &serde_json::from_str(text).unwrap(), expected_status, expected_code);
}
