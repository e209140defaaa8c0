use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::ids::TenantId;
use portico_core::model::now;

/// The server-side half of a session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub tenant_id: TenantId,
    pub contact_id: Option<String>,
    pub job_contact_id: Option<String>,
    pub staff_user_id: Option<String>,
    pub csrf_token: String,
    pub flash_json: Option<String>,
    pub expires_at: i64,
    /// How the session was started: link, magic-link, code, password, switch or staff.
    pub method: String,
    /// The address this session proved it owns, if it signed in through it.
    pub verified_email: Option<String>,
}

/// A live session as its owner sees it in their list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionSummary {
    pub id: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// Who a session is for.
#[derive(Debug, Clone, Copy)]
pub enum SessionSubject<'a> {
    /// A contact. `job_contact_id` names the personal link they came through,
    /// if any; `verified_email` is set when they proved they own the address
    /// (then the session reaches every job of that address with the tenant).
    Contact { contact_id: &'a str, job_contact_id: Option<&'a str>, verified_email: Option<&'a str> },
    /// A member of the business's staff.
    Staff { staff_user_id: &'a str },
}

/// A session to start.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub tenant_id: &'a TenantId,
    pub subject: SessionSubject<'a>,
    /// How the session was started (link, magic-link, code, password, switch, staff).
    pub method: &'a str,
    pub csrf_token: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub expires_at: i64,
}

impl Db {
    /// Start a session for `subject`; the caller sets the cookie.
    pub async fn create_session(&self, new: &NewSession<'_>) -> DbResult<()> {
        let (contact_id, job_contact_id, staff_user_id, verified_email) = match new.subject {
            SessionSubject::Contact { contact_id, job_contact_id, verified_email } => {
                (Some(contact_id), job_contact_id, None, verified_email)
            }
            SessionSubject::Staff { staff_user_id } => (None, None, Some(staff_user_id), None),
        };
        let now = now();
        sqlx::query(
            "INSERT INTO sessions (id, tenant_id, contact_id, job_contact_id, staff_user_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at, method, verified_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)",
        )
        .bind(new.id)
        .bind(new.tenant_id)
        .bind(contact_id)
        .bind(job_contact_id)
        .bind(staff_user_id)
        .bind(new.csrf_token)
        .bind(new.ip)
        .bind(new.user_agent)
        .bind(now)
        .bind(new.expires_at)
        .bind(new.method)
        .bind(verified_email)
        .execute(&self.pool)
        .await
        .context("creating a session")?;
        Ok(())
    }
}

impl TenantDb<'_> {

    /// A live session of `tenant_id`: not revoked, not expired.
    pub async fn live_session(&self, session_id: &str) -> DbResult<Option<SessionRow>> {
        sqlx::query_as(
            "SELECT id, tenant_id, contact_id, job_contact_id, staff_user_id, csrf_token, flash_json, expires_at, method, verified_email FROM sessions \
             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(self.tenant)
        .bind(session_id)
        .bind(now())
        .fetch_optional(&self.db.pool)
        .await
        .context("loading a session")
    }

    /// Slide the session's expiry forward.
    pub async fn touch_session(&self, session_id: &str, expires_at: i64) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE tenant_id = $3 AND id = $4")
            .bind(now())
            .bind(expires_at)
            .bind(self.tenant)
            .bind(session_id)
            .execute(&self.db.pool)
            .await
            .context("refreshing a session")?;
        Ok(())
    }

    /// Leave a message for the session's next page (or clear it with `None`).
    pub async fn set_flash(&self, session_id: &str, flash_json: Option<&str>) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET flash_json = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(flash_json)
            .bind(self.tenant)
            .bind(session_id)
            .execute(&self.db.pool)
            .await
            .context("saving a flash message")?;
        Ok(())
    }

    pub async fn revoke_session(&self, session_id: &str) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(now())
            .bind(self.tenant)
            .bind(session_id)
            .execute(&self.db.pool)
            .await
            .context("revoking a session")?;
        Ok(())
    }

    /// The contact's live sessions with this tenant, most recently used first.
    pub async fn contact_sessions(&self, contact_id: &str) -> DbResult<Vec<SessionSummary>> {
        sqlx::query_as(
            "SELECT id, ip, user_agent, created_at, last_seen_at FROM sessions \
             WHERE tenant_id = $1 AND contact_id = $2 AND revoked_at IS NULL AND expires_at > $3 \
             ORDER BY last_seen_at DESC, id DESC LIMIT 100",
        )
        .bind(self.tenant)
        .bind(contact_id)
        .bind(now())
        .fetch_all(&self.db.pool)
        .await
        .context("listing a contact's sessions")
    }

    /// Revoke one of the contact's own sessions; false when it is not theirs
    /// (or already gone).
    pub async fn revoke_contact_session(&self, contact_id: &str, session_id: &str) -> DbResult<bool> {
        let result = sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND contact_id = $3 AND id = $4 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(self.tenant)
        .bind(contact_id)
        .bind(session_id)
        .execute(&self.db.pool)
        .await
        .context("revoking a contact's session")?;
        Ok(result.rows_affected() > 0)
    }

    /// End every live session of a staff member (after a password change).
    pub async fn revoke_staff_sessions(&self, staff_user_id: &str) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND staff_user_id = $3 AND revoked_at IS NULL")
            .bind(now())
            .bind(self.tenant)
            .bind(staff_user_id)
            .execute(&self.db.pool)
            .await
            .context("revoking a staff member's sessions")?;
        Ok(())
    }
}
