//! A help desk with a card on each of the four surfaces of contract 0.4,
//! for the stories that check each surface's scope:
//!
//! - **staff page** (owner, office): the office writes help articles, kept in
//!   the business's storage and audited as the staff member who wrote them;
//! - **account hub** (clients): the articles, the client's homes and what they
//!   owe across their jobs (`account`), and a tab listing every invoice;
//! - **staff job page** (all staff): a crew note kept on the job, which
//!   clients never see;
//! - **job page** (clients): where to find help.

use portico_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

struct HelpDesk;

const ARTICLES: &str = "articles";
const CREW_NOTE: &str = "crew-note";

#[derive(Serialize, Deserialize)]
struct Article {
    title: String,
    body: String,
    by: String,
}

fn articles() -> Result<Vec<Article>, HostError> {
    Ok(storage::get_json(Scope::Tenant, ARTICLES)?.unwrap_or_default())
}

impl Section for HelpDesk {
    fn describe() -> Descriptor {
        Descriptor::new("help-desk", "Help desk", "0.1.0")
            .description("Help articles the office writes, shown on the clients' account page, and a crew note on each job.")
            .card(CardSpec::staff_page("articles", "Help articles", &[StaffRole::Owner, StaffRole::Office]))
            .card(CardSpec::hub("help", "Help and your homes").roles(&[Role::Client, Role::CoClient]))
            .card(CardSpec::hub_tab("invoices", "Every invoice", "Invoices").roles(&[Role::Client, Role::CoClient]))
            .card(CardSpec::staff_panel("crew-note", "Crew note", &[StaffRole::Owner, StaffRole::Office, StaffRole::Employee]))
            .card(CardSpec::dashboard("where-help", "Need help?").roles(&[Role::Client, Role::CoClient]))
            .permission(Permission::Storage, "To keep the articles and the crew notes.")
            .permission(Permission::Audit, "To record who wrote an article.")
            .permission(Permission::JobRead, "To name the job on the crew note.")
            .permission(Permission::AccountRead, "To show clients their homes and invoices.")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let described = |e: HostError| e.describe();
        match ctx.surface {
            Surface::StaffPage => {
                let mut card = Card::new("articles").text(format!("Written by {}'s office; shown to clients on their account page.", ctx.viewer.display_name));
                for article in articles().map_err(described)? {
                    card = card.heading(article.title).text(article.body).text(format!("by {}", article.by));
                }
                Ok(vec![card
                    .input(FormField::new("title", "Title", InputKind::Text).required())
                    .input(FormField::new("body", "Article", InputKind::LongText).required())
                    .action(Action::primary("publish", "Publish the article"))])
            }
            Surface::AccountHub => {
                let properties = account::list_properties().map_err(described)?;
                let invoices = account::list_invoices().map_err(described)?;
                let owed: i64 = invoices.iter().map(|i| i.invoice.balance).filter(|b| *b > 0).sum();
                let mut help = Card::new("help")
                    .table(["Home", "Jobs"], properties.iter().map(|p| vec![p.address.line1.clone(), p.jobs.to_string()]).collect())
                    .money("Owed across your jobs", owed);
                for article in articles().map_err(described)? {
                    help = help.heading(article.title).text(article.body);
                }
                let every = Card::new("invoices").table(
                    ["Job", "Invoice", "Balance"],
                    invoices.iter().map(|i| vec![i.job_reference.clone(), i.invoice.number.clone(), portico_plugin_sdk::money::amount(i.invoice.balance)]).collect(),
                );
                Ok(vec![help, every])
            }
            Surface::StaffJobPage => {
                let job = job_data::get_job().map_err(described)?;
                let note: Option<String> = storage::get_json(Scope::Job, CREW_NOTE).map_err(described)?;
                Ok(vec![Card::new("crew-note")
                    .text(format!("For {}: {}", job.reference, note.as_deref().unwrap_or("no crew note yet")))
                    .input(FormField::new("note", "Crew note", InputKind::LongText).required())
                    .action(Action::primary("save-note", "Save the crew note"))])
            }
            Surface::JobPage => Ok(vec![Card::new("where-help").text("Our answers to common questions are on your account page.").link("Open your account", "/account")]),
        }
    }

    fn handle_action(ctx: &Context, card: &str, action: &str, input: &Input) -> ActionResult {
        match (ctx.surface, card, action) {
            (Surface::StaffPage, "articles", "publish") => {
                let title = input.get("title").unwrap_or_default().trim().to_string();
                let body = input.get("body").unwrap_or_default().trim().to_string();
                let mut problems = InputProblems::new("Give the article a title and some text.");
                if title.is_empty() {
                    problems = problems.field("title", "Give the article a title.");
                }
                if body.is_empty() {
                    problems = problems.field("body", "Write the article.");
                }
                if !problems.is_empty() {
                    return Err(ActionError::InvalidInput(problems));
                }
                let mut all = articles()?;
                all.push(Article { title: title.clone(), body, by: ctx.viewer.display_name.clone() });
                storage::set_json(Scope::Tenant, ARTICLES, &all)?;
                audit::record("help.article-published", &format!("Published the help article “{title}”"), &json!({ "title": title }))?;
                Ok(Outcome::success("The article is on your clients' account page."))
            }
            (Surface::StaffJobPage, "crew-note", "save-note") => {
                let note = input.get("note").unwrap_or_default().trim().to_string();
                if note.is_empty() {
                    return Err(ActionError::invalid_field("note", "Write the note."));
                }
                storage::set_json(Scope::Job, CREW_NOTE, &note)?;
                audit::record("help.crew-note", "Saved the crew note", &json!({}))?;
                Ok(Outcome::success("Crew note saved."))
            }
            _ => Err(ActionError::Refused(format!("No action {action} on {card} here."))),
        }
    }
}

export_section!(HelpDesk);
