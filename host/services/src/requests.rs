//! Service requests: a signed-in client asks for work — what is needed, at
//! one of their properties or an address they type, the visits that suit
//! them, photos — and the request opens a conversation with the office (the
//! office is e-mailed as for any message). The office answers there, and
//! books the request as a job in one step (the client on it, the property,
//! the visit), or closes it with a word to the client.

use crate::conversations::{ContactViewer, ConversationError, Conversations, Draft, Side};
use crate::jobs::{JobError, JobRefusal, Jobs, NewJob};
use crate::Problem;
use portico_core::formats::Formats as _;
use portico_core::ids::JobId;
use portico_core::model::{new_id, Role, Tenant};
use portico_core::tokens::{hash_token, new_token};
use portico_core::requests::{DayPart, PreferredVisit, RequestStatus, MAX_PREFERRED};
use portico_data::{Actor, AuditEntry, Db, DbError, JobDetails, NewRequest, Party, ServiceRequest};

/// The shortest and longest description kept.
const MIN_DESCRIPTION: usize = 5;
pub const MAX_DESCRIPTION: usize = 2_000;
/// How far ahead a client may offer a visit.
const MAX_DAYS_AHEAD: i64 = 180;

/// What a client submits.
pub struct RequestForm<'a> {
    pub description: &'a str,
    /// One of their properties (its id), or…
    pub property_id: Option<&'a str>,
    /// …an address: street line, city, region, postal code.
    pub address: [&'a str; 4],
    pub preferred: &'a [PreferredVisit],
    /// Photos the section's own `file` input received from them (upload ids).
    pub attached: Vec<String>,
}

/// How the office books a request.
pub struct Booking<'a> {
    pub reference: &'a str,
    /// (start, end), Unix seconds; none when the day is not set yet.
    pub appointment: Option<(i64, i64)>,
    pub staff_name: &'a str,
    /// The work, priced, when the office knows it.
    pub service: Option<(String, i64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("no such request")]
    NotFound,
    /// What was typed has problems, each beside its input (`description`,
    /// `property`, `address`, `preferred`, `photos`).
    #[error("the request has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    /// Refused, in words for the person asking.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Files(String),
}

impl From<ConversationError> for RequestError {
    fn from(error: ConversationError) -> Self {
        match error {
            ConversationError::Invalid(words) => RequestError::Invalid(vec![Problem { field: "photos".into(), message: words }]),
            ConversationError::NotFound => RequestError::NotFound,
            ConversationError::Files(message) => RequestError::Files(message),
            ConversationError::Db(error) => RequestError::Db(error),
        }
    }
}

/// Takes, books and closes service requests; cheap to clone.
#[derive(Clone)]
pub struct ServiceRequests {
    db: Db,
    conversations: Conversations,
    jobs: Jobs,
}

impl ServiceRequests {
    pub fn new(db: Db, conversations: Conversations, jobs: Jobs) -> ServiceRequests {
        ServiceRequests { db, conversations, jobs }
    }

    /// Keep a client's request and open its conversation with the office,
    /// from the section `plugin_id` whose file input took the photos.
    pub async fn submit(&self, tenant: &Tenant, viewer: &ContactViewer<'_>, plugin_id: &str, form: RequestForm<'_>) -> Result<ServiceRequest, RequestError> {
        let db = self.db.tenant(&tenant.id);
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| problems.push(Problem { field: field.into(), message });
        let description = portico_core::text::typed_paragraphs(form.description);
        let length = description.chars().count();
        if !(MIN_DESCRIPTION..=MAX_DESCRIPTION).contains(&length) {
            problem("description", format!("Describe what is needed in {MIN_DESCRIPTION} to {MAX_DESCRIPTION} characters."));
        }
        // Their own properties: those of the jobs they are a client of.
        let own = db.account_job_details(viewer.contact_id, viewer.verified_email).await?;
        // An agent follows someone else's job: booking their request would
        // make them a client who sees the bill.
        if !own.iter().any(|job| matches!(job.role.0, Role::Client | Role::CoClient)) {
            return Err(RequestError::Refused("Requests for service come from the business's clients; ask the client you work with.".into()));
        }
        let mut address = form.address.map(portico_core::text::typed_line);
        let property = match form.property_id.filter(|id| !id.is_empty()) {
            Some(id) => match own.iter().find(|job| job.property.id == id && matches!(job.role.0, Role::Client | Role::CoClient)) {
                Some(job) => {
                    let p = &job.property;
                    address = [p.line1.clone(), p.city.clone(), p.region.clone(), p.postal_code.clone()];
                    Some(p.id.clone())
                }
                None => {
                    problem("property", "Choose one of your properties, or type the address.".into());
                    None
                }
            },
            None => {
                if address[0].is_empty() || address[1].is_empty() || address[3].is_empty() {
                    problem("address", "Give the street address, city and postal code, or choose one of your properties.".into());
                } else if address.iter().any(|part| part.chars().count() > 120) {
                    problem("address", "Each part of the address may be at most 120 characters.".into());
                }
                None
            }
        };
        let preferred = check_preferred(tenant, form.preferred).unwrap_or_else(|message| {
            problem("preferred", message);
            Vec::new()
        });
        if !problems.is_empty() {
            return Err(RequestError::Invalid(problems));
        }
        let id = new_id();
        let place = address.iter().filter(|part| !part.is_empty()).cloned().collect::<Vec<_>>().join(", ");
        let suits = if preferred.is_empty() { "any time".to_string() } else { preferred.iter().map(PreferredVisit::describe).collect::<Vec<_>>().join("; ") };
        let body = format!("{description}\n\nWhere: {place}\nWhen it suits: {suits}");
        let first_line = description.lines().next().unwrap_or_default();
        let title = format!("Service request: {}", portico_core::text::clamp(first_line, 80));
        let draft = Draft { body, files: Vec::new(), attached: form.attached };
        let thread = self.conversations.write_on_subject(tenant, plugin_id, &format!("request-{id}"), &title, Side::Contact(*viewer), None, None, draft).await?;
        let preferred_json = serde_json::to_string(&preferred).expect("visits serialize");
        let new = NewRequest {
            id: &id,
            contact_id: viewer.contact_id,
            property_id: property.as_deref(),
            address: [&address[0], &address[1], &address[2], &address[3]],
            description: &description,
            preferred_json: &preferred_json,
            conversation_id: &thread.id,
        };
        let number = db.create_request(&new).await?;
        let mut entry = AuditEntry::new(&tenant.id, "request.submitted", &format!("{} asked for service ({number}) at {place}", viewer.name)).by(Actor::contact(viewer.contact_id, viewer.name));
        entry.plugin_id = Some(plugin_id.to_string());
        self.db.record_audit(&entry).await?;
        db.service_request(&id).await?.ok_or(RequestError::NotFound)
    }

    /// Book an open request as a job: at its property (or the address typed,
    /// which becomes one), with its client on it, and tell the client in the
    /// request's conversation. Returns the job's id.
    pub async fn book(&self, tenant: &Tenant, request_id: &str, booking: &Booking<'_>, me: Party<'_>) -> Result<JobId, RequestError> {
        let db = self.db.tenant(&tenant.id);
        let request = db.service_request(request_id).await?.ok_or(RequestError::NotFound)?;
        refuse_unless_open(&request)?;
        let reference = portico_core::text::typed_line(booking.reference);
        if reference.is_empty() || reference.chars().count() > 40 {
            return Err(RequestError::Invalid(vec![Problem { field: "reference".into(), message: "Give the job a reference of at most 40 characters.".into() }]));
        }
        // Claimed first, so two members booking at once make one job; any
        // failure after the claim opens it again.
        if !db.decide_request(request_id, RequestStatus::Scheduled, None, me.name).await? {
            return Err(RequestError::Refused(format!("Request {} was just decided by someone else.", request.number)));
        }
        let actor = Actor::staff(me.id, me.name);
        let job_id = match self.make_job(tenant, &request, booking, &reference, &actor).await {
            Ok(job_id) => job_id,
            Err(error) => {
                db.reopen_request(request_id).await?;
                return Err(error);
            }
        };
        let when = booking.appointment.map(|(start, _)| format!(" for {}", portico_core::formats::TenantFormats::new(tenant).moment(start))).unwrap_or_default();
        let words = format!("We booked your request as job {reference}{when}. You will find it on your portal, with everything about the visit.");
        self.tell_client(tenant, &request, me, words).await?;
        let summary = format!("Booked request {} as job {reference}", request.number);
        self.db.record_audit(&AuditEntry::new(&tenant.id, "request.booked", &summary).by(actor).on_job(&job_id)).await?;
        Ok(job_id)
    }

    /// The job of a request being booked, at its place, with the very
    /// contact who asked on it as its client (not a look-alike found by
    /// e-mail), linked to the request.
    async fn make_job(&self, tenant: &Tenant, request: &ServiceRequest, booking: &Booking<'_>, reference: &str, actor: &Actor<'_>) -> Result<JobId, RequestError> {
        let db = self.db.tenant(&tenant.id);
        let job = NewJob {
            details: JobDetails {
                reference: reference.to_string(),
                line1: request.line1.clone(),
                city: request.city.clone(),
                region: request.region.clone(),
                postal_code: request.postal_code.clone(),
                staff_name: portico_core::text::typed_line(booking.staff_name),
                appointment: booking.appointment,
            },
            services: booking.service.clone().into_iter().collect(),
            people: Vec::new(),
        };
        let created = self.jobs.create(tenant, &job, actor, false).await.map_err(|error| match error {
            JobError::Refused(JobRefusal::ReferenceTaken(taken)) => RequestError::Invalid(vec![Problem {
                field: "reference".into(),
                message: format!("There is already a job with the reference {taken}; give this one its own."),
            }]),
            JobError::Refused(refusal) => RequestError::Refused(refusal.to_string()),
            JobError::Db(error) => RequestError::Db(error),
            other => RequestError::Refused(other.to_string()),
        })?;
        db.add_job_contact(&created.job_id, &request.contact_id, Role::Client, &hash_token(&new_token()), tenant.link_expiry()).await?;
        db.link_request_job(&request.id, &created.job_id).await?;
        Ok(created.job_id)
    }

    /// Close an open request without a job, telling the client why.
    pub async fn close(&self, tenant: &Tenant, request_id: &str, note: &str, me: Party<'_>) -> Result<(), RequestError> {
        let db = self.db.tenant(&tenant.id);
        let request = db.service_request(request_id).await?.ok_or(RequestError::NotFound)?;
        refuse_unless_open(&request)?;
        let note = portico_core::text::typed_paragraphs(note);
        if note.chars().count() < 2 {
            return Err(RequestError::Invalid(vec![Problem { field: "note".into(), message: "Tell the client why the request is closed.".into() }]));
        }
        if !db.decide_request(request_id, RequestStatus::Closed, None, me.name).await? {
            return Err(RequestError::Refused(format!("Request {} was just decided by someone else.", request.number)));
        }
        self.tell_client(tenant, &request, me, note).await?;
        let summary = format!("Closed request {} without a job", request.number);
        self.db.record_audit(&AuditEntry::new(&tenant.id, "request.closed", &summary).by(Actor::staff(me.id, me.name))).await?;
        Ok(())
    }

    /// Write to the client in the request's conversation (they are e-mailed
    /// as they chose).
    async fn tell_client(&self, tenant: &Tenant, request: &ServiceRequest, me: Party<'_>, words: String) -> Result<(), RequestError> {
        let conversation = self.db.tenant(&tenant.id).conversation(&request.conversation_id).await?.ok_or(RequestError::NotFound)?;
        self.conversations.reply(tenant, &conversation, me, Draft { body: words, files: Vec::new(), attached: Vec::new() }).await?;
        Ok(())
    }
}

fn refuse_unless_open(request: &ServiceRequest) -> Result<(), RequestError> {
    match request.status {
        RequestStatus::Open => Ok(()),
        RequestStatus::Scheduled => Err(RequestError::Refused(format!("Request {} is already booked as a job.", request.number))),
        RequestStatus::Closed => Err(RequestError::Refused(format!("Request {} is closed.", request.number))),
    }
}

/// The visits offered, checked: real days from today to six months ahead
/// (in the business's time zone), known parts of the day, each once.
fn check_preferred(tenant: &Tenant, offered: &[PreferredVisit]) -> Result<Vec<PreferredVisit>, String> {
    let zone = jiff::tz::TimeZone::get(&tenant.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let mut kept: Vec<PreferredVisit> = Vec::new();
    for visit in offered.iter().filter(|visit| !visit.day.trim().is_empty()) {
        let day = jiff::civil::Date::strptime("%Y-%m-%d", visit.day.trim()).map_err(|_| format!("“{}” is not a day; choose one on the calendar.", visit.day.trim()))?;
        let ahead = today.until(day).map(|span| span.get_days() as i64).unwrap_or(-1);
        if day < today || ahead > MAX_DAYS_AHEAD {
            return Err(format!("Choose days from today to {MAX_DAYS_AHEAD} days ahead."));
        }
        let part: DayPart = visit.part.parse().unwrap_or(DayPart::AnyTime);
        let visit = PreferredVisit { day: day.to_string(), part: part.as_str().to_string() };
        if !kept.contains(&visit) {
            kept.push(visit);
        }
    }
    if kept.len() > MAX_PREFERRED {
        return Err(format!("Offer at most {MAX_PREFERRED} visits."));
    }
    Ok(kept)
}
