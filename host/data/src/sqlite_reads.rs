//! SQLite reads run on the thread of the task that asks for them.
//!
//! sqlx gives each SQLite connection a thread of its own: a statement is
//! sent to that thread, and each row it finds is sent back, waking the
//! asking task. A page's reads take microseconds each in SQLite itself, and
//! the crossings cost more than the reads: under load about a third of the
//! server's time went to the kernel switching threads, some 64 switches a
//! job page (docs/deploy.md has the figures before and after).
//!
//! So a query run on the pool runs here instead, on a connection of this
//! module's own to the same file, without leaving the thread. Its rows come
//! back as `AnyRow`s with the values sqlx's SQLite driver would have made,
//! each typed by its storage class as that driver types it, so every
//! `FromRow` reads them unchanged. (A column's own type info is its value's
//! here, where sqlx takes the declared type; nothing reads it.) Whatever
//! writes, whatever runs in a transaction, and whatever this module cannot
//! take exactly as sqlx would (several statements in one, `?` or `:name`
//! parameters, SQLite busy) still goes through sqlx, which then also gives
//! the error.
//!
//! A read holds its thread for as long as SQLite takes. In WAL mode a reader
//! does not wait for writers; where SQLite would make it wait (recovering
//! the log), it is busy at once and sqlx waits, off this thread.

use rusqlite::types::{Null, ValueRef};
use rusqlite::{Connection, OpenFlags};
use sqlx_core::any::{AnyArguments, AnyColumn, AnyRow, AnyTypeInfo, AnyTypeInfoKind, AnyValue, AnyValueKind};
use sqlx_core::ext::ustr::UStr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Statements each connection keeps prepared: more than the host has reads.
const PREPARED_PER_CONNECTION: usize = 512;

/// Connections kept between reads. One is open per thread reading at that
/// moment (the runtime's workers, and blocking threads now and then); past
/// this many, a connection is closed after its read.
const KEPT_IDLE: usize = 16;

/// Connections to one SQLite file for reads, opened as threads need them
/// and kept for the next read.
pub(crate) struct SqliteReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Set by [`SqliteReads::close`]: nothing reads here any more.
    closed: AtomicBool,
    /// Whether opening a connection failed once (said once in the log).
    open_failed: AtomicBool,
}

impl std::fmt::Debug for SqliteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReads").field("path", &self.path).finish()
    }
}

/// Turn off SQLite's memory statistics for this process. With them on,
/// every allocation SQLite makes takes one process-wide lock: about 1 % of
/// a job page's time, and a point where the threads serving pages wait on
/// each other. Portico reads none of those statistics (nor sets a heap
/// limit, which needs them).
///
/// Once SQLite has started it refuses (`SQLITE_MISUSE`) and nothing changes.
///
/// # Safety
///
/// No other thread may be using SQLite meanwhile (SQLite's own rule for its
/// configuration): call it first thing in `main`, before anything opens a
/// database.
pub unsafe fn sqlite_without_memory_statistics() {
    // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int, passed as one; the
    // caller keeps other threads off SQLite meanwhile.
    let answer = unsafe { rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::os::raw::c_int) };
    if answer != rusqlite::ffi::SQLITE_OK {
        tracing::debug!(answer, "SQLite's memory statistics stay on: it was in use already");
    }
}

impl SqliteReads {
    /// Reads of the database at `url`, or none for one that lives in memory
    /// (another connection could not see it).
    pub(crate) fn of(url: &str) -> Option<Arc<SqliteReads>> {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
        let path = options.get_filename().to_path_buf();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory") || path.as_os_str().is_empty();
        let idle = Mutex::new(Vec::new());
        (!in_memory).then(|| Arc::new(SqliteReads { path, idle, closed: AtomicBool::new(false), open_failed: AtomicBool::new(false) }))
    }

    /// Whether `sql` may run here: one query (SELECT, WITH or VALUES), not
    /// several statements. Whether it only reads, SQLite says when it is
    /// prepared.
    pub(crate) fn may_run(sql: &str) -> bool {
        // SQLite calls BEGIN and COMMIT read-only too: only queries run here.
        let first_word = sql.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or_default();
        let query = ["SELECT", "WITH", "VALUES"].iter().any(|query| first_word.eq_ignore_ascii_case(query));
        // Only the first of several statements would run here.
        query && !sql.trim_end().trim_end_matches(';').contains(';')
    }

    /// Run `sql` with `arguments` if it only reads, stopping after `limit`
    /// rows if one is given: its rows, or `None` for a statement to leave
    /// to sqlx (one that writes, or that failed here).
    pub(crate) fn read(&self, sql: &str, arguments: Option<&AnyArguments<'_>>, limit: Option<usize>) -> Option<Vec<AnyRow>> {
        let connection = self.take()?;
        let rows = match run(&connection, sql, arguments, limit) {
            Ok(rows) => rows,
            Err(error) => {
                tracing::debug!(%error, sql, "left to sqlx");
                None
            }
        };
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if !self.closed.load(Ordering::Acquire) && idle.len() < KEPT_IDLE {
            idle.push(connection);
        }
        rows
    }

    /// Close the connections kept and read nothing more here (before the
    /// database's file is removed).
    pub(crate) fn close(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        self.closed.store(true, Ordering::Release);
        idle.clear();
    }

    fn take(&self) -> Option<Connection> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        if let Some(connection) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Some(connection);
        }
        let opened = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .and_then(|connection| {
                // Busy is left to sqlx, which waits off this thread.
                connection.busy_timeout(Duration::ZERO)?;
                connection.set_prepared_statement_cache_capacity(PREPARED_PER_CONNECTION);
                Ok(connection)
            });
        match opened {
            Ok(connection) => Some(connection),
            Err(error) => {
                if !self.open_failed.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%error, path = %self.path.display(), "could not open SQLite for reads; sqlx reads instead");
                }
                None
            }
        }
    }
}

/// The rows of `sql` (at most `limit`), `None` if it is not a read or not
/// one to run here; an error if SQLite refused it here.
fn run(connection: &Connection, sql: &str, arguments: Option<&AnyArguments<'_>>, limit: Option<usize>) -> rusqlite::Result<Option<Vec<AnyRow>>> {
    if !SqliteReads::may_run(sql) {
        return Ok(None);
    }
    let mut statement = connection.prepare_cached(sql)?;
    if !statement.readonly() {
        return Ok(None);
    }
    let values = arguments.map(|arguments| arguments.values.0.as_slice()).unwrap_or_default();
    for index in 1..=statement.parameter_count() {
        // `$2` (or `?2`) is the second argument wherever it stands and
        // however often. sqlx counts bare `?`s apart from numbered ones, and
        // refuses `:name`: those go to sqlx.
        let Some(number) = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$').or_else(|| name.strip_prefix('?')))
            .and_then(|number| number.parse::<usize>().ok())
            .filter(|number| *number > 0)
        else {
            return Ok(None);
        };
        let Some(value) = values.get(number - 1) else {
            return Err(rusqlite::Error::InvalidParameterCount(number, values.len()));
        };
        match value {
            AnyValueKind::Null(_) => statement.raw_bind_parameter(index, Null)?,
            AnyValueKind::Bool(value) => statement.raw_bind_parameter(index, i64::from(*value))?,
            AnyValueKind::SmallInt(value) => statement.raw_bind_parameter(index, i64::from(*value))?,
            AnyValueKind::Integer(value) => statement.raw_bind_parameter(index, i64::from(*value))?,
            AnyValueKind::BigInt(value) => statement.raw_bind_parameter(index, *value)?,
            AnyValueKind::Real(value) => statement.raw_bind_parameter(index, f64::from(*value))?,
            AnyValueKind::Double(value) => statement.raw_bind_parameter(index, *value)?,
            AnyValueKind::Text(value) => statement.raw_bind_parameter(index, value.as_ref())?,
            AnyValueKind::Blob(value) => statement.raw_bind_parameter(index, value.as_ref())?,
            // A kind sqlx adds later: let sqlx bind it.
            _ => return Ok(None),
        }
    }
    let columns = statement.column_count();
    // As sqlx's SQLite driver names them: a later column of the same name wins.
    let mut column_names = sqlx_core::HashMap::with_capacity(columns);
    let names: Vec<UStr> = statement.column_names().into_iter().map(UStr::new).collect();
    for (ordinal, name) in names.iter().enumerate() {
        column_names.insert(name.clone(), ordinal);
    }
    let column_names = Arc::new(column_names);
    let mut found = Vec::new();
    let mut rows = statement.raw_query();
    while found.len() < limit.unwrap_or(usize::MAX)
        && let Some(row) = rows.next()?
    {
        let mut values = Vec::with_capacity(columns);
        for ordinal in 0..columns {
            values.push(AnyValue { kind: value_of(row.get_ref(ordinal)?)? });
        }
        let columns = names
            .iter()
            .zip(&values)
            .enumerate()
            .map(|(ordinal, (name, value))| AnyColumn { ordinal, name: name.clone(), type_info: AnyTypeInfo { kind: kind_of(&value.kind) } })
            .collect();
        found.push(AnyRow { column_names: column_names.clone(), columns, values });
    }
    Ok(Some(found))
}

/// A value as sqlx's SQLite driver gives it to `Any`: by its storage class.
fn value_of(value: ValueRef<'_>) -> rusqlite::Result<AnyValueKind<'static>> {
    Ok(match value {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(value) => AnyValueKind::BigInt(value),
        ValueRef::Real(value) => AnyValueKind::Double(value),
        ValueRef::Text(text) => AnyValueKind::Text(
            String::from_utf8(text.to_vec()).map_err(|error| rusqlite::Error::Utf8Error(error.utf8_error()))?.into(),
        ),
        ValueRef::Blob(bytes) => AnyValueKind::Blob(bytes.to_vec().into()),
    })
}

fn kind_of(value: &AnyValueKind<'_>) -> AnyTypeInfoKind {
    match value {
        AnyValueKind::BigInt(_) => AnyTypeInfoKind::BigInt,
        AnyValueKind::Double(_) => AnyTypeInfoKind::Double,
        AnyValueKind::Text(_) => AnyTypeInfoKind::Text,
        AnyValueKind::Blob(_) => AnyTypeInfoKind::Blob,
        _ => AnyTypeInfoKind::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Arguments, Row};

    fn arguments(values: Vec<AnyValueKind<'static>>) -> AnyArguments<'static> {
        let mut arguments = AnyArguments::default();
        for value in values {
            match value {
                AnyValueKind::Text(text) => arguments.add(text.into_owned()).expect("text binds"),
                AnyValueKind::BigInt(number) => arguments.add(number).expect("a number binds"),
                _ => unreachable!(),
            }
        }
        arguments
    }

    #[test]
    fn a_read_finds_the_rows_sqlx_would_with_numbered_arguments_in_any_order() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("reads.db");
        let setup = Connection::open(&path).expect("a database");
        setup
            .execute_batch(
                "CREATE TABLE people (id TEXT, name TEXT, age INTEGER, score REAL, photo BLOB, note TEXT);
                 INSERT INTO people VALUES ('a', 'Ann', 40, 1.5, x'0102', NULL), ('b', 'Bo', 7, 2.0, NULL, 'hi');",
            )
            .expect("rows");
        let reads = SqliteReads::of(&format!("sqlite://{}", path.display())).expect("a file is read here");
        let sql = "SELECT id, name, age, score, photo, note FROM people WHERE age > $2 AND id <> $1 ORDER BY id";
        let rows = reads.read(sql, Some(&arguments(vec![AnyValueKind::Text("b".into()), AnyValueKind::BigInt(10)])), None).expect("a read");
        assert_eq!(rows.len(), 1);
        let ann = &rows[0];
        assert_eq!(ann.get::<String, _>("name"), "Ann");
        assert_eq!(ann.get::<i64, _>("age"), 40);
        assert_eq!(ann.get::<f64, _>("score"), 1.5);
        assert_eq!(ann.get::<Vec<u8>, _>("photo"), vec![1, 2]);
        assert_eq!(ann.get::<Option<String>, _>("note"), None);

        let twice = "SELECT name FROM people WHERE id = $1 OR name = $1 OR age = $3 ORDER BY id";
        let found = reads.read(twice, Some(&arguments(vec![AnyValueKind::Text("a".into()), AnyValueKind::BigInt(0), AnyValueKind::BigInt(7)])), None);
        let names: Vec<String> = found.expect("a read").iter().map(|row| row.get("name")).collect();
        assert_eq!(names, ["Ann", "Bo"], "`$1` twice is one argument, and an argument no placeholder names is left unused");
        let first = reads.read("SELECT name FROM people ORDER BY id", None, Some(1)).expect("a read");
        assert_eq!(first.len(), 1, "a read of one row stops at it");
        assert!(ann.try_get::<bool, _>("age").is_err(), "an integer is no boolean to `Any`, as through sqlx's driver");
    }

    #[test]
    fn writes_and_what_sqlite_refuses_are_left_to_sqlx() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("reads.db");
        Connection::open(&path).expect("a database").execute_batch("CREATE TABLE t (x INTEGER);").expect("a table");
        let reads = SqliteReads::of(&format!("sqlite:{}", path.display())).expect("a file is read here");
        let one = Some(&arguments(vec![AnyValueKind::BigInt(1)]));
        assert!(reads.read("INSERT INTO t VALUES (1)", None, None).is_none(), "a write");
        assert!(reads.read("WITH one AS (SELECT 1) INSERT INTO t SELECT * FROM one", None, None).is_none(), "a write that starts as a query");
        assert!(reads.read("BEGIN", None, None).is_none(), "a transaction belongs to sqlx's connection");
        assert!(reads.read("SELECT 1; DELETE FROM t", None, None).is_none(), "several statements, of which only the first would run");
        assert!(reads.read("SELECT nothing FROM nowhere", None, None).is_none(), "an unknown table");
        assert!(reads.read("SELECT x FROM t WHERE x = $1", None, None).is_none(), "a missing argument");
        assert!(reads.read("SELECT x FROM t WHERE x = ?", one, None).is_none(), "sqlx numbers bare `?`s its own way");
        assert!(reads.read("SELECT x FROM t WHERE x = :x", one, None).is_none(), "sqlx refuses named parameters");
        let count = reads.read("SELECT COUNT(*) AS n FROM t;", None, None).expect("a read, its `;` at the end");
        assert_eq!(count[0].get::<i64, _>("n"), 0, "the insert above did not run here");

        reads.close();
        assert!(reads.read("SELECT COUNT(*) FROM t", None, None).is_none(), "once closed, sqlx answers (that its pool is closed)");
        assert!(SqliteReads::of("sqlite::memory:").is_none(), "memory is not shared between connections");
    }
}
