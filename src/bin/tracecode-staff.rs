//! Entry point of the staff page (`staff/index.html`): panic hook, then mount.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(tracecode_web::staff::StaffApp);
}
