//! An amount with more digits than the sandbox can hold is refused with a 400, never rounded
//! into a grant: the balance and the ledger do not move.

mod common;

use common::{Api, d, error_text};

/// Once read as `1`, `1` and `9007199254740993` by a rounding parser.
const TOO_PRECISE: [&str; 3] =
    ["1.00000000000000000000000000001", "0.99999999999999999999999999999", "9007199254740993.00000000000001"];

#[tokio::test]
async fn a_grant_too_precise_to_hold_is_refused_and_moves_nothing() {
    let api = Api::start().await;
    let id = api.account_with("precise", 10).await;
    for text in TOO_PRECISE {
        for amount in [text.to_owned(), format!("{text}e0"), format!("\"{text}\"")] {
            let (status, body) = api.add(&id, &amount).await;
            error_text(status, &body, 400, "invalid_request");
            assert_eq!(api.balance(&id).await.0, d(10), "{amount} moved the balance: {body}");
        }
    }
    assert_eq!(api.check_ledger(&id).await, d(10));
    assert_eq!(api.ledger(&id).await.len(), 1, "only the first grant was written");
}

#[tokio::test]
async fn a_deduction_or_hold_too_precise_to_hold_is_refused_and_moves_nothing() {
    let api = Api::start().await;
    let id = api.account_with("precise", 10).await;
    let amount = TOO_PRECISE[0];
    let (status, body) = api.deduct(&id, amount).await;
    error_text(status, &body, 400, "invalid_request");
    let (status, body) =
        api.post_text("/v1/reservations/create", format!(r#"{{"accountId": "{id}", "amount": {amount}}}"#)).await;
    error_text(status, &body, 400, "invalid_request");
    assert_eq!(api.balance(&id).await, (d(10), d(0), d(10)));
    assert_eq!(api.check_ledger(&id).await, d(10));
}
