use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::ids::{JobId, TenantId};
use portico_core::model::{new_id, now};

/// One line of the tenant's audit log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: String,
    pub tenant_id: TenantId,
    pub job_id: Option<JobId>,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub plugin_id: Option<String>,
    pub action: String,
    pub summary: String,
    pub details: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: i64,
    /// `host`, or `section` for what a section wrote through
    /// `audit.record-event`: its words, not the host's.
    pub written_by: String,
}

/// Who did something, as the audit log names them.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// `contact`, `staff` or `system`.
    pub kind: &'a str,
    pub id: Option<&'a str>,
    pub name: &'a str,
}

impl<'a> Actor<'a> {
    pub fn contact(id: &'a str, name: &'a str) -> Actor<'a> {
        Actor { kind: "contact", id: Some(id), name }
    }

    pub fn staff(id: &'a str, name: &'a str) -> Actor<'a> {
        Actor { kind: "staff", id: Some(id), name }
    }

    /// A business's own system calling the API with one of its keys,
    /// recorded as `system` with the key's id.
    pub fn api_key(id: &'a str, name: &'a str) -> Actor<'a> {
        Actor { kind: "system", id: Some(id), name }
    }

    /// A payment provider or another outside system, recorded as `system`.
    pub fn provider(name: &'a str) -> Actor<'a> {
        Actor { kind: "system", id: None, name }
    }
}

impl AuditEntry {
    /// The entry, as done by `actor`.
    pub fn by(mut self, actor: Actor<'_>) -> AuditEntry {
        self.actor_kind = actor.kind.into();
        self.actor_id = actor.id.map(str::to_string);
        self.actor_name = actor.name.into();
        self
    }

    /// The entry, about the job `job_id`.
    pub fn on_job(mut self, job_id: &JobId) -> AuditEntry {
        self.job_id = Some(job_id.clone());
        self
    }

    /// A new entry stamped now, to be filled in and recorded.
    pub fn new(tenant_id: &TenantId, action: &str, summary: &str) -> AuditEntry {
        AuditEntry {
            id: new_id(),
            tenant_id: tenant_id.clone(),
            job_id: None,
            actor_kind: "system".into(),
            actor_id: None,
            actor_name: "Portico".into(),
            plugin_id: None,
            action: action.into(),
            summary: summary.into(),
            details: "{}".into(),
            ip: String::new(),
            user_agent: String::new(),
            created_at: now(),
            written_by: "host".into(),
        }
    }
}

impl Db {
    pub async fn record_audit(&self, entry: &AuditEntry) -> DbResult<()> {
        insert_audit(&self.pool, entry).await
    }
}

impl TenantDb<'_> {

    /// The tenant's audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> DbResult<Vec<AuditEntry>> {
        sqlx::query_as(
            "SELECT id, tenant_id, job_id, actor_kind, actor_id, actor_name, plugin_id, action, summary, details, ip, user_agent, created_at, written_by \
             FROM audit_log WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(self.tenant)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .context("reading the audit log")
    }

    /// Queue an e-mail in the outbox; returns its id.
    pub async fn enqueue_mail(&self, to: &str, template: &str, data_json: &str) -> DbResult<String> {
        insert_outbox(&self.db.pool, self.tenant, to, template, data_json, None).await
    }

    /// Queue an e-mail a section asked for, signed with its name when
    /// delivered, unless the section already queued `per_job` messages for
    /// this job or `per_business` in all since `since`: then the quota it hit.
    /// Counting and queueing hold the section's quota lock, so concurrent
    /// calls cannot both slip under a limit.
    pub async fn enqueue_section_mail(
        &self,
        to: &str,
        data_json: &str,
        sender: &SectionSender<'_>,
        (per_job, per_business, since): (i64, i64, i64),
    ) -> DbResult<Result<String, MailQuota>> {
        let mut tx = self.db.pool.begin().await.context("starting to queue a section's mail")?;
        super::storage::lock_section_quotas(&mut tx, self.tenant, sender.plugin_id).await?;
        if sender.job_id.is_some() && count_section_mail(&mut *tx, self.tenant, sender.plugin_id, sender.job_id, since).await? >= per_job {
            return Ok(Err(MailQuota::PerJob(per_job)));
        }
        if count_section_mail(&mut *tx, self.tenant, sender.plugin_id, None, since).await? >= per_business {
            return Ok(Err(MailQuota::PerBusiness(per_business)));
        }
        let id = insert_outbox(&mut *tx, self.tenant, to, "message", data_json, Some(sender)).await?;
        tx.commit().await.context("queueing a section's mail")?;
        Ok(Ok(id))
    }

    /// How many messages a section queued since `since`: for one job, or
    /// for the whole business when `job_id` is `None`.
    pub async fn section_mail_count(&self, plugin_id: &str, job_id: Option<&JobId>, since: i64) -> DbResult<i64> {
        count_section_mail(&self.db.pool, self.tenant, plugin_id, job_id, since).await
    }

    /// Whether the host recorded an entry of `action` about this section since
    /// `since` (entries the section wrote itself do not count).
    pub async fn audited_since(&self, plugin_id: &str, action: &str, since: i64) -> DbResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM audit_log WHERE tenant_id = $1 AND plugin_id = $2 AND action = $3 AND created_at >= $4 AND written_by = 'host' LIMIT 1",
        )
        .bind(self.tenant)
        .bind(plugin_id)
        .bind(action)
        .bind(since)
        .fetch_optional(&self.db.pool)
        .await
        .context("looking for an audit entry")?;
        Ok(found.is_some())
    }
}

/// Which of a section's mail quotas a message would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailQuota {
    PerJob(i64),
    PerBusiness(i64),
}

/// How many messages a section queued since `since` (for one job, or for the
/// whole business), counted through `executor`.
async fn count_section_mail<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant_id: &TenantId,
    plugin_id: &str,
    job_id: Option<&JobId>,
    since: i64,
) -> DbResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE tenant_id = $1 AND plugin_id = $2 AND created_at >= $3 AND ($4 IS NULL OR job_id = $4)",
    )
    .bind(tenant_id)
    .bind(plugin_id)
    .bind(since)
    .bind(job_id)
    .fetch_one(executor)
    .await
    .context("counting a section's mail")
}

/// Write one outbox row through `executor`.
async fn insert_outbox<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant_id: &TenantId,
    to: &str,
    template: &str,
    data_json: &str,
    section: Option<&SectionSender<'_>>,
) -> DbResult<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO outbox (id, tenant_id, to_address, template, data_json, created_at, plugin_id, section_name, job_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(to)
    .bind(template)
    .bind(data_json)
    .bind(now())
    .bind(section.map(|s| s.plugin_id))
    .bind(section.map(|s| s.section_name))
    .bind(section.and_then(|s| s.job_id))
    .execute(executor)
    .await
    .context("queueing mail")?;
    Ok(id)
}

/// The section a message is queued for.
pub struct SectionSender<'a> {
    pub plugin_id: &'a str,
    /// The section's name as the business knows it ("Repair list").
    pub section_name: &'a str,
    pub job_id: Option<&'a JobId>,
}

/// Write one audit entry through `executor`: the pool, or a transaction whose
/// change the entry must commit or roll back with.
pub(super) async fn insert_audit<'e>(executor: impl sqlx::Executor<'e, Database = sqlx::Any>, entry: &AuditEntry) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, job_id, actor_kind, actor_id, actor_name, plugin_id, action, summary, details, ip, user_agent, created_at, written_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&entry.id)
    .bind(&entry.tenant_id)
    .bind(&entry.job_id)
    .bind(&entry.actor_kind)
    .bind(&entry.actor_id)
    .bind(&entry.actor_name)
    .bind(&entry.plugin_id)
    .bind(&entry.action)
    .bind(&entry.summary)
    .bind(&entry.details)
    .bind(&entry.ip)
    .bind(&entry.user_agent)
    .bind(entry.created_at)
    .bind(&entry.written_by)
    .execute(executor)
    .await
    .context("writing the audit log")?;
    Ok(())
}
