//! Personal links: one per contact per job, issued, mailed and revoked here.
//!
//! Only a link's hash is stored, so a link cannot be shown or sent twice:
//! "re-send" issues a fresh link (the previous one stops working; sessions
//! already open go on). Links last as long as the tenant chose.

use portico_data::{Actor, AuditEntry, Db};
use std::sync::Arc;
use portico_core::model::{JobContact, Tenant};
use portico_core::formats::Formats as _;
use portico_core::tokens::{hash_token, new_token};

/// Which message carries a link.
#[derive(Debug, Clone, Copy)]
pub enum LinkMail {
    /// The first invitation to the portal.
    Invite,
    /// A replacement for a lost or expired link.
    Fresh,
}

impl LinkMail {
    fn template(self) -> &'static str {
        match self {
            LinkMail::Invite => "portal-invite",
            LinkMail::Fresh => "portal-link",
        }
    }
}

/// Why a link was not issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// There is no address to send it to.
    NoAddress,
    /// The address belongs to one of the business's staff.
    StaffAddress,
}

impl Refusal {
    /// What staff are told.
    pub fn explain(&self, name: &str) -> String {
        match self {
            Refusal::NoAddress => format!("{name} has no e-mail address on file; add one first."),
            Refusal::StaffAddress => {
                format!("{name}'s e-mail address belongs to a staff account, and staff addresses never get a client link.")
            }
        }
    }
}

/// A link just issued.
pub struct Issued {
    pub url: String,
    pub expires_at: Option<i64>,
}

/// Issues, mails and revokes personal links; cheap to clone.
#[derive(Clone)]
pub struct Links {
    db: Db,
    /// Where links point: the portal's public address.
    public_url: Arc<str>,
}

impl Links {
    pub fn new(db: Db, public_url: &str) -> Links {
        Links { db, public_url: public_url.trim_end_matches('/').into() }
    }

    async fn refusal(&self, tenant: &Tenant, contact: &JobContact) -> Result<Option<Refusal>, portico_data::DbError> {
        match &contact.email {
            Some(email) if self.db.tenant(&tenant.id).is_staff_email(email).await? => Ok(Some(Refusal::StaffAddress)),
            _ => Ok(None),
        }
    }

    /// Give `contact` a new link to their job (the previous one stops working).
    pub async fn issue(
        &self,
        tenant: &Tenant,
        contact: &JobContact,
        actor: &Actor<'_>,
    ) -> anyhow::Result<Result<Issued, Refusal>> {
        if let Some(refused) = self.refusal(tenant, contact).await? {
            return Ok(Err(refused));
        }
        let token = new_token();
        let expires_at = tenant.link_expiry();
        self.db.tenant(&tenant.id).rotate_link_token(&contact.id, &hash_token(&token), expires_at).await?;
        self.audit(tenant, contact, actor, "link.issued", format!("New portal link for {} ({})", contact.name, contact.role.0.label())).await?;
        Ok(Ok(Issued { url: format!("{}/p/{token}", self.public_url), expires_at }))
    }

    /// Issue a new link and e-mail it to the address on file. Returns the address.
    pub async fn send(
        &self,
        tenant: &Tenant,
        contact: &JobContact,
        mail: LinkMail,
        actor: &Actor<'_>,
    ) -> anyhow::Result<Result<String, Refusal>> {
        let Some(email) = contact.email.clone() else { return Ok(Err(Refusal::NoAddress)) };
        // Everything the message says is read before the old link is
        // replaced: a failure here leaves the person's link working.
        let job = self.db.tenant(&tenant.id).job(&contact.job_id).await?.ok_or_else(|| anyhow::anyhow!("job {} vanished", contact.job_id))?;
        let property = self.db.tenant(&tenant.id).property(&job.property_id).await?;
        let formats = portico_core::formats::TenantFormats::new(tenant);
        let asked = asked_of(&self.db, tenant, contact).await?;
        let appointment = self.db.tenant(&tenant.id).appointments(&contact.job_id).await?.into_iter().find(|a| a.status != "cancelled");
        let issued = match self.issue(tenant, contact, actor).await? {
            Ok(issued) => issued,
            Err(refused) => return Ok(Err(refused)),
        };
        let data = serde_json::json!({
            "name": contact.name,
            "address": property.one_line(),
            "role": contact.role.0.label(),
            "link": issued.url,
            "expires": issued.expires_at.map(|at| formats.moment(at)).unwrap_or_default(),
            "appointment": appointment.map(|a| formats.moment(a.starts_at)).unwrap_or_default(),
            "asked": asked.things.join("; "),
            "amount": (asked.balance_minor > 0).then(|| formats.money(asked.balance_minor)).unwrap_or_default(),
        });
        self.db.tenant(&tenant.id).enqueue_mail(&email, mail.template(), &data.to_string()).await?;
        self.audit(tenant, contact, actor, "link.sent", format!("Portal link e-mailed to {} ({})", contact.name, contact.role.0.label())).await?;
        Ok(Ok(email))
    }

    /// Take the contact's access to the job away.
    pub async fn revoke(&self, tenant: &Tenant, contact: &JobContact, actor: &Actor<'_>) -> anyhow::Result<()> {
        self.db.tenant(&tenant.id).revoke_link(&contact.id).await?;
        self.audit(tenant, contact, actor, "link.revoked", format!("Portal access revoked for {} ({})", contact.name, contact.role.0.label())).await?;
        Ok(())
    }

    async fn audit(
        &self,
        tenant: &Tenant,
        contact: &JobContact,
        actor: &Actor<'_>,
        action: &str,
        summary: String,
    ) -> Result<(), portico_data::DbError> {
        let entry = AuditEntry::new(&tenant.id, action, &summary).by(*actor).on_job(&contact.job_id);
        self.db.record_audit(&entry).await
    }
}

/// What the job asks of one person now, in words for their invitation.
struct Asked {
    /// "Sign the Pre-Inspection Agreement", "Pay invoice 1042 ($610.00 due)".
    things: Vec<String>,
    /// What they are asked to pay, in minor units.
    balance_minor: i64,
}

/// The agreements this person must sign and, for the people who see the
/// bill, the invoices still owed: the rules of the agreements and documents
/// services, read for one person.
async fn asked_of(db: &Db, tenant: &Tenant, contact: &JobContact) -> Result<Asked, portico_data::DbError> {
    let formats = portico_core::formats::TenantFormats::new(tenant);
    let mut things: Vec<String> = crate::agreements::for_job(db, tenant, &contact.job_id)
        .await?
        .iter()
        .filter(|agreement| agreement.must_sign(&contact.contact_id))
        .map(|agreement| format!("Sign the {}", agreement.title))
        .collect();
    let mut balance_minor = 0;
    if contact.role.0.sees_billing() {
        for (invoice, lines) in db.tenant(&tenant.id).invoices(&contact.job_id).await? {
            if invoice.status == portico_core::money::InvoiceStatus::Draft {
                continue;
            }
            if let Some(balance) = crate::documents::balance_due(&invoice, &lines) {
                things.push(format!("Pay invoice {} ({} due)", invoice.number, formats.money(balance)));
                balance_minor += balance;
            }
        }
    }
    Ok(Asked { things, balance_minor })
}
