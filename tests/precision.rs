//! A response amount with more digits than `Credits` holds is a decode error, never a rounded
//! balance: the SDK decodes through the same exact types as `credits_types`.

mod support;

use credits_sdk::{AccountRef, Credits, CreditsClient, Error};
use support::hostile::{Hostile, Reply};

#[tokio::test]
async fn a_balance_too_precise_to_hold_is_a_decode_error_not_a_rounded_value() {
    // Each was once read as 1, 1 and 9007199254740993.
    for text in
        ["1.00000000000000000000000000001", "0.99999999999999999999999999999", "9007199254740993.00000000000001"]
    {
        for written in [text.to_owned(), format!("{text}e0"), format!("\"{text}\"")] {
            let body = format!(r#"{{"accountId":"a","balance":{written},"reserved":0,"available":{written}}}"#);
            let server = Hostile::always(Reply::json(200, &body)).await;
            let client = CreditsClient::builder().api_key("sk_test_1").base_url(server.url()).build().unwrap();
            match client.get_balance(AccountRef::external("user_1")).await {
                Err(Error::Decode { status, .. }) => assert_eq!(status.map(|s| s.as_u16()), Some(200), "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_balance_of_28_places_decodes_exactly() {
    let body = r#"{"accountId":"a","balance":1.0000000000000000000000000001,"reserved":0,"available":1.0000000000000000000000000001}"#;
    let server = Hostile::always(Reply::json(200, body)).await;
    let client = CreditsClient::builder().api_key("sk_test_1").base_url(server.url()).build().unwrap();
    let balance = client.get_balance(AccountRef::external("user_1")).await.unwrap();
    assert_eq!(balance.available, "1.0000000000000000000000000001".parse::<Credits>().unwrap());
    assert_eq!(balance.available.to_string(), "1.0000000000000000000000000001");
}
