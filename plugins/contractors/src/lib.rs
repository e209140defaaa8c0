//! "Contractors": the business's recommended contractors, shown on their own
//! tab only where the business turned it on and listed some. Each line of the
//! list is `Name | Trade | Phone | Website`; lines that do not read that way
//! are left out rather than shown half.

use portico_plugin_sdk::prelude::*;
use serde::Deserialize;

struct Contractors;

const CARD: &str = "contractors";

#[derive(Deserialize, Default)]
#[serde(default)]
struct Settings {
    enabled: bool,
    contractors: String,
    disclaimer: String,
}

/// One recommended contractor.
#[derive(Debug, PartialEq)]
struct Contractor {
    name: String,
    trade: String,
    phone: String,
    website: Option<String>,
}

impl Section for Contractors {
    fn describe() -> Descriptor {
        Descriptor::new("contractors", "Contractors", env!("CARGO_PKG_VERSION"))
            .description("Lists the contractors you recommend on a Contractors tab, when you turn it on.")
            .card(CardSpec::tab(CARD, "Recommended contractors", "Contractors").roles(&[Role::Client, Role::CoClient, Role::BuyerAgent, Role::Staff]))
            .setting("enabled", "Show the Contractors tab", SettingKind::Boolean, json!(false))
            .setting("contractors", "Contractors", SettingKind::LongText, json!(""))
            .setting_help("One per line: Name | Trade | Phone | Website (the website is optional).")
            .setting("disclaimer", "Note under the list", SettingKind::LongText, json!("We have no financial relationship with these contractors. Choose whom you hire."))
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let settings: Settings = ctx.settings()?;
        let contractors = parse(&settings.contractors);
        if !settings.enabled || contractors.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Vec<String>> = contractors.iter().map(|c| vec![c.name.clone(), c.trade.clone(), c.phone.clone()]).collect();
        let card = Card::new(CARD).task(TaskState::Info).table(["Contractor", "Trade", "Phone"], rows);
        let card = contractors.iter().filter_map(|c| c.website.as_ref().map(|w| (c, w))).fold(card, |card, (contractor, website)| {
            card.link(format!("{} website", contractor.name), website.clone())
        });
        Ok(vec![if settings.disclaimer.trim().is_empty() { card } else { card.text(settings.disclaimer.clone()) }])
    }
}

/// The contractors of the tenant's list; lines without a name, trade and
/// phone are skipped, and a website must be an https address.
fn parse(list: &str) -> Vec<Contractor> {
    list.lines()
        .filter_map(|line| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [name, trade, phone, rest @ ..] if !name.is_empty() && !trade.is_empty() && !phone.is_empty() && rest.len() <= 1 => Some(Contractor {
                    name: name.to_string(),
                    trade: trade.to_string(),
                    phone: phone.to_string(),
                    website: rest.first().filter(|w| w.starts_with("https://")).map(|w| w.to_string()),
                }),
                _ => None,
            }
        })
        .collect()
}

export_section!(Contractors);
