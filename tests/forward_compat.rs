//! Old clients keep working when the server grows: unknown fields are ignored, values of open
//! sets the spec does not list yet decode as `Unknown`, and fields the documented examples
//! sometimes omit or set to `null` are optional.

mod support;

use credits_sdk::api::types;
use credits_sdk::{ModelType, ReservationStatus, TransactionType, UsageContext, UsageType};
use support::capture::Capture;

#[tokio::test]
async fn a_reservation_with_a_new_status_and_new_fields_still_decodes() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "reservations": [{"id": "res_1", "accountId": "acc_1", "amount": 100, "status": "on_hold",
            "priority": "high", "holds": [1, 2], "createdAt": "2024-01-15T10:00:00.123Z", "expiresAt": null, "metadata": null}],
            "nextCursor": "abc"}"#,
    );
    let listed = capture.client().list_reservations().account_id("acc_1").send().await.unwrap().into_inner();
    let reservation = &listed.reservations[0];
    assert_eq!(reservation.status, ReservationStatus::Unknown("on_hold".into()));
    assert!(reservation.status.is_unknown());
    assert_eq!(reservation.expires_at, None);
    assert_eq!(reservation.metadata, None);
}

#[tokio::test]
async fn a_transaction_of_a_new_type_decodes_and_round_trips() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"items": [{"id": "txn_1", "type": "plan_grant", "amount": 10000, "balanceAfter": 10000.5, "ledger": "main"}],
            "pagination": {"limit": 50, "offset": 0, "totalCount": 1, "hasMore": false, "cursor": null}}"#,
    );
    let page = capture.client().list_transactions().send().await.unwrap().into_inner();
    let transaction = &page.items[0];
    assert_eq!(transaction.type_, TransactionType::Unknown("plan_grant".into()));
    assert_eq!(transaction.balance_after, Some("10000.5".parse().unwrap()));
    let back = serde_json::to_value(transaction).unwrap();
    assert_eq!(back["type"], "plan_grant", "an unknown value is sent back unchanged");
}

#[tokio::test]
async fn models_of_new_types_and_new_pricing_keys_decode() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "models": [{"modelId": "sora", "modelType": "video", "pricing": {"video": {"perSecond": 0.1}}},
            {"modelId": "gpt-4o", "modelType": "multimodal"}]}"#,
    );
    let models = capture.client().list_models().send().await.unwrap().into_inner();
    assert_eq!(models.models[0].model_type, Some(ModelType::Unknown("video".into())));
    assert_eq!(models.models[1].model_type, Some(ModelType::Multimodal));
}

#[tokio::test]
async fn usage_records_with_new_usage_types_and_contexts_decode() {
    let capture = Capture::start().await;
    capture.reply(
        200,
        r#"{"success": true, "usageRecords": [{"id": "usage_1", "context": "partner", "usageType": "image", "modelId": "dall-e-3",
            "images": 2}]}"#,
    );
    let usage = capture.client().get_usage().send().await.unwrap().into_inner();
    assert_eq!(usage.usage_records[0].context, Some(UsageContext::Unknown("partner".into())));
    assert_eq!(usage.usage_records[0].usage_type, Some(UsageType::Unknown("image".into())));
}

#[test]
fn documented_examples_with_omitted_and_null_fields_decode() {
    // The create-account example echoes `metadata: null`; the create-reservation example has
    // no `createdAt`; the single-model example has no `modelType` or `tier`.
    let account: types::Account =
        serde_json::from_str(r#"{"id": "acc_1", "balance": 0, "metadata": null, "externalId": null}"#).unwrap();
    assert_eq!(account.metadata, None);
    let reservation: types::Reservation = serde_json::from_str(
        r#"{"id": "res_1", "amount": 100, "status": "pending", "expiresAt": "2024-01-15T10:05:00Z"}"#,
    )
    .unwrap();
    assert_eq!(reservation.created_at, None);
    let model: types::Model = serde_json::from_str(r#"{"modelId": "gpt-4o"}"#).unwrap();
    assert_eq!(model.tier, None);
}

#[test]
fn known_values_keep_their_wire_spelling() {
    for status in ReservationStatus::KNOWN {
        let wire = serde_json::to_string(status).unwrap();
        assert_eq!(&serde_json::from_str::<ReservationStatus>(&wire).unwrap(), status);
        assert!(!status.is_unknown());
    }
    assert_eq!(serde_json::to_string(&UsageType::AudioStt).unwrap(), r#""audio_stt""#);
    assert_eq!("cancelled".parse::<ReservationStatus>().unwrap(), ReservationStatus::Cancelled);
}
