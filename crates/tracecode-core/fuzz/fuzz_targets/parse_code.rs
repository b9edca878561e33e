//! Any text through parse and verify: no panic, and whatever parses rebuilds to a URL that
//! parses back to the same code.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tracecode_core::{vectors, verify_text, Code, TrustList};

fn trust() -> &'static TrustList {
    static TRUST: OnceLock<TrustList> = OnceLock::new();
    TRUST.get_or_init(vectors::trust_list)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = verify_text(text, trust(), vectors::NOW);
    if let Ok(code) = Code::parse(text) {
        let url = code.url();
        assert_eq!(Code::parse(&url).as_ref(), Ok(&code), "{url}");
    }
});
