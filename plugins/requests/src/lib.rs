//! "Request service" on the account hub: the client describes what is
//! needed, picks one of their properties or types a new address, offers up
//! to three days (and the part of each that suits them) and adds photos.
//! The request opens a conversation with the office, where the office
//! answers; the office books it as a job, or closes it, from its console.
//! Under the form, the client's requests with where each stands.

use portico_plugin_sdk::account;
use portico_plugin_sdk::prelude::*;
use portico_plugin_sdk::requests::{self, DayPart, NewRequest, PreferredVisit, RequestStatus, ServiceRequest};
use portico_plugin_sdk::{Address, Choice, FormField, InputKind};

struct Requests;

const CARD: &str = "request-service";
const SUBMIT: &str = "submit";
/// The choice of the property list that means "an address I type".
const NEW_PLACE: &str = "new";
/// Days a client may offer.
const DAYS: usize = 3;
/// A phone's full-size photo.
const MAX_PHOTO_BYTES: u32 = 15 * 1024 * 1024;
/// The requests listed with a link each.
const LINKED: usize = 8;

impl Section for Requests {
    fn describe() -> Descriptor {
        Descriptor::new("requests", "Service requests", env!("CARGO_PKG_VERSION"))
            .description("Lets clients ask for service with photos and the days that suit them; each request is a conversation with your office, which you book as a job in one step.")
            .card(CardSpec::hub_tab(CARD, "Request service", "Request service").roles(&[Role::Client, Role::CoClient]))
            .permission(Permission::Conversations, "Sends the client's request to your office as a conversation, where you answer it.")
            .permission(Permission::AccountRead, "Offers the client their own properties to choose from.")
            .permission(Permission::Files, "Takes the photos the client adds to a request.")
    }

    fn render(_ctx: &Context) -> Result<Vec<Card>, String> {
        let places = match own_places() {
            Ok(places) => places,
            Err(HostError::Denied(_)) => Vec::new(),
            Err(error) => return Err(format!("listing properties failed: {error}")),
        };
        let mine = match requests::list_requests() {
            Ok(mine) => mine,
            Err(HostError::Denied(_)) => {
                return Ok(vec![Card::new(CARD).task(TaskState::Info).notice(Tone::Warning, "Requests can't be sent from here yet. Please call or write to the office.")]);
            }
            Err(error) => return Err(format!("listing requests failed: {error}")),
        };
        Ok(vec![form(&places, &mine)])
    }

    fn handle_action(_ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        if action != SUBMIT {
            return Err(ActionError::Refused(format!("Unknown action \"{action}\".")));
        }
        let description = input.text("description").unwrap_or_default().trim().to_string();
        let place = input.text("place").unwrap_or(NEW_PLACE);
        let field = |name: &str| input.text(name).unwrap_or_default().trim().to_string();
        let address = Address { line1: field("line1"), line2: None, city: field("city"), region: field("region"), postal_code: field("postal_code"), country: String::new() };
        // What the section can tell at once, beside each input; the host checks all again.
        let mut problems = InputProblems::new("Your request is not sent yet: see below.");
        if description.chars().count() < 5 {
            problems = problems.field("description", "Describe what is needed, in a sentence or two.");
        }
        if place == NEW_PLACE && (address.line1.is_empty() || address.city.is_empty() || address.postal_code.is_empty()) {
            problems = problems.field("line1", "Give the street address, city and postal code, or choose one of your properties.");
        }
        if !problems.is_empty() {
            return Err(problems.into());
        }
        let preferred = (1..=DAYS)
            .filter_map(|n| {
                let day = field(&format!("day-{n}"));
                (!day.is_empty()).then(|| PreferredVisit { day, part: part(input.text(&format!("part-{n}")).unwrap_or_default()) })
            })
            .collect();
        let request = NewRequest {
            description,
            property_id: (place != NEW_PLACE).then(|| place.to_string()),
            address: (place == NEW_PLACE).then_some(address),
            preferred,
            files: input.all("photos").map(str::to_string).collect(),
        };
        match requests::submit(&request) {
            Ok(sent) => Ok(Outcome::success(format!(
                "Request {} is sent. The office will answer in your messages; you will get an e-mail when they do.",
                sent.number
            ))),
            // The host's words, with what was typed kept for another try.
            Err(HostError::Invalid(reason)) => Err(ActionError::invalid(reason)),
            Err(other) => Err(other.into()),
        }
    }
}

/// The places the viewer may ask for service at: the properties of the jobs
/// they are a client of (an agent asks for nothing at a client's home), by
/// name and address.
fn own_places() -> Result<Vec<(String, String)>, HostError> {
    let theirs: Vec<String> =
        account::list_jobs()?.into_iter().filter(|job| matches!(job.role, Role::Client | Role::CoClient)).map(|job| job.property_id).collect();
    Ok(account::list_property_profiles()?
        .into_iter()
        .filter(|place| theirs.contains(&place.id))
        .map(|place| {
            let address = place.address.one_line();
            let title = match place.name.filter(|name| !name.is_empty()) {
                Some(name) => format!("{name} ({address})"),
                None => address,
            };
            (place.id, title)
        })
        .collect())
}

fn part(text: &str) -> DayPart {
    match text {
        "morning" => DayPart::Morning,
        "afternoon" => DayPart::Afternoon,
        "evening" => DayPart::Evening,
        _ => DayPart::AnyTime,
    }
}

fn choice(value: &str, label: &str) -> Choice {
    Choice { value: value.into(), label: label.into() }
}

/// The request form, then the client's requests.
fn form(places: &[(String, String)], mine: &[ServiceRequest]) -> Card {
    let mut choices: Vec<Choice> = places.iter().map(|(id, title)| choice(id, title)).collect();
    choices.push(choice(NEW_PLACE, "Somewhere else (type the address)"));
    let parts = vec![choice("any-time", "Any time"), choice("morning", "Morning (8–12)"), choice("afternoon", "Afternoon (12–5)"), choice("evening", "Evening (5–8)")];
    let open = mine.iter().filter(|r| r.status == RequestStatus::Open).count();
    let mut card = Card::new(CARD).task(TaskState::Info);
    if open > 0 {
        card = card.status(&format!("{open} waiting for the office"), Tone::Info);
    }
    card = card
        .text("Tell us what you need. The office answers in your messages, and books the visit.")
        .input(FormField::new("description", "What do you need?", InputKind::LongText).help("What is wrong or what you would like done, and anything the crew should know."))
        .input(FormField::new("place", "Where", InputKind::Select(choices)))
        .input(FormField::new("line1", "Street address (for a new place)", InputKind::Text))
        .input(FormField::new("city", "City", InputKind::Text))
        .input(FormField::new("region", "State", InputKind::Text))
        .input(FormField::new("postal_code", "ZIP code", InputKind::Text));
    card = card.heading("When suits you");
    for n in 1..=DAYS {
        card = card
            .input(FormField::new(&format!("day-{n}"), &format!("Day {n} (optional)"), InputKind::Date))
            .input(FormField::new(&format!("part-{n}"), &format!("Time of day {n}"), InputKind::Select(parts.clone())));
    }
    card = card
        .input(FormField::photos("photos", "Photos (optional)", MAX_PHOTO_BYTES, true).help("Photos of the problem help the office send the right person and parts."))
        .action(Action::primary(SUBMIT, "Send the request"));
    if mine.is_empty() {
        return card;
    }
    card = card.heading("Your requests");
    let rows = mine
        .iter()
        .map(|r| {
            let when = if r.preferred.is_empty() { "Any time".to_string() } else { r.preferred.join("; ") };
            vec![r.number.clone(), short(&r.description), r.place.clone(), status(r.status).to_string(), when]
        })
        .collect();
    card = card.table(["Request", "What", "Where", "Where it stands", "When suits you"], rows);
    for request in mine.iter().take(LINKED) {
        card = card.link(format!("Messages about request {}", request.number), request.thread_url.clone());
        if let Some(job) = &request.job_id {
            card = card.link(format!("The job booked for request {}", request.number), format!("/jobs/{job}"));
        }
    }
    card
}

fn status(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Open => "Waiting for the office",
        RequestStatus::Scheduled => "Booked",
        RequestStatus::Closed => "Closed",
    }
}

/// The first 80 characters of a description, for the table.
fn short(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    match first.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &first[..end]),
        None => first.to_string(),
    }
}

export_section!(Requests);
