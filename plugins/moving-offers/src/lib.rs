//! "Start your moving plan" and the Special Offers tab: the business's partner
//! offers (movers, utilities, home warranties). "No thanks" folds the
//! dashboard card for that person; the tab keeps the offers. "Get a quote"
//! shares nothing until the client ticks the consent box naming exactly what
//! goes to which partner; the consent is audited, then the partner is e-mailed
//! at the address the business gave.

use portico_plugin_sdk::job_data::{get_job, list_contacts};
use portico_plugin_sdk::prelude::*;
use portico_plugin_sdk::{FormField, InputKind};
use serde::{Deserialize, Serialize};

struct MovingOffers;

const PLAN: &str = "moving-plan";
const OFFERS: &str = "special-offers";
const DISMISSED: &str = "dismissed";
/// A card holds at most 6 actions; one is kept for "show again".
const MAX_OFFERS: usize = 5;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Settings {
    offers: String,
}

/// One partner offer, from a settings line `Partner | Offer | Description | e-mail`.
#[derive(Debug, PartialEq)]
struct Offer {
    partner: String,
    headline: String,
    description: String,
    email: String,
}

/// A quote the client asked for, kept per person.
#[derive(Serialize, Deserialize)]
struct Quote {
    partner: String,
    at: i64,
}

impl Section for MovingOffers {
    fn describe() -> Descriptor {
        Descriptor::new("moving-offers", "Moving offers", env!("CARGO_PKG_VERSION"))
            .description("Offers your partners' moving services; a partner hears from a client only after the client consents.")
            .card(CardSpec::dashboard(PLAN, "Start your moving plan").roles(&[Role::Client, Role::CoClient]))
            .card(CardSpec::tab(OFFERS, "Special offers", "Special Offers").roles(&[Role::Client, Role::CoClient, Role::Staff]))
            .permission(Permission::JobRead, "Reads the client's name, e-mail, phone and the address, to send them to a partner once the client agrees.")
            .permission(Permission::Notify, "E-mails the partner the client chose, at the address you gave.")
            .permission(Permission::Audit, "Records each consent to share details with a partner.")
            .permission(Permission::Storage, "Remembers who said no thanks and which quotes each person asked for.")
            .setting("offers", "Partner offers", SettingKind::LongText, json!(""))
            .setting_help("One per line: Partner | Offer | Description | Partner's e-mail for quote requests.")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let settings: Settings = ctx.settings()?;
        let offers = parse(&settings.offers);
        if offers.is_empty() {
            return Ok(Vec::new());
        }
        let person = matches!(ctx.viewer.role, Role::Client | Role::CoClient) && !ctx.preview;
        let dismissed = person && storage::get(Scope::Contact, DISMISSED).map_err(|e| e.to_string())?.is_some();
        let mut cards = Vec::new();
        if person && !dismissed {
            let names: Vec<&str> = offers.iter().map(|o| o.partner.as_str()).collect();
            cards.push(
                Card::new(PLAN)
                    .task(TaskState::Info)
                    .text(format!("Moving soon? Offers from {} are waiting for you.", names.join(", ")))
                    .link("See the special offers", ctx.job_page("?tab=special-offers"))
                    .action(Action::secondary("dismiss", "No thanks")),
            );
        }
        let mut card = Card::new(OFFERS).task(TaskState::Info).text("Nothing about you is shared with a partner unless you ask for a quote and tick the box.");
        for (index, offer) in offers.iter().enumerate() {
            card = card.heading(format!("{}: {}", offer.partner, offer.headline));
            if !offer.description.is_empty() {
                card = card.text(offer.description.clone());
            }
            let asked: Option<Quote> = if person { storage::get_json(Scope::Contact, &quote_key(index)).map_err(|e| e.to_string())? } else { None };
            match asked {
                Some(quote) => card = card.moment(format!("You asked {} for a quote", quote.partner), quote.at),
                None if person => {
                    card = card
                        .input(FormField::new(
                            &format!("consent-{index}"),
                            &format!("Share my name, e-mail, phone and the property's address with {} for a quote", offer.partner),
                            InputKind::Checkbox,
                        ))
                        .action(Action::primary(&format!("quote-{index}"), &format!("Get a quote from {}", offer.partner)));
                }
                None => {}
            }
        }
        if dismissed {
            card = card.action(Action::secondary("show", "Show the moving plan on my dashboard"));
        }
        cards.push(card);
        Ok(cards)
    }

    fn handle_action(ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        match action {
            "dismiss" => {
                storage::set(Scope::Contact, DISMISSED, "true")?;
                Ok(Outcome::info("No thanks noted. The offers stay on the Special Offers tab."))
            }
            "show" => {
                storage::delete(Scope::Contact, DISMISSED)?;
                Ok(Outcome::info("The moving plan is back on your dashboard."))
            }
            other => match other.strip_prefix("quote-").and_then(|i| i.parse::<usize>().ok()) {
                Some(index) => quote(ctx, index, input),
                None => Err(ActionError::Refused(format!("Unknown action \"{other}\"."))),
            },
        }
    }
}

fn quote_key(index: usize) -> String {
    format!("quote/{index}")
}

fn quote(ctx: &Context, index: usize, input: &Input) -> ActionResult {
    let settings: Settings = ctx.settings().map_err(ActionError::Failed)?;
    let offers = parse(&settings.offers);
    let offer = offers.get(index).ok_or_else(|| ActionError::Refused("That offer is no longer available.".into()))?;
    if !input.checked(&format!("consent-{index}")) {
        return Err(ActionError::invalid_field(
            &format!("consent-{index}"),
            format!("Tick the box to let us share your details with {}. Nothing is shared until you do.", offer.partner),
        ));
    }
    let me = ctx.viewer.contact_id.as_deref().ok_or_else(|| ActionError::Refused("Only the clients ask for quotes.".into()))?;
    let contact = list_contacts()?.into_iter().find(|c| c.id == me).ok_or_else(|| ActionError::Refused("Only the clients ask for quotes.".into()))?;
    let job = get_job()?;
    let address = job.property.one_line();
    let email = contact.email.clone().unwrap_or_default();
    let phone = contact.phone.clone().unwrap_or_default();
    // The consent is evidence: recorded before anything leaves.
    audit::record(
        "offer.consented",
        &format!("{} agreed to share their details with {}", contact.name, offer.partner),
        &json!({ "partner": offer.partner, "offer": offer.headline, "shared": ["name", "email", "phone", "address"] }),
    )?;
    let body = format!(
        "{} asks for a quote for \"{}\".\n\nName: {}\nE-mail: {}\nPhone: {}\nProperty: {}\n\nThey agreed to share these details with you for this quote only.",
        contact.name, offer.headline, contact.name, email, phone, address
    );
    notify::email_partner(&offer.email, &format!("Quote request: {}", offer.headline), &body)?;
    storage::set_json(Scope::Contact, &quote_key(index), &Quote { partner: offer.partner.clone(), at: ctx.now })?;
    Ok(Outcome::success(format!("Sent to {}. They will contact you about the quote.", offer.partner)))
}

/// The business's offers; lines without a partner, offer and e-mail are left out.
fn parse(list: &str) -> Vec<Offer> {
    list.lines()
        .filter_map(|line| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [partner, headline, description, email] if !partner.is_empty() && !headline.is_empty() && email.contains('@') => Some(Offer {
                    partner: partner.to_string(),
                    headline: headline.to_string(),
                    description: description.to_string(),
                    email: email.to_string(),
                }),
                _ => None,
            }
        })
        .take(MAX_OFFERS)
        .collect()
}

export_section!(MovingOffers);
