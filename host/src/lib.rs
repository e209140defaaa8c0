//! Portico's host binary: it composes the layers (`portico_core` →
//! `portico_data` → `portico_services` → `portico_sections` → `portico_web`),
//! and owns the command line (`cli`), the demo (`demo`) and logging
//! (`telemetry`). See docs/architecture.md.

pub mod cli;
pub mod demo;
pub mod telemetry;
