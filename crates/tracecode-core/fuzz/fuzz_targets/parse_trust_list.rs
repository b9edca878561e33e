//! Any text as a signed trust list and as a bare document: no panic, and a document that is
//! accepted serialises to one that is accepted and equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracecode_core::{vectors, SignedTrustList, TrustList};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(signed) = SignedTrustList::from_json(text) {
        let _ = signed.verify(&[vectors::root_public_key()]);
    }
    if let Ok(list) = TrustList::from_json(text) {
        let json = serde_json::to_string(list.document()).expect("serialises");
        assert_eq!(TrustList::from_json(&json).as_ref(), Ok(&list));
    }
});
