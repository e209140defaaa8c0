//! Jobs and what hangs off them: property, appointments, services, contacts,
//! documents and invoices.

use portico_core::ids::{JobId, TenantId};
use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::model::{
    new_id, now, Appointment, Document, Invoice, InvoiceLine, Job, JobContact, JobService, Property, Role,
};

pub(super) const JOB_CONTACT_COLUMNS: &str = "jc.id, jc.job_id, jc.contact_id, jc.role, c.name, c.email, c.phone";
const DOCUMENT_COLUMNS: &str =
    "id, job_id, kind, title, file_key, content_type, byte_size, visible_to, published_at";

// The reads of a job's rows, each written once for the job page (`which`
// names one job) and for a list of jobs (`which` names several; see
// `jobs_at_once`). Rows of a job's parts carry it as `of_job`.

pub(crate) fn jobs_sql(which: &str) -> String {
    format!("SELECT id, tenant_id, property_id, reference, status FROM jobs WHERE tenant_id = $1 AND {which}")
}

pub(crate) fn appointments_sql(which: &str) -> String {
    format!(
        "SELECT job_id AS of_job, id, starts_at, ends_at, staff_name, status FROM appointments \
         WHERE tenant_id = $1 AND {which} ORDER BY starts_at, id"
    )
}

pub(crate) fn services_sql(which: &str) -> String {
    format!(
        "SELECT job_id AS of_job, id, name, price_minor, tax_rate_bp FROM job_services \
         WHERE tenant_id = $1 AND {which} ORDER BY position, id"
    )
}

pub(crate) fn job_contacts_sql(which: &str) -> String {
    format!(
        "SELECT jc.job_id AS of_job, {JOB_CONTACT_COLUMNS} FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id \
         WHERE jc.tenant_id = $1 AND {which} ORDER BY jc.created_at, jc.id"
    )
}

pub(crate) fn documents_sql(which: &str) -> String {
    format!("SELECT job_id AS of_job, {DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = $1 AND {which} ORDER BY created_at, id")
}

/// An invoice to create; lines are (kind, description, quantity, unit price in
/// minor units), kind being `service`, `add-on`, `fee` or `discount`.
#[derive(Clone, Copy)]
pub struct NewInvoice<'a> {
    pub number: &'a str,
    pub status: portico_core::money::InvoiceStatus,
    pub tax_minor: i64,
    pub due_at: Option<i64>,
    pub lines: &'a [(&'a str, &'a str, i64, i64)],
}

/// A person on a job with the state of their personal link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobLink {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub role: portico_core::model::RoleColumn,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub token_expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_opened_at: Option<i64>,
}

/// A job contact found by the token of their link, with the token's state.
pub struct LinkHolder {
    pub tenant_id: TenantId,
    pub job_contact: JobContact,
    pub expired: bool,
}

impl Db {

    /// The only lookup not scoped by a tenant: the token itself says which tenant
    /// it belongs to. Revoked links are not found at all.
    pub async fn find_link_holder(&self, token_hash: &str) -> DbResult<Option<LinkHolder>> {
        let row: Option<(TenantId, Option<i64>)> = sqlx::query_as(
            "SELECT tenant_id, token_expires_at FROM job_contacts WHERE access_token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .context("finding a link's holder")?;
        let Some((tenant_id, expires_at)) = row else { return Ok(None) };
        let job_contact: JobContact = sqlx::query_as(&format!(
            "SELECT {JOB_CONTACT_COLUMNS} FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id \
             WHERE jc.tenant_id = $1 AND jc.access_token_hash = $2"
        ))
        .bind(&tenant_id)
        .bind(token_hash)
        .fetch_one(&self.pool)
        .await
        .context("loading a link's holder")?;
        let expired = expires_at.is_some_and(|at| at <= now());
        Ok(Some(LinkHolder { tenant_id, job_contact, expired }))
    }

    /// The business whose personal link this was, when it no longer works
    /// because the business replaced or revoked it: the one thing the page
    /// for a dead link may say about it (whose it was, so it can offer that
    /// business's sign-in and contact). Nothing about the job or the person.
    pub async fn retired_link(&self, token_hash: &str) -> DbResult<Option<TenantId>> {
        sqlx::query_scalar(
            "SELECT tenant_id FROM retired_links WHERE token_hash = $1 \
             UNION ALL SELECT tenant_id FROM job_contacts WHERE access_token_hash = $1 AND revoked_at IS NOT NULL \
             LIMIT 1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .context("finding a retired link")
    }
}

impl TenantDb<'_> {
    /// Whether the business already has a job with this reference (references are unique).
    pub async fn job_reference_taken(&self, reference: &str) -> DbResult<bool> {
        let found: Option<String> = sqlx::query_scalar("SELECT id FROM jobs WHERE tenant_id = $1 AND reference = $2")
            .bind(self.tenant)
            .bind(reference)
            .fetch_optional(&self.db.pool)
            .await
            .context("looking up a job reference")?;
        Ok(found.is_some())
    }

    pub async fn create_job(&self, property_id: &str, reference: &str) -> DbResult<JobId> {
        let mut connection = self.db.pool.acquire().await.context("connecting to the database")?;
        super::job_setup::insert_job(&mut connection, self.tenant, property_id, reference).await
    }

    pub async fn add_appointment(&self, job_id: &JobId, starts_at: i64, ends_at: i64, staff_name: &str) -> DbResult<()> {
        let mut connection = self.db.pool.acquire().await.context("connecting to the database")?;
        super::job_setup::insert_appointment(&mut connection, self.tenant, job_id, starts_at, ends_at, staff_name).await
    }

    pub async fn create_contact(&self, name: &str, email: Option<&str>, phone: Option<&str>) -> DbResult<String> {
        let mut connection = self.db.pool.acquire().await.context("connecting to the database")?;
        let email = email.map(str::to_lowercase);
        super::job_setup::insert_contact(&mut connection, self.tenant, name, email.as_deref(), phone).await
    }

    /// Put a contact on a job in `role`, with the hash of their link's token.
    pub async fn add_job_contact(
        &self,
        job_id: &JobId,
        contact_id: &str,
        role: Role,
        token_hash: &str,
        expires_at: Option<i64>,
    ) -> DbResult<String> {
        let mut connection = self.db.pool.acquire().await.context("connecting to the database")?;
        super::job_setup::insert_job_contact(&mut connection, self.tenant, job_id, contact_id, role, token_hash, expires_at).await
    }

    /// Replace the token of a contact's link (the old link stops working).
    pub async fn rotate_link_token(
        &self,
        job_contact_id: &str,
        token_hash: &str,
        expires_at: Option<i64>,
    ) -> DbResult<()> {
        let mut tx = self.db.pool.begin().await.context("starting to rotate a link token")?;
        // The old link is remembered as replaced (see `retired_link`).
        sqlx::query(
            "INSERT INTO retired_links (token_hash, tenant_id, retired_at) \
             SELECT access_token_hash, tenant_id, $3 FROM job_contacts WHERE tenant_id = $1 AND id = $2 \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(self.tenant)
        .bind(job_contact_id)
        .bind(now())
        .execute(&mut *tx)
        .await
        .context("retiring a replaced link token")?;
        sqlx::query(
            "UPDATE job_contacts SET access_token_hash = $1, token_expires_at = $2, revoked_at = NULL WHERE tenant_id = $3 AND id = $4",
        )
            .bind(token_hash)
            .bind(expires_at)
            .bind(self.tenant)
            .bind(job_contact_id)
            .execute(&mut *tx)
            .await
            .context("rotating a link token")?;
        tx.commit().await.context("rotating a link token")?;
        Ok(())
    }

    /// Take a contact's access to a job away: their link stops working and no
    /// session reaches the job through it any more (until a new link is issued).
    pub async fn revoke_link(&self, job_contact_id: &str) -> DbResult<()> {
        sqlx::query("UPDATE job_contacts SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(now())
            .bind(self.tenant)
            .bind(job_contact_id)
            .execute(&self.db.pool)
            .await
            .context("revoking a link")?;
        Ok(())
    }

    /// The people on a job with the state of their links, for the staff.
    pub async fn job_links(&self, job_id: &JobId) -> DbResult<Vec<JobLink>> {
        sqlx::query_as(
            "SELECT jc.id, jc.role, c.name, c.email, c.phone, jc.token_expires_at, jc.revoked_at, \
                    (SELECT MAX(a.created_at) FROM access_log a WHERE a.tenant_id = jc.tenant_id AND a.job_id = jc.job_id AND a.contact_id = jc.contact_id) AS last_opened_at \
             FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id AND c.tenant_id = jc.tenant_id \
             WHERE jc.tenant_id = $1 AND jc.job_id = $2 ORDER BY jc.created_at, jc.id",
        )
        .bind(self.tenant)
        .bind(job_id)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a job's links")
    }

    /// One person on a job, whether or not their link is revoked.
    pub async fn job_contact_any_state(&self, job_id: &JobId, job_contact_id: &str) -> DbResult<Option<JobContact>> {
        sqlx::query_as(&format!(
            "SELECT {JOB_CONTACT_COLUMNS} FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id \
             WHERE jc.tenant_id = $1 AND jc.job_id = $2 AND jc.id = $3"
        ))
        .bind(self.tenant)
        .bind(job_id)
        .bind(job_contact_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading a person on a job")
    }

    pub async fn job(&self, job_id: &JobId) -> DbResult<Option<Job>> {
        self.db.read_once("job", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(&jobs_sql("id = $2"))
                .bind(self.tenant)
                .bind(job_id)
                .fetch_optional(&self.db.pool)
                .await
                .context("loading a job")
        })
        .await
    }

    /// The tenant's jobs, newest first.
    pub async fn jobs(&self, limit: i64) -> DbResult<Vec<Job>> {
        sqlx::query_as(
            "SELECT id, tenant_id, property_id, reference, status FROM jobs WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT $2",
        )
        .bind(self.tenant)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .context("listing jobs")
    }

    /// A property of the business, which must exist.
    pub async fn property(&self, property_id: &str) -> DbResult<Property> {
        self.find_property(property_id).await?.ok_or(super::DbError::Query { context: "loading a property", source: sqlx::Error::RowNotFound })
    }

    pub async fn appointments(&self, job_id: &JobId) -> DbResult<Vec<Appointment>> {
        self.db.read_once("appointments", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(&appointments_sql("job_id = $2"))
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("loading appointments")
        })
        .await
    }

    pub async fn services(&self, job_id: &JobId) -> DbResult<Vec<JobService>> {
        self.db.read_once("services", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(&services_sql("job_id = $2"))
                .bind(self.tenant)
                .bind(job_id)
                .fetch_all(&self.db.pool)
                .await
                .context("loading services")
        })
        .await
    }

    /// The people on the job whose access stands (their link not revoked):
    /// those the host may tell what happens on the job.
    pub async fn live_job_contacts(&self, job_id: &JobId) -> DbResult<Vec<JobContact>> {
        sqlx::query_as(&format!(
            "SELECT {JOB_CONTACT_COLUMNS} FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id \
             WHERE jc.tenant_id = $1 AND jc.job_id = $2 AND jc.revoked_at IS NULL ORDER BY jc.created_at, jc.id"
        ))
        .bind(self.tenant)
        .bind(job_id)
        .fetch_all(&self.db.pool)
        .await
        .context("loading a job's people with access")
    }

    pub async fn job_contacts(&self, job_id: &JobId) -> DbResult<Vec<JobContact>> {
        self.db.read_once("job_contacts", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(&job_contacts_sql("jc.job_id = $2"))
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("loading a job's contacts")
        })
        .await
    }

    pub async fn job_contact(&self, job_contact_id: &str) -> DbResult<Option<JobContact>> {
        sqlx::query_as(&format!(
            "SELECT {JOB_CONTACT_COLUMNS} FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id \
             WHERE jc.tenant_id = $1 AND jc.id = $2 AND jc.revoked_at IS NULL"
        ))
        .bind(self.tenant)
        .bind(job_contact_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading a job contact")
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_document(
        &self,
        job_id: &JobId,
        kind: &str,
        title: &str,
        file_key: &str,
        content_type: &str,
        byte_size: i64,
        visible_to: &[Role],
        published_at: Option<i64>,
    ) -> DbResult<String> {
        let id = new_id();
        let visible_to: Vec<&str> = visible_to.iter().map(|role| role.as_str()).collect();
        sqlx::query(
            "INSERT INTO documents (id, tenant_id, job_id, kind, title, file_key, content_type, byte_size, visible_to, published_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(job_id)
        .bind(kind)
        .bind(title)
        .bind(file_key)
        .bind(content_type)
        .bind(byte_size)
        .bind(visible_to.join(","))
        .bind(published_at)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("adding a document")?;
        Ok(id)
    }

    /// Publish a document; false when it was already published (a second
    /// click, a retry): only the first publication is news.
    pub async fn publish_document(&self, document_id: &str, at: i64) -> DbResult<bool> {
        let published = sqlx::query("UPDATE documents SET published_at = $1 WHERE tenant_id = $2 AND id = $3 AND published_at IS NULL")
            .bind(at)
            .bind(self.tenant)
            .bind(document_id)
            .execute(&self.db.pool)
            .await
            .context("publishing a document")?;
        Ok(published.rows_affected() == 1)
    }

    /// The published documents of these jobs, newest first, in one query
    /// however many jobs there are (for an account's files).
    pub async fn published_documents_of_jobs(&self, job_ids: &[JobId]) -> DbResult<Vec<Document>> {
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = $1 AND published_at IS NOT NULL AND job_id IN ({}) \
             ORDER BY published_at DESC, id",
            placeholders(2, job_ids.len())
        );
        let mut query = sqlx::query_as(&sql).bind(self.tenant);
        for id in job_ids {
            query = query.bind(id);
        }
        query.fetch_all(&self.db.pool).await.context("listing the published documents of several jobs")
    }

    /// The job's documents of `kind` (every kind when empty).
    pub async fn documents(&self, job_id: &JobId, kind: &str) -> DbResult<Vec<Document>> {
        if self.db.is_snapshot() && !kind.is_empty() {
            // A render asks for several kinds: one read of them all serves each.
            let all = Box::pin(self.documents(job_id, "")).await?;
            return Ok(all.into_iter().filter(|document| document.kind == kind).collect());
        }
        self.db.read_once("documents", self.tenant, &format!("{job_id}/{kind}"), || async move {
            sqlx::query_as(&documents_sql("job_id = $2 AND ($3 = '' OR kind = $3)"))
            .bind(self.tenant)
            .bind(job_id)
            .bind(kind)
            .fetch_all(&self.db.pool)
            .await
            .context("listing documents")
        })
        .await
    }

    pub async fn document(&self, job_id: &JobId, document_id: &str) -> DbResult<Option<Document>> {
        sqlx::query_as(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = $1 AND job_id = $2 AND id = $3"
        ))
        .bind(self.tenant)
        .bind(job_id)
        .bind(document_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading a document")
    }

    /// Date an invoice: one brought over from the business's earlier books
    /// (or issued on paper) keeps the day it was issued, which its month on
    /// the client's dashboard follows.
    pub async fn set_invoice_issued_at(&self, invoice_id: &str, issued_at: i64) -> DbResult<bool> {
        let updated = sqlx::query("UPDATE invoices SET created_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(issued_at)
            .bind(self.tenant)
            .bind(invoice_id)
            .execute(&self.db.pool)
            .await
            .context("dating an invoice")?;
        Ok(updated.rows_affected() == 1)
    }

    /// Date a payment made before the business used Portico (imported
    /// history, the demo's past months): when it was made and last changed.
    pub async fn set_payment_at(&self, payment_id: &str, at: i64) -> DbResult<bool> {
        let updated = sqlx::query("UPDATE payments SET created_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(at)
            .bind(self.tenant)
            .bind(payment_id)
            .execute(&self.db.pool)
            .await
            .context("dating a payment")?;
        Ok(updated.rows_affected() == 1)
    }

    pub async fn create_invoice(&self, job_id: &JobId, invoice: &NewInvoice<'_>) -> DbResult<String> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        let id = self.insert_invoice(&mut tx, job_id, invoice).await?;
        tx.commit().await.context("committing an invoice")?;
        Ok(id)
    }

    /// Add an invoice with its lines inside `tx` (a larger change that makes
    /// invoices, as accepting an estimate does). Returns its id.
    pub(crate) async fn insert_invoice(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, job_id: &JobId, invoice: &NewInvoice<'_>) -> DbResult<String> {
        let NewInvoice { number, status, tax_minor, due_at, lines } = *invoice;
        let id = new_id();
        sqlx::query(
            "INSERT INTO invoices (id, tenant_id, job_id, number, status, tax_minor, due_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(job_id)
        .bind(number)
        .bind(status.as_str())
        .bind(tax_minor)
        .bind(due_at)
        .bind(now())
        .execute(&mut **tx)
        .await
        .context("creating an invoice")?;
        for (position, (kind, description, quantity, unit_price)) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO invoice_lines (id, tenant_id, invoice_id, kind, description, quantity, unit_price_minor, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new_id())
            .bind(self.tenant)
            .bind(&id)
            .bind(kind)
            .bind(description)
            .bind(quantity)
            .bind(unit_price)
            .bind(position as i64)
            .execute(&mut **tx)
            .await
            .context("adding an invoice line")?;
        }
        Ok(id)
    }

    /// The job's invoices other than drafts, newest first, with their lines.
    pub async fn invoices(&self, job_id: &JobId) -> DbResult<Vec<(Invoice, Vec<InvoiceLine>)>> {
        self.db.read_once("invoices", self.tenant, job_id.as_str(), || async move {
            let invoices = self.invoices_of_jobs(std::slice::from_ref(job_id)).await?;
            Ok(invoices.into_iter().map(|(_, invoice, lines)| (invoice, lines)).collect())
        })
        .await
    }

    /// The invoices other than drafts of several jobs (a contact's, across
    /// the business), newest first, with their jobs and lines: two queries
    /// whatever the number of jobs.
    pub async fn invoices_of_jobs(&self, job_ids: &[JobId]) -> DbResult<Vec<(JobId, Invoice, Vec<InvoiceLine>)>> {
        let ids: Vec<&str> = job_ids.iter().map(JobId::as_str).collect();
        self.invoices_where("i.job_id", &ids).await
    }

    /// These invoices (a batch's), other than drafts, newest first, with
    /// their jobs and lines: two queries whatever their number.
    pub async fn invoices_by_ids(&self, invoice_ids: &[&str]) -> DbResult<Vec<(JobId, Invoice, Vec<InvoiceLine>)>> {
        self.invoices_where("i.id", invoice_ids).await
    }

    /// The invoices whose `column` (a job's or their own id) is one of `values`.
    async fn invoices_where(&self, column: &'static str, values: &[&str]) -> DbResult<Vec<(JobId, Invoice, Vec<InvoiceLine>)>> {
        #[derive(sqlx::FromRow)]
        struct JobInvoice {
            job_id: JobId,
            #[sqlx(flatten)]
            invoice: Invoice,
        }
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let among = placeholders(2, values.len());
        let sql = format!(
            "SELECT i.job_id, i.id, i.number, i.status, i.tax_minor, i.paid_minor, i.due_at, i.created_at, i.written_off_at FROM invoices i \
             WHERE i.tenant_id = $1 AND {column} IN ({among}) AND i.status <> 'draft' ORDER BY i.created_at DESC, i.id DESC"
        );
        let mut query = sqlx::query_as::<_, JobInvoice>(&sql).bind(self.tenant);
        for value in values {
            query = query.bind(*value);
        }
        let invoices = query.fetch_all(&self.db.pool).await.context("listing invoices")?;
        let sql = format!(
            "SELECT l.invoice_id, l.kind, l.description, l.quantity, l.unit_price_minor FROM invoice_lines l \
             JOIN invoices i ON i.id = l.invoice_id AND i.tenant_id = l.tenant_id \
             WHERE l.tenant_id = $1 AND {column} IN ({among}) ORDER BY l.position"
        );
        let mut query = sqlx::query_as::<_, InvoiceLine>(&sql).bind(self.tenant);
        for value in values {
            query = query.bind(*value);
        }
        let lines = query.fetch_all(&self.db.pool).await.context("listing invoice lines")?;
        Ok(invoices
            .into_iter()
            .map(|JobInvoice { job_id, invoice }| {
                let own = lines.iter().filter(|line| line.invoice_id == invoice.id).cloned().collect();
                (job_id, invoice, own)
            })
            .collect())
    }
}

/// `$first, $first+1, …` for `count` values of an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}
