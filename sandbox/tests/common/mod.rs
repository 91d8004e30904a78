//! Shared helpers: a sandbox plus a small JSON client speaking to it over real HTTP.
#![allow(dead_code)]

use credits_sandbox::{Sandbox, SandboxBuilder};
use serde_json::{Value, json};

pub struct Api {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    pub key: String,
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
        let response = self.http.get(self.url(path)).header("X-API-Key", &self.key).query(query).send().await.unwrap();
        decode(response).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.http.post(self.url(path)).header("X-API-Key", &self.key).json(&body).send().await.unwrap();
        decode(response).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: &'static str) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .header("X-API-Key", &self.key)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        decode(response).await
    }

    /// Creates an account with `credits` and returns its id.
    pub async fn account_with(&self, external_id: &str, credits: f64) -> String {
        let (status, body) =
            self.post("/v1/accounts/create", json!({ "name": "Test", "externalId": external_id })).await;
        assert_eq!(status, 200, "{body}");
        let id = body["account"]["id"].as_str().unwrap().to_owned();
        if credits > 0.0 {
            let (status, body) =
                self.post("/v1/accounts/credits/add", json!({ "accountId": id, "amount": credits })).await;
            assert_eq!(status, 200, "{body}");
        }
        id
    }

    /// `(balance, reserved, available)` of an account.
    pub async fn balance(&self, account_id: &str) -> (f64, f64, f64) {
        let (status, body) = self.get("/v1/accounts/balance", &[("accountId", account_id)]).await;
        assert_eq!(status, 200, "{body}");
        let n = |k: &str| body[k].as_f64().unwrap();
        assert_eq!(n("available"), n("balance") - n("reserved"), "available = balance - reserved");
        assert!(n("available") >= 0.0, "available is never negative");
        (n("balance"), n("reserved"), n("available"))
    }

    pub async fn reserve(&self, account_id: &str, amount: f64) -> String {
        let (status, body) =
            self.post("/v1/reservations/create", json!({ "accountId": account_id, "amount": amount })).await;
        assert_eq!(status, 200, "{body}");
        body["reservation"]["id"].as_str().unwrap().to_owned()
    }
}

pub async fn decode(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = response.text().await.unwrap();
    assert!(content_type.starts_with("application/json"), "status {status}: non-JSON body {text:?}");
    (status, serde_json::from_str(&text).unwrap())
}

/// Asserts the spec's error body and returns its code.
pub fn error_code(status: u16, body: &Value, expected_status: u16, expected_code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["success"], json!(false), "{body}");
    assert_eq!(body["error"]["code"], json!(expected_code), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}
