//! The places a business serves: finding the property of an address (jobs at
//! the same address share one), its name and kind, its notes (general or
//! access, internal or for the clients), the jobs there, and the office's
//! list of properties.

use super::account::{FIRST_VISIT, LATEST_STAGE};
use super::board::like_pattern;
use super::jobs::placeholders;
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::{JobId, TenantId};
use portico_core::model::{address_key, new_id, now, Property};

type Executor<'e> = &'e mut sqlx::AnyConnection;

/// The columns of [`Property`], from `properties p`.
pub(crate) const PROPERTY_COLUMNS: &str = "p.id, p.line1, p.line2, p.city, p.region, p.postal_code, p.country, p.name, p.kind";

/// The business's properties that `which` picks.
pub(crate) fn properties_sql(which: &str) -> String {
    format!("SELECT {PROPERTY_COLUMNS} FROM properties p WHERE p.tenant_id = $1 AND {which}")
}

/// A note on a property.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PropertyNote {
    pub id: String,
    pub property_id: String,
    /// `general` or `access`.
    pub topic: String,
    pub body: String,
    /// `internal` or `clients`.
    pub visibility: String,
    pub by_name: String,
    pub created_at: i64,
}

impl PropertyNote {
    pub fn for_clients(&self) -> bool {
        self.visibility == "clients"
    }

    pub fn is_access(&self) -> bool {
        self.topic == "access"
    }
}

/// A property in the office's list: where, how many jobs, the newest.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PropertyLine {
    #[sqlx(flatten)]
    pub property: Property,
    pub jobs: i64,
    /// When its newest job was created, if it has one.
    pub newest_job_at: Option<i64>,
}

/// A job at a property, for its history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PropertyJob {
    pub id: JobId,
    pub reference: String,
    pub status: String,
    pub created_at: i64,
    /// Its first visit not cancelled, if one is booked.
    pub first_visit: Option<i64>,
    /// Its latest step, if the office moved it (else its status says).
    pub latest_stage: Option<String>,
}

/// A new note on a property.
#[derive(Debug, Clone, Copy)]
pub struct NewPropertyNote<'a> {
    pub property_id: &'a str,
    pub access: bool,
    pub body: &'a str,
    pub for_clients: bool,
    pub by_name: &'a str,
}

impl TenantDb<'_> {
    /// The property, if it is this business's.
    pub async fn find_property(&self, property_id: &str) -> DbResult<Option<Property>> {
        self.db.read_once("find_property", self.tenant, property_id, || async move {
            sqlx::query_as(&properties_sql("p.id = $2"))
                .bind(self.tenant)
                .bind(property_id)
                .fetch_optional(&self.db.pool)
                .await
                .context("loading a property")
        })
        .await
    }

    /// Name a property and say what kind it is.
    pub async fn set_property_profile(&self, property_id: &str, name: Option<&str>, kind: &str) -> DbResult<bool> {
        let updated = sqlx::query("UPDATE properties SET name = $1, kind = $2 WHERE tenant_id = $3 AND id = $4")
            .bind(name)
            .bind(kind)
            .bind(self.tenant)
            .bind(property_id)
            .execute(&self.db.pool)
            .await
            .context("naming a property")?;
        Ok(updated.rows_affected() == 1)
    }

    /// The notes on these properties, newest first; only those shown to
    /// clients unless `internal_too`.
    pub async fn property_notes(&self, property_ids: &[&str], internal_too: bool) -> DbResult<Vec<PropertyNote>> {
        if property_ids.is_empty() {
            return Ok(Vec::new());
        }
        let among = placeholders(3, property_ids.len());
        let sql = format!(
            "SELECT id, property_id, topic, body, visibility, by_name, created_at FROM property_notes \
             WHERE tenant_id = $1 AND (visibility = 'clients' OR $2 = 1) AND property_id IN ({among}) \
             ORDER BY created_at DESC, id DESC"
        );
        let mut query = sqlx::query_as(&sql).bind(self.tenant).bind(i64::from(internal_too));
        for id in property_ids {
            query = query.bind(*id);
        }
        query.fetch_all(&self.db.pool).await.context("loading properties' notes")
    }

    pub async fn add_property_note(&self, note: &NewPropertyNote<'_>) -> DbResult<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO property_notes (id, tenant_id, property_id, topic, body, visibility, by_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(note.property_id)
        .bind(if note.access { "access" } else { "general" })
        .bind(note.body)
        .bind(if note.for_clients { "clients" } else { "internal" })
        .bind(note.by_name)
        .bind(now())
        .execute(&self.db.pool)
        .await
        .context("adding a note to a property")?;
        Ok(id)
    }

    /// Take a note off its property; the note as it was, if it was there.
    pub async fn remove_property_note(&self, property_id: &str, note_id: &str) -> DbResult<Option<PropertyNote>> {
        let note: Option<PropertyNote> = sqlx::query_as(
            "DELETE FROM property_notes WHERE tenant_id = $1 AND property_id = $2 AND id = $3 \
             RETURNING id, property_id, topic, body, visibility, by_name, created_at",
        )
        .bind(self.tenant)
        .bind(property_id)
        .bind(note_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("removing a property's note")?;
        Ok(note)
    }

    /// The jobs at a property, newest first; at most 200.
    pub async fn property_jobs(&self, property_id: &str) -> DbResult<Vec<PropertyJob>> {
        sqlx::query_as(&format!(
            "SELECT j.id, j.reference, j.status, j.created_at, {FIRST_VISIT} AS first_visit, {LATEST_STAGE} AS latest_stage \
             FROM jobs j WHERE j.tenant_id = $1 AND j.property_id = $2 ORDER BY j.created_at DESC, j.id DESC LIMIT 200"
        ))
        .bind(self.tenant)
        .bind(property_id)
        .fetch_all(&self.db.pool)
        .await
        .context("listing a property's jobs")
    }

    /// The business's properties matching `search` (name, street, city or
    /// postal code; '' for all), those with the newest jobs first, at most
    /// `limit`.
    pub async fn property_list(&self, search: &str, limit: i64) -> DbResult<Vec<PropertyLine>> {
        let sql = format!(
            "SELECT {PROPERTY_COLUMNS}, COUNT(j.id) AS jobs, MAX(j.created_at) AS newest_job_at \
             FROM properties p LEFT JOIN jobs j ON j.tenant_id = p.tenant_id AND j.property_id = p.id \
             WHERE p.tenant_id = $1 AND ($2 = '' OR LOWER(COALESCE(p.name, '')) LIKE LOWER($2) ESCAPE '\\' \
                OR LOWER(p.line1) LIKE LOWER($2) ESCAPE '\\' OR LOWER(p.city) LIKE LOWER($2) ESCAPE '\\' OR LOWER(p.postal_code) LIKE LOWER($2) ESCAPE '\\') \
             GROUP BY {PROPERTY_COLUMNS} \
             ORDER BY MAX(j.created_at) IS NULL, MAX(j.created_at) DESC, p.id LIMIT $3"
        );
        sqlx::query_as(&sql)
            .bind(self.tenant)
            .bind(like_pattern(search))
            .bind(limit)
            .fetch_all(&self.db.pool)
            .await
            .context("listing properties")
    }

    /// The property at this address, made if the business has none yet.
    pub async fn create_property(&self, line1: &str, city: &str, region: &str, postal_code: &str) -> DbResult<String> {
        let mut connection = self.db.pool.acquire().await.context("connecting to the database")?;
        property_at(&mut connection, self.tenant, line1, city, region, postal_code).await
    }
}

/// The id of the business's property at this address, made if it has none.
/// Two offices typing the same new address at once get the same property
/// (the address is unique to a business).
pub(super) async fn property_at(executor: Executor<'_>, tenant_id: &TenantId, line1: &str, city: &str, region: &str, postal_code: &str) -> DbResult<String> {
    let key = address_key(line1, postal_code);
    if let Some(id) = property_id_at(&mut *executor, tenant_id, &key).await? {
        return Ok(id);
    }
    sqlx::query(
        "INSERT INTO properties (id, tenant_id, line1, city, region, postal_code, address_key) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, address_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(tenant_id)
    .bind(line1)
    .bind(city)
    .bind(region)
    .bind(postal_code)
    .bind(&key)
    .execute(&mut *executor)
    .await
    .context("creating a property")?;
    property_id_at(executor, tenant_id, &key).await?.ok_or_else(|| super::DbError::Invalid("a property vanished as it was made".into()))
}

/// The id of the business's property whose address key is `key`.
pub(super) async fn property_id_at(executor: Executor<'_>, tenant_id: &TenantId, key: &str) -> DbResult<Option<String>> {
    sqlx::query_scalar("SELECT id FROM properties WHERE tenant_id = $1 AND address_key = $2")
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(executor)
        .await
        .context("finding the property at an address")
}
