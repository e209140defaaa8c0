//! Portico's core: what the rest of the host agrees on, with no I/O.
//!
//! Ids that say what they name (`ids`), the domain model (`model`), how a business writes money and moments
//! (`formats`), the rules of payments and invoices (`money`), amounts as people
//! type them (`amounts`), text made safe to keep (`text`), e-mail addresses
//! (`email`), estimates' totals and the text a client accepts (`estimates`), service requests (`requests`), what a file is by its bytes (`sniff`), API key scopes (`api_keys`), enums stored by name (`names`), and
//! tokens and passwords (`tokens`, `passwords`). Every other crate of the host
//! depends on this one; it depends on none of them.

/// Amounts as people type them; the same file the plugin SDK offers sections.
#[path = "../../../plugin-sdk/src/money.rs"]
pub mod amounts;
pub mod api_keys;
pub mod email;
pub mod estimates;
pub mod formats;
pub mod ids;
pub mod model;
pub mod money;
pub mod sniff;
pub mod names;
pub mod stages;
pub mod notifications;
pub mod passwords;
pub mod requests;
pub mod phone;
pub mod text;
pub mod tokens;
