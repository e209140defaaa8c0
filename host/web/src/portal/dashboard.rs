//! How the job page's dashboard is laid out: what the viewer must do first,
//! what is done next, everything else (offers, upsells) after; a checklist
//! that names its items; and, once a report is released, the report itself
//! as the first thing on the page.

use portico_core::ids::JobId;
use portico_core::model::{Document, Release, Role};
use portico_sections::sanitize::{BlockView, CardView, TaskState};
use serde::Serialize;

/// Where a card goes on the dashboard: what is asked of the viewer and can be
/// done now (the card has a button or a link), then what is asked but waits
/// on something else (a report held until the invoice is paid), then what
/// they have done, then what is only offered or shown, then what is not
/// needed. Within each group the business's order of sections holds.
fn rank(card: &CardView) -> u8 {
    match card.task {
        TaskState::ToDo if can_act(card) => 0,
        TaskState::ToDo => 1,
        TaskState::Done => 2,
        TaskState::Info => 3,
        TaskState::NotNeeded => 4,
    }
}

/// Whether the card offers the viewer something to press.
fn can_act(card: &CardView) -> bool {
    card.actions.iter().any(|action| action.disabled_reason.is_none())
        || card.blocks.iter().any(|block| matches!(block, BlockView::Link { url: Some(_), .. }))
}

/// The dashboard's cards in the order the viewer should meet them (a stable
/// sort: equal ranks keep the sections' order).
pub(crate) fn in_order(mut cards: Vec<crate::section_cards::PlacedCard>) -> Vec<crate::section_cards::PlacedCard> {
    cards.sort_by_key(|placed| rank(&placed.card));
    cards
}

/// "1 of 3 done", with the three named and each a link to its card.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Checklist {
    pub done: usize,
    pub total: usize,
    pub label: String,
    pub items: Vec<ChecklistItem>,
}

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct ChecklistItem {
    pub title: String,
    pub done: bool,
    /// The card's anchor on this page.
    pub href: String,
}

/// The viewer's own tasks on the dashboard, in the business's order (a task
/// keeps its place in the list when it is done), or nothing when none is
/// asked of them (an agent following the client's tasks sees no count of them).
pub(crate) fn checklist<'a>(cards: impl IntoIterator<Item = &'a CardView>) -> Option<Checklist> {
    let items: Vec<ChecklistItem> = cards
        .into_iter()
        .filter(|card| matches!(card.task, TaskState::ToDo | TaskState::Done))
        .map(|card| ChecklistItem {
            title: card.title.clone(),
            done: card.task == TaskState::Done,
            href: format!("#card-{}-{}", card.plugin_id, card.id),
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    let done = items.iter().filter(|item| item.done).count();
    let total = items.len();
    Some(Checklist { done, total, label: format!("{done} of {total} done"), items })
}

/// The released reports this viewer may open, shown above everything else.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Headline {
    pub title: String,
    pub links: Vec<HeadlineLink>,
}

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct HeadlineLink {
    pub label: String,
    pub url: String,
}

/// "Your report is ready" with one button per report `role` may open now;
/// nothing while no report is released to them.
pub(crate) fn headline(job_id: &JobId, role: Role, reports: &[Document], release: &Release) -> Option<Headline> {
    let open: Vec<&Document> =
        reports.iter().filter(|doc| doc.kind == "report" && doc.published_at.is_some() && doc.may_open(role, release)).collect();
    if open.is_empty() {
        return None;
    }
    let whose = if matches!(role, Role::Client | Role::CoClient) { "Your" } else { "The" };
    let title = match open.len() {
        1 => format!("{whose} report is ready"),
        n => format!("{whose} {n} reports are ready"),
    };
    let links = open
        .iter()
        .map(|doc| HeadlineLink {
            label: if open.len() == 1 { "View report".to_string() } else { format!("View {}", report_name(&doc.title)) },
            url: format!("/jobs/{job_id}/documents/{}", doc.id),
        })
        .collect();
    Some(Headline { title, links })
}

/// A report's name as clients expect it: its title followed by "Report",
/// unless the title already says so.
pub(crate) fn report_name(title: &str) -> String {
    let title = title.trim();
    let lower = title.to_lowercase();
    if lower.ends_with("report") || lower.ends_with("summary") { title.to_string() } else { format!("{title} Report") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_sections::sanitize::Chip;

    fn card(id: &str, task: TaskState) -> CardView {
        CardView {
            plugin_id: "p".into(),
            id: id.into(),
            title: format!("Title {id}"),
            status: None::<Chip>,
            task,
            blocks: Vec::new(),
            actions: Vec::new(),
            has_form: false,
            has_files: false,
            unavailable: false,
        }
    }

    #[test]
    fn what_is_asked_comes_first_then_what_is_done_then_offers() {
        let with_link = |id: &str| CardView {
            blocks: vec![BlockView::Link { label: "Go".into(), url: Some("/jobs/j1?tab=x".into()) }],
            ..card(id, TaskState::ToDo)
        };
        let cards = vec![
            card("offer", TaskState::Info),
            card("held-report", TaskState::ToDo),
            card("signed", TaskState::Done),
            card("none", TaskState::NotNeeded),
            with_link("sign"),
            with_link("pay"),
        ];
        let placed = cards.into_iter().map(|card| crate::section_cards::PlacedCard { tab: None, card }).collect();
        let order: Vec<String> = in_order(placed).into_iter().map(|p| p.card.id).collect();
        assert_eq!(order, ["sign", "pay", "held-report", "signed", "offer", "none"]);
    }

    #[test]
    fn the_checklist_names_each_task_and_links_to_its_card() {
        let cards = vec![card("sign", TaskState::Done), card("pay", TaskState::ToDo), card("offer", TaskState::Info)];
        let list = checklist(&cards).expect("two tasks");
        assert_eq!(list.label, "1 of 2 done");
        assert_eq!(
            list.items,
            [
                ChecklistItem { title: "Title sign".into(), done: true, href: "#card-p-sign".into() },
                ChecklistItem { title: "Title pay".into(), done: false, href: "#card-p-pay".into() },
            ]
        );
        assert_eq!(checklist(&[card("offer", TaskState::Info)]), None, "no count when nothing is asked of the viewer");
    }
}
