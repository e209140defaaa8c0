//! "View completed report": tells each viewer whether the job's reports are
//! ready, and links to the ones their role may open.
//!
//! The host lists published and draft reports alike and says, per document,
//! whether this viewer may open it and what still holds it back; this section
//! turns that into one of four states: not ready, ready (with links), held
//! until the agreement is signed and/or the invoice paid (saying exactly what
//! is missing, with the summary where agents may read it meanwhile), or not
//! shared with this role.

use portico_plugin_sdk::documents::{list_documents, wording, Document};
use portico_plugin_sdk::prelude::*;

struct Reports;

const CARD: &str = "view-report";
const HISTORY: &str = "all-reports";

impl Section for Reports {
    fn describe() -> Descriptor {
        Descriptor::new("reports", "Reports", env!("CARGO_PKG_VERSION"))
            .description("Shows whether the inspection report is ready and links to every report the viewer may open.")
            .card(CardSpec::dashboard(CARD, "View completed report").everyone())
            .card(CardSpec::tab(HISTORY, "All reports", "Reports").everyone())
            .permission(
                Permission::DocumentsRead,
                "Lists the job's reports so each viewer can open the ones shared with them.",
            )
            .event(EventKind::DocumentPublished)
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        match list_documents("") {
            Ok(documents) => {
                let (reports, summaries): (Vec<Document>, Vec<Document>) =
                    documents.into_iter().filter(|d| d.kind == "report" || d.kind == "summary").partition(|d| d.kind == "report");
                Ok(vec![report_card(ctx, &reports, &summaries), history_card(ctx, &reports, &summaries)])
            }
            Err(HostError::Denied(_)) => Ok(vec![Card::new(CARD)
                .status("Unavailable", Tone::Neutral)
                .notice(Tone::Warning, "Reports can't be shown here yet. Please contact the inspector for a copy.")]),
            Err(other) => Err(format!("listing reports failed: {other}")),
        }
    }
}

fn openable(documents: &[Document]) -> Vec<&Document> {
    documents.iter().filter(|d| d.viewer_may_open && d.url.is_some()).collect()
}

/// Where the job's report stands for this viewer: one of four states, worded
/// as every section words them (`documents::wording`).
enum Standing<'a> {
    Ready(Vec<&'a Document>),
    Held { holds: &'a [String], summaries: Vec<&'a Document> },
    NotShared,
    NotReady,
}

fn standing<'a>(ctx: &Context, reports: &'a [Document], summaries: &'a [Document]) -> Standing<'a> {
    let published: Vec<&Document> = reports.iter().filter(|r| r.published_at.is_some()).collect();
    let openable = openable(reports);
    if !openable.is_empty() {
        return Standing::Ready(openable);
    }
    if let Some(held) = published.iter().find(|r| !r.held_until.is_empty() && r.visible_to.contains(&ctx.viewer.role)) {
        return Standing::Held { holds: &held.held_until, summaries: openable_summaries(summaries) };
    }
    if published.is_empty() { Standing::NotReady } else { Standing::NotShared }
}

fn report_card(ctx: &Context, reports: &[Document], summaries: &[Document]) -> Card {
    let role = ctx.viewer.role;
    // Opening the report is the clients' task; agents and staff only follow it.
    let client = matches!(role, Role::Client | Role::CoClient);
    let task = |state| if client { state } else { TaskState::Info };
    match standing(ctx, reports, summaries) {
        Standing::Ready(openable) => openable.iter().fold(
            Card::new(CARD).task(task(TaskState::Done)).status("Ready", Tone::Success).text(wording::ready(role, openable.len())),
            |card, report| card.link(display_name(&report.title), report.url.clone().unwrap_or_default()),
        ),
        Standing::Held { holds, summaries } => {
            let card = Card::new(CARD).task(task(TaskState::ToDo)).status("Waiting", Tone::Warning).text(wording::held(role, holds));
            summary_links(card, &summaries)
        }
        Standing::NotShared => Card::new(CARD).task(TaskState::NotNeeded).status("Not shared", Tone::Neutral).text(wording::NOT_SHARED),
        Standing::NotReady => Card::new(CARD).task(task(TaskState::ToDo)).status("Not ready", Tone::Neutral).text(wording::NOT_READY),
    }
}

fn summary_links(card: Card, summaries: &[&Document]) -> Card {
    summaries.iter().fold(card, |card, summary| {
        card.link(format!("Read the summary meanwhile: {}", summary.title.trim()), summary.url.clone().unwrap_or_default())
    })
}

/// The summaries this viewer may read while the report is held.
fn openable_summaries(summaries: &[Document]) -> Vec<&Document> {
    openable(summaries).into_iter().filter(|s| !s.held_until.is_empty()).collect()
}

/// Every report (and summary) this viewer may open, with when it was
/// published; until there is one, the report's state in the same words as
/// the dashboard.
fn history_card(ctx: &Context, reports: &[Document], summaries: &[Document]) -> Card {
    let mut openable: Vec<&Document> = self::openable(reports);
    openable.extend(self::openable(summaries));
    openable.sort_by_key(|r| std::cmp::Reverse(r.published_at));
    if openable.is_empty() {
        let card = Card::new(HISTORY);
        return match standing(ctx, reports, summaries) {
            Standing::Held { holds, .. } => card.text(wording::held(ctx.viewer.role, holds)),
            Standing::NotShared => card.text(wording::NOT_SHARED),
            Standing::Ready(_) | Standing::NotReady => card.text(wording::NOT_READY),
        };
    }
    openable.iter().fold(Card::new(HISTORY), |card, report| {
        card.heading(display_name(&report.title))
            .moment("Published", report.published_at.unwrap_or_default())
            .link("Open the report", report.url.clone().unwrap_or_default())
    })
}

/// A report's name as clients expect it: the template's title followed by
/// "Report", unless the title already says so.
fn display_name(title: &str) -> String {
    let title = title.trim();
    let lower = title.to_lowercase();
    if lower.ends_with("report") || lower.ends_with("summary") {
        title.to_string()
    } else {
        format!("{title} Report")
    }
}

export_section!(Reports);
