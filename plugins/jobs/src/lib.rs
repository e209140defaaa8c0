//! The account hub's Jobs tab: every job the client has with the business,
//! upcoming (soonest first) and past (latest first), each with its date, its
//! property, where it stands (scheduled, on the way, started, finished), the
//! services, the team, the notes the office shows clients, its total and how
//! many files it has; each opens its own page, with its documents, photos and
//! checklists.
//!
//! The host decides what the viewer reaches: agents get no totals and no
//! notes, since they follow a job, not its bill.

use portico_plugin_sdk::account::{self, AccountFile, JobSummary};
use portico_plugin_sdk::documents::wording::join;
use portico_plugin_sdk::job_data::stage_chip;
use portico_plugin_sdk::money::amount;
use portico_plugin_sdk::prelude::*;

struct Jobs;

const CARD: &str = "jobs";

impl Section for Jobs {
    fn describe() -> Descriptor {
        Descriptor::new("jobs", "Jobs", env!("CARGO_PKG_VERSION"))
            .description("Lists the client's upcoming and past jobs with their dates, properties, where each stands, services, team, notes and totals.")
            .card(CardSpec::hub_tab(CARD, "Upcoming and past jobs", "Jobs").everyone())
            .permission(Permission::AccountRead, "Lists the client's jobs with their services, team, notes and totals on their account page.")
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        let jobs = match account::list_job_summaries() {
            Ok(jobs) => jobs,
            Err(HostError::Denied(_)) => {
                return Ok(vec![Card::new(CARD).task(TaskState::Info).notice(Tone::Warning, "Your jobs cannot be listed here yet; each has its own page.")]);
            }
            Err(error) => return Err(format!("listing jobs failed: {error}")),
        };
        let files = account::list_files().map_err(|error| format!("listing files failed: {error}"))?;
        Ok(vec![jobs_card(&jobs, &files)])
    }
}

/// Finished and cancelled jobs are past; the rest are still to come or under way.
fn is_past(job: &JobSummary) -> bool {
    matches!(job.stage.as_str(), "finished" | "cancelled")
}

fn jobs_card(jobs: &[JobSummary], files: &[AccountFile]) -> Card {
    let card = Card::new(CARD).task(TaskState::Info);
    if jobs.is_empty() {
        return card.text("You have no jobs with us yet.");
    }
    let (mut past, mut upcoming): (Vec<&JobSummary>, Vec<&JobSummary>) = jobs.iter().partition(|job| is_past(job));
    // Soonest first for what is coming (unbooked last); latest first for what is done.
    upcoming.sort_by_key(|job| job.first_visit.unwrap_or(i64::MAX));
    past.sort_by_key(|job| std::cmp::Reverse(job.first_visit.unwrap_or(i64::MIN)));
    let mut card = card;
    if !upcoming.is_empty() {
        card = section(card.heading("Upcoming"), &upcoming, files);
    }
    if !past.is_empty() {
        card = section(card.heading("Past"), &past, files);
    }
    card
}

/// A table of jobs, their notes for clients, and a link to each.
fn section(card: Card, jobs: &[&JobSummary], files: &[AccountFile]) -> Card {
    let rows = jobs.iter().map(|job| row(job, files)).collect();
    let mut card = card.table(["When", "Job", "Property", "Where it stands", "Services", "Team", "Total", "Files"], rows);
    for job in jobs {
        for note in &job.notes {
            card = card.fields([(format!("Note on {}", job.reference), note.clone())]);
        }
    }
    for job in jobs {
        card = card.link(format!("Open job {} ({})", job.reference, job.property_title), format!("/jobs/{}", job.id));
    }
    card
}

fn row(job: &JobSummary, files: &[AccountFile]) -> Vec<String> {
    let or_dash = |text: String| if text.is_empty() { "—".to_string() } else { text };
    vec![
        job.first_visit_text.clone().unwrap_or_else(|| "Not booked yet".into()),
        job.reference.clone(),
        job.property_title.clone(),
        stage_chip(&job.stage).0.to_string(),
        or_dash(join(&job.services)),
        or_dash(join(&job.team)),
        job.total.map(amount).unwrap_or_else(|| "—".into()),
        files_here(job, files),
    ]
}

/// How many files the viewer may open on the job ("3 photos, 1 document").
fn files_here(job: &JobSummary, files: &[AccountFile]) -> String {
    let here = files.iter().filter(|file| file.job_id == job.id);
    let (photos, documents) = here.fold((0, 0), |(photos, documents), file| match file.content_type.starts_with("image/") {
        true => (photos + 1, documents),
        false => (photos, documents + 1),
    });
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (photos, documents) {
        (0, 0) => "—".into(),
        (photos, 0) => count(photos, "photo", "photos"),
        (0, documents) => count(documents, "document", "documents"),
        (photos, documents) => format!("{}, {}", count(photos, "photo", "photos"), count(documents, "document", "documents")),
    }
}

export_section!(Jobs);
