//! The signed trust list: its signature, its checks and its round trip.

use tracecode_core::trust::{KeyStatus, SignedTrustList, TrustListError};
use tracecode_core::vectors::{self, root_public_key};
use tracecode_core::{PublicKey, TrustList};

#[test]
fn signed_list_round_trips_through_json() {
    let signed = vectors::signed_trust_list();
    let json = signed.to_json();
    let read = SignedTrustList::from_json(&json).unwrap();
    assert_eq!(
        read.verify(&[root_public_key()]).unwrap(),
        vectors::trust_list()
    );
}

#[test]
fn only_a_pinned_root_is_trusted() {
    let signed = vectors::signed_trust_list();
    let stranger: PublicKey = PublicKey::new(
        tracecode_core::ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key(),
    )
    .unwrap();
    assert_eq!(signed.verify(&[stranger]), Err(TrustListError::Signature));
    assert!(signed.verify(&[stranger, root_public_key()]).is_ok());
    assert_eq!(signed.verify(&[]), Err(TrustListError::Signature));
}

#[test]
fn any_change_to_the_signed_text_breaks_the_signature() {
    let signed = vectors::signed_trust_list();
    let mut edited = signed.clone();
    edited.list = edited.list.replace("\"version\": 1", "\"version\": 2");
    assert_ne!(edited.list, signed.list);
    assert_eq!(
        edited.verify(&[root_public_key()]),
        Err(TrustListError::Signature)
    );
    let mut edited = signed.clone();
    edited.list = edited.list.replace("lot withdrawn", "lot withdrawm");
    assert_eq!(
        edited.verify(&[root_public_key()]),
        Err(TrustListError::Signature)
    );
    let mut bad = signed;
    bad.signature = "AAAA".into();
    assert_eq!(
        bad.verify(&[root_public_key()]),
        Err(TrustListError::SignatureEncoding)
    );
}

#[test]
fn inconsistent_documents_are_refused_with_the_reason() {
    let base = || vectors::trust_list().into_document();
    let check = |doc| TrustList::new(doc).unwrap_err();

    let mut doc = base();
    doc.version = 0;
    assert_eq!(check(doc), TrustListError::Version);
    let mut doc = base();
    doc.expires_at = doc.issued_at;
    assert_eq!(check(doc), TrustListError::Expiry);
    let mut doc = base();
    doc.format = "other/1".into();
    assert!(matches!(check(doc), TrustListError::Format(_)));
    let mut doc = base();
    doc.keys[1].key_id = doc.keys[0].key_id;
    assert!(matches!(check(doc), TrustListError::DuplicateKeyId(_)));
    let mut doc = base();
    doc.keys[0].brand = " ".into();
    assert!(matches!(check(doc), TrustListError::EmptyBrand(_)));
    let mut doc = base();
    doc.keys[0].gtin_prefixes.clear();
    assert!(matches!(check(doc), TrustListError::NoGtinPrefix(_)));
    let mut doc = base();
    doc.keys[1].valid_until = Some("2022-01-01".parse().unwrap());
    assert!(matches!(check(doc), TrustListError::Window(_)));
    let mut doc = base();
    doc.keys[0].status = KeyStatus::Retired;
    assert!(matches!(check(doc), TrustListError::RetiredWithoutEnd(_)));
}

#[test]
fn json_errors_name_the_field() {
    let json = serde_json::to_string(vectors::trust_list().document()).unwrap();
    let bad = json.replace("\"690123\"", "\"69x\"");
    match TrustList::from_json(&bad) {
        Err(TrustListError::Json(msg)) => assert!(msg.contains("GTIN prefix"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let bad = json.replace("\"brand\"", "\"brandt\"");
    assert!(matches!(
        TrustList::from_json(&bad),
        Err(TrustListError::Json(_))
    ));
    // A weak (small-order) key is refused when the list is read.
    let weak = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // the identity point
    let key = vectors::trust_list().document().keys[0]
        .public_key
        .to_string();
    match TrustList::from_json(&json.replace(&key, weak)) {
        Err(TrustListError::Json(msg)) => assert!(msg.contains("weak"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        TrustList::from_json("[1,2"),
        Err(TrustListError::Json(_))
    ));
    assert!(matches!(
        SignedTrustList::from_json("{}"),
        Err(TrustListError::Json(_))
    ));
}

#[test]
fn key_states_read_as_documented_and_wrong_ones_are_named() {
    let read = |json: &str| serde_json::from_str::<KeyStatus>(json).map_err(|e| e.to_string());
    assert_eq!(read(r#"{"state":"active"}"#), Ok(KeyStatus::Active));
    assert_eq!(read(r#"{"state":"retired"}"#), Ok(KeyStatus::Retired));
    let revoked = r#"{"reason":"leaked","cutoff":"2025-06-01","state":"revoked"}"#;
    let status = read(revoked).expect("revoked");
    assert_eq!(
        status,
        KeyStatus::Revoked {
            cutoff: "2025-06-01".parse().unwrap(),
            reason: "leaked".into()
        }
    );
    assert_eq!(
        serde_json::to_string(&status).unwrap(),
        r#"{"state":"revoked","cutoff":"2025-06-01","reason":"leaked"}"#
    );
    for (json, error) in [
        (
            r#"{"state":"revoked","reason":"x"}"#,
            "missing field `cutoff`",
        ),
        (
            r#"{"state":"active","cutoff":"2025-06-01"}"#,
            "field `cutoff` does not belong to `active`",
        ),
        (
            r#"{"state":"active","since":"2025"}"#,
            "unknown field `since`",
        ),
        (r#"{"state":"lost"}"#, "unknown variant `lost`"),
        (r#"{"cutoff":"2025-06-01"}"#, "missing field `state`"),
        (
            r#"{"state":"revoked","cutoff":"2025-13-01","reason":"x"}"#,
            "2025-13-01",
        ),
    ] {
        let got = read(json).expect_err(json);
        assert!(got.contains(error), "{json}: {got}");
    }
}
