//! The offline verdict: is this code well-formed, issued by a trusted key, untampered, produced
//! inside the key's window and not revoked?

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::code::{Code, CodeError, NotOurCode};
use crate::fields::{KeyId, ProductionDay};
use crate::signature;
use crate::trust::{IssuerKey, KeyStatus, TrustList};

/// The offline verdict vocabulary everyone shares (docs/PAYLOAD.md, "Verdicts").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Verdict {
    /// Well-formed, trusted key, valid signature, production day in the key's window.
    Genuine,
    /// Well-formed and the key is known, but the signature does not match the data.
    Tampered,
    /// The key id is not in the trust list, or the key may not sign this GTIN.
    UnknownIssuer,
    /// The key is revoked for this production day, or the serial or lot is revoked.
    Revoked,
    /// The production day is outside the key's window (or after today).
    OutsideKeyWindow,
    /// Not a tracecode code at all.
    NotOurCode,
    /// Looks like a tracecode code but cannot be read.
    Malformed,
}

impl Verdict {
    /// The verdict's stable name, as in JSON: for DOM attributes, CSV, metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Genuine => "Genuine",
            Self::Tampered => "Tampered",
            Self::UnknownIssuer => "UnknownIssuer",
            Self::Revoked => "Revoked",
            Self::OutsideKeyWindow => "OutsideKeyWindow",
            Self::NotOurCode => "NotOurCode",
            Self::Malformed => "Malformed",
        }
    }
}

/// How current the trust list was at verification time. The verdict stands either way; the
/// app shows a warning for anything but `Current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustListAge {
    /// Issued before `now` and not expired.
    Current,
    /// Past its expiry: revocations published since may be missing.
    Expired {
        /// When it expired.
        since: OffsetDateTime,
    },
    /// Issued after `now`: the device clock is probably behind.
    FromTheFuture {
        /// When it was issued.
        issued_at: OffsetDateTime,
    },
}

/// Proof that a code passed every offline check. Only [`verify`] makes one, so whatever
/// holds it may show the code's fields as the brand's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCode {
    code: Code,
    brand: String,
    trust_list_version: u64,
    trust_list_age: TrustListAge,
}

impl VerifiedCode {
    /// The verified code.
    pub fn code(&self) -> &Code {
        &self.code
    }

    /// The brand whose key signed it.
    pub fn brand(&self) -> &str {
        &self.brand
    }

    /// The trust list version it was checked against.
    pub fn trust_list_version(&self) -> u64 {
        self.trust_list_version
    }

    /// Whether that list was current.
    pub fn trust_list_age(&self) -> TrustListAge {
        self.trust_list_age
    }
}

/// Why a key did not count as the code's issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownIssuerReason {
    /// No key with this id in the trust list.
    KeyNotListed,
    /// The key exists but may not sign this GTIN.
    GtinNotAllowed,
}

/// What was revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// The issuer key, from this production day on.
    Key {
        /// First production day no longer trusted.
        cutoff: ProductionDay,
        /// Why.
        reason: String,
    },
    /// This unit.
    Serial {
        /// Why.
        reason: String,
    },
    /// The unit's lot.
    Lot {
        /// Why.
        reason: String,
    },
}

impl Revocation {
    /// Why, as the issuer wrote it for people.
    pub fn reason(&self) -> &str {
        match self {
            Self::Key { reason, .. } | Self::Serial { reason } | Self::Lot { reason } => reason,
        }
    }
}

/// Why a text is not a genuine code, with what can safely be said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a tracecode code; show the text as text.
    NotOurCode(NotOurCode),
    /// Looks like ours but cannot be read; the error names the field.
    Malformed(CodeError),
    /// Issued by no key this trust list vouches for.
    UnknownIssuer {
        /// The key id the code claims.
        key_id: KeyId,
        /// Why it does not count.
        reason: UnknownIssuerReason,
    },
    /// The signature does not match the data. None of the code's fields can be trusted, so
    /// none are kept here.
    Tampered {
        /// The key id the code claims.
        key_id: KeyId,
    },
    /// Authentic, but revoked. The code's fields are the issuer's.
    Revoked {
        /// The code (signature valid).
        code: Box<Code>,
        /// What was revoked and why.
        revocation: Revocation,
    },
    /// Authentic signature, but a production day the key may not sign.
    OutsideKeyWindow {
        /// The code (signature valid).
        code: Box<Code>,
        /// First day the key may sign.
        valid_from: ProductionDay,
        /// Last day it may sign: its window's end, or tomorrow for an open window (a day's
        /// grace for time zones).
        valid_until: ProductionDay,
    },
}

impl Rejection {
    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        match self {
            Self::NotOurCode(_) => Verdict::NotOurCode,
            Self::Malformed(_) => Verdict::Malformed,
            Self::UnknownIssuer { .. } => Verdict::UnknownIssuer,
            Self::Tampered { .. } => Verdict::Tampered,
            Self::Revoked { .. } => Verdict::Revoked,
            Self::OutsideKeyWindow { .. } => Verdict::OutsideKeyWindow,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOurCode(kind) => write!(f, "not a tracecode code ({kind:?})"),
            Self::Malformed(e) => write!(f, "malformed code: {e}"),
            Self::UnknownIssuer { key_id, reason } => match reason {
                UnknownIssuerReason::KeyNotListed => {
                    write!(f, "key {key_id} is not in the trust list")
                }
                UnknownIssuerReason::GtinNotAllowed => {
                    write!(f, "key {key_id} may not sign this GTIN")
                }
            },
            Self::Tampered { .. } => f.write_str("the signature does not match the code's data"),
            Self::Revoked { revocation, .. } => match revocation {
                Revocation::Key { cutoff, reason } => {
                    write!(
                        f,
                        "issuer key revoked for units made from {cutoff}: {reason}"
                    )
                }
                Revocation::Serial { reason } => write!(f, "this unit is revoked: {reason}"),
                Revocation::Lot { reason } => write!(f, "this lot is revoked: {reason}"),
            },
            Self::OutsideKeyWindow {
                code,
                valid_from,
                valid_until,
            } => write!(
                f,
                "production day {} is outside the key's window {valid_from} ..= {valid_until}",
                code.data.day
            ),
        }
    }
}

impl std::error::Error for Rejection {}

/// The verdict of a verification outcome.
pub fn verdict_of(outcome: &Result<VerifiedCode, Rejection>) -> Verdict {
    match outcome {
        Ok(_) => Verdict::Genuine,
        Err(rejection) => rejection.verdict(),
    }
}

/// Verifies a code against a trust list at time `now` (always `verify_strict`).
///
/// Order: issuer, signature, revocations, window. A bad signature is reported before anything
/// the (untrusted) data claims.
pub fn verify(
    code: &Code,
    trust: &TrustList,
    now: OffsetDateTime,
) -> Result<VerifiedCode, Rejection> {
    let data = &code.data;
    let key = trust.key(data.key_id).ok_or(Rejection::UnknownIssuer {
        key_id: data.key_id,
        reason: UnknownIssuerReason::KeyNotListed,
    })?;
    if !key.gtin_prefixes.iter().any(|p| p.matches(&data.gtin)) {
        return Err(Rejection::UnknownIssuer {
            key_id: data.key_id,
            reason: UnknownIssuerReason::GtinNotAllowed,
        });
    }
    signature::verify_strict(
        key.public_key.verifying_key(),
        &data.signing_bytes(),
        &code.signature,
    )
    .map_err(|_| Rejection::Tampered {
        key_id: data.key_id,
    })?;

    if let Some(revocation) = revocation(code, key, trust) {
        return Err(Rejection::Revoked {
            code: Box::new(code.clone()),
            revocation,
        });
    }
    let tomorrow = ProductionDay::from_date(now.date().next_day().unwrap_or(now.date()))
        .unwrap_or(ProductionDay::from_days(u16::MAX));
    let valid_until = key
        .valid_until
        .map_or(tomorrow, |until| until.min(tomorrow));
    if data.day < key.valid_from || data.day > valid_until {
        return Err(Rejection::OutsideKeyWindow {
            code: Box::new(code.clone()),
            valid_from: key.valid_from,
            valid_until,
        });
    }

    let trust_list_age = if now > trust.expires_at() {
        TrustListAge::Expired {
            since: trust.expires_at(),
        }
    } else if now < trust.issued_at() {
        TrustListAge::FromTheFuture {
            issued_at: trust.issued_at(),
        }
    } else {
        TrustListAge::Current
    };
    Ok(VerifiedCode {
        code: code.clone(),
        brand: key.brand.clone(),
        trust_list_version: trust.version(),
        trust_list_age,
    })
}

fn revocation(code: &Code, key: &IssuerKey, trust: &TrustList) -> Option<Revocation> {
    let data = &code.data;
    if let KeyStatus::Revoked { cutoff, reason } = &key.status {
        if data.day >= *cutoff {
            return Some(Revocation::Key {
                cutoff: *cutoff,
                reason: reason.clone(),
            });
        }
    }
    if let Some(r) = trust.serial_revocation(data.gtin, data.serial) {
        return Some(Revocation::Serial {
            reason: r.reason.clone(),
        });
    }
    let lot = data.lot.as_ref()?;
    trust
        .lot_revocation(data.gtin, lot)
        .map(|r| Revocation::Lot {
            reason: r.reason.clone(),
        })
}

/// Reads a scanned or typed text and verifies it: every verdict, `NotOurCode` and
/// `Malformed` included, from one call.
pub fn verify_text(
    text: &str,
    trust: &TrustList,
    now: OffsetDateTime,
) -> Result<VerifiedCode, Rejection> {
    let code = Code::parse(text).map_err(|e| match e {
        CodeError::NotOurCode(kind) => Rejection::NotOurCode(kind),
        other => Rejection::Malformed(other),
    })?;
    verify(&code, trust, now)
}
