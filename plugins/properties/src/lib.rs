//! The account hub's Properties tab: every place the client has jobs at, as
//! the business describes it (name, kind, address, its notes and access
//! notes for clients), with the jobs there and their invoices. A property
//! manager or a holiday-rental host sees each of their places in one list.
//!
//! Under each place, its files and photos: the documents the business
//! published there and the photos the crew took, newest first.
//!
//! The host decides which properties, jobs, invoices and files the viewer
//! reaches and never gives a section the business's internal notes.

use portico_plugin_sdk::account::{self, AccountFile, AccountInvoice, AccountJob, PropertyProfile};
use portico_plugin_sdk::billing::status_chip;
use portico_plugin_sdk::job_data::{property_kind_label, stage_chip};
use portico_plugin_sdk::money::amount;
use portico_plugin_sdk::prelude::*;

struct Properties;

const CARD: &str = "properties";

/// The newest jobs listed under a property; the Jobs tab has them all.
const JOBS_SHOWN: usize = 10;

/// The host shows at most this many blocks of a card, so the card shares
/// them out between the places and the last one is never cut short.
const MAX_BLOCKS: usize = 50;

/// The most documents linked, and photos shown, under one property; each
/// job's page has the rest.
const DOCUMENTS_SHOWN: usize = 4;
const PHOTOS_SHOWN: usize = 6;

impl Section for Properties {
    fn describe() -> Descriptor {
        Descriptor::new("properties", "Properties", env!("CARGO_PKG_VERSION"))
            .description("Lists every property the client has jobs at, with its name, kind, address and the notes you show clients, its jobs and its invoices.")
            .card(CardSpec::hub_tab(CARD, "Your properties", "Properties").everyone())
            .permission(Permission::AccountRead, "Lists the client's properties with their jobs and invoices on their account page.")
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        let profiles = match account::list_property_profiles() {
            Ok(profiles) => profiles,
            Err(HostError::Denied(_)) => {
                return Ok(vec![Card::new(CARD).task(TaskState::Info).notice(Tone::Warning, "Your properties cannot be shown here yet.")]);
            }
            Err(error) => return Err(format!("listing properties failed: {error}")),
        };
        let jobs = account::list_jobs().map_err(|error| format!("listing jobs failed: {error}"))?;
        // Agents see the places of the jobs they follow, not their bills:
        // the host lists no invoices for them.
        let invoices = account::list_invoices().map_err(|error| format!("listing invoices failed: {error}"))?;
        let files = account::list_files().map_err(|error| format!("listing files failed: {error}"))?;
        Ok(vec![properties_card(&profiles, &jobs, &invoices, &files)])
    }
}

fn properties_card(profiles: &[PropertyProfile], jobs: &[AccountJob], invoices: &[AccountInvoice], files: &[AccountFile]) -> Card {
    let card = Card::new(CARD).task(TaskState::Info);
    if profiles.is_empty() {
        return card.text("You have no jobs with us yet, so no properties either.");
    }
    let mut card = if profiles.len() == 1 { card } else { card.text(format!("You have jobs at {} properties.", profiles.len())) };
    let share = MAX_BLOCKS.saturating_sub(card.blocks.len()) / profiles.len();
    for profile in profiles {
        let here: Vec<&AccountJob> = jobs.iter().filter(|job| job.property_id == profile.id).collect();
        let billed: Vec<&AccountInvoice> = invoices.iter().filter(|invoice| here.iter().any(|job| job.id == invoice.job_id)).collect();
        let filed: Vec<&AccountFile> = files.iter().filter(|file| file.property_id == profile.id).collect();
        let budget = card.blocks.len() + share;
        card = property_blocks(card, profile, &here, &billed);
        card = file_blocks(card, &filed, budget);
    }
    card
}

/// One property: what it is, its notes, its jobs and its invoices.
fn property_blocks(card: Card, profile: &PropertyProfile, jobs: &[&AccountJob], invoices: &[&AccountInvoice]) -> Card {
    let address = profile.address.one_line();
    let title = profile.name.clone().unwrap_or_else(|| profile.address.line1.clone());
    let mut card = card.heading(title).fields([("Type", property_kind_label(&profile.kind).to_string()), ("Address", address)]);
    card = card.property_notes(&profile.notes);
    let due: i64 = invoices.iter().filter(|invoice| matches!(invoice.invoice.status.as_str(), "due" | "failed")).map(|invoice| invoice.invoice.balance.max(0)).sum();
    card = card.fields([("Jobs here", jobs.len().to_string())]);
    if due > 0 {
        card = card.money("Still to pay for this property", due);
    }
    if let Some(latest) = jobs.iter().filter_map(|job| job.first_visit).max() {
        card = card.moment("Latest visit booked", latest);
    }
    let rows = jobs.iter().take(JOBS_SHOWN).map(|job| vec![job.reference.clone(), stage_chip(&job.stage).0.to_string(), job.role.label().to_string()]).collect();
    card = card.table(["Job", "Where it stands", "You are"], rows);
    // The newest job's page is one tap away; the Jobs tab links them all.
    if let Some(newest) = jobs.first() {
        card = card.link(format!("Open job {}", newest.reference), format!("/jobs/{}", newest.id));
    }
    if jobs.len() > 1 {
        card = card.text(match jobs.len() > JOBS_SHOWN {
            true => format!("And {} earlier jobs. The Jobs tab opens each of them.", jobs.len() - JOBS_SHOWN),
            false => "The Jobs tab opens each of them.".to_string(),
        });
    }
    if !invoices.is_empty() {
        let rows = invoices
            .iter()
            .map(|invoice| vec![invoice.invoice.number.clone(), invoice.job_reference.clone(), amount(invoice.invoice.total), amount(invoice.invoice.balance.max(0)), status_chip(&invoice.invoice.status).0.to_string()])
            .collect();
        card = card.table(["Invoice", "Job", "Total", "Balance", "Status"], rows);
    }
    card
}

/// The property's files and photos, newest first, in the blocks left of
/// its share of the card (`budget` is the block count it may reach): the
/// documents as links, the photos as pictures, and how many more there are.
fn file_blocks(card: Card, files: &[&AccountFile], budget: usize) -> Card {
    // A heading, a file and a line for the rest, or nothing: the job pages have them.
    if files.is_empty() || budget < card.blocks.len() + 3 {
        return card;
    }
    let (photos, documents): (Vec<&AccountFile>, Vec<&AccountFile>) = files.iter().partition(|file| file.thumbnail_url.is_some());
    // A heading, and a line for what does not fit.
    let mut room = budget.saturating_sub(card.blocks.len() + 2);
    let documents_shown = documents.len().min(DOCUMENTS_SHOWN).min(room);
    room -= documents_shown;
    let photos_shown = photos.len().min(PHOTOS_SHOWN).min(room);
    let mut card = card.heading("Files and photos");
    for document in documents.iter().take(documents_shown) {
        card = card.link(format!("{} (job {})", document.title, document.job_reference), document.url.clone());
    }
    for photo in photos.iter().take(photos_shown) {
        let alt = match &photo.attached_by {
            Some(by) => format!("Photo from job {}, taken by {by}", photo.job_reference),
            None => format!("Photo from job {}", photo.job_reference),
        };
        card = card.image(photo.thumbnail_url.clone().unwrap_or_default(), alt);
    }
    let more = files.len() - documents_shown - photos_shown;
    if more > 0 {
        card = card.text(format!("{} more {} on the pages of the jobs here.", more, if more == 1 { "file is" } else { "files are" }));
    }
    card
}

export_section!(Properties);
