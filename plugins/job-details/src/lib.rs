//! The tabs every job portal has: **Order details** (services, address, date
//! and time, every person on the job), **Documents** (invoices, signed
//! agreements, attachments and reports, each only when the viewer may open
//! it) and **Contact us** (the inspector and the business).
//!
//! The bill stays with those who see it: prices and invoices only for the
//! clients and staff; the clients' own e-mail and phone only for clients.

use portico_plugin_sdk::agreements::list_agreements;
use portico_plugin_sdk::billing::list_invoices;
use portico_plugin_sdk::documents::{list_documents, wording};
use portico_plugin_sdk::job_data::{get_business, get_job, get_property, list_contacts, list_notes, property_kind_label, Contact};
use portico_plugin_sdk::prelude::*;

struct JobDetails;

const ORDER: &str = "order-details";
const DOCUMENTS: &str = "documents";
const CONTACT: &str = "contact-us";

impl Section for JobDetails {
    fn describe() -> Descriptor {
        Descriptor::new("job-details", "Order details, documents and contact", env!("CARGO_PKG_VERSION"))
            .description("The Order details, Documents and Contact us tabs: what was ordered, for where and when, who is on the job, every document the viewer may open, and whom to call.")
            .card(CardSpec::tab(ORDER, "Order details", "Order Details").everyone())
            .card(CardSpec::tab(DOCUMENTS, "Documents", "Documents").everyone())
            .card(CardSpec::tab(CONTACT, "Contact us", "Contact Us").everyone())
            .permission(Permission::JobRead, "Shows the services, address, appointments, the people on the job and your contact details.")
            .permission(Permission::DocumentsRead, "Lists the reports and attachments the viewer may open.")
            .permission(Permission::BillingRead, "Lists the invoices for the clients.")
            .permission(Permission::Agreements, "Lists the signed agreements the viewer may download.")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let job = get_job().map_err(|e| format!("reading the job failed: {e}"))?;
        let contacts = list_contacts().map_err(|e| format!("listing the people failed: {e}"))?;
        let business = get_business().map_err(|e| format!("reading the business failed: {e}"))?;
        Ok(vec![order_card(ctx, &job, &contacts), documents_card(ctx), contact_card(&job, &business)])
    }
}

fn sees_billing(role: Role) -> bool {
    matches!(role, Role::Client | Role::CoClient | Role::Staff)
}

fn order_card(ctx: &Context, job: &portico_plugin_sdk::job_data::Job, contacts: &[Contact]) -> Card {
    // Where the job stands today, once the office moved it.
    let card = match job.stage.as_str() {
        "scheduled" => Card::new(ORDER),
        stage => {
            let (label, tone) = portico_plugin_sdk::job_data::stage_chip(stage);
            Card::new(ORDER).status(label, tone)
        }
    };
    let card = card.task(TaskState::Info).fields([("Reference", job.reference.clone())]);
    let card = property_blocks(card, job);
    let card = job.appointments.iter().filter(|a| a.status != "cancelled").fold(card, |card, appointment| {
        card.moment(format!("Appointment with {}", appointment.staff_name), appointment.starts_at)
    });
    // Everyone the office put on the visit, when it named more than the lead.
    let card = if job.crew.is_empty() { card } else { card.fields([("Your crew", portico_plugin_sdk::documents::wording::join(&job.crew))]) };
    // What the office wrote for the clients (the host gives agents none).
    let notes = list_notes().unwrap_or_default();
    let card = if notes.is_empty() {
        card
    } else {
        notes.iter().fold(card.heading("Notes from the office"), |card, note| {
            card.text(note.text.clone()).moment(format!("By {}", note.author), note.written_at)
        })
    };
    let card = if job.services.is_empty() {
        card
    } else if sees_billing(ctx.viewer.role) {
        job.services.iter().fold(card.heading("Services"), |card, service| card.money(service.name.clone(), service.price))
    } else {
        card.heading("Services").block(Block::Bullets(job.services.iter().map(|s| s.name.clone()).collect()))
    };
    // Clients' own details stay among the clients; agents and the business are reachable by all.
    let shows_details = |contact: &Contact| matches!(ctx.viewer.role, Role::Client | Role::CoClient | Role::Staff) || !matches!(contact.role, Role::Client | Role::CoClient);
    let rows: Vec<Vec<String>> = contacts
        .iter()
        .map(|contact| {
            let (email, phone) = if shows_details(contact) {
                (contact.email.clone().unwrap_or_default(), contact.phone.clone().unwrap_or_default())
            } else {
                (String::new(), String::new())
            };
            vec![contact.name.clone(), contact.role.label().to_string(), email, phone]
        })
        .collect();
    card.heading("People on this job").table(["Name", "Role", "E-mail", "Phone"], rows)
}

/// The job's address, and the property's name, kind and notes for clients
/// when the business described it (a home inspection's house is simply its
/// address).
fn property_blocks(card: Card, job: &portico_plugin_sdk::job_data::Job) -> Card {
    let Ok(property) = get_property() else {
        return card.fields([("Property", job.property.one_line())]);
    };
    let card = match &property.name {
        Some(name) => card.fields([
            ("Property", name.clone()),
            ("Address", job.property.one_line()),
            ("Type", property_kind_label(&property.kind).to_string()),
        ]),
        None => card.fields([("Property", job.property.one_line())]),
    };
    card.property_notes(&property.notes)
}

fn documents_card(ctx: &Context) -> Card {
    let mut card = Card::new(DOCUMENTS).task(TaskState::Info);
    let mut listed = 0;
    if sees_billing(ctx.viewer.role) {
        for invoice in list_invoices().unwrap_or_default() {
            card = card.link(format!("Invoice {} (PDF)", invoice.number), invoice.pdf_url.clone());
            listed += 1;
        }
    }
    for agreement in list_agreements().unwrap_or_default() {
        if let Some(url) = &agreement.pdf_url {
            card = card.link(format!("{} (signed, PDF)", agreement.title), url.clone());
            listed += 1;
        }
    }
    let mut documents = list_documents("").unwrap_or_default();
    documents.sort_by_key(|d| d.published_at);
    for document in documents.iter().filter(|d| d.kind != "photo") {
        if let Some(url) = &document.url {
            card = card.link(document.title.clone(), url.clone());
            listed += 1;
        }
    }
    let held = documents.iter().find(|d| d.kind == "report" && !d.held_until.is_empty() && d.visible_to.contains(&ctx.viewer.role));
    if let Some(report) = held {
        card = card.notice(Tone::Info, wording::held(ctx.viewer.role, &report.held_until));
    }
    let held = held.is_some();
    if listed == 0 && !held {
        card = card.text("No documents have been shared with you yet.");
    }
    card
}

fn contact_card(job: &portico_plugin_sdk::job_data::Job, business: &portico_plugin_sdk::job_data::Business) -> Card {
    let mut inspectors: Vec<&str> = job.appointments.iter().map(|a| a.staff_name.as_str()).filter(|name| !name.trim().is_empty()).collect();
    inspectors.dedup();
    let card = Card::new(CONTACT).task(TaskState::Info).heading(business.name.clone());
    let card = match inspectors.as_slice() {
        [] => card,
        names => card.fields([("Your inspector", names.join(", "))]),
    };
    let card = match &business.phone {
        Some(phone) => card.fields([("Phone", phone.clone())]),
        None => card,
    };
    let card = match &business.email {
        Some(email) => card.fields([("E-mail", email.clone())]),
        None => card,
    };
    card.text(format!("Questions about job {}? Call or write and mention it.", job.reference))
}

export_section!(JobDetails);
