//! "View completed report": tells each viewer whether the job's reports are
//! ready, and links to the ones their role may open.
//!
//! The host lists published and draft reports alike and says, per document,
//! whether this viewer may open it; this section turns that into one of three
//! states: not ready, ready (with links), or not shared with this role.

use portico_plugin_sdk::documents::{list_documents, Document};
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

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        match list_documents("report") {
            Ok(reports) => Ok(vec![report_card(&reports), history_card(&reports)]),
            Err(HostError::Denied(_)) => Ok(vec![Card::new(CARD)
                .status("Unavailable", Tone::Neutral)
                .notice(Tone::Warning, "Reports can't be shown here yet. Please contact the inspector for a copy.")]),
            Err(other) => Err(format!("listing reports failed: {other}")),
        }
    }
}

fn report_card(reports: &[Document]) -> Card {
    let published: Vec<&Document> = reports.iter().filter(|r| r.published_at.is_some()).collect();
    let openable: Vec<&Document> = published.iter().copied().filter(|r| r.viewer_may_open && r.url.is_some()).collect();

    if !openable.is_empty() {
        let count = match openable.len() {
            1 => "Your report is ready.".to_string(),
            n => format!("{n} reports are ready."),
        };
        return openable.iter().fold(
            Card::new(CARD).task(TaskState::Done).status("Ready", Tone::Success).text(count),
            |card, report| card.link(display_name(&report.title), report.url.clone().unwrap_or_default()),
        );
    }
    if !published.is_empty() {
        return Card::new(CARD)
            .task(TaskState::NotNeeded)
            .status("Not shared", Tone::Neutral)
            .text("The report for this job has not been shared with your role. Ask the client or the inspector if you need a copy.");
    }
    Card::new(CARD)
        .task(TaskState::ToDo)
        .status("Not ready", Tone::Neutral)
        .text("Reports will appear here when ready. We'll e-mail you as soon as they are published.")
}

/// Every report this viewer may open, with when it was published.
fn history_card(reports: &[Document]) -> Card {
    let mut openable: Vec<&Document> = reports.iter().filter(|r| r.viewer_may_open && r.url.is_some()).collect();
    openable.sort_by_key(|r| std::cmp::Reverse(r.published_at));
    if openable.is_empty() {
        return Card::new(HISTORY).text("No reports have been shared with you yet.");
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
    if title.to_lowercase().ends_with("report") {
        title.to_string()
    } else {
        format!("{title} Report")
    }
}

export_section!(Reports);
