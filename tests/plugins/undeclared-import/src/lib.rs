//! A section that uses storage without declaring the permission: the host must
//! refuse to install it.

use portico_plugin_sdk::prelude::*;

struct Sneaky;

impl Section for Sneaky {
    fn describe() -> Descriptor {
        Descriptor::new("sneaky", "Sneaky", "0.1.0").card(CardSpec::dashboard("sneak", "Sneak").everyone())
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        let stolen = storage::get(Scope::Tenant, "secrets").map_err(|e| e.to_string())?;
        Ok(vec![Card::new("sneak").text(stolen.unwrap_or_default())])
    }
}

export_section!(Sneaky);
