//! The `s` value: a fixed-layout binary payload written as decimal digits.
//!
//! Layout (72 bytes): version (1) ‖ key id (2, big-endian) ‖ sales region (3, big-endian) ‖
//! production day (2, big-endian) ‖ Ed25519 signature (64).
//!
//! Digits: the payload is cut into ten 7-byte chunks and one 2-byte chunk; each chunk, read as a
//! big-endian number, is written as exactly 17 (resp. 5) decimal digits. 2^56 < 10^17 and
//! 2^16 < 10^5, so every payload has exactly one spelling and a chunk too large for its bytes is
//! an error, not a second spelling. 175 digits cost 584 bits in QR numeric mode.

use thiserror::Error;

/// The payload version this library writes and reads.
pub const PAYLOAD_VERSION: u8 = 1;
/// Bytes in a version 1 payload.
pub const PAYLOAD_LEN: usize = 72;
/// Decimal digits in the `s` value of a version 1 payload.
pub const PAYLOAD_DIGITS: usize = FULL_CHUNKS * FULL_CHUNK_DIGITS + TAIL_DIGITS;

const FULL_CHUNKS: usize = 10;
const FULL_CHUNK_BYTES: usize = 7;
const FULL_CHUNK_DIGITS: usize = 17;
const TAIL_BYTES: usize = PAYLOAD_LEN - FULL_CHUNKS * FULL_CHUNK_BYTES;
const TAIL_DIGITS: usize = 5;

/// Why an `s` value is not a payload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A character other than 0–9.
    #[error("may hold only digits, found {0:?}")]
    NotDigit(char),
    /// Not 175 digits.
    #[error("must be {PAYLOAD_DIGITS} digits, found {0}")]
    Length(usize),
    /// A chunk's number does not fit its bytes (the digits were altered).
    #[error("digits {start}..{end} encode a number too large for their bytes")]
    Chunk {
        /// First digit of the chunk (0-based).
        start: usize,
        /// One past its last digit.
        end: usize,
    },
}

/// The payload's digits.
pub(crate) fn to_digits(payload: &[u8; PAYLOAD_LEN]) -> String {
    let mut out = String::with_capacity(PAYLOAD_DIGITS);
    let (full, tail) = payload.split_at(FULL_CHUNKS * FULL_CHUNK_BYTES);
    for chunk in full.chunks_exact(FULL_CHUNK_BYTES) {
        out.push_str(&format!("{:017}", be_number(chunk)));
    }
    out.push_str(&format!("{:05}", be_number(tail)));
    out
}

/// The payload whose digits these are.
pub(crate) fn from_digits(digits: &str) -> Result<[u8; PAYLOAD_LEN], PayloadError> {
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
        return Err(PayloadError::NotDigit(c));
    }
    if digits.len() != PAYLOAD_DIGITS {
        return Err(PayloadError::Length(digits.len()));
    }
    let mut payload = [0u8; PAYLOAD_LEN];
    let chunk_sizes = std::iter::repeat_n((FULL_CHUNK_BYTES, FULL_CHUNK_DIGITS), FULL_CHUNKS)
        .chain(std::iter::once((TAIL_BYTES, TAIL_DIGITS)));
    let (mut byte_at, mut digit_at) = (0, 0);
    for (bytes, width) in chunk_sizes {
        let (start, end) = (digit_at, digit_at + width);
        // Only ASCII digits remain, at most 17 of them: this cannot overflow a u64.
        let number: u64 = digits[start..end]
            .bytes()
            .fold(0, |n, d| n * 10 + u64::from(d - b'0'));
        if number >> (8 * bytes) != 0 {
            return Err(PayloadError::Chunk { start, end });
        }
        payload[byte_at..byte_at + bytes].copy_from_slice(&number.to_be_bytes()[8 - bytes..]);
        byte_at += bytes;
        digit_at = end;
    }
    Ok(payload)
}

fn be_number(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, &b| n << 8 | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_round_trip() {
        for fill in [0x00, 0x01, 0x7f, 0xff] {
            let payload = [fill; PAYLOAD_LEN];
            let digits = to_digits(&payload);
            assert_eq!(digits.len(), 175);
            assert_eq!(from_digits(&digits), Ok(payload));
        }
    }

    #[test]
    fn a_chunk_too_large_is_refused_not_aliased() {
        let mut digits = to_digits(&[0xff; PAYLOAD_LEN]);
        // 2^56 - 1 = 72057594037927935; 9 in front is past it.
        digits.replace_range(0..1, "9");
        assert_eq!(
            from_digits(&digits),
            Err(PayloadError::Chunk { start: 0, end: 17 })
        );
        let mut digits = to_digits(&[0; PAYLOAD_LEN]);
        digits.replace_range(170..175, "65536");
        assert_eq!(
            from_digits(&digits),
            Err(PayloadError::Chunk {
                start: 170,
                end: 175
            })
        );
    }

    #[test]
    fn wrong_length_and_characters() {
        assert_eq!(from_digits("123"), Err(PayloadError::Length(3)));
        assert_eq!(from_digits("12a"), Err(PayloadError::NotDigit('a')));
    }
}
