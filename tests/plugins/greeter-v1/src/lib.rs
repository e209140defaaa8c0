//! Greeter 0.1.0: storage only.

const VERSION: &str = "0.1.0";
const SHOWS_REFERENCE: bool = false;

include!("../../greeter.rs");

export_section!(Greeter);
