//! Verdicts against the demo trust list, beyond the documented vectors.

use time::macros::datetime;
use time::Duration;
use tracecode_core::trust::{KeyStatus, TrustListDocument};
use tracecode_core::vectors::{self, ISSUER_1_SEED, NOW};
use tracecode_core::verify::{Rejection, Revocation, TrustListAge, UnknownIssuerReason};
use tracecode_core::{verdict_of, verify, verify_text, Code, TrustList, Verdict};

fn genuine() -> Code {
    Code::parse(&vectors::vectors()[0].text).expect("the genuine vector parses")
}

fn edited(edit: impl FnOnce(&mut TrustListDocument)) -> TrustList {
    let mut doc = vectors::trust_list().into_document();
    edit(&mut doc);
    TrustList::new(doc).expect("a consistent edit")
}

#[test]
fn every_vector_gets_its_verdict() {
    let trust = vectors::trust_list();
    for v in vectors::vectors() {
        let outcome = verify_text(&v.text, &trust, NOW);
        assert_eq!(
            verdict_of(&outcome),
            v.expected,
            "{}: {:?}",
            v.name,
            outcome
        );
    }
}

#[test]
fn a_verified_code_carries_the_brand_and_list_state() {
    let verified = verify(&genuine(), &vectors::trust_list(), NOW).unwrap();
    assert_eq!(verified.brand(), "Demo Dairy Co.");
    assert_eq!(verified.trust_list_version(), 1);
    assert_eq!(verified.trust_list_age(), TrustListAge::Current);

    let later = datetime!(2028-01-01 00:00 UTC);
    let verified = verify(&genuine(), &vectors::trust_list(), later).unwrap();
    assert!(matches!(
        verified.trust_list_age(),
        TrustListAge::Expired { .. }
    ));
    // A list issued after the device's clock: the clock is probably behind.
    let trust = edited(|doc| doc.issued_at = datetime!(2026-11-10 00:00 UTC));
    let verified = verify(&genuine(), &trust, datetime!(2026-11-05 00:00 UTC)).unwrap();
    assert!(matches!(
        verified.trust_list_age(),
        TrustListAge::FromTheFuture { .. }
    ));
}

#[test]
fn a_key_may_sign_only_its_gtin_prefixes() {
    let trust = edited(|doc| doc.keys[0].gtin_prefixes = vec!["692".parse().unwrap()]);
    assert_eq!(
        verify(&genuine(), &trust, NOW),
        Err(Rejection::UnknownIssuer {
            key_id: genuine().data.key_id,
            reason: UnknownIssuerReason::GtinNotAllowed
        })
    );
}

#[test]
fn a_production_day_after_tomorrow_is_outside_the_window() {
    let code = genuine();
    let key = tracecode_core::ed25519_dalek::SigningKey::from_bytes(&ISSUER_1_SEED);
    let mut data = code.data.clone();
    data.day = tracecode_core::ProductionDay::from_date(NOW.date() + Duration::days(2)).unwrap();
    let future = data.clone().sign(code.host.clone(), &key);
    let outcome = verify(&future, &vectors::trust_list(), NOW);
    assert_eq!(verdict_of(&outcome), Verdict::OutsideKeyWindow);
    // A day ahead is allowed: the brand's time zone may be ahead of the verifier's.
    data.day = tracecode_core::ProductionDay::from_date(NOW.date() + Duration::days(1)).unwrap();
    let tomorrow = data.sign(code.host.clone(), &key);
    assert!(verify(&tomorrow, &vectors::trust_list(), NOW).is_ok());
}

#[test]
fn a_revoked_key_keeps_codes_made_before_its_cutoff() {
    let trust = edited(|doc| {
        doc.keys[0].status = KeyStatus::Revoked {
            cutoff: "2026-11-03".parse().unwrap(),
            reason: "lost laptop".into(),
        }
    });
    assert!(verify(&genuine(), &trust, NOW).is_ok()); // made 2026-11-02
    let trust = edited(|doc| {
        doc.keys[0].status = KeyStatus::Revoked {
            cutoff: "2026-11-02".parse().unwrap(),
            reason: "lost laptop".into(),
        }
    });
    match verify(&genuine(), &trust, NOW) {
        Err(Rejection::Revoked {
            revocation: Revocation::Key { reason, .. },
            ..
        }) => assert_eq!(reason, "lost laptop"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_signature_from_another_key_is_tampered_not_genuine() {
    let code = genuine();
    let other = tracecode_core::ed25519_dalek::SigningKey::from_bytes(&vectors::ISSUER_2_SEED);
    let forged = code.data.clone().sign(code.host.clone(), &other);
    assert_eq!(
        verdict_of(&verify(&forged, &vectors::trust_list(), NOW)),
        Verdict::Tampered
    );
}

#[test]
fn rejections_explain_themselves() {
    let trust = vectors::trust_list();
    for v in vectors::vectors()
        .iter()
        .filter(|v| v.expected != Verdict::Genuine)
    {
        let rejection = verify_text(&v.text, &trust, NOW).unwrap_err();
        assert!(!rejection.to_string().is_empty(), "{}", v.name);
    }
}
