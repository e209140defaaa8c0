//! Builds the hostile test plugins for wasm32-wasip2 and embeds them in the
//! test support library (`support::hostile_plugin`).

#[path = "../host/build/wasm_guests.rs"]
mod wasm_guests;

use std::path::Path;

const HOSTILE: &[&str] = &["portico-test-hostile", "portico-test-undeclared-import"];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace");
    let guests = if wasm_guests::skip_requested() {
        Vec::new()
    } else {
        wasm_guests::build(
            &root.join("tests/plugins/Cargo.toml"),
            HOSTILE,
            &[&root.join("plugin-sdk"), &root.join("wit")],
        )
    };
    wasm_guests::embed(&guests, "hostile_plugins.rs", "HOSTILE_PLUGINS");
}
