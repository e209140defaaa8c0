//! The `portico` command line.

use portico_web::app::{Config, RunningServer};
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "portico", version, about = "Client portals for field-service businesses")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PORTICO_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Where the database, files and compiled plugins live.
    #[arg(long, env = "PORTICO_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Database URL; defaults to an SQLite file in the data directory.
    #[arg(long, env = "PORTICO_DATABASE_URL")]
    database_url: Option<String>,
    /// How many connections to keep to the database (per instance: on
    /// PostgreSQL, instances times this must stay under its max_connections).
    #[arg(long, env = "PORTICO_DATABASE_CONNECTIONS", default_value_t = portico_data::Db::DEFAULT_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    database_connections: u32,
    /// The address people reach this server at, for links (default: http://BIND).
    #[arg(long, env = "PORTICO_PUBLIC_URL")]
    public_url: Option<String>,
    /// Where document files live: a directory or s3://bucket/prefix
    /// (default: DATA_DIR/files); shared by instances. S3 reads AWS_* variables.
    #[arg(long, env = "PORTICO_FILES")]
    files: Option<String>,
    /// SMTP server for outgoing mail: smtp://user:pass@host:587?tls=required,
    /// smtps://user:pass@host:465, or smtp://host:25. Without it mail is kept
    /// in the outbox.
    #[arg(long, env = "PORTICO_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of outgoing mail.
    #[arg(long, env = "PORTICO_MAIL_FROM", default_value = "Portico <portal@localhost>")]
    mail_from: String,
    /// Who sends texts (SMS): `test` (the labelled test provider: reaches no
    /// phone, shows texts in the demo's outbox) or `twilio` (with
    /// PORTICO_TWILIO_ACCOUNT_SID, PORTICO_TWILIO_AUTH_TOKEN and
    /// PORTICO_TWILIO_FROM). Without it no texts are offered. `portico demo`
    /// uses `test` unless told otherwise.
    #[arg(long, env = "PORTICO_SMS_PROVIDER", value_parser = ["test", "twilio"])]
    sms_provider: Option<String>,
    #[arg(long, env = "PORTICO_TWILIO_ACCOUNT_SID", hide = true)]
    twilio_account_sid: Option<String>,
    #[arg(long, env = "PORTICO_TWILIO_AUTH_TOKEN", hide_env_values = true, hide = true)]
    twilio_auth_token: Option<String>,
    #[arg(long, env = "PORTICO_TWILIO_FROM", hide = true)]
    twilio_from: Option<String>,
    #[arg(long, env = "PORTICO_TWILIO_API_BASE", default_value = "https://api.twilio.com", hide = true)]
    twilio_api_base: String,
    /// Stripe secret key (sk_live_… or sk_test_…) for card payments. Set it
    /// through the environment, not the command line, so it stays out of `ps`.
    #[arg(long, env = "PORTICO_STRIPE_SECRET_KEY", hide_env_values = true, requires = "stripe_webhook_secret")]
    stripe_secret_key: Option<String>,
    /// The signing secret (whsec_…) of the Stripe webhook endpoint
    /// PUBLIC_URL/webhooks/stripe.
    #[arg(long, env = "PORTICO_STRIPE_WEBHOOK_SECRET", hide_env_values = true, requires = "stripe_secret_key")]
    stripe_webhook_secret: Option<String>,
    /// Stripe's API address; change it only to test against a stand-in.
    #[arg(long, env = "PORTICO_STRIPE_API_BASE", default_value = "https://api.stripe.com")]
    stripe_api_base: String,
    /// Let businesses register webhook endpoints on loopback and private
    /// networks, and over plain http. Only for development: in production
    /// it would let a business make this server call into its own network.
    #[arg(long, env = "PORTICO_WEBHOOKS_ALLOW_PRIVATE_TARGETS")]
    webhooks_allow_private_targets: bool,
    /// A reverse proxy (address or CIDR range; repeat, or separate with
    /// commas) whose `X-Forwarded-For` names the client. Without one, the
    /// peer is the client and the header is ignored.
    #[arg(long = "trusted-proxy", env = "PORTICO_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<portico_web::serve::IpRange>,
}

/// Where the data lives, for operator commands that do not serve.
#[derive(clap::Args, Clone)]
struct StoreArgs {
    #[arg(long, env = "PORTICO_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    #[arg(long, env = "PORTICO_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum PluginsAction {
    /// Offer an uploaded plugin to every tenant. SHA256 is on the plugin's
    /// review page (/staff/sections/packages/SHA256).
    Publish {
        sha256: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Stop offering it to tenants that did not upload it (those that
    /// installed it keep it).
    Unpublish {
        sha256: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Operator tasks on uploaded plugins.
    Plugins {
        #[command(subcommand)]
        action: PluginsAction,
    },
    /// Serve the portal.
    Serve(ServeArgs),
    /// Add a large data set for measuring growth: BUSINESSES businesses
    /// running the demo inspection business's sections, each with
    /// JOBS_PER_BUSINESS jobs (people, visit, services, invoice, report).
    /// Goes on where an earlier run stopped. See docs/deploy.md.
    SeedGrowth {
        #[arg(long, default_value_t = 10_000)]
        businesses: u32,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        jobs_per_business: u32,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create (or reuse) demo data, print each role's link, and serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Also write the links as JSON to this file.
        #[arg(long, env = "PORTICO_LINKS_JSON")]
        links_json: Option<PathBuf>,
    },
}

impl ServeArgs {
    /// The SMS provider asked for; Twilio needs its three settings.
    fn sms(&self) -> anyhow::Result<Option<portico_services::sms::SmsConfig>> {
        use portico_services::sms::{SmsConfig, TwilioConfig};
        Ok(match self.sms_provider.as_deref() {
            None => None,
            Some("test") => Some(SmsConfig::Test),
            Some(_) => {
                let (Some(account_sid), Some(auth_token), Some(from)) = (&self.twilio_account_sid, &self.twilio_auth_token, &self.twilio_from) else {
                    anyhow::bail!("--sms-provider twilio needs PORTICO_TWILIO_ACCOUNT_SID, PORTICO_TWILIO_AUTH_TOKEN and PORTICO_TWILIO_FROM");
                };
                Some(SmsConfig::Twilio(TwilioConfig {
                    account_sid: account_sid.clone(),
                    auth_token: auth_token.clone(),
                    from: from.clone(),
                    api_base: self.twilio_api_base.clone(),
                }))
            }
        })
    }

    fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::new(self.bind, self.data_dir.clone());
        config.sms = self.sms()?;
        config.database_url = self.database_url.clone();
        config.database_connections = self.database_connections;
        config.public_url = self.public_url.clone();
        config.files = self.files.clone();
        config.mail = self
            .smtp_url
            .clone()
            .map(|smtp_url| portico_services::mail::MailConfig { smtp_url, from: self.mail_from.clone() });
        if let (Some(secret_key), Some(webhook_secret)) = (&self.stripe_secret_key, &self.stripe_webhook_secret) {
            config.stripe = Some(portico_services::payments::stripe::StripeConfig {
                secret_key: secret_key.clone(),
                webhook_secret: webhook_secret.clone(),
                api_base: self.stripe_api_base.clone(),
            });
        }
        config.webhooks.allow_private_targets = self.webhooks_allow_private_targets;
        config.trusted_proxies = self.trusted_proxies.clone();
        Ok(config)
    }
}

/// Publish or unpublish an uploaded package.
async fn set_published(sha256: &str, store: &StoreArgs, published: bool) -> anyhow::Result<()> {
    let mut config = Config::new("127.0.0.1:0".parse().expect("an address"), store.data_dir.clone());
    config.database_url = store.database_url.clone();
    let db = portico_data::Db::connect(&config.database_url()).await?;
    let package = db.package(sha256).await?.filter(|p| p.origin == "upload");
    let Some(package) = package else {
        anyhow::bail!("no uploaded plugin has the SHA-256 {sha256}");
    };
    db.set_package_published(sha256, published).await?;
    let verb = if published { "is offered to every tenant" } else { "is no longer offered to other tenants" };
    println!("{} {} ({sha256}) {verb}.", package.plugin_id, package.version);
    Ok(())
}

/// Make the growth data set beside the demo (which is its template).
async fn seed_growth(plan: portico_data::GrowthPlan, store: &StoreArgs) -> anyhow::Result<()> {
    let mut config = Config::new("127.0.0.1:0".parse().expect("an address"), store.data_dir.clone());
    config.database_url = store.database_url.clone();
    let server = RunningServer::start(config).await?;
    crate::demo::ensure_inspection_demo(&server.state, &store.data_dir).await?;
    let template = server.state.db.tenant_by_slug(crate::demo::SLUG).await?.context("the demo business is missing")?;
    let started = std::time::Instant::now();
    let grown = crate::growth::seed(&server.state.db, &template.id, plan).await?;
    println!(
        "{} businesses made ({} seeded in all, {} jobs) in {:.0} s",
        grown.businesses_made,
        grown.businesses,
        grown.jobs,
        started.elapsed().as_secs_f64()
    );
    server.stop().await
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Plugins { action: PluginsAction::Publish { sha256, store } } => set_published(&sha256, &store, true).await,
        Command::Plugins { action: PluginsAction::Unpublish { sha256, store } } => set_published(&sha256, &store, false).await,
        Command::SeedGrowth { businesses, jobs_per_business, store } => {
            seed_growth(portico_data::GrowthPlan { businesses, jobs_per_business }, &store).await
        }
        Command::Serve(args) => {
            let server = RunningServer::start(args.config()?).await?;
            tracing::info!(url = %server.base_url, "serving");
            server.wait_for_signal().await
        }
        Command::Demo { serve, links_json } => {
            let mut config = serve.config()?;
            config.dev_pages = true;
            // Texts to the labelled test provider, readable in the outbox page.
            config.sms.get_or_insert(portico_services::sms::SmsConfig::Test);
            // So a developer can point an endpoint at a receiver on this machine.
            config.webhooks.allow_private_targets = true;
            let server = RunningServer::start(config).await?;
            let links = crate::demo::ensure_demo(&server.state, &serve.data_dir).await?;
            if let Some(path) = links_json {
                std::fs::write(&path, serde_json::to_string_pretty(&links)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            println!("Portico demo is running at {}\n", server.base_url);
            println!("  Client (Dana Whitfield):          {}", links.client);
            println!("  Buyer's agent (Sam Ortiz):        {}", links.buyer_agent);
            println!("  Listing agent (Priya Natarajan):  {}", links.listing_agent);
            println!("  Staff sign-in:                    {}  ({} / {})", links.staff.url, links.staff.email, links.staff.password);
            println!("  Client sign-in without a link:    {}/t/{}/signin", server.base_url, crate::demo::SLUG);
            println!("  REST API ({}/api/openapi.json):  Authorization: Bearer {}", server.base_url, links.api_key);
            println!("  Mail and texts (dev only):        {}{}", server.base_url, portico_web::dev::outbox_path(&server.state, crate::demo::SLUG));
            if let Some(service) = &links.service {
                println!("\nNorthwind Home Services (invited customers sign in with their password):");
                println!("  Customer sign-in:                 {}  ({} / {})", service.signin, service.customer_email, service.customer_password);
                println!("  Staff sign-in:                    {}  ({} / {})", service.staff.url, service.staff.email, service.staff.password);
                println!("  Mail and texts (dev only):        {}{}", server.base_url, portico_web::dev::outbox_path(&server.state, crate::demo::SERVICE_SLUG));
            }
            if let Some(cleaning) = &links.cleaning {
                println!("\nSparkle & Shine Cleaning (customers sign in with a code sent by e-mail):");
                println!("  Customer sign-in:                 {}  (as {}; the code is in the outbox below)", cleaning.signin, cleaning.customer_email);
                println!("  Staff sign-in:                    {}  ({} / {})", cleaning.staff.url, cleaning.staff.email, cleaning.staff.password);
                println!("  Mail and texts (dev only):        {}{}", server.base_url, portico_web::dev::outbox_path(&server.state, crate::demo::CLEANING_SLUG));
            }
            println!("\nPress Ctrl-C to stop.");
            server.wait_for_signal().await
        }
    }
}
