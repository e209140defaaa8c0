//! Agreement templates, each job's locked copies and their signatures, and the
//! tenant's signing and report-release settings.

use super::audit::{insert_audit, AuditEntry};
use super::{JobId, TenantDb, DbResult, QueryContext};
use portico_core::model::{new_id, now, ReleaseRule, Role, RoleColumn};

const TEMPLATE_COLUMNS: &str = "id, title, body, signer_roles, services, position, active, updated_at";
const LOCK_COLUMNS: &str = "template_id, title, body, body_sha256, signer_roles, locked_at";
const SIGNATURE_COLUMNS: &str = "id, template_id, contact_id, role, contact_name, contact_email, signer_name, \
    consent_text, signed_at, ip, user_agent, audit_id";

/// The locked copies of one job's agreements (`which` is `job_id = $2`) or
/// several's, in the order they were locked.
pub(crate) fn locked_agreements_sql(which: &str) -> String {
    format!("SELECT job_id AS of_job, {LOCK_COLUMNS} FROM job_agreements WHERE tenant_id = $1 AND {which} ORDER BY locked_at, template_id")
}

/// The signatures on one job's agreements or several's, oldest first.
pub(crate) fn signatures_sql(which: &str) -> String {
    format!("SELECT job_id AS of_job, {SIGNATURE_COLUMNS} FROM agreement_signatures WHERE tenant_id = $1 AND {which} ORDER BY signed_at, id")
}

/// A business's agreement, with placeholders, as it is edited.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementTemplate {
    pub id: String,
    pub title: String,
    pub body: String,
    pub signer_roles: String,
    pub services: String,
    pub position: i64,
    pub active: i64,
    pub updated_at: i64,
}

impl AgreementTemplate {
    pub fn signer_roles(&self) -> Vec<Role> {
        Role::parse_list(&self.signer_roles)
    }

    /// The service names the template is for; empty: every job.
    pub fn services(&self) -> Vec<&str> {
        self.services.lines().map(str::trim).filter(|name| !name.is_empty()).collect()
    }

    /// Whether a job with these services needs this agreement.
    pub fn applies_to<'a>(&self, job_services: impl IntoIterator<Item = &'a str> + Clone) -> bool {
        let wanted = self.services();
        self.active != 0
            && (wanted.is_empty()
                || wanted.iter().any(|name| job_services.clone().into_iter().any(|s| s.trim().eq_ignore_ascii_case(name))))
    }
}

/// What staff submit for a template.
pub struct TemplateFields<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub signer_roles: &'a [Role],
    pub services: &'a [String],
    pub active: bool,
}

/// A job's agreement from its first signature on: the exact text signed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LockedAgreement {
    pub template_id: String,
    pub title: String,
    pub body: String,
    pub body_sha256: String,
    pub signer_roles: String,
    pub locked_at: i64,
}

/// One signature and its evidence.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredSignature {
    pub id: String,
    pub template_id: String,
    pub contact_id: String,
    #[sqlx(try_from = "String")]
    pub role: RoleColumn,
    pub contact_name: String,
    pub contact_email: Option<String>,
    pub signer_name: String,
    pub consent_text: String,
    pub signed_at: i64,
    pub ip: String,
    pub user_agent: String,
    pub audit_id: String,
}

/// A signature about to be stored; the audit entry is written with it.
pub struct NewSignature<'a> {
    pub contact_id: &'a str,
    pub role: Role,
    pub contact_name: &'a str,
    pub contact_email: Option<&'a str>,
    pub signer_name: &'a str,
    pub consent_text: &'a str,
    pub audit: &'a AuditEntry,
}

/// How a signing attempt ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Signed {
    Stored,
    /// Someone locked a different text first: the signer read an old version.
    VersionChanged,
    /// This person already signed this agreement.
    AlreadySigned,
}

/// The tenant's signing and release settings.
pub struct AgreementSettings<'a> {
    pub esign_consent: Option<&'a str>,
    pub report_release: ReleaseRule,
    pub summary_while_held: bool,
}

impl TenantDb<'_> {
    /// The tenant's templates in the business's order.
    pub async fn agreement_templates(&self) -> DbResult<Vec<AgreementTemplate>> {
        self.db.read_once("agreement_templates", self.tenant, "", || async move {
            sqlx::query_as(&format!(
                "SELECT {TEMPLATE_COLUMNS} FROM agreement_templates WHERE tenant_id = $1 ORDER BY position, created_at"
            ))
            .bind(self.tenant)
            .fetch_all(&self.db.pool)
            .await
            .context("listing agreement templates")
        })
        .await
    }

    pub async fn agreement_template(&self, template_id: &str) -> DbResult<Option<AgreementTemplate>> {
        sqlx::query_as(&format!("SELECT {TEMPLATE_COLUMNS} FROM agreement_templates WHERE tenant_id = $1 AND id = $2"))
            .bind(self.tenant)
            .bind(template_id)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading an agreement template")
    }

    /// Create a template (placed last) and return its id.
    pub async fn create_agreement_template(&self, fields: &TemplateFields<'_>) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO agreement_templates (id, tenant_id, title, body, signer_roles, services, position, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT COUNT(*) FROM agreement_templates WHERE tenant_id = $2), $7, $8, $8)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(fields.title)
        .bind(fields.body)
        .bind(role_list(fields.signer_roles))
        .bind(fields.services.join("\n"))
        .bind(i64::from(fields.active))
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("creating an agreement template")?;
        Ok(id)
    }

    /// Change a template. Jobs whose agreement someone already signed keep
    /// their locked copy; the others show the new text at once.
    pub async fn update_agreement_template(&self, template_id: &str, fields: &TemplateFields<'_>) -> DbResult<bool> {
        let changed = sqlx::query(
            "UPDATE agreement_templates SET title = $1, body = $2, signer_roles = $3, services = $4, active = $5, updated_at = $6 \
             WHERE tenant_id = $7 AND id = $8",
        )
        .bind(fields.title)
        .bind(fields.body)
        .bind(role_list(fields.signer_roles))
        .bind(fields.services.join("\n"))
        .bind(i64::from(fields.active))
        .bind(now())
        .bind(self.tenant)
        .bind(template_id)
        .execute(&self.db.pool)
        .await
        .context("updating an agreement template")?;
        Ok(changed.rows_affected() == 1)
    }

    /// The job's locked agreements.
    pub async fn locked_agreements(&self, job_id: &JobId) -> DbResult<Vec<LockedAgreement>> {
        self.db.read_once("locked_agreements", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(&locked_agreements_sql("job_id = $2"))
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("listing a job's locked agreements")
        })
        .await
    }

    /// Every signature on the job's agreements, oldest first.
    pub async fn agreement_signatures(&self, job_id: &JobId) -> DbResult<Vec<StoredSignature>> {
        self.db.read_once("agreement_signatures", self.tenant, job_id.as_str(), || async move {
            sqlx::query_as(&signatures_sql("job_id = $2"))
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("listing a job's signatures")
        })
        .await
    }

    /// Sign: lock the agreement with `lock` unless someone already did, check
    /// that the locked text is the one the signer read, and store the
    /// signature and its audit entry, all or nothing.
    pub async fn sign_agreement(
        &self,
        job_id: &JobId,
        lock: &LockedAgreement,
        signature: &NewSignature<'_>,
    ) -> DbResult<Signed> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        sqlx::query(
            "INSERT INTO job_agreements (tenant_id, job_id, template_id, title, body, body_sha256, signer_roles, locked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, job_id, template_id) DO NOTHING",
        )
        .bind(self.tenant)
        .bind(job_id)
        .bind(&lock.template_id)
        .bind(&lock.title)
        .bind(&lock.body)
        .bind(&lock.body_sha256)
        .bind(&lock.signer_roles)
        .bind(lock.locked_at)
        .execute(&mut *tx)
        .await
        .context("locking an agreement")?;
        let (locked_sha,): (String,) = sqlx::query_as(
            "SELECT body_sha256 FROM job_agreements WHERE tenant_id = $1 AND job_id = $2 AND template_id = $3",
        )
        .bind(self.tenant)
        .bind(job_id)
        .bind(&lock.template_id)
        .fetch_one(&mut *tx)
        .await
        .context("reading a locked agreement")?;
        if locked_sha != lock.body_sha256 {
            return Ok(Signed::VersionChanged);
        }
        let audit = signature.audit;
        let stored = sqlx::query(
            "INSERT INTO agreement_signatures (id, tenant_id, job_id, template_id, contact_id, role, contact_name, contact_email, \
             signer_name, consent_text, signed_at, ip, user_agent, audit_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (tenant_id, job_id, template_id, contact_id) DO NOTHING",
        )
        .bind(new_id())
        .bind(self.tenant)
        .bind(job_id)
        .bind(&lock.template_id)
        .bind(signature.contact_id)
        .bind(signature.role.as_str())
        .bind(signature.contact_name)
        .bind(signature.contact_email)
        .bind(signature.signer_name)
        .bind(signature.consent_text)
        .bind(audit.created_at)
        .bind(&audit.ip)
        .bind(&audit.user_agent)
        .bind(&audit.id)
        .execute(&mut *tx)
        .await
        .context("storing a signature")?;
        if stored.rows_affected() == 0 {
            return Ok(Signed::AlreadySigned);
        }
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.context("committing a signature")?;
        Ok(Signed::Stored)
    }

    pub async fn set_agreement_settings(&self, settings: &AgreementSettings<'_>) -> DbResult<()> {
        sqlx::query("UPDATE tenants SET esign_consent = $1, report_release = $2, summary_while_held = $3 WHERE id = $4")
            .bind(settings.esign_consent)
            .bind(settings.report_release.as_str())
            .bind(i64::from(settings.summary_while_held))
            .bind(self.tenant)
            .execute(&self.db.pool)
            .await
            .context("saving signing and release settings")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }
}

fn role_list(roles: &[Role]) -> String {
    roles.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(",")
}
