//! A plugin whose `describe` panics (a trap): the host must refuse it at upload.

use portico_plugin_sdk::prelude::*;

struct Failing;

impl Section for Failing {
    fn describe() -> Descriptor {
        panic!("describe is broken")
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        Ok(Vec::new())
    }
}

export_section!(Failing);
