//! Greeter 0.2.0: asks for job-read as well.

const VERSION: &str = "0.2.0";
const SHOWS_REFERENCE: bool = true;

include!("../../greeter.rs");

export_section!(Greeter);
