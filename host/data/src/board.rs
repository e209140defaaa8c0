//! The console's list of jobs: searched, filtered and paged in the database,
//! so that a business with thousands of jobs gets its page as fast as one
//! with ten.

use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;

/// Which jobs the office wants to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoardFilter {
    /// Every job: upcoming appointments first (soonest first), then past
    /// ones (latest first), then jobs without an appointment.
    #[default]
    All,
    /// Jobs with a scheduled appointment from now on, soonest first.
    Upcoming,
    /// Jobs waiting for the office: a client's request to answer, a manual
    /// payment to approve, or a visit done without a published report (on a
    /// job not yet marked completed).
    NeedsAction,
    /// Jobs with an invoice that is due or whose payment failed.
    Unpaid,
}

impl BoardFilter {
    pub const ALL: [BoardFilter; 4] = [BoardFilter::All, BoardFilter::Upcoming, BoardFilter::NeedsAction, BoardFilter::Unpaid];

    /// The filter's name in a URL (`?show=unpaid`).
    pub fn slug(self) -> &'static str {
        match self {
            BoardFilter::All => "all",
            BoardFilter::Upcoming => "upcoming",
            BoardFilter::NeedsAction => "needs-action",
            BoardFilter::Unpaid => "unpaid",
        }
    }

    pub fn from_slug(slug: &str) -> Option<BoardFilter> {
        BoardFilter::ALL.into_iter().find(|filter| filter.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            BoardFilter::All => "All jobs",
            BoardFilter::Upcoming => "Upcoming",
            BoardFilter::NeedsAction => "Needs action",
            BoardFilter::Unpaid => "Unpaid",
        }
    }

    /// The SQL condition on `j` (the job) for this filter; `$3` is now.
    fn condition(self) -> &'static str {
        match self {
            BoardFilter::All => "1 = 1",
            BoardFilter::Upcoming => {
                "EXISTS (SELECT 1 FROM appointments a WHERE a.tenant_id = j.tenant_id AND a.job_id = j.id \
                 AND a.status = 'scheduled' AND a.starts_at >= $3)"
            }
            BoardFilter::NeedsAction => {
                "j.status <> 'cancelled' AND ( \
                   EXISTS (SELECT 1 FROM add_on_requests r WHERE r.tenant_id = j.tenant_id AND r.job_id = j.id AND r.status = 'requested') \
                   OR EXISTS (SELECT 1 FROM payment_allocations pa JOIN payments pay ON pay.tenant_id = pa.tenant_id AND pay.id = pa.payment_id \
                              WHERE pa.tenant_id = j.tenant_id AND pa.job_id = j.id AND pay.status = 'pending') \
                   OR (j.status <> 'completed' AND EXISTS (SELECT 1 FROM appointments a WHERE a.tenant_id = j.tenant_id AND a.job_id = j.id \
                               AND a.status <> 'cancelled' AND a.starts_at < $3) \
                       AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.tenant_id = j.tenant_id AND d.job_id = j.id \
                               AND d.kind = 'report' AND d.published_at IS NOT NULL)))"
            }
            BoardFilter::Unpaid => {
                "EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = j.tenant_id AND i.job_id = j.id AND i.status IN ('due', 'failed'))"
            }
        }
    }
}

/// What the office asked for: words to look for, a filter, a page.
#[derive(Debug, Clone)]
pub struct BoardQuery<'a> {
    /// Matched against the reference, the address and the people's names
    /// and e-mail addresses, ignoring case; empty matches every job.
    pub search: &'a str,
    pub filter: BoardFilter,
    /// From 0.
    pub page: u32,
    pub per_page: u32,
    /// Unix seconds: what "upcoming" and "past" are measured from.
    pub now: i64,
}

/// One job of the list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BoardRow {
    pub id: JobId,
    pub reference: String,
    pub status: String,
    pub line1: String,
    pub city: String,
    /// The next scheduled appointment, else the latest one (none cancelled).
    pub appointment_at: Option<i64>,
}

/// One page of the list and how many jobs match in all.
#[derive(Debug)]
pub struct BoardPage {
    pub rows: Vec<BoardRow>,
    pub total: i64,
}

/// `%words%` for LIKE, with LIKE's own wildcards in the words taken literally.
/// The database lower-cases both sides (SQLite folds ASCII only, PostgreSQL
/// every letter), so a search matches the same way the data is compared.
pub(crate) fn like_pattern(search: &str) -> String {
    let escaped: String = search
        .trim()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    if escaped.is_empty() { String::new() } else { format!("%{escaped}%") }
}

impl TenantDb<'_> {
    /// A page of the business's jobs matching `query`, in the order the
    /// office works in (see [`BoardFilter`]).
    pub async fn job_board(&self, query: &BoardQuery<'_>) -> DbResult<BoardPage> {
        let pattern = like_pattern(query.search);
        // $1 tenant, $2 pattern ('' for any), $3 now.
        let matching = format!(
            "FROM jobs j JOIN properties p ON p.tenant_id = j.tenant_id AND p.id = j.property_id \
             WHERE j.tenant_id = $1 AND {} AND ($2 = '' OR LOWER(COALESCE(p.name, '')) LIKE LOWER($2) ESCAPE '\\' \
               OR LOWER(j.reference) LIKE LOWER($2) ESCAPE '\\' OR LOWER(p.line1) LIKE LOWER($2) ESCAPE '\\' OR LOWER(p.city) LIKE LOWER($2) ESCAPE '\\' \
               OR EXISTS (SELECT 1 FROM job_contacts jc JOIN contacts c ON c.tenant_id = jc.tenant_id AND c.id = jc.contact_id \
                          WHERE jc.tenant_id = j.tenant_id AND jc.job_id = j.id \
                          AND (LOWER(c.name) LIKE LOWER($2) ESCAPE '\\' OR LOWER(COALESCE(c.email, '')) LIKE LOWER($2) ESCAPE '\\')))",
            query.filter.condition()
        );
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {matching}"))
            .bind(self.tenant)
            .bind(&pattern)
            .bind(query.now)
            .fetch_one(&self.db.pool)
            .await
            .context("counting the job list")?;
        // The appointment shown is the next one to come, else the latest.
        let appointment = "COALESCE( \
             (SELECT MIN(a.starts_at) FROM appointments a WHERE a.tenant_id = j.tenant_id AND a.job_id = j.id \
              AND a.status <> 'cancelled' AND a.starts_at >= $3), \
             (SELECT MAX(a.starts_at) FROM appointments a WHERE a.tenant_id = j.tenant_id AND a.job_id = j.id \
              AND a.status <> 'cancelled'))";
        let rows = sqlx::query_as(&format!(
            "SELECT id, reference, status, line1, city, appointment_at FROM ( \
               SELECT j.id, j.reference, j.status, p.line1, p.city, {appointment} AS appointment_at {matching} \
             ) AS board \
             ORDER BY CASE WHEN appointment_at IS NULL THEN 2 WHEN appointment_at >= $3 THEN 0 ELSE 1 END, \
                      CASE WHEN appointment_at >= $3 THEN appointment_at ELSE -appointment_at END, reference \
             LIMIT $4 OFFSET $5"
        ))
        .bind(self.tenant)
        .bind(&pattern)
        .bind(query.now)
        .bind(i64::from(query.per_page))
        .bind(i64::from(query.page) * i64::from(query.per_page))
        .fetch_all(&self.db.pool)
        .await
        .context("listing a page of jobs")?;
        Ok(BoardPage { rows, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searched_words_are_matched_literally() {
        assert_eq!(like_pattern("  Elm St "), "%Elm St%");
        assert_eq!(like_pattern("100%_off\\"), "%100\\%\\_off\\\\%");
        assert_eq!(like_pattern("   "), "");
    }

    #[test]
    fn filters_round_trip_through_their_url_names() {
        for filter in BoardFilter::ALL {
            assert_eq!(BoardFilter::from_slug(filter.slug()), Some(filter));
        }
        assert_eq!(BoardFilter::from_slug("everything"), None);
    }
}
