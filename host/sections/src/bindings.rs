//! Host-side bindings generated from `wit/`: the contract as Rust types and traits.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "section-plugin",
    imports: { default: async },
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize],
});

pub use self::exports::portico::plugin::section;
pub use self::portico::plugin::{add_ons, agreements, audit, billing, cards, checkout, documents, job_data, log, notify, storage, types};
