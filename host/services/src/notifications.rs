//! Notifications: the host e-mails the people on a job when something they
//! care about happens (a report published, an invoice issued, a payment
//! received), as each person chose, else as the business chose, else by the
//! host's default. Every message carries a link to the person's choices that
//! works without signing in, and the one-click unsubscribe headers mail
//! clients show.
//!
//! The link names the person by a random id and is signed with a server
//! secret: no address is in it, and nothing has to be stored to check it.

use hmac::{Hmac, Mac};
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::ids::JobId;
use portico_core::model::{JobContact, Role, Tenant};
use portico_core::notifications::{wants_email, NotificationKind};
use portico_data::{Db, DbError};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use std::sync::Arc;

/// The server secret that signs preference links.
pub const LINK_KEY: &str = "notification-link-key";

/// Sends notifications; cheap to clone.
#[derive(Clone)]
pub struct Notifications {
    db: Db,
    public_url: Arc<str>,
    key: Arc<str>,
}

/// One thing to tell the people on a job.
pub struct Notice<'a> {
    pub kind: NotificationKind,
    /// Who hears of it, by their role on the job.
    pub roles: &'a [Role],
    /// Where on the job the link goes (`?card=…`), after `/jobs/{id}`.
    pub link_suffix: &'a str,
    /// The kind's own placeholders (`title`, `amount`…).
    pub data: Map<String, Value>,
}

impl Notifications {
    pub fn new(db: Db, public_url: &str, key: &str) -> Notifications {
        Notifications { db, public_url: public_url.trim_end_matches('/').into(), key: key.into() }
    }

    /// The page where the person `recipient_id` chooses what `tenant` e-mails
    /// them, signed in or not; with `kind`, it offers to stop that kind first.
    pub fn preferences_url(&self, tenant: &Tenant, recipient_id: &str, kind: Option<NotificationKind>) -> String {
        let signature = self.signature(&tenant.id, recipient_id);
        let kind = kind.map(|kind| format!("?kind={}", kind.as_str())).unwrap_or_default();
        format!("{}/t/{}/notifications/{recipient_id}/{signature}{kind}", self.public_url, tenant.slug)
    }

    /// Whether a preferences link's signature is the host's, for this business.
    pub fn verify(&self, tenant: &Tenant, recipient_id: &str, signature: &str) -> bool {
        let expected = self.signature(&tenant.id, recipient_id);
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.as_bytes()).into()
    }

    fn signature(&self, tenant_id: &portico_core::ids::TenantId, recipient_id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.as_bytes()).expect("HMAC accepts any key length");
        mac.update(b"notification-preferences\n");
        mac.update(tenant_id.as_str().as_bytes());
        mac.update(b"\n");
        mac.update(recipient_id.as_bytes());
        // 128 bits is plenty for a link that only changes which e-mails come.
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// E-mail `notice` to each person on the job with one of its roles and an
    /// address, once per address, unless they (or, for those who never chose,
    /// the business) turned the kind off. Returns how many were queued.
    pub async fn notify_job(&self, tenant: &Tenant, job_id: &JobId, notice: Notice<'_>) -> Result<usize, DbError> {
        let db = self.db.tenant(&tenant.id);
        let people = db.job_contacts(job_id).await?;
        let property = match db.job(job_id).await? {
            Some(job) => db.property(&job.property_id).await?.one_line(),
            None => return Ok(0),
        };
        let business_default = db.notification_defaults().await?.into_iter().find(|(kind, _)| *kind == notice.kind).map(|(_, email)| email);
        let mut sent = 0;
        for (person, address) in recipients(&people, notice.roles) {
            let recipient = db.notification_recipient(&address).await?;
            let chosen = db.notification_preferences(&recipient.id).await?.into_iter().find(|(kind, _)| *kind == notice.kind).map(|(_, email)| email);
            if !wants_email(notice.kind, chosen, business_default) {
                continue;
            }
            let mut data = notice.data.clone();
            data.insert("name".into(), json!(person.name));
            data.insert("address".into(), json!(property));
            data.insert("link".into(), json!(format!("{}/jobs/{job_id}{}", self.public_url, notice.link_suffix)));
            data.insert(crate::mail::UNSUBSCRIBE.into(), json!(self.preferences_url(tenant, &recipient.id, Some(notice.kind))));
            db.enqueue_mail(&address, notice.kind.template(), &Value::Object(data).to_string()).await?;
            sent += 1;
        }
        if sent > 0 {
            tracing::info!(tenant = %tenant.id, job = %job_id, kind = notice.kind.as_str(), sent, "notified the people on a job");
        }
        Ok(sent)
    }
}

/// One kind of notification as a person's page of choices shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Choice {
    pub kind: NotificationKind,
    pub label: &'static str,
    /// Whether it is e-mailed to them now.
    pub email: bool,
}

impl Notifications {
    /// Every kind, and whether `recipient_id` gets it now (their choice, else
    /// the business's default, else the host's).
    pub async fn choices(&self, tenant: &Tenant, recipient_id: &str) -> Result<Vec<Choice>, DbError> {
        let db = self.db.tenant(&tenant.id);
        let chosen = db.notification_preferences(recipient_id).await?;
        let defaults = db.notification_defaults().await?;
        let find = |set: &[(NotificationKind, bool)], kind| set.iter().find(|(k, _)| *k == kind).map(|(_, email)| *email);
        Ok(NotificationKind::ALL
            .into_iter()
            .map(|kind| Choice { kind, label: kind.label(), email: wants_email(kind, find(&chosen, kind), find(&defaults, kind)) })
            .collect())
    }

    /// The person chose: e-mail them the kinds in `on` and no other.
    pub async fn choose(&self, tenant: &Tenant, recipient_id: &str, on: &[NotificationKind]) -> Result<(), DbError> {
        let db = self.db.tenant(&tenant.id);
        for kind in NotificationKind::ALL {
            db.set_notification_preference(recipient_id, kind, on.contains(&kind)).await?;
        }
        Ok(())
    }

    /// Stop one kind (`Some`), or every kind, for the person: what the
    /// unsubscribe link and a mail client's one-click button do.
    pub async fn stop(&self, tenant: &Tenant, recipient_id: &str, kind: Option<NotificationKind>) -> Result<(), DbError> {
        let db = self.db.tenant(&tenant.id);
        for stopped in NotificationKind::ALL.into_iter().filter(|k| kind.is_none_or(|kind| kind == *k)) {
            db.set_notification_preference(recipient_id, stopped, false).await?;
        }
        Ok(())
    }

    /// The business's defaults for people who never chose, every kind.
    pub async fn defaults(&self, tenant: &Tenant) -> Result<Vec<Choice>, DbError> {
        let set = self.db.tenant(&tenant.id).notification_defaults().await?;
        Ok(NotificationKind::ALL
            .into_iter()
            .map(|kind| {
                let business = set.iter().find(|(k, _)| *k == kind).map(|(_, email)| *email);
                Choice { kind, label: kind.label(), email: wants_email(kind, None, business) }
            })
            .collect())
    }

    /// The business chose its defaults: the kinds in `on` are e-mailed to
    /// people who never chose, the others are not. Recorded in the audit log.
    pub async fn set_defaults(&self, tenant: &Tenant, on: &[NotificationKind], actor: &portico_data::Actor<'_>) -> Result<(), DbError> {
        let db = self.db.tenant(&tenant.id);
        for kind in NotificationKind::ALL {
            db.set_notification_default(kind, on.contains(&kind)).await?;
        }
        let kept: Vec<&str> = on.iter().map(|kind| kind.label()).collect();
        let summary = match kept.as_slice() {
            [] => "Notifications off by default".to_string(),
            kept => format!("Notifications by default: {}", kept.join("; ")),
        };
        self.db.record_audit(&portico_data::AuditEntry::new(&tenant.id, "notifications.defaults", &summary).by(*actor)).await?;
        Ok(())
    }

    /// The person behind `address` with this business.
    pub async fn recipient(&self, tenant: &Tenant, address: &str) -> Result<portico_data::Recipient, DbError> {
        self.db.tenant(&tenant.id).notification_recipient(address).await
    }

    /// The person a preferences link names, if its signature is good.
    pub async fn recipient_of_link(&self, tenant: &Tenant, recipient_id: &str, signature: &str) -> Result<Option<portico_data::Recipient>, DbError> {
        if !self.verify(tenant, recipient_id, signature) {
            return Ok(None);
        }
        self.db.tenant(&tenant.id).notification_recipient_by_id(recipient_id).await
    }
}

/// Who hears of money and of the job's day: the clients.
const CLIENTS: &[Role] = &[Role::Client, Role::CoClient];

impl Notifications {
    /// Tell the payers an invoice is due: its number, amount and due date.
    pub async fn invoice_issued(&self, tenant: &Tenant, job_id: &JobId, invoice_id: &str) -> Result<usize, DbError> {
        let db = self.db.tenant(&tenant.id);
        let Some(invoice) = db.invoices(job_id).await?.into_iter().find(|(invoice, _)| invoice.id == invoice_id) else { return Ok(0) };
        let (invoice, lines) = invoice;
        let formats = TenantFormats::new(tenant);
        let amount = crate::documents::balance_due(&invoice, &lines).unwrap_or(0);
        let data = json!({
            "number": invoice.number,
            "amount": formats.money(amount),
            "due": invoice.due_at.map(|at| formats.day(at)).unwrap_or_default(),
        });
        let notice = Notice { kind: NotificationKind::InvoiceIssued, roles: CLIENTS, link_suffix: "", data: object(data) };
        self.notify_job(tenant, job_id, notice).await
    }

    /// Tell the clients the job moved on its day (`data`: the kind's own placeholders).
    pub async fn job_moved(&self, tenant: &Tenant, job_id: &JobId, kind: NotificationKind, data: Value) -> Result<usize, DbError> {
        let notice = Notice { kind, roles: CLIENTS, link_suffix: "", data: object(data) };
        self.notify_job(tenant, job_id, notice).await
    }

    /// Tell the payers a payment went through: how much, towards which invoice.
    pub async fn payment_recorded(&self, tenant: &Tenant, payment: &portico_data::Payment) -> Result<usize, DbError> {
        let db = self.db.tenant(&tenant.id);
        let number = db.invoice_totals(&payment.invoice_id).await?.map(|invoice| invoice.number).unwrap_or_default();
        let formats = TenantFormats::new(tenant);
        let data = json!({ "paid": formats.money(payment.captured_minor.max(payment.amount_minor)), "number": number });
        let notice = Notice { kind: NotificationKind::PaymentRecorded, roles: CLIENTS, link_suffix: "", data: object(data) };
        self.notify_job(tenant, &payment.job_id, notice).await
    }
}

/// A `json!` object's map.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The people of `roles` with an address, each address once (the first
/// person holding it, in the order they were added to the job).
fn recipients<'a>(people: &'a [JobContact], roles: &[Role]) -> Vec<(&'a JobContact, String)> {
    let mut chosen: Vec<(&JobContact, String)> = Vec::new();
    for person in people.iter().filter(|person| roles.contains(&person.role.0)) {
        let Some(address) = person.email.as_deref().map(str::trim).filter(|address| address.contains('@')) else { continue };
        let address = address.to_lowercase();
        if !chosen.iter().any(|(_, seen)| *seen == address) {
            chosen.push((person, address));
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::model::RoleColumn;

    fn person(name: &str, role: Role, email: Option<&str>) -> JobContact {
        JobContact {
            id: name.into(),
            job_id: JobId::new("job"),
            contact_id: name.into(),
            role: RoleColumn(role),
            name: name.into(),
            email: email.map(str::to_string),
            phone: None,
        }
    }

    #[test]
    fn each_address_of_the_roles_hears_once() {
        let people = [
            person("Dana", Role::Client, Some("Dana@Example.com")),
            person("Dana again", Role::CoClient, Some("dana@example.com ")),
            person("Chris", Role::CoClient, Some("chris@example.com")),
            person("No mail", Role::Client, None),
            person("Sam", Role::BuyerAgent, Some("sam@example.com")),
        ];
        let heard: Vec<(&str, String)> =
            recipients(&people, &[Role::Client, Role::CoClient]).into_iter().map(|(p, a)| (p.name.as_str(), a)).collect();
        assert_eq!(heard, vec![("Dana", "dana@example.com".to_string()), ("Chris", "chris@example.com".to_string())]);
    }
}
