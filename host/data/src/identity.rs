//! Who may get in: contacts by e-mail, what a signed-in contact may reach,
//! sign-in challenges (magic links, codes, staff password resets) and rate
//! limits.

use portico_core::ids::{JobId, TenantId};
use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::model::{new_id, now, JobContact, RoleColumn};

use super::account::FIRST_VISIT;
use super::jobs::JOB_CONTACT_COLUMNS;

/// What a challenge proves once answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengePurpose {
    MagicLink,
    Code,
    StaffReset,
}

impl ChallengePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengePurpose::MagicLink => "magic-link",
            ChallengePurpose::Code => "code",
            ChallengePurpose::StaffReset => "staff-reset",
        }
    }
}

/// A challenge to store. Only the hash of its secret is kept.
pub struct NewChallenge<'a> {
    pub tenant_id: &'a TenantId,
    pub purpose: ChallengePurpose,
    pub email: &'a str,
    pub contact_id: Option<&'a str>,
    pub staff_user_id: Option<&'a str>,
    pub return_job_id: Option<&'a JobId>,
    pub secret_hash: &'a str,
    pub expires_at: i64,
}

/// A challenge that was answered (and is now used up).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnsweredChallenge {
    pub id: String,
    pub tenant_id: TenantId,
    pub email: String,
    pub contact_id: Option<String>,
    pub staff_user_id: Option<String>,
    pub return_job_id: Option<JobId>,
}

/// A code challenge after one more attempt was counted against it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeAttempt {
    pub secret_hash: String,
    pub attempts: i64,
    /// The address the code was asked for.
    pub email: String,
}

/// A pending challenge, as a page about it needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingChallenge {
    pub id: String,
    pub email: String,
    pub attempts: i64,
    pub expires_at: i64,
}

/// One of the jobs a signed-in contact can open.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountJob {
    pub job_id: JobId,
    pub reference: String,
    pub status: String,
    #[sqlx(try_from = "String")]
    pub role: RoleColumn,
    pub line1: String,
    pub city: String,
    pub region: String,
    pub starts_at: Option<i64>,
}

/// A personal link of a signed-in contact, as they see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnLink {
    pub job_contact_id: String,
    pub reference: String,
    pub line1: String,
    #[sqlx(try_from = "String")]
    pub role: RoleColumn,
    pub token_expires_at: Option<i64>,
}

/// Another business where the same address is a contact.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OtherTenant {
    pub slug: String,
    pub name: String,
}

/// A contact who may sign in with a password.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasswordHolder {
    pub contact_id: String,
    pub name: String,
    pub password_hash: String,
}

/// The contact `c` is on at least one job whose link has not been revoked.
const ON_A_LIVE_JOB: &str =
    "EXISTS (SELECT 1 FROM job_contacts jc WHERE jc.tenant_id = c.tenant_id AND jc.contact_id = c.id AND jc.revoked_at IS NULL)";

/// An address of the business's own staff never gets a client's access.
pub(crate) const NOT_STAFF: &str = "NOT EXISTS (SELECT 1 FROM staff_users s WHERE s.tenant_id = c.tenant_id AND s.email = c.email)";

/// The live links (`jc`) a signed-in contact reaches, with their contact `c`,
/// job `j` and property `p`: the contact's own ($2), or every one of a proven
/// address ($3), in tenant $1. The people are found first, so that their
/// links are read by index rather than among all of the business's.
pub(crate) const REACHABLE_LINKS: &str = "FROM job_contacts jc \
     JOIN contacts c ON c.id = jc.contact_id AND c.tenant_id = jc.tenant_id \
     JOIN jobs j ON j.id = jc.job_id AND j.tenant_id = jc.tenant_id \
     JOIN properties p ON p.id = j.property_id AND p.tenant_id = j.tenant_id \
     WHERE jc.tenant_id = $1 AND jc.revoked_at IS NULL \
       AND jc.contact_id IN (SELECT r.id FROM contacts r WHERE r.tenant_id = $1 AND (r.id = $2 OR r.email = $3))";

/// A contact's part on a job they reach through several links (their own, and
/// others of the address they proved): their own link's first, then the
/// closest part (client, co-client, an agent's, other). For `GROUP BY` queries
/// over `REACHABLE_LINKS`.
pub(crate) const ROLE_ON_JOB: &str = "CASE MIN((CASE WHEN jc.contact_id = $2 THEN 0 ELSE 10 END) + \
     (CASE jc.role WHEN 'client' THEN 0 WHEN 'co-client' THEN 1 WHEN 'buyer-agent' THEN 2 WHEN 'listing-agent' THEN 3 ELSE 4 END)) % 10 \
     WHEN 0 THEN 'client' WHEN 1 THEN 'co-client' WHEN 2 THEN 'buyer-agent' WHEN 3 THEN 'listing-agent' ELSE 'other' END";

/// How close a link's part is, for ordering one person's links on a job the
/// same way `ROLE_ON_JOB` picks among them: client first.
const ROLE_RANK: &str = "CASE jc.role WHEN 'client' THEN 0 WHEN 'co-client' THEN 1 WHEN 'buyer-agent' THEN 2 WHEN 'listing-agent' THEN 3 ELSE 4 END";

impl Db {
    /// Record one attempt in `bucket` and say whether more than `max` were
    /// made within the last `window` seconds (this one included). Buckets
    /// belong to a business, or to no one for the doors that come before one
    /// is known (staff sign-in, password reset).
    pub async fn rate_limited(&self, tenant: Option<&TenantId>, bucket: &str, window: i64, max: i64) -> DbResult<bool> {
        let tenant = tenant.map_or("", TenantId::as_str);
        let now = now();
        // Old events of this bucket are of no further use.
        sqlx::query("DELETE FROM rate_limit_events WHERE tenant_id = $1 AND bucket = $2 AND created_at <= $3")
            .bind(tenant)
            .bind(bucket)
            .bind(now - window)
            .execute(&self.pool)
            .await
            .context("pruning rate-limit events")?;
        sqlx::query("INSERT INTO rate_limit_events (tenant_id, bucket, created_at) VALUES ($1, $2, $3)")
            .bind(tenant)
            .bind(bucket)
            .bind(now)
            .execute(&self.pool)
            .await
            .context("recording a rate-limited attempt")?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rate_limit_events WHERE tenant_id = $1 AND bucket = $2 AND created_at > $3")
            .bind(tenant)
            .bind(bucket)
            .bind(now - window)
            .fetch_one(&self.pool)
            .await
            .context("counting rate-limited attempts")?;
        Ok(count > max)
    }


    /// Which tenant a job belongs to. Not scoped by a tenant: a job's public
    /// link names only the job (its id is random, so it cannot be guessed).
    pub async fn job_tenant(&self, job_id: &JobId) -> DbResult<Option<TenantId>> {
        sqlx::query_scalar("SELECT tenant_id FROM jobs WHERE id = $1")
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await
            .context("finding a job's tenant")
    }

    pub async fn create_challenge(&self, new: &NewChallenge<'_>) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO sign_in_challenges (id, tenant_id, purpose, email, contact_id, staff_user_id, return_job_id, secret_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(new.tenant_id)
        .bind(new.purpose.as_str())
        .bind(new.email)
        .bind(new.contact_id)
        .bind(new.staff_user_id)
        .bind(new.return_job_id)
        .bind(new.secret_hash)
        .bind(new.expires_at)
        .bind(now())
        .execute(&self.pool)
        .await
        .context("creating a sign-in challenge")?;
        Ok(id)
    }

    /// Whether an unused, unexpired challenge has this secret (a page showing
    /// "continue" before the secret is spent).
    pub async fn challenge_is_open(&self, tenant_id: Option<&TenantId>, purpose: ChallengePurpose, secret_hash: &str) -> DbResult<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM sign_in_challenges WHERE secret_hash = $1 AND purpose = $2 AND ($3 IS NULL OR tenant_id = $3) \
             AND used_at IS NULL AND expires_at > $4",
        )
        .bind(secret_hash)
        .bind(purpose.as_str())
        .bind(tenant_id)
        .bind(now())
        .fetch_optional(&self.pool)
        .await
        .context("looking up a sign-in challenge")?;
        Ok(found.is_some())
    }

    /// Spend the challenge with this secret: succeeds once, before it expires.
    /// `tenant_id` is `None` only for staff resets, whose link names no tenant.
    pub async fn spend_challenge(
        &self,
        tenant_id: Option<&TenantId>,
        purpose: ChallengePurpose,
        secret_hash: &str,
    ) -> DbResult<Option<AnsweredChallenge>> {
        sqlx::query_as(
            "UPDATE sign_in_challenges SET used_at = $1 \
             WHERE secret_hash = $2 AND purpose = $3 AND ($4 IS NULL OR tenant_id = $4) AND used_at IS NULL AND expires_at > $1 \
             RETURNING id, tenant_id, email, contact_id, staff_user_id, return_job_id",
        )
        .bind(now())
        .bind(secret_hash)
        .bind(purpose.as_str())
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await
        .context("spending a sign-in challenge")
    }
}

impl TenantDb<'_> {
    /// The contact with this address who may sign in (on a job, link not
    /// revoked), most recently added first.
    pub async fn contact_for_sign_in(&self, email: &str) -> DbResult<Option<(String, String)>> {
        sqlx::query_as(&format!(
            "SELECT c.id, c.name FROM contacts c WHERE c.tenant_id = $1 AND c.email = $2 AND {ON_A_LIVE_JOB} AND {NOT_STAFF} \
             ORDER BY c.created_at DESC, c.id DESC LIMIT 1"
        ))
        .bind(self.tenant)
        .bind(email)
        .fetch_optional(&self.db.pool)
        .await
        .context("finding a contact by e-mail")
    }

    /// The contact with this address on one job (link not revoked, not a
    /// staff address): (contact id, name).
    pub async fn contact_on_job(&self, job_id: &JobId, email: &str) -> DbResult<Option<(String, String)>> {
        sqlx::query_as(&format!(
            "SELECT c.id, c.name FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id AND c.tenant_id = jc.tenant_id \
             WHERE jc.tenant_id = $1 AND jc.job_id = $2 AND c.email = $3 AND jc.revoked_at IS NULL AND {NOT_STAFF} LIMIT 1"
        ))
        .bind(self.tenant)
        .bind(job_id)
        .bind(email)
        .fetch_optional(&self.db.pool)
        .await
        .context("finding a contact on a job by e-mail")
    }

    /// Contacts with this address and a password who may sign in.
    pub async fn password_holders(&self, email: &str) -> DbResult<Vec<PasswordHolder>> {
        sqlx::query_as(&format!(
            "SELECT c.id AS contact_id, c.name, c.password_hash FROM contacts c \
             WHERE c.tenant_id = $1 AND c.email = $2 AND c.password_hash IS NOT NULL AND {ON_A_LIVE_JOB} AND {NOT_STAFF} LIMIT 10"
        ))
        .bind(self.tenant)
        .bind(email)
        .fetch_all(&self.db.pool)
        .await
        .context("finding contacts with a password")
    }

    /// Set the password of every contact of the tenant with this address (one
    /// person, one password, however many jobs they are on).
    pub async fn set_contact_password(&self, email: &str, password_hash: &str) -> DbResult<()> {
        sqlx::query("UPDATE contacts SET password_hash = $1 WHERE tenant_id = $2 AND email = $3")
            .bind(password_hash)
            .bind(self.tenant)
            .bind(email)
            .execute(&self.db.pool)
            .await
            .context("setting a contact's password")?;
        Ok(())
    }

    pub async fn contact_name(&self, contact_id: &str) -> DbResult<Option<String>> {
        sqlx::query_scalar("SELECT name FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant)
            .bind(contact_id)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading a contact")
    }

    /// The contact's e-mail address, if the business has one.
    pub async fn contact_email(&self, contact_id: &str) -> DbResult<Option<String>> {
        let email: Option<Option<String>> = sqlx::query_scalar("SELECT email FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant)
            .bind(contact_id)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading a contact's address")?;
        Ok(email.flatten())
    }

    /// The contact's phone number, if the business has one.
    pub async fn contact_phone(&self, contact_id: &str) -> DbResult<Option<String>> {
        let phone: Option<Option<String>> = sqlx::query_scalar("SELECT phone FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant)
            .bind(contact_id)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading a contact's phone")?;
        Ok(phone.flatten())
    }

    /// Whether the address belongs to one of the tenant's staff (such an
    /// address never gets a client's access).
    pub async fn is_staff_email(&self, email: &str) -> DbResult<bool> {
        let found: Option<String> = sqlx::query_scalar("SELECT id FROM staff_users WHERE tenant_id = $1 AND email = $2")
            .bind(self.tenant)
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.db.pool)
            .await
            .context("checking for a staff address")?;
        Ok(found.is_some())
    }

    /// The part a signed-in contact plays on `job_id`: their own link to it,
    /// or, when the session proved an address, any link of that address.
    /// Revoked links give nothing.
    pub async fn job_access(
        &self,
        job_id: &JobId,
        contact_id: &str,
        verified_email: Option<&str>,
    ) -> DbResult<Option<JobContact>> {
        sqlx::query_as(&format!(
            "SELECT {JOB_CONTACT_COLUMNS} FROM job_contacts jc JOIN contacts c ON c.id = jc.contact_id AND c.tenant_id = jc.tenant_id \
             WHERE jc.tenant_id = $1 AND jc.job_id = $2 AND jc.revoked_at IS NULL AND (jc.contact_id = $3 OR c.email = $4) AND {NOT_STAFF} \
             ORDER BY CASE WHEN jc.contact_id = $3 THEN 0 ELSE 1 END, {ROLE_RANK}, jc.created_at LIMIT 1"
        ))
        .bind(self.tenant)
        .bind(job_id)
        .bind(contact_id)
        .bind(verified_email)
        .fetch_optional(&self.db.pool)
        .await
        .context("checking access to a job")
    }

    /// Every job a signed-in contact can open, soonest appointment first.
    pub async fn account_jobs(&self, contact_id: &str, verified_email: Option<&str>) -> DbResult<Vec<AccountJob>> {
        sqlx::query_as(&format!(
            "SELECT j.id AS job_id, j.reference, j.status, {ROLE_ON_JOB} AS role, p.line1, p.city, p.region, \
                    {FIRST_VISIT} AS starts_at \
             {REACHABLE_LINKS} AND {NOT_STAFF} \
             GROUP BY j.id, j.reference, j.status, p.line1, p.city, p.region, j.tenant_id, j.created_at \
             ORDER BY j.created_at DESC LIMIT 200"
        ))
        .bind(self.tenant)
        .bind(contact_id)
        .bind(verified_email)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a contact's jobs")
    }

    /// The live personal links a signed-in contact reaches (their own, or all
    /// of a proven address).
    pub async fn own_links(&self, contact_id: &str, verified_email: Option<&str>) -> DbResult<Vec<OwnLink>> {
        sqlx::query_as(&format!(
            "SELECT jc.id AS job_contact_id, j.reference, p.line1, jc.role, jc.token_expires_at \
             {REACHABLE_LINKS} AND {NOT_STAFF} \
             ORDER BY j.created_at DESC LIMIT 200"
        ))
        .bind(self.tenant)
        .bind(contact_id)
        .bind(verified_email)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a contact's links")
    }

    /// Other businesses where `email` is a contact on a job. An identity
    /// lookup across tenants, used only for an address the visitor proved.
    pub async fn other_tenants_of(&self, email: &str) -> DbResult<Vec<OtherTenant>> {
        sqlx::query_as(&format!(
            "SELECT t.slug, t.name FROM tenants t WHERE t.id <> $1 AND EXISTS \
             (SELECT 1 FROM contacts c WHERE c.tenant_id = t.id AND c.email = $2 AND {ON_A_LIVE_JOB} AND {NOT_STAFF}) ORDER BY t.name LIMIT 50"
        ))
        .bind(self.tenant)
        .bind(email)
        .fetch_all(&self.db.pool)
        .await
        .context("finding the other businesses of an address")
    }

    pub async fn pending_code(&self, challenge_id: &str) -> DbResult<Option<PendingChallenge>> {
        sqlx::query_as(
            "SELECT id, email, attempts, expires_at FROM sign_in_challenges \
             WHERE tenant_id = $1 AND id = $2 AND purpose = 'code' AND used_at IS NULL",
        )
        .bind(self.tenant)
        .bind(challenge_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("loading a code challenge")
    }

    /// Count one attempt at a code, if attempts remain and it is still open;
    /// returns the stored hash to compare with.
    pub async fn count_code_attempt(&self, challenge_id: &str, max_attempts: i64) -> DbResult<Option<CodeAttempt>> {
        sqlx::query_as(
            "UPDATE sign_in_challenges SET attempts = attempts + 1 \
             WHERE tenant_id = $1 AND id = $2 AND purpose = 'code' AND used_at IS NULL AND expires_at > $3 AND attempts < $4 \
             RETURNING secret_hash, attempts, email",
        )
        .bind(self.tenant)
        .bind(challenge_id)
        .bind(now())
        .bind(max_attempts)
        .fetch_optional(&self.db.pool)
        .await
        .context("counting a code attempt")
    }

    /// Spend a code challenge whose code was right; once only.
    pub async fn spend_code(&self, challenge_id: &str) -> DbResult<Option<AnsweredChallenge>> {
        sqlx::query_as(
            "UPDATE sign_in_challenges SET used_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND purpose = 'code' AND used_at IS NULL AND expires_at > $1 \
             RETURNING id, tenant_id, email, contact_id, staff_user_id, return_job_id",
        )
        .bind(now())
        .bind(self.tenant)
        .bind(challenge_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("spending a code")
    }

}
