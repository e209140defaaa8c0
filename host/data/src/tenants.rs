use super::{Db, TenantDb, DbResult, QueryContext};
use portico_core::ids::TenantId;
use portico_core::model::{new_id, now, StaffRole, Tenant};

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
    pub tenant_id: TenantId,
    pub email: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: StaffRole,
    pub password_hash: String,
}

const STAFF_COLUMNS: &str = "id, tenant_id, email, display_name, role, password_hash";

const TENANT_COLUMNS: &str = "id, slug, name, brand_color, accent_color, logo_url, welcome_text, \
    support_email, support_phone, locale, timezone, currency, link_lifetime_days, signin_method, client_passwords, \
    payment_provider, stripe_account, esign_consent, report_release, summary_while_held, card_fee_basis_points, card_fee_fixed_minor, tax_rate_bp";

impl Db {
    pub async fn create_tenant(&self, new: &NewTenant<'_>) -> DbResult<Tenant> {
        let id = TenantId::new(new_id());
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
        self.tenant(&id).business().await?.ok_or_else(|| super::DbError::Invalid("tenant vanished".into()))
    }

    /// Every tenant's id, for operator-wide maintenance (upgrading the
    /// first-party sections at start); never to serve a request.
    pub async fn tenant_ids(&self) -> DbResult<Vec<TenantId>> {
        sqlx::query_scalar("SELECT id FROM tenants ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await
            .context("listing tenants")
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> DbResult<Option<Tenant>> {
        sqlx::query_as(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .context("loading a tenant by slug")
    }

    /// Staff accounts with this e-mail, in any business (sign-in finds which).
    pub async fn staff_by_email(&self, email: &str) -> DbResult<Vec<StaffUser>> {
        sqlx::query_as(&format!("SELECT {STAFF_COLUMNS} FROM staff_users WHERE email = $1 ORDER BY created_at LIMIT 10"))
            .bind(email.trim().to_lowercase())
            .fetch_all(&self.pool)
            .await
            .context("finding staff by e-mail")
    }
}

impl TenantDb<'_> {

    /// The business's own record: name, branding, settings.
    pub async fn business(&self) -> DbResult<Option<Tenant>> {
        self.db.read_shared("business", self.tenant, || async move {
            sqlx::query_as(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"))
                .bind(self.tenant)
                .fetch_optional(&self.db.pool)
                .await
                .context("loading a tenant")
        })
        .await
    }

    pub async fn set_branding(&self, branding: &Branding<'_>) -> DbResult<()> {
        sqlx::query(
            "UPDATE tenants SET name = $1, brand_color = $2, accent_color = $3, welcome_text = $4, support_email = $5, \
             support_phone = $6, locale = $7, timezone = $8, currency = $9 WHERE id = $10",
        )
        .bind(branding.name)
        .bind(branding.brand_color)
        .bind(branding.accent_color)
        .bind(branding.welcome_text)
        .bind(branding.support_email)
        .bind(branding.support_phone)
        .bind(branding.locale)
        .bind(branding.timezone)
        .bind(branding.currency)
        .bind(self.tenant)
        .execute(&self.db.pool)
        .await
        .context("saving the branding")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// Set (or with `None` remove) the address of the business's logo.
    pub async fn set_logo_url(&self, logo_url: Option<&str>) -> DbResult<()> {
        sqlx::query("UPDATE tenants SET logo_url = $1 WHERE id = $2")
            .bind(logo_url)
            .bind(self.tenant)
            .execute(&self.db.pool)
            .await
            .context("saving the logo")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// How many invoices the business has issued (its currency is fixed from the first).
    pub async fn invoice_count(&self) -> DbResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE tenant_id = $1")
            .bind(self.tenant)
            .fetch_one(&self.db.pool)
            .await
            .context("counting invoices")
    }

    pub async fn create_staff_user(
        &self,
        email: &str,
        display_name: &str,
        role: StaffRole,
        password_hash: &str,
    ) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO staff_users (id, tenant_id, email, display_name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(email.to_lowercase())
        .bind(display_name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("creating a staff user")?;
        Ok(id)
    }

    pub async fn staff_user(&self, staff_user_id: &str) -> DbResult<Option<StaffUser>> {
        sqlx::query_as(&format!("SELECT {STAFF_COLUMNS} FROM staff_users WHERE tenant_id = $1 AND id = $2"))
            .bind(self.tenant)
            .bind(staff_user_id)
            .fetch_optional(&self.db.pool)
            .await
            .context("loading a staff user")
    }

    /// How the tenant lets people in.
    pub async fn set_access_settings(&self, settings: &AccessSettings<'_>) -> DbResult<()> {
        sqlx::query("UPDATE tenants SET link_lifetime_days = $1, signin_method = $2, client_passwords = $3 WHERE id = $4")
            .bind(settings.link_lifetime_days)
            .bind(settings.signin_method)
            .bind(i64::from(settings.client_passwords))
            .bind(self.tenant)
            .execute(&self.db.pool)
            .await
            .context("saving access settings")?;
        self.db.forget_business(self.tenant);
        Ok(())
    }

    /// The tenant's staff, owners first.
    pub async fn staff_users(&self) -> DbResult<Vec<StaffUser>> {
        sqlx::query_as(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff_users WHERE tenant_id = $1 \
             ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'office' THEN 1 ELSE 2 END, display_name"
        ))
        .bind(self.tenant)
        .fetch_all(&self.db.pool)
        .await
        .context("listing staff")
    }

    pub async fn set_staff_role(&self, staff_user_id: &str, role: StaffRole) -> DbResult<()> {
        sqlx::query("UPDATE staff_users SET role = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(role.as_str())
            .bind(self.tenant)
            .bind(staff_user_id)
            .execute(&self.db.pool)
            .await
            .context("changing a staff role")?;
        Ok(())
    }

    pub async fn set_staff_password(&self, staff_user_id: &str, password_hash: &str) -> DbResult<()> {
        sqlx::query("UPDATE staff_users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(password_hash)
            .bind(self.tenant)
            .bind(staff_user_id)
            .execute(&self.db.pool)
            .await
            .context("setting a staff password")?;
        Ok(())
    }

    /// Remove a staff member: their sessions end, their pending resets die,
    /// and they leave the crews of the jobs they were on.
    pub async fn remove_staff_user(&self, staff_user_id: &str) -> DbResult<()> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        for (sql, context) in [
            ("DELETE FROM sessions WHERE tenant_id = $1 AND staff_user_id = $2", "ending a staff member's sessions"),
            ("DELETE FROM sign_in_challenges WHERE tenant_id = $1 AND staff_user_id = $2", "dropping a staff member's resets"),
            ("DELETE FROM job_crew WHERE tenant_id = $1 AND staff_user_id = $2", "taking a staff member off their crews"),
            ("DELETE FROM staff_users WHERE tenant_id = $1 AND id = $2", "removing a staff member"),
        ] {
            sqlx::query(sql).bind(self.tenant).bind(staff_user_id).execute(&mut *tx).await.context(context)?;
        }
        tx.commit().await.context("committing a staff removal")?;
        Ok(())
    }
}

/// How the business looks and writes to people: its portal and e-mails.
pub struct Branding<'a> {
    pub name: &'a str,
    pub brand_color: &'a str,
    pub accent_color: &'a str,
    pub welcome_text: &'a str,
    pub support_email: Option<&'a str>,
    pub support_phone: Option<&'a str>,
    pub locale: &'a str,
    pub timezone: &'a str,
    pub currency: &'a str,
}

/// How a tenant lets people in.
pub struct AccessSettings<'a> {
    /// `None`: personal links never expire.
    pub link_lifetime_days: Option<i64>,
    /// `magic-link` or `code`.
    pub signin_method: &'a str,
    pub client_passwords: bool,
}

/// Take the business's lock until `tx` ends: what one business numbers or
/// claims (batches, requests, estimates, acceptances) is done one at a time.
/// On SQLite it is the write lock, taken first so that a transaction that
/// read cannot fail to write later. A row of its own, not the business's:
/// writing `tenants` counts as a change to the business (migration 0027).
pub(crate) async fn lock_business(tx: &mut sqlx::Transaction<'_, sqlx::Any>, tenant_id: &TenantId) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO business_locks (tenant_id, taken) VALUES ($1, 1) \
         ON CONFLICT (tenant_id) DO UPDATE SET taken = business_locks.taken + 1",
    )
    .bind(tenant_id)
    .execute(&mut **tx)
    .await
    .context("taking the business's lock")?;
    Ok(())
}
