//! The one signature check every tracecode verdict goes through.

use ed25519_dalek::{Signature, VerifyingKey};
use thiserror::Error;

/// Why a signature check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The public key is not 32 bytes.
    #[error("public key must be 32 bytes")]
    KeyLength,
    /// The public key is not a curve point.
    #[error("public key is not a valid Ed25519 point")]
    KeyEncoding,
    /// The signature is not 64 bytes.
    #[error("signature must be 64 bytes")]
    SignatureLength,
    /// The signature does not verify under strict rules.
    #[error("signature does not verify")]
    Invalid,
}

/// Ed25519 verification with `verify_strict` rules: rejects small-order public keys and R,
/// non-canonical R and S ≥ L, so no signature verifies for more than one (key, message).
pub fn verify_strict(
    key: &VerifyingKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    key.verify_strict(message, signature)
        .map_err(|_| SignatureError::Invalid)
}

/// [`verify_strict`] on raw bytes of any length, as conformance vectors give them.
pub fn verify_strict_bytes(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let key: &[u8; 32] = public_key
        .try_into()
        .map_err(|_| SignatureError::KeyLength)?;
    let key = VerifyingKey::from_bytes(key).map_err(|_| SignatureError::KeyEncoding)?;
    let signature: &[u8; 64] = signature
        .try_into()
        .map_err(|_| SignatureError::SignatureLength)?;
    verify_strict(&key, message, &Signature::from_bytes(signature))
}
