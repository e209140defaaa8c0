//! The data layer. Every method takes the tenant it works for and filters on it:
//! no query here can reach another business's rows.
//!
//! Queries use `$1`-style placeholders in order of first use, which SQLite and
//! PostgreSQL both accept, so a PostgreSQL pool can be added behind the same
//! methods without touching the code that calls them.

mod audit;
mod jobs;
mod plugins;
mod sessions;
mod storage;
mod tenants;

pub use audit::AuditEntry;
pub use jobs::NewInvoice;
pub use plugins::{Installation, PackageRecord};
pub use sessions::{NewSession, SessionRow, SessionSubject};
pub use storage::StorageScope;
pub use tenants::{NewTenant, StaffUser};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// Errors of the data layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{context}: {source}")]
    Query { context: &'static str, source: sqlx::Error },
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Invalid(String),
}

pub type DbResult<T> = Result<T, DbError>;

/// Attach what a query was doing to its error.
pub(crate) trait QueryContext<T> {
    fn context(self, context: &'static str) -> DbResult<T>;
}

impl<T> QueryContext<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> DbResult<T> {
        self.map_err(|source| DbError::Query { context, source })
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Open (creating if needed) the database at `url` and bring its schema up to date.
    pub async fn connect(url: &str) -> DbResult<Db> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbError::Invalid(format!("bad database url {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .context("opening the SQLite database")?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(Db { pool })
    }

    /// Is the database answering?
    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.context("pinging the database")?;
        Ok(())
    }

    /// The shared secret `name`, created with `make` the first time it is asked
    /// for. Every host instance on the same database gets the same value.
    pub async fn server_secret(&self, name: &str, make: impl FnOnce() -> String) -> DbResult<String> {
        sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(make())
            .bind(crate::model::now())
            .execute(&self.pool)
            .await
            .context("creating a server secret")?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .context("reading a server secret")
    }
}
