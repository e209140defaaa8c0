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
use sqlx::any::{Any, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
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
    texts: Option<Mutex<Vec<String>>>,
}

/// Run `work`, counting the statements it runs through the pool.
pub async fn counting<F: std::future::Future>(work: F) -> (F::Output, u32) {
    let tally = Arc::new(Tally::default());
    let output = TALLY.scope(tally.clone(), work).await;
    (output, tally.count.load(Ordering::Relaxed))
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

/// sqlx's pool, counting each statement run on it directly. Transactions and
/// acquired connections reach the pool itself (`Deref`) and are not counted:
/// they are for writes, which page views do not make.
#[derive(Clone, Debug)]
pub(crate) struct Pool(pub(crate) AnyPool);

impl std::ops::Deref for Pool {
    type Target = AnyPool;

    fn deref(&self) -> &AnyPool {
        &self.0
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
        (&self.0).fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        tally_one(query.sql());
        (&self.0).fetch_optional(query)
    }

    fn prepare_with<'e, 'q: 'e>(self, sql: &'q str, parameters: &'e [AnyTypeInfo]) -> BoxFuture<'e, Result<AnyStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.0).prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.0).describe(sql)
    }
}
