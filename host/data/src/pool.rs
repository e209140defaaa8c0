//! The connection pool every query goes through, and the tally of statements
//! a piece of work ran.
//!
//! A page view's cost is mostly its statements (each one a round trip to the
//! database, or to SQLite's connection thread), so tests assert exactly how
//! many a page runs and the load benchmark prints it. [`counting`] runs a
//! future with a tally; every statement run through the pool by that task
//! (not by workers or other requests) adds one.

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use crate::sqlite_reads::SqliteReads;
use sqlx::any::{Any, AnyArguments, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{AnyPool, Describe, Either, Execute, Executor};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static TALLY: Arc<Tally>;
}

/// The statements a piece of work ran: how many, and their text when asked.
#[derive(Default)]
struct Tally {
    count: AtomicU32,
    /// Of those, how many went to one of sqlx's SQLite connection threads.
    hops: AtomicU32,
    texts: Option<Mutex<Vec<String>>>,
}

/// What a piece of work asked of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// SQL statements run through the pool.
    pub statements: u32,
    /// Of those, the ones sent to a connection thread of sqlx's SQLite
    /// driver rather than run on the asking thread (`sqlite_reads`):
    /// writes, and reads that could not run here. Always 0 on PostgreSQL.
    pub thread_hops: u32,
}

/// Run `work`, counting the statements it runs through the pool.
pub async fn counting<F: std::future::Future>(work: F) -> (F::Output, u32) {
    let (output, counted) = counting_hops(work).await;
    (output, counted.statements)
}

/// [`counting`], also telling which statements crossed to another thread.
pub async fn counting_hops<F: std::future::Future>(work: F) -> (F::Output, Counted) {
    let tally = Arc::new(Tally::default());
    let output = TALLY.scope(tally.clone(), work).await;
    (output, Counted { statements: tally.count.load(Ordering::Relaxed), thread_hops: tally.hops.load(Ordering::Relaxed) })
}

/// Run `work`, keeping the text of each statement it runs through the pool
/// (to read their query plans: `Db::table_scans`).
pub async fn recording<F: std::future::Future>(work: F) -> (F::Output, Vec<String>) {
    let tally = Arc::new(Tally { texts: Some(Mutex::new(Vec::new())), ..Tally::default() });
    let output = TALLY.scope(tally.clone(), work).await;
    let texts = tally.texts.as_ref().map(|texts| std::mem::take(&mut *texts.lock().unwrap_or_else(|e| e.into_inner()))).unwrap_or_default();
    (output, texts)
}

/// The tally of the task that took it, for work it hands to another thread
/// (whose statements are the task's all the same: a native section's host
/// functions, run from its blocking thread).
#[derive(Clone, Default)]
pub struct CountedBy(Option<Arc<Tally>>);

impl CountedBy {
    /// This task's tally, if it is counting.
    pub fn this_task() -> CountedBy {
        CountedBy(TALLY.try_with(Arc::clone).ok())
    }

    /// Run `work`, its statements counted on the tally taken.
    pub async fn count<F: std::future::Future>(&self, work: F) -> F::Output {
        match &self.0 {
            Some(tally) => TALLY.scope(tally.clone(), work).await,
            None => work.await,
        }
    }
}

/// Count a statement, when the task is counting; its text is traced
/// (`RUST_LOG=portico_data::statements=trace`) to see which they are.
fn tally_one(sql: &str) {
    let _ = TALLY.try_with(|tally| {
        let count = tally.count.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(texts) = &tally.texts {
            texts.lock().unwrap_or_else(|e| e.into_inner()).push(sql.to_string());
        }
        tracing::trace!(target: "portico_data::statements", count, sql);
    });
}

/// Count a statement sent to one of sqlx's SQLite connection threads.
fn tally_hop() {
    let _ = TALLY.try_with(|tally| tally.hops.fetch_add(1, Ordering::Relaxed));
}

/// sqlx's pool, counting each statement run on it directly. Transactions
/// ([`Pool::begin`]) and acquired connections (`Deref`) are not counted:
/// they are for writes, which page views do not make. On SQLite a statement
/// that only reads runs on the asking thread ([`SqliteReads`]).
#[derive(Clone, Debug)]
pub(crate) struct Pool {
    pub(crate) any: AnyPool,
    pub(crate) reads: Option<Arc<SqliteReads>>,
    pub(crate) sqlite: bool,
}

impl std::ops::Deref for Pool {
    type Target = AnyPool;

    fn deref(&self) -> &AnyPool {
        &self.any
    }
}

impl Pool {
    /// A transaction. On SQLite it takes the write lock when it begins
    /// (`BEGIN IMMEDIATE`): one that read first would fail at its first
    /// write, at once and whatever the busy timeout, whenever another
    /// connection wrote since its read (SQLite's `SQLITE_BUSY_SNAPSHOT`), as
    /// a mail worker or another request can at any moment. Taking the lock
    /// first waits its turn instead.
    pub(crate) async fn begin(&self) -> sqlx::Result<sqlx::Transaction<'static, Any>> {
        if self.sqlite {
            self.any.begin_with("BEGIN IMMEDIATE").await
        } else {
            self.any.begin().await
        }
    }

    /// Close every connection, sqlx's and the reading ones.
    pub(crate) async fn close(&self) {
        if let Some(reads) = &self.reads {
            reads.close();
        }
        self.any.close().await;
    }

    /// Count a statement about to go to sqlx, if sqlx runs it on a thread.
    fn tally_hop(&self) {
        if self.sqlite {
            tally_hop();
        }
    }

    /// The rows of `query` (at most `limit`) read on this thread, or the
    /// query for sqlx to run; an error for arguments that do not encode.
    fn read_here<'q, E: Execute<'q, Any>>(&self, mut query: E, limit: Option<usize>) -> Result<Result<Vec<AnyRow>, ToSqlx<'q, E>>, sqlx::Error> {
        let sql = query.sql();
        let Some(reads) = self.reads.as_ref().filter(|_| query.statement().is_none() && SqliteReads::may_run(sql)) else {
            self.tally_hop();
            return Ok(Err(ToSqlx::AsItCame(query)));
        };
        let persistent = query.persistent();
        let arguments = query.take_arguments().map_err(sqlx::Error::Encode)?;
        match reads.read(sql, arguments.as_ref(), limit) {
            Some(rows) => Ok(Ok(rows)),
            None => {
                self.tally_hop();
                Ok(Err(ToSqlx::ArgumentsTaken { sql, arguments, persistent }))
            }
        }
    }
}

/// A statement for sqlx after all: as it came, or as it came with its
/// arguments taken out to try it here (the same arguments, or none, and the
/// same caching).
enum ToSqlx<'q, E> {
    AsItCame(E),
    ArgumentsTaken { sql: &'q str, arguments: Option<AnyArguments<'q>>, persistent: bool },
}

impl<'q, E: Execute<'q, Any>> Execute<'q, Any> for ToSqlx<'q, E> {
    fn sql(&self) -> &'q str {
        match self {
            ToSqlx::AsItCame(query) => query.sql(),
            ToSqlx::ArgumentsTaken { sql, .. } => sql,
        }
    }

    fn statement(&self) -> Option<&AnyStatement<'q>> {
        match self {
            ToSqlx::AsItCame(query) => query.statement(),
            ToSqlx::ArgumentsTaken { .. } => None,
        }
    }

    fn take_arguments(&mut self) -> Result<Option<AnyArguments<'q>>, sqlx::error::BoxDynError> {
        match self {
            ToSqlx::AsItCame(query) => query.take_arguments(),
            ToSqlx::ArgumentsTaken { arguments, .. } => Ok(arguments.take()),
        }
    }

    fn persistent(&self) -> bool {
        match self {
            ToSqlx::AsItCame(query) => query.persistent(),
            ToSqlx::ArgumentsTaken { persistent, .. } => *persistent,
        }
    }
}

impl<'p> Executor<'p> for &'p Pool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        tally_one(query.sql());
        match self.read_here(query, None) {
            Ok(Ok(rows)) => {
                let done = AnyQueryResult { rows_affected: 0, last_insert_id: None };
                let rows = rows.into_iter().map(|row| Ok(Either::Right(row))).chain([Ok(Either::Left(done))]);
                Box::pin(futures::stream::iter(rows))
            }
            Ok(Err(query)) => (&self.any).fetch_many(query),
            Err(error) => Box::pin(futures::stream::iter([Err(error)])),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        tally_one(query.sql());
        match self.read_here(query, Some(1)) {
            Ok(Ok(rows)) => Box::pin(futures::future::ready(Ok(rows.into_iter().next()))),
            Ok(Err(query)) => (&self.any).fetch_optional(query),
            Err(error) => Box::pin(futures::future::ready(Err(error))),
        }
    }

    fn prepare_with<'e, 'q: 'e>(self, sql: &'q str, parameters: &'e [AnyTypeInfo]) -> BoxFuture<'e, Result<AnyStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.any).prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.any).describe(sql)
    }
}
