// Rebuild when migrations change, so that `sqlx::migrate!` embeds new files.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
