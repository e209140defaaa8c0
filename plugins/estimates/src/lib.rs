//! Estimates: the client reads the business's estimate for a job — its
//! lines, the options they may take, the tax, the deposit and the last day
//! it holds — and accepts it by typing their name (with the business's
//! consent to electronic signature), declines it with a reason, or asks the
//! office a question. The account hub lists every estimate across jobs.
//!
//! The host owns the estimates: it checks the version read, the expiry and
//! who answers, keeps the evidence, and makes the invoices (a deposit
//! invoice when one is asked) when an estimate is accepted.

use portico_plugin_sdk::estimates::{self, Estimate, EstimateStatus};
use portico_plugin_sdk::money::amount;
use portico_plugin_sdk::prelude::*;

struct Estimates;

/// The job dashboard's prompt, the job's estimate page, and the hub's list.
const PROMPT: &str = "estimate-prompt";
const READ: &str = "estimate";
const HUB: &str = "estimates";

const ACCEPT: &str = "accept";
const DECLINE: &str = "decline";
const ASK: &str = "ask";
/// The job page's tab the estimate is read on.
const TAB: &str = "Estimate";

/// The other estimates of a job shown under the one to answer.
const OTHERS_SHOWN: usize = 5;
/// The estimates the hub links to.
const LINKED_ON_HUB: usize = 10;

const CLIENTS: &[Role] = &[Role::Client, Role::CoClient];

impl Section for Estimates {
    fn describe() -> Descriptor {
        Descriptor::new("estimates", "Estimates", env!("CARGO_PKG_VERSION"))
            .description("Lets clients read an estimate, choose its options, and accept it with a signature, decline it or ask a question.")
            .card(CardSpec::dashboard(PROMPT, "Review the estimate").roles(CLIENTS))
            .card(CardSpec::tab(READ, "Estimate", TAB).roles(CLIENTS))
            .card(CardSpec::hub_tab(HUB, "Your estimates", "Estimates").roles(CLIENTS))
            .permission(
                Permission::Agreements,
                "Shows the job's estimates and records the client's acceptance (with a signature) or refusal; Portico makes the invoices.",
            )
            .permission(Permission::Conversations, "Sends a client's question about an estimate to your office as a conversation.")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let estimates = match estimates::list_estimates() {
            Ok(estimates) => estimates,
            Err(HostError::Denied(_)) => return Ok(Vec::new()),
            Err(error) => return Err(format!("listing estimates failed: {error}")),
        };
        if estimates.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match ctx.surface {
            Surface::AccountHub => vec![hub_card(&estimates)],
            _ => vec![prompt_card(ctx, &estimates), reading_card(ctx, &estimates)],
        })
    }

    fn handle_action(_ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        let estimate_id = input.text("estimate").unwrap_or_default().to_string();
        let Some(estimate) = estimates::list_estimates()?.into_iter().find(|e| e.id == estimate_id) else {
            return Err(ActionError::Refused("That estimate is no longer on this job.".into()));
        };
        match action {
            ACCEPT => accept(&estimate, input),
            DECLINE => decline(&estimate, input),
            ASK => ask(&estimate, input),
            other => Err(ActionError::Refused(format!("Unknown action \"{other}\"."))),
        }
    }
}

/// "Awaiting your answer", "Expired", "Accepted"… with its tone.
fn chip(estimate: &Estimate) -> (&'static str, Tone) {
    match estimate.status {
        EstimateStatus::Sent if estimate.expired => ("Expired", Tone::Neutral),
        EstimateStatus::Sent => ("Awaiting your answer", Tone::Warning),
        EstimateStatus::Accepted => ("Accepted", Tone::Success),
        EstimateStatus::Declined => ("Declined", Tone::Neutral),
        EstimateStatus::Withdrawn => ("Withdrawn", Tone::Neutral),
    }
}

/// The job's dashboard: a to-do while an estimate awaits the viewer's answer.
fn prompt_card(ctx: &Context, estimates: &[Estimate]) -> Card {
    let page = ctx.job_page(&format!("?card={READ}"));
    let newest = &estimates[0];
    let (label, tone) = chip(newest);
    let card = Card::new(PROMPT).title(format!("Estimate {}", newest.number)).status(label, tone);
    match estimates.iter().find(|e| e.viewer_may_answer) {
        Some(open) => card
            .task(TaskState::ToDo)
            .text(format!("{}: {} (holds until {}). Choose any options, then accept or decline it.", open.title, amount(open.total), open.expires_on))
            .link("Review the estimate", page),
        None => card
            .task(if newest.status == EstimateStatus::Accepted { TaskState::Done } else { TaskState::Info })
            .text(format!("{}: {}.", newest.title, label.to_lowercase()))
            .link("See the estimate", page),
    }
}

/// The estimate to answer in full with its form, or the newest; then the others in brief.
fn reading_card(ctx: &Context, estimates: &[Estimate]) -> Card {
    let main = estimates.iter().find(|e| e.viewer_may_answer).unwrap_or(&estimates[0]);
    let (label, tone) = chip(main);
    let mut card = Card::new(READ).task(TaskState::Info).title(format!("Estimate {}: {}", main.number, main.title)).status(label, tone);
    card = details(card, main);
    card = match main.status {
        EstimateStatus::Sent if main.viewer_may_answer && !ctx.preview => answer_form(card, main),
        EstimateStatus::Sent if main.expired => card.notice(Tone::Info, format!("This estimate expired on {}. Ask the office for a new one.", main.expires_on)),
        EstimateStatus::Accepted => card.notice(
            Tone::Success,
            match (&main.decided_by, main.deposit) {
                (Some(name), deposit) if deposit > 0 && deposit < main.total => {
                    format!("Accepted by {name}. The deposit of {} is invoiced, ready to pay with your invoices.", amount(deposit))
                }
                (Some(name), _) => format!("Accepted by {name}. The invoice is with your invoices."),
                (None, _) => "Accepted.".to_string(),
            },
        ),
        EstimateStatus::Declined => card.notice(
            Tone::Info,
            format!("Declined{}: “{}”", main.decided_by.as_ref().map(|n| format!(" by {n}")).unwrap_or_default(), main.decline_reason.clone().unwrap_or_default()),
        ),
        _ => card,
    };
    let others: Vec<&Estimate> = estimates.iter().filter(|e| e.id != main.id).take(OTHERS_SHOWN).collect();
    if !others.is_empty() {
        card = card.heading("Earlier estimates");
        let rows = others.iter().map(|e| vec![e.number.clone(), e.title.clone(), amount(e.total), chip(e).0.to_string()]).collect();
        card = card.table(["Estimate", "For", "Total", "Where it stands"], rows);
    }
    card.link("Back to the dashboard", ctx.job_page(""))
}

/// The note, the lines (options marked), the totals, the deposit and the last day.
fn details(card: Card, estimate: &Estimate) -> Card {
    let card = if estimate.message.is_empty() { card } else { card.text(estimate.message.clone()) };
    // Three columns, to fit a phone: the tax and "option" go with the work.
    let rows = estimate
        .lines
        .iter()
        .map(|line| {
            let mut what = line.description.clone();
            if line.tax_rate > 0 {
                what.push_str(&format!(" · {}% tax", rate(line.tax_rate)));
            }
            match (line.optional, line.chosen) {
                (true, true) => what.push_str(" (option, taken)"),
                (true, false) => what.push_str(" (option)"),
                (false, _) => {}
            }
            vec![what, format!("{} × {}", line.quantity, amount(line.unit_price)), amount(line.amount)]
        })
        .collect();
    let options_note = if estimate.status == EstimateStatus::Sent && estimate.lines.iter().any(|l| l.optional) {
        "Total without the options; each option you tick is added with its tax."
    } else {
        ""
    };
    let mut card = card.table(["Work", "Price", "Amount"], rows).money("Subtotal", estimate.subtotal).money("Tax", estimate.tax).money("Total", estimate.total);
    if !options_note.is_empty() {
        card = card.text(options_note);
    }
    if estimate.deposit_percent > 0 {
        // Once answered, the figures include the options taken.
        let which = if estimate.status == EstimateStatus::Sent { " without options" } else { "" };
        card = card.fields([("Deposit on acceptance", format!("{}% of the total ({}{which})", estimate.deposit_percent, amount(estimate.deposit)))]);
    }
    card.fields([("Holds until", estimate.expires_on.clone())])
}

/// 825 → "8.25".
fn rate(basis_points: u32) -> String {
    portico_plugin_sdk::money::percent(i64::from(basis_points))
}

/// The options to tick, the signature and consent, the reason to decline,
/// and a question for the office: one form, three buttons.
fn answer_form(card: Card, estimate: &Estimate) -> Card {
    let mut card = card.input(FormField::hidden("estimate", estimate.id.clone())).input(FormField::hidden("version", estimate.version.clone()));
    let options: Vec<_> = estimate.lines.iter().filter(|line| line.optional).collect();
    if !options.is_empty() {
        card = card.heading("Options");
    }
    for line in options {
        let tax = if line.tax_rate == 0 { String::new() } else { format!(" plus {}% tax", rate(line.tax_rate)) };
        card = card.input(FormField::new(&option_input(&line.id), &format!("Add {} ({}{tax})", line.description, amount(line.amount)), InputKind::Checkbox));
    }
    card.heading("Accept")
        .notice(Tone::Info, estimate.consent_text.clone())
        .input(FormField::new("full_name", "Type your full name to accept", InputKind::Text))
        .input(FormField::new("consent", "I accept this estimate with the options I ticked, and I agree to sign it electronically.", InputKind::Checkbox))
        .action(Action::primary(ACCEPT, &format!("Accept estimate {}", estimate.number)))
        .heading("Decline or ask")
        .input(FormField::new("reason", "Why you decline (the office reads it)", InputKind::LongText))
        .action(Action::danger(DECLINE, "Decline the estimate").confirm(format!("Decline estimate {}? You cannot accept it afterwards.", estimate.number)))
        .input(FormField::new("question", "A question for the office", InputKind::LongText))
        .action(Action::secondary(ASK, "Send the question"))
}

/// The checkbox of an optional line (ids are UUIDs: letters, digits and dashes).
fn option_input(line_id: &str) -> String {
    format!("option-{line_id}")
}

fn accept(estimate: &Estimate, input: &Input) -> ActionResult {
    let signer_name = input.text("full_name").unwrap_or_default().trim().to_string();
    let named = signer_name.chars().count() >= 2;
    let consented = input.checked("consent");
    if !named || !consented {
        let mut problems = InputProblems::new("Type your full name and tick the box to accept.");
        if !named {
            problems = problems.field("full_name", "Type your full name as you would sign it.");
        }
        if !consented {
            problems = problems.field("consent", "Tick the box to accept and sign electronically.");
        }
        return Err(problems.into());
    }
    let chosen: Vec<String> = estimate.lines.iter().filter(|line| line.optional && input.checked(&option_input(&line.id))).map(|line| line.id.clone()).collect();
    let version = input.text("version").unwrap_or_default();
    match estimates::accept(&estimate.id, version, &signer_name, true, &chosen) {
        Ok(accepted) => {
            let deposit = match accepted.deposit {
                // None asked, or all of it: then the invoice itself is due now.
                deposit if deposit == 0 || deposit >= accepted.total => String::new(),
                deposit => format!(" A deposit of {} is invoiced; you can pay it now with your invoices.", amount(deposit)),
            };
            Ok(Outcome::success(format!("Thank you, {}. Estimate {} is accepted for {}.{deposit}", signer_name, accepted.number, amount(accepted.total))))
        }
        // The host's words, with what was typed kept for another try.
        Err(HostError::Invalid(reason)) => Err(ActionError::invalid(reason)),
        Err(HostError::NotFound) => Err(ActionError::Refused("That estimate is no longer on this job.".into())),
        Err(other) => Err(other.into()),
    }
}

fn decline(estimate: &Estimate, input: &Input) -> ActionResult {
    let reason = input.text("reason").unwrap_or_default().trim().to_string();
    if reason.chars().count() < 2 {
        return Err(ActionError::invalid_field("reason", "Say why you decline, so the office can help."));
    }
    match estimates::decline(&estimate.id, &reason) {
        Ok(declined) => Ok(Outcome::success(format!("Estimate {} is declined. The office has your reason.", declined.number))),
        // The host's words, with what was typed kept for another try.
        Err(HostError::Invalid(reason)) => Err(ActionError::invalid(reason)),
        Err(HostError::NotFound) => Err(ActionError::Refused("That estimate is no longer on this job.".into())),
        Err(other) => Err(other.into()),
    }
}

fn ask(estimate: &Estimate, input: &Input) -> ActionResult {
    let Some(question) = input.text("question").map(str::trim).filter(|q| !q.is_empty()) else {
        return Err(ActionError::invalid_field("question", "Write your question first."));
    };
    let title = format!("Estimate {}: {}", estimate.number, estimate.title);
    let thread = conversations::write_to_office(&format!("estimate-{}", estimate.id), &title, question, &[])?;
    Ok(Outcome::success(format!("Your question is with the office. Their answer will be in your messages ({}).", thread.title)))
}

/// The account hub: every estimate across the client's jobs, with a link to
/// each one still awaiting an answer (or the newest).
fn hub_card(estimates: &[Estimate]) -> Card {
    let open = estimates.iter().filter(|e| e.viewer_may_answer).count();
    let card = Card::new(HUB).task(if open > 0 { TaskState::ToDo } else { TaskState::Info });
    let card = match open {
        0 => card,
        1 => card.status("1 to answer", Tone::Warning),
        n => card.status(&format!("{n} to answer"), Tone::Warning),
    };
    let rows = estimates
        .iter()
        .map(|e| vec![e.number.clone(), e.title.clone(), e.job_reference.clone(), amount(e.total), chip(e).0.to_string(), e.expires_on.clone()])
        .collect();
    let mut card = card.table(["Estimate", "For", "Job", "Total", "Where it stands", "Holds until"], rows);
    for estimate in estimates.iter().take(LINKED_ON_HUB) {
        let verb = if estimate.viewer_may_answer { "Review and answer" } else { "See" };
        // `?card=` is resolved on the job's own page only; from the hub, the tab.
        card = card.link(format!("{verb} estimate {} ({})", estimate.number, estimate.title), format!("/jobs/{}?tab={}", estimate.job_id, TAB.to_lowercase()));
    }
    card
}

export_section!(Estimates);
