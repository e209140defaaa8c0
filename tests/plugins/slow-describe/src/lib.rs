//! A plugin whose `describe` never returns: the host must refuse it at upload.

use portico_plugin_sdk::prelude::*;

struct Slow;

impl Section for Slow {
    fn describe() -> Descriptor {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        Ok(Vec::new())
    }
}

export_section!(Slow);
