//! The app's build configuration, checked natively.

#[test]
fn the_default_pinned_root_is_the_documented_demo_root() {
    let roots = tracecode_web::config::pinned_roots().expect("the demo key parses");
    if std::env::var_os("TRACECODE_ROOT_KEYS").is_none() {
        assert!(roots.is_demo);
        assert_eq!(roots.keys, vec![tracecode_core::vectors::root_public_key()]);
    }
}
