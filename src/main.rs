//! Entry point of the web app: panic hook, then mount.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(tracecode_web::App);
}
