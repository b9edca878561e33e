//! The deterministic keys, trust list and codes of docs/PAYLOAD.md's test vectors.
//!
//! Every private key here is public knowledge: use them for tests and demos only. A trust list
//! signed by [`root_key`] must never be pinned by a production build.

use ed25519_dalek::SigningKey;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::code::{Code, CodeData, Host};
use crate::fields::{Gtin, KeyId, Lot, ProductionDay, RegionCode, Serial};
use crate::trust::{
    GtinPrefix, IssuerKey, KeyStatus, LotRevocation, PublicKey, SerialRevocation, SignedTrustList,
    TrustList, TrustListDocument, TRUST_LIST_FORMAT,
};
use crate::verify::Verdict;

/// The host the vector codes point to.
pub const HOST: &str = "t.example.cn";

/// The moment the vectors are verified at.
pub const NOW: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

/// The 32-byte seed of the demo root key.
pub const ROOT_SEED: [u8; 32] = [0x52; 32];
/// The seed of issuer key 1 (active since 2025-01-01).
pub const ISSUER_1_SEED: [u8; 32] = [0x11; 32];
/// The seed of issuer key 2 (revoked for production days from 2025-06-01).
pub const ISSUER_2_SEED: [u8; 32] = [0x22; 32];
/// The seed of a key no trust list names (it claims key id 9).
pub const UNLISTED_SEED: [u8; 32] = [0x99; 32];

/// The demo root key.
pub fn root_key() -> SigningKey {
    SigningKey::from_bytes(&ROOT_SEED)
}

/// The demo root's public key, as a verifier pins it.
pub fn root_public_key() -> PublicKey {
    // Invariant: a key derived from a seed is never small-order.
    PublicKey::new(root_key().verifying_key()).expect("derived keys are not weak")
}

fn public(seed: &[u8; 32]) -> PublicKey {
    PublicKey::new(SigningKey::from_bytes(seed).verifying_key()).expect("derived keys are not weak")
}

fn parse<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().expect("vector literals are valid")
}

/// The demo trust list: two keys of "Demo Dairy Co.", one revoked serial, one revoked lot.
pub fn trust_list() -> TrustList {
    let key = |id: u16, seed: &[u8; 32], from: &str, until: Option<&str>, status| IssuerKey {
        key_id: KeyId::new(id).expect("non-zero"),
        public_key: public(seed),
        brand: "Demo Dairy Co.".into(),
        gtin_prefixes: vec![parse::<GtinPrefix>("690123")],
        valid_from: parse(from),
        valid_until: until.map(parse),
        status,
    };
    TrustList::new(TrustListDocument {
        format: TRUST_LIST_FORMAT.into(),
        version: 1,
        issued_at: datetime!(2026-11-01 00:00 UTC),
        expires_at: datetime!(2027-11-01 00:00 UTC),
        keys: vec![
            key(1, &ISSUER_1_SEED, "2025-01-01", None, KeyStatus::Active),
            key(
                2,
                &ISSUER_2_SEED,
                "2023-01-01",
                Some("2025-12-31"),
                KeyStatus::Revoked {
                    cutoff: parse("2025-06-01"),
                    reason: "signing key leaked".into(),
                },
            ),
        ],
        revoked_serials: vec![SerialRevocation {
            gtin: parse("06901234567892"),
            serial: Serial::new(4_000_000_000_000_000_003),
            reason: "label roll stolen in transit".into(),
        }],
        revoked_lots: vec![LotRevocation {
            gtin: parse("06901234567892"),
            lot: parse("L2603X"),
            reason: "lot withdrawn: seal defect".into(),
        }],
    })
    .expect("the vector trust list is consistent")
}

/// The demo trust list signed by the demo root.
pub fn signed_trust_list() -> SignedTrustList {
    trust_list().sign(&root_key())
}

/// One test vector: how its code was made and the verdict it must get at [`NOW`].
#[derive(Debug, Clone)]
pub struct Vector {
    /// Short name.
    pub name: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// The signed fields, for vectors made by signing; `None` for hand-written texts.
    pub data: Option<CodeData>,
    /// The seed of the key that signed it.
    pub signer_seed: Option<[u8; 32]>,
    /// The text to verify.
    pub text: String,
    /// The verdict it gets against [`trust_list`] at [`NOW`].
    pub expected: Verdict,
}

fn data(gtin: &str, lot: Option<&str>, serial: u64, key: u16, region: &str, day: &str) -> CodeData {
    CodeData {
        gtin: parse::<Gtin>(gtin),
        lot: lot.map(parse::<Lot>),
        serial: Serial::new(serial),
        key_id: KeyId::new(key).expect("non-zero"),
        region: parse::<RegionCode>(region),
        day: parse::<ProductionDay>(day),
    }
}

fn signed(data: &CodeData, seed: &[u8; 32]) -> Code {
    data.clone()
        .sign(parse::<Host>(HOST), &SigningKey::from_bytes(seed))
}

/// The vectors of docs/PAYLOAD.md, in order.
pub fn vectors() -> Vec<Vector> {
    let made = |name, description, data: CodeData, seed: [u8; 32], expected| {
        let text = signed(&data, &seed).url();
        Vector {
            name,
            description,
            data: Some(data),
            signer_seed: Some(seed),
            text,
            expected,
        }
    };
    let genuine = data(
        "06901234567892",
        Some("L2611A"),
        1_234_567_890_123_456_789,
        1,
        "310000",
        "2026-11-02",
    );
    // One digit of the serial changed after signing.
    let tampered_text = signed(&genuine, &ISSUER_1_SEED)
        .url()
        .replace("/21/1234567890123456789", "/21/1234567890123456780");
    // The GTIN's check digit changed after signing.
    let malformed_text = signed(&genuine, &ISSUER_1_SEED)
        .url()
        .replace("/01/06901234567892", "/01/06901234567893");
    vec![
        made(
            "genuine",
            "active key 1, with lot, province-level region",
            genuine.clone(),
            ISSUER_1_SEED,
            Verdict::Genuine,
        ),
        made(
            "genuine-no-lot",
            "active key 1, no lot, county-level region, largest serial",
            data("16901234567899", None, u64::MAX, 1, "440305", "2026-11-21"),
            ISSUER_1_SEED,
            Verdict::Genuine,
        ),
        Vector {
            name: "tampered",
            description: "the genuine code with its serial's last digit changed from 9 to 0",
            data: None,
            signer_seed: None,
            text: tampered_text,
            expected: Verdict::Tampered,
        },
        made(
            "unknown-issuer",
            "signed by a key that claims id 9, which the trust list does not name",
            data(
                "06901234567892",
                Some("L2611A"),
                7_700_000_000_000_000_001,
                9,
                "310000",
                "2026-11-02",
            ),
            UNLISTED_SEED,
            Verdict::UnknownIssuer,
        ),
        made(
            "revoked-key",
            "key 2, revoked for production days from 2025-06-01, signing a unit of 2025-07-01",
            data(
                "06901234567892",
                Some("L2507B"),
                5_550_000_000_000_000_005,
                2,
                "330100",
                "2025-07-01",
            ),
            ISSUER_2_SEED,
            Verdict::Revoked,
        ),
        made(
            "revoked-serial",
            "a serial the trust list revokes (stolen label roll)",
            data(
                "06901234567892",
                Some("L2611A"),
                4_000_000_000_000_000_003,
                1,
                "310000",
                "2026-11-02",
            ),
            ISSUER_1_SEED,
            Verdict::Revoked,
        ),
        made(
            "revoked-lot",
            "a lot the trust list revokes",
            data(
                "06901234567892",
                Some("L2603X"),
                6_100_000_000_000_000_007,
                1,
                "110000",
                "2026-03-15",
            ),
            ISSUER_1_SEED,
            Verdict::Revoked,
        ),
        made(
            "outside-window",
            "key 1 (valid from 2025-01-01) signing a unit of 2024-06-01",
            data(
                "06901234567892",
                Some("L2406A"),
                8_800_000_000_000_000_008,
                1,
                "310000",
                "2024-06-01",
            ),
            ISSUER_1_SEED,
            Verdict::OutsideKeyWindow,
        ),
        Vector {
            name: "malformed",
            description:
                "the genuine code with its GTIN check digit changed: the gtin field is at fault",
            data: None,
            signer_seed: None,
            text: malformed_text,
            expected: Verdict::Malformed,
        },
        Vector {
            name: "not-our-code",
            description: "an ordinary web link",
            data: None,
            signer_seed: None,
            text: "https://example.com/promo?id=5".into(),
            expected: Verdict::NotOurCode,
        },
    ]
}

/// The demo trust list, the genuine vector's URL and [`NOW`]: for examples.
pub fn genuine_example() -> (TrustList, String, OffsetDateTime) {
    (trust_list(), vectors()[0].text.clone(), NOW)
}
