//! The sandbox's web surface: `/_sandbox/projects` never shows a key in full, whatever its
//! length, and every `/_sandbox` answer (the page and the JSON) carries the security headers
//! that keep the page from running anything but its own code or being framed.

mod common;

use common::Api;
use credits_sandbox::Sandbox;
use serde_json::Value;

/// Keys of 1, 5, 13 (the README's), 14 and 40 characters.
const KEYS: [&str; 5] = ["Q", "Zq9xW", "sk_test_local", "sk_live_Ab3dE6", "sk_sandbox_Hf7Kq2Lm9Xv4Tn8Rw3Yb6Jc1Pd5Gs0E"];

/// The part of a key that is its kind by convention, not a secret.
fn public_prefix(key: &str) -> &str {
    ["sk_sandbox_", "sk_test_", "sk_live_"].into_iter().find(|p| key.starts_with(p)).unwrap_or("")
}

#[tokio::test]
async fn keys_are_masked_whatever_their_length() {
    let mut builder = Sandbox::builder();
    for key in KEYS {
        builder = builder.api_key(key);
    }
    let api = Api::with(builder).await;
    let response = api.http.get(api.url("/_sandbox/projects")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let list: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), KEYS.len(), "{body}");
    let mut sorted = KEYS;
    sorted.sort();
    for (entry, key) in list.iter().zip(sorted) {
        let shown = entry["key"].as_str().unwrap();
        assert_ne!(shown, key, "{key} is shown in full");
        assert!(shown.contains('…'), "{shown}: no sign that it is masked");
        let secret = &key[public_prefix(key).len()..];
        assert!(!body.contains(secret), "{key}: its secret part {secret} is in {body}");
        // No 6 characters of the secret in a row; of a shorter one, not even the whole.
        let window = secret.len().min(6);
        for start in 0..=secret.len() - window {
            let piece = &secret[start..start + window];
            assert!(!body.contains(piece), "{key}: {piece} is in {body}");
        }
        let revealed = shown.chars().count() - 1 - public_prefix(key).len();
        assert!(revealed <= 2, "{shown}: more than 2 characters of {key}'s secret");
    }
}

#[tokio::test]
async fn every_sandbox_answer_carries_the_security_headers() {
    let api = Api::start().await;
    let pages = ["/_sandbox/", "/_sandbox", "/_sandbox/view?project=0", "/_sandbox/projects", "/_sandbox/stats"];
    let others = ["/_sandbox/clock", "/_sandbox/state", "/_sandbox/view?project=9", "/_sandbox/nothing-here", "/"];
    for path in pages.into_iter().chain(others) {
        let response = api.http.get(api.url(path)).send().await.unwrap();
        check_headers(path, response.status().as_u16(), response.headers());
    }
    // A JSON answer to a POST and to a method not allowed.
    let response = api.http.delete(api.url("/_sandbox/faults")).send().await.unwrap();
    check_headers("DELETE /_sandbox/faults", response.status().as_u16(), response.headers());
    let response = api.http.post(api.url("/_sandbox/stats")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    check_headers("POST /_sandbox/stats", 405, response.headers());
}

fn check_headers(path: &str, status: u16, headers: &reqwest::header::HeaderMap) {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path} ({status})");
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path} ({status})");
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"), "{path} ({status})");
    let policy = header("content-security-policy").unwrap_or_else(|| panic!("{path} ({status}): no CSP"));
    assert!(policy.starts_with("default-src 'none';"), "{path}: {policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
    assert!(!policy.contains("unsafe") && !policy.contains('*'), "{path}: {policy}");
}

#[tokio::test]
async fn the_policy_lets_the_page_run_only_its_own_inline_code_and_fetch_only_the_sandbox() {
    let api = Api::start().await;
    let response = api.http.get(api.url("/_sandbox/")).send().await.unwrap();
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let html = response.text().await.unwrap();
    let directive = |name: &str| {
        policy
            .split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(name).map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>()))
            .unwrap_or_else(|| panic!("no {name} in {policy}"))
    };
    // One hash per inline block (their values are checked against the page by the unit test
    // and, in Chromium, by scripts/browser-check.sh).
    for (name, tag) in [("script-src", "<script"), ("style-src", "<style")] {
        let sources = directive(name);
        assert_eq!(sources.len(), html.matches(tag).count(), "{name}: {sources:?}");
        assert!(sources.iter().all(|s| s.starts_with("'sha256-") && s.ends_with("='")), "{name}: {sources:?}");
    }
    assert_eq!(directive("connect-src"), ["'self'"]);
    assert_eq!(directive("default-src"), ["'none'"]);
    assert!(
        html.contains("fetch(\"/_sandbox/view") && html.contains("fetch(\"/_sandbox/projects"),
        "same-origin fetches"
    );
}
