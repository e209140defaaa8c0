//! The account hub's dashboard: the client's account with the business at a
//! glance. Completed and pending jobs, what was invoiced, what is still
//! receivable, what the business wrote off as bad debt, and what was billed
//! each month of the last twelve, as a chart and as a table.
//!
//! The host works the figures out (`account.summary`), from the same jobs
//! and invoices the other hub sections list, so they always agree.

use portico_plugin_sdk::account::{self, AccountSummary};
use portico_plugin_sdk::prelude::*;

struct Dashboard;

const CARD: &str = "summary";

impl Section for Dashboard {
    fn describe() -> Descriptor {
        Descriptor::new("dashboard", "Account dashboard", env!("CARGO_PKG_VERSION"))
            .description("Heads the client's account page with their figures: jobs completed and pending, total invoiced, receivable, bad debt, and a monthly billing chart.")
            .card(CardSpec::hub(CARD, "Your account at a glance").roles(&[Role::Client, Role::CoClient]))
            .permission(Permission::AccountRead, "Counts the client's jobs and adds up their invoices for the dashboard.")
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        let summary = match account::summary() {
            Ok(summary) => summary,
            Err(HostError::Denied(_)) => {
                return Ok(vec![Card::new(CARD).task(TaskState::Info).notice(Tone::Warning, "Your figures cannot be shown here yet.")]);
            }
            Err(error) => return Err(format!("reading the account's figures failed: {error}")),
        };
        Ok(vec![summary_card(&summary)])
    }
}

fn summary_card(summary: &AccountSummary) -> Card {
    let card = Card::new(CARD).task(TaskState::Info);
    let card = if summary.receivable > 0 { card.status("Balance due", Tone::Warning) } else { card.status("Nothing due", Tone::Success) };
    let mut counts = vec![
        ("Completed jobs", summary.completed_jobs.to_string()),
        ("Pending jobs", summary.pending_jobs.to_string()),
        ("Jobs with a balance due", summary.receivable_jobs.to_string()),
    ];
    if summary.bad_debt_jobs > 0 {
        counts.push(("Bad debt jobs", summary.bad_debt_jobs.to_string()));
    }
    let mut card = card.fields(counts).money("Total invoiced", summary.invoiced).money("Receivable", summary.receivable);
    if summary.bad_debt_jobs > 0 {
        card = card
            .money("Written off as bad debt", summary.bad_debt)
            .text("The business wrote these invoices off as uncollectible. You can still pay them from your invoices.");
    }
    // In the business's currency units; the host writes each value out in
    // a table under the chart too.
    let points = summary.months.iter().map(|m| (m.label.clone(), m.invoiced as f64 / 100.0));
    card.bar_chart("Invoiced each month, last 12 months", points)
}

export_section!(Dashboard);
