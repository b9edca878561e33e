//! Reading code URLs, strictly, with the few liberties phones take.
//!
//! Tolerated: any case in scheme and host, a trailing `/` after the serial, percent-encoding of
//! any path character (uppercase hex), query keys other than `s` (WeChat and campaign tools append them), and a
//! fragment (`#wechat_redirect`). Anything else is refused with the field at fault. A general URL
//! parser is not used on purpose: WHATWG parsing silently drops tabs and newlines, turns `\` into
//! `/` and resolves `..`, which would make different byte strings verify as the same code.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use thiserror::Error;

use super::host::{Host, HostError};
use super::payload::{self, PayloadError, PAYLOAD_VERSION};
use super::{Code, CodeData};
use crate::fields::{Gtin, KeyId, Lot, RegionCode, Serial};
use crate::fields::{GtinError, KeyIdError, LotError, ProductionDay, RegionError, SerialError};

/// What a scanned text is, when it is not a tracecode code at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotOurCode {
    /// Not a URL: plain text.
    Text,
    /// A URL of another scheme (`weixin://`, `mailto:`, …).
    OtherScheme,
    /// A web link that is not a signed GS1 Digital Link.
    WebLink,
    /// A GS1 Digital Link without a tracecode signature (another brand's label, say).
    UnsignedDigitalLink,
}

/// Why a text is not a valid code. Every variant but `NotOurCode` means "looks like ours but
/// cannot be read" (verdict `Malformed`); [`CodeError::field`] names the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodeError {
    /// Not a tracecode code at all.
    #[error("not a tracecode code ({0:?})")]
    NotOurCode(NotOurCode),
    /// `http:` instead of `https:`.
    #[error("scheme must be https, found {0:?}")]
    Scheme(String),
    /// The host.
    #[error("host: {0}")]
    Host(#[from] HostError),
    /// The path's shape.
    #[error("path: {0}")]
    Path(#[from] PathError),
    /// The GTIN after `/01/`.
    #[error("gtin: {0}")]
    Gtin(#[from] GtinError),
    /// The lot after `/10/`.
    #[error("lot: {0}")]
    Lot(#[from] LotError),
    /// The serial after `/21/`.
    #[error("serial: {0}")]
    Serial(#[from] SerialError),
    /// More than one `s` query key.
    #[error("s: appears more than once")]
    DuplicatePayload,
    /// The `s` digits.
    #[error("s: {0}")]
    Payload(#[from] PayloadError),
    /// A payload version this library does not read.
    #[error(
        "version: payload version {0} is not supported (this verifier reads {PAYLOAD_VERSION})"
    )]
    Version(u8),
    /// The key id inside `s`.
    #[error("key id: {0}")]
    KeyId(#[from] KeyIdError),
    /// The sales region inside `s`.
    #[error("region: {0}")]
    Region(#[from] RegionError),
}

/// Why a path is not `/01/{gtin}[/10/{lot}]/21/{serial}`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PathError {
    /// An application identifier tracecode does not sign (e.g. `22`), or one out of order.
    #[error("unexpected segment {0:?} (expected /01/{{gtin}}[/10/{{lot}}]/21/{{serial}})")]
    Unexpected(String),
    /// An application identifier with nothing after it.
    #[error("/{0}/ has no value")]
    NoValue(&'static str),
    /// No `/21/{serial}`.
    #[error("no /21/{{serial}} segment")]
    MissingSerial,
    /// An empty segment (`//`).
    #[error("empty segment")]
    EmptySegment,
    /// `%` not followed by two uppercase hex digits, or an escape that decodes to invalid UTF-8.
    #[error("bad percent-encoding in {0:?} (escapes are % and two uppercase hex digits)")]
    Escape(String),
}

impl CodeError {
    /// The part of the code at fault, for messages: `"gtin"`, `"s"`, `"host"`, ….
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotOurCode(_) => "code",
            Self::Scheme(_) => "scheme",
            Self::Host(_) => "host",
            Self::Path(_) => "path",
            Self::Gtin(_) => "gtin",
            Self::Lot(_) => "lot",
            Self::Serial(_) => "serial",
            Self::DuplicatePayload | Self::Payload(_) => "s",
            Self::Version(_) => "version",
            Self::KeyId(_) => "key id",
            Self::Region(_) => "region",
        }
    }
}

/// Characters kept literally in a lot path segment: RFC 3986 unreserved ones, as GS1 Digital
/// Link asks. Everything else in set 82 is percent-encoded.
const SEGMENT_KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');

pub(super) fn encode_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT_KEEP).to_string()
}

fn decode_segment(segment: &str) -> Result<String, PathError> {
    let bytes = segment.as_bytes();
    // Uppercase hex only (RFC 3986 §2.1 asks producers for it): with `%3f` accepted as `%3F`,
    // changing one byte of a genuine URL could still verify.
    let upper_hex = |b: &u8| matches!(b, b'0'..=b'9' | b'A'..=b'F');
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(upper_hex) && bytes.get(i + 2).is_some_and(upper_hex))
    });
    if !well_formed {
        return Err(PathError::Escape(segment.to_owned()));
    }
    percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| PathError::Escape(segment.to_owned()))
}

impl Code {
    /// Reads a scanned or typed text as a code. Does not check the signature.
    ///
    /// ```
    /// use tracecode_core::code::{CodeError, NotOurCode};
    /// use tracecode_core::Code;
    /// # let url = tracecode_core::vectors::vectors()[0].text.clone();
    /// let code = Code::parse(&url)?;
    /// assert_eq!(code.data.serial.to_string(), "1234567890123456789");
    /// // A messenger's extra query keys and an upper-case host do not matter.
    /// let shared = format!("{}&from=singlemessage", url.replace("t.example.cn", "T.EXAMPLE.CN"));
    /// assert_eq!(Code::parse(&shared)?, code);
    /// // A GTIN whose check digit is wrong names the field.
    /// let bad = url.replace("/01/06901234567892", "/01/06901234567893");
    /// assert_eq!(Code::parse(&bad).unwrap_err().field(), "gtin");
    /// assert_eq!(Code::parse("hello"), Err(CodeError::NotOurCode(NotOurCode::Text)));
    /// # Ok::<(), CodeError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(CodeError::NotOurCode(NotOurCode::Text));
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            let kind = if is_scheme {
                NotOurCode::OtherScheme
            } else {
                NotOurCode::Text
            };
            return Err(CodeError::NotOurCode(kind));
        }
        let rest = rest
            .split_once('#')
            .map_or(rest, |(before, _fragment)| before);
        let (authority_and_path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = match authority_and_path.find('/') {
            Some(i) => authority_and_path.split_at(i),
            None => (authority_and_path, ""),
        };
        let mut payloads = query
            .split('&')
            .filter_map(|pair| match pair.split_once('=') {
                Some(("s", value)) => Some(value),
                _ if pair == "s" => Some(""),
                _ => None,
            });
        let first_payload = payloads.next();
        let Some(digits) = first_payload.filter(|_| path.starts_with("/01/")) else {
            let kind = if path.starts_with("/01/") {
                NotOurCode::UnsignedDigitalLink
            } else {
                NotOurCode::WebLink
            };
            return Err(CodeError::NotOurCode(kind));
        };
        if scheme != "https" {
            return Err(CodeError::Scheme(scheme));
        }
        let host: Host = authority.parse()?;
        if payloads.next().is_some() {
            return Err(CodeError::DuplicatePayload);
        }
        let (gtin, lot, serial) = parse_path(path)?;
        let payload = payload::from_digits(digits)?;
        if payload[0] != PAYLOAD_VERSION {
            return Err(CodeError::Version(payload[0]));
        }
        let key_id = KeyId::new(u16::from_be_bytes([payload[1], payload[2]]))?;
        let region = RegionCode::new(u32::from_be_bytes([0, payload[3], payload[4], payload[5]]))?;
        let day = ProductionDay::from_days(u16::from_be_bytes([payload[6], payload[7]]));
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&payload[8..]);
        Ok(Code {
            host,
            data: CodeData {
                gtin,
                lot,
                serial,
                key_id,
                region,
                day,
            },
            signature: ed25519_dalek::Signature::from_bytes(&signature),
        })
    }
}

fn parse_path(path: &str) -> Result<(Gtin, Option<Lot>, Serial), CodeError> {
    // `path` starts with "/01/"; drop the leading "/" and one trailing "/".
    let path = &path[1..];
    let path = path.strip_suffix('/').unwrap_or(path);
    let segments = path
        .split('/')
        .map(|segment| match segment {
            "" => Err(PathError::EmptySegment),
            _ => decode_segment(segment),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (gtin, lot, serial) = match segments.as_slice() {
        ["01", gtin, "21", serial] => (gtin, None, serial),
        ["01", gtin, "10", lot, "21", serial] => (gtin, Some(lot), serial),
        other => return Err(path_shape_error(other).into()),
    };
    Ok((
        Gtin::parse_canonical(gtin)?,
        lot.map(|lot| lot.parse::<Lot>()).transpose()?,
        serial.parse::<Serial>()?,
    ))
}

/// Names the first segment that breaks `01 {gtin} [10 {lot}] 21 {serial}`.
fn path_shape_error(segments: &[&str]) -> PathError {
    if segments.len() < 2 {
        return PathError::NoValue("01");
    }
    let mut at = 2;
    if segments.get(at) == Some(&"10") {
        if segments.len() < 4 {
            return PathError::NoValue("10");
        }
        at = 4;
    }
    match segments.get(at) {
        None => PathError::MissingSerial,
        Some(&"21") => match segments.get(at + 2) {
            None => PathError::NoValue("21"),
            Some(extra) => PathError::Unexpected((*extra).to_owned()),
        },
        Some(other) => PathError::Unexpected((*other).to_owned()),
    }
}
