//! "Create repair list": once the report is released, the clients pick the
//! findings they want repaired or credited, add a note and the credit they
//! ask for, keep it as a draft, and share it with their agent, who then sees
//! the list as shared (later edits stay a draft until shared again). Either
//! side downloads it as a PDF or CSV, written by the host.

use portico_plugin_sdk::documents::{list_report_items, ItemSeverity, ReportItem};
use portico_plugin_sdk::job_data::list_contacts;
use portico_plugin_sdk::prelude::*;
use portico_plugin_sdk::{money, Download, DownloadFormat, FormField, InputKind};
use serde::{Deserialize, Serialize};

struct RepairList;

const CARD: &str = "repair-list";
const DRAFT: &str = "repair-list/draft";
const SHARED: &str = "repair-list/shared";
/// Blocks the items may take; a card holds at most 50.
const ITEM_BLOCKS: usize = 38;

/// The clients' working copy.
#[derive(Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
struct Draft {
    items: Vec<String>,
    note: String,
    credit_minor: i64,
}

/// What the agent sees: a copy of the findings as they were when shared.
#[derive(Serialize, Deserialize, Clone)]
struct Shared {
    draft_items: Vec<String>,
    items: Vec<SharedItem>,
    note: String,
    credit_minor: i64,
    shared_by: String,
    shared_at: i64,
}

#[derive(Serialize, Deserialize, Clone)]
struct SharedItem {
    section: String,
    title: String,
    severity: String,
    location: String,
    notes: String,
}

impl SharedItem {
    fn of(item: &ReportItem) -> SharedItem {
        SharedItem {
            section: item.section.clone(),
            title: item.title.clone(),
            severity: severity_label(item.severity).to_string(),
            location: item.location.clone(),
            notes: item.notes.clone(),
        }
    }
}

impl Section for RepairList {
    fn describe() -> Descriptor {
        Descriptor::new("repair-list", "Repair list", env!("CARGO_PKG_VERSION"))
            .description("Lets the client turn report findings into a repair request or credit, and share it with their agent.")
            .card(CardSpec::dashboard(CARD, "Create repair list").roles(&[Role::Client, Role::CoClient, Role::BuyerAgent, Role::Staff]))
            .permission(Permission::DocumentsRead, "Reads the findings of the reports the viewer may open.")
            .permission(Permission::Storage, "Keeps the draft and the shared repair list with the job.")
            .permission(Permission::JobRead, "Finds the buyer's agent to tell them a list was shared.")
            .permission(Permission::Notify, "E-mails the buyer's agent when the client shares the list.")
            .permission(Permission::Audit, "Records each time a list is shared.")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let shared: Option<Shared> = storage::get_json(Scope::Job, SHARED).map_err(|e| format!("reading the shared list failed: {e}"))?;
        if !is_client(ctx.viewer.role) {
            return Ok(vec![shared_card(ctx, shared.as_ref())]);
        }
        let items = list_report_items().map_err(|e| format!("listing report items failed: {e}"))?;
        let draft: Draft = storage::get_json(Scope::Job, DRAFT).map_err(|e| format!("reading the draft failed: {e}"))?.unwrap_or_default();
        Ok(vec![builder_card(&items, &draft, shared.as_ref())])
    }

    fn handle_action(ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        if !is_client(ctx.viewer.role) {
            let shared: Option<Shared> = storage::get_json(Scope::Job, SHARED)?;
            let shared = shared.ok_or_else(|| ActionError::Refused("The client has not shared a repair list yet.".into()))?;
            return match action {
                "pdf" | "csv" => Ok(Outcome::download(download(ctx, action, &shared.items, &shared.note, shared.credit_minor))),
                _ => Err(ActionError::Refused("Only the clients change the repair list.".into())),
            };
        }
        let items = list_report_items()?;
        let draft = submitted(input, &items)?;
        let chosen: Vec<SharedItem> = items.iter().filter(|item| draft.items.contains(&item.id)).map(SharedItem::of).collect();
        match action {
            "save" => {
                storage::set_json(Scope::Job, DRAFT, &draft)?;
                Ok(Outcome::success(format!("Draft saved with {}.", findings(chosen.len()))))
            }
            "share" => share(ctx, draft, chosen),
            "pdf" | "csv" => Ok(Outcome::download(download(ctx, action, &chosen, &draft.note, draft.credit_minor))),
            other => Err(ActionError::Refused(format!("Unknown action \"{other}\"."))),
        }
    }
}

fn is_client(role: Role) -> bool {
    matches!(role, Role::Client | Role::CoClient)
}

fn findings(count: usize) -> String {
    match count {
        1 => "1 finding".into(),
        n => format!("{n} findings"),
    }
}

fn severity_label(severity: ItemSeverity) -> &'static str {
    match severity {
        ItemSeverity::Safety => "Safety hazard",
        ItemSeverity::Repair => "Repair",
        ItemSeverity::Maintenance => "Maintenance",
        ItemSeverity::Monitor => "Monitor",
    }
}

/// The card the clients build the list on.
fn builder_card(items: &[ReportItem], draft: &Draft, shared: Option<&Shared>) -> Card {
    let card = Card::new(CARD).task(TaskState::Info);
    if items.is_empty() {
        return card
            .status("Not yet", Tone::Neutral)
            .text("Once your report is released you can pick the findings you want repaired or credited here.");
    }
    let card = match shared {
        Some(shared) if shared.draft_items == draft.items => card.status("Shared", Tone::Success),
        _ if !draft.items.is_empty() => card.status("Draft", Tone::Warning),
        _ => card.status("Not started", Tone::Neutral),
    };
    let card = card.text("Pick the findings you want the seller to repair or credit, add a note and the credit you ask for, then share the list with your agent.");
    let card = match shared {
        Some(shared) => {
            let card = card.moment(format!("Shared with your agent by {}", shared.shared_by), shared.shared_at);
            if shared.draft_items != draft.items || shared.note != draft.note || shared.credit_minor != draft.credit_minor {
                card.notice(Tone::Info, "Your agent sees the list as you last shared it. Share again to send your changes.")
            } else {
                card
            }
        }
        None => card,
    };
    let mut card = card;
    let mut blocks = 0;
    let mut section = "";
    let mut shown = 0;
    for item in items {
        let needed = 1 + usize::from(item.photo_url.is_some()) + usize::from(item.section != section);
        if blocks + needed > ITEM_BLOCKS {
            break;
        }
        if item.section != section {
            section = &item.section;
            card = card.heading(item.section.clone());
        }
        let label = match item.location.trim() {
            "" => format!("{} ({})", item.title, severity_label(item.severity)),
            location => format!("{} - {location} ({})", item.title, severity_label(item.severity)),
        };
        let mut field = FormField::new(&format!("item-{}", item.id), &label, InputKind::Checkbox);
        if draft.items.contains(&item.id) {
            field = field.value("on");
        }
        if !item.notes.trim().is_empty() {
            field = field.help(item.notes.clone());
        }
        card = card.input(field);
        if let Some(photo) = &item.photo_url {
            card = card.image(photo.clone(), format!("Photo: {}", item.title));
        }
        blocks += needed;
        shown += 1;
    }
    if shown < items.len() {
        card = card.notice(Tone::Info, format!("{} more findings are in the report; download the PDF of the report to see them all.", items.len() - shown));
    }
    card.input(FormField::new("note", "Note for your agent", InputKind::LongText).value(draft.note.clone()))
        .input(
            FormField::new("credit", "Credit you ask for instead of repairs (optional)", InputKind::Text)
                .value(if draft.credit_minor > 0 { money::amount(draft.credit_minor) } else { String::new() })
                .help("An amount such as 1500 or 1500.00."),
        )
        .action(Action::primary("share", "Share with my agent"))
        .action(Action::secondary("save", "Save draft"))
        .action(Action::secondary("pdf", "Download PDF"))
        .action(Action::secondary("csv", "Download CSV"))
}

/// What agents and staff see: the list as the clients last shared it.
fn shared_card(ctx: &Context, shared: Option<&Shared>) -> Card {
    let card = Card::new(CARD).task(TaskState::Info);
    let Some(shared) = shared else {
        return card.status("Not shared", Tone::Neutral).text("The client has not shared a repair list yet.");
    };
    let rows: Vec<Vec<String>> = shared
        .items
        .iter()
        .map(|item| vec![item.section.clone(), item.title.clone(), item.location.clone(), item.severity.clone()])
        .collect();
    let who = if ctx.viewer.role == Role::Staff { "the agent" } else { "you" };
    let card = card
        .status("Shared", Tone::Success)
        .moment(format!("{} shared this list with {who}", shared.shared_by), shared.shared_at)
        .table(["Section", "Finding", "Location", "Severity"], rows);
    let card = if shared.note.trim().is_empty() { card } else { card.fields([("Note", shared.note.clone())]) };
    let card = if shared.credit_minor > 0 { card.money("Credit asked for", shared.credit_minor) } else { card };
    card.action(Action::secondary("pdf", "Download PDF")).action(Action::secondary("csv", "Download CSV"))
}

/// The list as the clients submitted it, checked against the report.
fn submitted(input: &Input, items: &[ReportItem]) -> Result<Draft, ActionError> {
    let chosen: Vec<String> = items.iter().filter(|item| input.checked(&format!("item-{}", item.id))).map(|item| item.id.clone()).collect();
    let note = input.get("note").unwrap_or_default().trim().to_string();
    if note.chars().count() > 2000 {
        return Err(ActionError::invalid_field("note", "Keep the note under 2,000 characters."));
    }
    let credit_minor = match input.text("credit") {
        None => 0,
        Some(text) => money::parse_amount(text).ok_or_else(|| {
            ActionError::invalid_field("credit", "Enter the credit as an amount such as 1500 or 1500.00, or leave it empty.")
        })?,
    };
    Ok(Draft { items: chosen, note, credit_minor })
}

fn share(ctx: &Context, draft: Draft, chosen: Vec<SharedItem>) -> ActionResult {
    if chosen.is_empty() {
        return Err(ActionError::invalid("Pick at least one finding to share."));
    }
    storage::set_json(Scope::Job, DRAFT, &draft)?;
    let shared = Shared {
        draft_items: draft.items.clone(),
        items: chosen,
        note: draft.note.clone(),
        credit_minor: draft.credit_minor,
        shared_by: ctx.viewer.display_name.clone(),
        shared_at: ctx.now,
    };
    let summary = format!("{} shared a repair list of {}", shared.shared_by, findings(shared.items.len()));
    let receipt = audit::record("repair-list.shared", &summary, &json!({ "findings": shared.items.len(), "credit_minor": shared.credit_minor }))?;
    let shared = Shared { shared_at: receipt.at, ..shared };
    storage::set_json(Scope::Job, SHARED, &shared)?;

    // Tell the buyer's agents; the list is shared even if a message cannot go.
    let agents: Vec<_> = list_contacts()
        .unwrap_or_default()
        .into_iter()
        .filter(|contact| contact.role == Role::BuyerAgent && contact.email.is_some())
        .collect();
    let message = json!({
        "subject": format!("{} shared a repair list", shared.shared_by),
        "body": format!(
            "{} shared a repair list of {} with you. Open your portal for this job to read it or download it.",
            shared.shared_by,
            findings(shared.items.len())
        ),
    });
    let mut told = Vec::new();
    for agent in &agents {
        match notify::email_contact(&agent.id, "message", &message) {
            Ok(_) => told.push(agent.name.clone()),
            Err(error) => log::warn(&format!("telling the agent failed: {error}")),
        }
    }
    Ok(Outcome::success(match told.as_slice() {
        [] => format!("Shared {}. Your agent sees it in their portal.", findings(shared.items.len())),
        names => format!("Shared {} with {}.", findings(shared.items.len()), names.join(" and ")),
    }))
}

fn download(ctx: &Context, format: &str, items: &[SharedItem], note: &str, credit_minor: i64) -> Download {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| vec![item.section.clone(), item.title.clone(), item.location.clone(), item.severity.clone(), item.notes.clone()])
        .collect();
    let format = if format == "csv" { DownloadFormat::Csv } else { DownloadFormat::Pdf };
    let mut download = Download::table("repair-list", format, "Repair list", ["Section", "Finding", "Location", "Severity", "Inspector's notes"], rows)
        .note(format!("{} requested.", findings(items.len())));
    if credit_minor > 0 {
        download = download.note(format!("Credit asked for: {} {}", ctx.currency, money::amount(credit_minor)));
    }
    if !note.trim().is_empty() {
        download = download.note(format!("Note: {note}"));
    }
    download
}

export_section!(RepairList);
