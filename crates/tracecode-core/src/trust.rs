//! The trust list: which issuer keys may sign codes, for which products and production days,
//! and which serials and lots are revoked. Published as JSON, signed by a root key that
//! verifiers pin.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

use crate::fields::{Gtin, KeyId, Lot, ProductionDay, Serial};

/// The `format` of trust lists this library reads and writes.
pub const TRUST_LIST_FORMAT: &str = "tracecode-trust-list/1";

/// Prefix of the bytes a root key signs: keeps trust-list signatures and code signatures apart.
pub const TRUST_LIST_SIGNING_DOMAIN: &[u8; 21] = b"tracecode-trust-list\0";

/// An Ed25519 public key: base64url without padding in JSON, never a small-order ("weak") key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// Why a text is not a usable public key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// Not base64url (no padding) of 32 bytes.
    #[error("public key must be 32 bytes in base64url without padding")]
    Encoding,
    /// Not a point on the curve.
    #[error("public key is not a valid Ed25519 point")]
    Point,
    /// A small-order point, which would let one signature verify for many messages.
    #[error("public key is a weak (small-order) Ed25519 key")]
    Weak,
}

impl PublicKey {
    /// The key behind a verifying key, unless it is weak.
    pub fn new(key: VerifyingKey) -> Result<Self, PublicKeyError> {
        if key.is_weak() {
            return Err(PublicKeyError::Weak);
        }
        Ok(Self(key))
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }
}

impl FromStr for PublicKey {
    type Err = PublicKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; 32] = URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(PublicKeyError::Encoding)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| PublicKeyError::Point)?;
        Self::new(key)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

crate::fields::serde_via_str!(PublicKey);

/// The start of a GTIN after its packaging indicator digit: a GS1 company prefix, say `690123`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GtinPrefix(String);

/// Why a text is not a GTIN prefix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("GTIN prefix must be 1 to 13 digits, found {0:?}")]
pub struct GtinPrefixError(String);

impl GtinPrefix {
    /// Whether `gtin`, without its indicator digit, starts with this prefix.
    pub fn matches(&self, gtin: &Gtin) -> bool {
        gtin.without_indicator().starts_with(&self.0)
    }
}

impl FromStr for GtinPrefix {
    type Err = GtinPrefixError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if (1..=13).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(GtinPrefixError(text.to_owned()))
        }
    }
}

impl fmt::Display for GtinPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for GtinPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GtinPrefix({})", self.0)
    }
}

crate::fields::serde_via_str!(GtinPrefix);

/// Where an issuer key stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", try_from = "KeyStatusFields")]
pub enum KeyStatus {
    /// Signs new codes.
    Active,
    /// Signs no new codes; codes made inside its window (which must be closed) stay genuine.
    Retired,
    /// Compromised or lost: codes claiming a production day on or after `cutoff` are revoked.
    /// Earlier ones stay genuine, because the key was sound when they were made.
    Revoked {
        /// The first production day no longer trusted.
        cutoff: ProductionDay,
        /// Why, for people.
        reason: String,
    },
}

/// [`KeyStatus`] as read: its tag and every variant's fields (see [`crate::tagged`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyStatusFields {
    state: KeyState,
    cutoff: Option<ProductionDay>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum KeyState {
    Active,
    Retired,
    Revoked,
}

impl TryFrom<KeyStatusFields> for KeyStatus {
    type Error = String;

    fn try_from(fields: KeyStatusFields) -> Result<Self, String> {
        use crate::tagged::{absent, required};
        let KeyStatusFields {
            state,
            cutoff,
            reason,
        } = fields;
        // Active and retired keys carry nothing else.
        let bare = |status: Self, tag: &str| {
            absent(&cutoff, "cutoff", tag)?;
            absent(&reason, "reason", tag)?;
            Ok(status)
        };
        match state {
            KeyState::Active => bare(Self::Active, "active"),
            KeyState::Retired => bare(Self::Retired, "retired"),
            KeyState::Revoked => Ok(Self::Revoked {
                cutoff: required(cutoff, "cutoff")?,
                reason: required(reason, "reason")?,
            }),
        }
    }
}

/// One issuer key's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerKey {
    /// The id codes carry.
    pub key_id: KeyId,
    /// The key that verifies them.
    pub public_key: PublicKey,
    /// Whose key it is, as shown to people.
    pub brand: String,
    /// The GTINs it may sign (at least one prefix).
    pub gtin_prefixes: Vec<GtinPrefix>,
    /// First production day it may sign.
    pub valid_from: ProductionDay,
    /// Last production day it may sign; open while the key is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<ProductionDay>,
    /// Active, retired or revoked.
    pub status: KeyStatus,
}

/// A unit whose code must no longer verify (stolen label roll, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialRevocation {
    /// The product.
    pub gtin: Gtin,
    /// The unit.
    pub serial: Serial,
    /// Why, for people.
    pub reason: String,
}

/// A lot whose codes must no longer verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotRevocation {
    /// The product.
    pub gtin: Gtin,
    /// The lot.
    pub lot: Lot,
    /// Why, for people.
    pub reason: String,
}

/// The trust list document, as it is written in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListDocument {
    /// Always [`TRUST_LIST_FORMAT`].
    pub format: String,
    /// Increases with every publication; verifiers refuse to go back to a lower one.
    pub version: u64,
    /// When it was signed.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// After this, verifiers warn that revocations may be missing.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Every key that ever signed codes, old ones included.
    pub keys: Vec<IssuerKey>,
    /// Revoked units.
    #[serde(default)]
    pub revoked_serials: Vec<SerialRevocation>,
    /// Revoked lots.
    #[serde(default)]
    pub revoked_lots: Vec<LotRevocation>,
}

/// A trust list that passed every check: signed by a pinned root (when it came from
/// [`SignedTrustList::verify`]) and internally consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    doc: TrustListDocument,
    serials: HashMap<(Gtin, Serial), usize>,
    lots: HashMap<(Gtin, Lot), usize>,
}

/// Why a trust list was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrustListError {
    /// Not JSON of the expected shape; the message names the field and position.
    #[error("trust list is not valid JSON of the expected shape: {0}")]
    Json(String),
    /// No pinned root key made this signature.
    #[error("trust list signature does not verify against any pinned root key")]
    Signature,
    /// The signature is not 64 bytes of base64url.
    #[error("trust list signature must be 64 bytes in base64url without padding")]
    SignatureEncoding,
    /// A `format` this library does not read.
    #[error("trust list format {0:?} is not supported (expected {TRUST_LIST_FORMAT:?})")]
    Format(String),
    /// Version 0.
    #[error("trust list version must be at least 1")]
    Version,
    /// Expires no later than it was issued.
    #[error("trust list expires_at must be after issued_at")]
    Expiry,
    /// Two entries share a key id.
    #[error("key id {0} is listed twice")]
    DuplicateKeyId(KeyId),
    /// A key without a brand.
    #[error("key {0}: brand is empty")]
    EmptyBrand(KeyId),
    /// A key without GTIN prefixes.
    #[error("key {0}: gtin_prefixes must name at least one GS1 prefix")]
    NoGtinPrefix(KeyId),
    /// A window that ends before it starts.
    #[error("key {0}: valid_until is before valid_from")]
    Window(KeyId),
    /// A retired key whose window is still open.
    #[error("key {0}: a retired key needs valid_until")]
    RetiredWithoutEnd(KeyId),
}

impl TrustList {
    /// Checks a document's consistency and indexes its revocations.
    pub fn new(doc: TrustListDocument) -> Result<Self, TrustListError> {
        if doc.format != TRUST_LIST_FORMAT {
            return Err(TrustListError::Format(doc.format));
        }
        if doc.version == 0 {
            return Err(TrustListError::Version);
        }
        if doc.expires_at <= doc.issued_at {
            return Err(TrustListError::Expiry);
        }
        let mut ids = HashSet::new();
        for key in &doc.keys {
            let id = key.key_id;
            if !ids.insert(id) {
                return Err(TrustListError::DuplicateKeyId(id));
            }
            if key.brand.trim().is_empty() {
                return Err(TrustListError::EmptyBrand(id));
            }
            if key.gtin_prefixes.is_empty() {
                return Err(TrustListError::NoGtinPrefix(id));
            }
            if key.valid_until.is_some_and(|until| until < key.valid_from) {
                return Err(TrustListError::Window(id));
            }
            if key.status == KeyStatus::Retired && key.valid_until.is_none() {
                return Err(TrustListError::RetiredWithoutEnd(id));
            }
        }
        let serials = (doc.revoked_serials.iter().enumerate())
            .map(|(i, r)| ((r.gtin, r.serial), i))
            .collect();
        let lots = (doc.revoked_lots.iter().enumerate())
            .map(|(i, r)| ((r.gtin, r.lot.clone()), i))
            .collect();
        Ok(Self { doc, serials, lots })
    }

    /// Parses and checks an unsigned trust list document (for issuers editing one).
    pub fn from_json(text: &str) -> Result<Self, TrustListError> {
        let doc = serde_json::from_str(text).map_err(|e| TrustListError::Json(e.to_string()))?;
        Self::new(doc)
    }

    /// The document.
    pub fn document(&self) -> &TrustListDocument {
        &self.doc
    }

    /// Gives the document back, to edit and check again.
    pub fn into_document(self) -> TrustListDocument {
        self.doc
    }

    /// The publication's version.
    pub fn version(&self) -> u64 {
        self.doc.version
    }

    /// When it was signed.
    pub fn issued_at(&self) -> OffsetDateTime {
        self.doc.issued_at
    }

    /// When it expires.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.doc.expires_at
    }

    /// The entry for a key id.
    pub fn key(&self, id: KeyId) -> Option<&IssuerKey> {
        self.doc.keys.iter().find(|k| k.key_id == id)
    }

    /// The revocation of this unit, if any.
    pub fn serial_revocation(&self, gtin: Gtin, serial: Serial) -> Option<&SerialRevocation> {
        let i = self.serials.get(&(gtin, serial))?;
        self.doc.revoked_serials.get(*i)
    }

    /// The revocation of this lot, if any.
    pub fn lot_revocation(&self, gtin: Gtin, lot: &Lot) -> Option<&LotRevocation> {
        let i = self.lots.get(&(gtin, lot.clone()))?;
        self.doc.revoked_lots.get(*i)
    }

    /// Signs the list with a root key for publication.
    pub fn sign(&self, root: &SigningKey) -> SignedTrustList {
        // Invariant: the document holds only strings, numbers and lists; it always serialises.
        let list = serde_json::to_string_pretty(&self.doc).unwrap_or_default();
        let signature = root.sign(&trust_list_signing_bytes(&list));
        SignedTrustList {
            list,
            signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()),
        }
    }
}

fn trust_list_signing_bytes(list: &str) -> Vec<u8> {
    [TRUST_LIST_SIGNING_DOMAIN.as_slice(), list.as_bytes()].concat()
}

/// A trust list as published: the document's JSON text, exactly as signed, and the root's
/// signature over `tracecode-trust-list\0 ‖ text`. Embedding the text rather than the parsed
/// document means nobody has to canonicalise JSON to check the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTrustList {
    /// The document's JSON text.
    pub list: String,
    /// The root key's Ed25519 signature, base64url without padding.
    pub signature: String,
}

impl SignedTrustList {
    /// Reads the published JSON; checks nothing yet.
    pub fn from_json(text: &str) -> Result<Self, TrustListError> {
        serde_json::from_str(text).map_err(|e| TrustListError::Json(e.to_string()))
    }

    /// The published JSON.
    pub fn to_json(&self) -> String {
        // Invariant: two strings always serialise.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks the signature against the pinned root keys (strictly), then the document.
    ///
    /// ```
    /// use tracecode_core::{vectors, SignedTrustList};
    /// let published = vectors::signed_trust_list().to_json();
    /// let list = SignedTrustList::from_json(&published)?.verify(&[vectors::root_public_key()])?;
    /// assert_eq!(list.version(), 1);
    /// # Ok::<(), tracecode_core::TrustListError>(())
    /// ```
    pub fn verify(&self, pinned_roots: &[PublicKey]) -> Result<TrustList, TrustListError> {
        let bytes: [u8; 64] = URL_SAFE_NO_PAD
            .decode(&self.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TrustListError::SignatureEncoding)?;
        let signature = Signature::from_bytes(&bytes);
        let signed = trust_list_signing_bytes(&self.list);
        if !pinned_roots
            .iter()
            .any(|root| crate::signature::verify_strict(&root.0, &signed, &signature).is_ok())
        {
            return Err(TrustListError::Signature);
        }
        TrustList::from_json(&self.list)
    }
}
