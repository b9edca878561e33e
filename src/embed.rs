//! Embedding the page in a campaign page (docs/EMBED.md):
//! `/?embed&accent=0a7d3b&background=ffffff&logo=/brand.png&origin=https://campaign.brand.cn`.
//!
//! Embedded, the page shows the brand, the scanner and the verdict only, in the brand's colours,
//! and tells the embedding page each verdict with `postMessage`: the verdict alone, never the
//! code, its serial or anything the registry said, so a campaign page learns nothing it could
//! use to track a shopper or copy a label.

use std::fmt;

use serde::Serialize;
use tracecode_core::Verdict;

/// The query parameter that turns embedding on.
pub const EMBED_PARAM: &str = "embed";
/// The `type` of every message sent to the embedding page.
pub const MESSAGE_TYPE: &str = "tracecode-verdict";

/// How the embedding page asked to look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Embed {
    /// Buttons, focus rings and the timeline's marks.
    pub accent: Option<Colour>,
    /// The page's background; text takes whichever of dark or light reads on it.
    pub background: Option<Colour>,
    /// A path on this site.
    pub logo: Option<String>,
    /// The embedding page's origin: messages go to it alone. Without it they go to any parent,
    /// which is safe only because they carry nothing but the verdict.
    pub origin: Option<String>,
}

/// A parameter the embedding page got wrong, named, with the value it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbedError {
    Colour {
        param: &'static str,
        value: String,
    },
    Logo(String),
    Origin(String),
    /// The brand is never taken from a link: the verdict names the trust list's.
    Brand,
}

impl fmt::Display for EmbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Colour { param, value } => write!(
                f,
                "{param}={value:?} is not a colour: give six hex digits, like 0a7d3b"
            ),
            Self::Logo(value) => write!(
                f,
                "logo={value:?} is not a path on this site (/…)"
            ),
            Self::Origin(value) => write!(
                f,
                "origin={value:?} is not an origin: give scheme and host only, like https://campaign.brand.cn"
            ),
            Self::Brand => f.write_str("brand= is not read: the verdict names the brand"),
        }
    }
}

impl Embed {
    /// The embedding asked for by a page's query string (with or without its `?`): `None` when
    /// the page is not embedded. A wrong parameter is an error naming it; the caller shows it
    /// and embeds with the defaults, so a typo in a snippet is seen, never silently ignored.
    pub fn from_query(query: &str) -> Option<Result<Self, EmbedError>> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if !params.iter().any(|(k, _)| k == EMBED_PARAM) {
            return None;
        }
        let value = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let parse = || -> Result<Self, EmbedError> {
            let colour = |param: &'static str| {
                value(param)
                    .map(|v| {
                        Colour::parse(v).ok_or_else(|| EmbedError::Colour {
                            param,
                            value: v.to_owned(),
                        })
                    })
                    .transpose()
            };
            let logo = value("logo")
                .map(|v| {
                    is_logo_url(v)
                        .then(|| v.to_owned())
                        .ok_or_else(|| EmbedError::Logo(v.to_owned()))
                })
                .transpose()?;
            let origin = value("origin")
                .map(|v| {
                    is_origin(v)
                        .then(|| v.to_owned())
                        .ok_or_else(|| EmbedError::Origin(v.to_owned()))
                })
                .transpose()?;
            if value("brand").is_some() {
                return Err(EmbedError::Brand);
            }
            Ok(Self {
                accent: colour("accent")?,
                background: colour("background")?,
                logo,
                origin,
            })
        };
        Some(parse())
    }

    /// Where messages may go: the given origin, or any parent.
    pub fn target_origin(&self) -> &str {
        self.origin.as_deref().unwrap_or("*")
    }

    /// CSS custom properties to set on the page (see style/main.css `:root`).
    pub fn css_properties(&self) -> Vec<(&'static str, String)> {
        let mut properties = Vec::new();
        if let Some(accent) = self.accent {
            properties.push(("--accent", accent.css()));
            properties.push(("--on-accent", accent.readable_ink().to_owned()));
        }
        if let Some(background) = self.background {
            properties.push(("--page-bg", background.css()));
            properties.push(("--ink", background.readable_ink().to_owned()));
        }
        properties
    }
}

/// The message an embedding page receives for each verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VerdictMessage {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub verdict: Verdict,
}

impl VerdictMessage {
    pub fn new(verdict: Verdict) -> Self {
        Self {
            kind: MESSAGE_TYPE,
            verdict,
        }
    }
}

/// A colour given as six hex digits (a leading `#` is accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour([u8; 3]);

impl Colour {
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix('#').unwrap_or(text);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Self([channel(0)?, channel(2)?, channel(4)?]))
    }

    pub fn css(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// WCAG 2 relative luminance, 0 (black) to 1 (white).
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                pow((c + 0.055) / 1.055, 2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// Dark or light text, whichever has the higher contrast on this colour.
    pub fn readable_ink(self) -> &'static str {
        let contrast_with = |ink: f64| {
            let (hi, lo) = if ink > self.luminance() {
                (ink, self.luminance())
            } else {
                (self.luminance(), ink)
            };
            (hi + 0.05) / (lo + 0.05)
        };
        // The page's own dark ink (#1b1f24) and near-white.
        if contrast_with(Self([0x1b, 0x1f, 0x24]).luminance())
            >= contrast_with(Self([0xf6, 0xf7, 0xf9]).luminance())
        {
            "#1b1f24"
        } else {
            "#f6f7f9"
        }
    }
}

/// A path on this site, which its operator controls: never another site's image (`https://…`,
/// a protocol-relative `//host`), `javascript:` or `data:`.
fn is_logo_url(text: &str) -> bool {
    let no_space = !text.chars().any(|c| c.is_whitespace() || c.is_control());
    no_space && text.starts_with('/') && !text.starts_with("//") && !text.starts_with("/\\")
}

/// `scheme://host[:port]` exactly as `location.origin` prints it: http or https, no path.
fn is_origin(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    // An IPv6 host is bracketed, and its colons are not the port's.
    let (host_ok, port) = match rest.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((address, tail)) => (
                !address.is_empty()
                    && address
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
                tail,
            ),
            None => (false, ""),
        },
        None => {
            let end = rest.find(':').unwrap_or(rest.len());
            let host = &rest[..end];
            (
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
                &rest[end..],
            )
        }
    };
    let port_ok = match port.strip_prefix(':') {
        Some(digits) => {
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok()
        }
        None => port.is_empty(),
    };
    host_ok && port_ok
}

/// `x^y`. In the browser, JavaScript's `Math.pow`: Rust's own `powf` compiles libm's `pow`
/// into the page's WebAssembly (2 kB) for one colour computation.
fn pow(x: f64, y: f64) -> f64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Math::pow(x, y);
    #[cfg(not(target_arch = "wasm32"))]
    return x.powf(y);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_without_the_embed_parameter_is_not_embedded() {
        assert_eq!(Embed::from_query(""), None);
        assert_eq!(Embed::from_query("?accent=0a7d3b"), None);
        assert_eq!(Embed::from_query("?s=abc"), None);
    }

    #[test]
    fn every_parameter_is_read() {
        let embed = Embed::from_query(
            "?embed&accent=%230A7D3B&background=ffffff&logo=%2Fbrand.png&origin=https%3A%2F%2Fcampaign.brand.cn",
        )
        .expect("embedded")
        .expect("valid");
        assert_eq!(embed.accent, Colour::parse("0a7d3b"));
        assert_eq!(embed.accent.map(Colour::css).as_deref(), Some("#0a7d3b"));
        assert_eq!(embed.logo.as_deref(), Some("/brand.png"));
        assert_eq!(embed.target_origin(), "https://campaign.brand.cn");
        assert_eq!(
            Embed::from_query("embed=1").map(|e| e.map(|e| e.target_origin().to_owned())),
            Some(Ok("*".to_owned()))
        );
    }

    #[test]
    fn a_wrong_parameter_is_named_with_its_value() {
        let error = |q: &str| Embed::from_query(q).expect("embedded").expect_err(q);
        assert_eq!(
            error("embed&accent=red"),
            EmbedError::Colour {
                param: "accent",
                value: "red".into()
            }
        );
        assert!(error("embed&background=12345")
            .to_string()
            .contains("background=\"12345\""));
        for logo in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//evil.example/x.png",
            "http://brand.cn/logo.png",
            "https://evil.example/logo.png",
            "https://",
            "/a b.png",
        ] {
            let query = format!(
                "embed&logo={}",
                form_urlencoded::byte_serialize(logo.as_bytes()).collect::<String>()
            );
            assert_eq!(error(&query), EmbedError::Logo(logo.into()), "{logo}");
        }
        for origin in [
            "https://campaign.brand.cn/page",
            "campaign.brand.cn",
            "ftp://brand.cn",
            "https://brand.cn:99999",
            "https://",
            "*",
        ] {
            let query = format!(
                "embed&origin={}",
                form_urlencoded::byte_serialize(origin.as_bytes()).collect::<String>()
            );
            assert_eq!(error(&query), EmbedError::Origin(origin.into()), "{origin}");
        }
        // A link never names the brand: any brand= is refused, the verdict names it.
        assert_eq!(error("embed&brand=Moutai"), EmbedError::Brand);
    }

    #[test]
    fn origins_as_browsers_print_them_are_accepted() {
        for origin in [
            "https://campaign.brand.cn",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
            "http://[::1]",
        ] {
            assert!(is_origin(origin), "{origin}");
        }
    }

    #[test]
    fn text_reads_on_any_background() {
        let ink = |hex: &str| Colour::parse(hex).expect(hex).readable_ink();
        assert_eq!(ink("ffffff"), "#1b1f24");
        assert_eq!(ink("ffe600"), "#1b1f24");
        assert_eq!(ink("000000"), "#f6f7f9");
        assert_eq!(ink("0a3d7b"), "#f6f7f9");
        let embed = Embed::from_query("embed&accent=0a3d7b")
            .expect("embedded")
            .expect("valid");
        assert_eq!(
            embed.css_properties(),
            vec![
                ("--accent", "#0a3d7b".into()),
                ("--on-accent", "#f6f7f9".into())
            ]
        );
    }

    #[test]
    fn the_message_carries_the_verdict_and_nothing_else() {
        let message = serde_json::to_value(VerdictMessage::new(Verdict::Tampered)).expect("json");
        assert_eq!(
            message,
            serde_json::json!({"type": "tracecode-verdict", "verdict": "Tampered"})
        );
    }
}
