use super::{Db, DbResult, QueryContext};
use crate::model::{new_id, now, Tenant};

/// What it takes to create a tenant.
pub struct NewTenant<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub timezone: &'a str,
    pub welcome_text: &'a str,
    pub support_email: Option<&'a str>,
    pub support_phone: Option<&'a str>,
}

/// A member of a business's staff.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffUser {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
}

const STAFF_COLUMNS: &str = "id, tenant_id, email, display_name, role, password_hash";

const TENANT_COLUMNS: &str = "id, slug, name, brand_color, accent_color, logo_url, welcome_text, \
    support_email, support_phone, locale, timezone, currency";

impl Db {
    pub async fn create_tenant(&self, new: &NewTenant<'_>) -> DbResult<Tenant> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO tenants (id, slug, name, timezone, welcome_text, support_email, support_phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(new.slug)
        .bind(new.name)
        .bind(new.timezone)
        .bind(new.welcome_text)
        .bind(new.support_email)
        .bind(new.support_phone)
        .bind(now())
        .execute(&self.pool)
        .await
        .context("creating a tenant")?;
        self.tenant(&id).await?.ok_or_else(|| super::DbError::Invalid("tenant vanished".into()))
    }

    pub async fn tenant(&self, tenant_id: &str) -> DbResult<Option<Tenant>> {
        sqlx::query_as(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"))
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await
            .context("loading a tenant")
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> DbResult<Option<Tenant>> {
        sqlx::query_as(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .context("loading a tenant by slug")
    }

    pub async fn create_staff_user(
        &self,
        tenant_id: &str,
        email: &str,
        display_name: &str,
        role: &str,
        password_hash: &str,
    ) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO staff_users (id, tenant_id, email, display_name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(tenant_id)
        .bind(email.to_lowercase())
        .bind(display_name)
        .bind(role)
        .bind(password_hash)
        .bind(now())
        .execute(&self.pool)
        .await
        .context("creating a staff user")?;
        Ok(id)
    }

    /// Staff accounts with this e-mail, in any business (sign-in finds which).
    pub async fn staff_by_email(&self, email: &str) -> DbResult<Vec<StaffUser>> {
        sqlx::query_as(&format!("SELECT {STAFF_COLUMNS} FROM staff_users WHERE email = $1 ORDER BY created_at LIMIT 10"))
            .bind(email.trim().to_lowercase())
            .fetch_all(&self.pool)
            .await
            .context("finding staff by e-mail")
    }

    pub async fn staff_user(&self, tenant_id: &str, staff_user_id: &str) -> DbResult<Option<StaffUser>> {
        sqlx::query_as(&format!("SELECT {STAFF_COLUMNS} FROM staff_users WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(staff_user_id)
            .fetch_optional(&self.pool)
            .await
            .context("loading a staff user")
    }
}
