//! Every operation of `openapi.yaml` is reachable from the facade, and every call of the
//! TypeScript SDK guide has a Rust method. The operation table comes from the spec (through
//! `build.rs`); the method list is checked by the compiler: [`facade_calls`] calls each
//! method it names, so a name that is not a method of [`CreditsClient`] does not compile.

use crate::client::CreditsClient;
use crate::pipeline::operations::OPERATIONS;
use crate::requests::AccountRef;
use crate::resources::{
    accounts::CreateAccount, credits::AddCredits, credits::DeductCredits, models::CalculateCost, models::ListModels,
    plans::AssignPlan, plans::CreatePlan, reservations::CreateReservation, reservations::ListReservations,
    transactions::CreateTransaction, transactions::ListTransactions, usage::GetUsage, usage::RecordUsage,
};

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

/// Lists the facade methods it calls, and calls each one (in a function that never runs), so
/// that the list cannot name a method that does not exist.
macro_rules! facade_calls {
    ($client:ident; $($method:ident($($arg:expr),*)),+ $(,)?) => {
        const FACADE: &[&str] = &[$(stringify!($method)),+];

        #[allow(dead_code, clippy::let_underscore_future)]
        fn facade_calls($client: &CreditsClient) {
            $( let _ = $client.$method($($arg),*); )+
        }
    };
}

fn account() -> AccountRef {
    AccountRef::external("user_1")
}

facade_calls! { client;
    list_accounts(),
    get_account(account()),
    create_account(CreateAccount::new("n")),
    get_balance(account()),
    get_account_plans(account()),
    add_credits(AddCredits::new(account(), 1)),
    deduct_credits(DeductCredits::new(account(), 1)),
    create_reservation(CreateReservation::new(account(), 1)),
    list_reservations(ListReservations::new(account())),
    confirm_reservation("res_1", 1),
    cancel_reservation("res_1"),
    record_usage(RecordUsage::system("m")),
    get_usage(GetUsage::new()),
    get_usage_summary(GetUsage::new()),
    list_plans(),
    create_plan(CreatePlan::new("p", 1, crate::resources::plans::PlanInterval::Month)),
    archive_plan("plan_1"),
    assign_plan_to_account(AssignPlan::new(account(), "plan_1")),
    list_transactions(ListTransactions::new()),
    stream_transactions(ListTransactions::new()),
    create_transaction(CreateTransaction::credit(account(), 1)),
    list_models(ListModels::new()),
    get_model("m"),
    calculate_cost(CalculateCost::new("m")),
}

#[test]
fn every_operation_of_the_spec_is_wrapped_by_the_facade() {
    let mut missing = Vec::new();
    for op in OPERATIONS {
        if BUILDERS_ONLY.iter().any(|(id, _)| *id == op.operation_id) {
            continue;
        }
        for name in op.facade_methods {
            if !FACADE.contains(name) {
                missing.push(format!("{} ({} {}) needs CreditsClient::{name}", op.operation_id, op.method, op.path));
            }
        }
    }
    assert!(missing.is_empty(), "wrap these or list them in BUILDERS_ONLY: {missing:#?}");
}

#[test]
fn every_call_of_the_typescript_guide_has_a_rust_method() {
    let missing: Vec<_> = TYPESCRIPT_GUIDE_CALLS.iter().filter(|call| !FACADE.contains(call)).collect();
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn the_operation_table_is_the_spec() {
    // Counted from the spec itself, so adding an operation needs no count updated by hand.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut operations = 0;
    let mut wrapped = 0;
    for (_, item) in spec["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            operations += 1;
            wrapped += op.get("x-credits-facade").and_then(|v| v.as_sequence()).map_or(1, Vec::len);
        }
    }
    assert_eq!(OPERATIONS.len(), operations, "one table entry per method and path");
    assert_eq!(OPERATIONS.iter().map(|op| op.facade_methods.len()).sum::<usize>(), wrapped);
}
