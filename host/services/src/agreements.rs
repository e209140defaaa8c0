//! Agreements: which of the business's templates a job needs, the text each
//! person signs (placeholders filled, locked at the first signature), who still
//! must sign, and signing with the evidence a signature needs: the typed name,
//! the consent accepted, time, IP, browser, and the SHA-256 of the exact text.

pub mod certificate;
pub mod placeholders;

use portico_core::ids::JobId;
use portico_data::{Actor, AuditEntry, Db, DbError, LockedAgreement, NewSignature, Signed, StoredSignature};
use portico_core::model::{JobContact, Role, Tenant};
use portico_core::formats::Formats;
use portico_core::model::RequestOrigin;
use portico_core::formats::TenantFormats;
use placeholders::Facts;
use sha2::{Digest, Sha256};

/// Where an agreement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementStatus {
    /// Nobody on the job has a signer role.
    NotNeeded,
    AwaitingSignatures,
    PartlySigned,
    Signed,
}

/// One agreement of one job, as everyone sees it now.
#[derive(Debug, Clone)]
pub struct JobAgreement {
    pub template_id: String,
    pub title: String,
    pub text: String,
    /// SHA-256 of `text`, hex.
    pub version: String,
    pub signer_roles: Vec<Role>,
    /// When the first signature fixed the text.
    pub locked_at: Option<i64>,
    pub signatures: Vec<StoredSignature>,
    /// The people who must sign and have not.
    pub awaiting: Vec<JobContact>,
    pub status: AgreementStatus,
}

impl JobAgreement {
    pub fn signed_by(&self, contact_id: &str) -> bool {
        self.signatures.iter().any(|s| s.contact_id == contact_id)
    }

    pub fn must_sign(&self, contact_id: &str) -> bool {
        self.awaiting.iter().any(|c| c.contact_id == contact_id)
    }

    /// Who may download the signed copy: the people who see the bill, and
    /// everyone whose role signs it.
    pub fn may_download(&self, role: Role) -> bool {
        self.locked_at.is_some() && (role.sees_billing() || self.signer_roles.contains(&role))
    }

    /// Whether the agreement still holds something up (a report's release).
    pub fn outstanding(&self) -> bool {
        matches!(self.status, AgreementStatus::AwaitingSignatures | AgreementStatus::PartlySigned)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no such agreement on this job")]
    NotFound,
    /// Refused, in words for the signer.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Who signs, as the host knows them.
pub struct Signer<'a> {
    pub contact_id: &'a str,
    pub origin: &'a RequestOrigin,
    /// The section the signature came through, for the audit log.
    pub plugin_id: Option<&'a str>,
}

/// What the signer submitted.
pub struct SignRequest<'a> {
    pub template_id: &'a str,
    pub version: &'a str,
    pub signer_name: &'a str,
    pub consent: bool,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The job's agreements in the business's order: every template the job
/// needs, and every agreement someone already signed even if the template
/// changed or no longer applies.
pub async fn for_job(db: &Db, tenant: &Tenant, job_id: &JobId) -> Result<Vec<JobAgreement>, DbError> {
    let contacts = db.tenant(&tenant.id).job_contacts(job_id).await?;
    for_job_with(db, tenant, job_id, &contacts).await
}

/// [`for_job`] for callers that already read the job's contacts.
pub(crate) async fn for_job_with(db: &Db, tenant: &Tenant, job_id: &JobId, contacts: &[JobContact]) -> Result<Vec<JobAgreement>, DbError> {
    let templates = db.tenant(&tenant.id).agreement_templates().await?;
    if templates.is_empty() {
        return Ok(Vec::new());
    }
    let locked = db.tenant(&tenant.id).locked_agreements(job_id).await?;
    let signatures = db.tenant(&tenant.id).agreement_signatures(job_id).await?;
    let services = db.tenant(&tenant.id).services(job_id).await?;
    let mut facts: Option<Facts> = None;
    let mut agreements = Vec::new();
    for template in templates {
        let (title, text, version, signer_roles, locked_at) = match locked.iter().find(|l| l.template_id == template.id) {
            Some(lock) => (lock.title.clone(), lock.body.clone(), lock.body_sha256.clone(), Role::parse_list(&lock.signer_roles), Some(lock.locked_at)),
            None if template.applies_to(services.iter().map(|s| s.name.as_str())) => {
                if facts.is_none() {
                    facts = Some(job_facts(db, tenant, job_id, contacts).await?);
                }
                let text = placeholders::fill(&template.body, facts.as_ref().expect("facts just set")).unwrap_or_else(|error| {
                    // Templates are checked when saved; one stored before that
                    // rule (or by hand) is shown as written rather than hidden.
                    tracing::warn!(tenant = %tenant.id, template = %template.id, %error, "agreement template does not render");
                    template.body.clone()
                });
                let version = sha256_hex(&text);
                (template.title.clone(), text, version, template.signer_roles(), None)
            }
            None => continue,
        };
        let signatures: Vec<StoredSignature> = signatures.iter().filter(|s| s.template_id == template.id).cloned().collect();
        let required: Vec<&JobContact> = contacts.iter().filter(|c| signer_roles.contains(&c.role.0)).collect();
        let awaiting: Vec<JobContact> =
            required.into_iter().filter(|c| !signatures.iter().any(|s| s.contact_id == c.contact_id)).cloned().collect();
        let status = status_of(signatures.len(), awaiting.len());
        agreements.push(JobAgreement { template_id: template.id, title, text, version, signer_roles, locked_at, signatures, awaiting, status });
    }
    Ok(agreements)
}

fn status_of(signed: usize, awaiting: usize) -> AgreementStatus {
    match (signed, awaiting) {
        (0, 0) => AgreementStatus::NotNeeded,
        (0, _) => AgreementStatus::AwaitingSignatures,
        (_, 0) => AgreementStatus::Signed,
        _ => AgreementStatus::PartlySigned,
    }
}

/// The placeholder values of one job.
async fn job_facts(db: &Db, tenant: &Tenant, job_id: &JobId, contacts: &[JobContact]) -> Result<Facts, DbError> {
    let formats = TenantFormats::new(tenant);
    let job = db.tenant(&tenant.id).job(job_id).await?.ok_or_else(|| DbError::Invalid(format!("no job {job_id}")))?;
    let property = db.tenant(&tenant.id).property(&job.property_id).await?;
    let appointments = db.tenant(&tenant.id).appointments(job_id).await?;
    let invoices = db.tenant(&tenant.id).invoices(job_id).await?;
    let fee = if invoices.is_empty() {
        db.tenant(&tenant.id).services(job_id).await?.iter().map(|s| s.price_minor).sum()
    } else {
        invoices.iter().filter(|(invoice, _)| invoice.status != portico_core::money::InvoiceStatus::Void).map(|(invoice, lines)| invoice.total(lines)).sum()
    };
    let clients: Vec<&str> =
        contacts.iter().filter(|c| matches!(c.role.0, Role::Client | Role::CoClient)).map(|c| c.name.as_str()).collect();
    Ok(Facts {
        client: clients.join(" and "),
        address: property.one_line(),
        fee: formats.money(fee),
        date: appointments.iter().map(|a| a.starts_at).min().map(|at| formats.day(at)).unwrap_or_else(|| "the day of the appointment".into()),
        company: tenant.name.clone(),
    })
}

/// Sign an agreement for the contact of `signer`. Every rule is checked here,
/// whatever the section asking did first.
pub async fn sign(db: &Db, tenant: &Tenant, job_id: &JobId, signer: &Signer<'_>, request: &SignRequest<'_>) -> Result<StoredSignature, SignError> {
    let contacts = db.tenant(&tenant.id).job_contacts(job_id).await?;
    let agreements = for_job_with(db, tenant, job_id, &contacts).await?;
    let agreement = agreements.iter().find(|a| a.template_id == request.template_id).ok_or(SignError::NotFound)?;
    let contact = contacts.iter().find(|c| c.contact_id == signer.contact_id).ok_or(SignError::NotFound)?;
    let title = &agreement.title;
    if agreement.signed_by(&contact.contact_id) {
        return Err(SignError::Refused(format!("You have already signed the {title}.")));
    }
    if !agreement.signer_roles.contains(&contact.role.0) {
        return Err(SignError::Refused(format!("As {} on this job you do not sign the {title}.", contact.role.0.label())));
    }
    let signer_name = request.signer_name.trim();
    if signer_name.chars().count() < 2 || signer_name.chars().count() > 200 {
        return Err(SignError::Refused("Type your full name to sign.".into()));
    }
    if !request.consent {
        return Err(SignError::Refused("Tick the box to agree to the terms and to signing electronically.".into()));
    }
    let changed = || SignError::Refused(format!("The {title} changed since you opened it. Read it again and sign the new version."));
    if request.version != agreement.version {
        return Err(changed());
    }

    let consent_text = tenant.esign_consent();
    let mut audit = AuditEntry::new(&tenant.id, "agreement.signed", &format!("{signer_name} signed \"{title}\""))
        .by(Actor::contact(&contact.contact_id, &contact.name)).on_job(job_id);
    audit.plugin_id = signer.plugin_id.map(str::to_string);
    audit.ip = signer.origin.ip.clone();
    audit.user_agent = signer.origin.user_agent.clone();
    audit.details = serde_json::json!({
        "agreement": agreement.template_id,
        "title": title,
        "version_sha256": agreement.version,
        "signer_name": signer_name,
        "role": contact.role.0.as_str(),
        "consent": consent_text,
    })
    .to_string();
    let lock = LockedAgreement {
        template_id: agreement.template_id.clone(),
        title: title.clone(),
        body: agreement.text.clone(),
        body_sha256: agreement.version.clone(),
        signer_roles: agreement.signer_roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
        locked_at: audit.created_at,
    };
    let signature = NewSignature {
        contact_id: &contact.contact_id,
        role: contact.role.0,
        contact_name: &contact.name,
        contact_email: contact.email.as_deref(),
        signer_name,
        consent_text,
        audit: &audit,
    };
    match db.tenant(&tenant.id).sign_agreement(job_id, &lock, &signature).await? {
        Signed::Stored => {}
        Signed::VersionChanged => return Err(changed()),
        Signed::AlreadySigned => return Err(SignError::Refused(format!("You have already signed the {title}."))),
    }
    let stored = db.tenant(&tenant.id).agreement_signatures(job_id).await?;
    let stored = stored
        .into_iter()
        .find(|s| s.template_id == agreement.template_id && s.contact_id == contact.contact_id)
        .ok_or_else(|| SignError::Db(DbError::Invalid("the signature just stored is missing".into())))?;
    let event = serde_json::json!({
        "job_id": job_id,
        "agreement": {
            "id": agreement.template_id,
            "title": title,
            "version_sha256": agreement.version,
            // Whether this was the last signature the agreement waited for.
            "fully_signed": agreement.awaiting.iter().all(|c| c.contact_id == contact.contact_id),
        },
        "signature": {
            "id": stored.id,
            "signer_name": stored.signer_name,
            "role": stored.role.0.as_str(),
            "person_id": contact.id,
            "email": stored.contact_email,
            "signed_at": portico_core::formats::rfc3339(stored.signed_at),
        },
    });
    crate::webhooks::raise(db, &tenant.id, "agreement.signed", event, None).await?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agreement_is_signed_once_everyone_who_must_sign_has() {
        assert_eq!(status_of(0, 0), AgreementStatus::NotNeeded);
        assert_eq!(status_of(0, 2), AgreementStatus::AwaitingSignatures);
        assert_eq!(status_of(1, 1), AgreementStatus::PartlySigned);
        assert_eq!(status_of(2, 0), AgreementStatus::Signed);
        // A signer who left the job still counts; nobody left to wait for.
        assert_eq!(status_of(1, 0), AgreementStatus::Signed);
    }
}
