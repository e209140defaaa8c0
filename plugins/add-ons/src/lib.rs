//! "Add services": the business's add-on services at the top of the
//! dashboard. The clients tick the ones they want and request them; the
//! business approves each request, which puts it on the invoice. "No thanks"
//! folds the offer away for that person, who can open it again.

use portico_plugin_sdk::add_ons::{list_add_ons, AddOn, RequestStatus};
use portico_plugin_sdk::prelude::*;
use portico_plugin_sdk::{FormField, InputKind};

struct AddOns;

const CARD: &str = "add-services";
const DISMISSED: &str = "dismissed";

impl Section for AddOns {
    fn describe() -> Descriptor {
        Descriptor::new("add-ons", "Add-on services", env!("CARGO_PKG_VERSION"))
            .description("Offers your add-on services to the clients, who request them for your approval.")
            .card(CardSpec::dashboard(CARD, "Add services").roles(&[Role::Client, Role::CoClient, Role::Staff]))
            .permission(Permission::AddOns, "Shows your add-on services and sends the clients' requests to you for approval.")
            .permission(Permission::Storage, "Remembers who said no thanks, so the offer stays folded for them.")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let add_ons = list_add_ons().map_err(|e| format!("listing add-ons failed: {e}"))?;
        if add_ons.is_empty() {
            return Ok(Vec::new());
        }
        let card = Card::new(CARD).task(TaskState::Info);
        let open: Vec<&AddOn> = add_ons.iter().filter(|a| a.request.is_none()).collect();
        let may_request = matches!(ctx.viewer.role, Role::Client | Role::CoClient) && !ctx.preview;
        let dismissed = may_request && storage::get(Scope::Contact, DISMISSED).map_err(|e| format!("reading storage failed: {e}"))?.is_some();
        if dismissed && add_ons.iter().all(|a| a.request.is_none()) {
            return Ok(vec![card
                .status("No thanks", Tone::Neutral)
                .text("You said no thanks to the add-on services.")
                .action(Action::secondary("show", "Show the add-ons again"))]);
        }
        let card = card.text("Add these services to your inspection. We confirm each one and add it to your invoice.");
        let card = add_ons.iter().fold(card, |card, add_on| {
            let card = card.heading(add_on.name.clone());
            let card = if add_on.description.trim().is_empty() { card } else { card.text(add_on.description.clone()) };
            let card = card.money("Price", add_on.price);
            match add_on.request {
                None if may_request => card.input(FormField::new(&format!("addon-{}", add_on.id), &format!("Add {}", add_on.name), InputKind::Checkbox)),
                None => card,
                Some(RequestStatus::Requested) => card.notice(
                    Tone::Info,
                    format!("Requested by {}; awaiting confirmation.", add_on.requested_by.clone().unwrap_or_default()),
                ),
                Some(RequestStatus::Approved) => card.notice(Tone::Success, "Added to your invoice."),
                Some(RequestStatus::Declined) => card.notice(Tone::Warning, "Not available for this job."),
            }
        });
        if !may_request || open.is_empty() {
            return Ok(vec![card]);
        }
        Ok(vec![card.action(Action::primary("request", "Request the ticked services")).action(Action::secondary("dismiss", "No thanks"))])
    }

    fn handle_action(_ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        match action {
            "dismiss" => {
                storage::set(Scope::Contact, DISMISSED, "true")?;
                Ok(Outcome::info("No thanks noted. You can open the add-ons again from this card."))
            }
            "show" => {
                storage::delete(Scope::Contact, DISMISSED)?;
                Ok(Outcome::info("Here are the add-on services again."))
            }
            "request" => request(input),
            other => Err(ActionError::Refused(format!("Unknown action \"{other}\"."))),
        }
    }
}

fn request(input: &Input) -> ActionResult {
    let add_ons = list_add_ons()?;
    let ticked: Vec<&AddOn> = add_ons.iter().filter(|a| input.checked(&format!("addon-{}", a.id))).collect();
    if ticked.is_empty() {
        return Err(ActionError::invalid("Tick the services you want to add."));
    }
    // The same form sent again (a second tab, a double click).
    if let Some(asked) = ticked.iter().find(|a| a.request.is_some()) {
        return Err(ActionError::Refused(format!("{} was already requested for this job.", asked.name)));
    }
    let mut requested = Vec::new();
    for add_on in ticked {
        match add_ons::request(&add_on.id) {
            Ok(()) => requested.push(add_on.name.clone()),
            // Already asked (a second tab) or no longer offered: say so, keep the rest.
            Err(HostError::Invalid(reason)) => return Err(ActionError::Refused(reason)),
            Err(HostError::NotFound) => return Err(ActionError::Refused(format!("{} is no longer offered.", add_on.name))),
            Err(other) => return Err(other.into()),
        }
    }
    let _ = storage::delete(Scope::Contact, DISMISSED);
    Ok(Outcome::success(format!("Requested: {}. We will confirm and add it to your invoice.", requested.join(", "))))
}

export_section!(AddOns);
