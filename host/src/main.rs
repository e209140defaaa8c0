use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    portico::telemetry::init();
    portico::cli::run(portico::cli::Cli::parse()).await
}
