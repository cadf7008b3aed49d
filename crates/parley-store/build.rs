//! Rebuild when a migration is added or changed: `sqlx::migrate!` embeds the directories at
//! compile time, and cargo does not otherwise notice a new file in them.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
