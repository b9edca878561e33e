//! Reading and writing code URLs: the liberties phones take are tolerated, nothing else is.

use tracecode_core::code::{CodeError, NotOurCode, PathError, PayloadError};
use tracecode_core::vectors::{self, HOST};
use tracecode_core::Code;

fn genuine() -> String {
    vectors::vectors()[0].text.clone()
}

fn parse(text: &str) -> Result<Code, CodeError> {
    Code::parse(text)
}

#[test]
fn the_canonical_url_has_the_documented_shape() {
    let url = genuine();
    let (prefix, digits) = url.split_once("?s=").unwrap();
    assert_eq!(
        prefix,
        format!("https://{HOST}/01/06901234567892/10/L2611A/21/1234567890123456789")
    );
    assert_eq!(digits.len(), 175);
    assert!(digits.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(parse(&url).unwrap().url(), url);
}

#[test]
fn phone_liberties_are_tolerated() {
    let url = genuine();
    let code = parse(&url).unwrap();
    let variants = [
        url.replace("https://t.example.cn", "HTTPS://T.Example.CN"),
        url.replace("/21/1234567890123456789?", "/21/1234567890123456789/?"),
        url.replace("/10/L2611A/", "/10/%4C2611%41/")
            .replace("/01/0", "/01/%30"),
        format!("{url}&from=singlemessage&isappinstalled=0"),
        url.replace("?s=", "?utm_source=wechat&s="),
        format!("{url}#wechat_redirect"),
    ];
    for variant in variants {
        assert_eq!(parse(&variant).as_ref(), Ok(&code), "{variant}");
    }
}

#[test]
fn lots_outside_unreserved_characters_are_percent_encoded_and_read_back() {
    let mut code = parse(&genuine()).unwrap();
    code.data.lot = Some("A/B:C%D?E&F=G\"H".parse().unwrap());
    let url = code.url();
    assert!(
        url.contains("/10/A%2FB%3AC%25D%3FE%26F%3DG%22H/21/"),
        "{url}"
    );
    assert_eq!(parse(&url), Ok(code));
}

#[test]
fn not_our_codes_say_what_they_are() {
    let cases = [
        ("hello world", NotOurCode::Text),
        ("WIFI:S:shop;T:WPA;P:secret;;", NotOurCode::Text),
        ("weixin://dl/business/?t=abc", NotOurCode::OtherScheme),
        ("https://example.com/promo?id=5", NotOurCode::WebLink),
        ("https://example.com/search?s=shoes", NotOurCode::WebLink),
        (
            "https://id.gs1.org/01/09506000134352/10/ABC",
            NotOurCode::UnsignedDigitalLink,
        ),
        ("", NotOurCode::Text),
    ];
    for (text, kind) in cases {
        assert_eq!(parse(text), Err(CodeError::NotOurCode(kind)), "{text}");
    }
}

#[test]
fn malformed_codes_name_the_field() {
    let url = genuine();
    let digits = url.split_once("?s=").unwrap().1.to_owned();
    let cases: Vec<(String, &str)> = vec![
        (url.replace("https://", "http://"), "scheme"),
        (url.replace("t.example.cn", "evil.cn@t.example.cn"), "host"),
        (url.replace("t.example.cn", "t.exa mple.cn"), "host"),
        (
            url.replace("/01/06901234567892", "/01/06901234567893"),
            "gtin",
        ),
        (
            url.replace("/01/06901234567892", "/01/6901234567892"),
            "gtin",
        ),
        (url.replace("/10/L2611A", "/10/L 2611"), "lot"),
        (url.replace("/10/L2611A", "/10/L26%ZZ"), "path"),
        (url.replace("/10/L2611A", "/10/%4c2611A"), "path"),
        (
            url.replace("/10/L2611A", "/10/ABCDEFGHIJKLMNOPQRSTU"),
            "lot",
        ),
        (
            url.replace("/21/1234567890123456789", "/21/01234"),
            "serial",
        ),
        (
            url.replace("/21/1234567890123456789", "/21/99999999999999999999"),
            "serial",
        ),
        (url.replace("/10/L2611A/21/", "/22/X/21/"), "path"),
        (url.replace("/21/1234567890123456789", ""), "path"),
        (
            url.replace("/21/1234567890123456789", "/21/1234567890123456789/99"),
            "path",
        ),
        (url.replace("/10/L2611A", "//L2611A"), "path"),
        (url.replace(&digits, &digits[1..]), "s"),
        (url.replace(&digits, &format!("{}x", &digits[1..])), "s"),
        (format!("{url}&s={digits}"), "s"),
        (
            url.replace(&digits, &format!("2{}", &digits[1..])),
            "version",
        ),
    ];
    for (text, field) in cases {
        let err = parse(&text).expect_err(&text);
        assert_eq!(err.field(), field, "{text}: {err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn payload_errors_are_specific() {
    let url = genuine();
    let digits = url.split_once("?s=").unwrap().1;
    assert_eq!(
        parse(&url.replace(digits, "123")),
        Err(CodeError::Payload(PayloadError::Length(3)))
    );
    assert_eq!(
        parse(&url.replace("/10/L2611A/21/1234567890123456789", "/10/L2611A")),
        Err(CodeError::Path(PathError::MissingSerial))
    );
    assert_eq!(
        parse(&url.replace("/21/1234567890123456789", "/21")),
        Err(CodeError::Path(PathError::NoValue("21")))
    );
}
