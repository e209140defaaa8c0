//! A job page's rows in one statement: the job, its property, visits,
//! services, people, crew, latest step, notes, documents, its agreements
//! (the business's templates, the job's locked copies and signatures), its
//! invoices with their lines, the business's add-ons and the job's requests
//! for them, and what sections keep for the job and its people.
//!
//! On a page render's snapshot ([`Db::snapshot`](super::Db::snapshot)) each
//! of those is otherwise its own query, asked by the page and by several
//! sections. [`TenantDb::prefetch_job`] reads them together (a `UNION ALL`
//! of one row shape: a part name, eleven texts, four numbers, two order keys) and keeps each
//! in the snapshot as the read that would have found it, in that read's
//! order, so every later ask is answered without a statement.

use super::add_ons::{AddOnRequest, AddOnService};
use super::agreements::{AgreementTemplate, LockedAgreement, StoredSignature};
use super::storage::{StoredEntry, StoredOnPage};
use super::crew::CrewMember;
use super::notes::JobNote;
use super::stages::JobStep;
use super::{Backend, DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{AddOnStatus, Appointment, Document, Invoice, InvoiceLine, Job, JobContact, JobService, Property, RoleColumn, StaffRole};
use portico_core::stages::JobStage;

/// One row of the union: which part, and its values in order.
#[derive(sqlx::FromRow)]
struct Part {
    part: String,
    t1: Option<String>,
    t2: Option<String>,
    t3: Option<String>,
    t4: Option<String>,
    t5: Option<String>,
    t6: Option<String>,
    t7: Option<String>,
    t8: Option<String>,
    t9: Option<String>,
    t10: Option<String>,
    t11: Option<String>,
    n1: Option<i64>,
    n2: Option<i64>,
    n3: Option<i64>,
    n4: Option<i64>,
    /// The part's order (a service's position, a person's arrival), and a
    /// second key where the read orders by two.
    k: Option<i64>,
    k2: Option<i64>,
}

const TEXTS: usize = 11;
const NUMBERS: usize = 4;

/// One branch of the union: `part`'s texts and numbers (padded with typed
/// NULLs to the row's shape), its order keys, and where they come from.
fn branch(part: &str, texts: &[&str], numbers: &[&str], order: [&str; 2], from: &str) -> String {
    let first = part == "job";
    let mut columns = vec![if first { format!("'{part}' AS part") } else { format!("'{part}'") }];
    let padded = |values: &[&str], width: usize, null: &str, cast: &str, name: char| -> Vec<String> {
        (0..width)
            .map(|i| {
                let value = values.get(i).map(|v| format!("CAST({v} AS {cast})")).unwrap_or_else(|| null.to_string());
                if first { format!("{value} AS {name}{}", i + 1) } else { value }
            })
            .collect()
    };
    columns.extend(padded(texts, TEXTS, "CAST(NULL AS TEXT)", "TEXT", 't'));
    columns.extend(padded(numbers, NUMBERS, "CAST(NULL AS BIGINT)", "BIGINT", 'n'));
    for (key, name) in order.iter().zip(["k", "k2"]) {
        let value = if key.is_empty() { "CAST(NULL AS BIGINT)".to_string() } else { format!("CAST({key} AS BIGINT)") };
        columns.push(if first { format!("{value} AS {name}") } else { value });
    }
    format!("SELECT {} FROM {from}", columns.join(", "))
}

/// The most sections' storage entries a page keeps, and the longest value
/// (in bytes) it keeps of them: a longer value is read when asked for,
/// and a job whose sections keep more entries has its storage read key by
/// key, so a section filling its quota cannot make every render hold it all.
const STORED_ENTRIES: usize = 256;
const STORED_VALUE_BYTES: usize = 4096;

/// Of the job `$2` of the business `$1`.
const OF_JOB: &str = "tenant_id = $1 AND job_id = $2";

fn snapshot_sql(backend: Backend) -> String {
    let branches = [
        branch("job", &["j.id", "j.tenant_id", "j.property_id", "j.reference", "j.status"], &[], ["", ""], "jobs j WHERE j.tenant_id = $1 AND j.id = $2"),
        branch(
            "property",
            &["p.id", "p.line1", "p.line2", "p.city", "p.region", "p.postal_code", "p.country", "p.name", "p.kind"],
            &[],
            ["", ""],
            "jobs j JOIN properties p ON p.tenant_id = j.tenant_id AND p.id = j.property_id WHERE j.tenant_id = $1 AND j.id = $2",
        ),
        branch("appointment", &["id", "staff_name", "status"], &["starts_at", "ends_at"], ["starts_at", ""], &format!("appointments WHERE {OF_JOB}")),
        branch("service", &["id", "name"], &["price_minor", "tax_rate_bp"], ["position", ""], &format!("job_services WHERE {OF_JOB}")),
        branch(
            "contact",
            &["jc.id", "jc.job_id", "jc.contact_id", "jc.role", "c.name", "c.email", "c.phone"],
            &[],
            ["jc.created_at", ""],
            "job_contacts jc JOIN contacts c ON c.id = jc.contact_id WHERE jc.tenant_id = $1 AND jc.job_id = $2",
        ),
        branch(
            "crew",
            &["s.id", "s.display_name", "s.role"],
            &[],
            ["c.assigned_at", ""],
            "job_crew c JOIN staff_users s ON s.id = c.staff_user_id AND s.tenant_id = c.tenant_id WHERE c.tenant_id = $1 AND c.job_id = $2",
        ),
        branch(
            "step",
            &["id", "stage", "by_name"],
            &["at"],
            ["", ""],
            &format!("job_steps WHERE {OF_JOB} AND id = (SELECT id FROM job_steps WHERE {OF_JOB} ORDER BY at DESC, id DESC LIMIT 1)"),
        ),
        branch("note", &["id", "body", "visibility", "by_name"], &["created_at"], ["-created_at", ""], &format!("job_notes WHERE {OF_JOB}")),
        branch(
            "document",
            &["id", "job_id", "kind", "title", "file_key", "content_type", "visible_to"],
            &["byte_size", "published_at"],
            ["created_at", ""],
            &format!("documents WHERE {OF_JOB}"),
        ),
        branch(
            "template",
            &["id", "title", "body", "signer_roles", "services"],
            &["position", "active", "updated_at"],
            ["position", "created_at"],
            "agreement_templates WHERE tenant_id = $1",
        ),
        branch(
            "locked",
            &["template_id", "title", "body", "body_sha256", "signer_roles"],
            &["locked_at"],
            ["locked_at", ""],
            &format!("job_agreements WHERE {OF_JOB}"),
        ),
        branch(
            "signature",
            &["id", "template_id", "contact_id", "role", "contact_name", "contact_email", "signer_name", "consent_text", "ip", "user_agent", "audit_id"],
            &["signed_at"],
            ["signed_at", ""],
            &format!("agreement_signatures WHERE {OF_JOB}"),
        ),
        branch(
            "invoice",
            &["id", "number", "status"],
            &["tax_minor", "paid_minor", "due_at", "written_off_at"],
            ["-created_at", ""],
            &format!("invoices WHERE {OF_JOB} AND status <> 'draft'"),
        ),
        branch(
            "line",
            &["l.invoice_id", "l.kind", "l.description"],
            &["l.quantity", "l.unit_price_minor"],
            ["l.position", ""],
            "invoice_lines l JOIN invoices i ON i.id = l.invoice_id AND i.tenant_id = l.tenant_id WHERE l.tenant_id = $1 AND i.job_id = $2",
        ),
        branch(
            "add_on_service",
            &["id", "name", "description"],
            &["price_minor", "active"],
            ["position", "created_at"],
            "add_on_services WHERE tenant_id = $1",
        ),
        branch(
            "add_on_request",
            &["r.id", "r.service_id", "s.name", "r.requested_by", "r.status", "r.decided_by"],
            &["s.price_minor", "r.requested_at"],
            ["r.requested_at", ""],
            "add_on_requests r JOIN add_on_services s ON s.id = r.service_id AND s.tenant_id = r.tenant_id WHERE r.tenant_id = $1 AND r.job_id = $2",
        ),
        branch(
            "storage",
            &["plugin_id", "scope", "scope_id", "key", "small"],
            &["value_bytes"],
            ["", ""],
            &format!(
                "(SELECT plugin_id, scope, scope_id, key, {bytes} AS value_bytes, \
                         CASE WHEN {bytes} <= {STORED_VALUE_BYTES} THEN value END AS small \
                  FROM plugin_storage WHERE tenant_id = $1 AND ((scope = 'job' AND scope_id = $2) \
                     OR (scope = 'contact' AND scope_id IN (SELECT id FROM job_contacts WHERE {OF_JOB}))) \
                  LIMIT {}) stored",
                STORED_ENTRIES + 1,
                // Bytes, not characters: SQLite's LENGTH of text stops at a NUL.
                bytes = match backend {
                    Backend::Sqlite => "LENGTH(CAST(value AS BLOB))",
                    Backend::Postgres => "OCTET_LENGTH(value)",
                },
            ),
        ),
    ];
    // Not ordered here: sorting would copy every row (agreements' texts and
    // all) through the database's sorter; `prefetch_job` orders them.
    branches.join(" UNION ALL ")
}

/// What the union found, part by part, in each read's own order.
#[derive(Default)]
struct JobRows {
    job: Option<Job>,
    property: Option<Property>,
    appointments: Vec<Appointment>,
    services: Vec<(i64, JobService)>,
    contacts: Vec<(i64, JobContact)>,
    crew: Vec<(i64, CrewMember)>,
    latest_step: Option<JobStep>,
    notes: Vec<JobNote>,
    documents: Vec<Document>,
    templates: Vec<AgreementTemplate>,
    locked: Vec<LockedAgreement>,
    signatures: Vec<StoredSignature>,
    invoices: Vec<Invoice>,
    lines: Vec<InvoiceLine>,
    add_on_services: Vec<(i64, i64, AddOnService)>,
    add_on_requests: Vec<AddOnRequest>,
    storage: Vec<StoredEntry>,
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

impl JobRows {
    fn from_parts(parts: Vec<Part>) -> Result<JobRows, String> {
        let mut rows = JobRows::default();
        for p in parts {
            match p.part.as_str() {
                "job" => {
                    rows.job = Some(Job {
                        id: JobId::new(text(p.t1)),
                        tenant_id: portico_core::ids::TenantId::new(text(p.t2)),
                        property_id: text(p.t3),
                        reference: text(p.t4),
                        status: text(p.t5),
                    })
                }
                "property" => {
                    rows.property = Some(Property {
                        id: text(p.t1),
                        line1: text(p.t2),
                        line2: p.t3,
                        city: text(p.t4),
                        region: text(p.t5),
                        postal_code: text(p.t6),
                        country: text(p.t7),
                        name: p.t8,
                        kind: text(p.t9),
                    })
                }
                "appointment" => rows.appointments.push(Appointment {
                    id: text(p.t1),
                    staff_name: text(p.t2),
                    status: text(p.t3),
                    starts_at: p.n1.unwrap_or_default(),
                    ends_at: p.n2.unwrap_or_default(),
                }),
                "service" => rows.services.push((
                    p.k.unwrap_or_default(),
                    JobService { id: text(p.t1), name: text(p.t2), price_minor: p.n1.unwrap_or_default(), tax_rate_bp: p.n2 },
                )),
                "contact" => rows.contacts.push((
                    p.k.unwrap_or_default(),
                    JobContact {
                        id: text(p.t1),
                        job_id: JobId::new(text(p.t2)),
                        contact_id: text(p.t3),
                        role: RoleColumn::try_from(text(p.t4))?,
                        name: text(p.t5),
                        email: p.t6,
                        phone: p.t7,
                    },
                )),
                "crew" => rows.crew.push((
                    p.k.unwrap_or_default(),
                    CrewMember { staff_user_id: text(p.t1), name: text(p.t2), role: StaffRole::try_from(text(p.t3))? },
                )),
                "step" => {
                    rows.latest_step = Some(JobStep {
                        id: text(p.t1),
                        stage: JobStage::try_from(text(p.t2))?,
                        by_name: text(p.t3),
                        at: p.n1.unwrap_or_default(),
                    })
                }
                "note" => rows.notes.push(JobNote {
                    id: text(p.t1),
                    body: text(p.t2),
                    visibility: text(p.t3),
                    by_name: text(p.t4),
                    created_at: p.n1.unwrap_or_default(),
                }),
                "document" => rows.documents.push(Document {
                    id: text(p.t1),
                    job_id: JobId::new(text(p.t2)),
                    kind: text(p.t3),
                    title: text(p.t4),
                    file_key: text(p.t5),
                    content_type: text(p.t6),
                    visible_to: text(p.t7),
                    byte_size: p.n1.unwrap_or_default(),
                    published_at: p.n2,
                }),
                "template" => rows.templates.push(AgreementTemplate {
                    id: text(p.t1),
                    title: text(p.t2),
                    body: text(p.t3),
                    signer_roles: text(p.t4),
                    services: text(p.t5),
                    position: p.n1.unwrap_or_default(),
                    active: p.n2.unwrap_or_default(),
                    updated_at: p.n3.unwrap_or_default(),
                }),
                "locked" => rows.locked.push(LockedAgreement {
                    template_id: text(p.t1),
                    title: text(p.t2),
                    body: text(p.t3),
                    body_sha256: text(p.t4),
                    signer_roles: text(p.t5),
                    locked_at: p.n1.unwrap_or_default(),
                }),
                "signature" => rows.signatures.push(StoredSignature {
                    id: text(p.t1),
                    template_id: text(p.t2),
                    contact_id: text(p.t3),
                    role: RoleColumn::try_from(text(p.t4))?,
                    contact_name: text(p.t5),
                    contact_email: p.t6,
                    signer_name: text(p.t7),
                    consent_text: text(p.t8),
                    ip: text(p.t9),
                    user_agent: text(p.t10),
                    audit_id: text(p.t11),
                    signed_at: p.n1.unwrap_or_default(),
                }),
                "invoice" => rows.invoices.push(Invoice {
                    id: text(p.t1),
                    number: text(p.t2),
                    status: portico_core::money::InvoiceStatus::try_from(text(p.t3))?,
                    tax_minor: p.n1.unwrap_or_default(),
                    paid_minor: p.n2.unwrap_or_default(),
                    due_at: p.n3,
                    written_off_at: p.n4,
                    created_at: -p.k.unwrap_or_default(),
                }),
                "line" => rows.lines.push(InvoiceLine {
                    invoice_id: text(p.t1),
                    kind: text(p.t2),
                    description: text(p.t3),
                    quantity: p.n1.unwrap_or_default(),
                    unit_price_minor: p.n2.unwrap_or_default(),
                }),
                "add_on_service" => rows.add_on_services.push((
                    p.k.unwrap_or_default(),
                    p.k2.unwrap_or_default(),
                    AddOnService {
                        id: text(p.t1),
                        name: text(p.t2),
                        description: text(p.t3),
                        price_minor: p.n1.unwrap_or_default(),
                        active: p.n2.unwrap_or_default(),
                    },
                )),
                "add_on_request" => rows.add_on_requests.push(AddOnRequest {
                    id: text(p.t1),
                    service_id: text(p.t2),
                    name: text(p.t3),
                    requested_by: text(p.t4),
                    status: AddOnStatus::try_from(text(p.t5))?,
                    decided_by: p.t6,
                    price_minor: p.n1.unwrap_or_default(),
                    requested_at: p.n2.unwrap_or_default(),
                }),
                "storage" => rows.storage.push(StoredEntry {
                    plugin_id: text(p.t1),
                    scope: text(p.t2),
                    scope_id: text(p.t3),
                    key: text(p.t4),
                    value: p.t5,
                }),
                other => return Err(format!("a job snapshot part the query does not make: {other}")),
            }
        }
        // The parts come ordered by `k` and `k2`; the rest of each read's order here.
        rows.services.sort_by(|(a, left), (b, right)| (a, &left.id).cmp(&(b, &right.id)));
        // People who arrived in the same second, in the order of their ids,
        // as the read of a job's contacts has them (a signature's version
        // names the signers in that order).
        rows.contacts.sort_by(|(a, left), (b, right)| (a, &left.id).cmp(&(b, &right.id)));
        rows.crew.sort_by(|(a, left), (b, right)| (a, &left.name).cmp(&(b, &right.name)));
        rows.notes.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        rows.invoices.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        rows.signatures.sort_by(|a, b| (a.signed_at, &a.id).cmp(&(b.signed_at, &b.id)));
        rows.add_on_services.sort_by(|(a, at, _), (b, bt, _)| (a, at).cmp(&(b, bt)));
        rows.add_on_requests.sort_by(|a, b| (a.requested_at, &a.id).cmp(&(b.requested_at, &b.id)));
        Ok(rows)
    }
}

impl TenantDb<'_> {
    /// The job, having read on a snapshot everything its page shows of it
    /// (see the module's comment) in one statement. Without a snapshot,
    /// only the job.
    pub async fn prefetch_job(&self, job_id: &JobId) -> DbResult<Option<Job>> {
        if !self.db.is_snapshot() {
            return self.job(job_id).await;
        }
        static SQL: [std::sync::OnceLock<String>; 2] = [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
        let backend = self.db.backend;
        let sql = SQL[backend as usize].get_or_init(|| snapshot_sql(backend));
        let mut parts: Vec<Part> = sqlx::query_as(sql)
            .bind(self.tenant)
            .bind(job_id)
            .fetch_all(&self.db.pool)
            .await
            .context("reading a job's page")?;
        // Each part in its order, and rows of the same keys by their first
        // text, the id, as each part's own read breaks such ties (visits and
        // documents of the same moment, agreements locked in one second).
        parts.sort_by(|a, b| (&a.part, a.k, a.k2, &a.t1).cmp(&(&b.part, b.k, b.k2, &b.t1)));
        let rows = match JobRows::from_parts(parts) {
            Ok(rows) => rows,
            Err(error) => {
                // A row the page's reads would each refuse on their own (an
                // unknown role or status): those reads run separately, so only
                // the sections that ask for it fail, not the whole page.
                tracing::error!(tenant = %self.tenant, job = %job_id, %error, "a job's page could not be read in one statement");
                return self.job(job_id).await;
            }
        };
        let Some(job) = rows.job else {
            self.db.keep("job", self.tenant, job_id.as_str(), None::<Job>);
            return Ok(None);
        };
        let (db, tenant, of) = (self.db, self.tenant, job_id.as_str());
        db.keep("job", tenant, of, Some(job.clone()));
        if let Some(property) = rows.property {
            db.keep("find_property", tenant, &job.property_id, Some(property));
        }
        db.keep("appointments", tenant, of, rows.appointments);
        db.keep("services", tenant, of, rows.services.into_iter().map(|(_, service)| service).collect::<Vec<_>>());
        let contacts: Vec<JobContact> = rows.contacts.into_iter().map(|(_, contact)| contact).collect();
        let contacts_of_job: Vec<String> = contacts.iter().map(|contact| contact.id.clone()).collect();
        db.keep("job_contacts", tenant, of, contacts);
        db.keep("job_crew", tenant, of, rows.crew.into_iter().map(|(_, member)| member).collect::<Vec<_>>());
        let stage = rows.latest_step.as_ref().map(|step| step.stage).unwrap_or_else(|| JobStage::from_status(&job.status));
        db.keep("job_stage", tenant, of, (stage, rows.latest_step));
        let for_clients: Vec<JobNote> = rows.notes.iter().filter(|note| note.for_clients()).cloned().collect();
        db.keep("job_notes", tenant, &format!("{job_id}/false"), for_clients);
        db.keep("job_notes", tenant, &format!("{job_id}/true"), rows.notes);
        db.keep("documents", tenant, &format!("{job_id}/"), rows.documents);
        db.keep("agreement_templates", tenant, "", rows.templates);
        db.keep("locked_agreements", tenant, of, rows.locked);
        db.keep("agreement_signatures", tenant, of, rows.signatures);
        let invoices: Vec<(Invoice, Vec<InvoiceLine>)> = rows
            .invoices
            .into_iter()
            .map(|invoice| {
                let own = rows.lines.iter().filter(|line| line.invoice_id == invoice.id).cloned().collect();
                (invoice, own)
            })
            .collect();
        db.keep("invoices", tenant, of, invoices);
        db.keep("add_on_services", tenant, "", rows.add_on_services.into_iter().map(|(_, _, service)| service).collect::<Vec<_>>());
        db.keep("add_on_requests", tenant, of, rows.add_on_requests);
        if rows.storage.len() <= STORED_ENTRIES {
            let people = contacts_of_job.iter().map(String::as_str);
            db.keep(StoredOnPage::READ, tenant, "", std::sync::Arc::new(StoredOnPage::new(job_id, people, rows.storage)));
        }
        Ok(Some(job))
    }
}
