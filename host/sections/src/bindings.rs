//! Host-side bindings generated from `wit/`: the contract as Rust types and
//! traits. The current contract is the host's own vocabulary; each older
//! version the host still runs has a module of its own (see `since_v0_3`).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "section-plugin",
    imports: { default: async },
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize],
});

pub use self::exports::portico::plugin::section;
pub use self::portico::plugin::{account, add_ons, agreements, audit, billing, cards, checkout, conversations, documents, estimates, files, job_data, log, notify, office, requests, storage, types};

/// Contract 0.3.0, frozen in `wit/v0.3.0/`, for sections built before 0.4.0.
pub mod v0_3 {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.3.0",
        world: "section-plugin",
        imports: { default: async },
        exports: { default: async },
        additional_derives: [serde::Serialize, serde::Deserialize],
    });

    pub use self::exports::portico::plugin::section;
    pub use self::portico::plugin::{add_ons, agreements, audit, billing, cards, checkout, documents, job_data, log, notify, storage, types};
}
