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
use portico_core::model::{Document, JobContact, Release, Role, Tenant};
use portico_core::text::and_list;
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
    /// Whether an SMS provider is configured, so people may opt in to texts.
    texts: bool,
}

/// One thing to tell the people on a job.
struct Notice<'a> {
    kind: NotificationKind,
    /// Who hears of it, by their role on the job.
    roles: &'a [Role],
    /// The kind's own placeholders (`title`, `amount`…), in the words the
    /// recipient's role may read (an agent never reads the client's bill).
    data: &'a (dyn Fn(Role) -> Map<String, Value> + Sync),
}

impl Notifications {
    pub fn new(db: Db, public_url: &str, key: &str) -> Notifications {
        Notifications { db, public_url: public_url.trim_end_matches('/').into(), key: key.into(), texts: false }
    }

    /// Offer texts too (an SMS provider is configured).
    pub fn with_texts(mut self, texts: bool) -> Notifications {
        self.texts = texts;
        self
    }

    /// Whether people may choose to be texted.
    pub fn texts(&self) -> bool {
        self.texts
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

    /// E-mail `notice` to each person on the job with one of its roles, an
    /// address and access (a revoked link hears nothing), once per address,
    /// unless they (or, for those who never chose, the business) turned the
    /// kind off. Best effort: the change it tells of is already made, so a
    /// failure is logged and the others are still told. Returns how many
    /// were queued.
    async fn tell(&self, tenant: &Tenant, job_id: &JobId, notice: Notice<'_>) -> usize {
        let audience = match self.audience(tenant, job_id, &notice).await {
            Ok(Some(audience)) => audience,
            Ok(None) => return 0,
            Err(error) => {
                tracing::error!(tenant = %tenant.id, job = %job_id, kind = notice.kind.as_str(), %error, "could not work out whom to notify");
                return 0;
            }
        };
        let mut sent = 0;
        for (person, address) in recipients(&audience.people, notice.roles) {
            match self.queue(tenant, job_id, &notice, &audience, person, &address).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(error) => tracing::error!(tenant = %tenant.id, job = %job_id, kind = notice.kind.as_str(), %error, "could not notify one person"),
            }
        }
        if sent > 0 {
            tracing::info!(tenant = %tenant.id, job = %job_id, kind = notice.kind.as_str(), sent, "notified the people on a job");
        }
        sent
    }

    /// What every message of `notice` shares, read once: the job's
    /// property, its people with access, and the business's default for the
    /// kind. `None` when the job is gone.
    async fn audience(&self, tenant: &Tenant, job_id: &JobId, notice: &Notice<'_>) -> Result<Option<Audience>, DbError> {
        let db = self.db.tenant(&tenant.id);
        let Some(job) = db.job(job_id).await? else { return Ok(None) };
        Ok(Some(Audience {
            property: db.property(&job.property_id).await?.one_line(),
            people: db.live_job_contacts(job_id).await?,
            business_default: find(&db.notification_defaults().await?, notice.kind),
        }))
    }

    /// Queue the message for one person if they want it; true when queued.
    async fn queue(&self, tenant: &Tenant, job_id: &JobId, notice: &Notice<'_>, audience: &Audience, person: &JobContact, address: &str) -> Result<bool, DbError> {
        let mut data = (notice.data)(person.role.0);
        data.insert("name".into(), json!(person.name));
        data.insert("address".into(), json!(audience.property));
        data.insert("link".into(), json!(format!("{}/jobs/{job_id}", self.public_url)));
        self.send_if_wanted(tenant, notice.kind, (address, person.phone.as_deref()), audience.business_default, data).await
    }

    /// Queue `kind` to the person at `address` with `data` unless they (or,
    /// if they never chose, the business) turned it off, with the link to
    /// their choices; and text it to `phone` if they opted in to texts of
    /// the kind. True when anything was queued.
    async fn send_if_wanted(
        &self,
        tenant: &Tenant,
        kind: NotificationKind,
        (address, phone): (&str, Option<&str>),
        business_default: Option<bool>,
        mut data: Map<String, Value>,
    ) -> Result<bool, DbError> {
        let db = self.db.tenant(&tenant.id);
        let recipient = db.notification_recipient(address).await?;
        let chosen = find(&db.notification_preferences(&recipient.id).await?, kind);
        let email = wants_email(kind, chosen, business_default);
        let text = match phone.and_then(portico_core::phone::normalize_phone).filter(|_| self.texts) {
            Some(number) if find(&db.sms_choices(&recipient.id).await?, kind) == Some(true) => Some(number),
            _ => None,
        };
        data.insert(crate::mail::UNSUBSCRIBE.into(), json!(self.preferences_url(tenant, &recipient.id, Some(kind))));
        let data = Value::Object(data).to_string();
        if email {
            db.enqueue_mail(address, kind.template(), &data).await?;
        }
        if let Some(number) = &text {
            db.enqueue_sms(number, kind.template(), &data).await?;
        }
        Ok(email || text.is_some())
    }

    /// Tell one person, by name, address and phone, of `kind` (`facts`: the
    /// kind's own placeholders, `link` among them), as they chose. True when
    /// anything was queued.
    pub async fn tell_person(&self, tenant: &Tenant, kind: NotificationKind, name: &str, (address, phone): (&str, Option<&str>), facts: Value) -> Result<bool, DbError> {
        let Some(address) = portico_core::email::normalize_email(address) else { return Ok(false) };
        let business_default = find(&self.db.tenant(&tenant.id).notification_defaults().await?, kind);
        let mut data = object(facts);
        data.insert("name".into(), json!(name));
        self.send_if_wanted(tenant, kind, (&address, phone), business_default, data).await
    }

    /// The portal's address, for links in mail (no trailing slash).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }
}

/// What the messages of one notice share.
struct Audience {
    property: String,
    people: Vec<JobContact>,
    business_default: Option<bool>,
}

/// A kind's setting in a list of (kind, e-mail) choices.
fn find(set: &[(NotificationKind, bool)], kind: NotificationKind) -> Option<bool> {
    set.iter().find(|(k, _)| *k == kind).map(|(_, email)| *email)
}

/// One kind of notification as a person's page of choices shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Choice {
    pub kind: NotificationKind,
    pub label: &'static str,
    /// Whether it is e-mailed to them now.
    pub email: bool,
    /// Whether it is texted to them now (only ever by their own choice).
    pub sms: bool,
}

impl Notifications {
    /// Every kind, and whether `recipient_id` gets it now (their choice, else
    /// the business's default, else the host's).
    pub async fn choices(&self, tenant: &Tenant, recipient_id: &str) -> Result<Vec<Choice>, DbError> {
        let db = self.db.tenant(&tenant.id);
        let chosen = db.notification_preferences(recipient_id).await?;
        let defaults = db.notification_defaults().await?;
        let texted = if self.texts { db.sms_choices(recipient_id).await? } else { Vec::new() };
        Ok(NotificationKind::ALL
            .into_iter()
            .map(|kind| Choice {
                kind,
                label: kind.label(),
                email: wants_email(kind, find(&chosen, kind), find(&defaults, kind)),
                sms: find(&texted, kind) == Some(true),
            })
            .collect())
    }

    /// The person chose: e-mail them the kinds in `on` and no other, and,
    /// where texts are offered, text them the kinds in `texted` and no other.
    pub async fn choose(&self, tenant: &Tenant, recipient_id: &str, on: &[NotificationKind], texted: &[NotificationKind]) -> Result<(), DbError> {
        let db = self.db.tenant(&tenant.id);
        for kind in NotificationKind::ALL {
            db.set_notification_preference(recipient_id, kind, on.contains(&kind)).await?;
            if self.texts {
                db.set_sms_choice(recipient_id, kind, texted.contains(&kind)).await?;
            }
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
            .map(|kind| Choice { kind, label: kind.label(), email: wants_email(kind, None, find(&set, kind)), sms: false })
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


/// What the host tells, each best effort (see `tell`): the change it reports
/// is made whatever becomes of the e-mail.
impl Notifications {
    /// Tell the people a report is shared with that it is ready and, while
    /// the release rule holds it, what it waits for (amounts only to those
    /// who pay).
    pub async fn report_published(&self, tenant: &Tenant, job_id: &JobId, report: &Document, release: &Release) -> usize {
        let data = |role: Role| object(json!({ "title": report.title, "held": and_list(release.holds_for(role)) }));
        let roles = report.visible_roles();
        self.tell(tenant, job_id, Notice { kind: NotificationKind::ReportPublished, roles: &roles, data: &data }).await
    }

    /// Tell the clients an invoice is due: its number, amount and due date,
    /// and whether they can pay it online.
    pub async fn invoice_issued(&self, tenant: &Tenant, job_id: &JobId, invoice_id: &str) -> usize {
        let invoices = match self.db.tenant(&tenant.id).invoices(job_id).await {
            Ok(invoices) => invoices,
            Err(error) => {
                tracing::error!(tenant = %tenant.id, job = %job_id, %error, "could not read an invoice to announce");
                return 0;
            }
        };
        let Some((invoice, lines)) = invoices.into_iter().find(|(invoice, _)| invoice.id == invoice_id) else { return 0 };
        let formats = TenantFormats::new(tenant);
        let amount = crate::documents::balance_due(&invoice, &lines).unwrap_or(0);
        let facts = json!({
            "number": invoice.number,
            "amount": formats.money(amount),
            "due": invoice.due_at.map(|at| formats.day(at)).unwrap_or_default(),
            "pay_online": if tenant.payment_provider == portico_core::money::PaymentProvider::None { "" } else { "yes" },
        });
        let data = |_| object(facts.clone());
        self.tell(tenant, job_id, Notice { kind: NotificationKind::InvoiceIssued, roles: CLIENTS, data: &data }).await
    }

    /// Tell the clients the job moved on its day (`facts`: the kind's own placeholders).
    pub async fn job_moved(&self, tenant: &Tenant, job_id: &JobId, kind: NotificationKind, facts: Value) -> usize {
        let data = |_| object(facts.clone());
        self.tell(tenant, job_id, Notice { kind, roles: CLIENTS, data: &data }).await
    }

    /// Tell the clients a payment went through: how much, towards which
    /// invoices (`invoices`: "invoice 1042", "invoices 1042 and 1043"). A
    /// payment of several jobs' invoices is told on the first one's.
    pub async fn payment_recorded(&self, tenant: &Tenant, payment: &portico_data::Payment, invoices: &crate::payments::InvoiceNumbers) -> usize {
        let facts = json!({
            "paid": TenantFormats::new(tenant).money(payment.shown_amount()),
            "number": invoices.0.join(", "),
            "invoices": invoices.describe(),
        });
        let data = |_| object(facts.clone());
        self.tell(tenant, &payment.job_id, Notice { kind: NotificationKind::PaymentRecorded, roles: CLIENTS, data: &data }).await
    }
}

/// A `json!` object's map.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Who hears of money and of the job's day: the clients.
const CLIENTS: &[Role] = &[Role::Client, Role::CoClient];

/// The people of `roles` with an address, each address once (the first
/// person holding it, in the order they were added to the job).
fn recipients<'a>(people: &'a [JobContact], roles: &[Role]) -> Vec<(&'a JobContact, String)> {
    let mut chosen: Vec<(&JobContact, String)> = Vec::new();
    for person in people.iter().filter(|person| roles.contains(&person.role.0)) {
        let Some(address) = person.email.as_deref().and_then(portico_core::email::normalize_email) else { continue };
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
