//! The host part of a code URL.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A DNS name or IPv4 address with an optional port, lowercased.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Host(String);

/// Why a text is not a host.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HostError {
    /// Empty.
    #[error("host is empty")]
    Empty,
    /// `user@host`: a classic way to make a URL look like another site's.
    #[error("host may not carry user information (`@`)")]
    UserInfo,
    /// A character outside letters, digits, `-` and `.`.
    #[error("host may not contain {0:?}")]
    Character(char),
    /// An empty label, a label over 63 characters, one starting or ending with `-`, or a name
    /// over 253 characters.
    #[error("host {0:?} is not a valid DNS name")]
    Name(String),
    /// A port that is not a number from 1 to 65535.
    #[error("port {0:?} is not a number from 1 to 65535")]
    Port(String),
}

impl Host {
    /// The host as written in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Host {
    type Err = HostError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(HostError::Empty);
        }
        if text.contains('@') {
            return Err(HostError::UserInfo);
        }
        let (name, port) = match text.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        };
        if let Some(c) = name
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        {
            return Err(HostError::Character(c));
        }
        let label_ok =
            |l: &str| (1..=63).contains(&l.len()) && !l.starts_with('-') && !l.ends_with('-');
        if name.len() > 253 || !name.split('.').all(label_ok) {
            return Err(HostError::Name(name.to_owned()));
        }
        if let Some(port) = port {
            let valid = !port.is_empty()
                && !port.starts_with('0')
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok();
            if !valid {
                return Err(HostError::Port(port.to_owned()));
            }
        }
        Ok(Self(text.to_ascii_lowercase()))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Host({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_checks() {
        assert_eq!("V.Brand.CN".parse::<Host>().unwrap().as_str(), "v.brand.cn");
        assert_eq!(
            "127.0.0.1:8080".parse::<Host>().unwrap().as_str(),
            "127.0.0.1:8080"
        );
        assert_eq!("".parse::<Host>(), Err(HostError::Empty));
        assert_eq!("a@b.cn".parse::<Host>(), Err(HostError::UserInfo));
        assert_eq!("b.cn:0".parse::<Host>(), Err(HostError::Port("0".into())));
        assert_eq!(
            "b.cn:65536".parse::<Host>(),
            Err(HostError::Port("65536".into()))
        );
        assert_eq!(
            "b..cn".parse::<Host>(),
            Err(HostError::Name("b..cn".into()))
        );
        assert_eq!(
            "b.cn.".parse::<Host>(),
            Err(HostError::Name("b.cn.".into()))
        );
        assert_eq!(
            "-b.cn".parse::<Host>(),
            Err(HostError::Name("-b.cn".into()))
        );
        assert_eq!("b_c.cn".parse::<Host>(), Err(HostError::Character('_')));
        assert_eq!("[::1]".parse::<Host>(), Err(HostError::Character('[')));
    }
}
