//! A help desk with a card on each of the four surfaces of contract 0.4,
//! for the stories that check each surface's scope:
//!
//! - **staff page** (owner, office): the office writes help articles, kept in
//!   the business's storage and audited as the staff member who wrote them;
//! - **account hub** (clients): the articles, the client's homes and what they
//!   owe across their jobs (`account`), and a tab listing every invoice;
//! - **staff job page** (all staff): a crew note kept on the job, which
//!   clients never see;
//! - **job page** (clients): where to find help, and a problem to report
//!   with photos and a receipt (`file` inputs), which the crew panel lists
//!   with each photo's thumbnail; the report opens a conversation with the
//!   office (`conversations`), which the office answers from the panel.

use portico_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

struct HelpDesk;

const ARTICLES: &str = "articles";
const CREW_NOTE: &str = "crew-note";
const PROBLEM: &str = "problem";

/// The thread about a problem, as a line of a card.
fn thread_line(card: Card, thread: &conversations::Thread) -> Card {
    let new = if thread.unread > 0 { format!(" ({} new)", thread.unread) } else { String::new() };
    card.link(format!("Conversation with {}: {}{new}", thread.contact_name, thread.title), thread.url.clone())
}

/// A problem the client reported, with the ids of the files attached.
#[derive(Serialize, Deserialize)]
struct Problem {
    text: String,
    files: Vec<String>,
}

/// The files of a problem the viewer may open, as image blocks and links.
fn attachments(card: Card, problem: &Problem) -> Card {
    problem.files.iter().filter_map(|id| files::get_file(id).ok()).fold(card, |card, file| match file.thumbnail_url {
        Some(thumbnail) => card.image(thumbnail, format!("Photo: {}", file.name)).link(format!("Open {}", file.name), file.url),
        None => card.link(format!("Open {}", file.name), file.url),
    })
}

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
            .card(CardSpec::tab("report", "Report a problem", "Problems").roles(&[Role::Client, Role::CoClient, Role::BuyerAgent]))
            .permission(Permission::Storage, "To keep the articles and the crew notes.")
            .permission(Permission::Audit, "To record who wrote an article.")
            .permission(Permission::JobRead, "To name the job on the crew note.")
            .permission(Permission::AccountRead, "To show clients their homes and invoices.")
            .permission(Permission::Files, "To take photos of a problem and a receipt.")
            .permission(Permission::NotifyOffice, "To tell the office a client asked a question.")
            .permission(Permission::Conversations, "To talk about a reported problem with the office.")
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
                    .money("Owed across your jobs", owed)
                    .input(FormField::new("question", "Ask us anything", InputKind::Text))
                    .action(Action::secondary("ask", "Ask"));
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
                let problem: Option<Problem> = storage::get_json(Scope::Job, PROBLEM).map_err(described)?;
                let mut card = Card::new("crew-note").text(format!("For {}: {}", job.reference, note.as_deref().unwrap_or("no crew note yet")));
                if let Some(problem) = &problem {
                    card = attachments(card.heading("Reported by the client").text(problem.text.clone()), problem);
                }
                // The office reads and answers the problem's conversation here; employees may not.
                let threads = conversations::list_threads(Some(PROBLEM)).unwrap_or_default();
                card = threads.iter().fold(card, thread_line);
                if !threads.is_empty() {
                    card = card.input(FormField::new("answer", "Answer the client", InputKind::LongText)).action(Action::secondary("answer", "Send the answer"));
                }
                Ok(vec![card
                    .input(FormField::new("note", "Crew note", InputKind::LongText))
                    .action(Action::primary("save-note", "Save the crew note"))])
            }
            Surface::JobPage => {
                let problem: Option<Problem> = storage::get_json(Scope::Job, PROBLEM).map_err(described)?;
                let mut report = Card::new("report");
                if let Some(problem) = &problem {
                    report = attachments(report.heading("You reported").text(problem.text.clone()).text(format!("{} files attached", problem.files.len())), problem);
                }
                for thread in conversations::list_threads(Some(PROBLEM)).unwrap_or_default() {
                    report = thread_line(report, &thread);
                }
                let report = report
                    .input(FormField::new("text", "What is wrong?", InputKind::LongText).required())
                    .input(FormField::photos("photos", "Photos", 10 * 1024 * 1024, true))
                    .input(FormField::files("receipt", "Receipt (PDF)", &[FileType::Pdf], 1024 * 1024, false))
                    .action(Action::primary("report", "Send the report"));
                let help = Card::new("where-help").text("Our answers to common questions are on your account page.").link("Open your account", "/account");
                Ok(vec![help, report])
            }
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
            (Surface::AccountHub, "help", "ask") => match input.text("question") {
                Some(question) => {
                    let told = office::notify(&format!("A question from {}", ctx.viewer.display_name), question)?;
                    Ok(Outcome::success(format!("{}, we got your question: {question} ({told} of our team told)", ctx.viewer.display_name)))
                }
                None => Err(ActionError::invalid_field("question", "Type your question.")),
            },
            (Surface::StaffJobPage, "crew-note", "answer") => {
                let Some(answer) = input.text("answer") else {
                    return Err(ActionError::invalid_field("answer", "Write the answer."));
                };
                let threads = conversations::list_threads(Some(PROBLEM))?;
                let thread = threads.first().ok_or_else(|| ActionError::Refused("Nobody reported a problem on this job.".into()))?;
                conversations::reply(&thread.id, answer, &[])?;
                Ok(Outcome::success(format!("Your answer is with {}.", thread.contact_name)))
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
            (Surface::JobPage, "report", "report") => {
                let Some(text) = input.text("text") else {
                    return Err(ActionError::invalid_field("text", "Say what is wrong."));
                };
                let files: Vec<String> = input.all("photos").chain(input.all("receipt")).map(str::to_string).collect();
                // The ids come from the host, but check each is a file this viewer may open.
                for id in &files {
                    files::get_file(id).map_err(|_| ActionError::Refused("A file of this report is not yours.".into()))?;
                }
                let count = files.len();
                let title: String = text.chars().take(60).collect();
                conversations::write_to_office(PROBLEM, &format!("Problem: {title}"), text, &files)?;
                storage::set_json(Scope::Job, PROBLEM, &Problem { text: text.to_string(), files })?;
                Ok(Outcome::success(format!("Thank you: your report and {count} files are with the office.")))
            }
            _ => Err(ActionError::Refused(format!("No action {action} on {card} here."))),
        }
    }
}

export_section!(HelpDesk);
