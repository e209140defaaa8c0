//! Running a job: creating it with its property, appointment, services and
//! people; changing its details; adding, changing and taking off people and
//! services; invoicing its services. The console and the REST API both call
//! these, so each rule (and each audit entry and webhook) is written once.
//!
//! Input is checked by the caller (a form and a JSON body say things
//! differently); what only the database can tell (a reference already taken,
//! the last client) comes back as a [`JobRefusal`].

use portico_core::ids::{JobId, TenantId};
use crate::events::Events;
use crate::links::{LinkMail, Links, Refusal};
use portico_core::formats::{rfc3339, Formats, TenantFormats};
use portico_core::model::{RequestOrigin, Role, Tenant};
use portico_core::tokens::{hash_token, new_token};
use portico_core::notifications::NotificationKind;
use portico_core::stages::JobStage;
use portico_data::{Actor, AuditEntry, Db, DbError, DbResult, JobDetails, JobStep, NewInvoice, NewPerson, PersonChange};
use serde::Serialize;
use utoipa::ToSchema;
use std::fmt;

/// The roles a person can have on a job (staff are not people on a job).
pub const JOB_ROLES: [Role; 5] = [Role::Client, Role::CoClient, Role::BuyerAgent, Role::ListingAgent, Role::Other];

/// A person to put on a job, checked by the caller.
#[derive(Debug, Clone)]
pub struct Person {
    pub role: Role,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A new job, checked: what the console's form and the API both create.
pub struct NewJob {
    pub details: JobDetails,
    pub services: Vec<(String, i64)>,
    pub people: Vec<Person>,
}

/// Why a change to a job was refused, in words for the staff member or the
/// integration that asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobRefusal {
    #[error("There is already a job with the reference {0}; give this one its own.")]
    ReferenceTaken(String),
    #[error("{0} is the job's only client; add the new client before changing their role.")]
    OnlyClientKeepsRole(String),
    #[error("{0} is the job's only client; add the new client before taking them off.")]
    OnlyClientStays(String),
    #[error("{0} is the e-mail of another person of your business; take this person off the job and add that one instead.")]
    EmailTaken(String),
    #[error("{0} is on this job already.")]
    AlreadyOnJob(String),
    #[error("This job already has an invoice.")]
    AlreadyInvoiced,
    #[error("Add the job's services first: the invoice bills them.")]
    NoServices,
    #[error("The job is {}; it cannot be marked {} from there.", .from.label().to_lowercase(), .to.label().to_lowercase())]
    StageNotAllowed { from: JobStage, to: JobStage },
    #[error("Someone moved the job meanwhile; look at where it stands now and try again.")]
    MovedMeanwhile,
    #[error("Write the note first.")]
    EmptyNote,
    #[error("A note is at most {MAX_NOTE_CHARS} characters; this one has {0}.")]
    NoteTooLong(usize),
    #[error("A property's name is at most {MAX_PROPERTY_NAME_CHARS} characters; this one has {0}.")]
    PropertyNameTooLong(usize),
    #[error("Choose the kind of property from the list.")]
    UnknownPropertyKind,
}

/// The longest name of a property.
pub const MAX_PROPERTY_NAME_CHARS: usize = 80;

/// The longest note on a job or a property.
pub const MAX_NOTE_CHARS: usize = 4000;

/// A note as kept: trimmed, with one kind of line end, neither empty nor too long.
pub(crate) fn note_text(body: &str) -> Result<String, JobRefusal> {
    let body = body.trim().replace("\r\n", "\n");
    match body.chars().count() {
        0 => Err(JobRefusal::EmptyNote),
        length if length > MAX_NOTE_CHARS => Err(JobRefusal::NoteTooLong(length)),
        _ => Ok(body),
    }
}

/// What can go wrong running a job.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Refused(#[from] JobRefusal),
    /// The business has no such job, or the job no such person or service.
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type JobResult<T> = Result<T, JobError>;

/// What became of one invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invitation {
    Sent { name: String, email: String },
    Refused { name: String, refusal: Refusal },
}

impl fmt::Display for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invitation::Sent { name, email } => write!(f, "invited {name} ({email})"),
            Invitation::Refused { name, refusal } => f.write_str(&refusal.explain(name)),
        }
    }
}

/// A job just created: its id, and what became of each invitation.
pub struct CreatedJob {
    pub job_id: JobId,
    pub invited: Vec<Invitation>,
}

/// Runs jobs for the console and the API; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    pub(crate) db: Db,
    links: Links,
    events: Events,
    notifications: crate::notifications::Notifications,
}

impl Jobs {
    pub fn new(db: Db, links: Links, events: Events, notifications: crate::notifications::Notifications) -> Jobs {
        Jobs { db, links, events, notifications }
    }

    /// Store a checked new job (property, job, appointment, services, people)
    /// in one transaction, audit it, tell the webhooks, and e-mail the
    /// invitations when asked.
    pub async fn create(&self, tenant: &Tenant, job: &NewJob, actor: &Actor<'_>, send_invitations: bool) -> JobResult<CreatedJob> {
        // One e-mail is one person of the business: twice on one job is once too many.
        let mut emails: Vec<String> = job.people.iter().filter_map(|person| person.email.as_deref()).map(str::to_lowercase).collect();
        emails.sort_unstable();
        if let Some(twice) = emails.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(JobRefusal::AlreadyOnJob(twice[0].clone()).into());
        }
        let people: Vec<NewPerson> = job.people.iter().map(|person| new_person(tenant, person)).collect();
        let Ok((job_id, added)) = self.db.tenant(&tenant.id).create_job_with(&job.details, &job.services, &people).await? else {
            return Err(JobRefusal::ReferenceTaken(job.details.reference.clone()).into());
        };
        let audit = AuditEntry::new(&tenant.id, "job.created", &format!("Created job {}", job.details.reference)).by(*actor).on_job(&job_id);
        self.db.record_audit(&audit).await?;
        crate::webhooks::raise_job(&self.db, &tenant.id, "job.created", &job_id).await?;
        let invited = if send_invitations { self.invite(tenant, &job_id, &added, actor).await? } else { Vec::new() };
        Ok(CreatedJob { job_id, invited })
    }

    /// Store a job's checked details (reference, address, appointment).
    pub async fn update_details(&self, tenant: &Tenant, job_id: &JobId, details: &JobDetails, actor: &Actor<'_>) -> JobResult<()> {
        match self.db.tenant(&tenant.id).update_job_details(job_id, details).await? {
            Ok(()) => {
                let summary = format!("Changed the details of job {}", details.reference);
                self.changed(tenant, job_id, "job.details-changed", &summary, actor).await
            }
            Err(portico_data::JobConflict::ReferenceTaken) => Err(JobRefusal::ReferenceTaken(details.reference.clone()).into()),
            Err(_) => Err(JobError::NotFound("job")),
        }
    }

    /// Put a checked person on a job and invite them when asked. Returns
    /// their id on the job and what became of the invitation.
    pub async fn add_person(&self, tenant: &Tenant, job_id: &JobId, person: &Person, send_invitation: bool, actor: &Actor<'_>) -> JobResult<(String, Option<Invitation>)> {
        let added = match self.db.tenant(&tenant.id).add_person(job_id, &new_person(tenant, person)).await? {
            Ok(added) => added,
            Err(_) => return Err(JobRefusal::AlreadyOnJob(person.email.clone().unwrap_or_else(|| person.name.clone())).into()),
        };
        let summary = format!("Added {} ({})", person.name, person.role.label());
        self.changed(tenant, job_id, "job.person-added", &summary, actor).await?;
        let invited = if send_invitation { self.invite(tenant, job_id, std::slice::from_ref(&added), actor).await?.pop() } else { None };
        Ok((added, invited))
    }

    /// Change a person on a job: their contact details (everywhere, since a
    /// contact is one person for the business) and their role here.
    pub async fn change_person(&self, tenant: &Tenant, job_id: &JobId, person_id: &str, person: &Person, actor: &Actor<'_>) -> JobResult<()> {
        let change = PersonChange { role: person.role, name: person.name.clone(), email: person.email.clone(), phone: person.phone.clone() };
        match self.db.tenant(&tenant.id).update_person(job_id, person_id, &change).await? {
            Ok(()) => {
                let summary = format!("Changed {} ({})", change.name, change.role.label());
                self.changed(tenant, job_id, "job.person-changed", &summary, actor).await
            }
            Err(portico_data::JobConflict::LastClient) => Err(JobRefusal::OnlyClientKeepsRole(change.name).into()),
            Err(portico_data::JobConflict::EmailTaken) => Err(JobRefusal::EmailTaken(change.email.unwrap_or_default()).into()),
            Err(_) => Err(JobError::NotFound("person")),
        }
    }

    /// Take a person off a job; their link stops working and their sessions
    /// lose the job. Returns their name.
    pub async fn remove_person(&self, tenant: &Tenant, job_id: &JobId, person_id: &str, actor: &Actor<'_>) -> JobResult<String> {
        let person = self.db.tenant(&tenant.id).job_contact_any_state(job_id, person_id).await?.ok_or(JobError::NotFound("person"))?;
        match self.db.tenant(&tenant.id).remove_person(job_id, person_id).await? {
            Ok(()) => {
                let summary = format!("Took {} ({}) off the job", person.name, person.role.0.label());
                self.changed(tenant, job_id, "job.person-removed", &summary, actor).await?;
                Ok(person.name)
            }
            Err(portico_data::JobConflict::LastClient) => Err(JobRefusal::OnlyClientStays(person.name).into()),
            Err(_) => Err(JobError::NotFound("person")),
        }
    }

    /// Add a checked service to a job; returns its id.
    /// Add a service to the job, with a tax rate of its own (basis points;
    /// `None`: the business's).
    pub async fn add_service(&self, tenant: &Tenant, job_id: &JobId, name: &str, price_minor: i64, tax_rate_bp: Option<i64>, actor: &Actor<'_>) -> JobResult<String> {
        let id = self.db.tenant(&tenant.id).add_taxed_service(job_id, name, price_minor, tax_rate_bp).await?;
        let tax = tax_rate_bp.map(|bp| format!(", {} tax", portico_core::estimates::tax_rate_label(bp))).unwrap_or_default();
        let summary = format!("Added the service {name} ({}{tax})", TenantFormats::new(tenant).money(price_minor));
        self.changed(tenant, job_id, "job.service-added", &summary, actor).await?;
        Ok(id)
    }

    /// Take a service off a job; returns its name. An invoice already issued
    /// is not changed.
    pub async fn remove_service(&self, tenant: &Tenant, job_id: &JobId, service_id: &str, actor: &Actor<'_>) -> JobResult<String> {
        let services = self.db.tenant(&tenant.id).services(job_id).await?;
        let service = services.into_iter().find(|s| s.id == service_id).ok_or(JobError::NotFound("service"))?;
        if !self.db.tenant(&tenant.id).remove_service(job_id, service_id).await? {
            return Err(JobError::NotFound("service"));
        }
        let summary = format!("Took the service {} off the job", service.name);
        self.changed(tenant, job_id, "job.service-removed", &summary, actor).await?;
        Ok(service.name)
    }

    /// Bill the job's services: one invoice numbered after the job, due at
    /// its first appointment, with each service's tax (its own rate, else the
    /// business's). Only while the job has no invoice. The sections
    /// hear of it as of any invoice that became due. Returns the invoice's id.
    pub async fn invoice_services(&self, tenant: &Tenant, job_id: &JobId, actor: &Actor<'_>) -> JobResult<String> {
        let db = &self.db;
        let job = db.tenant(&tenant.id).job(job_id).await?.ok_or(JobError::NotFound("job"))?;
        if !db.tenant(&tenant.id).invoices(job_id).await?.is_empty() {
            return Err(JobRefusal::AlreadyInvoiced.into());
        }
        let services = db.tenant(&tenant.id).services(job_id).await?;
        if services.is_empty() {
            return Err(JobRefusal::NoServices.into());
        }
        let due_at = db.tenant(&tenant.id).appointments(job_id).await?.first().map(|a| a.starts_at);
        let lines: Vec<(&str, &str, i64, i64)> = services.iter().map(|s| ("service", s.name.as_str(), 1, s.price_minor)).collect();
        let tax_minor = services.iter().map(|s| s.tax(tenant.tax_rate_bp)).sum();
        let invoice = NewInvoice { number: &job.reference, status: portico_core::money::InvoiceStatus::Due, tax_minor, due_at, lines: &lines };
        let invoice_id = db.tenant(&tenant.id).create_invoice(job_id, &invoice).await?;
        let audit = AuditEntry::new(&tenant.id, "invoice.created", &format!("Invoiced job {}", job.reference)).by(*actor).on_job(job_id);
        db.record_audit(&audit).await?;
        self.events.invoice_updated(tenant, job_id, &invoice_id, RequestOrigin::default()).await;
        self.notifications.invoice_issued(tenant, job_id, &invoice_id).await;
        Ok(invoice_id)
    }

    /// E-mail the invitation to each person added who has an address.
    async fn invite(&self, tenant: &Tenant, job_id: &JobId, added: &[String], actor: &Actor<'_>) -> JobResult<Vec<Invitation>> {
        let mut invitations = Vec::new();
        for job_contact_id in added {
            let Some(contact) = self.db.tenant(&tenant.id).job_contact_any_state(job_id, job_contact_id).await? else { continue };
            invitations.push(match self.links.send(tenant, &contact, LinkMail::Invite, actor).await? {
                Ok(email) => Invitation::Sent { name: contact.name, email },
                Err(refusal) => Invitation::Refused { name: contact.name, refusal },
            });
        }
        Ok(invitations)
    }

    /// The job, where it stands on its day, and the step that put it there
    /// (`None`: nobody moved it yet).
    async fn standing(&self, tenant: &Tenant, job_id: &JobId) -> JobResult<(portico_core::model::Job, JobStage, Option<JobStep>)> {
        let db = self.db.tenant(&tenant.id);
        let job = db.job(job_id).await?.ok_or(JobError::NotFound("job"))?;
        let (stage, step) = db.job_stage(&job).await?;
        Ok((job, stage, step))
    }

    /// Move the job to `to` when its day allows (on the way, started,
    /// finished, cancelled, back to scheduled), from the console or the API:
    /// kept with who and when, audited, told to the sections (`job-updated`),
    /// to the webhooks (`job.stage-changed`) and, on the way and finished,
    /// to the clients as they chose.
    pub async fn move_to(&self, tenant: &Tenant, job_id: &JobId, to: JobStage, actor: &Actor<'_>) -> JobResult<JobStep> {
        let (job, from, latest) = self.standing(tenant, job_id).await?;
        if !from.may_move_to(to) {
            return Err(JobRefusal::StageNotAllowed { from, to }.into());
        }
        let db = self.db.tenant(&tenant.id);
        let after = latest.as_ref().map(|step| step.id.as_str());
        let Some(step) = db.record_job_step(job_id, after, to, actor.name).await? else {
            return Err(JobRefusal::MovedMeanwhile.into());
        };
        let audit = AuditEntry::new(&tenant.id, &format!("job.{}", to.as_str()), &format!("Job {}: {}", job.reference, to.label())).by(*actor).on_job(job_id);
        self.db.record_audit(&audit).await?;
        crate::webhooks::raise_job(&self.db, &tenant.id, "job.stage-changed", job_id).await?;
        self.events.deliver(tenant, job_id, crate::events::SectionEvent::JobUpdated, job_id.as_str(), RequestOrigin::default()).await?;
        match to {
            JobStage::OnTheWay => {
                // The crew as the client knows them: the visit's lead, else the business.
                let crew = db.appointments(job_id).await?.into_iter().find(|a| a.status != "cancelled").map(|a| a.staff_name).unwrap_or_else(|| tenant.name.clone());
                self.notifications.job_moved(tenant, job_id, NotificationKind::JobOnTheWay, serde_json::json!({ "crew": crew })).await;
            }
            JobStage::Finished => {
                self.notifications.job_moved(tenant, job_id, NotificationKind::JobFinished, serde_json::json!({})).await;
            }
            _ => {}
        }
        Ok(step)
    }

    /// Add a note to the job, for the business alone or shown to its clients
    /// too; returns its id.
    pub async fn add_note(&self, tenant: &Tenant, job_id: &JobId, body: &str, for_clients: bool, actor: &Actor<'_>) -> JobResult<String> {
        let body = note_text(body)?;
        let db = self.db.tenant(&tenant.id);
        let job = db.job(job_id).await?.ok_or(JobError::NotFound("job"))?;
        let id = db.add_job_note(job_id, &body, for_clients, actor.name).await?;
        let shown = if for_clients { "shown to the clients" } else { "internal" };
        let audit = AuditEntry::new(&tenant.id, "job.note-added", &format!("Added a note ({shown}) to job {}", job.reference)).by(*actor).on_job(job_id);
        self.db.record_audit(&audit).await?;
        Ok(id)
    }

    /// Put a member of staff on the job's crew, or take them off: audited,
    /// the webhooks told (`job.updated`) and the sections (`job-updated`).
    /// Returns false when nothing changed (already on it, or not on it).
    pub async fn set_crew(&self, tenant: &Tenant, job_id: &JobId, staff_user_id: &str, on_crew: bool, actor: &Actor<'_>) -> JobResult<bool> {
        let db = self.db.tenant(&tenant.id);
        let job = db.job(job_id).await?.ok_or(JobError::NotFound("job"))?;
        let member = db.staff_user(staff_user_id).await?.ok_or(JobError::NotFound("member of staff"))?;
        let changed = if on_crew { db.assign_crew(job_id, staff_user_id).await? } else { db.unassign_crew(job_id, staff_user_id).await? };
        if changed {
            let (action, summary) = if on_crew {
                ("job.crew-assigned", format!("Put {} on the crew of job {}", member.display_name, job.reference))
            } else {
                ("job.crew-unassigned", format!("Took {} off the crew of job {}", member.display_name, job.reference))
            };
            self.changed(tenant, job_id, action, &summary, actor).await?;
            self.events.deliver(tenant, job_id, crate::events::SectionEvent::JobUpdated, job_id.as_str(), RequestOrigin::default()).await?;
        }
        Ok(changed)
    }

    /// Audit a change to a job and tell the webhook endpoints about it.
    async fn changed(&self, tenant: &Tenant, job_id: &JobId, action: &str, summary: &str, actor: &Actor<'_>) -> JobResult<()> {
        let audit = AuditEntry::new(&tenant.id, action, summary).by(*actor).on_job(job_id);
        self.db.record_audit(&audit).await?;
        crate::webhooks::raise_job(&self.db, &tenant.id, "job.updated", job_id).await?;
        Ok(())
    }
}

/// A person to store, with a fresh link (not shown: the invitation e-mails
/// one, and "New link" shows one to copy).
fn new_person(tenant: &Tenant, person: &Person) -> NewPerson {
    NewPerson {
        role: person.role,
        name: person.name.clone(),
        email: person.email.clone(),
        phone: person.phone.clone(),
        token_hash: hash_token(&new_token()),
        expires_at: tenant.link_expiry(),
    }
}

/// One job as the API shows it and as `job.*` webhooks carry it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Job)]
#[serde(deny_unknown_fields)]
pub struct JobView {
    #[schema(value_type = String)]
    pub id: JobId,
    pub reference: String,
    /// `scheduled`, `in-progress`, `completed` or `cancelled`.
    pub status: String,
    /// Where the job stands on its day: `scheduled`, `on-the-way`, `started`,
    /// `finished` or `cancelled`.
    pub stage: String,
    pub property: PropertyView,
    pub appointments: Vec<AppointmentView>,
    pub services: Vec<ServiceView>,
    pub people: Vec<PersonView>,
}

/// Where the job is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyView {
    pub line1: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
}

/// When the job is.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentView {
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    pub status: String,
}

/// A service the job is for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Service)]
#[serde(deny_unknown_fields)]
pub struct ServiceView {
    pub id: String,
    pub name: String,
    pub price_minor: i64,
}

/// A person on the job.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonView {
    pub id: String,
    pub name: String,
    pub role: String,
    #[schema(required = true)]
    pub email: Option<String>,
}

/// One job as the API shows it (and as `job.*` webhooks carry it), or
/// `None` when the business has no such job.
pub async fn job_view(db: &Db, tenant_id: &TenantId, job_id: &JobId) -> DbResult<Option<JobView>> {
    let business = db.tenant(tenant_id);
    let Some(job) = business.job(job_id).await? else { return Ok(None) };
    let property = business.property(&job.property_id).await?;
    let appointments = business
        .appointments(job_id)
        .await?
        .into_iter()
        .map(|a| AppointmentView { starts_at: rfc3339(a.starts_at), ends_at: rfc3339(a.ends_at), status: a.status })
        .collect();
    let services = business.services(job_id).await?.into_iter().map(|s| ServiceView { id: s.id, name: s.name, price_minor: s.price_minor }).collect();
    let people = business
        .job_contacts(job_id)
        .await?
        .into_iter()
        .map(|c| PersonView { id: c.id, name: c.name, role: c.role.0.as_str().to_string(), email: c.email })
        .collect();
    let (stage, _) = business.job_stage(&job).await?;
    Ok(Some(JobView {
        id: job.id,
        reference: job.reference,
        status: job.status,
        stage: stage.as_str().to_string(),
        property: PropertyView { line1: property.line1, city: property.city, region: property.region, postal_code: property.postal_code },
        appointments,
        services,
        people,
    }))
}
