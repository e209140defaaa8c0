use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // SAFETY: nothing has opened a database yet, so no thread uses SQLite.
    unsafe { portico_data::sqlite_without_memory_statistics() };
    portico::telemetry::init();
    portico::cli::run(portico::cli::Cli::parse()).await
}
