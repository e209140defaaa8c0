//! Writing a job as a whole: creating it with its property, appointment,
//! services and people in one transaction, changing its details, and taking
//! a person or a service off it.

use portico_core::ids::{JobId, TenantId};
use super::{TenantDb, DbResult, QueryContext};
use portico_core::model::{address_key, new_id, now, Role};

type Executor<'e> = &'e mut sqlx::AnyConnection;

/// A job's own details: reference, property, its one appointment.
#[derive(Debug, Clone)]
pub struct JobDetails {
    pub reference: String,
    pub line1: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    /// Who does the work at the appointment.
    pub staff_name: String,
    /// (start, end), Unix seconds.
    pub appointment: Option<(i64, i64)>,
}

/// A person to put on a job, with the hash of their link's token.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub role: Role,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub token_hash: String,
    pub expires_at: Option<i64>,
}

/// Why a write to a job was refused: what is stored already stands in its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobConflict {
    /// The business already has a job with this reference.
    ReferenceTaken,
    NotFound,
    /// Taking this person off (or giving them another role) would leave the
    /// job without a client.
    LastClient,
    /// Another contact of the business already has this e-mail.
    EmailTaken,
    /// The person is on the job already.
    AlreadyOnJob,
}

/// What a person on a job becomes: their contact details (the same on every
/// job they are on) and their role on this one.
#[derive(Debug, Clone)]
pub struct PersonChange {
    pub role: Role,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl TenantDb<'_> {
    /// Create a job with everything that hangs off it, all or nothing.
    /// Returns the job's id and the ids of its people, in order.
    pub async fn create_job_with(
        &self,
        details: &JobDetails,
        services: &[(String, i64)],
        people: &[NewPerson],
    ) -> DbResult<Result<(JobId, Vec<String>), JobConflict>> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        let property_id = super::properties::property_at(&mut tx, self.tenant, &details.line1, &details.city, &details.region, &details.postal_code).await?;
        let job_id = match insert_job(&mut tx, self.tenant, &property_id, &details.reference).await {
            Err(error) if error.is_unique_violation() => return Ok(Err(JobConflict::ReferenceTaken)),
            other => other?,
        };
        set_appointment(&mut tx, self.tenant, &job_id, details).await?;
        for (name, price) in services {
            insert_service(&mut tx, self.tenant, &job_id, (name, *price, None)).await?;
        }
        let mut added = Vec::new();
        for person in people {
            added.push(insert_person(&mut tx, self.tenant, &job_id, person).await?);
        }
        tx.commit().await.context("committing a new job")?;
        Ok(Ok((job_id, added)))
    }

    /// Change a job's reference, address and appointment.
    pub async fn update_job_details(&self, job_id: &JobId, details: &JobDetails) -> DbResult<Result<(), JobConflict>> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        let property_id: Option<String> = sqlx::query_scalar("SELECT property_id FROM jobs WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant)
            .bind(job_id)
            .fetch_optional(&mut *tx)
            .await
            .context("finding a job's property")?;
        let Some(property_id) = property_id else { return Ok(Err(JobConflict::NotFound)) };
        let renamed = sqlx::query("UPDATE jobs SET reference = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(&details.reference)
            .bind(self.tenant)
            .bind(job_id)
            .execute(&mut *tx)
            .await
            .context("changing a job's reference");
        match renamed {
            Err(error) if error.is_unique_violation() => return Ok(Err(JobConflict::ReferenceTaken)),
            other => other?,
        };
        move_to_address(&mut tx, self.tenant, job_id, &property_id, details).await?;
        sqlx::query("DELETE FROM appointments WHERE tenant_id = $1 AND job_id = $2")
            .bind(self.tenant)
            .bind(job_id)
            .execute(&mut *tx)
            .await
            .context("replacing a job's appointment")?;
        set_appointment(&mut tx, self.tenant, job_id, details).await?;
        tx.commit().await.context("committing a job's details")?;
        Ok(Ok(()))
    }

    /// Add one person to a job; returns their id on the job.
    /// Put a person on a job (the business's contact with their e-mail, or a
    /// new one); returns their id on the job.
    pub async fn add_person(&self, job_id: &JobId, person: &NewPerson) -> DbResult<Result<String, JobConflict>> {
        let mut connection = self.db.pool.acquire().await.context("connecting to the database")?;
        match insert_person(&mut connection, self.tenant, job_id, person).await {
            Ok(id) => Ok(Ok(id)),
            // One contact is on a job once: the same e-mail again is the same person.
            Err(error) if error.is_unique_violation() => Ok(Err(JobConflict::AlreadyOnJob)),
            Err(error) => Err(error),
        }
    }

    /// Add one service to a job; returns its id.
    pub async fn add_service(&self, job_id: &JobId, name: &str, price_minor: i64) -> DbResult<String> {
        self.add_taxed_service(job_id, name, price_minor, None).await
    }

    /// Add a service with a tax rate of its own (basis points; `None`: the business's).
    pub async fn add_taxed_service(&self, job_id: &JobId, name: &str, price_minor: i64, tax_rate_bp: Option<i64>) -> DbResult<String> {
        let mut connection = self.db.pool.acquire().await.context("connecting to the database")?;
        insert_service(&mut connection, self.tenant, job_id, (name, price_minor, tax_rate_bp)).await
    }

    /// Take a person off a job: their link stops working and their sessions
    /// on it end. What they did (signatures, payments, the audit log) stays.
    pub async fn remove_person(&self, job_id: &JobId, job_contact_id: &str) -> DbResult<Result<(), JobConflict>> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        let roles: Vec<(String, String)> = sqlx::query_as("SELECT id, role FROM job_contacts WHERE tenant_id = $1 AND job_id = $2")
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&mut *tx)
            .await
            .context("reading a job's people")?;
        if !roles.iter().any(|(id, _)| id == job_contact_id) {
            return Ok(Err(JobConflict::NotFound));
        }
        if leaves_no_client(roles.iter().map(|(id, role)| (id.as_str(), role.as_str())), job_contact_id, None) {
            return Ok(Err(JobConflict::LastClient));
        }
        sqlx::query("UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1), job_contact_id = NULL WHERE tenant_id = $2 AND job_contact_id = $3")
            .bind(now())
            .bind(self.tenant)
            .bind(job_contact_id)
            .execute(&mut *tx)
            .await
            .context("ending a removed person's sessions")?;
        sqlx::query("DELETE FROM job_contacts WHERE tenant_id = $1 AND job_id = $2 AND id = $3")
            .bind(self.tenant)
            .bind(job_id)
            .bind(job_contact_id)
            .execute(&mut *tx)
            .await
            .context("taking a person off a job")?;
        tx.commit().await.context("committing a person's removal")?;
        Ok(Ok(()))
    }

    /// Change a person on a job: their name, e-mail and phone (on every job
    /// they are on: it is one contact) and their role on this job.
    pub async fn update_person(&self, job_id: &JobId, job_contact_id: &str, change: &PersonChange) -> DbResult<Result<(), JobConflict>> {
        let mut tx = self.db.pool.begin().await.context("starting a transaction")?;
        let people: Vec<(String, String, String)> = sqlx::query_as("SELECT id, contact_id, role FROM job_contacts WHERE tenant_id = $1 AND job_id = $2")
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&mut *tx)
            .await
            .context("reading a job's people")?;
        let Some((_, contact_id, _)) = people.iter().find(|(id, ..)| id == job_contact_id) else { return Ok(Err(JobConflict::NotFound)) };
        if leaves_no_client(people.iter().map(|(id, _, role)| (id.as_str(), role.as_str())), job_contact_id, Some(change.role)) {
            return Ok(Err(JobConflict::LastClient));
        }
        let email = change.email.as_deref().map(|e| e.trim().to_lowercase());
        if let Some(email) = &email {
            let holder: Option<String> = sqlx::query_scalar("SELECT id FROM contacts WHERE tenant_id = $1 AND email = $2 AND id <> $3 LIMIT 1")
                .bind(self.tenant)
                .bind(email)
                .bind(contact_id)
                .fetch_optional(&mut *tx)
                .await
                .context("checking an e-mail is free")?;
            if holder.is_some() {
                return Ok(Err(JobConflict::EmailTaken));
            }
        }
        sqlx::query("UPDATE contacts SET name = $1, email = $2, phone = $3 WHERE tenant_id = $4 AND id = $5")
            .bind(&change.name)
            .bind(&email)
            .bind(&change.phone)
            .bind(self.tenant)
            .bind(contact_id)
            .execute(&mut *tx)
            .await
            .context("changing a contact")?;
        sqlx::query("UPDATE job_contacts SET role = $1 WHERE tenant_id = $2 AND job_id = $3 AND id = $4")
            .bind(change.role.as_str())
            .bind(self.tenant)
            .bind(job_id)
            .bind(job_contact_id)
            .execute(&mut *tx)
            .await
            .context("changing a person's role")?;
        tx.commit().await.context("committing a person's change")?;
        Ok(Ok(()))
    }

    /// Take a service off a job (an invoice already issued keeps its lines).
    pub async fn remove_service(&self, job_id: &JobId, service_id: &str) -> DbResult<bool> {
        let done = sqlx::query("DELETE FROM job_services WHERE tenant_id = $1 AND job_id = $2 AND id = $3")
            .bind(self.tenant)
            .bind(job_id)
            .bind(service_id)
            .execute(&self.db.pool)
            .await
            .context("taking a service off a job")?;
        Ok(done.rows_affected() == 1)
    }
}

/// Whether giving the person `job_contact_id` the role `new_role` (`None`:
/// taking them off) leaves a job whose people have `roles` (id, role) without
/// a client.
fn leaves_no_client<'a>(roles: impl Iterator<Item = (&'a str, &'a str)>, job_contact_id: &str, new_role: Option<Role>) -> bool {
    let (mut before, mut after) = (0, 0);
    for (id, role) in roles {
        let is_client = role == Role::Client.as_str();
        let will_be_client = if id == job_contact_id { new_role == Some(Role::Client) } else { is_client };
        before += usize::from(is_client);
        after += usize::from(will_be_client);
    }
    before > 0 && after == 0
}

async fn set_appointment(executor: Executor<'_>, tenant_id: &TenantId, job_id: &JobId, details: &JobDetails) -> DbResult<()> {
    match details.appointment {
        Some((starts, ends)) => insert_appointment(executor, tenant_id, job_id, starts, ends, &details.staff_name).await,
        None => Ok(()),
    }
}

/// Put the job at the address of `details`. The same address (another
/// spelling of it) corrects the property in place, for every job there. A
/// new address moves the job to the business's property there, made if need
/// be; only a bare property (no name, no notes) that no other job shares
/// moves with its job instead, since a name or a gate code belongs to the
/// place the job left.
async fn move_to_address(tx: Executor<'_>, tenant_id: &TenantId, job_id: &JobId, property_id: &str, details: &JobDetails) -> DbResult<()> {
    let key = address_key(&details.line1, &details.postal_code);
    let (line1, postal_code, named, notes, others): (String, String, i64, i64, i64) = sqlx::query_as(
        "SELECT p.line1, p.postal_code, CASE WHEN p.name IS NULL THEN 0 ELSE 1 END, \
                (SELECT COUNT(*) FROM property_notes n WHERE n.tenant_id = p.tenant_id AND n.property_id = p.id), \
                (SELECT COUNT(*) FROM jobs j WHERE j.tenant_id = p.tenant_id AND j.property_id = p.id AND j.id <> $3) \
         FROM properties p WHERE p.tenant_id = $1 AND p.id = $2",
    )
    .bind(tenant_id)
    .bind(property_id)
    .bind(job_id)
    .fetch_one(&mut *tx)
    .await
    .context("reading a job's property")?;
    let same_place = address_key(&line1, &postal_code) == key;
    let elsewhere: Option<String> = if same_place {
        None
    } else {
        super::properties::property_id_at(&mut *tx, tenant_id, &key).await?
    };
    let bare_and_alone = named == 0 && notes == 0 && others == 0;
    if same_place || (elsewhere.is_none() && bare_and_alone) {
        sqlx::query("UPDATE properties SET line1 = $1, city = $2, region = $3, postal_code = $4, address_key = $5 WHERE tenant_id = $6 AND id = $7")
            .bind(&details.line1)
            .bind(&details.city)
            .bind(&details.region)
            .bind(&details.postal_code)
            .bind(&key)
            .bind(tenant_id)
            .bind(property_id)
            .execute(&mut *tx)
            .await
            .context("changing a property's address")?;
        return Ok(());
    }
    let target = match elsewhere {
        Some(found) => found,
        None => super::properties::property_at(&mut *tx, tenant_id, &details.line1, &details.city, &details.region, &details.postal_code).await?,
    };
    sqlx::query("UPDATE jobs SET property_id = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(&target)
        .bind(tenant_id)
        .bind(job_id)
        .execute(&mut *tx)
        .await
        .context("moving a job to another property")?;
    Ok(())
}

// The single inserts below serve both the transactions of this module and
// the one-row `Db` methods of `jobs` (the demo and the stories use those).

pub(super) async fn insert_job(executor: Executor<'_>, tenant_id: &TenantId, property_id: &str, reference: &str) -> DbResult<JobId> {
    let id = JobId::new(new_id());
    sqlx::query("INSERT INTO jobs (id, tenant_id, property_id, reference, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(tenant_id)
        .bind(property_id)
        .bind(reference)
        .bind(now())
        .execute(executor)
        .await
        .context("creating a job")?;
    Ok(id)
}

pub(super) async fn insert_appointment(executor: Executor<'_>, tenant_id: &TenantId, job_id: &JobId, starts_at: i64, ends_at: i64, staff_name: &str) -> DbResult<()> {
    sqlx::query("INSERT INTO appointments (id, tenant_id, job_id, starts_at, ends_at, staff_name) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(tenant_id)
        .bind(job_id)
        .bind(starts_at)
        .bind(ends_at)
        .bind(staff_name)
        .execute(executor)
        .await
        .context("adding an appointment")?;
    Ok(())
}

/// A contact; `email` is stored as given (callers lower-case it).
pub(super) async fn insert_contact(executor: Executor<'_>, tenant_id: &TenantId, name: &str, email: Option<&str>, phone: Option<&str>) -> DbResult<String> {
    let id = new_id();
    sqlx::query("INSERT INTO contacts (id, tenant_id, name, email, phone, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(tenant_id)
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(now())
        .execute(executor)
        .await
        .context("creating a contact")?;
    Ok(id)
}

/// A contact on a job in `role`, with the hash of their link's token.
pub(super) async fn insert_job_contact(
    executor: Executor<'_>,
    tenant_id: &TenantId,
    job_id: &JobId,
    contact_id: &str,
    role: Role,
    token_hash: &str,
    expires_at: Option<i64>,
) -> DbResult<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO job_contacts (id, tenant_id, job_id, contact_id, role, access_token_hash, token_expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(job_id)
    .bind(contact_id)
    .bind(role.as_str())
    .bind(token_hash)
    .bind(expires_at)
    .bind(now())
    .execute(executor)
    .await
    .context("adding a contact to a job")?;
    Ok(id)
}

/// Add (name, price, own tax rate) to the job's services.
async fn insert_service(executor: Executor<'_>, tenant_id: &TenantId, job_id: &JobId, (name, price_minor, tax_rate_bp): (&str, i64, Option<i64>)) -> DbResult<String> {
    let id = new_id();
    // After the last one; positions may have gaps once services are removed.
    sqlx::query(
        "INSERT INTO job_services (id, tenant_id, job_id, name, price_minor, tax_rate_bp, position) \
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position) + 1, 0) FROM job_services WHERE tenant_id = $2 AND job_id = $3))",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(job_id)
    .bind(name)
    .bind(price_minor)
    .bind(tax_rate_bp)
    .execute(executor)
    .await
    .context("adding a service")?;
    Ok(id)
}

/// The business's contact with the person's e-mail (one person across jobs,
/// so their account lists every job they are on), or a new contact; then
/// the person on the job.
async fn insert_person(executor: Executor<'_>, tenant_id: &TenantId, job_id: &JobId, person: &NewPerson) -> DbResult<String> {
    let email = person.email.as_deref().map(|e| e.trim().to_lowercase());
    let existing: Option<String> = match &email {
        Some(email) => sqlx::query_scalar("SELECT id FROM contacts WHERE tenant_id = $1 AND email = $2 ORDER BY created_at LIMIT 1")
            .bind(tenant_id)
            .bind(email)
            .fetch_optional(&mut *executor)
            .await
            .context("finding a contact by e-mail")?,
        None => None,
    };
    let contact_id = match existing {
        Some(id) => id,
        None => insert_contact(&mut *executor, tenant_id, &person.name, email.as_deref(), person.phone.as_deref()).await?,
    };
    insert_job_contact(executor, tenant_id, job_id, &contact_id, person.role, &person.token_hash, person.expires_at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_keeps_a_client() {
        let people = [("a", "client"), ("b", "buyer-agent")];
        assert!(leaves_no_client(people.into_iter(), "a", None));
        assert!(leaves_no_client(people.into_iter(), "a", Some(Role::CoClient)));
        assert!(!leaves_no_client(people.into_iter(), "a", Some(Role::Client)));
        assert!(!leaves_no_client(people.into_iter(), "b", None));
        assert!(!leaves_no_client([("a", "client"), ("c", "client")].into_iter(), "a", None));
        assert!(!leaves_no_client([("b", "other")].into_iter(), "b", None), "a job without a client may lose its other people");
    }
}
