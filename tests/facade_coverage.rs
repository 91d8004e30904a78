//! Every operation of `openapi.yaml` is reachable from the facade: a new endpoint in the spec
//! fails this test until `CreditsClient` wraps it, or it is listed in `BUILDERS_ONLY` with a
//! reason.

use std::collections::BTreeSet;

use credits_sdk::operations::OPERATIONS;

/// Operations deliberately left to the generated builders, with why. Empty today.
const BUILDERS_ONLY: &[(&str, &str)] = &[];

/// Every call of the official TypeScript SDK guide, in Rust case.
const TYPESCRIPT_GUIDE_CALLS: &[&str] = &[
    "list_accounts",
    "get_account",
    "create_account",
    "get_balance",
    "add_credits",
    "deduct_credits",
    "create_reservation",
    "confirm_reservation",
    "cancel_reservation",
    "record_usage",
    "get_usage",
    "get_usage_summary",
    "list_plans",
    "assign_plan_to_account",
    "list_transactions",
    "create_transaction",
];

/// The public methods of `impl CreditsClient` blocks in the crate's sources.
fn facade_methods() -> BTreeSet<String> {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut methods = BTreeSet::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for block in source.split("\nimpl CreditsClient {").skip(1) {
            // The impl block ends at the first line that closes it at column 0.
            let body = block.split("\n}\n").next().unwrap_or(block);
            for line in body.lines() {
                let line = line.trim_start();
                if let Some(rest) = line.strip_prefix("pub async fn ").or_else(|| line.strip_prefix("pub fn ")) {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    methods.insert(name);
                }
            }
        }
    }
    methods
}

#[test]
fn every_operation_of_the_spec_is_wrapped_by_the_facade() {
    let methods = facade_methods();
    let mut missing = Vec::new();
    for op in OPERATIONS {
        if BUILDERS_ONLY.iter().any(|(id, _)| *id == op.operation_id) {
            continue;
        }
        for name in op.facade_methods {
            if !methods.contains(*name) {
                missing.push(format!("{} ({} {}) needs CreditsClient::{name}", op.operation_id, op.method, op.path));
            }
        }
    }
    assert!(missing.is_empty(), "wrap these or list them in BUILDERS_ONLY: {missing:#?}");
    let wrapped: usize = OPERATIONS.iter().map(|op| op.facade_methods.len()).sum();
    assert_eq!(wrapped, 23);
}

#[test]
fn every_call_of_the_typescript_guide_has_a_rust_method() {
    let methods = facade_methods();
    let missing: Vec<_> = TYPESCRIPT_GUIDE_CALLS.iter().filter(|call| !methods.contains(**call)).collect();
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn the_scan_sees_the_facade() {
    // Guards the scan itself: if it found nothing, the tests above would pass vacuously.
    let methods = facade_methods();
    assert!(methods.contains("with_reservation") && methods.contains("stream_transactions"), "{methods:?}");
    assert!(methods.len() >= 25, "{methods:?}");
}
