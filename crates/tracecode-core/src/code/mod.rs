//! The code printed on each unit: a GS1 Digital Link URL carrying a signed payload.
//!
//! `https://{host}/01/{gtin14}[/10/{lot}]/21/{serial}?s={175 digits}`

mod host;
mod payload;
mod url;

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey};

use crate::fields::{Gtin, KeyId, Lot, ProductionDay, RegionCode, Serial};

pub use self::host::{Host, HostError};
pub use self::payload::{PayloadError, PAYLOAD_DIGITS, PAYLOAD_LEN, PAYLOAD_VERSION};
pub use self::url::{CodeError, NotOurCode, PathError};

/// Prefix of every code signature's signed bytes, so that no other tracecode signature (a trust
/// list's, say) can ever be replayed as a code signature.
pub const CODE_SIGNING_DOMAIN: &[u8; 15] = b"tracecode-code\0";

/// What the issuer signs about one unit: everything in the code except the host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeData {
    /// The product.
    pub gtin: Gtin,
    /// The production lot, when the brand prints one.
    pub lot: Option<Lot>,
    /// The unit.
    pub serial: Serial,
    /// The issuer key that signs it.
    pub key_id: KeyId,
    /// Where the unit may be sold.
    pub region: RegionCode,
    /// When it was made.
    pub day: ProductionDay,
}

/// A complete code: host, signed data and signature. Holding one says nothing about whether the
/// signature is valid; that is what [`crate::verify`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// Where the URL points. Not signed: a brand may move hosts.
    pub host: Host,
    /// The signed fields.
    pub data: CodeData,
    /// The issuer's Ed25519 signature over [`CodeData::signing_bytes`].
    pub signature: Signature,
}

impl CodeData {
    /// The exact bytes the issuer signs (docs/PAYLOAD.md, "Signed bytes"):
    /// domain ‖ version ‖ key id (2) ‖ GTIN (14 ASCII digits) ‖ lot length (1) ‖ lot ‖
    /// serial (8) ‖ region (3) ‖ day (2), integers big-endian. Lot length 0 means no lot.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let lot = self.lot.as_ref().map_or("", Lot::as_str);
        let mut bytes = Vec::with_capacity(CODE_SIGNING_DOMAIN.len() + 31 + lot.len());
        bytes.extend_from_slice(CODE_SIGNING_DOMAIN);
        bytes.push(PAYLOAD_VERSION);
        bytes.extend_from_slice(&self.key_id.value().to_be_bytes());
        bytes.extend_from_slice(self.gtin.as_str().as_bytes());
        // Invariant: a lot has at most 20 ASCII characters, so its length fits a byte.
        bytes.push(lot.len() as u8);
        bytes.extend_from_slice(lot.as_bytes());
        bytes.extend_from_slice(&self.serial.value().to_be_bytes());
        bytes.extend_from_slice(&self.region.value().to_be_bytes()[1..]);
        bytes.extend_from_slice(&self.day.days().to_be_bytes());
        bytes
    }

    /// Signs the data with the issuer key named by `key_id`, giving the code for `host`.
    pub fn sign(self, host: Host, key: &SigningKey) -> Code {
        let signature = key.sign(&self.signing_bytes());
        Code {
            host,
            data: self,
            signature,
        }
    }
}

impl Code {
    /// The binary payload carried in `s`.
    pub fn payload(&self) -> [u8; PAYLOAD_LEN] {
        let mut payload = [0u8; PAYLOAD_LEN];
        payload[0] = PAYLOAD_VERSION;
        payload[1..3].copy_from_slice(&self.data.key_id.value().to_be_bytes());
        payload[3..6].copy_from_slice(&self.data.region.value().to_be_bytes()[1..]);
        payload[6..8].copy_from_slice(&self.data.day.days().to_be_bytes());
        payload[8..].copy_from_slice(&self.signature.to_bytes());
        payload
    }

    /// The code's canonical URL: lowercase host, percent-encoded lot, no extra query keys.
    /// [`Code::parse`] reads it back to an equal `Code`.
    pub fn url(&self) -> String {
        self.to_string()
    }
}

/// Writes the canonical URL.
impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https://{}/01/{}", self.host, self.data.gtin)?;
        if let Some(lot) = &self.data.lot {
            write!(f, "/10/{}", url::encode_segment(lot.as_str()))?;
        }
        write!(
            f,
            "/21/{}?s={}",
            self.data.serial,
            payload::to_digits(&self.payload())
        )
    }
}
