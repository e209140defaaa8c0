//! The structured findings of a job's reports.

use super::{JobId, TenantDb, DbResult, QueryContext};
use portico_core::model::{new_id, now};

const ITEM_COLUMNS: &str = "id, document_id, section, title, severity, location, notes, photo_document_id";

/// One finding of a report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportItem {
    pub id: String,
    pub document_id: String,
    pub section: String,
    pub title: String,
    /// `safety`, `repair`, `maintenance` or `monitor`.
    pub severity: String,
    pub location: String,
    pub notes: String,
    pub photo_document_id: Option<String>,
}

/// A finding to add to a report.
pub struct NewReportItem<'a> {
    pub section: &'a str,
    pub title: &'a str,
    pub severity: &'a str,
    pub location: &'a str,
    pub notes: &'a str,
    pub photo_document_id: Option<&'a str>,
}

impl TenantDb<'_> {
    /// Add a finding at the end of the report `document_id` of the job.
    pub async fn add_report_item(&self, job_id: &JobId, document_id: &str, item: &NewReportItem<'_>) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO report_items (id, tenant_id, job_id, document_id, position, section, title, severity, location, notes, photo_document_id, created_at) \
             VALUES ($1, $2, $3, $4, (SELECT COUNT(*) FROM report_items WHERE tenant_id = $2 AND document_id = $4), $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(job_id)
        .bind(document_id)
        .bind(item.section)
        .bind(item.title)
        .bind(item.severity)
        .bind(item.location)
        .bind(item.notes)
        .bind(item.photo_document_id)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("adding a report item")?;
        Ok(id)
    }

    /// The job's findings, report by report, in the inspector's order.
    pub async fn report_items(&self, job_id: &JobId) -> DbResult<Vec<ReportItem>> {
        sqlx::query_as(&format!(
            "SELECT {ITEM_COLUMNS} FROM report_items WHERE tenant_id = $1 AND job_id = $2 ORDER BY document_id, position"
        ))
        .bind(self.tenant)
        .bind(job_id)
        .fetch_all(&self.db.pool)
        .await
        .context("listing report items")
    }
}
