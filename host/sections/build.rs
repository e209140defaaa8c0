//! Builds the first-party section plugins for wasm32-wasip2 and embeds them in
//! the host binary (see `mod builtin` in `src/lib.rs`).

#[path = "build/wasm_guests.rs"]
mod wasm_guests;

use std::path::Path;

/// The first-party plugins, in the order new tenants get them.
const FIRST_PARTY: &[&str] = &[
    // The account dashboard heads the client's account page.
    "portico-section-dashboard",
    // The hub's Jobs and Properties tabs come first among its tabs.
    "portico-section-jobs",
    "portico-section-properties",
    // Add-ons head the dashboard, above the steps, as clients expect them.
    "portico-section-add-ons",
    "portico-section-reports",
    "portico-section-agreements",
    "portico-section-estimates",
    "portico-section-payments",
    "portico-section-repair-list",
    "portico-section-moving-offers",
    "portico-section-job-details",
    "portico-section-checklists",
    "portico-section-requests",
    "portico-section-contractors",
];

fn main() {
    // Read at run time: a build-script binary may be reused for another checkout.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).ancestors().nth(2).expect("host/sections/ is inside the workspace");
    let guests = if wasm_guests::skip_requested() {
        println!("cargo:warning=built without first-party plugins ({}=1)", wasm_guests::SKIP_VAR);
        Vec::new()
    } else {
        wasm_guests::build(
            &root.join("plugins/Cargo.toml"),
            FIRST_PARTY,
            &[&root.join("plugin-sdk"), &root.join("wit")],
        )
    };
    wasm_guests::embed(&guests, "first_party_plugins.rs", "FIRST_PARTY_PLUGINS");
}
