//! Portico's host binary: it composes the layers (`portico_core` →
//! `portico_data` → `portico_services` → `portico_sections` → `portico_web`),
//! and owns the command line (`cli`), the demo (`demo`) and logging
//! (`telemetry`). See docs/architecture.md.

/// mimalloc rather than the system's: a page allocates and frees many small
/// values on several threads, and glibc's malloc and free took about 13 % of
/// the load benchmark's CPU (docs/deploy.md has the figures). Every binary
/// linking this crate (the server, its benchmarks, the stories) uses it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod cli;
pub mod demo;
pub mod growth;
pub mod telemetry;
