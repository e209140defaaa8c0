//! Builds the hostile test plugins for wasm32-wasip2 and embeds them in the
//! test support library (`support::hostile_plugin`).

#[path = "../host/sections/build/wasm_guests.rs"]
mod wasm_guests;

use std::path::Path;

const HOSTILE: &[&str] = &[
    "portico-test-hostile",
    "portico-test-undeclared-import",
    "portico-test-greeter-v1",
    "portico-test-greeter-v2",
    "portico-test-slow-describe",
    "portico-test-failing-describe",
    "portico-test-sockets",
    "portico-test-contract-0-3",
    "portico-test-help-desk",
];

fn main() {
    // Read at run time: a build-script binary may be reused for another checkout.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).parent().expect("tests/ is inside the workspace");
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
