//! Running the `tracecode` binary from integration tests.
// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub(crate) fn tracecode(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracecode"))
        .current_dir(dir)
        .args(args)
        .env_remove("TRACECODE_ROOT_PUB")
        .env_remove("TRACECODE_TRUST_LIST")
        .output()
        .expect("the binary runs")
}

#[track_caller]
pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    let out = tracecode(dir, args);
    assert!(
        out.status.success(),
        "tracecode {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
pub(crate) fn fails(dir: &Path, args: &[&str], code: i32, message: &str) {
    let out = tracecode(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "tracecode {args:?}: {stderr}"
    );
    assert!(
        stderr.contains(message),
        "tracecode {args:?}: expected {message:?} in {stderr}"
    );
}
