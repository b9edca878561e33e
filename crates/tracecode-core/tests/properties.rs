//! Properties over random inputs: round trips, tamper evidence, no panics.

use proptest::prelude::*;
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::vectors::{self, ISSUER_1_SEED, NOW};
use tracecode_core::{
    verdict_of, verify_text, Code, CodeData, Gtin, KeyId, Lot, ProductionDay, RegionCode, Serial,
    Verdict,
};

const SET_82: &str =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

fn gtin_with_prefix(prefix: &'static str) -> impl Strategy<Value = Gtin> {
    (
        0u8..=9,
        proptest::collection::vec(0u8..=9, 12 - prefix.len()),
    )
        .prop_map(move |(ind, rest)| {
            let body: String = std::iter::once(ind)
                .map(|d| char::from(b'0' + d))
                .chain(prefix.chars())
                .chain(rest.iter().map(|d| char::from(b'0' + d)))
                .collect();
            // Try the ten possible check digits; exactly one parses.
            (0..10)
                .find_map(|c| format!("{body}{c}").parse::<Gtin>().ok())
                .expect("one check digit fits")
        })
}

fn lot() -> impl Strategy<Value = Option<Lot>> {
    let chars: Vec<char> = SET_82.chars().collect();
    proptest::option::of(
        proptest::collection::vec(proptest::sample::select(chars), 1..=20).prop_map(|cs| {
            cs.into_iter()
                .collect::<String>()
                .parse::<Lot>()
                .expect("set 82")
        }),
    )
}

fn region() -> impl Strategy<Value = RegionCode> {
    (
        proptest::sample::select(PROVINCES.to_vec()),
        0u32..=99,
        0u32..=99,
    )
        .prop_map(|(province, prefecture, county)| {
            let county = if prefecture == 0 { 0 } else { county };
            RegionCode::new(province * 10_000 + prefecture * 100 + county).expect("valid shape")
        })
}

prop_compose! {
    fn code_data(gtin: BoxedStrategy<Gtin>, days: std::ops::RangeInclusive<u16>)
        (gtin in gtin, lot in lot(), serial in any::<u64>(), key in 1u16..,
         region in region(), day in days) -> CodeData {
        CodeData {
            gtin, lot, serial: Serial::new(serial), key_id: KeyId::new(key).expect("non-zero"),
            region, day: ProductionDay::from_days(day),
        }
    }
}

fn any_gtin() -> BoxedStrategy<Gtin> {
    gtin_with_prefix("").boxed()
}

/// Codes the demo trust list accepts: key 1, prefix 690123, made 2025-01-01 ..= 2026-11-22.
fn genuine_code() -> impl Strategy<Value = Code> {
    code_data(gtin_with_prefix("690123").boxed(), 1827..=2517).prop_map(|mut data| {
        data.key_id = KeyId::new(1).expect("non-zero");
        data.sign(
            vectors::HOST.parse().expect("host"),
            &SigningKey::from_bytes(&ISSUER_1_SEED),
        )
    })
}

/// The signed part of a URL: everything from the path on (the host is not signed).
fn signed_range(url: &str) -> std::ops::Range<usize> {
    let path_start = url["https://".len()..].find('/').expect("path") + "https://".len();
    path_start..url.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn build_then_parse_is_identity(data in code_data(any_gtin(), 0..=u16::MAX), seed in any::<[u8; 32]>()) {
        let code = data.sign(vectors::HOST.parse().expect("host"), &SigningKey::from_bytes(&seed));
        let url = code.url();
        prop_assert_eq!(Code::parse(&url), Ok(code.clone()));
        prop_assert_eq!(Code::parse(&url).map(|c| c.url()), Ok(url));
    }

    #[test]
    fn fields_round_trip_through_text(gtin in any_gtin(), lot in lot(), serial in any::<u64>(), region in region(), day in any::<u16>()) {
        prop_assert_eq!(gtin.as_str().parse::<Gtin>(), Ok(gtin));
        if let Some(lot) = lot {
            prop_assert_eq!(lot.as_str().parse::<Lot>(), Ok(lot.clone()));
        }
        prop_assert_eq!(Serial::new(serial).to_string().parse::<Serial>(), Ok(Serial::new(serial)));
        prop_assert_eq!(region.to_string().parse::<RegionCode>(), Ok(region));
        let day = ProductionDay::from_days(day);
        prop_assert_eq!(day.to_string().parse::<ProductionDay>(), Ok(day));
    }

    #[test]
    fn random_genuine_codes_verify(code in genuine_code()) {
        let outcome = verify_text(&code.url(), &vectors::trust_list(), NOW);
        prop_assert_eq!(verdict_of(&outcome), Verdict::Genuine);
    }

    #[test]
    fn a_changed_byte_in_the_signed_part_is_never_genuine(
        code in genuine_code(), at in any::<prop::sample::Index>(), byte in any::<u8>()
    ) {
        let url = code.url();
        let range = signed_range(&url);
        let i = range.start + at.index(range.len());
        prop_assume!(url.as_bytes()[i] != byte);
        let mut bytes = url.into_bytes();
        bytes[i] = byte;
        let text = String::from_utf8_lossy(&bytes);
        let outcome = verify_text(&text, &vectors::trust_list(), NOW);
        prop_assert_ne!(verdict_of(&outcome), Verdict::Genuine, "{}", text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = verify_text(&text, &vectors::trust_list(), NOW);
    }

    #[test]
    fn url_shaped_text_never_panics(
        text in "(https?|HTTPS)://[a-zA-Z0-9.:@-]{0,12}(/[0-9A-Za-z%!&'()*+,./:;<=>?_-]{0,22}){0,7}(\\?[s=0-9&a-z#]{0,190})?"
    ) {
        let _ = verify_text(&text, &vectors::trust_list(), NOW);
    }
}

/// Exhaustive over two codes (the genuine vector, and one whose lot needs percent-escapes):
/// every position of the signed part, every printable ASCII byte.
#[test]
fn every_printable_substitution_is_not_genuine() {
    let genuine = vectors::vectors()[0].text.clone();
    let mut escaped = Code::parse(&genuine).expect("vector parses");
    escaped.data.lot = Some("A/b?c%!".parse().expect("set 82"));
    let escaped = escaped.data.clone().sign(
        escaped.host.clone(),
        &SigningKey::from_bytes(&ISSUER_1_SEED),
    );
    let trust = vectors::trust_list();
    let mut tried = 0;
    for url in [genuine, escaped.url()] {
        assert_eq!(
            verdict_of(&verify_text(&url, &trust, NOW)),
            Verdict::Genuine,
            "{url}"
        );
        for i in signed_range(&url) {
            for byte in 0x20u8..0x7f {
                if url.as_bytes()[i] == byte {
                    continue;
                }
                let mut bytes = url.clone().into_bytes();
                bytes[i] = byte;
                let text = String::from_utf8(bytes).expect("ASCII");
                let outcome = verify_text(&text, &trust, NOW);
                assert_ne!(verdict_of(&outcome), Verdict::Genuine, "{text}");
                tried += 1;
            }
        }
    }
    assert!(tried > 40_000, "{tried}");
}
