//! The host functions plugins import. Each one checks its permission first and
//! answers `denied` (never a trap) when it is missing; each one is scoped to the
//! tenant, job and viewer of the call.

use portico_core::ids::{JobId, TenantId};
use super::bindings::{add_ons, agreements, audit, billing, cards, documents, job_data, log, notify, office, storage, types};
use super::call::{CallKind, CallState};
use super::permissions::Permission;
use portico_services::agreements::{AgreementStatus, SignError, SignRequest, Signer};
use portico_data::{AuditEntry, Db, DbError, MailQuota, SectionSender, StorageScope};
use portico_core::model::{AddOnStatus, Role};
use types::Error;

/// Longest key and value plugin storage accepts (the WIT contract's numbers).
const MAX_KEY_BYTES: usize = 200;
const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Log lines a single call may write, and how long each may be.
const MAX_LOG_LINES: u32 = 50;
const MAX_LOG_BYTES: usize = 2048;
/// Messages one section may queue for one job, and for the whole business,
/// in any 24 hours. Past them it gets `quota-exceeded`, and the first refusal
/// of the day is written to the business's audit log.
pub const MAIL_PER_JOB_PER_DAY: i64 = 20;
pub const MAIL_PER_BUSINESS_PER_DAY: i64 = 200;
const DAY: i64 = 24 * 3600;

/// What a host function would change, and so which exports may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Acts in the viewer's name (signs, requests, starts a payment): only
    /// `handle-action`, the POST the viewer made.
    ForViewer,
    /// The section's own records and mail: `handle-action` and `on-event`.
    OwnRecords,
}

impl CallState {
    /// The database and job of the call, if `permission` is granted and the
    /// call is about a job (the job page, the staff job page, an event).
    fn granted(&self, permission: Permission) -> Result<(&Db, &JobId), Error> {
        let db = self.granted_anywhere(permission)?;
        match &self.scope.job_id {
            Some(job_id) => Ok((db, job_id)),
            None => Err(Error::Invalid("this call is not about a job (it is on a surface that spans jobs)".into())),
        }
    }

    /// The database, if `permission` is granted, on any surface: for what
    /// belongs to the business or the section rather than to a job.
    pub(super) fn granted_anywhere(&self, permission: Permission) -> Result<&Db, Error> {
        if !self.scope.grants.contains(&permission) {
            tracing::info!(plugin = %self.scope.plugin_id, %permission, "host call denied: permission not granted");
            return Err(Error::Denied(permission.into()));
        }
        self.host.as_ref().map(|host| &host.db).ok_or_else(|| Error::Invalid("no business is served by this call".into()))
    }

    /// Go on only if this call may make `change`; otherwise the typed
    /// `denied` of the interface's permission, never a trap. Rendering reads:
    /// opening a page must never sign, request, pay, mail or record anything.
    pub(super) fn may_change(&self, permission: Permission, change: Change) -> Result<(), Error> {
        let allowed = match change {
            Change::ForViewer => self.kind == CallKind::Action,
            Change::OwnRecords => matches!(self.kind, CallKind::Action | CallKind::Event),
        };
        if allowed {
            return Ok(());
        }
        tracing::warn!(
            plugin = %self.scope.plugin_id,
            %permission,
            export = self.kind.export(),
            "host call denied: only handle-action changes things (and on-event its own records)"
        );
        Err(Error::Denied(permission.into()))
    }

    fn tenant(&self) -> &TenantId {
        &self.scope.tenant_id
    }

    fn viewer_role(&self) -> Role {
        self.scope.viewer.as_ref().map(|viewer| viewer.role).unwrap_or(Role::Other)
    }
}

/// Failures of the database or the file store are logged in full and reach
/// the plugin only as "unavailable".
pub(super) fn unavailable(error: impl std::fmt::Display) -> Error {
    tracing::error!(%error, "host call failed");
    Error::Unavailable("the host could not complete the call; try again later".into())
}

/// A property's address as sections read it.
pub(super) fn wit_address(property: &portico_core::model::Property) -> types::Address {
    types::Address {
        line1: property.line1.clone(),
        line2: property.line2.clone(),
        city: property.city.clone(),
        region: property.region.clone(),
        postal_code: property.postal_code.clone(),
        country: property.country.clone(),
    }
}

pub fn from_wit_role(role: types::Role) -> Role {
    match role {
        types::Role::Client => Role::Client,
        types::Role::CoClient => Role::CoClient,
        types::Role::BuyerAgent => Role::BuyerAgent,
        types::Role::ListingAgent => Role::ListingAgent,
        types::Role::Other => Role::Other,
        types::Role::Staff => Role::Staff,
    }
}

pub fn to_wit_role(role: Role) -> types::Role {
    match role {
        Role::Client => types::Role::Client,
        Role::CoClient => types::Role::CoClient,
        Role::BuyerAgent => types::Role::BuyerAgent,
        Role::ListingAgent => types::Role::ListingAgent,
        Role::Other => types::Role::Other,
        Role::Staff => types::Role::Staff,
    }
}


impl types::Host for CallState {}
impl cards::Host for CallState {}

impl job_data::Host for CallState {
    async fn get_job(&mut self) -> Result<job_data::Job, Error> {
        let (db, job_id) = self.granted(Permission::JobRead)?;
        let tenant = self.tenant();
        let job = db.tenant(tenant).job(job_id).await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let property = db.tenant(tenant).property(&job.property_id).await.map_err(unavailable)?;
        let appointments = db.tenant(tenant).appointments(job_id).await.map_err(unavailable)?;
        let services = db.tenant(tenant).services(job_id).await.map_err(unavailable)?;
        let (stage, _) = db.tenant(tenant).job_stage(&job).await.map_err(unavailable)?;
        let crew = db.tenant(tenant).job_crew(job_id).await.map_err(unavailable)?;
        Ok(job_data::Job {
            id: job.id.into_string(),
            reference: job.reference,
            status: job.status,
            stage: stage.as_str().to_string(),
            crew: crew.into_iter().map(|member| member.name).collect(),
            property: wit_address(&property),
            appointments: appointments
                .into_iter()
                .map(|a| job_data::Appointment {
                    starts_at: a.starts_at,
                    ends_at: a.ends_at,
                    staff_name: a.staff_name,
                    status: a.status,
                })
                .collect(),
            services: services
                .into_iter()
                .map(|s| job_data::Service { name: s.name, price: s.price_minor })
                .collect(),
        })
    }

    async fn list_notes(&mut self) -> Result<Vec<job_data::Note>, Error> {
        let (db, job_id) = self.granted(Permission::JobRead)?;
        // Notes are for the clients: an agent or a guest reads none.
        if !self.viewer_role().reads_client_notes() {
            return Ok(Vec::new());
        }
        let notes = db.tenant(self.tenant()).job_notes(job_id, false).await.map_err(unavailable)?;
        Ok(notes.into_iter().map(|note| job_data::Note { text: note.body, author: note.by_name, written_at: note.created_at }).collect())
    }

    async fn get_property(&mut self) -> Result<job_data::JobProperty, Error> {
        let (db, job_id) = self.granted(Permission::JobRead)?;
        let business = db.tenant(self.tenant());
        let job = business.job(job_id).await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let property = business.find_property(&job.property_id).await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let notes = if self.viewer_role().reads_client_notes() {
            let notes = portico_services::properties::for_clients(db, self.tenant(), &[property.id.as_str()]).await.map_err(unavailable)?;
            notes.into_iter().map(|note| types::PropertyNote { topic: note.topic, body: note.body, at: note.created_at }).collect()
        } else {
            Vec::new()
        };
        Ok(job_data::JobProperty { id: property.id, name: property.name, kind: property.kind, notes })
    }

    async fn get_business(&mut self) -> Result<job_data::Business, Error> {
        let (db, _) = self.granted(Permission::JobRead)?;
        let tenant = db.tenant(self.tenant()).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        Ok(job_data::Business { name: tenant.name, email: tenant.support_email, phone: tenant.support_phone })
    }

    async fn list_contacts(&mut self) -> Result<Vec<job_data::Contact>, Error> {
        let (db, job_id) = self.granted(Permission::JobRead)?;
        let contacts = db.tenant(self.tenant()).job_contacts(job_id).await.map_err(unavailable)?;
        let viewer = self.viewer_role();
        Ok(contacts
            .into_iter()
            .map(|c| {
                // The same rule as the host's own pages: a person's e-mail and
                // phone only to those who may reach them.
                let shown = viewer.sees_contact_details_of(c.role.0);
                job_data::Contact {
                    id: c.contact_id,
                    name: c.name,
                    role: to_wit_role(c.role.0),
                    email: c.email.filter(|_| shown),
                    phone: c.phone.filter(|_| shown),
                }
            })
            .collect())
    }
}

/// The job's documents of `kind` (all when empty) and what holds its reports
/// (worked out once per page render, shared through the scope's memo).
async fn documents_and_release(
    db: &Db,
    scope: &super::CallScope,
    job_id: &JobId,
    kind: &str,
) -> Result<(Vec<portico_core::model::Document>, portico_core::model::Release), Error> {
    let tenant_id = &scope.tenant_id;
    let found = db.tenant(tenant_id).documents(job_id, kind).await.map_err(unavailable)?;
    let compute = || async {
        let tenant = db.tenant(tenant_id).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        portico_services::documents::release(db, &tenant, job_id).await.map_err(unavailable)
    };
    let release = super::RenderMemo::release_or_compute(scope.memo.as_deref(), compute).await?;
    Ok((found, release))
}

impl documents::Host for CallState {
    async fn list_report_items(&mut self) -> Result<Vec<documents::ReportItem>, Error> {
        let (db, job_id) = self.granted(Permission::DocumentsRead)?;
        let role = self.viewer_role();
        let (found, release) = documents_and_release(db, &self.scope, job_id, "").await?;
        let opens = |id: &str| found.iter().any(|doc| doc.id == id && doc.may_open(role, &release));
        let items = db.tenant(self.tenant()).report_items(job_id).await.map_err(unavailable)?;
        Ok(items
            .into_iter()
            .filter(|item| opens(&item.document_id))
            .map(|item| documents::ReportItem {
                photo_url: item.photo_document_id.as_deref().filter(|photo| opens(photo)).map(|photo| format!("/jobs/{job_id}/documents/{photo}")),
                severity: match item.severity.as_str() {
                    "safety" => documents::ItemSeverity::Safety,
                    "maintenance" => documents::ItemSeverity::Maintenance,
                    "monitor" => documents::ItemSeverity::Monitor,
                    _ => documents::ItemSeverity::Repair,
                },
                id: item.id,
                report_id: item.document_id,
                section: item.section,
                title: item.title,
                location: item.location,
                notes: item.notes,
            })
            .collect())
    }

    async fn list_documents(&mut self, kind: String) -> Result<Vec<documents::Document>, Error> {
        let (db, job_id) = self.granted(Permission::DocumentsRead)?;
        let role = self.viewer_role();
        let (found, release) = documents_and_release(db, &self.scope, job_id, &kind).await?;
        Ok(found
            .into_iter()
            .map(|doc| {
                let may_open = doc.may_open(role, &release);
                documents::Document {
                    held_until: if doc.published_at.is_some() { doc.held_until(&release, role).to_vec() } else { Vec::new() },
                    url: may_open.then(|| format!("/jobs/{}/documents/{}", doc.job_id, doc.id)),
                    visible_to: doc.visible_roles().into_iter().map(to_wit_role).collect(),
                    viewer_may_open: may_open,
                    id: doc.id,
                    kind: doc.kind,
                    title: doc.title,
                    published_at: doc.published_at,
                }
            })
            .collect())
    }
}

impl CallState {
    fn to_wit_signature(signature: &portico_data::StoredSignature) -> agreements::Signature {
        agreements::Signature {
            signer_name: signature.signer_name.clone(),
            contact_name: signature.contact_name.clone(),
            role: to_wit_role(signature.role.0),
            signed_at: signature.signed_at,
        }
    }
}

impl agreements::Host for CallState {
    async fn list_agreements(&mut self) -> Result<Vec<agreements::Agreement>, Error> {
        let (db, job_id) = self.granted(Permission::Agreements)?;
        let tenant = db.tenant(self.tenant()).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let found = portico_services::agreements::for_job(db, &tenant, job_id).await.map_err(unavailable)?;
        let role = self.viewer_role();
        let contact_id = self.scope.viewer.as_ref().and_then(|viewer| viewer.contact_id.clone()).unwrap_or_default();
        let consent_text = tenant.esign_consent().to_string();
        Ok(found
            .into_iter()
            .map(|agreement| agreements::Agreement {
                pdf_url: agreement.may_download(role).then(|| format!("/jobs/{job_id}/agreements/{}/pdf", agreement.template_id)),
                viewer_must_sign: agreement.must_sign(&contact_id),
                status: match agreement.status {
                    AgreementStatus::NotNeeded => agreements::AgreementStatus::NotNeeded,
                    AgreementStatus::AwaitingSignatures => agreements::AgreementStatus::AwaitingSignatures,
                    AgreementStatus::PartlySigned => agreements::AgreementStatus::PartlySigned,
                    AgreementStatus::Signed => agreements::AgreementStatus::Signed,
                },
                signer_roles: agreement.signer_roles.iter().copied().map(to_wit_role).collect(),
                signatures: agreement.signatures.iter().map(Self::to_wit_signature).collect(),
                awaiting: agreement.awaiting.iter().map(|c| c.name.clone()).collect(),
                consent_text: consent_text.clone(),
                id: agreement.template_id,
                title: agreement.title,
                text: agreement.text,
                version: agreement.version,
            })
            .collect())
    }

    async fn sign(&mut self, agreement_id: String, version: String, signer_name: String, consent: bool) -> Result<agreements::Signature, Error> {
        let (db, job_id) = self.granted(Permission::Agreements)?;
        self.may_change(Permission::Agreements, Change::ForViewer)?;
        if self.scope.preview {
            return Err(Error::Invalid("Nothing is signed in a preview.".into()));
        }
        let Some(contact_id) = self.scope.viewer.as_ref().and_then(|viewer| viewer.contact_id.as_deref()) else {
            return Err(Error::Invalid("Only the people on the job sign its agreements.".into()));
        };
        let tenant = db.tenant(self.tenant()).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let signer = Signer { contact_id, origin: &self.scope.origin, plugin_id: Some(&self.scope.plugin_id) };
        let request = SignRequest { template_id: &agreement_id, version: &version, signer_name: &signer_name, consent };
        match portico_services::agreements::sign(db, &tenant, job_id, &signer, &request).await {
            Ok(signature) => Ok(Self::to_wit_signature(&signature)),
            Err(SignError::NotFound) => Err(Error::NotFound),
            Err(SignError::Refused(reason)) => Err(Error::Invalid(reason)),
            Err(SignError::Db(error)) => Err(unavailable(error)),
        }
    }
}

impl add_ons::Host for CallState {
    async fn list_add_ons(&mut self) -> Result<Vec<add_ons::AddOn>, Error> {
        let (db, job_id) = self.granted(Permission::AddOns)?;
        let services = db.tenant(self.tenant()).add_on_services().await.map_err(unavailable)?;
        let requests = db.tenant(self.tenant()).add_on_requests(job_id).await.map_err(unavailable)?;
        Ok(services
            .into_iter()
            .filter_map(|service| {
                let request = requests.iter().find(|r| r.service_id == service.id);
                // Offered now, or already part of this job.
                (service.active != 0 || request.is_some()).then(|| add_ons::AddOn {
                    request: request.map(|r| match r.status {
                        AddOnStatus::Approved => add_ons::RequestStatus::Approved,
                        AddOnStatus::Declined => add_ons::RequestStatus::Declined,
                        AddOnStatus::Requested => add_ons::RequestStatus::Requested,
                    }),
                    requested_by: request.map(|r| r.requested_by.clone()),
                    id: service.id,
                    name: service.name,
                    description: service.description,
                    price: service.price_minor,
                })
            })
            .collect())
    }

    async fn request(&mut self, add_on_id: String) -> Result<(), Error> {
        let (db, job_id) = self.granted(Permission::AddOns)?;
        self.may_change(Permission::AddOns, Change::ForViewer)?;
        if self.scope.preview {
            return Err(Error::Invalid("Nothing is requested in a preview.".into()));
        }
        let Some(viewer) = self.scope.viewer.as_ref().filter(|v| v.contact_id.is_some() && v.role.sees_billing()) else {
            return Err(Error::Invalid("Only the clients on the job request add-ons.".into()));
        };
        let services = db.tenant(self.tenant()).add_on_services().await.map_err(unavailable)?;
        let service = services.iter().find(|s| s.id == add_on_id && s.active != 0).ok_or(Error::NotFound)?;
        if !db.tenant(self.tenant()).request_add_on(job_id, &service.id, &viewer.display_name).await.map_err(unavailable)? {
            return Err(Error::Invalid(format!("{} was already requested for this job.", service.name)));
        }
        let mut entry = AuditEntry::new(self.tenant(), "add-on.requested", &format!("{} requested {}", viewer.display_name, service.name))
            .by(portico_data::Actor::contact(viewer.contact_id.as_deref().unwrap_or_default(), &viewer.display_name)).on_job(job_id);
        entry.plugin_id = Some(self.scope.plugin_id.clone());
        entry.ip = self.scope.origin.ip.clone();
        entry.user_agent = self.scope.origin.user_agent.clone();
        db.record_audit(&entry).await.map_err(unavailable)
    }
}

impl billing::Host for CallState {
    async fn list_invoices(&mut self) -> Result<Vec<billing::Invoice>, Error> {
        let (db, job_id) = self.granted(Permission::BillingRead)?;
        if !self.viewer_role().sees_billing() {
            // Agents follow the job, not its bill: the same rule as the
            // host's invoice and receipt downloads.
            return Ok(Vec::new());
        }
        let tenant = db.tenant(self.tenant()).business().await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        let checkouts = self.host.as_ref().map(|host| &host.checkouts);
        job_invoices(db, &tenant, job_id, checkouts).await
    }
}

/// A job's invoices with their payments as sections read them: on the job's
/// page (`billing`) and across jobs on the account hub (`account`).
pub(super) async fn job_invoices(
    db: &Db,
    tenant: &portico_core::model::Tenant,
    job_id: &JobId,
    checkouts: Option<&portico_services::payments::Checkouts>,
) -> Result<Vec<billing::Invoice>, Error> {
    let invoices = db.tenant(&tenant.id).invoices(job_id).await.map_err(unavailable)?;
    let payments = db.tenant(&tenant.id).job_payments(job_id).await.map_err(unavailable)?;
    Ok(invoice_views(tenant, job_id, invoices, &payments, checkouts))
}

/// Invoices with their lines as sections read them, each with its payments
/// (taken from `payments`, which may hold other invoices' too).
pub(super) fn invoice_views(
    tenant: &portico_core::model::Tenant,
    job_id: &JobId,
    invoices: Vec<(portico_core::model::Invoice, Vec<portico_core::model::InvoiceLine>)>,
    payments: &[portico_data::PaymentShare],
    checkouts: Option<&portico_services::payments::Checkouts>,
) -> Vec<billing::Invoice> {
    invoices
        .into_iter()
        .map(|(invoice, lines)| {
            let lines: Vec<billing::InvoiceLine> = lines
                .into_iter()
                .map(|line| billing::InvoiceLine {
                    amount: line.amount(),
                    kind: match line.kind.as_str() {
                        "add-on" => billing::LineKind::AddOn,
                        "fee" => billing::LineKind::Fee,
                        "discount" => billing::LineKind::Discount,
                        _ => billing::LineKind::Service,
                    },
                    description: line.description,
                    quantity: line.quantity.clamp(0, u32::MAX as i64) as u32,
                    unit_price: line.unit_price_minor,
                })
                .collect();
            let fees: i64 = lines.iter().filter(|l| l.kind == billing::LineKind::Fee).map(|l| l.amount).sum();
            let subtotal: i64 = lines.iter().map(|line| line.amount).sum::<i64>() - fees;
            let total = subtotal + fees + invoice.tax_minor;
            let balance = total - invoice.paid_minor;
            let pay_blocked = match checkouts {
                Some(checkouts) => checkouts.blocked(tenant, invoice.status, balance),
                None => Some("Online payment is not available here.".into()),
            };
            let payments = payments
                .iter()
                .filter(|share| share.share_invoice_id == invoice.id && share.payment.status.listed())
                .map(|share| billing::Payment {
                    id: share.payment.id.clone(),
                    method: share.payment.method.clone(),
                    status: share.payment.status.as_str().to_string(),
                    amount: share.shown_amount(),
                    refunded: share.refunded(),
                    at: share.payment.updated_at,
                    receipt_url: share.payment.status.received().then(|| format!("/jobs/{job_id}/payments/{}/receipt", share.payment.id)),
                })
                .collect();
            billing::Invoice {
                pdf_url: format!("/jobs/{job_id}/invoices/{}/pdf", invoice.id),
                id: invoice.id,
                number: invoice.number,
                status: invoice.status.to_string(),
                lines,
                subtotal,
                fees,
                tax: invoice.tax_minor,
                total,
                balance,
                due_at: invoice.due_at,
                payments,
                pay_blocked,
            }
        })
        .collect()
}


impl CallState {
    /// Resolve a WIT storage scope to the ids of this call.
    fn storage_scope(&self, scope: storage::Scope) -> Result<StorageScope<'_>, Error> {
        match scope {
            storage::Scope::Tenant => Ok(StorageScope::Tenant),
            storage::Scope::Job => self
                .scope
                .job_id
                .as_ref()
                .map(StorageScope::Job)
                .ok_or_else(|| Error::Invalid("this call is not about a job".into())),
            storage::Scope::Contact => self
                .scope
                .viewer
                .as_ref()
                .and_then(|viewer| viewer.job_contact_id.as_deref())
                .map(StorageScope::Contact)
                .ok_or_else(|| Error::Invalid("the viewer is not a contact on this job".into())),
        }
    }

    fn check_key(key: &str) -> Result<(), Error> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(Error::Invalid(format!("keys are 1 to {MAX_KEY_BYTES} bytes")));
        }
        Ok(())
    }

    async fn put(&mut self, scope: storage::Scope, key: String, value: String, only_if_absent: bool) -> Result<bool, Error> {
        let db = self.granted_anywhere(Permission::Storage)?;
        self.may_change(Permission::Storage, Change::OwnRecords)?;
        Self::check_key(&key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(Error::QuotaExceeded(format!("values are at most {} KiB", MAX_VALUE_BYTES / 1024)));
        }
        if self.scope.preview {
            // A staff preview shows what the role would see and records nothing.
            return Err(Error::Invalid("nothing is saved in a preview".into()));
        }
        let scope = self.storage_scope(scope)?;
        match db.tenant(self.tenant()).storage_put(&self.scope.plugin_id, scope, &key, &value, only_if_absent).await {
            Ok(stored) => Ok(stored),
            Err(DbError::Invalid(quota)) => Err(Error::QuotaExceeded(quota)),
            Err(other) => Err(unavailable(other)),
        }
    }
}

impl storage::Host for CallState {
    async fn get(&mut self, scope: storage::Scope, key: String) -> Result<Option<String>, Error> {
        let db = self.granted_anywhere(Permission::Storage)?;
        Self::check_key(&key)?;
        let scope = self.storage_scope(scope)?;
        db.tenant(self.tenant()).storage_get(&self.scope.plugin_id, scope, &key).await.map_err(unavailable)
    }

    async fn set(&mut self, scope: storage::Scope, key: String, value: String) -> Result<(), Error> {
        self.put(scope, key, value, false).await.map(|_| ())
    }

    async fn insert(&mut self, scope: storage::Scope, key: String, value: String) -> Result<bool, Error> {
        self.put(scope, key, value, true).await
    }

    async fn delete(&mut self, scope: storage::Scope, key: String) -> Result<(), Error> {
        let db = self.granted_anywhere(Permission::Storage)?;
        self.may_change(Permission::Storage, Change::OwnRecords)?;
        Self::check_key(&key)?;
        let scope = self.storage_scope(scope)?;
        db.tenant(self.tenant()).storage_delete(&self.scope.plugin_id, scope, &key).await.map_err(unavailable)
    }

    async fn list_keys(&mut self, scope: storage::Scope, prefix: String) -> Result<Vec<String>, Error> {
        let db = self.granted_anywhere(Permission::Storage)?;
        let scope = self.storage_scope(scope)?;
        db.tenant(self.tenant()).storage_keys(&self.scope.plugin_id, scope, &prefix).await.map_err(unavailable)
    }
}

impl CallState {
    /// Queue a section's message once its quotas allow it, and remember a
    /// quota's refusal: every later message of the same call is then refused
    /// by [`CallState::mail_quota_left`], which each sending host function
    /// asks before any query of its own, so a section looping over sends
    /// cannot keep the database busy until its deadline (quotas only fill
    /// within a call).
    async fn send_mail(&mut self, db: Db, address: &str, data: &str) -> Result<String, Error> {
        let sent = send_section_mail(&db, &self.scope, address, data).await;
        if let Err(Error::QuotaExceeded(quota)) = &sent {
            self.mail_refused = Some(quota.clone());
        }
        sent
    }

    /// Refused at once if this call already reached a mail quota.
    fn mail_quota_left(&self) -> Result<(), Error> {
        match &self.mail_refused {
            Some(quota) => Err(Error::QuotaExceeded(quota.clone())),
            None => Ok(()),
        }
    }
}

/// Queue a section's message once its quotas allow it. A refusal is
/// written to the business's audit log, once a day per section.
async fn send_section_mail(db: &Db, scope: &super::CallScope, address: &str, data: &str) -> Result<String, Error> {
    let tenant = &scope.tenant_id;
    let plugin_id = &scope.plugin_id;
    let job_id = scope.job_id.as_ref();
    let since = portico_core::model::now() - DAY;
    let sender = SectionSender { plugin_id, section_name: &scope.plugin_name, job_id };
    let quotas = (MAIL_PER_JOB_PER_DAY, MAIL_PER_BUSINESS_PER_DAY, since);
    let quota = match db.tenant(tenant).enqueue_section_mail(address, data, &sender, quotas).await.map_err(unavailable)? {
        Ok(id) => return Ok(id),
        Err(MailQuota::PerJob(n)) => format!("{n} messages for one job in 24 hours"),
        Err(MailQuota::PerBusiness(n)) => format!("{n} messages for the business in 24 hours"),
    };
    const ACTION: &str = "section.mail-quota-reached";
    if !db.tenant(tenant).audited_since(plugin_id, ACTION, since).await.map_err(unavailable)? {
        let summary = format!("The {} section reached its mail quota ({quota}); further messages were refused", scope.plugin_name);
        let mut entry = AuditEntry::new(tenant, ACTION, &summary);
        entry.job_id = job_id.cloned();
        entry.plugin_id = Some(plugin_id.clone());
        db.record_audit(&entry).await.map_err(unavailable)?;
    }
    Err(Error::QuotaExceeded(format!("a section may send {quota}")))
}

/// Whether the business wrote `address` in a section's settings: as a whole
/// value, or a whole item of one (lines, spaces, `|`, `,`, `;` and the
/// brackets of `Name <address>` separate items).
/// Exact after normalising, never a substring: `joe@movers.co` is not
/// `joe@movers.com`, nor is `joe@movers.com.evil.example`.
pub fn settings_name_address(settings_json: &str, address: &str) -> bool {
    fn strings<'v>(value: &'v serde_json::Value, found: &mut Vec<&'v str>) {
        match value {
            serde_json::Value::String(text) => found.push(text),
            serde_json::Value::Array(items) => items.iter().for_each(|item| strings(item, found)),
            serde_json::Value::Object(map) => map.values().for_each(|item| strings(item, found)),
            _ => {}
        }
    }
    let Ok(settings) = serde_json::from_str::<serde_json::Value>(settings_json) else { return false };
    let mut found = Vec::new();
    strings(&settings, &mut found);
    found
        .into_iter()
        .flat_map(|text| text.split(|c: char| c.is_whitespace() || matches!(c, '|' | ',' | ';' | '<' | '>')))
        .filter_map(portico_core::email::normalize_email)
        .any(|named| named == address)
}

impl office::Host for CallState {
    async fn notify(&mut self, subject: String, body: String) -> Result<u32, Error> {
        let db = self.granted_anywhere(Permission::NotifyOffice)?.clone();
        self.may_change(Permission::NotifyOffice, Change::OwnRecords)?;
        if self.scope.preview {
            return Err(Error::Invalid("nothing is sent in a preview".into()));
        }
        self.mail_quota_left()?;
        if subject.trim().is_empty() || subject.len() > 300 || body.len() > 16 * 1024 {
            return Err(Error::Invalid("the subject is 1-300 bytes and the body at most 16 KiB".into()));
        }
        let tenant = self.tenant();
        // Who runs the business: the host's choice, never the section's.
        let office: Vec<String> =
            portico_services::office::members(&db, tenant).await.map_err(unavailable)?.into_iter().map(|user| user.email).collect();
        let about = match &self.scope.job_id {
            Some(job_id) => db.tenant(tenant).job(job_id).await.map_err(unavailable)?.map(|job| format!("\n\nAbout job {}.", job.reference)),
            None => None,
        };
        let data = serde_json::json!({ "subject": subject, "body": format!("{body}{}", about.unwrap_or_default()) }).to_string();
        let mut told = 0;
        for address in office {
            self.send_mail(db.clone(), &address, &data).await?;
            told += 1;
        }
        Ok(told)
    }
}

impl notify::Host for CallState {
    async fn email_contact(&mut self, contact_id: String, template: String, data: String) -> Result<String, Error> {
        let (db, job_id) = self.granted(Permission::Notify)?;
        self.may_change(Permission::Notify, Change::OwnRecords)?;
        if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&data).is_err() {
            return Err(Error::Invalid("template data must be a JSON object".into()));
        }
        if self.scope.preview {
            return Err(Error::Invalid("nothing is sent in a preview".into()));
        }
        if !portico_services::mail::templates::kind(&template).is_some_and(|kind| kind.for_plugins) {
            return Err(Error::Invalid(format!("sections may send the \"message\" template, not {template:?}")));
        }
        self.mail_quota_left()?;
        let db = db.clone();
        let contacts = db.tenant(self.tenant()).job_contacts(job_id).await.map_err(unavailable)?;
        let contact = contacts.into_iter().find(|c| c.contact_id == contact_id).ok_or(Error::NotFound)?;
        let address = contact.email.ok_or_else(|| Error::Invalid("the contact has no e-mail address".into()))?;
        self.send_mail(db, &address, &data).await
    }

    async fn email_partner(&mut self, address: String, subject: String, body: String) -> Result<String, Error> {
        let (db, _) = self.granted(Permission::Notify)?;
        self.may_change(Permission::Notify, Change::OwnRecords)?;
        if self.scope.preview {
            return Err(Error::Invalid("nothing is sent in a preview".into()));
        }
        self.mail_quota_left()?;
        let Some(address) = portico_core::email::normalize_email(&address) else {
            return Err(Error::Invalid("that is not an e-mail address".into()));
        };
        // Only an address the business itself wrote in this section's settings
        // (what the owner saved, not the plugin's defaults): a section can
        // never mail whomever it likes.
        let installation = db.tenant(self.tenant()).installation(&self.scope.plugin_id).await.map_err(unavailable)?.ok_or(Error::NotFound)?;
        if !settings_name_address(&installation.settings_json, &address) {
            return Err(Error::Invalid("the business did not name that address in this section's settings".into()));
        }
        if subject.trim().is_empty() || subject.len() > 300 || body.len() > 16 * 1024 {
            return Err(Error::Invalid("the subject is 1-300 bytes and the body at most 16 KiB".into()));
        }
        let data = serde_json::json!({ "subject": subject, "body": body }).to_string();
        self.send_mail(db.clone(), &address, &data).await
    }
}

impl audit::Host for CallState {
    async fn record_event(&mut self, action: String, summary: String, details: String) -> Result<audit::Receipt, Error> {
        let db = self.granted_anywhere(Permission::Audit)?;
        self.may_change(Permission::Audit, Change::OwnRecords)?;
        if action.is_empty() || action.len() > 100 || summary.len() > 1000 || details.len() > 16 * 1024 {
            return Err(Error::Invalid("action is 1-100 bytes, summary at most 1000, details at most 16 KiB".into()));
        }
        if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&details).is_err() {
            return Err(Error::Invalid("details must be a JSON object".into()));
        }
        if self.scope.preview {
            return Err(Error::Invalid("nothing is recorded in a preview".into()));
        }
        let mut entry = AuditEntry::new(self.tenant(), &action, &summary);
        entry.job_id = self.scope.job_id.clone();
        entry.plugin_id = Some(self.scope.plugin_id.clone());
        entry.details = details;
        entry.ip = self.scope.origin.ip.clone();
        entry.user_agent = self.scope.origin.user_agent.clone();
        // The section's words, shown as the section's on the activity page.
        entry.written_by = "section".into();
        if let Some(viewer) = &self.scope.viewer {
            // On a staff surface, the staff member who acted.
            entry.actor_kind = if viewer.role == Role::Staff { "staff" } else { "contact" }.into();
            entry.actor_id = viewer.staff.as_ref().map(|staff| staff.user_id.clone()).or_else(|| viewer.contact_id.clone());
            entry.actor_name = viewer.display_name.clone();
        }
        db.record_audit(&entry).await.map_err(unavailable)?;
        Ok(audit::Receipt {
            id: entry.id,
            at: entry.created_at,
            actor: entry.actor_name,
            ip: entry.ip,
            user_agent: entry.user_agent,
        })
    }
}

impl log::Host for CallState {
    async fn write(&mut self, level: log::Level, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return;
        }
        // One plugin line is one log line: control characters (a newline
        // that would start a forged line, terminal escapes) are escaped.
        let message = portico_core::text::one_line(&message, MAX_LOG_BYTES);
        let plugin = &self.scope.plugin_id;
        let version = &self.scope.plugin_version;
        let job = self.scope.job_id.as_ref().map_or("-", JobId::as_str);
        match level {
            log::Level::Debug => tracing::debug!(target: "plugin", plugin, version, job, "{message}"),
            log::Level::Info => tracing::info!(target: "plugin", plugin, version, job, "{message}"),
            log::Level::Warn => tracing::warn!(target: "plugin", plugin, version, job, "{message}"),
            log::Level::Error => tracing::error!(target: "plugin", plugin, version, job, "{message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_addresses_match_exactly_what_the_business_wrote() {
        let settings = r#"{"offers":"Movers | Plan | Help | Quotes@Movers.example\nPainters | Paint | Walls | paint@brush.example","title":"x@y.example"}"#;
        assert!(settings_name_address(settings, "quotes@movers.example"));
        assert!(settings_name_address(settings, "paint@brush.example"));
        assert!(settings_name_address(settings, "x@y.example"), "a whole value counts");
        assert!(settings_name_address(r#"{"to":"Movers <quotes@movers.example> painters@brush.example"}"#, "quotes@movers.example"), "Name <address> and spaces");
        assert!(settings_name_address(r#"{"to":"Movers <quotes@movers.example> painters@brush.example"}"#, "painters@brush.example"));
        assert!(!settings_name_address(settings, "quotes@movers.exampl"), "a prefix is not the address");
        assert!(!settings_name_address(settings, "s@movers.example"), "a suffix is not the address");
        assert!(!settings_name_address(settings, "quotes@movers.example.evil"), "nor a look-alike domain");
        assert!(!settings_name_address("not json", "x@y.example"));
    }

    #[test]
    fn control_characters_in_plugin_log_lines_are_escaped() {
        let forged = "ok\n2026-11-27T10:00:00Z INFO staff signed in email=owner@example.com\x1b[2K";
        let escaped = portico_core::text::one_line(forged, 2048);
        assert!(!escaped.chars().any(char::is_control), "{escaped}");
        assert!(escaped.starts_with("ok\\n2026"), "{escaped}");
    }
}
