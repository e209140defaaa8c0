//! Portico's data layer: the database and the file store (`files`).
//!
//! Tenancy is a type. A business's rows are reached only through
//! [`Db::tenant`], which takes a [`TenantId`] and gives a [`TenantDb`] whose
//! every query filters on that tenant: no method there takes a tenant, so none
//! can be called with the wrong one, and none can forget it. `Db` itself keeps
//! only what is not yet a business's (finding whose a link, session, key or
//! host name is; the queues the workers lease from; server secrets).
//!
//! One implementation serves SQLite and PostgreSQL: the pool is sqlx's `Any`
//! pool, chosen by the URL's scheme, and every query is written once in the SQL
//! both accept (`$1` placeholders in order of first use, `ON CONFLICT`, TEXT
//! ids, BIGINT times, 0/1 integers for booleans). Only the migrations differ,
//! one folder per backend, kept in step by a test.

mod access_log;
mod account;
pub mod files;
mod add_ons;
mod api;
mod agreements;
mod audit;
mod batches;
mod board;
mod growth;
mod conversations;
mod crew;
mod estimates;
mod identity;
mod job_setup;
mod jobs;
mod job_snapshot;
mod jobs_at_once;
mod mail_templates;
mod notes;
mod notifications;
mod outbox;
mod payments;
mod plugins;
mod plans;
mod pool;
mod shared_reads;
mod sqlite_reads;
mod snapshot;
mod properties;
mod queue;
mod report_items;
mod requests;
mod sessions;
mod sms;
mod stages;
mod storage;
mod tenants;
mod uploads;
mod webhooks;

pub use access_log::{AccessEntry, NewAccess};
pub use sqlite_reads::sqlite_without_memory_statistics;
pub use account::{AccountJobDetail, JobPart};
pub use add_ons::{AddOnRequest, AddOnService, Approved};
pub use api::{ApiKey, IdempotentAnswer, JobOnPage};
pub use agreements::{AgreementSettings, AgreementTemplate, LockedAgreement, NewSignature, Signed, StoredSignature, TemplateFields};
pub use audit::{Actor, AuditEntry, MailQuota, SectionSender};
pub use batches::{Batch, BatchConflict, BatchCustomer, NewBatch};
pub use conversations::{Conversation, ConversationFilter, ConversationLine, Message, NewConversation, NewMessage, Party};
pub use crew::CrewMember;
pub use estimates::{AcceptedInvoices, Acceptance, Estimate, EstimateLine, NewEstimate};
pub use board::{BoardFilter, BoardPage, BoardQuery, BoardRow};
pub use growth::{growth_slug, GrowthPlan, Grown};
pub use identity::{AccountJob, AnsweredChallenge, ChallengePurpose, NewChallenge, OtherTenant, OwnLink, PasswordHolder};
pub use job_setup::{JobDetails, JobConflict, NewPerson, PersonChange};
pub use jobs::{JobLink, NewInvoice};
pub use mail_templates::StoredTemplate;
pub use notes::JobNote;
pub use notifications::Recipient;
pub use outbox::{OutboxEntry, OutboxMessage};
pub use payments::{Allocation, InvoiceTotals, NewPayment, Payment, PaymentKey, PaymentNews, PaymentShare};
pub use plugins::{Installation, PackageRow};
pub use properties::{NewPropertyNote, PropertyJob, PropertyLine, PropertyNote};
pub use report_items::{NewReportItem, ReportItem};
pub use requests::{NewRequest, ServiceRequest};
pub use sms::{SmsEntry, SmsMessage};
pub use sessions::{NewSession, SessionRow, SessionSubject, SessionSummary};
pub use stages::JobStep;
pub use storage::{StorageScope, PLUGIN_QUOTA_BYTES};
pub use uploads::{NewUpload, Upload, PersonKind};
pub use tenants::{AccessSettings, Branding, NewTenant, StaffUser};
pub use webhooks::{DeliveryRow, DeliveryTarget, LeasedDelivery, WebhookEndpoint};

use sqlx::any::AnyPoolOptions;
use sqlx::Executor;
pub use pool::{counting, counting_hops, recording, Counted, CountedBy};
use pool::Pool;
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

impl DbError {
    /// Whether a unique constraint refused the write (two requests raced).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Query { source: sqlx::Error::Database(e), .. } if e.is_unique_violation())
    }
}

/// Attach what a query was doing to its error.
pub(crate) trait QueryContext<T> {
    fn context(self, context: &'static str) -> DbResult<T>;
}

impl<T> QueryContext<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> DbResult<T> {
        self.map_err(|source| DbError::Query { context, source })
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::Invalid(format!("database URLs start with sqlite: or postgres:, not {:?}", redact(url))))
        }
    }
}

/// A URL fit for a log line: no password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

pub use portico_core::ids::{JobId, TenantId};

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// A page render's reads, on a handle from [`Db::snapshot`].
    snapshot: Option<std::sync::Arc<snapshot::Snapshot>>,
    /// Reads kept across requests, shared by every handle.
    shared: std::sync::Arc<shared_reads::SharedReads>,
}

/// The database as one business sees it: every query filters on `tenant`.
#[derive(Clone, Copy)]
pub struct TenantDb<'a> {
    db: &'a Db,
    tenant: &'a TenantId,
}

impl TenantDb<'_> {
    /// The business these queries work for.
    pub fn id(&self) -> &TenantId {
        self.tenant
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).field("snapshot", &self.snapshot).finish()
    }
}

impl Db {
    /// The rows of the business `tenant`, and only those.
    pub fn tenant<'a>(&'a self, tenant: &'a TenantId) -> TenantDb<'a> {
        TenantDb { db: self, tenant }
    }

    /// Connections an instance keeps to its database unless told otherwise
    /// (`PORTICO_DATABASE_CONNECTIONS`); see docs/deploy.md for how it was
    /// chosen.
    pub const DEFAULT_CONNECTIONS: u32 = 8;

    /// Open the database at `url` (an SQLite file is created if missing) and
    /// bring its schema up to date, with the default number of connections.
    pub async fn connect(url: &str) -> DbResult<Db> {
        Db::connect_with(url, Db::DEFAULT_CONNECTIONS).await
    }

    /// [`Db::connect`] keeping at most `connections` open (at least one).
    pub async fn connect_with(url: &str, connections: u32) -> DbResult<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let options = AnyPoolOptions::new().max_connections(connections.max(1)).acquire_timeout(Duration::from_secs(10));
        let pool = match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") };
                options
                    // A file on this machine cannot drop a connection the way
                    // a server can, and the ping sqlx sends before handing
                    // one out is a round trip to the connection's thread per
                    // statement.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
            }
            Backend::Postgres => options.connect(url).await,
        }
        .context("opening the database")?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("../../migrations/postgres").run(&pool).await?,
        }
        tracing::info!(url = %redact(url), ?backend, "database ready");
        let shared = shared_reads::SharedReads::start(backend, url, &pool);
        let reads = match backend {
            Backend::Sqlite => sqlite_reads::SqliteReads::of(url),
            Backend::Postgres => None,
        };
        Ok(Db { pool: Pool { any: pool, reads, sqlite: backend == Backend::Sqlite }, backend, snapshot: None, shared })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Close every connection (tests drop their database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Every (table, column) of the schema, for checking that the two backends'
    /// migrations agree. Introspection differs per backend; nothing else does.
    pub async fn schema_columns(&self) -> DbResult<std::collections::BTreeSet<(String, String)>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'"
            }
        };
        let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&self.pool).await.context("reading the schema")?;
        Ok(rows.into_iter().collect())
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
            .bind(portico_core::model::now())
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
