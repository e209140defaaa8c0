//! Whether a statement reads a whole table, in the query planner's own
//! words: a listing page must reach its rows through an index however large
//! the business or the database grows (the growth stories and the load
//! benchmark's growth run ask this of the statements they recorded).

use super::{Backend, Db, DbResult, QueryContext};

impl Db {
    /// The steps of the planner's plan for `sql` that read a table (or a
    /// whole index) from end to end; empty when every table is reached by
    /// index. The plan is the one made for unknown parameters.
    ///
    /// SQLite's plan names every scan, of a table or of a whole index.
    /// PostgreSQL's answer is weaker: only sequential scans are caught, and
    /// an index read whole on a condition on a later column (a bitmap scan
    /// of `(tenant_id, email)` for `email = $1`) passes. The stories ask both.
    pub async fn table_scans(&self, sql: &str) -> DbResult<Vec<String>> {
        match self.backend {
            Backend::Sqlite => {
                // Parameters left unbound are NULL; the plan does not depend on them.
                let steps = self.sqlite_plan(sql).await?;
                Ok(sqlite_scans(&steps))
            }
            Backend::Postgres => {
                // A generic plan (made without the parameters' values), with
                // sequential scans priced out: one still chosen has no index.
                let mut tx = self.pool.begin().await.context("starting to read a query plan")?;
                sqlx::raw_sql("SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_generic_plan")
                    .execute(&mut *tx)
                    .await
                    .context("setting up a query plan")?;
                sqlx::raw_sql(&format!("PREPARE portico_plan AS {sql}")).execute(&mut *tx).await.context("preparing a statement to plan")?;
                let nulls = vec!["NULL"; highest_parameter(sql)].join(", ");
                let arguments = if nulls.is_empty() { String::new() } else { format!("({nulls})") };
                let steps: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN EXECUTE portico_plan{arguments}"))
                    .fetch_all(&mut *tx)
                    .await
                    .context("reading a query plan")?;
                sqlx::raw_sql("DEALLOCATE portico_plan").execute(&mut *tx).await.context("forgetting a planned statement")?;
                tx.rollback().await.context("ending a query plan")?;
                Ok(steps.into_iter().filter(|step| step.contains("Seq Scan on")).map(|step| step.trim().to_string()).collect())
            }
        }
    }

    async fn sqlite_plan(&self, sql: &str) -> DbResult<Vec<String>> {
        use sqlx::Row;
        let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(&*self.pool).await.context("reading a query plan")?;
        rows.iter().map(|row| row.try_get::<String, _>(3).context("reading a query plan's step")).collect()
    }
}

/// The steps of an SQLite plan that scan a table: `SCAN t` or `SCAN t
/// USING [COVERING] INDEX i`, but not the scan of a subquery's or a
/// `WITH` clause's own rows, nor of a constant row.
fn sqlite_scans(steps: &[String]) -> Vec<String> {
    let own_rows: Vec<&str> = steps
        .iter()
        .filter_map(|step| step.strip_prefix("CO-ROUTINE ").or_else(|| step.strip_prefix("MATERIALIZE ")))
        .map(|name| name.split_whitespace().next().unwrap_or_default())
        .collect();
    steps
        .iter()
        .filter(|step| {
            let Some(what) = step.strip_prefix("SCAN ") else { return false };
            let name = what.split_whitespace().next().unwrap_or_default();
            name != "CONSTANT" && !own_rows.contains(&name)
        })
        .cloned()
        .collect()
}

/// The highest `$n` in `sql` (how many parameters its plan needs).
fn highest_parameter(sql: &str) -> usize {
    sql.split('$').skip(1).filter_map(|after| after.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_of_a_table_is_told_from_a_scan_of_a_subquery() {
        let steps: Vec<String> = [
            "CO-ROUTINE board",
            "SEARCH j USING INDEX jobs_newest (tenant_id=?)",
            "SCAN board",
            "SCAN CONSTANT ROW",
            "SCAN jc",
            "SCAN p USING COVERING INDEX properties_address",
            "MATERIALIZE n",
            "SCAN n",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(sqlite_scans(&steps), vec!["SCAN jc".to_string(), "SCAN p USING COVERING INDEX properties_address".to_string()]);
    }

    #[test]
    fn parameters_are_counted_by_the_highest_number() {
        assert_eq!(highest_parameter("SELECT 1"), 0);
        assert_eq!(highest_parameter("WHERE a = $1 AND b IN ($3, $12) AND c = $2"), 12);
    }
}
