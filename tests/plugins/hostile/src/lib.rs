//! A section that misbehaves in the way its `mode` setting names.

use portico_plugin_sdk::prelude::*;
use serde::Deserialize;

struct Hostile;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Settings {
    mode: String,
    /// Someone else's thread, for `eavesdrop`.
    target: String,
}

impl Section for Hostile {
    fn on_event(ctx: &Context, event: &Event) -> Result<(), String> {
        let settings: Settings = ctx.settings()?;
        match settings.mode.as_str() {
            "events" => Self::remember(event).map_err(|e| e.to_string()),
            // Hangs on a publication (the story of a section that hangs on
            // an event); other news passes.
            "loop" if event.kind == EventKind::DocumentPublished => loop {
                std::hint::black_box(());
            },
            _ => Ok(()),
        }
    }

    fn describe() -> Descriptor {
        Descriptor::new("hostile", "Hostile", "0.1.0")
            .card(CardSpec::dashboard("trouble", "Trouble").everyone())
            // The same trouble on the surfaces of contract 0.4.
            .card(CardSpec::hub("hub-trouble", "Trouble at home").everyone())
            .card(CardSpec::staff_panel("panel-trouble", "Trouble on the console", &[StaffRole::Owner, StaffRole::Office, StaffRole::Employee]))
            .card(CardSpec::staff_page("page-trouble", "Trouble page", &[StaffRole::Owner, StaffRole::Office, StaffRole::Employee]))
            .permission(Permission::Storage, "To show what happens when a grant is missing.")
            .permission(Permission::JobRead, "To read what a role should not see.")
            .permission(Permission::BillingRead, "To read invoices a role should not see.")
            .permission(Permission::Agreements, "To sign in render.")
            .permission(Permission::AddOns, "To request in render.")
            .permission(Permission::Checkout, "To pay in render.")
            .permission(Permission::Notify, "To flood mail.")
            .permission(Permission::Audit, "To forge entries.")
            .permission(Permission::AccountRead, "To read other people's accounts.")
            .permission(Permission::NotifyOffice, "To pester the office.")
            .permission(Permission::Conversations, "To read other people's conversations.")
            .permission(Permission::Files, "To remove files in render.")
            .setting("mode", "Mode", SettingKind::Text, json!("loop"))
            .setting("target", "Target", SettingKind::Text, json!(""))
            .event(EventKind::DocumentPublished)
            .event(EventKind::InvoiceUpdated)
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let settings: Settings = ctx.settings()?;
        let trouble = trouble_here(ctx);
        match settings.mode.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "error" => Err("hostile plugin returns an error".into()),
            "oversized" => {
                let huge = "x".repeat(200_000);
                let card = (0..100).fold(Card::new(trouble).title(huge.clone()), |card, _| card.text(huge.clone()));
                let mut cards = vec![card];
                cards.extend((0..100).map(|i| Card::new(&format!("undeclared-{i}")).text("sneaky")));
                Ok(cards)
            }
            "ungranted" => match storage::get(Scope::Job, "anything") {
                Ok(_) => Ok(vec![Card::new(trouble).text("storage answered without a grant")]),
                Err(HostError::Denied(permission)) => {
                    Ok(vec![Card::new(trouble).text(format!("denied: {permission:?}"))])
                }
                Err(other) => Err(format!("unexpected: {other}")),
            },
            "events" => {
                let seen: Vec<String> = storage::get_json(Scope::Job, "events").map_err(|e| e.to_string())?.unwrap_or_default();
                Ok(vec![Card::new(trouble).text(format!("saw: {}", seen.join(", ")))])
            }
            "markup" => Ok(vec![Card::new(trouble)
                .text("<script>alert('owned')</script>")
                .link("click me", "javascript:alert(1)")
                .link("<b>bold</b>", "/jobs/x\" onclick=\"alert(1)")]),
            "act-in-render" => Ok(vec![Card::new(trouble).text(act_in_render(ctx))]),
            "peek" => {
                let contacts = job_data::list_contacts().map_err(|e| e.to_string())?;
                let details: Vec<String> = contacts.iter().map(|c| format!("{}={}/{}", c.name, c.email.clone().unwrap_or_default(), c.phone.clone().unwrap_or_default())).collect();
                let invoices = billing::list_invoices().map_err(|e| e.to_string())?;
                Ok(vec![Card::new(trouble).text(format!("contacts: {}; invoices: {}", details.join(", "), invoices.len()))])
            }
            // Every other surface's cards, and the account of whoever looks.
            "cross" => Ok(["trouble", "hub-trouble", "panel-trouble", "page-trouble"].iter().map(|id| Card::new(id).text(format!("card {id} rendered on {:?}", ctx.surface))).collect()),
            "account" => {
                let jobs = account::list_jobs().map_err(|e| e.describe())?;
                let invoices = account::list_invoices().map_err(|e| e.describe())?;
                let references: Vec<String> = jobs.iter().map(|j| j.reference.clone()).collect();
                // What the newer functions give the same viewer: the bill and the notes for clients only.
                let summaries = account::list_job_summaries().map_err(|e| e.describe())?;
                let totals: Vec<String> = summaries.iter().map(|s| s.total.map_or("none".to_string(), |total| total.to_string())).collect();
                let notes: Vec<String> = summaries.iter().flat_map(|s| s.notes.clone()).collect();
                let property_notes: usize = account::list_property_profiles().map_err(|e| e.describe())?.iter().map(|p| p.notes.len()).sum();
                Ok(vec![Card::new(trouble).text(format!(
                    "jobs: {}; invoices: {}; totals: {}; job notes: {}; property notes: {property_notes}",
                    references.join(", "),
                    invoices.len(),
                    totals.join(", "),
                    notes.len()
                ))])
            }
            // Read a thread that is not this section's, and write while rendering.
            "eavesdrop" => {
                let threads = conversations::list_threads(None).map_err(|e| e.describe())?;
                let read = match conversations::messages(&settings.target) {
                    Ok(messages) => format!("read {} messages", messages.len()),
                    Err(error) => error.describe(),
                };
                let written = match conversations::write_to_office("spam", "Spam", "Buy now", &[]) {
                    Ok(thread) => format!("wrote {}", thread.id),
                    Err(error) => error.describe(),
                };
                Ok(vec![Card::new(trouble).text(format!("threads: {}; target: {read}; write: {written}", threads.len()))])
            }
            "flood" | "forge" | "hoard" | "partner" => Ok(vec![Card::new(trouble).text("ready").action(Action::primary(&settings.mode, "Go"))]),
            other => Err(format!("unknown mode {other:?}")),
        }
    }

    fn handle_action(ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        match action {
            // Two hundred messages to everyone on the job, signed as the business.
            "flood" => {
                let contacts = job_data::list_contacts()?;
                let mut sent = 0;
                let mut refusal = String::new();
                for _ in 0..200 {
                    for contact in &contacts {
                        let data = json!({ "subject": "Security notice", "body": "Follow https://evil.example/login", "business": "Keystone (Security Team)" });
                        match notify::email_contact(&contact.id, "message", &data) {
                            Ok(_) => sent += 1,
                            Err(error) => refusal = error.to_string(),
                        }
                    }
                }
                Ok(Outcome::info(format!("sent {sent}; refused: {refusal}")))
            }
            // An entry that reads like the host's own, and a log line with a forged second line.
            "forge" => {
                audit::record("payment.succeeded", "Card payment succeeded: $660.00", &json!({}))?;
                log::info("done\n2026-11-27T10:00:00Z INFO portico::staff: staff signed in email=owner@example.com");
                Ok(Outcome::success("forged"))
            }
            // Multi-byte values (3 bytes a character) until the quota stops it.
            "hoard" => {
                let batch = input.get("batch").unwrap_or("0");
                let value = "€".repeat(21_000);
                for i in 0..20 {
                    match storage::set(Scope::Tenant, &format!("hoard-{}-{batch}-{i}", ctx.viewer.display_name), &value) {
                        Ok(()) => {}
                        Err(HostError::QuotaExceeded(why)) => return Ok(Outcome::info(format!("quota: {why}"))),
                        Err(other) => return Err(other.into()),
                    }
                }
                Ok(Outcome::info("stored 20"))
            }
            // The address the business wrote, then near misses of it.
            "partner" => {
                let tried: Vec<String> = ["quotes@movers.example", "uotes@movers.example", "quotes@movers.exampl", "quotes@movers.example.evil"]
                    .iter()
                    .map(|address| match notify::email_partner(address, "Quote", "Please quote") {
                        Ok(_) => format!("{address} sent"),
                        Err(_) => format!("{address} refused"),
                    })
                    .collect();
                Ok(Outcome::info(tried.join("; ")))
            }
            other => Err(ActionError::Refused(format!("no action {other}"))),
        }
    }
}

/// The card this surface shows.
fn trouble_here(ctx: &Context) -> &'static str {
    match ctx.surface {
        Surface::JobPage => "trouble",
        Surface::AccountHub => "hub-trouble",
        Surface::StaffJobPage => "panel-trouble",
        Surface::StaffPage => "page-trouble",
    }
}

/// Everything that acts in someone's name, tried from `render`: each
/// attempt's answer, one per line.
fn act_in_render(ctx: &Context) -> String {
    let mut tried = Vec::new();
    let answer = |result: Result<String, HostError>| match result {
        Ok(what) => format!("DONE {what}"),
        Err(HostError::Denied(permission)) => format!("denied {permission:?}"),
        Err(other) => format!("error {other}"),
    };
    let agreement = agreements::list_agreements().ok().and_then(|found| found.into_iter().next());
    tried.push(answer(match &agreement {
        Some(agreement) => agreements::sign(&agreement.id, &agreement.version, "Dana Whitfield", true).map(|_| "signed".to_string()),
        None => Err(HostError::NotFound),
    }));
    let estimate = estimates::list_estimates().ok().and_then(|found| found.into_iter().next());
    tried.push(answer(match &estimate {
        Some(estimate) => estimates::accept(&estimate.id, &estimate.version, "Dana Whitfield", true, &[]).map(|_| "accepted".to_string()),
        None => Err(HostError::NotFound),
    }));
    tried.push(answer(match &estimate {
        Some(estimate) => estimates::decline(&estimate.id, "from render").map(|_| "declined".to_string()),
        None => Err(HostError::NotFound),
    }));
    let asked = requests::NewRequest { description: "Sent from render".into(), property_id: None, address: None, preferred: Vec::new(), files: Vec::new() };
    tried.push(answer(requests::submit(&asked).map(|sent| sent.number)));
    let add_on = add_ons::list_add_ons().ok().and_then(|found| found.into_iter().next());
    tried.push(answer(match &add_on {
        Some(add_on) => add_ons::request(&add_on.id).map(|()| "requested".to_string()),
        None => Err(HostError::NotFound),
    }));
    let invoice = billing::list_invoices().ok().and_then(|found| found.into_iter().next());
    tried.push(answer(match &invoice {
        Some(invoice) => checkout::start(&invoice.id),
        None => Err(HostError::NotFound),
    }));
    let me = ctx.viewer.contact_id.clone().unwrap_or_default();
    tried.push(answer(notify::email_contact(&me, "message", &json!({ "subject": "hi", "body": "from render" }))));
    tried.push(answer(audit::record("render.wrote", "render wrote this", &json!({})).map(|r| r.id)));
    tried.push(answer(office::notify("from render", "hello").map(|n| format!("told {n}"))));
    tried.push(answer(files::remove_file("any-file").map(|()| "removed a file".to_string())));
    tried.push(answer(storage::set(Scope::Job, "render", "wrote").map(|()| "stored".to_string())));
    format!("tried: {}", tried.join(" | "))
}

impl Hostile {
    fn remember(event: &Event) -> Result<(), HostError> {
        let mut seen: Vec<String> = storage::get_json(Scope::Job, "events")?.unwrap_or_default();
        seen.push(format!("{:?} {}", event.kind, event.subject_id));
        storage::set_json(Scope::Job, "events", &seen)
    }
}

export_section!(Hostile);
